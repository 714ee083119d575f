//! Save `arange(9)` as a 3x3 i64 array, load it back and print it.
//!
//! Run with `cargo run --example save_load`. The file is a plain `.npy`: NumPy reads it
//! with `np.load(path)`.

use ndarray::Array2;

fn main() -> Result<(), npy_serde::Error> {
    let matrix = Array2::from_shape_vec((3, 3), (0..9i64).collect()).expect("9 values for 3x3");

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("matrix.npy");
    npy_serde::npy::save(&path, &matrix)?;

    let loaded: Array2<i64> = npy_serde::npy::load(&path)?;
    assert_eq!(loaded, matrix);
    println!("saved and loaded {}:\n{loaded}", path.display());

    let info = npy_serde::npy::inspect(&path)?;
    println!(
        "dtype {}, shape {:?}, fortran_order {}",
        info.header.dtype, info.header.shape, info.header.fortran_order
    );
    Ok(())
}
