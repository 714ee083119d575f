//! Trains a tiny candle model (y = 2x + 1, plus an unused bf16 embedding) for a few steps,
//! checkpoints it to an npz (a serde struct: step, losses, every variable by name), resumes
//! from the checkpoint, trains on, and shows NumPy loading the file when `python3` with
//! NumPy is there (`NPY_SERDE_PYTHON` picks another Python):
//!
//! ```python
//! z = np.load("checkpoint.npz"); z["vars/fc.weight"], z["losses"]
//! ```
//!
//! `cargo run -p npy-candle --example train_checkpoint`

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{linear, AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

/// A tensor in its own dtype (`serde_tensor`), one member per variable. Transparent, so
/// that the tensor is the map's value itself (the bulk path sees it).
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct Var(#[serde(with = "npy_candle::serde_tensor")] Tensor);

/// What a resumed run needs: where it was, how it went, and every variable by name.
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    step: u64,
    losses: Vec<f32>,
    vars: BTreeMap<String, Var>,
    #[serde(with = "npy_candle::serde_tensor::bf16")]
    embedding: Tensor,
}

fn model(varmap: &VarMap, device: &Device) -> candle_core::Result<candle_nn::Linear> {
    linear(
        1,
        1,
        VarBuilder::from_varmap(varmap, DType::F32, device).pp("fc"),
    )
}

fn train(
    fc: &candle_nn::Linear,
    varmap: &VarMap,
    steps: usize,
    losses: &mut Vec<f32>,
    device: &Device,
) -> candle_core::Result<()> {
    let x = Tensor::new(&[[0f32], [1.0], [2.0], [3.0]], device)?;
    let y = Tensor::new(&[[1f32], [3.0], [5.0], [7.0]], device)?;
    let mut optimizer = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: 0.1,
            ..Default::default()
        },
    )?;
    for _ in 0..steps {
        let loss = fc.forward(&x)?.sub(&y)?.sqr()?.mean_all()?;
        optimizer.backward_step(&loss)?;
        losses.push(loss.to_vec0::<f32>()?);
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::Cpu;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("checkpoint.npz");

    let varmap = VarMap::new();
    let fc = model(&varmap, &device)?;
    let mut losses = Vec::new();
    train(&fc, &varmap, 20, &mut losses, &device)?;
    let vars = varmap.data().lock().unwrap();
    let checkpoint = Checkpoint {
        step: 20,
        losses: losses.clone(),
        vars: vars
            .iter()
            .map(|(k, v)| (k.clone(), Var(v.as_tensor().clone())))
            .collect(),
        embedding: Tensor::ones((2, 4), DType::BF16, &device)?,
    };
    drop(vars);
    npy_serde::to_path(&path, &checkpoint)?;
    println!("step 20: loss {:.4}, saved {}", losses[19], path.display());

    // Resume: a fresh model, its variables set from the checkpoint by name.
    let resumed: Checkpoint = npy_serde::from_path(&path)?;
    let varmap = VarMap::new();
    let fc = model(&varmap, &device)?;
    for (name, var) in varmap.data().lock().unwrap().iter() {
        var.set(&resumed.vars[name].0.to_device(&device)?)?;
    }
    let mut losses = resumed.losses;
    train(&fc, &varmap, 20, &mut losses, &device)?;
    println!(
        "resumed at step {}: loss {:.4} after 20 more steps (bf16 embedding {:?})",
        resumed.step,
        losses.last().copied().unwrap_or_default(),
        resumed.embedding.dtype()
    );
    show_in_numpy(&path);
    Ok(())
}

/// Loads the checkpoint in NumPy, when there is a Python with NumPy.
fn show_in_numpy(path: &Path) {
    let python = std::env::var("NPY_SERDE_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let has_numpy = Command::new(&python)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !has_numpy {
        println!("Skipped the NumPy check: no `{python}` with numpy found (set NPY_SERDE_PYTHON)");
        return;
    }
    let script = "import sys, numpy as np\n\
        z = np.load(sys.argv[1])\n\
        print('NumPy sees', sorted(z.files))\n\
        print('fc.weight', z['vars/fc.weight'].tolist(), 'fc.bias', z['vars/fc.bias'].tolist())\n\
        print('embedding', z['embedding'].dtype, '(bfloat16: .view(ml_dtypes.bfloat16))')";
    let status = Command::new(&python)
        .args(["-c", script])
        .arg(path)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        println!("Skipped the NumPy check: `{python}` failed");
    }
}
