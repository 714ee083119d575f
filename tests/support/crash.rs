//! Crash tests' child processes: a test binary runs one of its own tests again as a child
//! that saves in a loop ([`spawn_child`], [`announce_saving`]), kills it at a random point
//! ([`KillPoints`], [`kill_after`]), and looks at what the kill left ([`temp_files`]).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What a child prints once it has begun saving.
const SAVING: &str = "saving";

/// Runs test `test` of the module `module` (its `module_path!()`) of this test binary
/// again, as a child process with `envs` set, and returns once the child has begun saving
/// ([`announce_saving`]). Panics when the child ends before that.
pub fn spawn_child<K, V>(module: &str, test: &str, envs: &[(K, V)]) -> Child
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    // The harness names a test by its module path within the test binary.
    let (_binary, module) = module.split_once("::").unwrap_or(("", module));
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .arg("--exact")
        .arg(format!("{module}::{test}"))
        .args(["--nocapture", "--test-threads=1"])
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child test process");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains(SAVING) => break,
            Some(_) => {}
            None => panic!("the child {module}::{test} ended before saving"),
        }
    }
    child
}

/// The child's side: tells [`spawn_child`] that it has begun saving.
pub fn announce_saving() {
    println!("{SAVING}");
    std::io::stdout().flush().expect("stdout");
}

/// Lets `child` run for `delay`, then kills it with SIGKILL and reaps it.
pub fn kill_after(child: &mut Child, delay: Duration) {
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
}

/// Random kill points: a small xorshift generator seeded from the clock, so that kill
/// points differ from run to run, or from `NPY_SERDE_CRASH_SEED`; the seed is printed for
/// a rerun.
pub struct KillPoints(u64);

impl KillPoints {
    /// A generator seeded from `NPY_SERDE_CRASH_SEED` or the clock.
    pub fn seeded() -> KillPoints {
        let seed = std::env::var("NPY_SERDE_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("a clock after 1970")
                    .as_nanos() as u64
            });
        println!("kill points from NPY_SERDE_CRASH_SEED={seed}");
        KillPoints(seed | 1)
    }

    /// A number below `bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// The temporary files of saves in `dir` (`.<name>.XXXXXX.tmp`), by name.
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("the test directory")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect()
}
