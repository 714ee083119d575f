//! What the serde data format's two halves ([`ser`](crate::ser) and [`de`](crate::de))
//! share: the [`SerdeOptions`] value, the member sink and source they talk to (an npz
//! archive, or an in-memory map in tests), member path and message helpers, and the
//! private name that carries arrays through serde in one piece (the bulk fast path of
//! [`serde_array`](crate::serde_array)).

use std::io::{Read, Write};

use crate::dtype::DType;
use crate::element::DataReader;
use crate::error::{Error, ErrorKind, Result};
use crate::header::{write_shape_repr, Header, DEFAULT_MAX_HEADER_SIZE};
use crate::npz::{Compression, NpzOptions, NpzReader, NpzWriter};
use crate::read::{NpyRead, ReadOptions};
use crate::write::{NpyWrite, WriteOptions};

/// How the serde format writes and reads archives.
///
/// ```
/// use npy_serde::SerdeOptions;
///
/// use npy_serde::npz::Compression;
///
/// let options = SerdeOptions::default()
///     .with_compression(Compression::Deflate { level: 1 })
///     .with_separator(".");
/// assert_eq!(options.separator, ".");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SerdeOptions {
    /// How members are written: [`Compression::Stored`] (the default, `np.savez`) or
    /// deflated at a level (`np.savez_compressed` uses 6).
    pub compression: Compression,
    /// Joins the field names of nested structs and maps into member names:
    /// `"/"` (the default) gives `encoder/layer0/weight`.
    pub separator: String,
    /// Longest `.npy` header accepted when reading (NumPy's `max_header_size`).
    pub max_header_size: usize,
    /// Whether object members (`dtype=object`) are read, through the safe pickle reader
    /// ([`pickle`](crate::pickle)); off by default, as `np.load`'s `allow_pickle`.
    pub allow_pickle: bool,
    /// Largest inflated size of a deflated member read
    /// ([`ReadOptions::max_inflated_size`], 1 GiB by default).
    pub max_inflated_size: u64,
}

impl Default for SerdeOptions {
    fn default() -> Self {
        SerdeOptions {
            compression: Compression::Stored,
            separator: "/".to_string(),
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
            allow_pickle: false,
            max_inflated_size: crate::read::DEFAULT_MAX_INFLATED_SIZE,
        }
    }
}

impl SerdeOptions {
    /// Options with another compression.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Options with another path separator (not empty).
    pub fn with_separator(mut self, separator: impl Into<String>) -> Self {
        self.separator = separator.into();
        self
    }

    /// Options with another header size limit for reading.
    pub fn with_max_header_size(mut self, max_header_size: usize) -> Self {
        self.max_header_size = max_header_size;
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.separator.is_empty() {
            return Err(Error::from(ErrorKind::Custom(
                "the member path separator cannot be empty".into(),
            )));
        }
        Ok(())
    }

    pub(crate) fn npz_options(&self) -> NpzOptions {
        NpzOptions::default().with_compression(self.compression)
    }

    /// Options that read object members (`Vec<String>` from pandas' string columns,
    /// ragged `Vec<Vec<f64>>`, `Vec<ArrayD<f32>>`) through the safe pickle reader, which
    /// builds only an allow-list of types and runs nothing.
    pub fn with_allow_pickle(mut self, allow: bool) -> Self {
        self.allow_pickle = allow;
        self
    }

    /// Options with another limit on a deflated member's inflated size.
    pub fn with_max_inflated_size(mut self, max_inflated_size: u64) -> Self {
        self.max_inflated_size = max_inflated_size;
        self
    }

    pub(crate) fn read_options(&self) -> ReadOptions {
        ReadOptions::default()
            .with_max_header_size(self.max_header_size)
            .with_allow_pickle(self.allow_pickle)
            .with_max_inflated_size(self.max_inflated_size)
    }
}

pub(crate) use members::{ReadMembers, WriteMembers};

/// The member sink and source traits: `pub` in a private module, so the serde format's
/// state types (public in name, unreachable from outside) can be bounded by them.
mod members {
    use crate::error::Result;
    use crate::read::NpyRead;
    use crate::write::NpyWrite;

    /// Where the serializer puts members: one call per member, in field order.
    pub trait WriteMembers {
        /// Adds one member named `path` (no `.npy` suffix).
        fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()>;
    }

    /// Where the deserializer finds members, by name, in any order.
    pub trait ReadMembers {
        /// The member names (no `.npy` suffix).
        fn member_names(&self) -> Vec<String>;
        /// Reads member `path` as `T`.
        fn read_member<T: NpyRead>(&mut self, path: &str) -> Result<T>;
    }
}

impl<W: Write + std::io::Seek> WriteMembers for NpzWriter<W> {
    fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()> {
        self.add(path, array)
    }
}

impl<R: Read + std::io::Seek> ReadMembers for NpzReader<R> {
    fn member_names(&self) -> Vec<String> {
        self.names()
    }

    fn read_member<T: NpyRead>(&mut self, path: &str) -> Result<T> {
        self.read(path)
    }
}

/// The newtype-struct name under which [`serde_array`](crate::serde_array) passes a whole
/// array (descr, shape, order, data bytes) through serde; like serde_json's `RawValue`, a
/// name no real type uses.
pub(crate) const BULK_ARRAY: &str = "$npy_serde::private::BulkArray";

/// The struct name and fields ndarray serializes an array as.
pub(crate) const NDARRAY_STRUCT: &str = "Array";
pub(crate) const NDARRAY_FIELDS: [&str; 3] = ["v", "dim", "data"];

/// A map key as one member-path component: `%` and the separator's characters are percent-encoded
/// (`fc1/weight` → `fc1%2Fweight` with separator `/`), so that every key, the empty one
/// included, comes back unchanged from [`unescape_key`] and never splits into a deeper
/// path. Keys without `%` or the separator are written as they are.
pub(crate) fn escape_key(key: &str, separator: &str) -> String {
    // Every character of the separator is encoded, not only whole separators: with `::`,
    // a key ending in `:` would otherwise run into the next separator.
    let special = |c: char| c == '%' || separator.contains(c);
    if !key.contains(special) {
        return key.to_string();
    }
    let mut escaped = String::with_capacity(key.len() + 6);
    for c in key.chars() {
        if special(c) {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                escaped.push_str(&format!("%{byte:02X}"));
            }
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// The key a member-path component stands for: the inverse of [`escape_key`]. A `%` not
/// followed by two hex digits (an archive made elsewhere) is kept as it is.
pub(crate) fn unescape_key(component: &str) -> String {
    if !component.contains('%') {
        return component.to_string();
    }
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| component.to_string())
}

/// `prefix` and `key` joined with `separator` (just `key` at the top level).
pub(crate) fn join_path(prefix: &str, key: &str, separator: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}{separator}{key}")
    }
}

/// A shape as Python prints it: `()`, `(3,)`, `(2, 3)`.
pub(crate) fn shape_text(shape: &[usize]) -> String {
    let mut text = String::new();
    write_shape_repr(shape, &mut text);
    text
}

/// A dtype as NumPy names it in prose: `float32`, `int64`, `bool`, `<U10`, records as
/// their descr.
pub(crate) fn dtype_name(dtype: &DType) -> String {
    match dtype {
        DType::Bool => "bool".to_string(),
        DType::Int { size, .. } => format!("int{}", size * 8),
        DType::UInt { size, .. } => format!("uint{}", size * 8),
        DType::Float { size, .. } => format!("float{}", size * 8),
        DType::Complex { size, .. } => format!("complex{}", size * 8),
        other => other.type_str(),
    }
}

/// The error for a member that cannot be read as an array of rank `ndim` (any when
/// `None`) of `element`s: a shape mismatch when the rank differs, else a dtype mismatch;
/// both messages show the member's shape and dtype, as in
/// `expected 2-D float32, found shape (3,) float64`.
pub(crate) fn mismatch(ndim: Option<usize>, element: &str, header: &Header) -> Error {
    let expected = match ndim {
        Some(ndim) => format!("{ndim}-D {element}"),
        None => element.to_string(),
    };
    if ndim.is_some_and(|ndim| ndim != header.shape.len()) {
        Error::from(ErrorKind::ShapeMismatch {
            expected,
            found: header.shape.clone(),
        })
    } else {
        Error::from(ErrorKind::DtypeMismatch {
            expected,
            found: format!(
                "shape {} {}",
                shape_text(&header.shape),
                dtype_name(&header.dtype)
            ),
            field: None,
        })
    }
}

/// An error naming the member it concerns; errors already naming one are kept as they are.
pub(crate) fn in_member(error: Error, path: &str) -> Error {
    match error.kind() {
        ErrorKind::InMember { .. } | ErrorKind::InFile { .. } => error,
        _ => error.in_member(path),
    }
}

/// An error naming the file it concerns; errors already naming one are kept as they are.
pub(crate) fn in_file(error: Error, path: &std::path::Path) -> Error {
    match error.kind() {
        ErrorKind::InFile { .. } => error,
        _ => error.in_file(path),
    }
}

/// A member given as a header and its data bytes (dtype byte order, stored order).
pub(crate) struct RawMember<'a> {
    pub header: Header,
    pub bytes: &'a [u8],
}

impl NpyWrite for RawMember<'_> {
    fn header(&self, _: &WriteOptions) -> Result<Header> {
        Ok(self.header.clone())
    }

    fn write_data<W: Write>(&self, _: &Header, writer: &mut W) -> Result<()> {
        Ok(writer.write_all(self.bytes)?)
    }
}

/// A member read as its header and raw data bytes.
pub(crate) struct OwnedRawMember {
    pub header: Header,
    pub bytes: Vec<u8>,
}

impl NpyRead for OwnedRawMember {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        if header.dtype.has_object() {
            return Err(Error::from(ErrorKind::ObjectArray));
        }
        let count = header.element_count()?;
        let bytes = data.read_bytes(count, header.dtype.itemsize())?;
        Ok(OwnedRawMember {
            header: header.clone(),
            bytes,
        })
    }
}

/// A member as the serde reader takes it: raw bytes, or, for an object array read by the
/// safe pickle reader, its values.
pub(crate) enum MemberData {
    Raw(OwnedRawMember),
    Objects(crate::pickle::ObjectArray),
}

impl NpyRead for MemberData {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        OwnedRawMember::read_npy_data(header, data).map(MemberData::Raw)
    }

    fn from_objects(objects: crate::pickle::ObjectArray) -> Result<Self> {
        Ok(MemberData::Objects(objects))
    }
}

/// An archive kept in memory as `.npy` bytes per member: the unit tests' sink and source.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct MemoryArchive {
    pub members: Vec<(String, Vec<u8>)>,
}

#[cfg(test)]
impl WriteMembers for MemoryArchive {
    fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()> {
        if self.members.iter().any(|(name, _)| name == path) {
            return Err(ErrorKind::Custom(format!("duplicate member {path:?}")).into());
        }
        let bytes = crate::write::to_bytes(array)?;
        self.members.push((path.to_string(), bytes));
        Ok(())
    }
}

#[cfg(test)]
impl ReadMembers for MemoryArchive {
    fn member_names(&self) -> Vec<String> {
        self.members.iter().map(|(name, _)| name.clone()).collect()
    }

    fn read_member<T: NpyRead>(&mut self, path: &str) -> Result<T> {
        let (_, bytes) = self
            .members
            .iter()
            .find(|(name, _)| name == path)
            .ok_or_else(|| ErrorKind::MissingMember {
                name: path.to_string(),
                available: String::new(),
            })?;
        crate::read::from_bytes(bytes)
    }
}

/// Values both halves' tests write and read.
#[cfg(test)]
pub(crate) mod test_values {
    use num_complex::Complex;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone, Copy)]
    pub enum Mode {
        Train,
        Eval,
    }

    /// A flat struct: a record element.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    pub struct Point {
        pub x: f32,
        pub y: i16,
        pub z: Complex<f64>,
    }

    pub fn points() -> Vec<Point> {
        vec![
            Point {
                x: 1.0,
                y: 2,
                z: Complex::new(0.0, 0.0),
            },
            Point {
                x: 3.0,
                y: 4,
                z: Complex::new(1.0, 2.0),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_escape_reversibly() {
        for key in [
            "",
            "plain",
            "fc1/weight",
            "a%2Fb",
            "%",
            "/",
            "x.y",
            "日本/語",
            "a//b",
            "a:",
            ":",
        ] {
            for sep in ["/", ".", "::", "→"] {
                let escaped = escape_key(key, sep);
                assert!(
                    !escaped.contains(|c| sep.contains(c)),
                    "{key:?} {sep:?} {escaped:?}"
                );
                assert_eq!(unescape_key(&escaped), key, "{sep:?}");
            }
        }
        assert_eq!(escape_key("fc1/weight", "/"), "fc1%2Fweight");
        assert_eq!(escape_key("fc1.weight", "/"), "fc1.weight");
    }

    #[test]
    fn paths_and_shapes_read_like_numpy() {
        assert_eq!(join_path("", "a", "/"), "a");
        assert_eq!(join_path("a/b", "c", "/"), "a/b/c");
        assert_eq!(shape_text(&[]), "()");
        assert_eq!(shape_text(&[3]), "(3,)");
        assert_eq!(shape_text(&[2, 3]), "(2, 3)");
        assert_eq!(dtype_name(&"<f4".parse().unwrap()), "float32");
        assert_eq!(dtype_name(&"<U10".parse().unwrap()), "<U10");
    }
}
