//! An array bigger than this process ever holds in memory: a 2 GiB `float32` `.npy` is
//! created with `w+` (like `np.lib.format.open_memmap`), filled in place 64 MiB at a time,
//! then mapped read-only to read a few rows. Peak memory is printed from /proc/self/status.
//!
//! `cargo run --release --example mmap_large` (needs 2 GiB of free disk in the temporary
//! directory; the file is removed at the end). `NPY_MMAP_LARGE_DIR` picks another directory.

use std::time::Instant;

use ndarray::{Ix2, Zip};
use npy_serde::mmap::{MappedNpy, MappedNpyMut};

const ROWS: usize = 262_144;
const COLUMNS: usize = 2048; // ROWS * COLUMNS * 4 bytes = 2 GiB
const ROWS_PER_CHUNK: usize = 8192; // 64 MiB

fn value(row: usize, column: usize) -> f32 {
    (row % 1000) as f32 + column as f32 / 10_000.0
}

/// A field of /proc/self/status in KiB (Linux), or None elsewhere.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |kib| {
        format!("{:.0} MiB", kib as f64 / 1024.0)
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::var_os("NPY_MMAP_LARGE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("npy_serde_mmap_large_{}.npy", std::process::id()));
    let result = run(&path);
    let _ = std::fs::remove_file(&path);
    result
}

fn run(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    // SAFETY: the file is ours alone (a fresh name) and nobody truncates it while mapped.
    let mut map = unsafe { MappedNpyMut::create::<f32, _>(path, &[ROWS, COLUMNS])? };
    println!(
        "created {} ({} x {} float32, {:.1} GiB, sparse) in {:.2?}",
        path.display(),
        ROWS,
        COLUMNS,
        (ROWS * COLUMNS * 4) as f64 / (1u64 << 30) as f64,
        start.elapsed()
    );
    let mut peak_anon = 0;
    for first in (0..ROWS).step_by(ROWS_PER_CHUNK) {
        let mut chunk = map.rows_mut::<f32, Ix2>(first..first + ROWS_PER_CHUNK)?;
        Zip::indexed(&mut chunk).for_each(|(row, column), x| *x = value(first + row, column));
        // Write the chunk back and drop its pages: memory stays at one chunk.
        map.release()?;
        peak_anon = peak_anon.max(status_kib("RssAnon:").unwrap_or(0));
    }
    drop(map);
    println!("filled in place in {:.2?}", start.elapsed());

    // SAFETY: as above.
    let map = unsafe { MappedNpy::open(path)? };
    let opened = Instant::now();
    let rows = map.rows::<f32, Ix2>(200_000..200_004)?;
    let slice = rows.slice(ndarray::s![.., 1000..1003]);
    println!(
        "mapped again and read rows 200000..200004, columns 1000..1003 in {:.2?}:\n{slice}",
        opened.elapsed()
    );
    assert_eq!(slice[[3, 2]], value(200_003, 1002));

    println!(
        "peak resident memory (VmHWM): {}; peak anonymous memory while filling: {}; \
         now resident: {} (of which file pages: {})",
        mib(status_kib("VmHWM:")),
        mib(Some(peak_anon)),
        mib(status_kib("VmRSS:")),
        mib(status_kib("RssFile:")),
    );
    println!("total {:.2?}", start.elapsed());
    Ok(())
}
