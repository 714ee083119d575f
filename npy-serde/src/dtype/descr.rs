//! The descr text: parsing every spelling of a dtype NumPy reads (type strings, records,
//! subarrays, titles, padding, datetime units) and writing the exact text NumPy writes.

use std::fmt;
use std::str::FromStr;

use super::{DType, DateUnit, Endian, Field, Record, TimeUnit};
use crate::errors::{Error, Result};
use crate::literal::{self, PyValue};

impl DType {
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
