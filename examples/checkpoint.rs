//! Checkpointing a training run with serde: the Rust counterpart of the
//! `CheckpointManager` people write in Python.
//!
//! A linear regression model is trained by gradient descent with momentum on generated
//! data. After every epoch the whole `TrainState` (a plain struct with
//! `#[derive(Serialize, Deserialize)]`) is saved as `checkpoint_epoch_N.npz`: one NumPy
//! array per field, nested structs as `weights/w`, `optimizer_state/velocity_w`, …, so
//! `np.load` opens it directly. Then the program "restarts": it scans the directory, loads
//! the latest checkpoint and carries on training from there.
//!
//! Run with `cargo run --example checkpoint` (checkpoints go to a temporary directory), or
//! `cargo run --example checkpoint -- ./checkpoints` to keep them and look at them in
//! NumPy: `np.load("checkpoints/checkpoint_epoch_6.npz")["weights/w"]`.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Axis};
use npy_serde::NpzReader;
use serde::{Deserialize, Serialize};

/// The model: y = x . w + b.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Linear {
    w: Array1<f64>,
    b: f64,
}

/// Gradient descent with momentum: its settings and running velocities.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Momentum {
    learning_rate: f64,
    beta: f64,
    velocity_w: Array1<f64>,
    velocity_b: f64,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Metrics {
    /// Mean squared error after each epoch.
    loss_history: Vec<f64>,
    best_loss: f64,
}

/// Everything needed to resume training.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct TrainState {
    epoch: u32,
    weights: Linear,
    optimizer_state: Momentum,
    metrics: Metrics,
}

const STEPS_PER_EPOCH: usize = 20;
const TRUE_W: [f64; 3] = [2.0, -3.0, 0.5];
const TRUE_B: f64 = 1.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kept_dir = std::env::args().nth(1).map(PathBuf::from);
    let temp_dir = tempfile::tempdir()?;
    let dir = kept_dir
        .clone()
        .unwrap_or_else(|| temp_dir.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    println!("Checkpoints go to {}\n", dir.display());

    let (x, y) = generate_data(256);

    // First run: three epochs, a checkpoint after each.
    let mut state = TrainState {
        epoch: 0,
        weights: Linear {
            w: Array1::zeros(3),
            b: 0.0,
        },
        optimizer_state: Momentum {
            learning_rate: 0.05,
            beta: 0.9,
            velocity_w: Array1::zeros(3),
            velocity_b: 0.0,
        },
        metrics: Metrics {
            loss_history: Vec::new(),
            best_loss: f64::INFINITY,
        },
    };
    for _ in 0..3 {
        train_epoch(&mut state, &x, &y);
        save_checkpoint(&dir, &state)?;
    }
    show_members(&checkpoint_path(&dir, state.epoch))?;

    // The process "restarts": all that is left is the directory.
    drop(state);
    let (epoch, path) = latest_checkpoint(&dir)?.ok_or("no checkpoint found")?;
    let mut state: TrainState = npy_serde::from_path(&path)?;
    assert_eq!(state.epoch, epoch);
    println!(
        "\nResumed from {} (epoch {}, loss {:.4}, {} losses recorded)",
        path.file_name().unwrap_or_default().to_string_lossy(),
        state.epoch,
        state
            .metrics
            .loss_history
            .last()
            .copied()
            .unwrap_or(f64::NAN),
        state.metrics.loss_history.len()
    );

    for _ in 0..3 {
        train_epoch(&mut state, &x, &y);
        save_checkpoint(&dir, &state)?;
    }

    println!(
        "\nAfter {} epochs: w = {:.3}, b = {:.3} (data made with w = {:?}, b = {})",
        state.epoch, state.weights.w, state.weights.b, TRUE_W, TRUE_B
    );
    println!("best loss {:.5}", state.metrics.best_loss);
    if kept_dir.is_none() {
        println!("(pass a directory argument to keep the checkpoints)");
    }
    Ok(())
}

/// `n` points x in [-1, 1)^3 and y = x . TRUE_W + TRUE_B + small noise, from a fixed-seed
/// generator so every run is the same.
fn generate_data(n: usize) -> (Array2<f64>, Array1<f64>) {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let x = Array2::from_shape_simple_fn((n, 3), &mut uniform);
    let noise = Array1::from_shape_simple_fn(n, || 0.05 * uniform());
    let y = x.dot(&Array1::from(TRUE_W.to_vec())) + TRUE_B + noise;
    (x, y)
}

/// One epoch of full-batch gradient descent with momentum on the mean squared error.
fn train_epoch(state: &mut TrainState, x: &Array2<f64>, y: &Array1<f64>) {
    let n = x.len_of(Axis(0)) as f64;
    let (model, opt) = (&mut state.weights, &mut state.optimizer_state);
    for _ in 0..STEPS_PER_EPOCH {
        let error = x.dot(&model.w) + model.b - y;
        let grad_w = x.t().dot(&error) * (2.0 / n);
        let grad_b = error.sum() * 2.0 / n;
        opt.velocity_w = &opt.velocity_w * opt.beta + &grad_w;
        opt.velocity_b = opt.velocity_b * opt.beta + grad_b;
        model.w = &model.w - &(&opt.velocity_w * opt.learning_rate);
        model.b -= opt.learning_rate * opt.velocity_b;
    }
    let error = x.dot(&model.w) + model.b - y;
    let loss = error.mapv(|e| e * e).mean().unwrap_or(f64::NAN);
    state.epoch += 1;
    state.metrics.loss_history.push(loss);
    state.metrics.best_loss = state.metrics.best_loss.min(loss);
}

fn checkpoint_path(dir: &Path, epoch: u32) -> PathBuf {
    dir.join(format!("checkpoint_epoch_{epoch}.npz"))
}

/// Saves the state atomically: a crash mid-save never leaves a broken checkpoint.
fn save_checkpoint(dir: &Path, state: &TrainState) -> npy_serde::Result<()> {
    let path = checkpoint_path(dir, state.epoch);
    npy_serde::to_path(&path, state)?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "epoch {:>2}: loss {:>8.5}  saved {} ({size} bytes)",
        state.epoch,
        state
            .metrics
            .loss_history
            .last()
            .copied()
            .unwrap_or(f64::NAN),
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    Ok(())
}

/// The checkpoint with the highest epoch number in `dir`, if any.
fn latest_checkpoint(dir: &Path) -> std::io::Result<Option<(u32, PathBuf)>> {
    let mut latest = None;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let epoch = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_prefix("checkpoint_epoch_"))
            .and_then(|rest| rest.strip_suffix(".npz"))
            .and_then(|number| number.parse::<u32>().ok());
        if let Some(epoch) = epoch {
            if latest.as_ref().is_none_or(|(best, _)| epoch > *best) {
                latest = Some((epoch, path));
            }
        }
    }
    Ok(latest)
}

/// Lists a checkpoint's members as NumPy sees them.
fn show_members(path: &Path) -> npy_serde::Result<()> {
    let mut archive = NpzReader::open(path)?;
    println!(
        "\n{} holds:",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    for name in archive.names() {
        let header = archive.header(&name)?.header;
        let dtype = header.dtype.to_string();
        let shape = python_shape(&header.shape);
        println!("  {name:<30} {dtype:<7} shape {shape}");
    }
    Ok(())
}

/// A shape as NumPy prints it: `()`, `(3,)`, `(2, 3)`.
fn python_shape(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}
