//! Rust element types and how their values map to bytes: the [`NpyElement`] trait and its
//! implementations for numbers, `bool`, `f16`, complex numbers, strings, datetimes and
//! fixed-size arrays (subarrays).
//!
//! Every conversion works on whole columns: `decode` and `encode` take a byte buffer with a
//! stride, so a record field is converted in one pass over all records, and plain numeric
//! types read and write with one bulk copy plus an in-place byte swap when the file's byte
//! order is not the machine's.

use std::io::{Read, Write};

use bytemuck::Pod;
use half::{bf16, f16};
use num_complex::Complex;

use crate::buffer::{extend_zeroed, read_up_to, zeroed_for_read, CHUNK_BYTES};
use crate::convert::{self, FromValue, Target};
use crate::dtype::{DType, Endian};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{truncated, Header};

/// A Rust type that can be the element of a NumPy array.
///
/// Implemented for `bool`, `i8`–`i64`, `u8`–`u64`, `f32`, `f64`, [`half::f16`],
/// [`half::bf16`] (written as `|V2`, as ml_dtypes' `bfloat16` goes through `np.save`),
/// [`num_complex::Complex<f32>`]/`<f64>`, `String` (`U`), `Vec<u8>` (`S`),
/// [`FixedUnicode`], [`FixedBytes`], [`DateTime64`], [`TimeDelta64`] and `[T; N]` (a
/// subarray); `#[derive(NpyElement)]` implements it for structs (record dtypes).
///
/// Reading accepts the type's own dtype in either byte order and lossless widenings
/// (`'<i4'` into `i64`, `'<f4'` into `f64`, `'<f2'` into `f32`, …), never narrowing: the
/// one table decides ([which Rust type reads which dtype](crate::element#which-rust-type-reads-which-dtype)).
pub trait NpyElement: Sized {
    /// The dtype written for `values` in native byte order. Fixed-width types ignore the
    /// values; strings use the width the longest one needs, as NumPy does.
    fn write_dtype(values: &[Self]) -> DType;

    /// Checks that data of `dtype` can be read as `Self`, before any data is read.
    fn check_readable(dtype: &DType) -> Result<()>;

    /// Decodes `count` items of `dtype` from `bytes`, item `i` starting at `i * stride`.
    /// `dtype` has passed [`check_readable`](Self::check_readable).
    fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>>;

    /// Encodes `values` as `dtype` (what [`write_dtype`](Self::write_dtype) gave, maybe in
    /// another byte order) into `out`, item `i` starting at `i * stride`.
    fn encode<'a, I>(values: I, dtype: &DType, out: &mut [u8], stride: usize) -> Result<()>
    where
        I: ExactSizeIterator<Item = &'a Self>,
        Self: 'a;

    /// Reads `count` items of `dtype` from `data`. The default reads the bytes and calls
    /// [`decode`](Self::decode); plain types override it with one bulk read.
    fn read_values<R: Read>(
        dtype: &DType,
        count: usize,
        data: &mut DataReader<'_, R>,
    ) -> Result<Vec<Self>> {
        let itemsize = dtype.itemsize();
        let bytes = data.read_bytes(count, itemsize)?;
        Self::decode(dtype, &bytes, itemsize, count)
    }

    /// Writes `values` as `dtype`. The default encodes a chunk at a time; plain types
    /// override it with one bulk write.
    fn write_values<W: Write>(values: &[Self], dtype: &DType, writer: &mut W) -> Result<()> {
        write_encoded(values, dtype, writer)
    }
}

/// Element types whose dtype does not depend on the values: everything but `String` and
/// `Vec<u8>`. Record fields must be of such a type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a fixed-width NumPy element type, so it cannot be a record field",
    label = "not a FixedElement",
    note = "record fields are numbers, bool, f16, complex, [T; N], FixedUnicode<N>, FixedBytes<N>, \
            DateTime64<U>, TimeDelta64<U> or structs deriving NpyElement"
)]
pub trait FixedElement: NpyElement {
    /// The dtype, in native byte order.
    fn dtype() -> DType;
}

/// The data part of a `.npy` stream, as element reads see it: the reader, where the data
/// starts (for error messages) and, when known, how many bytes are really there.
///
/// Memory is only ever allocated for bytes that have arrived: a header that declares
/// 10^11 elements over a 200-byte file fails with "truncated" after reading what is there.
pub struct DataReader<'a, R> {
    reader: &'a mut R,
    offset: u64,
    available: Option<u64>,
}

impl<'a, R: Read> DataReader<'a, R> {
    /// Wraps `reader`, positioned at a data part that starts at byte `offset` of its file.
    /// `available`, when given, is the number of bytes known to be present (a file's
    /// length past the header); it lets a whole array be allocated at once.
    pub fn new(reader: &'a mut R, offset: u64, available: Option<u64>) -> Self {
        DataReader {
            reader,
            offset,
            available,
        }
    }

    fn total_bytes(&self, count: usize, itemsize: usize) -> Result<usize> {
        let total = count.checked_mul(itemsize).ok_or_else(|| {
            Error::invalid_header(format!("{count} items of {itemsize} bytes overflow"))
        })?;
        if let Some(available) = self.available {
            if (total as u64) > available {
                return Err(truncated("data", self.offset, total as u64, available));
            }
        }
        Ok(total)
    }

    /// The reader, the offset of the next data byte and the bytes known to remain: for
    /// code that must read through a `dyn Read` (the serde format's bulk arrays).
    pub(crate) fn parts(&mut self) -> (&mut R, u64, Option<u64>) {
        (self.reader, self.offset, self.available)
    }

    /// Reads `count` items of `itemsize` bytes as raw bytes.
    ///
    /// Items of zero bytes (`'<U0'`, `'|S0'`, empty records) are limited to
    /// [`MAX_ZERO_WIDTH_ITEMS`]: nothing in the file bounds how many of them a header
    /// declares, and each decoded item still takes memory.
    pub fn read_bytes(&mut self, count: usize, itemsize: usize) -> Result<Vec<u8>> {
        check_zero_width_count(count, itemsize)?;
        self.read_pod::<u8>(count.checked_mul(itemsize).ok_or_else(|| {
            Error::invalid_header(format!("{count} items of {itemsize} bytes overflow"))
        })?)
    }

    /// Reads `count` plain values straight into their vector: one allocation and one read
    /// when the bytes are known to be there, geometric growth otherwise.
    pub fn read_pod<T: Pod>(&mut self, count: usize) -> Result<Vec<T>> {
        let size = size_of::<T>().max(1);
        let total = self.total_bytes(count, size_of::<T>())?;
        if self.available.is_some() {
            let mut values: Vec<T> = zeroed_for_read(count);
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut values);
            let got = read_up_to(self.reader, bytes)?;
            if got < total {
                return Err(truncated("data", self.offset, total as u64, got as u64));
            }
            self.offset += total as u64;
            return Ok(values);
        }
        let mut values: Vec<T> = Vec::new();
        while values.len() < count {
            let filled = values.len();
            let grow = (count - filled).min(filled.max(CHUNK_BYTES / size));
            extend_zeroed(&mut values, grow);
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut values[filled..]);
            let got = read_up_to(self.reader, bytes)?;
            if got < bytes.len() {
                let found = (filled * size_of::<T>() + got) as u64;
                return Err(truncated("data", self.offset, total as u64, found));
            }
        }
        self.offset += total as u64;
        Ok(values)
    }
}

/// How a file's elements map to `T`: the dtype `T` reads and the shape of `T` items.
///
/// A subarray type (`[f32; 3]`) takes the file's trailing dimensions as part of each item.
pub(crate) fn element_layout<T: NpyElement>(header: &Header) -> Result<(DType, Vec<usize>)> {
    if header.dtype.has_object() {
        return Err(Error::from(ErrorKind::ObjectArray));
    }
    let mut dtype = header.dtype.clone();
    let mut shape = header.shape.clone();
    if let DType::SubArray { shape: inner, .. } = T::write_dtype(&[]) {
        let split = shape.len().checked_sub(inner.len());
        let fits = split.is_some_and(|split| shape[split..] == inner[..]);
        if !fits || (header.fortran_order && shape.len() > 1) {
            return Err(Error::from(ErrorKind::ShapeMismatch {
                expected: format!(
                    "a C-order array whose last dimensions are {inner:?} (the subarray of {})",
                    std::any::type_name::<T>()
                ),
                found: shape,
            }));
        }
        shape.truncate(split.expect("checked"));
        dtype = DType::SubArray {
            base: Box::new(dtype),
            shape: inner,
        };
    }
    T::check_readable(&dtype)?;
    Ok((dtype, shape))
}

/// Most items of a zero-byte dtype that are decoded: a 128-byte header may declare 10^12
/// of them, and each one decoded (an empty `String`) takes memory the file does not bound.
pub(crate) const MAX_ZERO_WIDTH_ITEMS: usize = 1 << 16;

/// Refuses to decode more than [`MAX_ZERO_WIDTH_ITEMS`] items of zero bytes.
pub(crate) fn check_zero_width_count(count: usize, itemsize: usize) -> Result<()> {
    if itemsize == 0 && count > MAX_ZERO_WIDTH_ITEMS {
        return Err(Error::from(ErrorKind::TooManyItems {
            count,
            limit: MAX_ZERO_WIDTH_ITEMS,
        }));
    }
    Ok(())
}

/// The default [`NpyElement::write_values`]: encode a chunk, write it, repeat.
pub(crate) fn write_encoded<T: NpyElement, W: Write>(
    values: &[T],
    dtype: &DType,
    writer: &mut W,
) -> Result<()> {
    let itemsize = dtype.itemsize();
    if itemsize == 0 {
        return Ok(());
    }
    let per_chunk = (CHUNK_BYTES / itemsize).max(1);
    let mut buffer = vec![0u8; per_chunk.min(values.len()) * itemsize];
    for chunk in values.chunks(per_chunk) {
        let out = &mut buffer[..chunk.len() * itemsize];
        out.fill(0);
        T::encode(chunk.iter(), dtype, out, itemsize)?;
        writer.write_all(out)?;
    }
    Ok(())
}

fn mismatch<T: NpyElement>(found: &DType, accepted: &str) -> Error {
    Error::from(ErrorKind::DtypeMismatch {
        expected: format!("{} ({accepted})", T::write_dtype(&[])),
        found: convert::describe_dtype(found),
    })
}

/// A plain number type: its dtype kind and how to read one from bytes in a byte order.
pub(crate) trait Scalar: Pod {
    /// The dtype of this type in `endian` order.
    fn dtype_in(endian: Endian) -> DType;
    /// The byte order of `dtype` when it is this type's dtype.
    fn endian_of(dtype: &DType) -> Option<Endian> {
        let endian = dtype.endian();
        (Self::dtype_in(endian) == *dtype).then_some(endian)
    }
    /// Reverses the bytes of each part.
    fn swap(self) -> Self;
}

macro_rules! int_scalar {
    ($($t:ty => $variant:ident),*) => {$(
        impl Scalar for $t {
            fn dtype_in(endian: Endian) -> DType {
                DType::$variant { size: size_of::<$t>(), endian }.with_endian(endian)
            }
            fn swap(self) -> Self { self.swap_bytes() }
        }
    )*};
}
int_scalar!(i8 => Int, i16 => Int, i32 => Int, i64 => Int, u8 => UInt, u16 => UInt, u32 => UInt, u64 => UInt);

macro_rules! float_scalar {
    ($($t:ty => $bits:ty),*) => {$(
        impl Scalar for $t {
            fn dtype_in(endian: Endian) -> DType {
                DType::Float { size: size_of::<$t>(), endian }
            }
            fn swap(self) -> Self { <$t>::from_bits(self.to_bits().swap_bytes()) }
        }
        impl Scalar for Complex<$t> {
            fn dtype_in(endian: Endian) -> DType {
                DType::Complex { size: 2 * size_of::<$t>(), endian }
            }
            fn swap(self) -> Self { Complex::new(self.re.swap(), self.im.swap()) }
        }
    )*};
}
float_scalar!(f16 => u16, f32 => u32, f64 => u64);

/// bf16 is `|V2` data: two bytes in the machine's order, as ml_dtypes stores them (void
/// has no byte order to swap from).
impl Scalar for bf16 {
    fn dtype_in(_: Endian) -> DType {
        convert::BF16_DTYPE
    }
    fn swap(self) -> Self {
        bf16::from_bits(self.to_bits().swap_bytes())
    }
}

/// Reads item `i` of a strided buffer as `S` in `endian` order.
fn scalar_at<S: Scalar>(bytes: &[u8], offset: usize, endian: Endian) -> S {
    let value: S = bytemuck::pod_read_unaligned(&bytes[offset..offset + size_of::<S>()]);
    if endian.is_native() {
        value
    } else {
        value.swap()
    }
}

/// Decodes a column of `S` and converts each value with `convert`.
fn decode_scalars<S: Scalar, T>(
    bytes: &[u8],
    stride: usize,
    count: usize,
    endian: Endian,
    convert: impl Fn(S) -> T,
) -> Result<Vec<T>> {
    let needed = if count == 0 {
        0
    } else {
        (count - 1) * stride + size_of::<S>()
    };
    if bytes.len() < needed {
        return Err(Error::invalid_data(format!(
            "{} bytes given for {count} items of {} bytes",
            bytes.len(),
            size_of::<S>()
        )));
    }
    if stride == size_of::<S>() && endian.is_native() {
        let values: Vec<S> = bytemuck::pod_collect_to_vec(&bytes[..needed]);
        return Ok(values.into_iter().map(convert).collect());
    }
    Ok((0..count)
        .map(|i| convert(scalar_at::<S>(bytes, i * stride, endian)))
        .collect())
}

fn encode_scalars<'a, S: Scalar + 'a>(
    values: impl ExactSizeIterator<Item = &'a S>,
    endian: Endian,
    out: &mut [u8],
    stride: usize,
) {
    let swap = !endian.is_native();
    for (i, value) in values.enumerate() {
        let value = if swap { value.swap() } else { *value };
        out[i * stride..i * stride + size_of::<S>()].copy_from_slice(bytemuck::bytes_of(&value));
    }
}

/// Implements NpyElement for a plain numeric type. Which dtypes it reads, and how, is the
/// conversion table's decision ([`convert`](crate::convert)); the own dtype takes the bulk
/// path (one read, an in-place swap for the other byte order).
macro_rules! numeric_element {
    ($($t:ty),*) => {$(
        impl NpyElement for $t {
            fn write_dtype(_: &[Self]) -> DType {
                <$t as Scalar>::dtype_in(Endian::NATIVE)
            }

            fn check_readable(dtype: &DType) -> Result<()> {
                convert::check_array(dtype, <$t as FromValue>::TARGET).map(drop)
            }

            fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>> {
                if let Some(endian) = <$t as Scalar>::endian_of(dtype) {
                    return decode_scalars::<$t, $t>(bytes, stride, count, endian, |x| x);
                }
                convert::decode_column::<$t>(dtype, bytes, stride, count)
            }

            fn encode<'a, I>(values: I, dtype: &DType, out: &mut [u8], stride: usize) -> Result<()>
            where
                I: ExactSizeIterator<Item = &'a Self>,
            {
                let endian = <$t as Scalar>::endian_of(dtype)
                    .ok_or_else(|| Error::unwritable(format!("{} cannot be written as {dtype}", stringify!($t))))?;
                encode_scalars(values, endian, out, stride);
                Ok(())
            }

            fn read_values<R: Read>(dtype: &DType, count: usize, data: &mut DataReader<'_, R>) -> Result<Vec<Self>> {
                match <$t as Scalar>::endian_of(dtype) {
                    Some(endian) => {
                        let mut values = data.read_pod::<$t>(count)?;
                        if !endian.is_native() {
                            values.iter_mut().for_each(|x| *x = x.swap());
                        }
                        Ok(values)
                    }
                    None => {
                        Self::check_readable(dtype)?;
                        let itemsize = dtype.itemsize();
                        let bytes = data.read_bytes(count, itemsize)?;
                        Self::decode(dtype, &bytes, itemsize, count)
                    }
                }
            }

            fn write_values<W: Write>(values: &[Self], dtype: &DType, writer: &mut W) -> Result<()> {
                match <$t as Scalar>::endian_of(dtype) {
                    Some(endian) if endian.is_native() => {
                        writer.write_all(bytemuck::cast_slice(values))?;
                        Ok(())
                    }
                    _ => write_encoded(values, dtype, writer),
                }
            }
        }

        impl FixedElement for $t {
            fn dtype() -> DType {
                <$t as Scalar>::dtype_in(Endian::NATIVE)
            }
        }
    )*};
}

numeric_element!(
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f16,
    bf16,
    f32,
    f64,
    Complex<f32>,
    Complex<f64>
);

impl NpyElement for bool {
    fn write_dtype(_: &[Self]) -> DType {
        DType::Bool
    }

    fn check_readable(dtype: &DType) -> Result<()> {
        convert::check_array(dtype, Target::Bool).map(drop)
    }

    fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>> {
        Self::check_readable(dtype)?;
        // NumPy treats any non-zero byte as True.
        decode_scalars::<u8, bool>(bytes, stride, count, Endian::NotApplicable, |b| b != 0)
    }

    fn encode<'a, I>(values: I, _: &DType, out: &mut [u8], stride: usize) -> Result<()>
    where
        I: ExactSizeIterator<Item = &'a Self>,
    {
        for (i, &value) in values.enumerate() {
            out[i * stride] = u8::from(value);
        }
        Ok(())
    }

    fn write_values<W: Write>(values: &[Self], _: &DType, writer: &mut W) -> Result<()> {
        // A bool is one byte, 0 or 1, exactly as NumPy stores it.
        let bytes: &[u8] = unsafe {
            // SAFETY: bool has size 1, alignment 1 and is always 0 or 1, so every bool is a
            // valid u8 and the slice covers the same memory.
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), values.len())
        };
        writer.write_all(bytes)?;
        Ok(())
    }
}

impl FixedElement for bool {
    fn dtype() -> DType {
        DType::Bool
    }
}

/// Strips the NUL padding NumPy strips from `S` and `U` items.
fn trim_nul<T: PartialEq + Default>(items: &[T]) -> &[T] {
    let zero = T::default();
    let end = items.iter().rposition(|c| *c != zero).map_or(0, |i| i + 1);
    &items[..end]
}

fn decode_utf32(units: impl Iterator<Item = u32>) -> Result<String> {
    let units: Vec<u32> = units.collect();
    trim_nul(&units)
        .iter()
        .map(|&unit| {
            char::from_u32(unit).ok_or_else(|| {
                Error::invalid_data(format!(
                    "U+{unit:X} in a 'U' string is not a Unicode scalar value"
                ))
            })
        })
        .collect()
}

fn unicode_units(item: &[u8], endian: Endian) -> impl Iterator<Item = u32> + '_ {
    item.chunks_exact(4).map(move |unit| {
        let unit = <[u8; 4]>::try_from(unit).expect("chunks of 4");
        match endian {
            Endian::Big => u32::from_be_bytes(unit),
            _ if endian.is_native() => u32::from_ne_bytes(unit),
            _ => u32::from_le_bytes(unit),
        }
    })
}

fn write_utf32(chars: impl Iterator<Item = char>, endian: Endian, out: &mut [u8]) -> Result<()> {
    let capacity = out.len() / 4;
    for (i, c) in chars.enumerate() {
        if i >= capacity {
            return Err(Error::unwritable(format!(
                "a string is longer than the {capacity} characters of its 'U{capacity}' dtype"
            )));
        }
        let unit = c as u32;
        let bytes = match endian {
            Endian::Big => unit.to_be_bytes(),
            Endian::Little => unit.to_le_bytes(),
            Endian::NotApplicable => unit.to_ne_bytes(),
        };
        out[i * 4..i * 4 + 4].copy_from_slice(&bytes);
    }
    Ok(())
}

fn write_padded_bytes(bytes: &[u8], out: &mut [u8]) -> Result<()> {
    if bytes.len() > out.len() {
        return Err(Error::unwritable(format!(
            "a byte string of {} bytes is longer than its 'S{}' dtype",
            bytes.len(),
            out.len()
        )));
    }
    out[..bytes.len()].copy_from_slice(bytes);
    Ok(())
}

/// Runs `each` on every item of a strided buffer.
fn map_items<T>(
    bytes: &[u8],
    stride: usize,
    count: usize,
    itemsize: usize,
    mut each: impl FnMut(&[u8]) -> Result<T>,
) -> Result<Vec<T>> {
    if count > 0 && bytes.len() < (count - 1) * stride + itemsize {
        return Err(Error::invalid_data(format!(
            "{} bytes given for {count} items of {itemsize} bytes",
            bytes.len()
        )));
    }
    (0..count)
        .map(|i| each(&bytes[i * stride..i * stride + itemsize]))
        .collect()
}

/// `String` is read from `U` (UTF-32) and `S` (UTF-8 bytes) data and written as `<U{n}`
/// with `n` the longest string's length in characters (at least 1, as NumPy chooses);
/// trailing NULs are stripped, as NumPy strips them.
impl NpyElement for String {
    fn write_dtype(values: &[Self]) -> DType {
        // NumPy never chooses a width of 0: `np.array([''])` is '<U1'.
        let chars = values
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(1);
        DType::Unicode {
            chars,
            endian: Endian::NATIVE,
        }
    }

    fn check_readable(dtype: &DType) -> Result<()> {
        convert::check_array(dtype, Target::String).map(drop)
    }

    fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>> {
        match *dtype {
            DType::Unicode { chars, endian } => {
                map_items(bytes, stride, count, chars * 4, |item| {
                    decode_utf32(unicode_units(item, endian))
                })
            }
            DType::Bytes { len } => map_items(bytes, stride, count, len, |item| {
                String::from_utf8(trim_nul(item).to_vec()).map_err(|_| {
                    Error::invalid_data("an 'S' string is not UTF-8; read it as Vec<u8>")
                })
            }),
            ref other => Err(convert::refusal(other, Target::String)),
        }
    }

    fn encode<'a, I>(values: I, dtype: &DType, out: &mut [u8], stride: usize) -> Result<()>
    where
        I: ExactSizeIterator<Item = &'a Self>,
    {
        let itemsize = dtype.itemsize();
        for (i, value) in values.enumerate() {
            let item = &mut out[i * stride..i * stride + itemsize];
            match *dtype {
                DType::Unicode { endian, .. } => write_utf32(value.chars(), endian, item)?,
                DType::Bytes { .. } => write_padded_bytes(value.as_bytes(), item)?,
                ref other => {
                    return Err(Error::unwritable(format!(
                        "a String cannot be written as {other}"
                    )))
                }
            }
        }
        Ok(())
    }
}

/// `Vec<u8>` is a NumPy byte string (`S`): written as `|S{n}` with `n` the longest value's
/// length (at least 1, as NumPy chooses); trailing NULs are stripped on reading, as NumPy
/// strips them.
impl NpyElement for Vec<u8> {
    fn write_dtype(values: &[Self]) -> DType {
        DType::Bytes {
            // As for `U`: `np.array([b''])` is '|S1'.
            len: values.iter().map(Vec::len).max().unwrap_or(0).max(1),
        }
    }

    fn check_readable(dtype: &DType) -> Result<()> {
        convert::check_array(dtype, Target::Bytes).map(drop)
    }

    fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>> {
        Self::check_readable(dtype)?;
        map_items(bytes, stride, count, dtype.itemsize(), |item| {
            Ok(trim_nul(item).to_vec())
        })
    }

    fn encode<'a, I>(values: I, dtype: &DType, out: &mut [u8], stride: usize) -> Result<()>
    where
        I: ExactSizeIterator<Item = &'a Self>,
    {
        let itemsize = dtype.itemsize();
        for (i, value) in values.enumerate() {
            write_padded_bytes(value, &mut out[i * stride..i * stride + itemsize])?;
        }
        Ok(())
    }
}

mod fixed;
pub use fixed::{units, DateTime64, FixedBytes, FixedUnicode, TimeDelta64, Unit};

/// Collects `count` items from `columns` (one column per position of the array).
fn assemble_arrays<T, const N: usize>(columns: Vec<Vec<T>>, count: usize) -> Vec<[T; N]> {
    let mut columns: Vec<std::vec::IntoIter<T>> = columns.into_iter().map(Vec::into_iter).collect();
    (0..count)
        .map(|_| std::array::from_fn(|j| columns[j].next().expect("column of count items")))
        .collect()
}

/// `[T; N]` is a subarray of `N` items of `T`: a record field `('pos', '<f4', (3,))`, or,
/// for a whole array, an extra trailing dimension (`Vec<[f32; 3]>` saves as shape `(n, 3)`).
impl<T: FixedElement, const N: usize> NpyElement for [T; N] {
    fn write_dtype(_: &[Self]) -> DType {
        <Self as FixedElement>::dtype()
    }

    fn check_readable(dtype: &DType) -> Result<()> {
        match dtype {
            DType::SubArray { base, shape } if shape.first() == Some(&N) => {
                T::check_readable(&inner_dtype(base, shape))
            }
            other => Err(Error::from(ErrorKind::DtypeMismatch {
                expected: Self::write_dtype(&[]).to_string(),
                found: convert::describe_dtype(other),
            })),
        }
    }

    fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>> {
        Self::check_readable(dtype)?;
        let DType::SubArray { base, shape } = dtype else {
            unreachable!("checked")
        };
        let inner = inner_dtype(base, shape);
        let inner_size = inner.itemsize();
        let columns = (0..N)
            .map(|j| {
                let start = (j * inner_size).min(bytes.len());
                T::decode(&inner, &bytes[start..], stride, count)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(assemble_arrays(columns, count))
    }

    fn encode<'a, I>(values: I, dtype: &DType, out: &mut [u8], stride: usize) -> Result<()>
    where
        I: ExactSizeIterator<Item = &'a Self>,
        Self: 'a,
    {
        let DType::SubArray { base, shape } = dtype else {
            return Err(Error::unwritable(format!(
                "an array cannot be written as {dtype}"
            )));
        };
        let inner = inner_dtype(base, shape);
        let inner_size = inner.itemsize();
        let values: Vec<&[T; N]> = values.collect();
        for j in 0..N {
            let start = (j * inner_size).min(out.len());
            T::encode(
                values.iter().map(|array| &array[j]),
                &inner,
                &mut out[start..],
                stride,
            )?;
        }
        Ok(())
    }
}

impl<T: FixedElement, const N: usize> FixedElement for [T; N] {
    fn dtype() -> DType {
        match T::dtype() {
            DType::SubArray { base, shape } => DType::SubArray {
                base,
                shape: std::iter::once(N).chain(shape).collect(),
            },
            base => DType::SubArray {
                base: Box::new(base),
                shape: vec![N],
            },
        }
    }
}

/// The dtype of one item along the first axis of a subarray.
fn inner_dtype(base: &DType, shape: &[usize]) -> DType {
    if shape.len() <= 1 {
        base.clone()
    } else {
        DType::SubArray {
            base: Box::new(base.clone()),
            shape: shape[1..].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests;
