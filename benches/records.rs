//! Reading and writing 10 million `{x: f64, y: i32, pos: [f32; 3]}` records (240 MB), side
//! by side with anchors measured in the same run:
//!
//! - `raw`: `std::fs::read` / `std::fs::write` of the same bytes (the floor);
//! - `npy_serde_pod`: `#[derive(NpyElement)] #[npy(pod)] #[repr(C)]`: the file is the
//!   struct's memory, so reading is one bulk copy;
//! - `npy_serde_plan`: the same fields in a plain (non-`pod`) derived struct: read through
//!   the per-array plan, one column per field;
//! - `npy_serde_plan_reordered`: the plain struct reading a file whose fields are in
//!   another order with an extra field (what zero-copy cannot do);
//! - `npyz`: npyz 0.9's `#[derive(Deserialize, AutoSerialize)]`.
//!
//! Files live under `target/bench-records/`, so reads come from the page cache. Writes go
//! through `write_npy` into a `BufWriter<File>` (no fsync, as the anchors). After criterion,
//! `benches/records_compare.py` times NumPy's `np.load`/`np.save` on the same files and
//! prints every figure as a ratio against the raw anchor and against npyz.
//!
//! Run with `cargo bench --bench records`.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput};
use npy_serde::npy::NpyWrite;
use npy_serde::{NpyElement, WriteOptions};
use npyz::WriterBuilder;

const COUNT: usize = 10_000_000;

#[path = "support/records.rs"]
mod records_types;
use records_types::{NpyzPoint, PodPoint, Point, Reordered};

fn pod_points() -> Vec<PodPoint> {
    (0..COUNT)
        .map(|i| PodPoint {
            x: i as f64 * 0.5,
            y: i as i32,
            pos: [i as f32, 1.0, 2.0],
        })
        .collect()
}

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Bytes((COUNT * 24) as u64));
}

fn write_file<T: NpyElement>(path: &Path, values: &[T]) {
    let mut writer = BufWriter::new(File::create(path).unwrap());
    values
        .write_npy(&mut writer, &WriteOptions::default())
        .unwrap();
    std::io::Write::flush(&mut writer).unwrap();
}

fn npyz_write(path: &Path, values: &[NpyzPoint]) {
    let writer = BufWriter::new(File::create(path).unwrap());
    let mut out = npyz::WriteOptions::<NpyzPoint>::new()
        .default_dtype()
        .shape(&[values.len() as u64])
        .writer(writer)
        .begin_nd()
        .unwrap();
    out.extend(values.iter().copied()).unwrap();
    out.finish().unwrap();
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-records");
    std::fs::create_dir_all(&dir).unwrap();
    let points_path = dir.join("points.npy");
    let reordered_path = dir.join("points_reordered.npy");
    let pods = pod_points();
    write_file(&points_path, &pods);
    let reordered: Vec<Reordered> = pods
        .iter()
        .map(|p| Reordered {
            pos: p.pos,
            extra: 7,
            y: p.y,
            x: p.x,
        })
        .collect();
    write_file(&reordered_path, &reordered);
    drop(reordered);
    let plain: Vec<Point> = npy_serde::npy::load(&points_path).unwrap();
    let npyz_points: Vec<NpyzPoint> = pods
        .iter()
        .map(|p| NpyzPoint {
            x: p.x,
            y: p.y,
            pos: p.pos,
        })
        .collect();
    let file_bytes = std::fs::read(&points_path).unwrap();

    // The readers agree before anything is timed.
    let npyz_back: Vec<NpyzPoint> = npyz::NpyFile::new(&file_bytes[..])
        .unwrap()
        .into_vec()
        .unwrap();
    assert_eq!(npyz_back[123_456], npyz_points[123_456]);
    assert_eq!(plain[123_456].pos, pods[123_456].pos);
    drop(npyz_back);

    let mut criterion = Criterion::default().configure_from_args();
    {
        let mut group = criterion.benchmark_group("records_read");
        configure(&mut group);
        group.bench_function("raw", |b| {
            b.iter(|| black_box(std::fs::read(&points_path).unwrap()))
        });
        group.bench_function("npy_serde_pod", |b| {
            b.iter(|| black_box(npy_serde::npy::load::<Vec<PodPoint>, _>(&points_path).unwrap()))
        });
        group.bench_function("npy_serde_plan", |b| {
            b.iter(|| black_box(npy_serde::npy::load::<Vec<Point>, _>(&points_path).unwrap()))
        });
        group.bench_function("npy_serde_plan_reordered", |b| {
            b.iter(|| black_box(npy_serde::npy::load::<Vec<Point>, _>(&reordered_path).unwrap()))
        });
        group.bench_function("npyz", |b| {
            b.iter(|| {
                let file = BufReader::new(File::open(&points_path).unwrap());
                let values: Vec<NpyzPoint> = npyz::NpyFile::new(file).unwrap().into_vec().unwrap();
                black_box(values)
            })
        });
        group.finish();
    }
    {
        let out = dir.join("written.npy");
        let mut group = criterion.benchmark_group("records_write");
        configure(&mut group);
        group.bench_function("raw", |b| {
            b.iter(|| std::fs::write(&out, &file_bytes).unwrap())
        });
        group.bench_function("npy_serde_pod", |b| b.iter(|| write_file(&out, &pods)));
        group.bench_function("npy_serde_plan", |b| b.iter(|| write_file(&out, &plain)));
        group.bench_function("npyz", |b| b.iter(|| npyz_write(&out, &npyz_points)));
        group.finish();
    }
    criterion.final_summary();
    drop((pods, plain, npyz_points, file_bytes));

    // NumPy on the same files, then the ratio table (criterion's estimates + NumPy's).
    let script = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/records_compare.py"),
    )
    .unwrap();
    let criterion_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let script = format!(
        "import sys\nsys.argv = ['records_compare.py', {:?}, {:?}]\n{script}",
        dir.display().to_string(),
        criterion_dir.display().to_string()
    );
    print!("{}", test_support::run_python(&script, &dir));
}
