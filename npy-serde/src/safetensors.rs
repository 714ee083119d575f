//! `.npz` ⇄ `.safetensors` (feature `safetensors`), the format models travel in between
//! ecosystems, through the [`safetensors`](https://docs.rs/safetensors) crate. This module
//! owns the dtype correspondence of the two formats and where safetensors' `__metadata__`
//! lives in an npz.
//!
//! | npz member dtype | safetensors dtype |
//! |---|---|
//! | `bool` | `BOOL` |
//! | `int8` / `int16` / `int32` / `int64` | `I8` / `I16` / `I32` / `I64` |
//! | `uint8` / `uint16` / `uint32` / `uint64` | `U8` / `U16` / `U32` / `U64` |
//! | `float16` / `float32` / `float64` | `F16` / `F32` / `F64` |
//! | `\|V2` (bfloat16, as ml_dtypes and [`half::bf16`] write it) | `BF16` |
//! | `complex64` | `C64` |
//!
//! The conversion is lossless both ways for these; anything else (strings, records,
//! objects, `complex128`, datetimes, other void widths; safetensors' 4-, 6- and 8-bit
//! floats) is refused with an error naming the member and its dtype. A two-byte void
//! member becomes `BF16`: that is the only way bf16 data reaches an npz, and safetensors
//! has no other two-byte opaque type. Members of either byte order and either memory order
//! convert; safetensors stores little-endian C order, and the npz members written from it
//! are little-endian C order too (as [`WriteOptions`] ask: its byte order and compression
//! apply).
//!
//! **Metadata.** safetensors' `__metadata__` (a string-to-string map) is the npz member
//! [`METADATA_MEMBER`] (`__metadata__`): a 0-d unicode string holding the map as a JSON
//! object. NumPy reads it as `json.loads(str(np.load(f)["__metadata__"]))`; converting back
//! makes it the safetensors header's `__metadata__` again. An archive without it converts
//! to a file without metadata.
//!
//! ```
//! use npy_serde::half::bf16;
//! use npy_serde::{npz, safetensors};
//! # let dir = tempfile::tempdir()?;
//! # let (npz_path, st_path) = (dir.path().join("model.npz"), dir.path().join("model.safetensors"));
//!
//! let weight = ndarray::array![[bf16::from_f32(0.5), bf16::from_f32(-1.0)]];
//! npz::savez(&npz_path, &[("fc1.weight", &weight), ("fc1.bias", &vec![0.25f32])])?;
//! safetensors::npz_to_safetensors(&npz_path, &st_path)?;
//! safetensors::safetensors_to_npz(&st_path, dir.path().join("back.npz"))?;
//!
//! let mut back = npz::Reader::open(dir.path().join("back.npz"))?;
//! let again: ndarray::Array2<bf16> = back.read("fc1.weight")?;
//! assert_eq!(again, weight);
//! # Ok::<(), npy_serde::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use ::safetensors::tensor::{Dtype, SafeTensors, View};
use bytemuck::NoUninit;
use half::{bf16, f16};
use ndarray::ArrayD;
use num_complex::Complex;

use crate::convert::{self, BF16_DTYPE};
use crate::dtype::{DType, Endian};
use crate::elements::NpyElement;
use crate::errors::{Error, Result};
use crate::header::Header;
use crate::npz;
use crate::options::{ReadOptions, WriteOptions};
use crate::serde_format::RawMember;

/// The npz member that holds safetensors' `__metadata__`: a 0-d unicode string of JSON.
pub const METADATA_MEMBER: &str = "__metadata__";

/// Converts the npz archive at `npz` into a safetensors file at `safetensors` (replaced
/// atomically), with default [`ReadOptions`].
pub fn npz_to_safetensors<P: AsRef<Path>, Q: AsRef<Path>>(npz: P, safetensors: Q) -> Result<()> {
    npz_to_safetensors_with(npz, safetensors, &ReadOptions::default())
}

/// [`npz_to_safetensors`] with `options` for reading the archive.
pub fn npz_to_safetensors_with<P: AsRef<Path>, Q: AsRef<Path>>(
    npz: P,
    safetensors: Q,
    options: &ReadOptions,
) -> Result<()> {
    let npz = npz.as_ref();
    let target = safetensors.as_ref();
    let mut archive = npz::Reader::open_with(npz, options)?;
    let (tensors, metadata) = collect(&mut archive).map_err(|e| e.in_file(npz))?;
    crate::write::replace_file_atomically(target, true, |temp| {
        ::safetensors::serialize_to_file(tensors, metadata, temp.path()).map_err(st_error)
    })
    .map_err(|e| e.in_file(target))
}

/// The members of `archive` as the bytes of a safetensors file.
///
/// ```
/// use npy_serde::{npz, safetensors};
///
/// let mut writer = npz::Writer::new(std::io::Cursor::new(Vec::new()));
/// writer.add("w", &vec![1.0f32, 2.0])?;
/// let mut archive = npz::Reader::new(writer.finish()?)?;
/// let bytes = safetensors::to_safetensors(&mut archive)?;
///
/// let mut back = npz::Writer::new(std::io::Cursor::new(Vec::new()));
/// safetensors::add_safetensors(&bytes, &mut back)?;
/// let mut back = npz::Reader::new(back.finish()?)?;
/// assert_eq!(back.read::<Vec<f32>>("w")?, [1.0, 2.0]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn to_safetensors<R: Read + Seek>(archive: &mut npz::Reader<R>) -> Result<Vec<u8>> {
    let (tensors, metadata) = collect(archive)?;
    ::safetensors::serialize(tensors, metadata).map_err(st_error)
}

/// Converts the safetensors file at `safetensors` into an npz archive at `npz` (replaced
/// atomically), stored as `np.savez` writes.
pub fn safetensors_to_npz<P: AsRef<Path>, Q: AsRef<Path>>(safetensors: P, npz: Q) -> Result<()> {
    safetensors_to_npz_with(safetensors, npz, &WriteOptions::default())
}

/// [`safetensors_to_npz`] with `options` for writing the archive (compression, byte
/// order, format version).
pub fn safetensors_to_npz_with<P: AsRef<Path>, Q: AsRef<Path>>(
    safetensors: P,
    npz: Q,
    options: &WriteOptions,
) -> Result<()> {
    let source = safetensors.as_ref();
    let file = File::open(source).map_err(|e| Error::from(e).in_file(source))?;
    // SAFETY: the map is only read; a file changed underneath gives wrong values or a
    // format error, as reading it while it is written would.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::from(e).in_file(source))?;
    let mut writer = npz::Writer::create_with(npz, options)?;
    add_safetensors(&map, &mut writer).map_err(|e| e.in_file(source))?;
    writer.finish().map(drop)
}

/// Adds every tensor of the safetensors file `bytes` to `writer` as a member of the same
/// name, in the file's order, and its `__metadata__` as [`METADATA_MEMBER`].
pub fn add_safetensors<W: Write + Seek>(bytes: &[u8], writer: &mut npz::Writer<W>) -> Result<()> {
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(st_error)?;
    let tensors = SafeTensors::deserialize(bytes).map_err(st_error)?;
    for name in metadata.offset_keys() {
        let view = tensors.tensor(&name).map_err(st_error)?;
        let dtype = npy_dtype(view.dtype()).ok_or_else(|| {
            Error::unwritable(format!(
                "safetensors dtype {} has no NumPy dtype (npz holds bool, integers, float16/32/64, \
                 bfloat16 as '|V2' and complex64)",
                view.dtype()
            ))
            .in_member(name.as_str())
        })?;
        let swapped;
        let mut data = view.data();
        if dtype == BF16_DTYPE && cfg!(target_endian = "big") {
            // bf16 is stored in the machine's order; safetensors' is little-endian.
            swapped = swap_pairs(data);
            data = &swapped;
        }
        let member = RawMember {
            header: Header::new(dtype, view.shape().to_vec()),
            bytes: data,
        };
        writer.add(&name, &member)?;
    }
    if let Some(map) = metadata.metadata() {
        let sorted: BTreeMap<&String, &String> = map.iter().collect();
        let json = serde_json::to_string(&sorted).map_err(Error::unwritable)?;
        writer.add(METADATA_MEMBER, &ndarray::arr0(json))?;
    }
    Ok(())
}

/// The safetensors dtypes npz holds, each the dtype of one Rust element type.
const DTYPES: [Dtype; 14] = [
    Dtype::BOOL,
    Dtype::I8,
    Dtype::I16,
    Dtype::I32,
    Dtype::I64,
    Dtype::U8,
    Dtype::U16,
    Dtype::U32,
    Dtype::U64,
    Dtype::F16,
    Dtype::BF16,
    Dtype::F32,
    Dtype::F64,
    Dtype::C64,
];

/// Runs `$body` with `$T` the Rust element type of safetensors dtype `$dtype`; others
/// give `$fallback`. The one table of safetensors dtype to Rust type.
macro_rules! dispatch {
    (@match $dtype:expr, $T:ident, $body:expr, $other:pat, $fallback:expr; $($p:pat => $t:ty),*) => {
        match $dtype { $($p => { type $T = $t; $body })* $other => $fallback }
    };
    ($dtype:expr, $T:ident => $body:expr, $other:pat => $fallback:expr) => {
        dispatch!(@match $dtype, $T, $body, $other, $fallback;
            Dtype::BOOL => bool,
            Dtype::I8 => i8,
            Dtype::I16 => i16,
            Dtype::I32 => i32,
            Dtype::I64 => i64,
            Dtype::U8 => u8,
            Dtype::U16 => u16,
            Dtype::U32 => u32,
            Dtype::U64 => u64,
            Dtype::F16 => f16,
            Dtype::BF16 => bf16,
            Dtype::F32 => f32,
            Dtype::F64 => f64,
            Dtype::C64 => Complex<f32>)
    };
}

/// The npz dtype (little-endian) of a safetensors dtype, when NumPy has one: the dtype its
/// Rust element type writes. bf16's is `|V2` (in the machine's byte order: void has none).
fn npy_dtype(dtype: Dtype) -> Option<DType> {
    dispatch!(dtype, T => Some(T::write_dtype(&[]).with_endian(Endian::Little)), _ => None)
}

/// The safetensors dtype of an npz member's dtype (in either byte order), when it has
/// one. A two-byte void is `BF16`: the only way bf16 data reaches an npz.
fn st_dtype(dtype: &DType) -> Option<Dtype> {
    let little = dtype.with_endian(Endian::Little);
    DTYPES
        .into_iter()
        .find(|&st| npy_dtype(st).as_ref() == Some(&little))
}

/// A tensor ready for safetensors: little-endian C-order data.
struct Tensor {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Box<dyn AsBytes>,
}

impl View for Tensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.data.bytes())
    }
    fn data_len(&self) -> usize {
        self.data.bytes().len()
    }
}

/// The values of one tensor, whatever their type, as bytes.
trait AsBytes {
    fn bytes(&self) -> &[u8];
}

impl<T: NoUninit> AsBytes for Vec<T> {
    fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(self)
    }
}

type Collected = (Vec<(String, Tensor)>, Option<HashMap<String, String>>);

/// Every member of `archive` as a tensor, and the metadata member as the metadata.
fn collect<R: Read + Seek>(archive: &mut npz::Reader<R>) -> Result<Collected> {
    let mut tensors = Vec::new();
    let mut metadata = None;
    for name in archive.names() {
        if name == METADATA_MEMBER {
            metadata = Some(read_metadata(archive).map_err(|e| e.in_member(name.as_str()))?);
            continue;
        }
        let header = archive.header(&name)?.header;
        let dtype = st_dtype(&header.dtype).ok_or_else(|| {
            Error::unwritable(format!(
                "{} has no safetensors dtype (safetensors holds bool, integers, float16/32/64, \
                 bfloat16 and complex64)",
                convert::describe_dtype(&header.dtype)
            ))
            .in_member(name.as_str())
        })?;
        let data = dispatch!(dtype, T => c_order::<T, _>(archive, &name)?, _ => {
            unreachable!("st_dtype gives only the dtypes dispatch! knows")
        });
        tensors.push((
            name,
            Tensor {
                dtype,
                shape: header.shape,
                data,
            },
        ));
    }
    Ok((tensors, metadata))
}

/// Member `name` as `T` values in C order, little-endian.
fn c_order<T, R>(archive: &mut npz::Reader<R>, name: &str) -> Result<Box<dyn AsBytes>>
where
    T: NpyElement + NoUninit + Clone,
    R: Read + Seek,
{
    let array: ArrayD<T> = archive.read(name)?;
    let values = if array.is_standard_layout() {
        array.into_raw_vec_and_offset().0
    } else {
        array.iter().cloned().collect()
    };
    if cfg!(target_endian = "big") {
        // The element's own encoder writes little-endian (bf16 stays in the machine's
        // order: void has none, and safetensors' side is swapped pairwise below).
        let dtype = T::write_dtype(&values).with_endian(Endian::Little);
        let mut bytes = Vec::with_capacity(values.len() * dtype.itemsize());
        T::write_values(&values, &dtype, &mut bytes)?;
        if dtype == BF16_DTYPE {
            bytes = swap_pairs(&bytes);
        }
        return Ok(Box::new(bytes));
    }
    Ok(Box::new(values))
}

/// The metadata member: a 0-d string holding a JSON object of strings.
fn read_metadata<R: Read + Seek>(archive: &mut npz::Reader<R>) -> Result<HashMap<String, String>> {
    let text: ArrayD<String> = archive.read(METADATA_MEMBER)?;
    let text = match (text.ndim(), text.iter().next()) {
        (0, Some(text)) => text,
        _ => {
            return Err(Error::invalid_data(format!(
                "the {METADATA_MEMBER} member must be a 0-d string of JSON (safetensors' \
                 metadata); it has shape {:?}",
                text.shape()
            )))
        }
    };
    serde_json::from_str(text).map_err(|e| {
        Error::invalid_data(format!(
            "the {METADATA_MEMBER} member is not a JSON object of strings (safetensors' \
             metadata): {e}"
        ))
    })
}

fn swap_pairs(bytes: &[u8]) -> Vec<u8> {
    bytes
        .chunks(2)
        .flat_map(|pair| pair.iter().rev())
        .copied()
        .collect()
}

/// A safetensors error as ours: the file is not valid safetensors, or writing it failed.
fn st_error(error: ::safetensors::SafeTensorError) -> Error {
    match error {
        ::safetensors::SafeTensorError::IoError(e) => Error::from(e),
        other => Error::invalid_data(format!("safetensors: {other}")).with_source(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dtype_table_is_one_to_one() {
        for dtype in DTYPES {
            assert_eq!(st_dtype(&npy_dtype(dtype).unwrap()), Some(dtype));
        }
        for refused in ["<U3", "|O", "<c16", "<M8[s]", "|V4", "|S2"] {
            assert_eq!(st_dtype(&refused.parse().unwrap()), None, "{refused}");
        }
        assert_eq!(npy_dtype(Dtype::F8_E4M3), None);
    }

    #[test]
    fn refusals_name_the_member_and_its_dtype() {
        let mut writer = npz::Writer::new(std::io::Cursor::new(Vec::new()));
        writer.add("ok", &vec![1u8]).unwrap();
        writer.add("names", &vec!["a".to_string()]).unwrap();
        let mut archive = npz::Reader::new(writer.finish().unwrap()).unwrap();
        let err = to_safetensors(&mut archive).unwrap_err().to_string();
        assert!(err.contains("names") && err.contains("<U1"), "{err}");
    }

    #[test]
    fn big_endian_fortran_members_and_metadata_round_trip() {
        let options = WriteOptions::default().with_endian(Endian::Big);
        let mut writer =
            npz::Writer::with_options(std::io::Cursor::new(Vec::new()), &options).unwrap();
        let matrix = ndarray::array![[1i32, 2, 3], [4, 5, 6]];
        writer.add("m", &matrix.t()).unwrap();
        writer
            .add(
                METADATA_MEMBER,
                &ndarray::arr0(r#"{"format":"np"}"#.to_string()),
            )
            .unwrap();
        let mut archive = npz::Reader::new(writer.finish().unwrap()).unwrap();
        let bytes = to_safetensors(&mut archive).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let m = st.tensor("m").unwrap();
        assert_eq!(m.shape(), [3, 2]);
        let expected: Vec<u8> = [1i32, 4, 2, 5, 3, 6]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(m.data(), expected);

        let mut back = npz::Writer::new(std::io::Cursor::new(Vec::new()));
        add_safetensors(&bytes, &mut back).unwrap();
        let mut back = npz::Reader::new(back.finish().unwrap()).unwrap();
        assert_eq!(back.read::<ndarray::Array2<i32>>("m").unwrap(), matrix.t());
        let meta: ndarray::Array0<String> = back.read(METADATA_MEMBER).unwrap();
        assert_eq!(meta.into_scalar(), r#"{"format":"np"}"#);
    }
}
