//! Saving and loading a 256 MiB float64 array, side by side with anchors measured in the
//! same run: a raw write/read of the same bytes (the floor any library sits on), ndarray-npy
//! 0.10 and npyz 0.9. Files live in a temp dir under `target/`, so reads come from the page
//! cache. `benches/compare_numpy.py` times NumPy on the same array and `benches/ratios.py`
//! prints every figure as a ratio against the raw anchor of its group; `benches/run.sh`
//! runs all three.
//!
//! Groups (the raw anchor of each moves the same bytes):
//! - `save_file` / `load_file`: to and from a file. `npy_serde::save` is atomic (temp file,
//!   fsync, rename), so `npy_serde/write_npy` (plain `File` + `BufWriter`) is measured too,
//!   and `raw_fsync` is the raw write with the same fsync.
//! - `save_mem` / `load_mem`: to and from a `Vec<u8>`.
//! - `load_big_endian_mem`: a `>f8` file, loaded with a byte swap.
//! - `save_strided_mem`: a non-contiguous view (every other column), copied out by each
//!   library; the raw anchor is `iter().copied().collect()` of the same view.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use ndarray::{s, Array1, Array2};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use npyz::WriterBuilder;

const LEN: usize = 256 * 1024 * 1024 / 8;

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, bytes: usize) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(bytes as u64));
}

fn values() -> Array1<f64> {
    Array1::from_iter((0..LEN).map(|i| i as f64 * 0.5))
}

fn npyz_write<W: Write>(writer: W, values: &[f64]) {
    let mut out = npyz::WriteOptions::<f64>::new()
        .default_dtype()
        .shape(&[values.len() as u64])
        .writer(writer)
        .begin_nd()
        .unwrap();
    out.extend(values.iter().copied()).unwrap();
    out.finish().unwrap();
}

fn sync_write(path: &Path, bytes: &[u8]) {
    let mut file = File::create(path).unwrap();
    file.write_all(bytes).unwrap();
    file.sync_all().unwrap();
}

fn bench_file(c: &mut Criterion, array: &Array1<f64>, npy_bytes: &[u8], dir: &Path) {
    let values = array.as_slice().unwrap();
    let path = dir.join("bench.npy");

    let mut group = c.benchmark_group("save_file");
    configure(&mut group, npy_bytes.len());
    group.bench_function("raw", |b| {
        b.iter(|| std::fs::write(&path, npy_bytes).unwrap())
    });
    group.bench_function("raw_fsync", |b| b.iter(|| sync_write(&path, npy_bytes)));
    group.bench_function("npy_serde/save", |b| {
        b.iter(|| npy_serde::npy::save(&path, array).unwrap())
    });
    group.bench_function("npy_serde/write_npy", |b| {
        b.iter(|| {
            let mut writer = BufWriter::new(File::create(&path).unwrap());
            npy_serde::npy::write(&mut writer, array).unwrap();
            writer.flush().unwrap();
        })
    });
    group.bench_function("ndarray_npy", |b| {
        b.iter(|| ndarray_npy::write_npy(&path, array).unwrap())
    });
    group.bench_function("npyz", |b| {
        b.iter(|| npyz_write(BufWriter::new(File::create(&path).unwrap()), values))
    });
    group.finish();

    std::fs::write(&path, npy_bytes).unwrap();
    let mut group = c.benchmark_group("load_file");
    configure(&mut group, npy_bytes.len());
    group.bench_function("raw", |b| {
        b.iter(|| black_box(std::fs::read(&path).unwrap()))
    });
    group.bench_function("npy_serde/Vec", |b| {
        b.iter(|| black_box(npy_serde::npy::load::<Vec<f64>, _>(&path).unwrap()))
    });
    group.bench_function("npy_serde/Array1", |b| {
        b.iter(|| black_box(npy_serde::npy::load::<Array1<f64>, _>(&path).unwrap()))
    });
    group.bench_function("npy_serde/NpyArray", |b| {
        b.iter(|| black_box(npy_serde::npy::load::<npy_serde::NpyArray, _>(&path).unwrap()))
    });
    group.bench_function("ndarray_npy", |b| {
        b.iter(|| black_box(ndarray_npy::read_npy::<_, Array1<f64>>(&path).unwrap()))
    });
    group.bench_function("npyz", |b| {
        b.iter(|| {
            let file = BufReader::new(File::open(&path).unwrap());
            black_box(npyz::NpyFile::new(file).unwrap().into_vec::<f64>().unwrap())
        })
    });
    group.finish();
}

fn bench_memory(c: &mut Criterion, array: &Array1<f64>, npy_bytes: &[u8]) {
    let values = array.as_slice().unwrap();

    let mut group = c.benchmark_group("save_mem");
    configure(&mut group, npy_bytes.len());
    group.bench_function("raw", |b| b.iter(|| black_box(npy_bytes.to_vec())));
    group.bench_function("npy_serde", |b| {
        b.iter(|| black_box(npy_serde::npy::to_vec(array).unwrap()))
    });
    group.bench_function("ndarray_npy", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            array.write_npy(&mut out).unwrap();
            black_box(out)
        })
    });
    group.bench_function("npyz", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            npyz_write(&mut out, values);
            black_box(out)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("load_mem");
    configure(&mut group, npy_bytes.len());
    group.bench_function("raw", |b| b.iter(|| black_box(npy_bytes.to_vec())));
    group.bench_function("npy_serde", |b| {
        b.iter(|| black_box(npy_serde::npy::from_slice::<Vec<f64>>(npy_bytes).unwrap()))
    });
    group.bench_function("ndarray_npy", |b| {
        b.iter(|| black_box(Array1::<f64>::read_npy(npy_bytes).unwrap()))
    });
    group.bench_function("npyz", |b| {
        b.iter(|| {
            black_box(
                npyz::NpyFile::new(npy_bytes)
                    .unwrap()
                    .into_vec::<f64>()
                    .unwrap(),
            )
        })
    });
    group.finish();
}

fn bench_big_endian(c: &mut Criterion, array: &Array1<f64>) {
    let options = npy_serde::WriteOptions::default().with_endian(npy_serde::dtype::Endian::Big);
    let mut big = Vec::new();
    npy_serde::npy::NpyWrite::write_npy(array, &mut big, &options).unwrap();

    let mut group = c.benchmark_group("load_big_endian_mem");
    configure(&mut group, big.len());
    group.bench_function("raw", |b| b.iter(|| black_box(big.to_vec())));
    group.bench_function("npy_serde", |b| {
        b.iter(|| black_box(npy_serde::npy::from_slice::<Vec<f64>>(&big).unwrap()))
    });
    group.bench_function("ndarray_npy", |b| {
        b.iter(|| black_box(Array1::<f64>::read_npy(&big[..]).unwrap()))
    });
    group.bench_function("npyz", |b| {
        b.iter(|| {
            black_box(
                npyz::NpyFile::new(&big[..])
                    .unwrap()
                    .into_vec::<f64>()
                    .unwrap(),
            )
        })
    });
    group.finish();
}

fn bench_strided(c: &mut Criterion, array: Array1<f64>) {
    let matrix: Array2<f64> = array.into_shape_with_order((4096, LEN / 4096)).unwrap();
    let view = matrix.slice(s![.., ..;2]);
    let bytes = view.len() * 8;

    let mut group = c.benchmark_group("save_strided_mem");
    configure(&mut group, bytes);
    group.bench_function("raw", |b| {
        b.iter(|| black_box(view.iter().copied().collect::<Vec<f64>>()))
    });
    group.bench_function("npy_serde", |b| {
        b.iter(|| black_box(npy_serde::npy::to_vec(&view).unwrap()))
    });
    group.bench_function("ndarray_npy", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            view.write_npy(&mut out).unwrap();
            black_box(out)
        })
    });
    group.bench_function("npyz", |b| {
        b.iter(|| {
            let mut out = npyz::WriteOptions::<f64>::new()
                .default_dtype()
                .shape(&[view.nrows() as u64, view.ncols() as u64])
                .writer(Vec::new())
                .begin_nd()
                .unwrap();
            out.extend(view.iter().copied()).unwrap();
            out.finish().unwrap();
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let array = values();
    let npy_bytes = npy_serde::npy::to_vec(&array).unwrap();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    bench_file(c, &array, &npy_bytes, dir.path());
    bench_memory(c, &array, &npy_bytes);
    drop(npy_bytes);
    bench_big_endian(c, &array);
    bench_strided(c, array);
}

criterion_group!(npy, benches);
criterion_main!(npy);
