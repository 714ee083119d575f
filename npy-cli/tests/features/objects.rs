//! Object arrays: refused naming `--allow-pickle`, printed as NumPy prints them with it,
//! listed with the size of their pickle.

use crate::common::{json, npy, ok, stderr};
use test_support::{run_python, temp_dir};

#[test]
fn object_arrays_print_as_numpy_does_with_allow_pickle_only() {
    let dir = temp_dir();
    let d = dir.path();
    let names = run_python(
        r#"
import numpy as np
def objects(values, shape=None):
    a = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        a[i] = v
    return a.reshape(shape) if shape else a
cases = {
    'mixed': objects(['a', None, 3]),
    'nested': objects([[1, 2], {'k': (1,)}, 2.5, b'by', True, 10**30, 1+2j, "it's"]),
    'matrix': objects([1.5, 'x', None, -7], (2, 2)),
    'floats': objects([0.1, 1e20, float('nan'), -0.0]),
    'long': objects(list(range(2000))),
}
for name, a in cases.items():
    np.save(name + '.npy', a, allow_pickle=True)
    open(name + '.txt', 'w').write(str(a))
np.savez('archive.npz', obj=cases['mixed'], x=np.arange(3.))
print(' '.join(cases))
"#,
        d,
    );
    let mut failures = Vec::new();
    for name in names.split_whitespace() {
        let file = format!("{name}.npy");
        let expected = std::fs::read_to_string(d.join(format!("{name}.txt"))).unwrap();
        let actual = ok(d, &["show", "--allow-pickle", &file]);
        if actual.trim_end_matches('\n') != expected {
            failures.push(format!("{name}:\n--- NumPy\n{expected}\n--- npy\n{actual}"));
        }
        // Without the flag: refused, and the message names the flag.
        for command in [
            &["show", &file][..],
            &["hist", &file],
            &["diff", &file, &file],
        ] {
            let output = npy(d, command);
            assert_eq!(output.status.code(), Some(2), "npy {command:?}");
            let err = stderr(&output);
            assert!(
                err.contains("--allow-pickle") && err.lines().count() == 1,
                "npy {command:?}: {err}"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // diff compares values; stats lists object arrays as not numeric (it reads no data).
    ok(d, &["--allow-pickle", "diff", "nested.npy", "nested.npy"]);
    let output = npy(d, &["--allow-pickle", "diff", "mixed.npy", "archive.npz:x"]);
    assert_eq!(output.status.code(), Some(1));
    ok(d, &["stats", "mixed.npy"]);

    // A member, rows, JSON.
    assert_eq!(
        ok(
            d,
            &["show", "--allow-pickle", "archive.npz:obj", "--rows", "1:"]
        )
        .trim(),
        "[None 3]"
    );
    let shown = json(d, &["show", "--allow-pickle", "archive.npz:obj"]);
    assert_eq!(shown[0]["values"], serde_json::json!(["a", null, 3]));
    let err = stderr(&npy(d, &["show", "archive.npz"]));
    assert!(
        err.contains("member \"obj\"") && err.contains("--allow-pickle"),
        "{err}"
    );
    // The other commands that read data take the flag too.
    ok(d, &["--allow-pickle", "convert", "mixed.npy", "copy.npz"]);
    ok(d, &["--allow-pickle", "verify", "archive.npz"]);
    let output = npy(d, &["convert", "mixed.npy", "refused.npz"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--allow-pickle"));
    assert!(!d.join("refused.npz").exists());

    // ls: the stored bytes of the pickle, marked as pickled (not 8 bytes per element).
    let listing = json(d, &["ls", "mixed.npy", "archive.npz"]);
    let file_len = std::fs::metadata(d.join("mixed.npy")).unwrap().len();
    let npy = &listing[0];
    assert_eq!(npy["pickled"], true);
    assert_eq!(
        npy["data_bytes"].as_u64().unwrap() + npy["header_bytes"].as_u64().unwrap(),
        file_len
    );
    assert!(npy["data_bytes"].as_u64().unwrap() > 24);
    let members = listing[1]["members"].as_array().unwrap();
    assert_eq!(members[0]["pickled"], true);
    assert_eq!(members[1]["pickled"], false);
    let text = ok(d, &["ls", "mixed.npy", "archive.npz"]);
    assert_eq!(text.matches(" pickled").count(), 2, "{text}");
}
