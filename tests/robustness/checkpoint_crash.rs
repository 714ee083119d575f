//! The checkpoint manager killed at random moments: a child process (this test binary run
//! again with `NPY_SERDE_CHECKPOINT_CHILD` set) saves checkpoints in a loop through a
//! `CheckpointManager` (background writes, retention of the last 3) and is killed with
//! SIGKILL at a random point. After each kill every listed checkpoint must load whole, the
//! latest step must not go back, and retention must not have left fewer checkpoints than
//! before (old ones are deleted only after a new one commits).
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
use npy_serde::Bulk;
use serde::{Deserialize, Serialize};

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
    println!("saving");
    std::io::stdout().flush().unwrap();
    for step in start.. {
        manager.save(step, &state(step)).unwrap();
    }
}

fn spawn_child(dir: &Path, start: u64) -> Child {
    let (_binary, module) = module_path!().split_once("::").unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--exact")
        .arg(format!("{module}::checkpoint_crash_child"))
        .args(["--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env(START_ENV, start.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("saving") => break,
            Some(_) => {}
            None => panic!("the checkpoint child ended before saving"),
        }
    }
    child
}

/// xorshift seeded from the clock (or `NPY_SERDE_CRASH_SEED`), printed for a rerun.
fn random() -> impl FnMut(u64) -> u64 {
    let seed = std::env::var("NPY_SERDE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("kill points from NPY_SERDE_CRASH_SEED={seed}");
    let mut state = seed | 1;
    move |bound| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    }
}

#[test]
fn sigkill_during_background_saves_leaves_only_whole_checkpoints() {
    let mut below = random();
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
        std::thread::sleep(Duration::from_micros(below(4 * save_time)));
        child.kill().unwrap();
        child.wait().unwrap();
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
        temp_files_seen += std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().ends_with(".tmp")
            })
            .count();
    }
    // Opening the directory again removes what the killed saves left; a save works.
    drop(manager);
    let mut manager = CheckpointManager::open(dir.path(), options()).unwrap();
    let temp_files_left = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().ends_with(".tmp")
        })
        .count();
    assert_eq!(
        temp_files_left, 0,
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
