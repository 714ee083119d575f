//! The serde format against the direct npz writer and reader it is built on: a struct of
//! four 64 MiB float32 arrays (4096 x 4096 each) saved and loaded both ways, to the same
//! kind of file, side by side.
//!
//! - `direct`: `NpzWriter::add` per array / `NpzReader::read::<Array2<f32>>` per member.
//! - `serde_plain`: plain `ndarray` fields, no attributes (ndarray's own serde form, one
//!   serde call per element).
//! - `serde_bulk`: the same fields as `npy_serde::Bulk<Array2<f32>>` (bytes moved in one
//!   piece; `#[serde(with = "npy_serde::serde_array")]` takes the same path).
//!
//! Each is timed to a reused in-memory buffer (the encoding work alone) and to a file (what
//! users see; disk and page-cache effects included), through the same `NpzWriter` (the
//! serde side via `npy_serde::Serializer`, so neither pays for an atomic rename). Run with
//! `cargo bench --bench serde`; the goals: plain fields save within 1.3x and load within
//! 3x of direct, the bulk path within 1.1x both ways.

use std::fs::File;
use std::hint::black_box;
use std::io::{Cursor, Seek, Write};
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use npy_serde::npz::{Reader as NpzReader, Writer as NpzWriter};
use serde::{Deserialize, Serialize};

const SIDE: usize = 4096;

#[derive(Serialize, Deserialize)]
struct Plain {
    a: Array2<f32>,
    b: Array2<f32>,
    c: Array2<f32>,
    d: Array2<f32>,
}

#[derive(Serialize, Deserialize)]
struct Bulk {
    a: npy_serde::Bulk<Array2<f32>>,
    b: npy_serde::Bulk<Array2<f32>>,
    c: npy_serde::Bulk<Array2<f32>>,
    d: npy_serde::Bulk<Array2<f32>>,
}

/// Serializes `value` into an archive on `out` through the same writer `direct` uses.
fn serde_write<W: Write + Seek, T: Serialize>(out: W, value: &T) {
    let mut serializer = npy_serde::Serializer::new(out);
    value.serialize(&mut serializer).unwrap();
    serializer.finish().unwrap();
}

fn arrays() -> [Array2<f32>; 4] {
    std::array::from_fn(|k| {
        Array2::from_shape_fn((SIDE, SIDE), |(i, j)| (i * SIDE + j + k) as f32 * 0.5)
    })
}

fn write_direct(path: &Path, arrays: &[Array2<f32>; 4]) {
    let mut writer = NpzWriter::new(File::create(path).unwrap());
    for (name, array) in ["a", "b", "c", "d"].iter().zip(arrays) {
        writer.add(name, array).unwrap();
    }
    writer.finish().unwrap();
}

fn read_direct(path: &Path) -> Vec<Array2<f32>> {
    let mut reader = NpzReader::open(path).unwrap();
    ["a", "b", "c", "d"]
        .iter()
        .map(|name| reader.read::<Array2<f32>>(name).unwrap())
        .collect()
}

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(6));
    group
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.npz");
    let [a, b, c2, d] = arrays();
    let plain = Plain { a, b, c: c2, d };
    let direct_arrays = [
        plain.a.clone(),
        plain.b.clone(),
        plain.c.clone(),
        plain.d.clone(),
    ];
    // In memory: a reused buffer, so only the encoding work is timed (no disk, no page
    // faults of a fresh buffer).
    let mut buffer: Vec<u8> = Vec::with_capacity(300 << 20);

    let mut group = configure(c, "save 4 x 64 MiB f32 to memory");
    group.bench_function("direct", |bench| {
        bench.iter(|| {
            buffer.clear();
            let mut writer = NpzWriter::new(Cursor::new(&mut buffer));
            for (name, array) in ["a", "b", "c", "d"].iter().zip(&direct_arrays) {
                writer.add(name, array).unwrap();
            }
            writer.finish().unwrap();
        })
    });
    group.bench_function("serde_plain", |bench| {
        bench.iter(|| {
            buffer.clear();
            serde_write(Cursor::new(&mut buffer), &plain)
        })
    });
    let bulk = Bulk {
        a: npy_serde::Bulk(plain.a.clone()),
        b: npy_serde::Bulk(plain.b.clone()),
        c: npy_serde::Bulk(plain.c.clone()),
        d: npy_serde::Bulk(plain.d.clone()),
    };
    group.bench_function("serde_bulk", |bench| {
        bench.iter(|| {
            buffer.clear();
            serde_write(Cursor::new(&mut buffer), &bulk)
        })
    });
    group.finish();

    let mut group = configure(c, "save 4 x 64 MiB f32 to a file");
    group.bench_function("direct", |bench| {
        bench.iter(|| write_direct(&path, &direct_arrays))
    });
    group.bench_function("serde_plain", |bench| {
        bench.iter(|| serde_write(File::create(&path).unwrap(), &plain))
    });
    group.bench_function("serde_bulk", |bench| {
        bench.iter(|| serde_write(File::create(&path).unwrap(), &bulk))
    });
    group.finish();
    // The archives the loads read (also when only the load benchmarks are selected).
    buffer.clear();
    serde_write(Cursor::new(&mut buffer), &plain);
    write_direct(&path, &direct_arrays);
    drop((plain, bulk, direct_arrays));

    let mut group = configure(c, "load 4 x 64 MiB f32 from memory");
    group.bench_function("direct", |bench| {
        bench.iter(|| {
            let mut reader = NpzReader::new(Cursor::new(&buffer)).unwrap();
            let arrays: Vec<Array2<f32>> = ["a", "b", "c", "d"]
                .iter()
                .map(|name| reader.read(name).unwrap())
                .collect();
            black_box(arrays)
        })
    });
    group.bench_function("serde_plain", |bench| {
        bench.iter(|| black_box(npy_serde::from_slice::<Plain>(&buffer).unwrap()))
    });
    group.bench_function("serde_bulk", |bench| {
        bench.iter(|| black_box(npy_serde::from_slice::<Bulk>(&buffer).unwrap()))
    });
    group.finish();

    let mut group = configure(c, "load 4 x 64 MiB f32 from a file");
    group.bench_function("direct", |bench| {
        bench.iter(|| black_box(read_direct(&path)))
    });
    group.bench_function("serde_plain", |bench| {
        bench.iter(|| black_box(npy_serde::from_path::<Plain, _>(&path).unwrap()))
    });
    group.bench_function("serde_bulk", |bench| {
        bench.iter(|| black_box(npy_serde::from_path::<Bulk, _>(&path).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
