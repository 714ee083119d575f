//! [candle](https://github.com/huggingface/candle) tensors in NumPy `.npy` / `.npz` files,
//! through [npy-serde](npy_serde): every candle dtype NumPy can hold, tensors of any layout,
//! training checkpoints as serde structs, `VarMap`s and a `VarBuilder` backend.
//!
//! | I want to… | use |
//! |---|---|
//! | a tensor from an ndarray array (no copy when it is C or Fortran order) | [`from_array`] |
//! | an ndarray array from a tensor, of any layout | [`to_array`] |
//! | write tensors into an npz (strided ones without a copy) | [`save`], [`write_tensor`] |
//! | read a member as a tensor in its own dtype, or widened to another | [`read_tensor`], [`read_tensor_as`] |
//! | read every member as a tensor, on every core | [`load`] |
//! | a tensor as a field of a serde checkpoint struct | [`serde_tensor`] (`#[serde(with = …)]`) |
//! | save or load a `VarMap`, keyed by its variable names | [`varmap::save`], [`varmap::load`] |
//! | build a model from an npz with `VarBuilder` | [`NpzBackend`], [`var_builder`] |
//!
//! # dtypes
//!
//! | candle | NumPy | also read, widened on request ([`read_tensor_as`]) |
//! |---|---|---|
//! | `U8` | `uint8` | — |
//! | `U32` | `uint32` | `uint8`, `uint16` |
//! | `I16` | `int16` | `int8`, `uint8` |
//! | `I32` | `int32` | `int8`–`int16`, `uint8`–`uint16` |
//! | `I64` | `int64` | `int8`–`int32`, `uint8`–`uint32` |
//! | `F16` | `float16` | `int8`, `uint8` |
//! | `BF16` | `\|V2` (ml_dtypes' `bfloat16`) | — (read only when `BF16` is asked for) |
//! | `F32` | `float32` | `float16`, 8- and 16-bit integers |
//! | `F64` | `float64` | `float32`, `float16`, integers up to 32 bits |
//!
//! The widening rules are npy-serde's conversion table (lossless only, never narrowing);
//! NumPy's `bool`, `int8`, `uint16`, `uint64` and complex have no candle dtype of their own
//! and load widened when asked for. candle's 8-, 6- and 4-bit floats have no NumPy dtype
//! and are refused. Big-endian and Fortran-order members load (a Fortran member becomes a
//! strided tensor over the same memory, without a copy).
//!
//! **Why a crate, not a feature of npy-serde.** candle-core and candle-nn take about
//! 200 s and 270 s to build (dev profile, 2 cores) against 26 s for safetensors; a feature
//! would still be compiled by every `cargo test --all-features` of the library, and the
//! adapter needs nothing private.
//!
//! ```
//! use candle_core::{DType, Device, Tensor};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("tensors.npz");
//!
//! let device = Device::Cpu;
//! let w = Tensor::arange(0f32, 6.0, &device)?.reshape((2, 3))?;
//! npy_candle::save(&path, &[("w", &w), ("w_t", &w.t()?)])?; // strided: written as is
//!
//! let mut archive = npy_serde::npz::Reader::open(&path)?;
//! let back = npy_candle::read_tensor(&mut archive, "w_t", &device)?;
//! assert_eq!(back.to_vec2::<f32>()?, w.t()?.to_vec2::<f32>()?);
//! let wide = npy_candle::read_tensor_as(&mut archive, "w", DType::F64, &device)?;
//! assert_eq!(wide.dtype(), DType::F64);
//! # Ok::<(), npy_candle::Error>(())
//! ```

use std::io::{Read, Seek, Write};
use std::path::Path;

use candle_core::{DType, Device, Storage, Tensor};
use npy_serde::half::{bf16, f16};
use npy_serde::ndarray::{Array, ArrayD, ArrayViewD, Dimension, IxDyn, ShapeBuilder};
use npy_serde::npy::ArrayData;
use npy_serde::{npz, NpyArray, NpyElement, WriteOptions};

mod backend;
mod error;
pub mod serde_tensor;
pub mod varmap;

pub use backend::{var_builder, NpzBackend};
pub use error::{Error, Result};

/// A candle element type that npy-serde reads and writes: `u8`, `u32`, `i16`, `i32`,
/// `i64`, `f16`, `bf16`, `f32`, `f64`.
pub trait CandleElement:
    candle_core::WithDType + NpyElement + npy_serde::element::BulkElement
{
    /// The values of `array` when it already holds this type (no copy), else `array` back.
    fn take(array: NpyArray) -> std::result::Result<Vec<Self>, NpyArray>;
}

macro_rules! element {
    ($($t:ty => $variant:ident),*) => {$(
        impl CandleElement for $t {
            fn take(array: NpyArray) -> std::result::Result<Vec<Self>, NpyArray> {
                if !matches!(array.data(), ArrayData::$variant(_)) {
                    return Err(array);
                }
                match array.into_data() {
                    ArrayData::$variant(values) => Ok(values),
                    _ => Ok(Vec::new()),
                }
            }
        }
    )*};
}
element!(u8 => U8, u32 => U32, i16 => I16, i32 => I32, i64 => I64, f16 => F16, f32 => F32, f64 => F64);

/// `bf16` is `|V2` void data to NumPy, which [`NpyArray`] keeps as raw bytes.
impl CandleElement for bf16 {
    fn take(array: NpyArray) -> std::result::Result<Vec<Self>, NpyArray> {
        if *array.dtype() != bf16::write_dtype(&[]) {
            return Err(array);
        }
        match array.into_data() {
            ArrayData::Raw(bytes) => Ok(bytes
                .chunks_exact(2)
                .map(|b| bf16::from_ne_bytes([b[0], b[1]]))
                .collect()),
            _ => Ok(Vec::new()),
        }
    }
}

/// Runs `$body` with `$T` the Rust element type of candle dtype `$dtype`; other dtypes
/// give `$fallback` (an error by default). The one table of candle dtype to Rust type.
macro_rules! dispatch {
    (@match $dtype:expr, $T:ident, $body:expr, $other:pat, $fallback:expr; $($p:pat => $t:ty),*) => {
        match $dtype { $($p => { type $T = $t; $body })* $other => $fallback }
    };
    ($dtype:expr, $T:ident => $body:expr) => {
        $crate::dispatch!($dtype, $T => $body, other => return Err($crate::Error::no_numpy_dtype(other)))
    };
    ($dtype:expr, $T:ident => $body:expr, $other:pat => $fallback:expr) => {
        $crate::dispatch!(@match $dtype, $T, $body, $other, $fallback;
            candle_core::DType::U8 => u8,
            candle_core::DType::U32 => u32,
            candle_core::DType::I16 => i16,
            candle_core::DType::I32 => i32,
            candle_core::DType::I64 => i64,
            candle_core::DType::F16 => $crate::__half::f16,
            candle_core::DType::BF16 => $crate::__half::bf16,
            candle_core::DType::F32 => f32,
            candle_core::DType::F64 => f64)
    };
}
pub(crate) use dispatch;

#[doc(hidden)]
pub use npy_serde::half as __half;

/// A tensor holding `array`'s values on `device`. A C-order or Fortran-order array moves
/// its vector into the tensor without a copy (a Fortran one becomes the transposed view of
/// a C-order tensor, as NumPy's `.T` is); any other layout is copied in C order.
pub fn from_array<T: CandleElement, D: Dimension>(
    array: Array<T, D>,
    device: &Device,
) -> Result<Tensor> {
    let shape = array.shape().to_vec();
    let count = array.len();
    let fortran = !array.is_standard_layout() && array.t().is_standard_layout();
    if array.is_standard_layout() || fortran {
        let (values, offset) = array.into_raw_vec_and_offset();
        if offset.unwrap_or(0) == 0 && values.len() == count {
            if !fortran {
                return Ok(Tensor::from_vec(values, shape, device)?);
            }
            let reversed: Vec<usize> = shape.iter().rev().copied().collect();
            let axes: Vec<usize> = (0..shape.len()).rev().collect();
            return Ok(Tensor::from_vec(values, reversed, device)?.permute(axes)?);
        }
        let array = ArrayD::from_shape_vec(IxDyn(&shape).set_f(fortran), values)
            .map_err(|e| Error::Layout(e.to_string()));
        let values: Vec<T> = array?.iter().copied().collect();
        return Ok(Tensor::from_vec(values, shape, device)?);
    }
    let values: Vec<T> = array.iter().copied().collect();
    Ok(Tensor::from_vec(values, shape, device)?)
}

/// The values of `tensor` (of dtype `T`) as an ndarray array in C order, copied to the CPU
/// first when the tensor lives elsewhere. A tensor of another dtype is an error naming both.
pub fn to_array<T: CandleElement>(tensor: &Tensor) -> Result<ArrayD<T>> {
    with_view::<T, _>(tensor, |view| view.as_standard_layout().into_owned())
}

/// Runs `f` on a view of `tensor`'s memory (its own strides, no copy on the CPU).
pub(crate) fn with_view<T: CandleElement, R>(
    tensor: &Tensor,
    f: impl FnOnce(ArrayViewD<'_, T>) -> R,
) -> Result<R> {
    if tensor.dtype() != T::DTYPE {
        return Err(Error::WrongDtype {
            expected: T::DTYPE,
            found: tensor.dtype(),
        });
    }
    let cpu;
    let tensor = if tensor.device().is_cpu() {
        tensor
    } else {
        cpu = tensor.to_device(&Device::Cpu)?;
        &cpu
    };
    let (storage, layout) = tensor.storage_and_layout();
    let Storage::Cpu(storage) = &*storage else {
        unreachable!("the tensor is on the CPU")
    };
    let all: &[T] = storage.as_slice::<T>()?;
    let start = layout.start_offset().min(all.len());
    let shape = IxDyn(layout.dims()).strides(IxDyn(layout.stride()));
    match ArrayViewD::from_shape(shape, &all[start..]) {
        Ok(view) => Ok(f(view)),
        // Strides ndarray does not take as a view (a broadcast's zero strides over more
        // than one element): copy to C order first.
        Err(_) => {
            let owned = tensor.contiguous()?;
            let (storage, _) = owned.storage_and_layout();
            let Storage::Cpu(storage) = &*storage else {
                unreachable!("the tensor is on the CPU")
            };
            let values = storage.as_slice::<T>()?;
            let view = ArrayViewD::from_shape(IxDyn(owned.dims()), values)
                .map_err(|e| Error::Layout(e.to_string()))?;
            Ok(f(view))
        }
    }
}

/// Adds `tensor` to `writer` as member `name`, in its own dtype, from its memory (a
/// transposed tensor is written as a Fortran-order member, other strides element by
/// element), without copying it first.
pub fn write_tensor<W: Write + Seek>(
    writer: &mut npz::Writer<W>,
    name: &str,
    tensor: &Tensor,
) -> Result<()> {
    dispatch!(tensor.dtype(), T => with_view::<T, _>(tensor, |view| writer.add(name, &view))??);
    Ok(())
}

/// Saves `tensors` as an npz at `path` (replaced atomically; stored, as `np.savez`).
pub fn save<P: AsRef<Path>>(path: P, tensors: &[(&str, &Tensor)]) -> Result<()> {
    save_with(path, tensors, &WriteOptions::default())
}

/// [`save`] with `options` (compression, byte order, alignment, …).
pub fn save_with<P: AsRef<Path>>(
    path: P,
    tensors: &[(&str, &Tensor)],
    options: &WriteOptions,
) -> Result<()> {
    let mut writer = npz::Writer::create_with(path, options)?;
    for (name, tensor) in tensors {
        write_tensor(&mut writer, name, tensor)?;
    }
    writer.finish()?;
    Ok(())
}

/// Every candle dtype with a NumPy dtype (the ones `dispatch!` knows).
pub(crate) const DTYPES: [DType; 9] = [
    DType::U8,
    DType::U32,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
];

/// The candle dtype that holds `dtype` exactly: the one whose Rust element type writes it
/// ([`NpyElement::write_dtype`]), in either byte order. `|V2` is not guessed to be bf16:
/// only a caller asking for `BF16` reads it.
pub fn candle_dtype(dtype: &npy_serde::dtype::DType) -> Option<DType> {
    let native = dtype.with_endian(npy_serde::dtype::Endian::NATIVE);
    DTYPES
        .into_iter()
        .filter(|&own| own != DType::BF16)
        .find(|&own| dispatch!(own, T => T::write_dtype(&[]) == native, _ => false))
}

/// Member `name` of `archive` as a tensor on `device`, in the candle dtype of its own
/// dtype. Members whose dtype candle lacks (`bool`, `int8`, `uint16`, bf16's `|V2`, …) are
/// an error saying which dtype to ask [`read_tensor_as`] for.
pub fn read_tensor<R: Read + Seek>(
    archive: &mut npz::Reader<R>,
    name: &str,
    device: &Device,
) -> Result<Tensor> {
    let header = archive.header(name)?.header;
    let dtype =
        candle_dtype(&header.dtype).ok_or_else(|| Error::no_candle_dtype(name, &header.dtype))?;
    read_tensor_as(archive, name, dtype, device)
}

/// Member `name` of `archive` as a tensor of `dtype` on `device`: its own dtype, or one
/// that widens into `dtype` without loss (npy-serde's conversion table); `BF16` reads `|V2`
/// members (ml_dtypes' bfloat16). Any byte order; Fortran order without a copy.
pub fn read_tensor_as<R: Read + Seek>(
    archive: &mut npz::Reader<R>,
    name: &str,
    dtype: DType,
    device: &Device,
) -> Result<Tensor> {
    dispatch!(dtype, T => {
        let array: ArrayD<T> = archive.read(name)?;
        from_array(array, device)
    })
}

/// Every member of the npz at `path` as a tensor on `device`, in its own dtype, in archive
/// order (what candle's `Tensor::read_npz` returns). Members are read on every core at
/// once ([`npz::Reader::read_many`]): stored ones straight into the tensors' memory,
/// deflated ones inflated.
pub fn load<P: AsRef<Path>>(path: P, device: &Device) -> Result<Vec<(String, Tensor)>> {
    let mut archive = npz::Reader::open(path)?;
    let names = archive.names();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let arrays: Vec<NpyArray> = archive.read_many(&refs)?;
    names
        .into_iter()
        .zip(arrays)
        .map(|(name, array)| {
            let tensor =
                tensor_from_npy_array(array, None, device).map_err(|e| e.in_member(&name))?;
            Ok((name, tensor))
        })
        .collect()
}

/// `array` as a tensor of `dtype` (its own candle dtype when `None`) on `device`: its
/// vector moves into the tensor when it already holds that type, else it converts by
/// npy-serde's table.
pub fn tensor_from_npy_array(
    array: NpyArray,
    dtype: Option<DType>,
    device: &Device,
) -> Result<Tensor> {
    let dtype = match dtype {
        Some(dtype) => dtype,
        None => {
            candle_dtype(array.dtype()).ok_or_else(|| Error::no_candle_dtype("", array.dtype()))?
        }
    };
    dispatch!(dtype, T => typed_tensor::<T>(array, device))
}

fn typed_tensor<T: CandleElement>(array: NpyArray, device: &Device) -> Result<Tensor> {
    let shape = IxDyn(array.shape()).set_f(array.fortran_order());
    match T::take(array) {
        Ok(values) => {
            let array =
                ArrayD::from_shape_vec(shape, values).map_err(|e| Error::Layout(e.to_string()))?;
            from_array(array, device)
        }
        Err(array) => from_array(array.to_array::<T>()?, device),
    }
}

#[cfg(test)]
mod tests;
