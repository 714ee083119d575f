//! Checkpointing a training run with serde and `npy_serde::checkpoint::CheckpointManager`.
//!
//! The training state is a plain struct with `#[derive(Serialize, Deserialize)]`: a `Vec`
//! of layers (each a weight matrix and a bias vector), an optimizer state map that is empty
//! until the first step, metrics, the epoch and the learning rate. Every epoch the manager
//! saves it as `checkpoint_{epoch:010}.npz`, one NumPy array per field (`layers/0/weight`,
//! `optimizer/layers.0.weight`, `metrics/loss_history`, `epoch`, …): `save` takes a
//! snapshot and returns, and the file is written, synced and renamed into place on a
//! background thread while the next epoch trains. Only the last two checkpoints are kept.
//! Then the program "restarts", asks the manager for the latest checkpoint and resumes.
//!
//! Between runs the learning rate is lowered in NumPy, as one would in a notebook:
//!
//! ```python
//! d = dict(np.load(f)); d["lr"] = 0.01; np.savez(f, **d)
//! ```
//!
//! NumPy stores that `0.01` as a float64; it loads back into the `f32` field by value.
//! This step needs `python3` with NumPy (or `NPY_SERDE_PYTHON` pointing at a Python that
//! has it); without one the example says so and carries on.
//!
//! Run with `cargo run --example checkpoint` (checkpoints go to a temporary directory), or
//! `cargo run --example checkpoint -- ./checkpoints` to keep them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::{Array1, Array2, ArrayD, Axis};
use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
use serde::{Deserialize, Serialize};

/// One dense layer: y = x . weight^T + bias.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Layer {
    weight: Array2<f32>,
    bias: Array1<f32>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Metrics {
    /// Mean squared error after each epoch.
    loss_history: Vec<f32>,
    best_loss: f32,
}

/// Everything needed to resume training.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct TrainState {
    epoch: u32,
    lr: f32,
    layers: Vec<Layer>,
    /// Momentum per parameter, named as PyTorch names them ("layers.0.weight"). Empty
    /// before the first step.
    optimizer: HashMap<String, ArrayD<f32>>,
    metrics: Metrics,
}

const STEPS_PER_EPOCH: usize = 25;
const MOMENTUM: f32 = 0.9;

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let kept_dir = std::env::args().nth(1).map(PathBuf::from);
    let temp_dir = tempfile::tempdir()?;
    let dir = kept_dir
        .clone()
        .unwrap_or_else(|| temp_dir.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    println!("Checkpoints go to {}", dir.display());

    let (x, y) = generate_data(128);
    let options = CheckpointOptions::default().with_max_to_keep(2);

    // First run: the initial state (optimizer state still empty), then three epochs.
    let mut manager = CheckpointManager::open(&dir, options.clone())?;
    let mut state = TrainState {
        epoch: 0,
        lr: 0.05,
        layers: vec![init_layer(8, 3, 1), init_layer(1, 8, 2)],
        optimizer: HashMap::new(),
        metrics: Metrics {
            loss_history: Vec::new(),
            best_loss: f32::INFINITY,
        },
    };
    save_checkpoint(&mut manager, &state)?;
    manager.wait()?;
    let initial: TrainState = manager.restore(0)?;
    assert!(initial.optimizer.is_empty());
    for _ in 0..3 {
        // The previous epoch's checkpoint is written while this one trains.
        train_epoch(&mut state, &x, &y);
        save_checkpoint(&mut manager, &state)?;
    }
    // Before the process ends: the last save is on disk (and an error would show here).
    manager.wait()?;
    list_checkpoints(&manager)?;
    let latest = manager.path_of(manager.latest()?.ok_or("no checkpoint")?);
    let mut names = npy_serde::npz::Reader::open(&latest)?.names();
    names.sort();
    println!("{} holds {} arrays:", file_name(&latest), names.len());
    for line in names.chunks(3) {
        let columns: Vec<String> = line.iter().map(|name| format!("{name:<27}")).collect();
        println!("    {}", columns.concat().trim_end());
    }

    // Between runs, the learning rate is lowered in NumPy.
    edit_lr_in_numpy(&latest, 0.01);

    // The process "restarts": all that is left is the directory.
    drop((state, manager));
    let mut manager = CheckpointManager::open(&dir, options)?;
    let (epoch, mut state): (u64, TrainState) =
        manager.restore_latest()?.ok_or("no checkpoint found")?;
    println!(
        "Resumed from {}: epoch {}, lr {}, {} optimizer entries, {} losses recorded",
        file_name(&manager.path_of(epoch)),
        state.epoch,
        state.lr,
        state.optimizer.len(),
        state.metrics.loss_history.len()
    );
    for _ in 0..3 {
        train_epoch(&mut state, &x, &y);
        save_checkpoint(&mut manager, &state)?;
    }
    manager.wait()?;
    list_checkpoints(&manager)?;
    println!("Best loss {:.5}", state.metrics.best_loss);
    if kept_dir.is_none() {
        println!("(pass a directory argument to keep the checkpoints)");
    }
    Ok(())
}

/// Sets `lr` in the archive at `path` with NumPy, the way a notebook would, if a Python
/// with NumPy is available; otherwise says what it skipped.
fn edit_lr_in_numpy(path: &Path, lr: f64) {
    let python = std::env::var("NPY_SERDE_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let has_numpy = Command::new(&python)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !has_numpy {
        println!(
            "Skipped the NumPy edit (lr -> {lr}): no `{python}` with numpy found \
             (set NPY_SERDE_PYTHON to a Python that has it)"
        );
        return;
    }
    let script = format!(
        "import sys, numpy as np\n\
         f = sys.argv[1]\n\
         with np.load(f) as z:\n    d = dict(z)\n\
         d['lr'] = {lr}\n\
         np.savez(f, **d)\n"
    );
    let status = Command::new(&python)
        .args(["-c", &script])
        .arg(path)
        .status();
    match status {
        Ok(status) if status.success() => println!(
            "NumPy: d = dict(np.load(f)); d[\"lr\"] = {lr}; np.savez(f, **d)  on {}",
            file_name(path)
        ),
        _ => println!("Skipped the NumPy edit: `{python}` failed"),
    }
}

/// Small deterministic weights (a fixed-seed generator, so every run is the same).
fn init_layer(outputs: usize, inputs: usize, seed: u64) -> Layer {
    let mut uniform = xorshift(seed);
    let scale = 1.0 / (inputs as f32).sqrt();
    Layer {
        weight: Array2::from_shape_simple_fn((outputs, inputs), || uniform() * scale),
        bias: Array1::zeros(outputs),
    }
}

fn xorshift(seed: u64) -> impl FnMut() -> f32 {
    let mut state = 0x9E37_79B9_7F4A_7C15 ^ seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }
}

/// `n` points x in [-1, 1)^3 and y = sin(x0) + x1 * x2.
fn generate_data(n: usize) -> (Array2<f32>, Array2<f32>) {
    let x = Array2::from_shape_simple_fn((n, 3), xorshift(7));
    let y = x
        .map_axis(Axis(1), |row| row[0].sin() + row[1] * row[2])
        .insert_axis(Axis(1));
    (x, y)
}

/// One epoch of full-batch gradient descent with momentum on the mean squared error of a
/// two-layer tanh network.
fn train_epoch(state: &mut TrainState, x: &Array2<f32>, y: &Array2<f32>) {
    let n = x.nrows() as f32;
    for _ in 0..STEPS_PER_EPOCH {
        let (hidden_layer, output_layer) = (&state.layers[0], &state.layers[1]);
        let hidden = (x.dot(&hidden_layer.weight.t()) + &hidden_layer.bias).mapv(f32::tanh);
        let output = hidden.dot(&output_layer.weight.t()) + &output_layer.bias;
        let d_output = (output - y) * (2.0 / n);
        let d_hidden = d_output.dot(&output_layer.weight) * hidden.mapv(|h| 1.0 - h * h);
        let gradients = [
            ("layers.0.weight", d_hidden.t().dot(x).into_dyn()),
            ("layers.0.bias", d_hidden.sum_axis(Axis(0)).into_dyn()),
            ("layers.1.weight", d_output.t().dot(&hidden).into_dyn()),
            ("layers.1.bias", d_output.sum_axis(Axis(0)).into_dyn()),
        ];
        for (name, gradient) in gradients {
            let velocity = state
                .optimizer
                .entry(name.to_string())
                .or_insert_with(|| ArrayD::zeros(gradient.shape()));
            *velocity = &*velocity * MOMENTUM + &gradient;
            let step = &*velocity * state.lr;
            let layer = &mut state.layers[if name.starts_with("layers.0") { 0 } else { 1 }];
            if name.ends_with("weight") {
                layer.weight -= &step
                    .into_dimensionality::<ndarray::Ix2>()
                    .expect("a matrix");
            } else {
                layer.bias -= &step
                    .into_dimensionality::<ndarray::Ix1>()
                    .expect("a vector");
            }
        }
    }
    let (hidden_layer, output_layer) = (&state.layers[0], &state.layers[1]);
    let hidden = (x.dot(&hidden_layer.weight.t()) + &hidden_layer.bias).mapv(f32::tanh);
    let output = hidden.dot(&output_layer.weight.t()) + &output_layer.bias;
    let loss = (output - y).mapv(|e| e * e).mean().unwrap_or(f32::NAN);
    state.epoch += 1;
    state.metrics.loss_history.push(loss);
    state.metrics.best_loss = state.metrics.best_loss.min(loss);
}

/// Hands the state to the manager: a snapshot is taken and the file written in the
/// background, atomically (a crash mid-save never leaves a broken checkpoint listed).
fn save_checkpoint(manager: &mut CheckpointManager, state: &TrainState) -> npy_serde::Result<()> {
    let started = std::time::Instant::now();
    manager.save(u64::from(state.epoch), state)?;
    let loss = match state.metrics.loss_history.last() {
        Some(loss) => format!("loss {loss:.5}"),
        None => "untrained".to_string(),
    };
    println!(
        "epoch {}: {loss:<13} lr {:<5} snapshot taken in {:?}, {} optimizer entries",
        state.epoch,
        state.lr,
        started.elapsed(),
        state.optimizer.len()
    );
    Ok(())
}

/// The complete checkpoints the manager lists (the last two: older ones were deleted).
fn list_checkpoints(manager: &CheckpointManager) -> Result<(), Box<dyn std::error::Error>> {
    for step in manager.steps()? {
        let path = manager.path_of(step);
        println!(
            "  kept {} ({} bytes)",
            file_name(&path),
            std::fs::metadata(&path)?.len()
        );
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}
