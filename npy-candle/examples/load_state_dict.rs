//! Loads a state dict once, as a resuming process does, with one of four readers, so that
//! whole processes can be timed side by side (`farm-bench`): the first load of a process
//! faults in all of its memory, which a benchmark's loop (`benches/state_dict.rs`) hides.
//!
//! `cargo run --release -p npy-candle --example load_state_dict -- READER ARCHIVE`, READER
//! one of `load` (`npy_candle::load`), `var_builder` (`npy_candle::var_builder`, every
//! member got), `candle` (`Tensor::read_npz`), `candle_var_builder`
//! (`VarBuilder::from_npz`), and an optional count of loads in the same process (default
//! 1). It prints the members and bytes loaded and each load's time.

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(reader), Some(path)) = (args.next(), args.next()) else {
        return Err(
            "usage: load_state_dict load|var_builder|candle|candle_var_builder ARCHIVE [LOADS]"
                .into(),
        );
    };
    let device = Device::Cpu;
    // The shapes, for the VarBuilders (read from the directory and headers only).
    let mut archive = npy_serde::npz::Reader::open(&path)?;
    let mut shapes = Vec::new();
    for name in archive.names() {
        let shape = archive.header(&name)?.header.shape;
        shapes.push((name, shape));
    }
    let repeats: usize = args.next().map_or(Ok(1), |n| n.parse())?;
    for _ in 0..repeats {
        load_once(&reader, &path, &shapes, &device)?;
    }
    Ok(())
}

/// Loads every member with `reader` and prints how long it took.
fn load_once(
    reader: &str,
    path: &str,
    shapes: &[(String, Vec<usize>)],
    device: &Device,
) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let tensors: Vec<Tensor> = match reader {
        "load" => npy_candle::load(path, device)?
            .into_iter()
            .map(|(_, t)| t)
            .collect(),
        "candle" => Tensor::read_npz(path)?
            .into_iter()
            .map(|(_, t)| t)
            .collect(),
        "var_builder" | "candle_var_builder" => {
            let vb = if reader == "var_builder" {
                npy_candle::var_builder(path, DType::F32, device)?
            } else {
                VarBuilder::from_npz(path, DType::F32, device)?
            };
            let got: candle_core::Result<Vec<Tensor>> = shapes
                .iter()
                .map(|(name, shape)| vb.get(shape.as_slice(), name))
                .collect();
            got?
        }
        other => return Err(format!("unknown reader {other}").into()),
    };
    let elapsed = start.elapsed();
    let bytes: usize = tensors
        .iter()
        .map(|t| t.elem_count() * t.dtype().size_in_bytes())
        .sum();
    println!(
        "{reader}: {} members, {:.1} MiB in {:.3} s",
        tensors.len(),
        bytes as f64 / (1 << 20) as f64,
        elapsed.as_secs_f64()
    );
    drop(tensors);
    Ok(())
}
