//! A candle `VarMap` saved to and loaded from an npz, one member per variable, keyed by
//! the variable's name (`fc1.weight`).

use std::path::Path;

use candle_nn::VarMap;
use npy_serde::{npz, WriteOptions};

use crate::{write_tensor, Error, NpzBackend, Result};

/// Saves every variable of `varmap` as a member named after it (sorted by name), in its
/// own dtype, to the npz at `path` (replaced atomically; stored, as `np.savez`).
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_nn::{VarBuilder, VarMap};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("vars.npz");
///
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let _fc1 = candle_nn::linear(3, 2, vb.pp("fc1"))?;
/// npy_candle::varmap::save(&varmap, &path)?;
/// assert_eq!(npy_serde::npz::Reader::open(&path)?.names(), ["fc1.bias", "fc1.weight"]);
///
/// let mut fresh = VarMap::new();
/// let vb = VarBuilder::from_varmap(&fresh, DType::F32, &Device::Cpu);
/// let _fc1 = candle_nn::linear(3, 2, vb.pp("fc1"))?;
/// npy_candle::varmap::load(&mut fresh, &path)?;
/// # Ok::<(), npy_candle::Error>(())
/// ```
pub fn save<P: AsRef<Path>>(varmap: &VarMap, path: P) -> Result<()> {
    save_with(varmap, path, &WriteOptions::default())
}

/// [`save`] with `options` (compression, byte order, alignment, …).
pub fn save_with<P: AsRef<Path>>(varmap: &VarMap, path: P, options: &WriteOptions) -> Result<()> {
    let vars = varmap.data().lock().unwrap_or_else(|p| p.into_inner());
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    let mut writer = npz::Writer::create_with(path, options)?;
    for name in names {
        write_tensor(&mut writer, name, vars[name].as_tensor())?;
    }
    writer.finish()?;
    Ok(())
}

/// Sets every variable of `varmap` from the member of its name in the npz at `path`,
/// read as the variable's dtype (its own, or one that widens into it) on its device.
/// A variable without a member is an error naming it; members without a variable are
/// ignored.
pub fn load<P: AsRef<Path>>(varmap: &mut VarMap, path: P) -> Result<()> {
    let backend = NpzBackend::open(path.as_ref())?;
    let vars = varmap.data().lock().unwrap_or_else(|p| p.into_inner());
    for (name, var) in vars.iter() {
        if !backend.names().iter().any(|n| n == name) {
            return Err(Error::Unsupported(format!(
                "variable {name:?} has no member in {}",
                path.as_ref().display()
            )));
        }
        let tensor = backend.load(name, var.dtype(), var.device())?;
        var.set(&tensor)
            .map_err(|e| Error::from(e).in_member(name))?;
    }
    Ok(())
}
