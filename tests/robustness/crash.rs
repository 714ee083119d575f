//! Crash and concurrency tests of saves to a path. A child process (this test binary, run
//! again with `NPY_SERDE_CRASH_CHILD` set, see [`crash_child`]; the child handling is
//! `test_support::crash`) saves over an existing file
//! in a loop and is killed with SIGKILL at a random point; after each kill the path must
//! hold a complete old or new version, and once the next save (by this process) has run,
//! no temporary file may be left beside it. Then readers (typed, memory-mapped and NumPy)
//! load a file while a child saves it in a loop, and must never see a partial file.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use ndarray::Array2;
use npy_serde::mmap::MappedNpy;
use npy_serde::npy::{AppendOptions, Appender};
use npy_serde::{npy, npz};
use serde::{Deserialize, Serialize};
use test_support::crash::{announce_saving, kill_after, temp_files, KillPoints};

/// Set (to a case name) in the child process.
const CHILD_ENV: &str = "NPY_SERDE_CRASH_CHILD";
/// The path the child saves to.
const PATH_ENV: &str = "NPY_SERDE_CRASH_PATH";
/// Elements of the arrays saved: big enough that a save takes a few milliseconds, so that
/// kills land inside saves, not only between them.
const LEN: usize = 1 << 16;
/// Rows per append of the appender case.
const ROWS_PER_APPEND: usize = 500;
/// Kills per case: 5 cases, at least 100 kills in all.
const KILLS_PER_CASE: usize = 24;

/// What the serde case saves.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Snapshot {
    version: u64,
    values: Vec<f64>,
    meta: BTreeMap<String, Vec<i32>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Case {
    Save,
    ToPath,
    SavezCompressed,
    NpzUpdate,
    Appender,
}

const CASES: [Case; 5] = [
    Case::Save,
    Case::ToPath,
    Case::SavezCompressed,
    Case::NpzUpdate,
    Case::Appender,
];

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Save => "save",
            Case::ToPath => "to_path",
            Case::SavezCompressed => "savez_compressed",
            Case::NpzUpdate => "npz_update",
            Case::Appender => "appender",
        }
    }

    fn from_name(name: &str) -> Case {
        *CASES.iter().find(|case| case.name() == name).unwrap()
    }

    fn file_name(self) -> &'static str {
        match self {
            Case::Save => "array.npy",
            Case::ToPath => "snapshot.npz",
            Case::SavezCompressed => "compressed.npz",
            Case::NpzUpdate => "updated.npz",
            Case::Appender => "log.npy",
        }
    }

    /// Creates the file the child will save over (version 0).
    fn create(self, path: &Path) {
        match self {
            Case::NpzUpdate => npz::savez(
                path,
                &[
                    ("keep", &vec![7u16; 1000]),
                    ("version", &vec![0u64]),
                    ("values", &vec![0.0f64; LEN]),
                ],
            )
            .unwrap(),
            Case::Appender => npy::save(path, &Array2::<f64>::zeros((0, 3))).unwrap(),
            _ => self.save(path, 0),
        }
    }

    /// Saves version `version` over the file: one whole save, or one append of rows.
    fn save(self, path: &Path, version: u64) {
        let values = vec![version as f64; LEN];
        match self {
            Case::Save => npy::save(path, &values).unwrap(),
            Case::ToPath => {
                let meta = BTreeMap::from([("v".to_string(), vec![version as i32; 100])]);
                let snapshot = Snapshot {
                    version,
                    values,
                    meta,
                };
                npy_serde::to_path(path, &snapshot).unwrap();
            }
            Case::SavezCompressed => {
                npz::savez_compressed(path, &[("values", &values), ("version", &vec![version])])
                    .unwrap()
            }
            Case::NpzUpdate => {
                let mut update = npz::Update::open(path).unwrap();
                update.put("values", &values).unwrap();
                update.put("version", &vec![version]).unwrap();
                update.commit().unwrap();
            }
            Case::Appender => {
                let options = AppendOptions::default().with_discard_trailing_bytes(true);
                let mut appender = Appender::<f64>::open_with(path, &options).unwrap();
                let first = appender.len();
                let rows: Vec<f64> = (first..first + ROWS_PER_APPEND)
                    .flat_map(|row| [row as f64; 3])
                    .collect();
                appender.append(&rows).unwrap();
            }
        }
    }

    /// Checks that the file holds one complete version; returns it (the row count for the
    /// appender).
    fn check(self, path: &Path) -> u64 {
        let all_equal = |values: &[f64], version: u64| {
            assert_eq!(values.len(), LEN, "{self:?}");
            assert!(
                values.iter().all(|&v| v == version as f64),
                "{self:?}: mixed versions"
            );
        };
        match self {
            Case::Save => {
                let values: Vec<f64> = npy::load(path).unwrap();
                let version = values[0] as u64;
                all_equal(&values, version);
                assert_eq!(
                    std::fs::metadata(path).unwrap().len(),
                    128 + 8 * LEN as u64,
                    "bytes after the data"
                );
                version
            }
            Case::ToPath => {
                let snapshot: Snapshot = npy_serde::from_path(path).unwrap();
                all_equal(&snapshot.values, snapshot.version);
                assert_eq!(snapshot.meta["v"], vec![snapshot.version as i32; 100]);
                snapshot.version
            }
            Case::SavezCompressed | Case::NpzUpdate => {
                let mut archive = npz::Reader::open(path).unwrap();
                let version: Vec<u64> = archive.read("version").unwrap();
                let values: Vec<f64> = archive.read("values").unwrap();
                all_equal(&values, version[0]);
                if self == Case::NpzUpdate {
                    assert_eq!(archive.read::<Vec<u16>>("keep").unwrap(), vec![7; 1000]);
                }
                version[0]
            }
            Case::Appender => {
                // Rows are whole appends; a killed append leaves at most bytes after the
                // data, which readers ignore.
                let rows: Array2<f64> = npy::load(path).unwrap();
                assert_eq!(rows.nrows() % ROWS_PER_APPEND, 0);
                for (i, row) in rows.rows().into_iter().enumerate() {
                    assert_eq!(row.to_vec(), [i as f64; 3]);
                }
                rows.nrows() as u64
            }
        }
    }
}

/// The child's side: saves over the file in a loop until killed. A no-op test unless run
/// by [`spawn_child`].
#[test]
fn crash_child() {
    let Ok(case) = std::env::var(CHILD_ENV) else {
        return;
    };
    let case = Case::from_name(&case);
    let path = PathBuf::from(std::env::var(PATH_ENV).unwrap());
    announce_saving();
    for version in 1.. {
        case.save(&path, version);
    }
}

/// Starts a child saving over `path` and waits until it has begun.
fn spawn_child(case: Case, path: &Path) -> Child {
    let envs = [
        (CHILD_ENV, OsStr::new(case.name())),
        (PATH_ENV, path.as_os_str()),
    ];
    test_support::crash::spawn_child(module_path!(), "crash_child", &envs)
}

#[test]
fn sigkill_at_random_points_leaves_old_or_new_content_and_no_temp_files() {
    let mut kill_points = KillPoints::seeded();
    let mut kills = 0;
    let mut left_behind = 0;
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(case.file_name());
        case.create(&path);
        // How long one save takes here, to spread the kill points over it.
        let started = Instant::now();
        case.save(&path, 1);
        let save_time = started.elapsed().as_micros().max(1000) as u64;
        for kill in 0..KILLS_PER_CASE {
            let before = case.check(&path);
            let mut child = spawn_child(case, &path);
            kill_after(
                &mut child,
                Duration::from_micros(kill_points.below(3 * save_time)),
            );
            kills += 1;
            // Old or new, whole.
            let after = case.check(&path);
            if case == Case::Appender {
                assert!(after >= before, "{case:?}: rows lost");
            }
            left_behind += temp_files(dir.path()).len();
            // The next save completes and leaves no temporary file, whoever left one.
            let version = 1_000_000 + kill as u64;
            case.save(&path, version);
            let saved = case.check(&path);
            if case != Case::Appender {
                assert_eq!(saved, version, "{case:?}");
            }
            assert_eq!(
                temp_files(dir.path()),
                Vec::<String>::new(),
                "{case:?}: temporary files left after the next save"
            );
        }
    }
    println!("{kills} kills, {left_behind} temporary files left by killed saves (all removed)");
    assert!(kills >= 100);
}

#[test]
fn readers_never_see_a_partial_file_while_another_process_saves() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(Case::Save.file_name());
    Case::Save.create(&path);
    let mut child = spawn_child(Case::Save, &path);
    // NumPy reads in its own process for as long as Rust reads here.
    let numpy = std::thread::spawn({
        let dir = dir.path().to_path_buf();
        move || {
            test_support::run_python(
                &format!(
                    r#"
import time
import numpy as np
reads = 0
end = time.monotonic() + 1.5
while time.monotonic() < end:
    a = np.load("{}")
    assert a.shape == ({LEN},) and (a == a[0]).all(), "partial read"
    reads += 1
print(reads)
"#,
                    Case::Save.file_name()
                ),
                &dir,
            )
        }
    });
    let end = Instant::now() + Duration::from_millis(1500);
    let (mut typed, mut mapped) = (0, 0);
    while Instant::now() < end {
        Case::Save.check(&path);
        typed += 1;
        // SAFETY: saves replace the file by renaming a new one over it; the mapped file is
        // never changed or truncated.
        let map = unsafe { MappedNpy::open(&path) }.unwrap();
        let values = map.as_slice::<f64>().unwrap();
        assert_eq!(values.len(), LEN);
        assert!(
            values.iter().all(|&v| v == values[0]),
            "partial mapped read"
        );
        mapped += 1;
    }
    let numpy_reads: usize = numpy.join().unwrap().trim().parse().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    println!("{typed} typed, {mapped} mapped and {numpy_reads} NumPy reads, none partial");
    assert!(typed > 0 && mapped > 0 && numpy_reads > 0);
}

#[test]
fn concurrent_saves_to_one_path_never_disturb_each_other() {
    // Each save removes the temporary files of dead saves to its path: never those of a
    // save in progress in another process (the child would fail and exit).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(Case::Save.file_name());
    Case::Save.create(&path);
    let mut child = spawn_child(Case::Save, &path);
    for version in 0..40 {
        Case::Save.save(&path, 2_000_000 + version);
        Case::Save.check(&path);
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the other process's save failed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    Case::Save.check(&path);
    Case::Save.save(&path, 3);
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
}
