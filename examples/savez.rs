//! A small dataset (features, labels, metadata) saved as a `.npz`, as the NumPy docs do with
//! `np.savez('dataset.npz', features=features, labels=labels, meta=meta)`, then listed back.
//!
//! Run: `cargo run --example savez [-- path/to/dataset.npz]`, then in Python:
//! `d = np.load('dataset.npz'); d['features'].shape, d['labels'][:5], d['meta']`.

use ndarray::Array2;
use npy_serde::npz;

fn main() -> Result<(), npy_serde::Error> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        std::env::temp_dir()
            .join("dataset.npz")
            .display()
            .to_string()
    });

    // 100 samples of 5 features (a fixed pseudo-random sequence), a binary label each.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let features = Array2::from_shape_fn((100, 5), |_| next());
    let labels: Vec<i64> = features
        .rows()
        .into_iter()
        .map(|row| (row.sum() > 2.5) as i64)
        .collect();
    let meta = vec!["source: example".to_string(), "version: 1".to_string()];

    // One call, arrays of different types, like np.savez(path, features=..., ...).
    npz::savez(
        &path,
        &[
            ("features", &features),
            ("labels", &labels),
            ("meta", &meta),
        ],
    )?;

    let mut archive = npz::Reader::open(&path)?;
    println!("{path}:");
    for name in archive.names() {
        let info = archive.header(&name)?;
        println!(
            "  {name:<9} dtype {:<6} shape {:?}",
            info.header.dtype.to_string(),
            info.header.shape
        );
    }
    let labels_back: Vec<i64> = archive.read("labels")?;
    let meta_back: Vec<String> = archive.read("meta")?;
    println!(
        "  {} positive labels of {}; meta = {meta_back:?}",
        labels_back.iter().sum::<i64>(),
        labels_back.len()
    );
    Ok(())
}
