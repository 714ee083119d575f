//! The `.npy` header: magic string, version, header length and the header dict
//! `{'descr': …, 'fortran_order': …, 'shape': …}`. Reading is bounded (size limit checked
//! before anything is allocated); writing is byte-identical to NumPy, growth padding,
//! 64-byte alignment and version choice included.

use std::io::Read;

use crate::buffer::read_up_to;
use crate::dtype::DType;
use crate::errors::{escape_bytes, Error, ErrorKind, Result};
use crate::literal::{self, PyValue};
use crate::magic::{FileKind, NPY_MAGIC as MAGIC};

/// NumPy's default `max_header_size`: the longest header text read without being told the
/// file is trusted.
pub(crate) const DEFAULT_MAX_HEADER_SIZE: usize = 10_000;

/// Data starts at a multiple of this many bytes in files NumPy writes.
pub(crate) const ARRAY_ALIGN: usize = 64;

/// Room left after the growth axis so that its length can grow in place (NumPy ≥ 1.24).
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// A `.npy` format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// 1.0: header length is a u16, text latin-1.
    V1,
    /// 2.0: header length is a u32, text latin-1.
    V2,
    /// 3.0: header length is a u32, text UTF-8.
    V3,
}

impl Version {
    /// `(major, minor)` as written after the magic string.
    pub fn numbers(self) -> (u8, u8) {
        match self {
            Version::V1 => (1, 0),
            Version::V2 => (2, 0),
            Version::V3 => (3, 0),
        }
    }

    fn from_numbers(major: u8, minor: u8) -> Result<Version> {
        match (major, minor) {
            (1, 0) => Ok(Version::V1),
            (2, 0) => Ok(Version::V2),
            (3, 0) => Ok(Version::V3),
            _ => Err(Error::from(ErrorKind::UnsupportedVersion { major, minor })),
        }
    }

    /// Bytes of the header-length field.
    fn length_field_size(self) -> usize {
        match self {
            Version::V1 => 2,
            Version::V2 | Version::V3 => 4,
        }
    }

    /// Bytes before the header text: magic, version, length field.
    pub fn prefix_len(self) -> usize {
        MAGIC.len() + 2 + self.length_field_size()
    }
}

/// What a `.npy` header says about the array that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Element type.
    pub dtype: DType,
    /// Logical shape; `[]` for a 0-d array (one element).
    pub shape: Vec<usize>,
    /// True when the data is in column-major (Fortran) order.
    pub fortran_order: bool,
}

impl Header {
    /// Most dimensions an array may have: NumPy's `NPY_MAXDIMS` (64 since NumPy 2.0; 32
    /// before), checked when a header is read or written, subarray dimensions included.
    pub const MAX_DIMS: usize = 64;

    /// A C-order header.
    pub fn new(dtype: DType, shape: Vec<usize>) -> Header {
        Header {
            dtype,
            shape,
            fortran_order: false,
        }
    }

    /// Number of elements: the product of the shape (1 for `[]`), overflow checked.
    pub fn element_count(&self) -> Result<usize> {
        element_count(&self.shape)
    }

    /// Bytes of data that follow the header.
    ///
    /// An error when the shape describes more than 2^64 bytes, counting zero-length
    /// dimensions as 1 as NumPy does ("array is too big"): `(0, 2**40, 2**40)` of `<f4` is
    /// refused too, so every partial product of an accepted shape (row sizes, strides)
    /// fits in a `usize`.
    pub fn data_len(&self) -> Result<u64> {
        let itemsize = self.dtype.itemsize();
        let fits = self
            .shape
            .iter()
            .filter(|&&dim| dim != 0)
            .try_fold(itemsize.max(1), |bytes, &dim| bytes.checked_mul(dim))
            .is_some();
        if !fits {
            return Err(Error::invalid_header(format!(
                "shape {:?} of {} is more than 2^64 bytes",
                self.shape, self.dtype
            )));
        }
        Ok(self.element_count()? as u64 * itemsize as u64)
    }

    /// Rows `rows` (along the first axis) of this array: the header of just those rows,
    /// where their bytes start after the first data byte, and how many bytes they take.
    /// Refuses 0-d arrays, multi-dimensional Fortran order (rows not contiguous) and rows
    /// outside the first axis. Used by every reader of row ranges (files, remote objects).
    pub(crate) fn rows(&self, rows: &std::ops::Range<u64>) -> Result<(Header, u64, u64)> {
        let Some((&count, rest)) = self.shape.split_first() else {
            return Err(Error::invalid_data(
                "a 0-d array has no rows: read it whole",
            ));
        };
        if self.fortran_order && self.shape.len() > 1 {
            return Err(Error::invalid_data(
                "the array is in Fortran order, so its rows are not contiguous: read it whole",
            ));
        }
        if rows.start > rows.end || rows.end > count as u64 {
            return Err(Error::from(ErrorKind::ShapeMismatch {
                expected: format!(
                    "rows {}..{} within the first axis (they are outside the array)",
                    rows.start, rows.end
                ),
                found: self.shape.clone(),
            }));
        }
        let overflow = || Error::invalid_header("the rows' byte range overflows");
        let row_bytes = rest
            .iter()
            .try_fold(self.dtype.itemsize() as u64, |acc, &d| {
                acc.checked_mul(d as u64)
            })
            .ok_or_else(overflow)?;
        let skip = rows.start.checked_mul(row_bytes).ok_or_else(overflow)?;
        let len = (rows.end - rows.start)
            .checked_mul(row_bytes)
            .ok_or_else(overflow)?;
        let mut shape = self.shape.clone();
        shape[0] = (rows.end - rows.start) as usize;
        let sub = Header {
            shape,
            ..self.clone()
        };
        Ok((sub, skip, len))
    }

    /// The header text NumPy writes, before alignment: the dict plus growth padding.
    fn text(&self) -> Result<String> {
        if self.shape.len() > Header::MAX_DIMS {
            return Err(Error::unwritable(format!(
                "{} dimensions, more than the {} NumPy supports",
                self.shape.len(),
                Header::MAX_DIMS
            )));
        }
        // A header whose data size overflows would be refused by every reader, ours included.
        if self.data_len().is_err() {
            return Err(Error::unwritable(format!(
                "shape {:?} of {} describes more than 2^64 bytes of data",
                self.shape, self.dtype
            )));
        }
        let mut text = String::from("{'descr': ");
        literal::write_repr(&self.dtype.to_descr()?, &mut text);
        text.push_str(", 'fortran_order': ");
        text.push_str(if self.fortran_order { "True" } else { "False" });
        text.push_str(", 'shape': ");
        text.push_str(&crate::text::shape_repr(&self.shape));
        text.push_str(", }");
        let growth_axis = if self.fortran_order {
            self.shape.last()
        } else {
            self.shape.first()
        };
        if let Some(len) = growth_axis {
            let digits = len.to_string().len();
            text.extend(std::iter::repeat_n(
                ' ',
                GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
            ));
        }
        Ok(text)
    }

    /// The complete header bytes NumPy writes (magic to final `\n`), in the version NumPy
    /// would choose: 1.0 if the text is latin-1 and short enough, else 2.0, else 3.0.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let text = self.text()?;
        let latin1 = text.chars().all(|c| (c as u32) < 0x100);
        let v1_header_len =
            wrapped_len(text.chars().count(), Version::V1) - Version::V1.prefix_len();
        let version = if latin1 && v1_header_len <= usize::from(u16::MAX) {
            Version::V1
        } else if latin1 {
            Version::V2
        } else {
            Version::V3
        };
        wrap(&text, version)
    }

    /// The header bytes in a given version; an error when the header does not fit it
    /// (too long for 1.0, or not latin-1 for 1.0 and 2.0).
    pub fn to_bytes_with_version(&self, version: Version) -> Result<Vec<u8>> {
        wrap(&self.text()?, version)
    }
}

/// The `fortran_order` flag NumPy writes for an array of `shape` whose elements are in
/// column-major order when `column_major` is true: `np.save` writes `True` only for arrays
/// that are F-contiguous and not C-contiguous. An array with at most one dimension longer
/// than 1, or with no elements, is both, and is written as C order (its bytes are the same
/// in either order), so a 1-D array read from a file that says `True` saves back as `False`.
pub fn numpy_fortran_order(shape: &[usize], column_major: bool) -> bool {
    let both_orders = shape.contains(&0) || shape.iter().filter(|&&dim| dim > 1).count() <= 1;
    column_major && !both_orders
}

/// Product of a shape with overflow checking (`[]` has one element).
pub(crate) fn element_count(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |count, &dim| count.checked_mul(dim))
        .ok_or_else(|| {
            Error::invalid_header(format!("shape {shape:?} has more than 2^64 elements"))
        })
}

/// Total header length (magic to final `\n`) for a text of `text_len` encoded bytes.
fn wrapped_len(text_len: usize, version: Version) -> usize {
    let unpadded = version.prefix_len() + text_len + 1;
    let padding = ARRAY_ALIGN - unpadded % ARRAY_ALIGN;
    unpadded + padding
}

fn wrap(text: &str, version: Version) -> Result<Vec<u8>> {
    let encoded: Vec<u8> = match version {
        Version::V3 => text.as_bytes().to_vec(),
        Version::V1 | Version::V2 => text
            .chars()
            .map(|c| u8::try_from(c as u32))
            .collect::<Result<_, _>>()
            .map_err(|_| {
                Error::unwritable(format!(
                    "the header has characters outside latin-1, which format version {}.0 \
                     cannot hold (use 3.0)",
                    version.numbers().0
                ))
            })?,
    };
    let total = wrapped_len(encoded.len(), version);
    let header_len = total - version.prefix_len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    let (major, minor) = version.numbers();
    out.extend_from_slice(&[major, minor]);
    match version {
        Version::V1 => {
            let len = u16::try_from(header_len).map_err(|_| {
                Error::unwritable(format!(
                    "header of {header_len} bytes is too long for format version 1.0"
                ))
            })?;
            out.extend_from_slice(&len.to_le_bytes());
        }
        Version::V2 | Version::V3 => {
            let len = u32::try_from(header_len).map_err(|_| {
                Error::unwritable(format!("header of {header_len} bytes is too long"))
            })?;
            out.extend_from_slice(&len.to_le_bytes());
        }
    }
    out.extend_from_slice(&encoded);
    out.resize(total - 1, b' ');
    out.push(b'\n');
    Ok(out)
}

/// A header as read from a file, with where it puts the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderInfo {
    /// The header's content.
    pub header: Header,
    /// The format version of the file.
    pub version: Version,
    /// Bytes from the start of the `.npy` data to its first data byte.
    pub data_offset: u64,
}

impl HeaderInfo {
    /// Checks that a `.npy` of `total_len` bytes holds all the data this header declares,
    /// and that the data is not Python objects: what opening a file for direct access
    /// (mapping, row reads, appends) needs before it trusts the header.
    pub fn check_data_present(&self, total_len: u64) -> Result<()> {
        if self.header.dtype.has_object() {
            return Err(Error::from(ErrorKind::ObjectArray));
        }
        let data_len = self.header.data_len()?;
        let available = total_len.saturating_sub(self.data_offset);
        if data_len > available {
            return Err(truncated("data", self.data_offset, data_len, available));
        }
        Ok(())
    }
}

/// Reads a header from `reader`, leaving it at the first data byte.
///
/// `max_header_size` bounds the header text (characters, as NumPy counts them) and is
/// checked before the text is read. An input that ends before the first byte gives
/// [`ErrorKind::NoDataLeft`], so that consecutive arrays in one stream can be read until the end.
pub fn read_header<R: Read>(reader: &mut R, max_header_size: usize) -> Result<HeaderInfo> {
    let mut prefix = [0u8; 8];
    let got = read_up_to(reader, &mut prefix)?;
    if got == 0 {
        return Err(Error::from(ErrorKind::NoDataLeft));
    }
    if got < MAGIC.len() || &prefix[..6] != MAGIC {
        return Err(Error::from(match FileKind::sniff(&prefix[..got]) {
            Some(found) if found != FileKind::Npy => ErrorKind::WrongFileKind {
                expected: FileKind::Npy,
                found,
            },
            _ => ErrorKind::BadMagic {
                found: escape_bytes(&prefix[..got.min(6)]),
            },
        }));
    }
    if got < 8 {
        return Err(truncated("header", got as u64, 8 - got as u64, 0));
    }
    let version = Version::from_numbers(prefix[6], prefix[7])?;
    let mut len_field = [0u8; 4];
    let field = &mut len_field[..version.length_field_size()];
    let got = read_up_to(reader, field)?;
    if got < field.len() {
        return Err(truncated(
            "header length",
            8,
            field.len() as u64,
            got as u64,
        ));
    }
    let header_len = u32::from_le_bytes(len_field) as u64;
    // v3 text is UTF-8: up to 4 bytes a character, so only the character count decides.
    let max_bytes = match version {
        Version::V3 => max_header_size.saturating_mul(4),
        _ => max_header_size,
    } as u64;
    if header_len > max_bytes {
        return Err(Error::from(ErrorKind::HeaderTooLarge {
            len: header_len,
            limit: max_header_size as u64,
        }));
    }
    let text_offset = version.prefix_len() as u64;
    // The length is trusted only up to the limit; beyond a few KiB, let the bytes that
    // really arrive grow the buffer (a raised limit must not mean a 4 GiB allocation).
    let mut raw = Vec::with_capacity(header_len.min(1 << 16) as usize);
    reader.take(header_len).read_to_end(&mut raw)?;
    if (raw.len() as u64) < header_len {
        return Err(truncated(
            "header",
            text_offset,
            header_len,
            raw.len() as u64,
        ));
    }
    let text: String = match version {
        Version::V1 | Version::V2 => raw.iter().map(|&b| b as char).collect(),
        Version::V3 => String::from_utf8(raw).map_err(|e| {
            Error::invalid_header(format!(
                "a version 3.0 header must be UTF-8; invalid byte at offset {}",
                text_offset + e.utf8_error().valid_up_to() as u64
            ))
        })?,
    };
    let chars = text.chars().count();
    if chars > max_header_size {
        return Err(Error::from(ErrorKind::HeaderTooLarge {
            len: chars as u64,
            limit: max_header_size as u64,
        }));
    }
    let header = parse_header_text(&text, version)?;
    Ok(HeaderInfo {
        header,
        version,
        data_offset: text_offset + header_len,
    })
}

pub(crate) fn truncated(what: &'static str, offset: u64, expected: u64, found: u64) -> Error {
    Error::from(ErrorKind::Truncated {
        what,
        offset,
        expected,
        found,
    })
}

/// Parses and validates the header dict, in NumPy's order of checks.
pub(crate) fn parse_header_text(text: &str, version: Version) -> Result<Header> {
    let value = literal::parse(text, version != Version::V3)
        .map_err(|e| Error::invalid_header(format!("cannot parse the header {text:?}: {e}")))?;
    let PyValue::Dict(entries) = value else {
        return Err(Error::invalid_header(format!(
            "the header is not a dictionary: {text:?}"
        )));
    };
    let lookup = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, PyValue::Str(s) if s == key))
            .map(|(_, v)| v)
    };
    let mut keys: Vec<String> = entries.iter().map(|(k, _)| k.to_string()).collect();
    keys.sort();
    if keys != ["'descr'", "'fortran_order'", "'shape'"] {
        return Err(Error::invalid_header(format!(
            "the header does not contain the correct keys: expected \
             ['descr', 'fortran_order', 'shape'], found [{}]",
            keys.join(", ")
        )));
    }
    let (descr, fortran, shape) = (
        lookup("descr").expect("checked"),
        lookup("fortran_order").expect("checked"),
        lookup("shape").expect("checked"),
    );
    let PyValue::Tuple(dims) = shape else {
        return Err(Error::invalid_header(format!(
            "shape is not a tuple of non-negative integers: {shape}"
        )));
    };
    let mut shape: Vec<usize> = dims
        .iter()
        .map(|dim| match dim {
            PyValue::Int(n) if *n >= 0 => usize::try_from(*n).ok(),
            _ => None,
        })
        .collect::<Option<_>>()
        .ok_or_else(|| {
            Error::invalid_header(format!(
                "shape is not a tuple of non-negative integers: {}",
                PyValue::Tuple(dims.clone())
            ))
        })?;
    let PyValue::Bool(fortran_order) = *fortran else {
        return Err(Error::invalid_header(format!(
            "fortran_order is not a valid bool: {fortran}"
        )));
    };
    let mut dtype = DType::from_descr(descr).map_err(|e| {
        Error::invalid_header(format!(
            "descr is not a valid dtype descriptor: {descr}: {}",
            e.kind()
        ))
    })?;
    // An array of subarray dtype is an array with the subarray's dimensions appended
    // (nested subarrays: each level's in turn).
    while let DType::SubArray { base, shape: inner } = dtype {
        if fortran_order {
            shape.splice(0..0, inner);
        } else {
            shape.extend(inner);
        }
        dtype = *base;
        if shape.len() > Header::MAX_DIMS {
            break;
        }
    }
    if shape.len() > Header::MAX_DIMS {
        return Err(Error::invalid_header(format!(
            "the shape has {} dimensions (subarray dimensions included), more than the \
             {} NumPy supports",
            shape.len(),
            Header::MAX_DIMS
        )));
    }
    let header = Header {
        dtype,
        shape,
        fortran_order,
    };
    header.data_len()?;
    Ok(header)
}

#[cfg(test)]
mod tests;
