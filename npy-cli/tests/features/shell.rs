//! `npy completions SHELL` and `npy man`, and progress bars that stay off redirected
//! output.

use crate::common::{npy, ok};
use test_support::{run_python, temp_dir};

#[test]
fn completions_and_manual_page() {
    let dir = temp_dir();
    let d = dir.path();
    let bash = ok(d, &["completions", "bash"]);
    assert!(
        bash.contains("_npy()") && bash.contains("--allow-pickle"),
        "{bash}"
    );
    assert!(bash.contains("convert") && bash.contains("hist"));
    let zsh = ok(d, &["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef npy"), "{zsh}");
    assert!(ok(d, &["completions", "fish"]).contains("complete -c npy"));
    let man = ok(d, &["man"]);
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH npy"),
        "{man}"
    );
    assert!(
        man.contains(".SH NAME") && man.contains("allow\\-pickle"),
        "{man}"
    );
    assert_eq!(
        npy(d, &["completions", "nosuchshell"]).status.code(),
        Some(2)
    );
}

#[test]
fn redirected_output_has_no_progress_escape_codes() {
    let dir = temp_dir();
    let d = dir.path();
    run_python(
        "import numpy as np\n\
         np.save('a.npy', np.arange(300_000, dtype='f8'))\n\
         np.savez_compressed('a.npz', a=np.arange(300_000, dtype='f8'))\n",
        d,
    );
    // NPY_PROGRESS=always draws a bar for any size, but only on a terminal: here stderr
    // and stdout are pipes.
    for args in [
        &["stats", "a.npy", "a.npz"][..],
        &["verify", "a.npy", "a.npz"],
        &["convert", "a.npz", "b.npz", "--store"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_npy"))
            .args(args)
            .current_dir(d)
            .env("NPY_PROGRESS", "always")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "npy {args:?}");
        for stream in [&output.stdout, &output.stderr] {
            assert!(
                !stream.contains(&0x1b),
                "npy {args:?}: escape codes in {stream:?}"
            );
            assert!(!stream.contains(&b'\r'), "npy {args:?}: carriage returns");
        }
    }
}
