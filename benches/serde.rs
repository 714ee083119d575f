//! The serde format against the direct npz writer and reader it is built on: a struct of
//! four 64 MiB arrays saved and loaded both ways, to the same kind of file, side by side,
//! for float32 (4096 x 4096 each) and float64 (4096 x 2048 each).
//!
//! - `direct`: `npz::Writer::add` per array / `npz::Reader::read::<Array2<E>>` per member.
//! - `direct_vec`: the same with one-dimensional `Vec<E>`s (the anchor of `serde_vec`).
//! - `serde_array`: plain `ndarray` fields, no attributes.
//! - `serde_vec`: plain `Vec<E>` fields, no attributes.
//! - `serde_bulk`: the fields as `npy_serde::Bulk<Array2<E>>` (bytes moved in one piece).
//!
//! Then a map of arrays in a struct, as a `BTreeMap` (written as it iterates) and as a
//! `HashMap` (written in sorted key order, a window of entries at a time): 4 x 64 MiB and
//! 256 x 1 MiB of float32, to memory.
//!
//! Each is timed to a reused in-memory buffer (the encoding work alone) and to a file (what
//! users see; disk and page-cache effects included), through the same `npz::Writer` (the
//! serde side via `npy_serde::Serializer`, so neither pays for an atomic rename). Run with
//! `cargo bench --bench serde` (or `-- f64`, `-- "load .* f32"` to pick groups); the goal:
//! plain fields and the bulk path within 1.3x of direct both ways, for both dtypes.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::fs::File;
use std::hint::black_box;
use std::io::{Cursor, Seek, Write};
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use npy_serde::element::BulkElement;
use npy_serde::npz::{Reader as NpzReader, Writer as NpzWriter};
use npy_serde::NpyElement;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

const NAMES: [&str; 4] = ["a", "b", "c", "d"];
/// Bytes in each array.
const ARRAY_BYTES: usize = 64 << 20;
const COLUMNS: usize = 4096;

#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
struct PlainArrays<E: Element> {
    a: Array2<E>,
    b: Array2<E>,
    c: Array2<E>,
    d: Array2<E>,
}

#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
struct PlainVecs<E: Element> {
    a: Vec<E>,
    b: Vec<E>,
    c: Vec<E>,
    d: Vec<E>,
}

#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
struct BulkArrays<E: Element> {
    a: npy_serde::Bulk<Array2<E>>,
    b: npy_serde::Bulk<Array2<E>>,
    c: npy_serde::Bulk<Array2<E>>,
    d: npy_serde::Bulk<Array2<E>>,
}

/// The element types measured: f32 and f64.
trait Element:
    BulkElement + NpyElement + Serialize + DeserializeOwned + Clone + Debug + 'static
{
    const NAME: &'static str;
    fn from_index(index: usize) -> Self;
}

impl Element for f32 {
    const NAME: &'static str = "f32";
    fn from_index(index: usize) -> Self {
        index as f32 * 0.5
    }
}

impl Element for f64 {
    const NAME: &'static str = "f64";
    fn from_index(index: usize) -> Self {
        index as f64 * 0.5
    }
}

/// Serializes `value` into an archive on `out` through the same writer `direct` uses.
fn serde_write<W: Write + Seek, T: Serialize>(out: W, value: &T) {
    let mut serializer = npy_serde::Serializer::new(out);
    value.serialize(&mut serializer).unwrap();
    serializer.finish().unwrap();
}

/// Four 64 MiB arrays of `E`, distinct values.
fn arrays<E: Element>() -> [Array2<E>; 4] {
    let rows = ARRAY_BYTES / size_of::<E>() / COLUMNS;
    std::array::from_fn(|k| {
        Array2::from_shape_fn((rows, COLUMNS), |(i, j)| E::from_index(i * COLUMNS + j + k))
    })
}

/// Writes `arrays` as members a, b, c, d with `NpzWriter::add`.
fn write_direct<W: Write + Seek, A: npy_serde::npy::NpyWrite>(out: W, arrays: &[A; 4]) {
    let mut writer = NpzWriter::new(out);
    for (name, array) in NAMES.iter().zip(arrays) {
        writer.add(name, array).unwrap();
    }
    writer.finish().unwrap();
}

/// Reads members a, b, c, d as `T` with `NpzReader::read`.
fn read_direct<R: std::io::Read + Seek, T: npy_serde::npy::NpyRead>(
    mut reader: NpzReader<R>,
) -> Vec<T> {
    NAMES
        .iter()
        .map(|name| reader.read(name).unwrap())
        .collect()
}

/// The reader `from_slice` uses, over `bytes`.
fn memory_reader(bytes: &[u8]) -> NpzReader<Cursor<&[u8]>> {
    NpzReader::new(Cursor::new(bytes)).unwrap()
}

/// The reader `from_path` uses, over the file at `path`.
fn file_reader(path: &Path) -> NpzReader<File> {
    NpzReader::open(path).unwrap()
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

fn bench_element<E: Element>(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.npz");
    let vec_path = dir.path().join("vecs.npz");
    let direct_arrays = arrays::<E>();
    let direct_vecs: [Vec<E>; 4] =
        std::array::from_fn(|k| direct_arrays[k].iter().cloned().collect());
    let [a, b, c2, d] = direct_arrays.clone();
    let plain = PlainArrays { a, b, c: c2, d };
    let [a, b, c2, d] = direct_vecs.clone();
    let vecs = PlainVecs { a, b, c: c2, d };
    let [a, b, c2, d] = direct_arrays.clone().map(npy_serde::Bulk);
    let bulk = BulkArrays { a, b, c: c2, d };
    let element = E::NAME;
    // In memory: a reused buffer, so only the encoding work is timed (no disk, no page
    // faults of a fresh buffer).
    let mut buffer: Vec<u8> = Vec::with_capacity(300 << 20);

    let mut group = configure(c, &format!("save 4 x 64 MiB {element} to memory"));
    group.bench_function("direct", |bench| {
        bench.iter(|| {
            buffer.clear();
            write_direct(Cursor::new(&mut buffer), &direct_arrays)
        })
    });
    group.bench_function("direct_vec", |bench| {
        bench.iter(|| {
            buffer.clear();
            write_direct(Cursor::new(&mut buffer), &direct_vecs)
        })
    });
    group.bench_function("serde_array", |bench| {
        bench.iter(|| {
            buffer.clear();
            serde_write(Cursor::new(&mut buffer), &plain)
        })
    });
    group.bench_function("serde_vec", |bench| {
        bench.iter(|| {
            buffer.clear();
            serde_write(Cursor::new(&mut buffer), &vecs)
        })
    });
    group.bench_function("serde_bulk", |bench| {
        bench.iter(|| {
            buffer.clear();
            serde_write(Cursor::new(&mut buffer), &bulk)
        })
    });
    group.finish();

    let mut group = configure(c, &format!("save 4 x 64 MiB {element} to a file"));
    group.bench_function("direct", |bench| {
        bench.iter(|| write_direct(File::create(&path).unwrap(), &direct_arrays))
    });
    group.bench_function("direct_vec", |bench| {
        bench.iter(|| write_direct(File::create(&vec_path).unwrap(), &direct_vecs))
    });
    group.bench_function("serde_array", |bench| {
        bench.iter(|| serde_write(File::create(&path).unwrap(), &plain))
    });
    group.bench_function("serde_vec", |bench| {
        bench.iter(|| serde_write(File::create(&vec_path).unwrap(), &vecs))
    });
    group.bench_function("serde_bulk", |bench| {
        bench.iter(|| serde_write(File::create(&path).unwrap(), &bulk))
    });
    group.finish();

    // The archives the loads read (also when only the load benchmarks are selected): 2-D
    // members for the arrays, 1-D ones for the `Vec`s.
    buffer.clear();
    write_direct(Cursor::new(&mut buffer), &direct_arrays);
    let mut vec_buffer: Vec<u8> = Vec::new();
    write_direct(Cursor::new(&mut vec_buffer), &direct_vecs);
    write_direct(File::create(&path).unwrap(), &direct_arrays);
    write_direct(File::create(&vec_path).unwrap(), &direct_vecs);
    drop((plain, vecs, bulk, direct_arrays, direct_vecs));

    let mut group = configure(c, &format!("load 4 x 64 MiB {element} from memory"));
    group.bench_function("direct", |bench| {
        bench.iter(|| black_box(read_direct::<_, Array2<E>>(memory_reader(&buffer))))
    });
    group.bench_function("direct_vec", |bench| {
        bench.iter(|| black_box(read_direct::<_, Vec<E>>(memory_reader(&vec_buffer))))
    });
    group.bench_function("serde_array", |bench| {
        bench.iter(|| black_box(npy_serde::from_slice::<PlainArrays<E>>(&buffer).unwrap()))
    });
    group.bench_function("serde_vec", |bench| {
        bench.iter(|| black_box(npy_serde::from_slice::<PlainVecs<E>>(&vec_buffer).unwrap()))
    });
    group.bench_function("serde_bulk", |bench| {
        bench.iter(|| black_box(npy_serde::from_slice::<BulkArrays<E>>(&buffer).unwrap()))
    });
    group.finish();

    let mut group = configure(c, &format!("load 4 x 64 MiB {element} from a file"));
    group.bench_function("direct", |bench| {
        bench.iter(|| black_box(read_direct::<_, Array2<E>>(file_reader(&path))))
    });
    group.bench_function("direct_vec", |bench| {
        bench.iter(|| black_box(read_direct::<_, Vec<E>>(file_reader(&vec_path))))
    });
    group.bench_function("serde_array", |bench| {
        bench.iter(|| black_box(npy_serde::from_path::<PlainArrays<E>, _>(&path).unwrap()))
    });
    group.bench_function("serde_vec", |bench| {
        bench.iter(|| black_box(npy_serde::from_path::<PlainVecs<E>, _>(&vec_path).unwrap()))
    });
    group.bench_function("serde_bulk", |bench| {
        bench.iter(|| black_box(npy_serde::from_path::<BulkArrays<E>, _>(&path).unwrap()))
    });
    group.finish();
}

/// A map of arrays, held in a struct as a model's state would be.
#[derive(Serialize)]
struct Layers<'a, M> {
    layers: &'a M,
}

/// Hash maps are written in sorted key order, a window of entries at a time (see the
/// serializer's `map_order`); a `BTreeMap` of the same arrays is written as it iterates.
/// Big entries are written one per pass as they come; small ones are gathered per window.
fn bench_maps(c: &mut Criterion) {
    let mut buffer: Vec<u8> = Vec::with_capacity(300 << 20);
    let mut group = configure(c, "save maps of f32 arrays to memory");
    for (count, side) in [(4, 4096), (256, 512)] {
        let arrays: Vec<(String, Array2<f32>)> = (0..count)
            .map(|k| {
                let array = Array2::from_shape_fn((side, side), |(i, j)| (i + j + k) as f32);
                (format!("layer{k}"), array)
            })
            .collect();
        let mib = (side * side * 4) >> 20;
        let sorted: BTreeMap<String, Array2<f32>> = arrays.iter().cloned().collect();
        group.bench_function(format!("btree_{count}x{mib}MiB"), |bench| {
            bench.iter(|| {
                buffer.clear();
                serde_write(Cursor::new(&mut buffer), &Layers { layers: &sorted })
            })
        });
        drop(sorted);
        let hashed: HashMap<String, Array2<f32>> = arrays.into_iter().collect();
        group.bench_function(format!("hash_{count}x{mib}MiB"), |bench| {
            bench.iter(|| {
                buffer.clear();
                serde_write(Cursor::new(&mut buffer), &Layers { layers: &hashed })
            })
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    bench_element::<f32>(c);
    bench_element::<f64>(c);
    bench_maps(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
