//! `.npz` throughput: 4 members of 64 MiB float64 each (override with `NPZ_BENCH_MIB` and
//! `NPZ_BENCH_MEMBERS`), written stored and compressed, and read back.
//!
//! `benches/compare_npz.py` times NumPy on the same data in the same run and prints the
//! ratios; run that rather than this alone.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use npy_serde::npz::{Reader as NpzReader, Writer as NpzWriter};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The data `compare_npz.py` builds too: a sine rounded to 3 decimals (compressible, like
/// real measurements), offset per member.
fn member_data(member: usize, len: usize) -> Vec<f64> {
    (0..len)
        .map(|i| ((((i as f64) * 0.001).sin() + member as f64) * 1000.0).round() / 1000.0)
        .collect()
}

fn write(path: &Path, members: &[Vec<f64>], compressed: bool) {
    let mut writer = if compressed {
        NpzWriter::create_with(
            path,
            &npy_serde::WriteOptions::default()
                .with_compression(npy_serde::npz::Compression::NUMPY_DEFLATE),
        )
        .unwrap()
    } else {
        NpzWriter::create(path).unwrap()
    };
    for (i, data) in members.iter().enumerate() {
        writer.add(&format!("m{i}"), data).unwrap();
    }
    writer.finish().unwrap();
}

fn read(path: &Path, count: usize) -> usize {
    let mut reader = NpzReader::open(path).unwrap();
    (0..count)
        .map(|i| reader.read::<Vec<f64>>(&format!("m{i}")).unwrap().len())
        .sum()
}

fn bench_npz(c: &mut Criterion) {
    let mib = env_usize("NPZ_BENCH_MIB", 64);
    let count = env_usize("NPZ_BENCH_MEMBERS", 4);
    let len = mib * (1 << 20) / 8;
    let members: Vec<Vec<f64>> = (0..count).map(|m| member_data(m, len)).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("npz");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes((count * len * 8) as u64));
    for (label, compressed) in [("stored", false), ("compressed", true)] {
        let path = dir.path().join(format!("{label}.npz"));
        group.bench_function(format!("write_{label}"), |b| {
            b.iter(|| write(&path, &members, compressed))
        });
        write(&path, &members, compressed);
        group.bench_function(format!("read_{label}"), |b| {
            b.iter(|| black_box(read(&path, count)))
        });
        let size = std::fs::metadata(&path).unwrap().len();
        eprintln!("npz {label}: {size} bytes");
    }
    group.finish();
}

criterion_group!(benches, bench_npz);
criterion_main!(benches);
