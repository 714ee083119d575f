//! The dtype model: one description of NumPy element types, used by headers, typed I/O,
//! the derive and serde. Parses every `descr` NumPy writes (and the spellings it reads) and
//! writes it back to the exact text NumPy writes.
//!
//! A [`DType`] is either a plain type (`'<f8'`, `'|S5'`, `'<M8[ns]'`, …), a record
//! ([`Record`], a list of named fields at byte offsets) or a subarray (a fixed-shape block
//! of a base type, as record fields have: `('pos', '<f4', (3,))`).

use std::fmt;

mod descr;

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
}

#[cfg(test)]
mod tests;
