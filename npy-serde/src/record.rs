//! Record (structured) element types: the runtime half of `#[derive(NpyElement)]`.
//!
//! The derive writes little code of its own; what it generates calls the functions here,
//! which own the rules:
//!
//! - **Written dtype.** Fields in declaration order, named by the field name or its
//!   `#[npy(rename = "…")]`. The layout is packed (NumPy's default) unless the struct says
//!   `#[npy(align)]` (NumPy's `align=True`: each field at a multiple of its alignment, padding
//!   written as `('', '|Vn')` entries) or is `#[repr(C)]`/`#[repr(transparent)]`: then the
//!   dtype describes the struct's own memory, each field at its real offset
//!   (`core::mem::offset_of!`) and the itemsize is `size_of::<Self>()`, which for the usual
//!   field types is exactly NumPy's `align=True` layout. `#[npy(packed)]` forces the packed
//!   layout on a `#[repr(C)]` struct.
//! - **Reading** ([`RecordPlan`]). Fields are matched by name, never by position: the file
//!   may order them differently, use either byte order, packed or aligned layouts or padding
//!   entries, and carry fields the struct does not have (they are skipped). A field the
//!   struct needs but the file lacks, or whose dtype does not convert losslessly into the
//!   field's type, is an [`ErrorKind::DtypeMismatch`] naming the field (`outer.inner` for nested
//!   records) and both dtypes. The plan (offset and dtype of each field) is computed once
//!   per array. When every field is a plain number (or an array of them) and the file
//!   holds each in its own native dtype, whatever the order and whatever other fields or
//!   padding surround them, the structs are built in one pass over about 64 KiB of records
//!   at a time, each field read in place at its offset ([`gather`], [`read_gathered`]).
//!   Otherwise each field is decoded as one column with the record stride (converting type
//!   or byte order), a chunk at a time, and the structs are assembled from the columns.
//! - **Zero-copy** (`#[npy(pod)]`, which needs `#[repr(C)]` or `#[repr(transparent)]` and
//!   `Self: bytemuck::Pod`). When the file's dtype equals the struct's dtype (same fields,
//!   offsets, itemsize, native byte order) and that dtype describes the struct's memory
//!   exactly ([`matches_memory`]), reading is one bulk copy into `Vec<Self>` and writing one
//!   bulk write of the slice. Any other file still loads through the plan. A memory map
//!   can hand out `&[T]` for such a struct when `T::write_dtype(&[])` equals the file's
//!   dtype: for the struct's own layout that equality holds, padding entries included.
//!
//! ```
//! # #[cfg(feature = "derive")] {
//! use npy_serde::element::FixedElement;
//! use npy_serde::NpyElement;
//!
//! #[derive(NpyElement, Debug, Clone, PartialEq)]
//! struct Point {
//!     x: f64,
//!     y: i32,
//!     #[npy(rename = "position")]
//!     pos: [f32; 3],
//! }
//!
//! assert_eq!(
//!     Point::dtype().to_string(),
//!     "[('x', '<f8'), ('y', '<i4'), ('position', '<f4', (3,))]"
//! );
//! let points = vec![Point { x: 1.5, y: -2, pos: [0.0, 1.0, 2.0] }];
//! let bytes = npy_serde::npy::to_vec(&points)?;
//! assert_eq!(npy_serde::npy::from_slice::<Vec<Point>>(&bytes)?, points);
//!
//! // A file with the fields in another order, big-endian, plus a field Point lacks.
//! let other: npy_serde::dtype::DType =
//!     "[('position', '>f4', (3,)), ('id', '<u8'), ('y', '>i4'), ('x', '>f8')]".parse()?;
//! let mut file = npy_serde::npy::Header::new(other, vec![1]).to_bytes()?;
//! for v in [0.0f32, 1.0, 2.0] {
//!     file.extend_from_slice(&v.to_be_bytes());
//! }
//! file.extend_from_slice(&7u64.to_le_bytes());
//! file.extend_from_slice(&(-2i32).to_be_bytes());
//! file.extend_from_slice(&1.5f64.to_be_bytes());
//! assert_eq!(npy_serde::npy::from_slice::<Vec<Point>>(&file)?, points);
//! # }
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! Zero-copy records:
//!
//! ```
//! # #[cfg(feature = "derive")] {
//! use npy_serde::NpyElement;
//!
//! #[derive(NpyElement, Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
//! #[repr(C)]
//! #[npy(pod)]
//! struct Sample {
//!     time: i64,
//!     value: f32,
//!     channel: u32,
//! }
//!
//! let samples = vec![Sample { time: 1, value: 0.5, channel: 3 }; 1000];
//! let bytes = npy_serde::npy::to_vec(&samples)?; // one bulk write
//! let back: Vec<Sample> = npy_serde::npy::from_slice(&bytes)?; // one bulk copy
//! assert_eq!(back, samples);
//! # }
//! # Ok::<(), npy_serde::Error>(())
//! ```

use std::io::{Read, Write};

#[doc(hidden)]
pub use bytemuck::Pod;

use crate::dtype::{DType, Field, Record};
use crate::elements::{write_encoded, DataReader, NpyElement};
use crate::errors::{Error, ErrorKind, Result};

/// The packed record dtype of `fields` (NumPy's default layout).
///
/// ```
/// use npy_serde::__private as record;
/// use npy_serde::element::FixedElement;
///
/// let dtype = record::packed_dtype(vec![("x", f64::dtype()), ("y", i32::dtype())]);
/// assert_eq!(dtype.to_string(), "[('x', '<f8'), ('y', '<i4')]");
/// ```
pub fn packed_dtype(fields: Vec<(&str, DType)>) -> DType {
    DType::Record(Record::packed(
        fields
            .into_iter()
            .map(|(name, dtype)| (name.to_string(), dtype)),
    ))
}

/// The record dtype NumPy makes with `align=True`: fields at multiples of their alignment,
/// the itemsize a multiple of the largest alignment.
///
/// A nested record counts with the alignment of its fields. NumPy gives a nested record
/// that was itself made without `align=True` an alignment of 1; derive such a nested struct
/// with `#[npy(align)]` too to lay it out as NumPy does.
///
/// ```
/// use npy_serde::__private as record;
/// use npy_serde::element::FixedElement;
///
/// let dtype = record::aligned_dtype(vec![("a", u8::dtype()), ("b", i32::dtype())]);
/// assert_eq!(dtype.to_string(), "[('a', '|u1'), ('', '|V3'), ('b', '<i4')]");
/// ```
pub fn aligned_dtype(fields: Vec<(&str, DType)>) -> DType {
    DType::Record(Record::aligned(
        fields
            .into_iter()
            .map(|(name, dtype)| (name.to_string(), dtype)),
    ))
}

/// The record dtype of fields at given offsets in items of `itemsize` bytes: what a
/// `#[repr(C)]` struct's memory holds (offsets from `core::mem::offset_of!`, `itemsize`
/// from `size_of`).
///
/// ```
/// use npy_serde::__private as record;
/// use npy_serde::element::FixedElement;
///
/// #[repr(C)]
/// struct Sample { flag: u8, value: f64 }
/// let dtype = record::dtype_at_offsets(
///     vec![
///         ("flag", u8::dtype(), std::mem::offset_of!(Sample, flag)),
///         ("value", f64::dtype(), std::mem::offset_of!(Sample, value)),
///     ],
///     size_of::<Sample>(),
/// );
/// assert_eq!(dtype.to_string(), "[('flag', '|u1'), ('', '|V7'), ('value', '<f8')]");
/// ```
pub fn dtype_at_offsets(fields: Vec<(&str, DType, usize)>, itemsize: usize) -> DType {
    DType::Record(Record {
        fields: fields
            .into_iter()
            .map(|(name, dtype, offset)| Field::new(name, dtype, offset))
            .collect(),
        itemsize,
    })
}

/// Where each field of a Rust record lives in a file's records: computed once per array
/// from the file's dtype and the field names, then used for every column.
///
/// ```
/// use npy_serde::__private::RecordPlan;
/// use npy_serde::dtype::DType;
/// use npy_serde::element::FixedElement;
///
/// // The file has the fields in another order, plus one the struct does not want.
/// let file: DType = "[('y', '>i4'), ('extra', '|u1'), ('x', '<f8')]".parse()?;
/// let plan = RecordPlan::new(&file, &["x", "y"], || DType::Bool)?;
/// let mut bytes = Vec::new();
/// bytes.extend_from_slice(&7i32.to_be_bytes());
/// bytes.push(0);
/// bytes.extend_from_slice(&1.5f64.to_le_bytes());
/// assert_eq!(plan.decode::<f64>(0, &bytes, 13, 1)?, [1.5]);
/// assert_eq!(plan.decode::<i64>(1, &bytes, 13, 1)?, [7]);
///
/// let missing = RecordPlan::new(&file, &["z"], || DType::Bool)?.check::<f32>(0).unwrap_err();
/// assert!(missing.to_string().contains("\"z\""), "{missing}");
/// # Ok::<(), npy_serde::Error>(())
/// ```
#[derive(Debug)]
pub struct RecordPlan<'a> {
    file: &'a DType,
    columns: Vec<Column<'a>>,
}

#[derive(Debug)]
struct Column<'a> {
    name: &'a str,
    /// The file's field of that name, if it has one.
    field: Option<&'a Field>,
}

impl<'a> RecordPlan<'a> {
    /// Finds the fields named `names` in `file`, a record dtype; `expected` gives the Rust
    /// type's dtype for the error when `file` is not a record at all.
    pub fn new(
        file: &'a DType,
        names: &[&'a str],
        expected: impl FnOnce() -> DType,
    ) -> Result<Self> {
        let DType::Record(record) = file else {
            return Err(Error::from(ErrorKind::DtypeMismatch {
                expected: format!("a record dtype such as {}", expected()),
                found: crate::convert::describe_dtype(file),
            }));
        };
        let columns = names
            .iter()
            .map(|&name| Column {
                name,
                field: record.field(name),
            })
            .collect();
        Ok(RecordPlan { file, columns })
    }

    /// The file's field for column `index`, or the error naming it and both dtypes.
    fn field<T: NpyElement>(&self, index: usize) -> Result<&'a Field> {
        let column = &self.columns[index];
        column.field.ok_or_else(|| {
            Error::from(ErrorKind::DtypeMismatch {
                expected: format!(
                    "a record with a field {:?} of {}",
                    column.name,
                    T::write_dtype(&[])
                ),
                found: self.file.to_string(),
            })
            .in_field(column.name)
        })
    }

    /// Checks that column `index` exists and reads as `T`.
    pub fn check<T: NpyElement>(&self, index: usize) -> Result<()> {
        let field = self.field::<T>(index)?;
        T::check_readable(&field.dtype).map_err(|e| e.in_field(field.name.as_str()))
    }

    /// Decodes column `index` of `count` records of `stride` bytes as `T`.
    pub fn decode<T: NpyElement>(
        &self,
        index: usize,
        bytes: &[u8],
        stride: usize,
        count: usize,
    ) -> Result<Vec<T>> {
        let field = self.field::<T>(index)?;
        let start = field.offset.min(bytes.len());
        let values = T::decode(&field.dtype, &bytes[start..], stride, count)
            .map_err(|e| e.in_field(field.name.as_str()))?;
        if values.len() != count {
            return Err(Error::invalid_data(format!(
                "field {:?}: {} values decoded for {count} records",
                field.name,
                values.len()
            )));
        }
        Ok(values)
    }

    /// The offset of every column when each is in the file with exactly the dtype given
    /// (the field type's own native dtype), so that each field can be copied as it is
    /// from every record ([`gather`], [`read_gathered`]); `None` when any field is missing
    /// or needs a conversion (then [`decode`](Self::decode) converts column by column).
    ///
    /// ```
    /// use npy_serde::__private::RecordPlan;
    /// use npy_serde::dtype::DType;
    /// use npy_serde::NpyElement;
    ///
    /// let file: DType = "[('y', '<i4'), ('extra', '|u1'), ('x', '<f8')]".parse()?;
    /// let plan = RecordPlan::new(&file, &["x", "y"], || DType::Bool)?;
    /// let native = [f64::write_dtype(&[]), i32::write_dtype(&[])];
    /// assert_eq!(plan.native_offsets(&native), Some(vec![5, 0]));
    /// let plan = RecordPlan::new(&file, &["x", "extra"], || DType::Bool)?;
    /// assert_eq!(plan.native_offsets(&[f64::write_dtype(&[]), u16::write_dtype(&[])]), None);
    /// # Ok::<(), npy_serde::Error>(())
    /// ```
    pub fn native_offsets(&self, dtypes: &[DType]) -> Option<Vec<usize>> {
        let itemsize = self.file.itemsize();
        if dtypes.len() != self.columns.len() {
            return None;
        }
        self.columns
            .iter()
            .zip(dtypes)
            .map(|(column, dtype)| {
                let field = column.field?;
                let end = field.offset.checked_add(dtype.itemsize())?;
                (field.dtype == *dtype && end <= itemsize).then_some(field.offset)
            })
            .collect()
    }

    /// Encodes `values` into column `index` of the records in `out` (`stride` bytes each).
    pub fn encode<'v, T, I>(
        &self,
        index: usize,
        values: I,
        out: &mut [u8],
        stride: usize,
    ) -> Result<()>
    where
        T: NpyElement + 'v,
        I: ExactSizeIterator<Item = &'v T>,
    {
        let field = self.columns[index].field.ok_or_else(|| {
            Error::unwritable(format!(
                "the dtype {} has no field {:?} to write",
                self.file, self.columns[index].name
            ))
        })?;
        let start = field.offset.min(out.len());
        T::encode(values, &field.dtype, &mut out[start..], stride)
            .map_err(|e| e.in_field(field.name.as_str()))
    }

    /// The error for a column that ran out before `count` records were assembled.
    pub fn short_column(&self, count: usize) -> Error {
        Error::invalid_data(format!(
            "a field column of {} ended before its {count} records",
            self.file
        ))
    }
}

/// Bytes of records decoded at a time by [`read_records`]: small enough that a chunk and its
/// columns stay in the CPU cache and their buffers are reused by the allocator (not mapped
/// afresh, which would page-fault on every chunk).
const RECORD_CHUNK_BYTES: usize = 64 * 1024;

/// Bytes of records read at a time by [`read_gathered`] (fits in L2 with its records).
const GATHER_CHUNK_BYTES: usize = 256 * 1024;

/// Reads `count` records through [`NpyElement::decode`], a chunk of about 64 KiB at a time,
/// so the columns of each chunk stay in cache and memory never holds more than one raw
/// chunk besides the records.
pub fn read_records<T: NpyElement, R: Read>(
    dtype: &DType,
    count: usize,
    data: &mut DataReader<'_, R>,
) -> Result<Vec<T>> {
    let itemsize = dtype.itemsize();
    if itemsize == 0 {
        crate::elements::check_zero_width_count(count, itemsize)?;
        return T::decode(dtype, &[], 0, count);
    }
    read_chunked(
        count,
        itemsize,
        RECORD_CHUNK_BYTES,
        data,
        |bytes, records, values| {
            let decoded = T::decode(dtype, bytes, itemsize, records)?;
            // Exactly `records` per chunk, so the result never outgrows what was reserved
            // (`read_chunked` relies on it while its memory is being mapped).
            if decoded.len() != records {
                return Err(Error::invalid_data(format!(
                    "{} records decoded from a chunk of {records}",
                    decoded.len()
                )));
            }
            values.extend(decoded);
            Ok(())
        },
    )
}

/// Reads field value `F` at byte `offset` of one record (native order, unaligned): the
/// per-field step of [`gather`] for a field whose file dtype is its own.
#[inline(always)]
pub fn field_at<F: Pod>(record: &[u8], offset: usize) -> F {
    bytemuck::pod_read_unaligned(&record[offset..offset + size_of::<F>()])
}

/// Builds `count` records of `record_len` bytes, `stride` bytes apart in `bytes` (a
/// nested record's stride is its parent's), in one pass, each by `make` from its record's
/// bytes (with [`field_at`] per field): the records are made in place, with no column
/// vectors in between.
pub fn gather<T>(
    bytes: &[u8],
    stride: usize,
    record_len: usize,
    count: usize,
    mut make: impl FnMut(&[u8]) -> T,
) -> Result<Vec<T>> {
    let needed = match count {
        0 => Some(0),
        _ => (count - 1)
            .checked_mul(stride)
            .and_then(|n| n.checked_add(record_len)),
    };
    if needed.is_none_or(|needed| bytes.len() < needed) {
        return Err(Error::invalid_data(format!(
            "{} bytes given for {count} records of {record_len} bytes, {stride} apart",
            bytes.len()
        )));
    }
    if stride == record_len && stride > 0 {
        return Ok(bytes.chunks_exact(stride).take(count).map(make).collect());
    }
    Ok((0..count)
        .map(|i| make(&bytes[i * stride..i * stride + record_len]))
        .collect())
}

/// [`read_records`] for records whose fields are all in the file as they are in memory
/// (their offsets from [`RecordPlan::native_offsets`]): each chunk of about 64 KiB of
/// records is turned into structs in one pass by `make` (see [`gather`]), appended to the
/// result directly.
pub fn read_gathered<T, R: Read>(
    dtype: &DType,
    count: usize,
    data: &mut DataReader<'_, R>,
    mut make: impl FnMut(&[u8]) -> T,
) -> Result<Vec<T>> {
    let itemsize = dtype.itemsize();
    if itemsize == 0 {
        crate::elements::check_zero_width_count(count, itemsize)?;
        return Ok((0..count).map(|_| make(&[])).collect());
    }
    // Larger chunks than the column plan's: nothing but the chunk itself is in flight.
    read_chunked(
        count,
        itemsize,
        GATHER_CHUNK_BYTES,
        data,
        |bytes, _, values| {
            values.extend(bytes.chunks_exact(itemsize).map(&mut make));
            Ok(())
        },
    )
}

/// Reads `count` records of `itemsize` (> 0) bytes about `chunk_bytes` at a time, handing
/// each chunk's bytes and record count to `decode`, which appends exactly that many records
/// to the result. When the file is known to hold all the records, they are reserved at once
/// (with huge pages for a large result, as bulk reads do) rather than grown by doubling: the
/// records then take at most a small multiple of the bytes present, since every field has
/// at least one byte. The reserved memory is then mapped by another thread while the
/// records are read and built (see `buffer::FreshPages`).
fn read_chunked<T, R: Read>(
    count: usize,
    itemsize: usize,
    chunk_bytes: usize,
    data: &mut DataReader<'_, R>,
    mut decode: impl FnMut(&[u8], usize, &mut Vec<T>) -> Result<()>,
) -> Result<Vec<T>> {
    let per_chunk = (chunk_bytes / itemsize).max(1);
    // Declared before the scope below, so it outlives the thread that maps its memory.
    let mut values = Vec::new();
    let mut fresh = None;
    let (_, _, available) = data.parts();
    if available.is_some_and(|bytes| (count as u64).saturating_mul(itemsize as u64) <= bytes) {
        values.reserve_exact(count);
        crate::buffer::advise_huge_pages(values.spare_capacity_mut());
        fresh = crate::buffer::FreshPages::of(values.spare_capacity_mut());
    }
    std::thread::scope(|scope| -> Result<()> {
        if let Some(pages) = fresh {
            // A thread that cannot be started only leaves the pages to fault in as written.
            let _ = std::thread::Builder::new().spawn_scoped(scope, move || pages.map());
        }
        let mut left = count;
        while left > 0 {
            let records = left.min(per_chunk);
            let bytes = data.read_bytes(records, itemsize)?;
            decode(&bytes, records, &mut values)?;
            left -= records;
        }
        Ok(())
    })?;
    Ok(values)
}

/// True when `dtype` is `T`'s own dtype and that dtype describes `T`'s memory exactly:
/// itemsize `size_of::<T>()`, each field (given as `(offset, size_of)` of the Rust field,
/// in declaration order) at its Rust offset with its Rust size, native byte order.
pub fn matches_memory<T: crate::elements::FixedElement>(
    dtype: &DType,
    fields: &[(usize, usize)],
) -> bool {
    let own = T::dtype();
    let DType::Record(record) = &own else {
        return false;
    };
    own == *dtype
        && record.itemsize == size_of::<T>()
        && record.fields.len() == fields.len()
        && record
            .fields
            .iter()
            .zip(fields)
            .all(|(field, &(offset, size))| {
                field.offset == offset && field.dtype.itemsize() == size
            })
}

/// Reads `count` records whose bytes are the struct's memory: one bulk copy.
pub fn read_pod_records<T: Pod, R: Read>(
    count: usize,
    data: &mut DataReader<'_, R>,
) -> Result<Vec<T>> {
    data.read_pod::<T>(count)
}

/// Writes records whose bytes are the struct's memory: one bulk write.
pub fn write_pod_records<T: Pod, W: Write>(values: &[T], writer: &mut W) -> Result<()> {
    writer.write_all(bytemuck::cast_slice(values))?;
    Ok(())
}

/// Writes records field by field, a chunk at a time ([`NpyElement::write_values`]'s default).
pub fn write_records<T: NpyElement, W: Write>(
    values: &[T],
    dtype: &DType,
    writer: &mut W,
) -> Result<()> {
    write_encoded(values, dtype, writer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::FixedElement;

    #[test]
    fn a_large_result_is_read_whole_while_its_pages_are_mapped() {
        // 64-byte records into 64-byte values: a result of 72 MiB, above FreshPages' floor.
        let count = (72 << 20) / 64;
        let mut bytes = Vec::with_capacity(count * 64);
        for i in 0..count as u64 {
            for j in 0..8 {
                bytes.extend_from_slice(&(i * 8 + j).to_ne_bytes());
            }
        }
        let dtype: DType = "[('a', '<u8', (8,))]".parse().unwrap();
        assert_eq!(dtype.itemsize(), 64);
        let mut reader = &bytes[..];
        let mut data = DataReader::new(&mut reader, 128, Some(bytes.len() as u64));
        let values: Vec<[u64; 8]> =
            read_gathered(&dtype, count, &mut data, |record| field_at(record, 0)).unwrap();
        assert_eq!(values.len(), count);
        assert_eq!(values.capacity(), count);
        for (i, value) in values.iter().enumerate() {
            let first = i as u64 * 8;
            assert_eq!(
                *value,
                std::array::from_fn(|j| first + j as u64),
                "record {i}"
            );
        }
    }

    #[test]
    fn nested_field_errors_carry_the_path() {
        let err = Error::from(ErrorKind::DtypeMismatch {
            expected: "'<f8'".into(),
            found: "'<i8'".into(),
        })
        .in_field("x")
        .in_field("inner");
        assert_eq!(err.field(), Some("inner.x"));
    }

    #[test]
    fn plans_refuse_plain_dtypes_and_lossy_fields() {
        let err = RecordPlan::new(&f64::dtype(), &["x"], || {
            packed_dtype(vec![("x", f64::dtype())])
        })
        .unwrap_err();
        assert!(err.to_string().contains("record"), "{err}");
        let file: DType = "[('x', '<f8')]".parse().unwrap();
        let plan = RecordPlan::new(&file, &["x"], || DType::Bool).unwrap();
        let err = plan.check::<f32>(0).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("\"x\"") && text.contains("'<f8'") && text.contains("float32 (f32)"),
            "{text}"
        );
    }
}
