//! The conversion model: what a file's dtype becomes as a Rust element type. This module
//! owns the one table that says, for every (dtype, Rust element) pair, whether the data
//! reads [exactly](Conversion::Exact), [widened](Conversion::Widened) without loss, or is
//! [refused](Conversion::Refused) — and, for 0-d members read through serde, the
//! by-value rule ([`Number`]). Typed reads ([`NpyElement`](crate::NpyElement) impls),
//! [`NpyArray::to_array`](crate::NpyArray::to_array), derived records and the serde reader
//! all ask [`array_conversion`]; none decides a rule of its own.
//!
//! # The table
//!
//! Any byte order reads. Arrays never narrow; 0-d values through serde convert by value.
//!
//! | Rust element | reads these dtypes as arrays (exact, then widened) |
//! |---|---|
//! | `bool` | `bool` |
//! | `i8` / `i16` / `i32` / `i64` | `int` of that size; narrower `int`; `uint` narrower than the target |
//! | `u8` / `u16` / `u32` / `u64` | `uint` of that size; narrower `uint` |
//! | `f16` | `float16`; `int8`, `uint8` |
//! | `bf16` | `\|V2` (ml_dtypes' `bfloat16` as `np.save` writes it), only when asked for |
//! | `f32` | `float32`; `float16`, 8- and 16-bit integers |
//! | `f64` | `float64`; `float32`, `float16`, integers of up to 32 bits |
//! | `Complex<f32>` | `complex64` |
//! | `Complex<f64>` | `complex128`; `complex64` |
//! | `String` | `U` (UTF-32); `S` (must be UTF-8) |
//! | `Vec<u8>` | `S` |
//!
//! Through serde, `[f32; 2]` and `(f32, f32)` read a complex element as its two parts,
//! with the parts' own rules (`complex128` parts are `float64`, so they do not narrow into
//! `f32`). A 0-d member read into a number converts by value, as `serde_json` does for
//! numbers: an `int64` holding 4 loads into `u32`, one holding 2⁴⁰ is an error naming the
//! value; floats load into `f32` rounded to nearest; floats never load into integers and
//! `bool` never into numbers. This is what an archive edited in NumPy needs: Python has no
//! way to write a 0-d `uint32`, `np.savez(f, epoch=4)` writes `int64`.
//!
//! NumPy has no bfloat16: ml_dtypes' `bfloat16` arrays go through `np.save` as two-byte
//! void items (`'<V2'`, the same as `'|V2'`: void has no byte order) in the machine's byte
//! order. So `|V2` data is read as `bf16` only when the Rust type asks for `bf16`; nothing
//! else reads it, and no other dtype reads as `bf16`.
//!
//! A refusal's error names both dtypes and the Rust type that would load the file's dtype
//! ([`natural_rust_type`]).

use half::{bf16, f16};
use num_complex::Complex;

use crate::dtype::{DType, Endian};
use crate::errors::{Error, ErrorKind, Result};

/// A Rust element type, as the conversion table knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// `bool`
    Bool,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `half::f16`
    F16,
    /// `half::bf16` (`|V2` data, as ml_dtypes writes it)
    BF16,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `Complex<f32>`
    C64,
    /// `Complex<f64>`
    C128,
    /// `String`
    String,
    /// `Vec<u8>` (a byte string)
    Bytes,
}

impl Target {
    /// Every target, for tests that walk the table.
    pub const ALL: [Target; 17] = [
        Target::Bool,
        Target::I8,
        Target::I16,
        Target::I32,
        Target::I64,
        Target::U8,
        Target::U16,
        Target::U32,
        Target::U64,
        Target::F16,
        Target::BF16,
        Target::F32,
        Target::F64,
        Target::C64,
        Target::C128,
        Target::String,
        Target::Bytes,
    ];

    /// The Rust type's name.
    pub fn rust_name(self) -> &'static str {
        match self {
            Target::Bool => "bool",
            Target::I8 => "i8",
            Target::I16 => "i16",
            Target::I32 => "i32",
            Target::I64 => "i64",
            Target::U8 => "u8",
            Target::U16 => "u16",
            Target::U32 => "u32",
            Target::U64 => "u64",
            Target::F16 => "f16",
            Target::BF16 => "bf16",
            Target::F32 => "f32",
            Target::F64 => "f64",
            Target::C64 => "Complex<f32>",
            Target::C128 => "Complex<f64>",
            Target::String => "String",
            Target::Bytes => "Vec<u8>",
        }
    }

    /// The type's own dtype in native byte order (`None` for strings, whose width varies).
    pub fn dtype(self) -> Option<DType> {
        if self == Target::BF16 {
            return Some(BF16_DTYPE);
        }
        let endian = Endian::NATIVE;
        let (kind, size) = target_kind(self)?;
        Some(match kind {
            Kind::Bool => DType::Bool,
            Kind::Int => DType::Int { size, endian }.with_endian(endian),
            Kind::UInt => DType::UInt { size, endian }.with_endian(endian),
            Kind::Float => DType::Float { size, endian },
            Kind::Complex => DType::Complex { size, endian },
        })
    }

    /// The dtype as NumPy names it in prose (`float32`, `int64`).
    pub fn numpy_name(self) -> &'static str {
        match self {
            Target::Bool => "bool",
            Target::I8 => "int8",
            Target::I16 => "int16",
            Target::I32 => "int32",
            Target::I64 => "int64",
            Target::U8 => "uint8",
            Target::U16 => "uint16",
            Target::U32 => "uint32",
            Target::U64 => "uint64",
            Target::F16 => "float16",
            Target::BF16 => "bfloat16",
            Target::F32 => "float32",
            Target::F64 => "float64",
            Target::C64 => "complex64",
            Target::C128 => "complex128",
            Target::String => "string",
            Target::Bytes => "bytes",
        }
    }
}

/// How data of one dtype reads as one Rust element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// The dtype is the type's own (in either byte order).
    Exact,
    /// Every value of the dtype converts to the type without loss.
    Widened,
    /// The type cannot hold the dtype's values (or they are of another kind).
    Refused,
}

impl Conversion {
    /// Whether data reads at all.
    pub fn is_allowed(self) -> bool {
        self != Conversion::Refused
    }
}

/// The numeric kind of a dtype and its size in bytes, or `None` for non-numbers.
fn numeric_kind(dtype: &DType) -> Option<(Kind, usize)> {
    Some(match *dtype {
        DType::Bool => (Kind::Bool, 1),
        DType::Int { size, .. } if matches!(size, 1 | 2 | 4 | 8) => (Kind::Int, size),
        DType::UInt { size, .. } if matches!(size, 1 | 2 | 4 | 8) => (Kind::UInt, size),
        DType::Float { size, .. } if matches!(size, 2 | 4 | 8) => (Kind::Float, size),
        DType::Complex { size, .. } if matches!(size, 8 | 16) => (Kind::Complex, size),
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    UInt,
    Float,
    Complex,
}

/// The kind and size of a numeric target.
fn target_kind(target: Target) -> Option<(Kind, usize)> {
    Some(match target {
        Target::Bool => (Kind::Bool, 1),
        Target::I8 => (Kind::Int, 1),
        Target::I16 => (Kind::Int, 2),
        Target::I32 => (Kind::Int, 4),
        Target::I64 => (Kind::Int, 8),
        Target::U8 => (Kind::UInt, 1),
        Target::U16 => (Kind::UInt, 2),
        Target::U32 => (Kind::UInt, 4),
        Target::U64 => (Kind::UInt, 8),
        Target::F16 => (Kind::Float, 2),
        Target::F32 => (Kind::Float, 4),
        Target::F64 => (Kind::Float, 8),
        Target::C64 => (Kind::Complex, 8),
        Target::C128 => (Kind::Complex, 16),
        Target::String | Target::Bytes | Target::BF16 => return None,
    })
}

/// The dtype bf16 is written as and read from: two-byte void, as `np.save` stores an
/// ml_dtypes `bfloat16` array (its bytes in the machine's order).
pub const BF16_DTYPE: DType = DType::Void { size: 2 };

/// Bytes of the integers that a float of `size` bytes holds exactly: an `f16` has an
/// 11-bit significand (8-bit integers), `f32` 24 bits (16-bit), `f64` 53 bits (32-bit).
fn exact_integer_size(float_size: usize) -> usize {
    float_size / 2
}

/// THE table: how data of `dtype` reads as `target` in an array. See the module docs.
pub fn array_conversion(dtype: &DType, target: Target) -> Conversion {
    use Conversion::{Exact, Refused, Widened};
    match target {
        Target::String => {
            return match dtype {
                DType::Unicode { .. } => Exact,
                DType::Bytes { .. } => Widened,
                _ => Refused,
            }
        }
        Target::Bytes => {
            return match dtype {
                DType::Bytes { .. } => Exact,
                _ => Refused,
            }
        }
        // Only `|V2` and only when bf16 is asked for: nothing in the file says it is bf16.
        Target::BF16 => return if *dtype == BF16_DTYPE { Exact } else { Refused },
        _ => {}
    }
    let (Some((from, from_size)), Some((to, to_size))) = (numeric_kind(dtype), target_kind(target))
    else {
        return Refused;
    };
    if from == to && from_size == to_size {
        return Exact;
    }
    let widens = match (from, to) {
        (Kind::Int, Kind::Int) | (Kind::UInt, Kind::UInt) => from_size < to_size,
        (Kind::UInt, Kind::Int) => from_size < to_size,
        (Kind::Int | Kind::UInt, Kind::Float) => from_size <= exact_integer_size(to_size),
        (Kind::Float, Kind::Float) | (Kind::Complex, Kind::Complex) => from_size < to_size,
        _ => false,
    };
    if widens {
        Widened
    } else {
        Refused
    }
}

/// Checks `dtype` reads as `target` in an array; the error names both and the Rust type
/// that would read the file's dtype.
pub fn check_array(dtype: &DType, target: Target) -> Result<Conversion> {
    match array_conversion(dtype, target) {
        Conversion::Refused => Err(refusal(dtype, target)),
        allowed => Ok(allowed),
    }
}

/// The error for data of `dtype` asked for as `target`.
pub fn refusal(dtype: &DType, target: Target) -> Error {
    Error::from(ErrorKind::DtypeMismatch {
        expected: describe_target(target),
        found: describe_dtype(dtype),
    })
}

/// How a mismatch names the Rust type asked for: `int32 (i32)`, `a 'U' or 'S' string
/// (String)`. Every reader's mismatch error says it this way.
pub fn describe_target(target: Target) -> String {
    match target {
        Target::String => "a 'U' or 'S' string (String)".to_string(),
        Target::Bytes => "an 'S' byte string (Vec<u8>)".to_string(),
        _ => format!("{} ({})", target.numpy_name(), target.rust_name()),
    }
}

/// How a mismatch names the data found: `'<i8' (int64), which loads as i64`. Every
/// reader's mismatch error says it this way.
pub fn describe_dtype(dtype: &DType) -> String {
    let name = dtype.name();
    let text = dtype.to_string();
    let named = if text.trim_matches('\'') == name || matches!(dtype, DType::Record(_)) {
        text
    } else {
        format!("{text} ({name})")
    };
    format!("{named}{}", read_hint(dtype))
}

/// ", which loads as X" for a dtype that some Rust type reads exactly.
pub fn read_hint(dtype: &DType) -> String {
    match natural_rust_type(dtype) {
        Some(name) => format!(", which loads as {name}"),
        None => String::new(),
    }
}

/// The Rust element type that reads `dtype` exactly, by name: `f32` for `'<f4'`,
/// `String` for `'<U5'`, `DateTime64<units::Ns>` for `'<M8[ns]'`, a derived struct for a
/// record.
pub fn natural_rust_type(dtype: &DType) -> Option<String> {
    if *dtype == BF16_DTYPE {
        // Never guessed: `|V2` is bf16 only if whoever wrote it says so.
        return Some("bf16 if it holds ml_dtypes bfloat16 (or NpyArray)".to_string());
    }
    if let Some(target) = Target::ALL
        .into_iter()
        .find(|&t| array_conversion(dtype, t) == Conversion::Exact)
    {
        return Some(target.rust_name().to_string());
    }
    Some(match dtype {
        DType::DateTime { .. } => "DateTime64<unit> (or NpyArray)".to_string(),
        DType::TimeDelta { .. } => "TimeDelta64<unit> (or NpyArray)".to_string(),
        DType::Record(_) => "a struct deriving NpyElement (or NpyArray)".to_string(),
        DType::SubArray { base, shape } => {
            let inner = natural_rust_type(base)?;
            shape
                .iter()
                .rev()
                .fold(inner, |inner, len| format!("[{inner}; {len}]"))
        }
        _ => "NpyArray".to_string(),
    })
}

/// One numeric value, as decoded from any numeric dtype: the by-value side of the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// `bool`
    Bool(bool),
    /// Any signed integer.
    Int(i64),
    /// Any unsigned integer.
    UInt(u64),
    /// Any real float (f16 and f32 are exact in f64).
    Float(f64),
    /// Any complex number.
    Complex(Complex<f64>),
}

impl Number {
    /// Decodes one item of `dtype` as asked for by `target`: [`decode`](Self::decode), plus
    /// bf16 from `|V2` data when `target` is bf16 (the one place the void is read as a
    /// number).
    pub fn decode_as(dtype: &DType, bytes: &[u8], target: Target) -> Option<Number> {
        if target == Target::BF16 && *dtype == BF16_DTYPE {
            let bits = u16::from_ne_bytes(take(bytes.get(..2)?));
            return Some(Number::Float(bf16::from_bits(bits).to_f64()));
        }
        Number::decode(dtype, bytes)
    }

    /// Decodes one item of a numeric `dtype` from the start of `bytes` (at least the
    /// dtype's size), in the dtype's byte order. `None` for non-numeric dtypes.
    pub fn decode(dtype: &DType, bytes: &[u8]) -> Option<Number> {
        let (kind, size) = numeric_kind(dtype)?;
        let endian = dtype.endian();
        let swap = !endian.is_native() && endian != Endian::NotApplicable;
        let item = bytes.get(..size)?;
        let mut buffer = [0u8; 16];
        buffer[..size].copy_from_slice(item);
        if swap {
            match kind {
                Kind::Complex => {
                    buffer[..size / 2].reverse();
                    buffer[size / 2..size].reverse();
                }
                _ => buffer[..size].reverse(),
            }
        }
        let b = &buffer;
        Some(match (kind, size) {
            (Kind::Bool, _) => Number::Bool(b[0] != 0),
            (Kind::Int, 1) => Number::Int(b[0] as i8 as i64),
            (Kind::Int, 2) => Number::Int(i16::from_ne_bytes([b[0], b[1]]) as i64),
            (Kind::Int, 4) => Number::Int(i32::from_ne_bytes(take(b)) as i64),
            (Kind::Int, _) => Number::Int(i64::from_ne_bytes(take(b))),
            (Kind::UInt, 1) => Number::UInt(b[0] as u64),
            (Kind::UInt, 2) => Number::UInt(u16::from_ne_bytes([b[0], b[1]]) as u64),
            (Kind::UInt, 4) => Number::UInt(u32::from_ne_bytes(take(b)) as u64),
            (Kind::UInt, _) => Number::UInt(u64::from_ne_bytes(take(b))),
            (Kind::Float, 2) => Number::Float(f16::from_ne_bytes([b[0], b[1]]).to_f64()),
            (Kind::Float, 4) => Number::Float(f32::from_ne_bytes(take(b)) as f64),
            (Kind::Float, _) => Number::Float(f64::from_ne_bytes(take(b))),
            (Kind::Complex, 8) => Number::Complex(Complex::new(
                f32::from_ne_bytes(take(b)) as f64,
                f32::from_ne_bytes(take(&b[4..])) as f64,
            )),
            (Kind::Complex, _) => Number::Complex(Complex::new(
                f64::from_ne_bytes(take(b)),
                f64::from_ne_bytes(take(&b[8..])),
            )),
        })
    }

    /// The value as an `i64` when it is an integer that fits.
    fn integer(self) -> Option<i128> {
        match self {
            Number::Int(v) => Some(v as i128),
            Number::UInt(v) => Some(v as i128),
            _ => None,
        }
    }

    fn describe(self) -> String {
        match self {
            Number::Bool(v) => (if v { "True" } else { "False" }).to_string(),
            Number::Int(v) => v.to_string(),
            Number::UInt(v) => v.to_string(),
            Number::Float(v) => format!("{v:?}"),
            Number::Complex(v) => format!("({:?}+{:?}j)", v.re, v.im),
        }
    }

    fn out_of_range(self, target: Target) -> Error {
        Error::invalid_data(format!(
            "the value {} does not fit in {} ({})",
            self.describe(),
            target.rust_name(),
            target.numpy_name()
        ))
    }

    fn wrong_kind(self, target: Target) -> Error {
        Error::invalid_data(format!(
            "the value {} cannot be read as {} ({}): {}",
            self.describe(),
            target.rust_name(),
            target.numpy_name(),
            match self {
                Number::Bool(_) => "a bool is not a number",
                Number::Float(_) => "a float does not convert to an integer",
                Number::Complex(_) => "a complex number does not convert to a real one",
                _ => "a number is not a bool",
            }
        ))
    }

    /// The value as an integer of `target`'s range `[min, max]`, by value.
    fn to_integer(self, target: Target, min: i128, max: i128) -> Result<i128> {
        match self.integer() {
            Some(v) if (min..=max).contains(&v) => Ok(v),
            Some(_) => Err(self.out_of_range(target)),
            None => Err(self.wrong_kind(target)),
        }
    }

    /// The value as a real float, by value (integers to nearest).
    fn to_float(self, target: Target) -> Result<f64> {
        match self {
            Number::Float(v) => Ok(v),
            Number::Int(v) => Ok(v as f64),
            Number::UInt(v) => Ok(v as f64),
            _ => Err(self.wrong_kind(target)),
        }
    }

    /// A float rounded into a narrower float type: refused when a finite value overflows.
    fn narrowed(self, target: Target, wide: f64, narrow: f64) -> Result<f64> {
        if narrow.is_infinite() && wide.is_finite() {
            return Err(self.out_of_range(target));
        }
        Ok(narrow)
    }
}

/// Conversions from [`Number`] into the numeric Rust types: exact when the table allows
/// the source dtype (lossless by construction), by value for 0-d members.
pub trait FromValue: Sized {
    /// The table's name for this type.
    const TARGET: Target;
    /// The value converted by value: integers range-checked, floats rounded to nearest.
    fn from_value(value: Number) -> Result<Self>;
}

macro_rules! integer_from_value {
    ($($t:ty => $target:ident),*) => {$(
        impl FromValue for $t {
            const TARGET: Target = Target::$target;
            #[inline]
            fn from_value(value: Number) -> Result<Self> {
                value
                    .to_integer(Target::$target, <$t>::MIN as i128, <$t>::MAX as i128)
                    .map(|v| v as $t)
            }
        }
    )*};
}
integer_from_value!(i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16, u32 => U32, u64 => U64);

impl FromValue for bool {
    const TARGET: Target = Target::Bool;
    fn from_value(value: Number) -> Result<Self> {
        match value {
            Number::Bool(v) => Ok(v),
            other => Err(other.wrong_kind(Target::Bool)),
        }
    }
}

impl FromValue for f64 {
    const TARGET: Target = Target::F64;
    #[inline]
    fn from_value(value: Number) -> Result<Self> {
        value.to_float(Target::F64)
    }
}

impl FromValue for f32 {
    const TARGET: Target = Target::F32;
    #[inline]
    fn from_value(value: Number) -> Result<Self> {
        let wide = value.to_float(Target::F32)?;
        value
            .narrowed(Target::F32, wide, wide as f32 as f64)
            .map(|v| v as f32)
    }
}

impl FromValue for f16 {
    const TARGET: Target = Target::F16;
    #[inline]
    fn from_value(value: Number) -> Result<Self> {
        let wide = value.to_float(Target::F16)?;
        let narrow = f16::from_f64(wide);
        value.narrowed(Target::F16, wide, narrow.to_f64())?;
        Ok(narrow)
    }
}

impl FromValue for bf16 {
    const TARGET: Target = Target::BF16;
    #[inline]
    fn from_value(value: Number) -> Result<Self> {
        let wide = value.to_float(Target::BF16)?;
        let narrow = bf16::from_f64(wide);
        value.narrowed(Target::BF16, wide, narrow.to_f64())?;
        Ok(narrow)
    }
}

impl FromValue for Complex<f64> {
    const TARGET: Target = Target::C128;
    fn from_value(value: Number) -> Result<Self> {
        match value {
            Number::Complex(v) => Ok(v),
            other => Err(other.wrong_kind(Target::C128)),
        }
    }
}

impl FromValue for Complex<f32> {
    const TARGET: Target = Target::C64;
    fn from_value(value: Number) -> Result<Self> {
        let Number::Complex(v) = value else {
            return Err(value.wrong_kind(Target::C64));
        };
        let re = Number::Float(v.re).narrowed(Target::C64, v.re, v.re as f32 as f64)?;
        let im = Number::Float(v.im).narrowed(Target::C64, v.im, v.im as f32 as f64)?;
        Ok(Complex::new(re as f32, im as f32))
    }
}

/// Reads a 0-d value of `dtype` into `T` by value. The error names the value.
pub fn by_value<T: FromValue>(dtype: &DType, bytes: &[u8]) -> Result<T> {
    match Number::decode_as(dtype, bytes, T::TARGET) {
        Some(value) => T::from_value(value),
        None => Err(refusal(dtype, T::TARGET)),
    }
}

/// Decodes `count` items of `dtype` (item `i` at `i * stride`) into `T`, after the table
/// allowed the pair: each value converts without loss.
pub fn decode_column<T: FromValue>(
    dtype: &DType,
    bytes: &[u8],
    stride: usize,
    count: usize,
) -> Result<Vec<T>> {
    check_array(dtype, T::TARGET)?;
    let itemsize = dtype.itemsize();
    if count > 0 && bytes.len() < (count - 1) * stride + itemsize {
        return Err(Error::invalid_data(format!(
            "{} bytes given for {count} items of {itemsize} bytes",
            bytes.len()
        )));
    }
    (0..count)
        .map(|i| {
            let value =
                Number::decode_as(dtype, &bytes[i * stride..], T::TARGET).expect("numeric dtype");
            T::from_value(value)
        })
        .collect()
}

fn take<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes[..N].try_into().expect("enough bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(descr: &str) -> DType {
        descr.parse().unwrap()
    }

    #[test]
    fn the_table_widens_without_loss_and_never_narrows() {
        use Conversion::*;
        assert_eq!(array_conversion(&dt(">i4"), Target::I32), Exact);
        assert_eq!(array_conversion(&dt("<i4"), Target::I64), Widened);
        assert_eq!(array_conversion(&dt("<i4"), Target::F64), Widened);
        assert_eq!(array_conversion(&dt("<i8"), Target::F64), Refused);
        assert_eq!(array_conversion(&dt("|i1"), Target::F16), Widened);
        assert_eq!(array_conversion(&dt("<i2"), Target::F16), Refused);
        assert_eq!(array_conversion(&dt("|u1"), Target::I16), Widened);
        assert_eq!(array_conversion(&dt("<u2"), Target::I16), Refused);
        assert_eq!(array_conversion(&dt("<c16"), Target::C64), Refused);
        assert_eq!(array_conversion(&dt("<c8"), Target::C128), Widened);
        assert_eq!(array_conversion(&dt("<f8"), Target::C128), Refused);
        assert_eq!(array_conversion(&dt("|b1"), Target::U8), Refused);
        assert_eq!(array_conversion(&dt("|S3"), Target::String), Widened);
        assert_eq!(array_conversion(&dt("<U3"), Target::Bytes), Refused);
    }

    #[test]
    fn void_of_two_bytes_is_bf16_only_when_bf16_is_asked_for() {
        use Conversion::*;
        assert_eq!(array_conversion(&dt("|V2"), Target::BF16), Exact);
        assert_eq!(array_conversion(&dt("<V2"), Target::BF16), Exact);
        for target in Target::ALL.into_iter().filter(|&t| t != Target::BF16) {
            assert_eq!(array_conversion(&dt("|V2"), target), Refused, "{target:?}");
        }
        for descr in ["<f2", "<f4", "<u2", "|V4", "|i1"] {
            assert_eq!(
                array_conversion(&dt(descr), Target::BF16),
                Refused,
                "{descr}"
            );
        }
        let one = half::bf16::from_f32(1.0).to_ne_bytes();
        assert_eq!(Number::decode(&dt("|V2"), &one), None);
        assert_eq!(
            by_value::<half::bf16>(&dt("|V2"), &one).unwrap().to_f32(),
            1.0
        );
        assert!(by_value::<f32>(&dt("|V2"), &one).is_err());
        let err = check_array(&dt("|V2"), Target::F32)
            .unwrap_err()
            .to_string();
        assert!(err.contains("bf16 if it holds ml_dtypes bfloat16"), "{err}");
    }

    #[test]
    fn zero_d_values_convert_by_value_and_name_the_value() {
        let four = 4i64.to_ne_bytes();
        assert_eq!(
            by_value::<u32>(&Target::I64.dtype().unwrap(), &four).unwrap(),
            4
        );
        let big = (1i64 << 40).to_ne_bytes();
        let err = by_value::<u32>(&Target::I64.dtype().unwrap(), &big).unwrap_err();
        assert!(err.to_string().contains("1099511627776"), "{err}");
        let lr = 0.001f64.to_ne_bytes();
        assert_eq!(by_value::<f32>(&dt("<f8"), &lr).unwrap(), 0.001f32);
        let huge = 1e300f64.to_le_bytes();
        assert!(by_value::<f32>(&dt("<f8"), &huge).is_err());
        assert!(by_value::<i32>(&dt("<f8"), &lr).is_err());
        assert!(by_value::<f64>(&dt("|b1"), &[1]).is_err());
    }

    #[test]
    fn refusals_say_which_rust_type_reads_the_data() {
        let err = check_array(&dt("<c16"), Target::C64)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Complex<f64>"), "{err}");
        assert_eq!(natural_rust_type(&dt("<U4")).unwrap(), "String");
    }
}
