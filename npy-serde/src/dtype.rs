//! The dtype model: one description of NumPy element types, used by headers, typed I/O,
//! the derive and serde. Parses every `descr` NumPy writes (and the spellings it reads) and
//! writes it back to the exact text NumPy writes.
//!
//! A [`DType`] is either a plain type (`'<f8'`, `'|S5'`, `'<M8[ns]'`, …), a record
//! ([`Record`], a list of named fields at byte offsets) or a subarray (a fixed-shape block
//! of a base type, as record fields have: `('pos', '<f4', (3,))`).

use std::fmt;
use std::str::FromStr;

use crate::errors::{Error, Result};
use crate::literal::{self, PyValue};

/// Byte order of a dtype, as the first character of its type string says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    /// `<`
    Little,
    /// `>`
    Big,
    /// `|`: byte order does not apply (one-byte types, `S`, `V`, `O`, `b1`).
    NotApplicable,
}

impl Endian {
    /// The byte order of this machine.
    pub const NATIVE: Endian = if cfg!(target_endian = "little") {
        Endian::Little
    } else {
        Endian::Big
    };

    /// True when data in this byte order can be used without swapping.
    pub fn is_native(self) -> bool {
        self != Endian::NATIVE.swapped()
    }

    /// The opposite byte order (`|` stays `|`).
    pub fn swapped(self) -> Endian {
        match self {
            Endian::Little => Endian::Big,
            Endian::Big => Endian::Little,
            Endian::NotApplicable => Endian::NotApplicable,
        }
    }

    fn as_char(self) -> char {
        match self {
            Endian::Little => '<',
            Endian::Big => '>',
            Endian::NotApplicable => '|',
        }
    }
}

/// The unit of a `datetime64` / `timedelta64` dtype (`[ns]`, `[D]`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateUnit {
    /// No unit: `'<M8'` (NumPy's generic datetime).
    Generic,
    /// `Y`
    Years,
    /// `M`
    Months,
    /// `W`
    Weeks,
    /// `D`
    Days,
    /// `h`
    Hours,
    /// `m`
    Minutes,
    /// `s`
    Seconds,
    /// `ms`
    Milliseconds,
    /// `us`
    Microseconds,
    /// `ns`
    Nanoseconds,
    /// `ps`
    Picoseconds,
    /// `fs`
    Femtoseconds,
    /// `as`
    Attoseconds,
}

impl DateUnit {
    const ALL: [(DateUnit, &'static str); 13] = [
        (DateUnit::Years, "Y"),
        (DateUnit::Months, "M"),
        (DateUnit::Weeks, "W"),
        (DateUnit::Days, "D"),
        (DateUnit::Hours, "h"),
        (DateUnit::Minutes, "m"),
        (DateUnit::Seconds, "s"),
        (DateUnit::Milliseconds, "ms"),
        (DateUnit::Microseconds, "us"),
        (DateUnit::Nanoseconds, "ns"),
        (DateUnit::Picoseconds, "ps"),
        (DateUnit::Femtoseconds, "fs"),
        (DateUnit::Attoseconds, "as"),
    ];

    /// NumPy's code for the unit (`"ns"`); empty for [`DateUnit::Generic`].
    pub fn code(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(unit, _)| *unit == self)
            .map_or("", |(_, code)| code)
    }

    fn from_code(code: &str) -> Option<DateUnit> {
        let code = if code == "μs" { "us" } else { code };
        Self::ALL
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(unit, _)| *unit)
    }
}

/// A datetime unit with its multiplier: `[10ms]` is `TimeUnit { unit: Milliseconds, multiplier: 10 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeUnit {
    /// The base unit.
    pub unit: DateUnit,
    /// How many base units one step is (1 for plain `[ms]`).
    pub multiplier: u32,
}

impl TimeUnit {
    /// A unit with multiplier 1.
    pub const fn new(unit: DateUnit) -> TimeUnit {
        TimeUnit {
            unit,
            multiplier: 1,
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.unit, self.multiplier) {
            (DateUnit::Generic, _) => Ok(()),
            (unit, 1) => write!(f, "[{}]", unit.code()),
            (unit, n) => write!(f, "[{n}{}]", unit.code()),
        }
    }
}

/// A NumPy element type.
///
/// Parse one from its descr text with [`str::parse`] (both the Python literal NumPy writes
/// in headers and a bare type string work); print its descr with `Display`.
///
/// ```
/// use npy_serde::dtype::{DType, Endian};
///
/// let dtype: DType = "<f8".parse()?;
/// assert_eq!(dtype, DType::Float { size: 8, endian: Endian::Little });
/// assert_eq!(dtype.to_string(), "'<f8'");
///
/// let record: DType = "[('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))]".parse()?;
/// assert_eq!(record.itemsize(), 24);
/// assert_eq!(record.to_string(), "[('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))]");
/// # Ok::<(), npy_serde::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// `|b1`: one byte, 0 or 1.
    Bool,
    /// `i1 i2 i4 i8`
    Int {
        /// Bytes per element.
        size: usize,
        /// Byte order.
        endian: Endian,
    },
    /// `u1 u2 u4 u8`
    UInt {
        /// Bytes per element.
        size: usize,
        /// Byte order.
        endian: Endian,
    },
    /// `f2 f4 f8`, and `f16` (or `f12`), the platform's long double, kept as opaque bytes.
    Float {
        /// Bytes per element.
        size: usize,
        /// Byte order.
        endian: Endian,
    },
    /// `c8 c16`, and `c32` (or `c24`), a pair of long doubles kept as opaque bytes.
    Complex {
        /// Bytes per element (both parts).
        size: usize,
        /// Byte order.
        endian: Endian,
    },
    /// `|S<len>`: fixed-width bytes, padded with NUL.
    Bytes {
        /// Bytes per element.
        len: usize,
    },
    /// `<U<chars>`: fixed-width UTF-32 text, padded with NUL.
    Unicode {
        /// Characters per element (4 bytes each).
        chars: usize,
        /// Byte order of the code units.
        endian: Endian,
    },
    /// `|V<size>`: opaque bytes.
    Void {
        /// Bytes per element.
        size: usize,
    },
    /// `M8[unit]`: `datetime64`, an i64 count of units since 1970-01-01.
    DateTime {
        /// The unit.
        unit: TimeUnit,
        /// Byte order.
        endian: Endian,
    },
    /// `m8[unit]`: `timedelta64`, an i64 count of units.
    TimeDelta {
        /// The unit.
        unit: TimeUnit,
        /// Byte order.
        endian: Endian,
    },
    /// `|O`: Python objects (a pickle); recognised so that it can be refused clearly.
    Object,
    /// A structured dtype: named fields at byte offsets.
    Record(Record),
    /// A fixed-shape block of `base` elements, as record fields have.
    SubArray {
        /// The element type.
        base: Box<DType>,
        /// The block's shape (never empty).
        shape: Vec<usize>,
    },
}

/// A structured (record) dtype: fields at byte offsets within items of `itemsize` bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// The fields, in the order NumPy lists them.
    pub fields: Vec<Field>,
    /// Bytes per record, padding included.
    pub itemsize: usize,
}

/// One field of a [`Record`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field name.
    pub name: String,
    /// NumPy's optional field title (written as `(title, name)`).
    pub title: Option<String>,
    /// The field's type (a [`DType::SubArray`] for fields with a shape).
    pub dtype: DType,
    /// Byte offset of the field within a record.
    pub offset: usize,
}

impl Field {
    /// A field without title at the given offset.
    pub fn new(name: impl Into<String>, dtype: DType, offset: usize) -> Field {
        Field {
            name: name.into(),
            title: None,
            dtype,
            offset,
        }
    }
}

impl Record {
    /// Fields laid out one after the other with no padding (NumPy's default).
    pub fn packed(fields: impl IntoIterator<Item = (String, DType)>) -> Record {
        let mut offset = 0;
        let fields = fields
            .into_iter()
            .map(|(name, dtype)| {
                let field = Field::new(name, dtype, offset);
                offset += field.dtype.itemsize();
                field
            })
            .collect();
        Record {
            fields,
            itemsize: offset,
        }
    }

    /// Fields laid out as a C compiler would (NumPy's `align=True`): each at a multiple of
    /// its alignment, the size rounded up to the largest alignment.
    pub fn aligned(fields: impl IntoIterator<Item = (String, DType)>) -> Record {
        let mut offset: usize = 0;
        let mut max_align = 1;
        let fields = fields
            .into_iter()
            .map(|(name, dtype)| {
                let align = dtype.alignment();
                max_align = max_align.max(align);
                offset = offset.next_multiple_of(align);
                let field = Field::new(name, dtype, offset);
                offset += field.dtype.itemsize();
                field
            })
            .collect();
        Record {
            fields,
            itemsize: offset.next_multiple_of(max_align),
        }
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
}

impl DType {
    /// Bytes per element.
    pub fn itemsize(&self) -> usize {
        match self {
            DType::Bool => 1,
            DType::Int { size, .. }
            | DType::UInt { size, .. }
            | DType::Float { size, .. }
            | DType::Complex { size, .. } => *size,
            DType::Bytes { len } => *len,
            DType::Unicode { chars, .. } => chars.saturating_mul(4),
            DType::Void { size } => *size,
            DType::DateTime { .. } | DType::TimeDelta { .. } | DType::Object => 8,
            DType::Record(record) => record.itemsize,
            DType::SubArray { base, shape } => shape
                .iter()
                .fold(base.itemsize(), |size, &dim| size.saturating_mul(dim)),
        }
    }

    /// The alignment a C compiler gives this type (NumPy's `dtype.alignment` for
    /// `align=True` structs).
    pub fn alignment(&self) -> usize {
        match self {
            DType::Bool | DType::Bytes { .. } | DType::Void { .. } => 1,
            DType::Int { size, .. } | DType::UInt { size, .. } | DType::Float { size, .. } => {
                (*size).clamp(1, 16)
            }
            DType::Complex { size, .. } => (*size / 2).clamp(1, 16),
            DType::Unicode { .. } => 4,
            DType::DateTime { .. } | DType::TimeDelta { .. } | DType::Object => 8,
            DType::Record(record) => record
                .fields
                .iter()
                .map(|field| field.dtype.alignment())
                .max()
                .unwrap_or(1),
            DType::SubArray { base, .. } => base.alignment(),
        }
    }

    /// The byte order of a plain dtype; `NotApplicable` for records, subarrays and types
    /// where it does not matter.
    pub fn endian(&self) -> Endian {
        match self {
            DType::Int { endian, .. }
            | DType::UInt { endian, .. }
            | DType::Float { endian, .. }
            | DType::Complex { endian, .. }
            | DType::Unicode { endian, .. }
            | DType::DateTime { endian, .. }
            | DType::TimeDelta { endian, .. } => *endian,
            _ => Endian::NotApplicable,
        }
    }

    /// The same dtype with every multi-byte part in `endian` order (one-byte parts keep `|`).
    pub fn with_endian(&self, endian: Endian) -> DType {
        let set = |size: usize| {
            if size == 1 {
                Endian::NotApplicable
            } else {
                endian
            }
        };
        match self {
            DType::Int { size, .. } => DType::Int {
                size: *size,
                endian: set(*size),
            },
            DType::UInt { size, .. } => DType::UInt {
                size: *size,
                endian: set(*size),
            },
            DType::Float { size, .. } => DType::Float {
                size: *size,
                endian: set(*size),
            },
            DType::Complex { size, .. } => DType::Complex {
                size: *size,
                endian: set(*size),
            },
            DType::Unicode { chars, .. } => DType::Unicode {
                chars: *chars,
                endian: set(4),
            },
            DType::DateTime { unit, .. } => DType::DateTime {
                unit: *unit,
                endian: set(8),
            },
            DType::TimeDelta { unit, .. } => DType::TimeDelta {
                unit: *unit,
                endian: set(8),
            },
            DType::Record(record) => DType::Record(Record {
                fields: record
                    .fields
                    .iter()
                    .map(|field| Field {
                        dtype: field.dtype.with_endian(endian),
                        ..field.clone()
                    })
                    .collect(),
                itemsize: record.itemsize,
            }),
            DType::SubArray { base, shape } => DType::SubArray {
                base: Box::new(base.with_endian(endian)),
                shape: shape.clone(),
            },
            other => other.clone(),
        }
    }

    /// The byte order of the first part that has one (a record's fields in order, a
    /// subarray's base): after [`with_endian`](Self::with_endian), every part's.
    pub(crate) fn parts_endian(&self) -> Option<Endian> {
        match self {
            DType::Record(record) => record.fields.iter().find_map(|f| f.dtype.parts_endian()),
            DType::SubArray { base, .. } => base.parts_endian(),
            plain => Some(plain.endian()).filter(|e| matches!(e, Endian::Little | Endian::Big)),
        }
    }

    /// True when no part of the dtype needs a byte swap on this machine.
    pub fn is_native_endian(&self) -> bool {
        match self {
            DType::Record(record) => record.fields.iter().all(|f| f.dtype.is_native_endian()),
            DType::SubArray { base, .. } => base.is_native_endian(),
            other => other.endian().is_native(),
        }
    }

    /// True when the dtype is or contains Python objects (`|O`).
    pub fn has_object(&self) -> bool {
        match self {
            DType::Object => true,
            DType::Record(record) => record.fields.iter().any(|f| f.dtype.has_object()),
            DType::SubArray { base, .. } => base.has_object(),
            _ => false,
        }
    }

    /// NumPy's `dtype.str` for a plain dtype (`'<f8'`, `'|S5'`, `'<M8[ns]'`); records give
    /// `|V<itemsize>` as NumPy does.
    pub fn type_str(&self) -> String {
        let e = self.endian().as_char();
        match self {
            DType::Bool => "|b1".to_string(),
            DType::Int { size, .. } => format!("{e}i{size}"),
            DType::UInt { size, .. } => format!("{e}u{size}"),
            DType::Float { size, .. } => format!("{e}f{size}"),
            DType::Complex { size, .. } => format!("{e}c{size}"),
            DType::Bytes { len } => format!("|S{len}"),
            DType::Unicode { chars, .. } => format!("{e}U{chars}"),
            DType::Void { size } => format!("|V{size}"),
            DType::DateTime { unit, .. } => format!("{e}M8{unit}"),
            DType::TimeDelta { unit, .. } => format!("{e}m8{unit}"),
            DType::Object => "|O".to_string(),
            DType::Record(record) => format!("|V{}", record.itemsize),
            DType::SubArray { .. } => format!("|V{}", self.itemsize()),
        }
    }

    /// The dtype as people name it in prose, byte order aside: NumPy's names for numbers
    /// (`bool`, `int64`, `float32`, `complex128`), and readable forms for the rest
    /// (`str[10]`, `bytes[5]`, `datetime64[ns]`, `record{x: float64, y: int32}`,
    /// `float32[3]` for a subarray, `longdouble(16 bytes)`, `object (pickle)`). Error
    /// messages and the `npy` command both use it.
    ///
    /// ```
    /// use npy_serde::dtype::DType;
    ///
    /// let name = |descr: &str| descr.parse::<DType>().unwrap().name();
    /// assert_eq!(name(">f4"), "float32");
    /// assert_eq!(name("<U10"), "str[10]");
    /// assert_eq!(name("[('x', '<f8'), ('p', '<i2', (3,))]"), "record{x: float64, p: int16[3]}");
    /// ```
    pub fn name(&self) -> String {
        match self {
            DType::Bool => "bool".to_string(),
            DType::Int { size, .. } => format!("int{}", size * 8),
            DType::UInt { size, .. } => format!("uint{}", size * 8),
            DType::Float { size, .. } if *size > 8 => format!("longdouble({size} bytes)"),
            DType::Float { size, .. } => format!("float{}", size * 8),
            DType::Complex { size, .. } if *size > 16 => format!("clongdouble({size} bytes)"),
            DType::Complex { size, .. } => format!("complex{}", size * 8),
            DType::Bytes { len } => format!("bytes[{len}]"),
            DType::Unicode { chars, .. } => format!("str[{chars}]"),
            DType::Void { size } => format!("void[{size}]"),
            DType::DateTime { unit, .. } => format!("datetime64{unit}"),
            DType::TimeDelta { unit, .. } => format!("timedelta64{unit}"),
            DType::Object => "object (pickle)".to_string(),
            DType::Record(record) => {
                let fields: Vec<String> = record
                    .fields
                    .iter()
                    .map(|field| format!("{}: {}", field.name, field.dtype.name()))
                    .collect();
                format!("record{{{}}}", fields.join(", "))
            }
            DType::SubArray { base, shape } => {
                let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
                format!("{}[{}]", base.name(), dims.join("x"))
            }
        }
    }

    /// Puts raw data of this dtype (`bytes`, items laid end to end) in `to` byte order,
    /// part by part: each number, each half of a complex number, each UTF-32 code unit,
    /// each datetime count, record fields and subarray items in place; parts already in
    /// that order (or with none) are left. The data then matches
    /// [`with_endian(to)`](Self::with_endian).
    pub(crate) fn reorder_bytes(&self, to: Endian, bytes: &mut [u8]) {
        let itemsize = self.itemsize();
        if itemsize == 0 {
            return;
        }
        for item in bytes.chunks_exact_mut(itemsize) {
            match self {
                DType::Record(record) => {
                    for field in &record.fields {
                        let end = field.offset + field.dtype.itemsize();
                        if let Some(field_bytes) = item.get_mut(field.offset..end) {
                            field.dtype.reorder_bytes(to, field_bytes);
                        }
                    }
                }
                DType::SubArray { base, .. } => base.reorder_bytes(to, item),
                plain => {
                    let from = plain.endian();
                    if !matches!(from, Endian::Little | Endian::Big) || from == to {
                        continue;
                    }
                    match plain {
                        DType::Complex { size, .. } => {
                            item.chunks_exact_mut(size / 2).for_each(<[u8]>::reverse)
                        }
                        DType::Unicode { .. } => item.chunks_exact_mut(4).for_each(<[u8]>::reverse),
                        _ => item.reverse(),
                    }
                }
            }
        }
    }

    /// The descr NumPy writes in a header for this dtype, as a Python value.
    pub(crate) fn to_descr(&self) -> Result<PyValue> {
        match self {
            DType::Record(record) => record_descr(record),
            DType::SubArray { base, shape } => {
                Ok(PyValue::Tuple(vec![base.to_descr()?, shape_tuple(shape)]))
            }
            plain => Ok(PyValue::Str(plain.type_str())),
        }
    }

    /// Parses a descr from its Python value (a header's `'descr'` entry).
    pub(crate) fn from_descr(descr: &PyValue) -> Result<DType> {
        match descr {
            PyValue::Str(text) => parse_type_str(text),
            PyValue::List(entries) => parse_record(entries),
            PyValue::Tuple(items) if items.len() == 2 => {
                let base = DType::from_descr(&items[0])?;
                match &items[1] {
                    // (descr, metadata dict): NumPy drops the metadata when it writes.
                    PyValue::Dict(_) => Ok(base),
                    shape => subarray(base, parse_field_shape(shape)?),
                }
            }
            other => Err(Error::invalid_descr(format!(
                "expected a type string, a list of fields or a (descr, shape) tuple, found {}",
                other
            ))),
        }
    }
}

/// `Display` writes the descr exactly as NumPy writes it in a header.
impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_descr() {
            Ok(descr) => write!(f, "{descr}"),
            // Overlapping fields have no descr; show the structure instead.
            Err(_) => write!(f, "{self:?}"),
        }
    }
}

impl FromStr for DType {
    type Err = Error;

    /// Parses a descr as written in a header (`"'<f8'"`, `"[('x', '<f8')]"`) or a bare type
    /// string (`"<f8"`, `"float64"`).
    fn from_str(text: &str) -> Result<DType> {
        let trimmed = text.trim();
        if trimmed.starts_with(['\'', '"', '[', '(']) {
            let value = literal::parse(trimmed, false).map_err(Error::invalid_descr)?;
            DType::from_descr(&value)
        } else {
            parse_type_str(trimmed)
        }
    }
}

fn shape_tuple(shape: &[usize]) -> PyValue {
    PyValue::Tuple(shape.iter().map(|&dim| PyValue::Int(dim as i128)).collect())
}

fn record_descr(record: &Record) -> Result<PyValue> {
    let mut entries = Vec::with_capacity(record.fields.len());
    let mut offset = 0;
    let padding = |size: usize| {
        PyValue::Tuple(vec![
            PyValue::Str(String::new()),
            PyValue::Str(format!("|V{size}")),
        ])
    };
    for field in &record.fields {
        if field.offset < offset {
            return Err(Error::unwritable(format!(
                "field {:?} overlaps the field before it or is out of order (offset {} < {}): \
                 NumPy cannot describe such a dtype either",
                field.name, field.offset, offset
            )));
        }
        if field.offset > offset {
            entries.push(padding(field.offset - offset));
        }
        let name = match &field.title {
            Some(title) => PyValue::Tuple(vec![
                PyValue::Str(title.clone()),
                PyValue::Str(field.name.clone()),
            ]),
            None => PyValue::Str(field.name.clone()),
        };
        let entry = match &field.dtype {
            DType::SubArray { base, shape } => vec![name, base.to_descr()?, shape_tuple(shape)],
            dtype => vec![name, dtype.to_descr()?],
        };
        entries.push(PyValue::Tuple(entry));
        offset = field.offset + field.dtype.itemsize();
    }
    if record.itemsize < offset {
        return Err(Error::unwritable(format!(
            "record itemsize {} is smaller than its fields ({offset} bytes)",
            record.itemsize
        )));
    }
    if record.itemsize > offset {
        entries.push(padding(record.itemsize - offset));
    }
    Ok(PyValue::List(entries))
}

/// Largest itemsize accepted from a file: beyond it, sizes are hostile, not data.
const MAX_ITEMSIZE: usize = 1 << 40;

fn subarray(base: DType, shape: Vec<usize>) -> Result<DType> {
    if shape.is_empty() {
        return Ok(base);
    }
    // Nested subarrays stay nested, as NumPy keeps them: (('<f8', (5,)), (2,)) is a
    // (2,) subarray of ('<f8', (5,)) items, and its descr must be written back that way.
    let total = shape
        .iter()
        .try_fold(base.itemsize(), |size, &dim| size.checked_mul(dim))
        .filter(|&size| size <= MAX_ITEMSIZE);
    if total.is_none() {
        return Err(Error::invalid_descr(format!(
            "subarray shape {shape:?} of {} makes an item larger than {MAX_ITEMSIZE} bytes",
            base
        )));
    }
    Ok(DType::SubArray {
        base: Box::new(base),
        shape,
    })
}

/// A field shape: an int (`3` means `(3,)`) or a tuple/list of non-negative ints.
fn parse_field_shape(value: &PyValue) -> Result<Vec<usize>> {
    let dims: Vec<&PyValue> = match value {
        PyValue::Int(_) => vec![value],
        other => match other.as_sequence() {
            Some(items) => items.iter().collect(),
            None => {
                return Err(Error::invalid_descr(format!(
                    "a field shape must be an int or a tuple of ints, found {value}"
                )))
            }
        },
    };
    dims.into_iter()
        .map(|dim| match dim {
            PyValue::Int(n) if *n >= 0 => usize::try_from(*n)
                .map_err(|_| Error::invalid_descr(format!("field dimension {n} is too large"))),
            other => Err(Error::invalid_descr(format!(
                "a field dimension must be a non-negative int, found {other}"
            ))),
        })
        .collect()
}

fn parse_record(entries: &[PyValue]) -> Result<DType> {
    let mut fields: Vec<Field> = Vec::with_capacity(entries.len());
    let mut offset: usize = 0;
    for entry in entries {
        let items = entry
            .as_sequence()
            .filter(|items| matches!(items.len(), 2 | 3));
        let Some(items) = items else {
            return Err(Error::invalid_descr(format!(
                "a record field must be (name, descr) or (name, descr, shape), found {entry}"
            )));
        };
        let (title, name) = match &items[0] {
            PyValue::Str(name) => (None, name.clone()),
            PyValue::Tuple(pair) if pair.len() == 2 => match (&pair[0], &pair[1]) {
                (PyValue::Str(title), PyValue::Str(name)) => (Some(title.clone()), name.clone()),
                _ => {
                    return Err(Error::invalid_descr(format!(
                        "a titled field name must be (title, name) strings, found {}",
                        items[0]
                    )))
                }
            },
            other => {
                return Err(Error::invalid_descr(format!(
                    "a field name must be a string or (title, name), found {other}"
                )))
            }
        };
        let mut dtype = DType::from_descr(&items[1])
            .map_err(|e| Error::invalid_descr(format!("field {name:?}: {}", e.kind())))?;
        if let Some(shape) = items.get(2) {
            dtype = subarray(dtype, parse_field_shape(shape)?)?;
        }
        let size = dtype.itemsize();
        // Entries named '' of plain void type are the padding NumPy writes for gaps.
        let is_padding = name.is_empty() && matches!(dtype, DType::Void { .. });
        if !is_padding {
            if fields.iter().any(|field| field.name == name) {
                return Err(Error::invalid_descr(format!(
                    "field name {name:?} appears twice"
                )));
            }
            fields.push(Field {
                name,
                title,
                dtype,
                offset,
            });
        }
        offset = offset
            .checked_add(size)
            .filter(|&total| total <= MAX_ITEMSIZE)
            .ok_or_else(|| Error::invalid_descr("record larger than 2^40 bytes"))?;
    }
    Ok(DType::Record(Record {
        fields,
        itemsize: offset,
    }))
}

/// Parses a type string: `<i8`, `|S5`, `<M8[10ms]`, `f8`, `float64`, `i`, ….
fn parse_type_str(text: &str) -> Result<DType> {
    let bad =
        |why: &str| Error::invalid_descr(format!("{text:?} is not a dtype NumPy writes: {why}"));
    let (order, rest) = match text.chars().next() {
        Some('<') => (Some(Endian::Little), &text[1..]),
        Some('>') | Some('!') => (Some(Endian::Big), &text[1..]),
        Some('|') | Some('=') => (None, &text[1..]),
        _ => (None, text),
    };
    if rest.is_empty() {
        return Err(bad("empty type"));
    }
    let (kind, size, unit) = match named_type(rest) {
        Some((kind, size)) => (kind, Some(size), None),
        None => {
            let (body, unit) = match rest.find('[') {
                Some(open) if rest.ends_with(']') => {
                    (&rest[..open], Some(&rest[open + 1..rest.len() - 1]))
                }
                Some(_) => return Err(bad("unclosed '['")),
                None => (rest, None),
            };
            let mut chars = body.chars();
            let Some(kind) = chars.next() else {
                return Err(bad("no type code before '['"));
            };
            let digits = chars.as_str();
            let size = if digits.is_empty() {
                None
            } else if digits.bytes().all(|b| b.is_ascii_digit()) {
                Some(digits.parse::<usize>().map_err(|_| bad("size too large"))?)
            } else {
                return Err(bad("unknown type"));
            };
            match (kind, size) {
                // One-character codes (NumPy's dtype.char), sizes as on 64-bit Linux.
                (c, None) if "?bBhHiIlLqQpPefdgFDG".contains(c) => {
                    let (kind, size) = char_code(c);
                    (kind, Some(size), unit)
                }
                (c, size) => (c, size, unit),
            }
        }
    };
    let endian = |size: usize| match order {
        _ if size <= 1 => Endian::NotApplicable,
        Some(endian) => endian,
        None => Endian::NATIVE,
    };
    let need_size = |allowed: &[usize]| match size {
        Some(s) if allowed.contains(&s) => Ok(s),
        _ => Err(bad("unsupported size")),
    };
    if unit.is_some() && !matches!(kind, 'M' | 'm') {
        return Err(bad("only datetimes take a [unit]"));
    }
    let dtype = match kind {
        'b' if size == Some(1) => DType::Bool,
        '?' => DType::Bool,
        'i' => {
            let size = need_size(&[1, 2, 4, 8])?;
            DType::Int {
                size,
                endian: endian(size),
            }
        }
        'u' => {
            let size = need_size(&[1, 2, 4, 8])?;
            DType::UInt {
                size,
                endian: endian(size),
            }
        }
        'f' => {
            let size = need_size(&[2, 4, 8, 10, 12, 16])?;
            DType::Float {
                size,
                endian: endian(size),
            }
        }
        'c' => {
            let size = need_size(&[8, 16, 20, 24, 32])?;
            DType::Complex {
                size,
                endian: endian(size),
            }
        }
        'S' | 'a' => DType::Bytes {
            len: checked_size(size.unwrap_or(0), 1).ok_or_else(|| bad("too large"))?,
        },
        'U' => DType::Unicode {
            chars: checked_size(size.unwrap_or(0), 4).ok_or_else(|| bad("too large"))?,
            endian: endian(4),
        },
        'V' => DType::Void {
            size: checked_size(size.unwrap_or(0), 1).ok_or_else(|| bad("too large"))?,
        },
        'O' if matches!(size, None | Some(4) | Some(8)) => DType::Object,
        'M' | 'm' => {
            if !matches!(size, None | Some(8)) {
                return Err(bad("datetimes are 8 bytes"));
            }
            let unit = parse_time_unit(unit.unwrap_or("")).ok_or_else(|| bad("unknown unit"))?;
            if kind == 'M' {
                DType::DateTime {
                    unit,
                    endian: endian(8),
                }
            } else {
                DType::TimeDelta {
                    unit,
                    endian: endian(8),
                }
            }
        }
        _ => return Err(bad("unknown type")),
    };
    Ok(dtype)
}

fn checked_size(count: usize, unit_bytes: usize) -> Option<usize> {
    count
        .checked_mul(unit_bytes)
        .filter(|&bytes| bytes <= MAX_ITEMSIZE)
        .map(|_| count)
}

fn char_code(c: char) -> (char, usize) {
    match c {
        '?' => ('?', 1),
        'b' => ('i', 1),
        'B' => ('u', 1),
        'h' => ('i', 2),
        'H' => ('u', 2),
        'i' => ('i', 4),
        'I' => ('u', 4),
        'l' | 'q' | 'p' => ('i', 8),
        'L' | 'Q' | 'P' => ('u', 8),
        'e' => ('f', 2),
        'f' => ('f', 4),
        'd' => ('f', 8),
        'g' => ('f', 16),
        'F' => ('c', 8),
        'D' => ('c', 16),
        'G' => ('c', 32),
        _ => unreachable!("checked by the caller"),
    }
}

/// NumPy's type names (`float64`, `int32`, `bool`, …).
fn named_type(name: &str) -> Option<(char, usize)> {
    Some(match name {
        "bool" | "bool_" => ('?', 1),
        "int8" | "byte" => ('i', 1),
        "int16" | "short" => ('i', 2),
        "int32" | "intc" => ('i', 4),
        "int64" | "int" | "long" | "longlong" | "intp" => ('i', 8),
        "uint8" | "ubyte" => ('u', 1),
        "uint16" | "ushort" => ('u', 2),
        "uint32" | "uintc" => ('u', 4),
        "uint64" | "uint" | "ulong" | "ulonglong" | "uintp" => ('u', 8),
        "float16" | "half" => ('f', 2),
        "float32" | "single" => ('f', 4),
        "float64" | "double" | "float" => ('f', 8),
        "float128" | "longdouble" => ('f', 16),
        "complex64" | "csingle" => ('c', 8),
        "complex128" | "cdouble" | "complex" => ('c', 16),
        "complex256" | "clongdouble" => ('c', 32),
        _ => return None,
    })
}

fn parse_time_unit(text: &str) -> Option<TimeUnit> {
    if text.is_empty() || text == "generic" {
        return Some(TimeUnit::new(DateUnit::Generic));
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, code) = text.split_at(split);
    let multiplier = if digits.is_empty() {
        1
    } else {
        digits.parse::<u32>().ok().filter(|&m| m > 0)?
    };
    Some(TimeUnit {
        unit: DateUnit::from_code(code)?,
        multiplier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorKind;

    fn dt(text: &str) -> DType {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_plain_descr_numpy_writes_round_trips() {
        for text in [
            "<i8",
            ">i8",
            "|b1",
            "|i1",
            "|u1",
            "<u2",
            ">u4",
            "<f2",
            "<f4",
            ">f8",
            "<f16",
            "<c8",
            "<c16",
            ">c32",
            "<U10",
            ">U3",
            "|S5",
            "|S0",
            "|V16",
            "|O",
            "<M8",
            "<M8[ns]",
            "<M8[D]",
            "<M8[10ms]",
            ">M8[ns]",
            "<m8",
            "<m8[s]",
            "<M8[Y]",
            "<m8[as]",
            "<U0",
        ] {
            let quoted = format!("'{text}'");
            assert_eq!(dt(text).to_string(), quoted, "{text}");
            assert_eq!(dt(&quoted).to_string(), quoted, "{text}");
            assert_eq!(dt(text).type_str(), text);
        }
    }

    #[test]
    fn other_spellings_read_as_numpy_reads_them() {
        let native = Endian::NATIVE.as_char();
        for (text, expected) in [
            ("f8", format!("{native}f8")),
            ("float64", format!("{native}f8")),
            ("=i4", format!("{native}i4")),
            ("|i4", format!("{native}i4")),
            ("i", format!("{native}i4")),
            ("<i1", "|i1".to_string()),
            ("?", "|b1".to_string()),
            ("|O8", "|O".to_string()),
            ("|O4", "|O".to_string()),
            ("a3", "|S3".to_string()),
            ("d", format!("{native}f8")),
        ] {
            assert_eq!(dt(text).type_str(), expected, "{text}");
        }
    }

    #[test]
    fn bad_type_strings_are_errors() {
        for text in [
            "x", "<i3", "<f3", "", "<", "<M8[xs]", "<M8[ns", "<i4[ns]", "<b2", "S-1",
        ] {
            assert!(text.parse::<DType>().is_err(), "{text:?}");
        }
        assert!("'<U99999999999999999999'".parse::<DType>().is_err());
    }

    #[test]
    fn type_strings_without_a_type_code_are_errors() {
        // Found by fuzzing (fuzz/regressions/header): `'<[M18m0é]'` panicked.
        for text in ["<[M18m0é]", "<[]", "|[ns]", "[]x[]", "'<[ns]'", "'[]'"] {
            let err = text.parse::<DType>().unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::InvalidDescr { .. }),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn records_round_trip_with_subarrays_titles_and_nesting() {
        for text in [
            "[('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))]",
            "[('x', '<i4', (2,)), ('y', '<f8', (2, 2)), ('z', '|u1')]",
            "[('x', '>i4', (2,)), ('Info', [('value', '>c16'), ('y2', '>f8')])]",
            "[(('title', 'name'), '<f8')]",
            "[('a', '|i1'), ('', '|V3'), ('b', '<i4'), ('c', '|i1'), ('', '|V3')]",
            "[('c', [('d', '<i4')], (2,))]",
        ] {
            assert_eq!(dt(text).to_string(), text);
        }
    }

    #[test]
    fn padding_is_dropped_on_read_and_written_back() {
        let dtype = dt("[('a', '|i1'), ('', '|V3'), ('b', '<i4'), ('c', '|i1'), ('', '|V3')]");
        let DType::Record(record) = &dtype else {
            panic!("record expected")
        };
        let layout: Vec<_> = record
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.offset))
            .collect();
        assert_eq!(layout, [("a", 0), ("b", 4), ("c", 8)]);
        assert_eq!(record.itemsize, 12);
    }

    #[test]
    fn aligned_layout_matches_numpy_align_true() {
        let record = Record::aligned([
            ("a".to_string(), dt("|i1")),
            ("b".to_string(), dt("<i4")),
            ("c".to_string(), dt("|i1")),
        ]);
        assert_eq!(
            DType::Record(record).to_string(),
            "[('a', '|i1'), ('', '|V3'), ('b', '<i4'), ('c', '|i1'), ('', '|V3')]"
        );
    }

    #[test]
    fn nested_subarrays_stay_nested_and_empty_records_keep_their_size() {
        let nested = dt("[('c', ('<f8', (5,)), (2,))]");
        assert_eq!(nested.to_string(), "[('c', ('<f8', (5,)), (2,))]");
        assert_eq!(nested.itemsize(), 80);
        let DType::Record(record) = &nested else {
            panic!("a record")
        };
        assert_eq!(
            record.fields[0].dtype,
            DType::SubArray {
                base: Box::new(dt("('<f8', (5,))")),
                shape: vec![2],
            }
        );
        // The size limit applies to the whole nest: 2^40 bytes inside, 2^41 outside.
        assert!("[('c', ('<f8', (137438953472,)), (2,))]"
            .parse::<DType>()
            .is_err());
        let empty = dt("[('', '|V8')]");
        assert_eq!(empty.itemsize(), 8);
        assert_eq!(empty.to_string(), "[('', '|V8')]");
    }

    #[test]
    fn overlapping_fields_cannot_be_written() {
        let record = Record {
            fields: vec![Field::new("a", dt("<i4"), 0), Field::new("b", dt("<i4"), 2)],
            itemsize: 8,
        };
        assert!(DType::Record(record).to_descr().is_err());
    }

    #[test]
    fn bad_records_are_errors() {
        for text in [
            "[('a',)]",
            "[(1, '<i4')]",
            "[('a', '<i4'), ('a', '<f8')]",
            "[('a', '<i4', (-1,))]",
            "[('a', '<i4', (2.0,))]",
            "[('a', 'zz')]",
            "[('a', '<f8', (1000000000000, 1000000000000))]",
            "{'a': 1}",
        ] {
            assert!(text.parse::<DType>().is_err(), "{text}");
        }
    }

    #[test]
    fn byte_order_helpers() {
        let record = dt("[('x', '<f8'), ('s', '|S2'), ('u', '<u2', (2,))]");
        let big = record.with_endian(Endian::Big);
        assert_eq!(
            big.to_string(),
            "[('x', '>f8'), ('s', '|S2'), ('u', '>u2', (2,))]"
        );
        assert_eq!(
            big.is_native_endian(),
            Endian::NATIVE == Endian::Big,
            "big-endian record"
        );
        assert!(dt("|S3").is_native_endian());
        assert!(dt("[('o', '|O')]").has_object());
    }
}
