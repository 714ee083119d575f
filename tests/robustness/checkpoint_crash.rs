//! The checkpoint manager killed at random moments: a child process (this test binary run
//! again with `NPY_SERDE_CHECKPOINT_CHILD` set) saves checkpoints in a loop through a
//! `CheckpointManager` (background writes, retention of the last 3) and is killed with
//! SIGKILL at a random point. After each kill every listed checkpoint must load whole, the
//! latest step must not go back, and retention must not have left fewer checkpoints than
//! before (old ones are deleted only after a new one commits). The child handling is
//! `test_support::crash`, shared with the `crash` module.
#![cfg(unix)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
use npy_serde::Bulk;
use serde::{Deserialize, Serialize};
use test_support::crash::{announce_saving, kill_after, temp_files, KillPoints};

const CHILD_ENV: &str = "NPY_SERDE_CHECKPOINT_CHILD";
const START_ENV: &str = "NPY_SERDE_CHECKPOINT_START";
/// Elements of the saved array (8 MiB): a save takes several milliseconds.
const LEN: usize = 1 << 20;
const KILLS: usize = 40;
const KEEP: usize = 3;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct State {
    step: u64,
    values: Bulk<ndarray::Array1<f64>>,
    note: String,
}

fn state(step: u64) -> State {
    State {
        step,
        values: Bulk(ndarray::Array1::from_elem(LEN, step as f64)),
        note: format!("step {step}"),
    }
}

fn options() -> CheckpointOptions {
    CheckpointOptions::default().with_max_to_keep(KEEP)
}

/// Loads every listed checkpoint and checks it is whole; returns the steps.
fn check_all(manager: &CheckpointManager) -> Vec<u64> {
    let steps = manager.steps().unwrap();
    for &step in &steps {
        let loaded: State = manager
            .restore(step)
            .unwrap_or_else(|e| panic!("listed checkpoint {step} does not load: {e}"));
        assert_eq!(loaded.step, step);
        assert_eq!(loaded.note, format!("step {step}"));
        assert_eq!(loaded.values.0.len(), LEN);
        assert!(loaded.values.0.iter().all(|&v| v == step as f64), "mixed");
    }
    steps
}

/// The child: saves steps from `START_ENV` on, in a loop, until killed.
#[test]
fn checkpoint_crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let start: u64 = std::env::var(START_ENV).unwrap().parse().unwrap();
    let mut manager = CheckpointManager::open(PathBuf::from(dir), options()).unwrap();
    announce_saving();
    for step in start.. {
        manager.save(step, &state(step)).unwrap();
    }
}

/// Starts a child saving steps from `start` on into `dir` and waits until it has begun.
fn spawn_child(dir: &Path, start: u64) -> Child {
    let start = start.to_string();
    let envs = [
        (CHILD_ENV, dir.as_os_str()),
        (START_ENV, OsStr::new(&start)),
    ];
    test_support::crash::spawn_child(module_path!(), "checkpoint_crash_child", &envs)
}

#[test]
fn sigkill_during_background_saves_leaves_only_whole_checkpoints() {
    let mut kill_points = KillPoints::seeded();
    let dir = tempfile::tempdir().unwrap();
    let mut manager = CheckpointManager::open(dir.path(), options()).unwrap();
    // How long one save takes here, to spread the kill points over a few.
    let started = Instant::now();
    manager.save(1, &state(1)).unwrap();
    manager.wait().unwrap();
    let save_time = started.elapsed().as_micros().max(2000) as u64;
    let (mut committed_during_kills, mut temp_files_seen) = (0, 0);
    for _ in 0..KILLS {
        let before = check_all(&manager);
        let latest = *before.last().unwrap();
        let mut child = spawn_child(dir.path(), latest + 1);
        kill_after(
            &mut child,
            Duration::from_micros(kill_points.below(4 * save_time)),
        );
        let after = check_all(&manager);
        assert!(!after.is_empty());
        assert!(
            *after.last().unwrap() >= latest,
            "the latest step went back"
        );
        assert!(
            after.len() >= before.len().min(KEEP),
            "retention deleted before a commit: {before:?} -> {after:?}"
        );
        // Whatever was listed before and is gone was deleted by retention, so newer ones
        // were committed.
        for gone in before.iter().filter(|step| !after.contains(step)) {
            assert!(after.iter().filter(|&&s| s > *gone).count() >= KEEP);
        }
        committed_during_kills += after.iter().filter(|&&s| s > latest).count();
        temp_files_seen += temp_files(dir.path()).len();
    }
    // Opening the directory again removes what the killed saves left; a save works.
    drop(manager);
    let mut manager = CheckpointManager::open(dir.path(), options()).unwrap();
    assert_eq!(
        temp_files(dir.path()),
        Vec::<String>::new(),
        "opening removes dead saves' temporary files"
    );
    let next = manager.latest().unwrap().unwrap() + 1;
    manager.save(next, &state(next)).unwrap();
    manager.wait().unwrap();
    assert_eq!(check_all(&manager).last(), Some(&next));
    println!(
        "{KILLS} kills; {committed_during_kills} checkpoints committed by killed children; \
         {temp_files_seen} temporary files seen after kills, never listed"
    );
}
