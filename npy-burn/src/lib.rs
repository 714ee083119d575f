//! [burn](https://burn.dev) tensors and module weights in NumPy `.npz` files, through
//! [npy-serde](npy_serde): [`TensorData`] ⇄ ndarray arrays, and [`NpzStore`], a burn-store
//! `ModuleStore` through which a module saves its weights to an npz and loads them from
//! one, by parameter path (`fc1.weight`), with key remapping and PyTorch's layout.
//!
//! | burn `DType` | NumPy |
//! |---|---|
//! | `Bool` (native) | `bool` |
//! | `I8` / `I16` / `I32` / `I64` | `int8` / `int16` / `int32` / `int64` |
//! | `U8` / `U16` / `U32` / `U64` | `uint8` / `uint16` / `uint32` / `uint64` |
//! | `F16` / `F32` / `F64` | `float16` / `float32` / `float64` |
//! | `BF16` | `\|V2` (ml_dtypes' `bfloat16`; read as bf16 only when the parameter is bf16) |
//!
//! burn's `Flex32`, `Bool` stored as `u8`/`u32`, and quantized tensors have no NumPy
//! dtype and are refused. On loading, a member is read as the dtype of the parameter it
//! goes to: its own, or one that widens into it without loss (npy-serde's conversion
//! table), in either byte order and memory order.
//!
//! **Which burn.** This crate builds on burn 0.22, the current stable release: its
//! burn-store `ModuleStore` / `ModuleSnapshot` API is stable there (the record API is
//! the older way). burn 0.22 declares Rust 1.95, so this crate does too; the rest of the
//! workspace stays at 1.89. It is a crate, not a feature of npy-serde: burn takes about
//! 6 minutes to build (dev profile, 2 cores).
//!
//! ```
//! use burn::module::Module;
//! use burn::nn::{Linear, LinearConfig};
//! use burn::store::ModuleSnapshot;
//! use npy_burn::NpzStore;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("model.npz");
//!
//! #[derive(Module, Debug)]
//! struct Net {
//!     fc1: Linear,
//! }
//!
//! let device = Default::default();
//! let net = Net { fc1: LinearConfig::new(3, 2).init(&device) };
//! net.save_into(&mut NpzStore::new(&path))?;
//! assert_eq!(npy_serde::npz::Reader::open(&path)?.names(), ["fc1.weight", "fc1.bias"]);
//!
//! let mut fresh = Net { fc1: LinearConfig::new(3, 2).init(&device) };
//! let result = fresh.load_from(&mut NpzStore::new(&path))?;
//! assert_eq!(result.applied.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::store::burn_pack::{DType, Tensor as PackTensor};
use burn::store::{
    ApplyResult, BurnToPyTorchAdapter, KeyRemapper, ModuleAdapter, ModuleSnapshot, ModuleStore,
    PyTorchToBurnAdapter,
};
use burn::tensor::{BoolStore, Element, TensorData};
use npy_serde::dtype::{DType as NpyDType, Endian};
use npy_serde::half::{bf16, f16};
use npy_serde::ndarray::{Array, ArrayD, Dimension, IxDyn};
use npy_serde::{npz, NpyArray, NpyElement, ReadOptions, WriteOptions};

/// What went wrong saving or loading.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing the file (npy-serde's error, with its kind, file and member).
    Npy(npy_serde::Error),
    /// A dtype one side has and the other lacks, or a tensor of another type than asked.
    Unsupported(String),
    /// burn could not produce or apply a tensor, or a remapping pattern is not a regex.
    Burn(String),
}

/// `Result<T, npy_burn::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Npy(e) => e.fmt(f),
            Error::Unsupported(m) | Error::Burn(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Npy(e) => Some(e),
            _ => None,
        }
    }
}

impl From<npy_serde::Error> for Error {
    fn from(error: npy_serde::Error) -> Error {
        Error::Npy(error)
    }
}

/// Runs `$body` with `$T` the Rust element type of burn dtype `$dtype`; others give
/// `$fallback` (an error by default). The one table of burn dtype to Rust type.
macro_rules! dispatch {
    (@match $dtype:expr, $T:ident, $body:expr, $other:pat, $fallback:expr; $($p:pat => $t:ty),*) => {
        match $dtype { $($p => { type $T = $t; $body })* $other => $fallback }
    };
    ($dtype:expr, $T:ident => $body:expr) => {
        dispatch!($dtype, $T => $body, other => return Err(no_numpy_dtype(other)))
    };
    ($dtype:expr, $T:ident => $body:expr, $other:pat => $fallback:expr) => {
        dispatch!(@match $dtype, $T, $body, $other, $fallback;
            DType::Bool(BoolStore::Native) => bool,
            DType::I8 => i8,
            DType::I16 => i16,
            DType::I32 => i32,
            DType::I64 => i64,
            DType::U8 => u8,
            DType::U16 => u16,
            DType::U32 => u32,
            DType::U64 => u64,
            DType::F16 => f16,
            DType::BF16 => bf16,
            DType::F32 => f32,
            DType::F64 => f64)
    };
}

/// The NumPy dtype (little-endian) of a burn dtype, if it has one: the dtype its Rust
/// element type writes ([`NpyElement::write_dtype`]).
pub fn numpy_dtype(dtype: DType) -> Option<NpyDType> {
    dispatch!(dtype, T => Some(T::write_dtype(&[]).with_endian(Endian::Little)), _ => None)
}

/// Every burn dtype with a NumPy dtype (the ones `dispatch!` knows).
const DTYPES: [DType; 13] = [
    DType::Bool(BoolStore::Native),
    DType::I8,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::U8,
    DType::U16,
    DType::U32,
    DType::U64,
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
];

/// The burn dtype that holds a NumPy dtype exactly: the one whose Rust element type writes
/// it, in either byte order. `|V2` is not guessed to be bf16: only a bf16 parameter asks
/// for it.
pub fn burn_dtype(dtype: &NpyDType) -> Option<DType> {
    let little = dtype.with_endian(Endian::Little);
    DTYPES
        .into_iter()
        .filter(|&own| own != DType::BF16)
        .find(|&own| numpy_dtype(own).as_ref() == Some(&little))
}

fn no_numpy_dtype(dtype: DType) -> Error {
    Error::Unsupported(format!(
        "burn dtype {dtype:?} has no NumPy dtype (bool, integers, f16, bf16, f32 and f64 do)"
    ))
}

/// `data` (of element type `T`) as an ndarray array.
pub fn to_array<T: Element + NpyElement>(data: &TensorData) -> Result<ArrayD<T>> {
    let values = data
        .as_slice::<T>()
        .map_err(|e| Error::Unsupported(format!("{e:?}")))?;
    ArrayD::from_shape_vec(IxDyn(data.shape()), values.to_vec())
        .map_err(|e| Error::Unsupported(e.to_string()))
}

/// `array` as burn [`TensorData`] (its vector moves without a copy when it is in C order).
pub fn from_array<T: Element, D: Dimension>(array: Array<T, D>) -> TensorData {
    let shape = array.shape().to_vec();
    let values = if array.is_standard_layout() {
        let count = array.len();
        let (values, offset) = array.into_raw_vec_and_offset();
        if offset.unwrap_or(0) == 0 && values.len() == count {
            values
        } else {
            let array = ArrayD::from_shape_vec(IxDyn(&shape), values).expect("its own shape");
            array.iter().copied().collect()
        }
    } else {
        array.iter().copied().collect()
    };
    TensorData::new(values, shape)
}

/// Member `name` of `archive` as burn [`TensorData`] of `dtype`: its own dtype or one that
/// widens into it (npy-serde's table); `BF16` reads `|V2`. Any byte order and memory order.
pub fn read_tensor_data<R: std::io::Read + std::io::Seek>(
    archive: &mut npz::Reader<R>,
    name: &str,
    dtype: DType,
) -> Result<TensorData> {
    dispatch!(dtype, T => {
        let array: ArrayD<T> = archive.read(name)?;
        Ok(from_array(array))
    })
}

/// A burn-store `ModuleStore` over an npz: one member per parameter, named by its path in
/// the module (`encoder.layers.0.weight`), in the parameter's dtype.
///
/// Saving writes the file atomically (stored, or as [`with_write_options`](Self::with_write_options)
/// say). Loading reads each member as the dtype of the parameter it goes to, then applies
/// them; parameters without a member are an error unless
/// [`allow_partial`](Self::allow_partial). [`with_key_remapping`](Self::with_key_remapping)
/// renames keys by regex (on saving from module paths to file keys, on loading from file
/// keys to module paths), and [`pytorch`](Self::pytorch) uses PyTorch's layout (linear
/// weights transposed, norms' `weight`/`bias` for burn's `gamma`/`beta`).
pub struct NpzStore {
    path: PathBuf,
    write_options: WriteOptions,
    read_options: ReadOptions,
    remapper: KeyRemapper,
    to_adapter: Option<Box<dyn ModuleAdapter>>,
    from_adapter: Option<Box<dyn ModuleAdapter>>,
    allow_partial: bool,
    cache: Option<BTreeMap<String, PackTensor>>,
}

impl NpzStore {
    /// A store for the npz at `path`.
    pub fn new<P: AsRef<Path>>(path: P) -> NpzStore {
        NpzStore {
            path: path.as_ref().to_path_buf(),
            write_options: WriteOptions::default(),
            read_options: ReadOptions::default(),
            remapper: KeyRemapper::new(),
            to_adapter: None,
            from_adapter: None,
            allow_partial: false,
            cache: None,
        }
    }

    /// Writes with `options` (compression, byte order, alignment, …).
    pub fn with_write_options(mut self, options: WriteOptions) -> NpzStore {
        self.write_options = options;
        self
    }

    /// Reads with `options` (limits on untrusted input).
    pub fn with_read_options(mut self, options: ReadOptions) -> NpzStore {
        self.read_options = options;
        self
    }

    /// Renames keys matching the regex `from` to `to` (`$1` for groups), after the
    /// patterns added before.
    pub fn with_key_remapping(mut self, from: &str, to: &str) -> Result<NpzStore> {
        self.remapper = self
            .remapper
            .add_pattern(from, to)
            .map_err(|e| Error::Burn(format!("key remapping {from:?}: {e}")))?;
        Ok(self)
    }

    /// PyTorch's layout and names: linear weights as `[out, in]`, norms' `weight` and
    /// `bias` (burn's `gamma` and `beta`), as a `state_dict` saved with NumPy has them.
    pub fn pytorch(mut self) -> NpzStore {
        self.to_adapter = Some(Box::new(BurnToPyTorchAdapter));
        self.from_adapter = Some(Box::new(PyTorchToBurnAdapter));
        self
    }

    /// Loads even when some parameters have no member (they keep their values; the
    /// `ApplyResult` lists them as missing).
    pub fn allow_partial(mut self, allow: bool) -> NpzStore {
        self.allow_partial = allow;
        self
    }

    fn remap(&self, name: &str) -> String {
        self.remapper
            .to_regex_pairs()
            .iter()
            .fold(name.to_string(), |name, (regex, to)| {
                regex.replace_all(&name, to.as_str()).into_owned()
            })
    }

    /// Every member as a tensor named by its remapped key, read as `asked(key)` or else in
    /// its own dtype.
    fn read_all(&self, asked: impl Fn(&str) -> Option<DType>) -> Result<Vec<PackTensor>> {
        let mut archive = npz::Reader::open_with(&self.path, &self.read_options)?;
        let mut tensors = Vec::new();
        for member in archive.names() {
            let key = self.remap(&member);
            let header = archive.header(&member)?.header;
            let dtype = match asked(&key).or_else(|| burn_dtype(&header.dtype)) {
                Some(dtype) => dtype,
                None => {
                    return Err(Error::Unsupported(format!(
                        "member {member:?} of {}: {} has no burn dtype of its own (a '|V2' \
                         member loads into a bf16 parameter)",
                        self.path.display(),
                        header.dtype
                    )))
                }
            };
            let data = read_tensor_data(&mut archive, &member, dtype)?;
            let (bytes, shape, dtype) = data.into_parts();
            tensors.push(PackTensor::new(key, dtype, shape, None, bytes));
        }
        Ok(tensors)
    }
}

impl ModuleStore for NpzStore {
    type Error = Error;

    fn collect_from<M: ModuleSnapshot>(&mut self, module: &M) -> Result<()> {
        self.cache = None;
        let tensors = module.collect(None, self.to_adapter.clone(), false);
        let (tensors, _) = self.remapper.remap(tensors);
        let mut writer = npz::Writer::create_with(&self.path, &self.write_options)?;
        for tensor in tensors {
            let (name, dtype, shape, _, bytes) = tensor
                .into_parts()
                .map_err(|e| Error::Burn(format!("{e:?}")))?;
            let npy_dtype = numpy_dtype(dtype).ok_or_else(|| no_numpy_dtype(dtype))?;
            let mut bytes: Vec<u8> = bytes.to_vec();
            if cfg!(target_endian = "big") && npy_dtype == bf16::write_dtype(&[]) {
                // burn's bytes are little-endian; bf16's '|V2' is in the machine's order.
                bytes.chunks_mut(2).for_each(<[u8]>::reverse);
            }
            let array = NpyArray::from_raw(npy_dtype, shape.to_vec(), false, bytes)?;
            writer.add(&name, &array)?;
        }
        writer.finish()?;
        Ok(())
    }

    fn apply_to<M: ModuleSnapshot>(&mut self, module: &mut M) -> Result<ApplyResult> {
        let wanted: BTreeMap<String, DType> = module
            .collect(None, None, false)
            .into_iter()
            .map(|t| (t.name, t.dtype))
            .collect();
        let tensors = self.read_all(|key| wanted.get(key).copied())?;
        let result = module.apply(tensors, None, self.from_adapter.clone(), false);
        if !result.errors.is_empty() {
            return Err(Error::Burn(format!(
                "{}: {:?}",
                self.path.display(),
                result.errors
            )));
        }
        if !self.allow_partial && !result.missing.is_empty() {
            let missing: Vec<&str> = result.missing.iter().map(|(p, _)| p.as_str()).collect();
            return Err(Error::Burn(format!(
                "{} has no member for the parameters {missing:?} (allow_partial(true) keeps \
                 their values)",
                self.path.display()
            )));
        }
        Ok(result)
    }

    fn get_tensor(&mut self, name: &str) -> Result<Option<&PackTensor>> {
        Ok(self.get_all_tensors()?.get(name))
    }

    fn get_all_tensors(&mut self) -> Result<&BTreeMap<String, PackTensor>> {
        if self.cache.is_none() {
            let tensors = self.read_all(|_| None)?;
            self.cache = Some(tensors.into_iter().map(|t| (t.name.clone(), t)).collect());
        }
        Ok(self.cache.as_ref().expect("filled above"))
    }

    fn keys(&mut self) -> Result<Vec<String>> {
        let archive = npz::Reader::open_with(&self.path, &self.read_options)?;
        Ok(archive.names().iter().map(|n| self.remap(n)).collect())
    }
}

#[cfg(test)]
mod tests;
