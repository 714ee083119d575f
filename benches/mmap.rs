//! Memory-mapped reads against NumPy, on one 1 GiB float64 `.npy` (override the size with
//! `MMAP_BENCH_MIB`) made at the start and removed at the end:
//!
//! - `open_read_1000_random`: map the file (header parsed, length checked) and read 1000
//!   elements at random positions, vs `np.load(path, mmap_mode='r')[indices].sum()`;
//! - `read_1000_random_kept_mapping`: the same reads through a mapping kept open (its
//!   pages already faulted in), vs `m[indices].sum()` on a kept `np.memmap`;
//! - `sum_mapped`: map the file and sum every element, vs
//!   `np.load(path, mmap_mode='r').sum()`;
//! - `sum_after_full_load`: read the whole file into memory, then sum, vs
//!   `np.load(path).sum()`.
//!
//! The file is in the page cache for every case (it was just written), on both sides.
//! After criterion, the same process times each case again and right after it runs
//! `benches/compare_mmap.py` for that case on the same file, and prints both medians
//! and their ratio (interleaved, so that both sides see the same machine load).
//!
//! `cargo bench --bench mmap` (a few minutes).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use npy_serde::mmap::{Access, MappedNpy, MappedNpyMut};

const GROUP: &str = "mmap";

/// Sum with eight accumulators, so it vectorizes as NumPy's pairwise sum does.
fn sum(values: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, value) in lanes.iter_mut().zip(chunk) {
            *lane += value;
        }
    }
    lanes.iter().sum::<f64>() + rest.iter().sum::<f64>()
}

/// 1000 positions from a fixed-seed xorshift, so every run reads the same elements.
fn random_indices(len: usize) -> Vec<usize> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..1000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % len as u64) as usize
        })
        .collect()
}

fn make_file(path: &Path, len: usize) {
    // SAFETY: a fresh file of ours, not touched by anyone else while mapped.
    let mut map = unsafe { MappedNpyMut::create::<f64, _>(path, &[len]) }.unwrap();
    for (i, x) in map.as_slice_mut::<f64>().unwrap().iter_mut().enumerate() {
        *x = (i % 1024) as f64 * 0.5;
    }
    map.flush().unwrap();
}

fn open(path: &Path) -> MappedNpy {
    // SAFETY: the bench's own file, unchanged while mapped.
    unsafe { MappedNpy::open(path) }.unwrap()
}

fn bench(c: &mut Criterion, path: &Path, indices: &[usize]) {
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("open_read_1000_random", |b| {
        b.iter(|| {
            let map = open(path);
            let values = map.as_slice::<f64>().unwrap();
            black_box(indices.iter().map(|&i| values[i]).sum::<f64>())
        })
    });
    let kept = open(path);
    let kept_values = kept.as_slice::<f64>().unwrap();
    group.bench_function("read_1000_random_kept_mapping", |b| {
        b.iter(|| black_box(indices.iter().map(|&i| kept_values[i]).sum::<f64>()))
    });
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("sum_mapped", |b| {
        b.iter(|| {
            let map = open(path);
            black_box(sum(map.as_slice::<f64>().unwrap()))
        })
    });
    group.bench_function("sum_after_full_load", |b| {
        b.iter(|| {
            let values: Vec<f64> = npy_serde::npy::load(path).unwrap();
            black_box(sum(&values))
        })
    });
    group.finish();
}

/// One timed case of the comparison.
type Case<'a> = Box<dyn FnMut() + 'a>;

/// Median seconds of `repeats` runs of `run`, after one warm-up run.
fn median_time(repeats: usize, mut run: impl FnMut()) -> f64 {
    run();
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The comparison table: for each case, the Rust median and right after it NumPy's
/// median of the same number of runs, so that both see the same machine load (this
/// 2-core machine is shared; criterion's figures above come from earlier moments).
fn compare_with_numpy(path: &Path, indices: &[usize]) {
    let dir = path.parent().unwrap();
    let indices_path = dir.join("indices.txt");
    let text: Vec<String> = indices.iter().map(|i| i.to_string()).collect();
    std::fs::write(&indices_path, text.join("\n")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/compare_mmap.py");
    let kept = open(path);
    let kept_values = kept.as_slice::<f64>().unwrap();
    // (our case, NumPy's case it is compared with, repeats, our run)
    let mut cases: Vec<(&str, &str, usize, Case<'_>)> = vec![
        (
            "open_read_1000_random",
            "open_read_1000_random",
            200,
            Box::new(|| {
                let map = open(path);
                let values = map.as_slice::<f64>().unwrap();
                black_box(indices.iter().map(|&i| values[i]).sum::<f64>());
            }),
        ),
        (
            "open_random_read_1000_random",
            "open_read_1000_random",
            200,
            Box::new(|| {
                let map = unsafe { MappedNpy::open_for(path, Access::Random) }.unwrap();
                let values = map.as_slice::<f64>().unwrap();
                black_box(indices.iter().map(|&i| values[i]).sum::<f64>());
            }),
        ),
        (
            "read_1000_random_kept_mapping",
            "read_1000_random_kept_mapping",
            2000,
            Box::new(|| {
                black_box(indices.iter().map(|&i| kept_values[i]).sum::<f64>());
            }),
        ),
        (
            "sum_mapped",
            "sum_mapped",
            9,
            Box::new(|| {
                black_box(sum(open(path).as_slice::<f64>().unwrap()));
            }),
        ),
        (
            "sum_mapped_sequential",
            "sum_mapped",
            9,
            Box::new(|| {
                let map = unsafe { MappedNpy::open_for(path, Access::Sequential) }.unwrap();
                black_box(sum(map.as_slice::<f64>().unwrap()));
            }),
        ),
        (
            "sum_mapped_populate",
            "sum_mapped",
            9,
            Box::new(|| {
                let map = unsafe { MappedNpy::open_for(path, Access::Populate) }.unwrap();
                black_box(sum(map.as_slice::<f64>().unwrap()));
            }),
        ),
        (
            "sum_after_full_load",
            "sum_after_full_load",
            5,
            Box::new(|| {
                let values: Vec<f64> = npy_serde::npy::load(path).unwrap();
                black_box(sum(&values));
            }),
        ),
    ];
    println!(
        "\n{:<30} {:>12} {:>12} {:>11}  (NumPy case)",
        "case (medians, interleaved)", "npy-serde", "NumPy", "NumPy/ours"
    );
    for (name, numpy_case, repeats, run) in &mut cases {
        let ours = median_time(*repeats, run);
        let output = std::process::Command::new(test_support::python())
            .arg(&script)
            .arg(path)
            .arg(&indices_path)
            .arg(*numpy_case)
            .arg(repeats.to_string())
            .output()
            .expect("run compare_mmap.py");
        assert!(
            output.status.success(),
            "compare_mmap.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let numpy: f64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap();
        println!(
            "{name:<30} {:>10.3}ms {:>10.3}ms {:>10.2}x  ({numpy_case})",
            ours * 1e3,
            numpy * 1e3,
            numpy / ours
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; without it (`cargo test --benches`) criterion runs each
    // case once as a test: a small file and no NumPy comparison then.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let default_mib = if benchmarking { 1024 } else { 8 };
    let mib: usize = std::env::var("MMAP_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_mib);
    let len = mib * (1 << 20) / 8;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.npy");
    make_file(&path, len);
    let indices = random_indices(len);

    // MMAP_COMPARE_ONLY=1: only the side-by-side table (no criterion run).
    if std::env::var_os("MMAP_COMPARE_ONLY").is_none() || !benchmarking {
        let mut criterion = Criterion::default().configure_from_args();
        bench(&mut criterion, &path, &indices);
        criterion.final_summary();
    }
    if benchmarking {
        compare_with_numpy(&path, &indices);
    }
}
