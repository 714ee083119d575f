//! Support for the integration tests and examples: a Python interpreter with NumPy, found or
//! installed, and a way to run one batch script in it.
//!
//! Interop tests are never skipped: when no NumPy can be found or installed they fail and
//! say how to get it. Where the interpreter comes from, in order:
//! 1. `NPY_SERDE_PYTHON`: a Python that has NumPy.
//! 2. `target/numpy-venv` (or `NPY_SERDE_VENV`): a virtual environment made on first use by
//!    `python3 -m venv` + `pip install numpy` from PyPI, kept for later runs.
//!
//! Also the pieces several test binaries share: moto's S3 server ([`s3_server`]) and an
//! instrumented object store ([`store`]), crash tests' child processes ([`crash`]), and a
//! process's peak memory ([`peak_memory_kib`]).

pub mod crash;
pub mod store;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The NumPy requirement installed into the venv.
const NUMPY_REQUIREMENT: &str = "numpy>=2.1,<3";

const HOW_TO_GET_NUMPY: &str = "npy-serde's interop tests need Python 3 with NumPy. They install \
it themselves into target/numpy-venv (python3 -m venv + pip install numpy from PyPI); if that \
fails, install python3 (with the venv module) and make PyPI reachable, or point \
NPY_SERDE_PYTHON at a python that has numpy (e.g. `pip install numpy` then \
NPY_SERDE_PYTHON=$(which python3)).";

/// A Python interpreter that imports NumPy. Panics, saying how to get one, when there is none.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_or_install_python) {
        Ok(path) => path,
        Err(why) => panic!("{why}\n\n{HOW_TO_GET_NUMPY}"),
    }
}

fn has_numpy(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|out| out.status.success())
}

fn venv_dir() -> PathBuf {
    match std::env::var_os("NPY_SERDE_VENV") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/numpy-venv"),
    }
}

fn find_or_install_python() -> Result<PathBuf, String> {
    if let Some(python) = std::env::var_os("NPY_SERDE_PYTHON") {
        let python = PathBuf::from(python);
        return if has_numpy(&python) {
            Ok(python)
        } else {
            Err(format!(
                "NPY_SERDE_PYTHON={} cannot import numpy",
                python.display()
            ))
        };
    }
    let venv = venv_dir();
    let python = venv.join("bin/python");
    if has_numpy(&python) {
        return Ok(python);
    }
    // Build the venv under a temporary name and rename it into place, so a run that is
    // interrupted never leaves a half-installed venv behind.
    let staging = venv.with_extension(format!("installing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    run_setup(Command::new("python3").arg("-m").arg("venv").arg(&staging))?;
    run_setup(
        Command::new(staging.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(NUMPY_REQUIREMENT),
    )?;
    let _ = std::fs::remove_dir_all(&venv);
    if std::fs::rename(&staging, &venv).is_err() {
        // Another process installed it meanwhile: use theirs.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if has_numpy(&python) {
        Ok(python)
    } else {
        Err(format!(
            "{} cannot import numpy after installing it",
            python.display()
        ))
    }
}

fn run_setup(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .map_err(|e| format!("could not run {shown}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Runs `script` with NumPy's Python in `dir` (its working directory) and returns what it
/// printed. Panics with the script's output when it fails, so an assertion inside the script
/// fails the test with NumPy's own message.
///
/// Batch work into one script per test: NumPy's import alone costs about 0.2 s.
pub fn run_python(script: &str, dir: &Path) -> String {
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", python().display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        panic!(
            "the NumPy script failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{}\n--- script ---\n{script}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    stdout
}

/// A fresh temporary directory for one test's files.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("npy-serde-test-")
        .tempdir()
        .expect("a temporary directory")
}

/// The S3 test server's Python packages (moto in server mode, boto3 to upload with),
/// installed from PyPI into the same environment as NumPy.
const S3_REQUIREMENTS: [&str; 3] = ["moto[server]>=5,<6", "boto3", "flask-cors"];

/// The machine-learning interop packages: ml_dtypes (NumPy's bfloat16) and safetensors
/// (its NumPy API; no torch), installed from PyPI into the same environment as NumPy.
const ML_REQUIREMENTS: [&str; 2] = ["ml_dtypes>=0.4", "safetensors>=0.4"];

/// NumPy's Python, with moto's S3 server and boto3 (installed on first use, into the venv
/// that holds NumPy, or the environment of `NPY_SERDE_PYTHON`). Panics, saying how to get
/// them, when they cannot be installed.
pub fn python_with_s3() -> &'static Path {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    python_with(
        &READY,
        "moto.server, boto3",
        &S3_REQUIREMENTS,
        "object-store tests run moto's S3 server",
    )
}

/// NumPy's Python, with ml_dtypes and safetensors (installed on first use, as
/// [`python_with_s3`] installs its packages).
pub fn python_with_ml() -> &'static Path {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    python_with(
        &READY,
        "ml_dtypes, safetensors.numpy",
        &ML_REQUIREMENTS,
        "bfloat16 and safetensors tests use ml_dtypes and safetensors",
    )
}

/// NumPy's Python once `imports` import in it, installing `requirements` from PyPI the
/// first time they do not.
fn python_with(
    ready: &'static OnceLock<Result<(), String>>,
    imports: &str,
    requirements: &[&str],
    why: &str,
) -> &'static Path {
    let python = python();
    let ready = ready.get_or_init(|| {
        let has = |py: &Path| {
            Command::new(py)
                .args(["-c", &format!("import {imports}")])
                .output()
                .is_ok_and(|out| out.status.success())
        };
        if has(python) {
            return Ok(());
        }
        run_setup(
            Command::new(python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(requirements),
        )?;
        if has(python) {
            Ok(())
        } else {
            Err(format!(
                "{} cannot import {imports} after installing them",
                python.display()
            ))
        }
    });
    match ready {
        Ok(()) => python,
        Err(problem) => panic!(
            "{problem}\n\nnpy-serde's {why}: they install them with `{} -m pip install {}` \
             from PyPI; make PyPI reachable or install them there.",
            python.display(),
            requirements.join(" ")
        ),
    }
}

/// A helper server run by Python for one test binary: started on first use, asked for its
/// port on its first line of output, stopped when the test process ends (its stdin closes).
pub struct PythonServer {
    child: std::process::Child,
    /// The port it listens on at 127.0.0.1.
    pub port: u16,
}

impl PythonServer {
    /// Runs `script` (which prints its port on the first line and serves until its stdin
    /// closes) with `python`, `args` after it.
    pub fn start(python: &Path, script: &Path, args: &[&str]) -> PythonServer {
        use std::io::BufRead;
        let mut child = Command::new(python)
            .arg(script)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's first line");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{} printed {line:?}, not a port", script.display()));
        PythonServer { child, port }
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto's S3 server with a bucket `npy`, started once per test process, and the
/// [`RemoteOptions`](npy_serde::remote::RemoteOptions) that reach it.
pub fn s3_server() -> &'static (PythonServer, npy_serde::remote::RemoteOptions) {
    static SERVER: OnceLock<(PythonServer, npy_serde::remote::RemoteOptions)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/s3_server.py");
        let server = PythonServer::start(python_with_s3(), &script, &["npy"]);
        let options = s3_options(server.port);
        (server, options)
    })
}

/// The options that reach moto's S3 server at `port` on 127.0.0.1.
pub fn s3_options(port: u16) -> npy_serde::remote::RemoteOptions {
    let endpoint = format!("http://127.0.0.1:{port}");
    npy_serde::remote::RemoteOptions::default()
        .with_store_config("aws_endpoint", &endpoint)
        .with_store_config("aws_allow_http", "true")
        .with_store_config("aws_access_key_id", "testing")
        .with_store_config("aws_secret_access_key", "testing")
        .with_store_config("aws_region", "us-east-1")
        .with_store_config("aws_virtual_hosted_style_request", "false")
}

/// The misbehaving HTTP server (`tests/support/hostile_http.py`), serving the files of
/// `dir`; its modes are the first path segment.
pub fn hostile_http_server(dir: &Path) -> PythonServer {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/hostile_http.py");
    PythonServer::start(python(), &script, &[dir.to_str().expect("a UTF-8 path")])
}

/// This process's peak resident memory so far (`VmHWM` of `/proc/self/status`), in KiB.
pub fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line in /proc/self/status")
}
