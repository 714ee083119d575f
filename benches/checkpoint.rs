//! Checkpoints and durability, timed side by side in one run (medians of interleaved
//! rounds; NumPy timed in its own process with the same sizes, between our rounds).
//!
//! 1. How long [`CheckpointManager::save`] blocks, against a synchronous
//!    [`npy_serde::to_path`] of the same state (default `CHECKPOINT_BENCH_MIB=1024`: four
//!    `Bulk<Array1<f32>>` fields), and how long the background write then takes.
//! 2. Durability: stored `.npz` and `.npy` saves of `DURABILITY_MIB` (default 256: 4 × 64
//!    MiB) with and without fsync, beside NumPy's `np.savez` / `np.save` (which do not sync),
//!    and the pieces of a stored npz save: into memory (copies and CRC), CRC alone, a raw
//!    `std::fs::write` of the same bytes.
//!
//! Files go to `CHECKPOINT_BENCH_DIR` (default: a temporary directory under `target/`, on
//! disk: tmpfs would make fsync free). Rounds: `BENCH_ROUNDS` (default 5). One part only:
//! `BENCH_ONLY=checkpoint` or `BENCH_ONLY=durability`.
//!
//! `NPY_SERDE_VENV=/work/venv cargo bench --bench checkpoint`

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;
use std::time::Instant;

use ndarray::Array1;
use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
use npy_serde::npz::Writer;
use npy_serde::{npy, Bulk, SerdeOptions, WriteOptions};

const MIB: usize = 1 << 20;

type State = BTreeMap<String, Bulk<Array1<f32>>>;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn state(total_mib: usize) -> State {
    let per_field = total_mib * MIB / 4 / 4;
    (0..4)
        .map(|i| {
            let values = Array1::from_shape_fn(per_field, |j| ((i * 31 + j) % 1000) as f32 * 0.5);
            (format!("layer{i}/weight"), Bulk(values))
        })
        .collect()
}

fn seconds(f: impl FnOnce()) -> f64 {
    let started = Instant::now();
    f();
    started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn show(label: &str, values: &[f64]) -> f64 {
    let m = median(values.to_vec());
    let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = values.iter().cloned().fold(0.0, f64::max);
    println!("{label:<58} median {m:>8.4} s  (min {min:.4}, max {max:.4})");
    m
}

fn main() {
    let rounds = env("BENCH_ROUNDS", 5).max(1);
    let base = std::env::var("CHECKPOINT_BENCH_DIR").unwrap_or_else(|_| "target".to_string());
    std::fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(&base).unwrap();
    println!("files in {} ({rounds} rounds)", dir.path().display());
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "checkpoint" {
        checkpoint_blocking(dir.path(), rounds);
    }
    if only.is_empty() || only == "durability" {
        durability(dir.path(), rounds);
    }
}

fn checkpoint_blocking(dir: &Path, rounds: usize) {
    let mib = env("CHECKPOINT_BENCH_MIB", 1024);
    println!("\n== checkpoint save blocking vs to_path: {mib} MiB state (4 Bulk<Array1<f32>>) ==");
    let state = state(mib);
    let target = dir.join("to_path.npz");
    let options = CheckpointOptions::default().with_max_to_keep(1);
    let mut manager = CheckpointManager::open(dir.join("checkpoints"), options).unwrap();
    // The first save maps the snapshot buffer's pages; later ones reuse it.
    let cold = seconds(|| {
        manager.save(0, &state).unwrap();
    });
    manager.wait().unwrap();
    let (mut to_path, mut blocked, mut background) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        to_path.push(seconds(|| npy_serde::to_path(&target, &state).unwrap()));
        blocked.push(seconds(|| {
            manager.save(round as u64 + 1, &state).unwrap();
        }));
        background.push(seconds(|| manager.wait().unwrap()));
    }
    println!("first save (fresh snapshot buffer) blocked {cold:.4} s");
    let sync = show("to_path (synchronous, fsync)", &to_path);
    let save = show("CheckpointManager::save, time blocked", &blocked);
    show(
        "  then wait() for the background write (fsync)",
        &background,
    );
    println!(
        "ratio blocked / to_path: {:.3} (first save: {:.3})",
        save / sync,
        cold / sync
    );
}

fn durability(dir: &Path, rounds: usize) {
    let mib = env("DURABILITY_MIB", 256);
    println!(
        "\n== durability: {mib} MiB (stored npz: 4 members x {} MiB) ==",
        mib / 4
    );
    let state = state(mib);
    let arrays: Vec<Array1<f64>> = (0..4)
        .map(|i| Array1::from_shape_fn(mib * MIB / 4 / 8, |j| ((i + j) % 1000) as f64))
        .collect();
    let single = Array1::from_shape_fn(mib * MIB / 8, |j| (j % 1000) as f64);
    let synced = WriteOptions::default();
    let unsynced = WriteOptions::default().with_sync(false);
    let savez = |path: &Path, options: &WriteOptions| {
        let mut writer = Writer::create_with(path, options).unwrap();
        for (i, array) in arrays.iter().enumerate() {
            writer.add(&format!("a{i}"), array).unwrap();
        }
        writer.finish().unwrap();
    };
    let raw: Vec<u8> = vec![7u8; mib * MIB];
    let mut memory = Vec::with_capacity(mib * MIB + MIB);
    let mut cases: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for _ in 0..rounds {
        // Each case's file is removed after it is timed: the disk holds one at a time.
        let mut time = |name: &'static str, f: &mut dyn FnMut()| {
            cases.entry(name).or_default().push(seconds(f));
            for file in ["z.npz", "s.npz", "a.npy", "raw.bin"] {
                let _ = std::fs::remove_file(dir.join(file));
            }
        };
        time("npz stored save, sync (default)", &mut || {
            savez(&dir.join("z.npz"), &synced)
        });
        time("npz stored save, no sync", &mut || {
            savez(&dir.join("z.npz"), &unsynced)
        });
        time("to_path (serde, Bulk fields), sync", &mut || {
            npy_serde::to_path(dir.join("s.npz"), &state).unwrap()
        });
        time("to_path (serde, Bulk fields), no sync", &mut || {
            let options = SerdeOptions::default().with_write(unsynced.clone());
            npy_serde::to_path_with(dir.join("s.npz"), &state, &options).unwrap()
        });
        time("npy save, sync (default)", &mut || {
            npy::save_with(dir.join("a.npy"), &single, &synced).unwrap()
        });
        time("npy save, no sync", &mut || {
            npy::save_with(dir.join("a.npy"), &single, &unsynced).unwrap()
        });
        time("piece: npz stored into memory (copies + CRC)", &mut || {
            memory.clear();
            let mut writer = Writer::new(Cursor::new(&mut memory));
            for (i, array) in arrays.iter().enumerate() {
                writer.add(&format!("a{i}"), array).unwrap();
            }
            writer.finish().unwrap();
        });
        time("piece: CRC-32 of the bytes alone", &mut || {
            std::hint::black_box(crc32fast::hash(&raw));
        });
        time("piece: std::fs::write of the bytes (no sync)", &mut || {
            std::fs::write(dir.join("raw.bin"), &raw).unwrap()
        });
        time("piece: std::fs::write + fsync", &mut || {
            let file = std::fs::File::create(dir.join("raw.bin")).unwrap();
            std::io::Write::write_all(&mut &file, &raw).unwrap();
            file.sync_all().unwrap();
        });
    }
    for (name, values) in &cases {
        show(name, values);
    }
    numpy(dir, mib, rounds);
}

/// NumPy's np.savez (4 members) and np.save of the same sizes, timed in one Python process.
fn numpy(dir: &Path, mib: usize, rounds: usize) {
    let script = format!(
        r#"
import os, time, numpy as np
mib, rounds = {mib}, {rounds}
arrays = {{f"a{{i}}": (np.arange(mib * 2**20 // 4 // 8) % 1000).astype(np.float64) for i in range(4)}}
single = (np.arange(mib * 2**20 // 8) % 1000).astype(np.float64)
def med(f):
    t = []
    for _ in range(rounds):
        s = time.perf_counter(); f(); t.append(time.perf_counter() - s)
        for name in ("n.npz", "n.npy"):
            if os.path.exists(name): os.remove(name)
    t.sort(); return t[len(t) // 2], t[0], t[-1]
for name, f in [("NumPy np.savez (stored, no sync)", lambda: np.savez("n.npz", **arrays)),
                ("NumPy np.save (no sync)", lambda: np.save("n.npy", single))]:
    m, lo, hi = med(f)
    print(f"{{name:<58}} median {{m:>8.4f}} s  (min {{lo:.4f}}, max {{hi:.4f}})")
print("numpy", np.__version__)
"#
    );
    print!("{}", test_support::run_python(&script, dir));
}
