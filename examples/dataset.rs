//! Reading a dataset made by NumPy into a Rust struct.
//!
//! NumPy writes `dataset.npz` with `np.savez(features=..., labels=..., meta=...)`;
//! `npy_serde::from_path` reads it into `Dataset`, each field from the member of the same
//! name, with its dtype and shape checked (`features` must be 2-D float64 or narrower
//! floats, `labels` integers that fit in i64, `meta` strings).
//!
//! Run with `cargo run --example dataset` (it needs NumPy; the test support finds or
//! installs it).

use ndarray::{s, Array2};
use serde::Deserialize;

#[derive(Deserialize, Debug)]
struct Dataset {
    features: Array2<f64>,
    labels: Vec<i64>,
    meta: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = test_support::temp_dir();
    test_support::run_python(
        r#"
import numpy as np
rng = np.random.default_rng(42)
features = rng.normal(size=(100, 10))                  # float64 (100, 10)
labels = (features[:, 0] > 0).astype(np.int64)       # int64 (100,)
meta = np.array([f"sample_{i:03d}" for i in range(100)])   # <U10 (100,)
np.savez("dataset.npz", features=features, labels=labels, meta=meta)
"#,
        dir.path(),
    );
    let path = dir.path().join("dataset.npz");

    let data: Dataset = npy_serde::from_path(&path)?;

    println!("Loaded {} with NumPy's arrays:", path.display());
    println!("  features: {:?} float64", data.features.shape());
    println!("  labels:   {} int64", data.labels.len());
    println!("  meta:     {} strings", data.meta.len());
    println!(
        "\nFirst sample ({}): label {}",
        data.meta[0], data.labels[0]
    );
    println!("  features {:.3}", data.features.slice(s![0, ..]));
    let positives = data.labels.iter().filter(|&&label| label == 1).count();
    println!(
        "\n{positives} of {} samples are positive; mean of feature 0 is {:.3}",
        data.labels.len(),
        data.features.column(0).mean().unwrap_or(f64::NAN)
    );
    Ok(())
}
