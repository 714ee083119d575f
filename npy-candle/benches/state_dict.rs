//! A state dict of 500 f32 members (about 1 GiB; `NPY_CANDLE_BENCH_MIB` to change), stored
//! and deflated, loaded as candle tensors: ours (`npy_candle::load`, and a `VarBuilder`
//! over `NpzBackend` getting every member) against candle's own `Tensor::read_npz` and
//! `VarBuilder::from_npz`, side by side in one run (candle refuses the deflated archive:
//! its zip reader is built without deflate). The archives are made once, under the target
//! directory, and reused.
//!
//! `cargo bench -p npy-candle --bench state_dict`

use std::path::{Path, PathBuf};
use std::time::Duration;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use npy_serde::npz::{self, Compression};
use npy_serde::WriteOptions;

const MEMBERS: usize = 500;

fn total_mib() -> usize {
    std::env::var("NPY_CANDLE_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

/// Member `i`'s shape: rows of 512 floats, sizes varying around the mean as layers do.
fn shape(i: usize, mib: usize) -> (usize, usize) {
    let mean_rows = mib * (1 << 20) / 4 / 512 / MEMBERS;
    let rows = (mean_rows * (50 + i % 101) / 100).max(1);
    (rows, 512)
}

/// Makes (once) the stored and the deflated archive of `mib` MiB.
fn archives(mib: usize) -> [(&'static str, PathBuf); 2] {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("npy-candle-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let stored = dir.join(format!("state-{mib}MiB-stored.npz"));
    let deflated = dir.join(format!("state-{mib}MiB-deflated.npz"));
    for (path, compression) in [
        (&stored, Compression::Stored),
        (&deflated, Compression::NUMPY_DEFLATE),
    ] {
        if path.exists() {
            continue;
        }
        let options = WriteOptions::default().with_compression(compression);
        let mut writer = npz::Writer::create_with(path, &options).expect("create");
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..MEMBERS {
            let (rows, cols) = shape(i, mib);
            // Weights of a trained layer: small, noisy, 12 significant bits (deflate takes
            // about a third off, as it does for real checkpoints).
            let values: Vec<f32> = (0..rows * cols)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let v = ((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.1;
                    f32::from_bits(v.to_bits() & 0xFFFF_F000)
                })
                .collect();
            let array = npy_serde::ndarray::Array2::from_shape_vec((rows, cols), values).unwrap();
            writer
                .add(&format!("layers.{i}.weight"), &array)
                .expect("add");
        }
        writer.finish().expect("finish");
    }
    [("stored", stored), ("deflated", deflated)]
}

fn bench(c: &mut Criterion) {
    let mib = total_mib();
    let device = Device::Cpu;
    for (kind, path) in archives(mib) {
        let names: Vec<(String, Vec<usize>)> = npy_candle::load(&path, &device)
            .expect("load")
            .into_iter()
            .map(|(n, t)| (n, t.dims().to_vec()))
            .collect();
        let bytes: u64 = names
            .iter()
            .map(|(_, s)| s.iter().product::<usize>() as u64 * 4)
            .sum();
        let mut group = c.benchmark_group(format!("state_dict_{mib}MiB_{kind}"));
        group.throughput(Throughput::Bytes(bytes));
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(20));
        group.bench_function("npy_candle::load", |b| {
            b.iter(|| npy_candle::load(&path, &device).expect("load"))
        });
        // candle-core 0.11 builds its zip reader without deflate: compressed archives are
        // refused ("compression method not supported: 8"), so only ours is timed there.
        let candle_reads = match Tensor::read_npz(&path) {
            Ok(_) => true,
            Err(e) => {
                println!("{kind}: candle refuses the archive: {e}");
                false
            }
        };
        if candle_reads {
            group.bench_function("candle Tensor::read_npz", |b| {
                b.iter(|| Tensor::read_npz(&path).expect("read_npz"))
            });
        }
        group.bench_function("npy_candle::var_builder + get all", |b| {
            b.iter(|| {
                let vb = npy_candle::var_builder(&path, DType::F32, &device).expect("open");
                get_all(&vb, &names)
            })
        });
        if candle_reads {
            group.bench_function("candle VarBuilder::from_npz + get all", |b| {
                b.iter(|| {
                    let vb = VarBuilder::from_npz(&path, DType::F32, &device).expect("open");
                    get_all(&vb, &names)
                })
            });
        }
        group.finish();
    }
}

/// Every member got from `vb`, as a model's constructor would, in archive order.
fn get_all(vb: &VarBuilder<'_>, names: &[(String, Vec<usize>)]) -> Vec<Tensor> {
    names
        .iter()
        .map(|(n, s)| vb.get(s.as_slice(), n).expect("get"))
        .collect()
}

criterion_group!(benches, bench);
criterion_main!(benches);
