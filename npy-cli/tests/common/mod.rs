//! What the CLI test binaries share: running the `npy` binary and reading what it printed.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `npy args...` in `dir`.
pub fn npy(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npy"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the npy binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must succeed (status 0) and returns its stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let output = npy(dir, args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "npy {args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

pub fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let text = ok(dir, &all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("npy {args:?}: bad JSON ({e}):\n{text}"))
}

/// Runs `npy args...` in `dir` with extra environment variables.
pub fn npy_env(dir: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npy"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("the npy binary runs")
}
