//! A `VarBuilder` backend over npy-serde's reader: the archive's directory is parsed once,
//! stored members are read with one copy (one positional read into the tensor's memory),
//! deflated members are inflated on every core when the backend opens, and big-endian and
//! Fortran-order members load.
//!
//! Why not a memory map: copying out of one costs a fault per 16 pages of the file on top
//! of the faults of the tensor's own fresh memory, and a mapped file counts in the
//! process's resident size (a 1 GiB archive loaded through a map peaked at 2.0 GiB).

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::VarBuilder;
use npy_serde::{npz, NpyArray, ReadOptions};

use crate::{read_tensor_as, tensor_from_npy_array, Result};

/// An npz as a candle `VarBuilder` backend ([`var_builder`], or
/// `VarBuilder::from_backend(Box::new(backend), dtype, device)`).
///
/// A variable asked for as dtype `D` loads from a member of dtype `D` or one that widens
/// into `D` without loss (npy-serde's table; `BF16` from `|V2`); anything else is an error
/// naming both, unless [`with_cast`](Self::with_cast) allows candle's `to_dtype` (which
/// may round, as candle's own `VarBuilder::from_npz` always does).
///
/// ```
/// use candle_core::{DType, Device, Module, Tensor};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("linear.npz");
///
/// let device = Device::Cpu;
/// let weight = Tensor::ones((2, 3), DType::F32, &device)?;
/// let bias = Tensor::zeros(2, DType::F32, &device)?;
/// npy_candle::save(&path, &[("fc1.weight", &weight), ("fc1.bias", &bias)])?;
///
/// let vb = npy_candle::var_builder(&path, DType::F32, &device)?;
/// let fc1 = candle_nn::linear(3, 2, vb.pp("fc1"))?;
/// let y = fc1.forward(&Tensor::ones((1, 3), DType::F32, &device)?)?;
/// assert_eq!(y.to_vec2::<f32>()?, [[3.0, 3.0]]);
/// # Ok::<(), npy_candle::Error>(())
/// ```
pub struct NpzBackend {
    archive: Mutex<npz::Reader<File>>,
    names: Vec<String>,
    /// Deflated members, inflated at open on every core; taken when asked for.
    inflated: Mutex<HashMap<String, NpyArray>>,
    cast: bool,
}

impl NpzBackend {
    /// Opens the npz at `path`: parses its directory, and inflates its deflated members on
    /// every core.
    pub fn open<P: AsRef<Path>>(path: P) -> Result<NpzBackend> {
        NpzBackend::open_with(path, &ReadOptions::default())
    }

    /// [`open`](Self::open) with `options` (limits on untrusted input).
    pub fn open_with<P: AsRef<Path>>(path: P, options: &ReadOptions) -> Result<NpzBackend> {
        let path = path.as_ref();
        // Errors from the reader name the file already.
        let mut archive = npz::Reader::open_with(path, options)?;
        let names = archive.names();
        let deflated: Vec<&str> = archive
            .members()
            .iter()
            .filter(|m| m.compressed)
            .map(|m| {
                names
                    .iter()
                    .find(|n| **n == m.name)
                    .map_or("", String::as_str)
            })
            .collect();
        let arrays: Vec<NpyArray> = archive.read_many(&deflated)?;
        let inflated = deflated.iter().map(|n| n.to_string()).zip(arrays).collect();
        Ok(NpzBackend {
            archive: Mutex::new(archive),
            names,
            inflated: Mutex::new(inflated),
            cast: false,
        })
    }

    /// Lets a variable load from a member that does not widen into its dtype, through
    /// candle's `to_dtype` (f32 weights into a bf16 model: rounded), as candle's own npz
    /// backend does. Off by default.
    pub fn with_cast(mut self, cast: bool) -> NpzBackend {
        self.cast = cast;
        self
    }

    /// The member names, in archive order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Member `name` as a tensor of `dtype` on `device`.
    pub fn load(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        let cached = self
            .inflated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        if let Some(array) = cached {
            let own = crate::candle_dtype(array.dtype());
            return match own {
                Some(own) if self.cast && own != dtype => {
                    Ok(tensor_from_npy_array(array, Some(own), device)?.to_dtype(dtype)?)
                }
                _ => tensor_from_npy_array(array, Some(dtype), device),
            }
            .map_err(|e| e.in_member(name));
        }
        let mut archive = self.archive.lock().unwrap_or_else(|p| p.into_inner());
        let own = crate::candle_dtype(&archive.header(name)?.header.dtype);
        match own {
            Some(own) if self.cast && own != dtype => {
                Ok(read_tensor_as(&mut archive, name, own, device)?.to_dtype(dtype)?)
            }
            _ => read_tensor_as(&mut archive, name, dtype, device),
        }
    }

    /// A `VarBuilder` of `dtype` on `device` over this backend.
    pub fn into_var_builder(self, dtype: DType, device: &Device) -> VarBuilder<'static> {
        VarBuilder::from_backend(Box::new(self), dtype, device.clone())
    }
}

/// A `VarBuilder` over the npz at `path` ([`NpzBackend::open`]): the replacement for
/// candle's `VarBuilder::from_npz`.
pub fn var_builder<P: AsRef<Path>>(
    path: P,
    dtype: DType,
    device: &Device,
) -> Result<VarBuilder<'static>> {
    Ok(NpzBackend::open(path)?.into_var_builder(dtype, device))
}

impl SimpleBackend for NpzBackend {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.load(name, dtype, device)?;
        if tensor.shape() != &shape {
            return Err(candle_core::Error::UnexpectedShape {
                msg: format!("shape mismatch for {name}"),
                expected: shape,
                got: tensor.shape().clone(),
            }
            .bt());
        }
        Ok(tensor)
    }

    fn get_unchecked(
        &self,
        name: &str,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        Ok(self.load(name, dtype, device)?)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}
