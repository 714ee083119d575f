//! What the serde data format's two halves ([`ser`](crate::ser) and [`de`](crate::de))
//! share: the [`SerdeOptions`] value, the member sink and source they talk to (an npz
//! archive, or an in-memory map in tests), member path and message helpers, and the
//! private name that carries arrays through serde in one piece (the bulk fast path of
//! [`serde_array`](crate::serde_array)).

use std::io::{Read, Write};

use crate::dtype::DType;
use crate::elements::DataReader;
use crate::errors::{Error, ErrorKind, Result};
use crate::header::Header;
use crate::npz::{Reader, Writer};
use crate::options::{ReadOptions, WriteOptions};
use crate::pickle::ObjectArray;
use crate::read::NpyRead;
use crate::write::{raw_header, write_raw, NpyWrite};

/// How the serde format writes and reads archives: the [`WriteOptions`] members are
/// written with (compression, byte order, format version), the [`ReadOptions`] they are
/// read with (limits, object arrays), and the separator that joins nested field names
/// into member names.
///
/// ```
/// use npy_serde::npz::Compression;
/// use npy_serde::{ReadOptions, SerdeOptions, WriteOptions};
///
/// let options = SerdeOptions::default()
///     .with_write(WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE))
///     .with_read(ReadOptions::default().with_allow_pickle(true))
///     .with_separator(".");
/// assert_eq!(options.separator, ".");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SerdeOptions {
    /// How members are read: header and inflated-size limits, and whether object members
    /// (`dtype=object`) are read through the safe pickle reader.
    pub read: ReadOptions,
    /// How members are written: stored (the default, `np.savez`) or deflated
    /// (`np.savez_compressed`), byte order, format version.
    pub write: WriteOptions,
    /// Joins the field names of nested structs and maps into member names: `"/"` (the
    /// default) gives `encoder/layer0/weight`. Not empty.
    pub separator: String,
}

impl Default for SerdeOptions {
    fn default() -> Self {
        SerdeOptions {
            read: ReadOptions::default(),
            write: WriteOptions::default(),
            separator: "/".to_string(),
        }
    }
}

impl SerdeOptions {
    /// Options that read members with `read`.
    pub fn with_read(mut self, read: ReadOptions) -> Self {
        self.read = read;
        self
    }

    /// Options that write members with `write`.
    pub fn with_write(mut self, write: WriteOptions) -> Self {
        self.write = write;
        self
    }

    /// Options with another path separator (not empty).
    pub fn with_separator(mut self, separator: impl Into<String>) -> Self {
        self.separator = separator.into();
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.separator.is_empty() {
            return Err(Error::custom("the member path separator cannot be empty"));
        }
        Ok(())
    }
}

pub(crate) use members::{ReadMembers, WriteMembers};

/// The member sink and source traits: `pub` in a private module, so the serde format's
/// state types (public in name, unreachable from outside) can be bounded by them.
mod members {
    use crate::errors::Result;
    use crate::read::NpyRead;
    use crate::write::NpyWrite;

    /// Where the serializer puts members: one call per member, in field order.
    pub trait WriteMembers {
        /// Adds one member named `path` (no `.npy` suffix).
        fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()>;
    }

    /// A sink borrowed for one serialization.
    impl<S: WriteMembers + ?Sized> WriteMembers for &mut S {
        fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()> {
            (**self).add_member(path, array)
        }
    }

    /// Where the deserializer finds members, by name, in any order.
    pub trait ReadMembers {
        /// The member names (no `.npy` suffix).
        fn member_names(&self) -> Vec<String>;
        /// Reads member `path` as `T`.
        fn read_member<T: NpyRead>(&mut self, path: &str) -> Result<T>;
    }
}

impl<W: Write> WriteMembers for Writer<W> {
    fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()> {
        self.add(path, array)
    }
}

impl<R: Read + std::io::Seek> ReadMembers for Reader<R> {
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

/// True for the newtype names under which `half`'s `f16` and `bf16` serialize (their bits as
/// a `u16`): a field of either is one number, stored as a member of its own dtype.
pub(crate) fn is_half_float(newtype_name: &str) -> bool {
    matches!(newtype_name, "f16" | "bf16")
}

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
    crate::text::shape_repr(shape)
}

/// A dtype as people name it ([`DType::name`]).
pub(crate) fn dtype_name(dtype: &DType) -> String {
    dtype.name()
}

/// The error for a member that cannot be read as an array of rank `ndim` (any when
/// `None`) of `element`s: a shape mismatch when the rank differs, else a dtype mismatch;
/// both name the member's shape and dtype as the other readers do, as in
/// `expected 2-D float32 (f32), found shape (3,) '<f8' (float64), which loads as f64`.
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
                crate::convert::describe_dtype(&header.dtype)
            ),
        })
    }
}

/// An error naming the member it concerns; one already naming a member keeps it.
pub(crate) fn in_member(error: Error, path: &str) -> Error {
    error.in_member(path)
}

/// A member given as a header and its data bytes (dtype byte order, stored order).
pub(crate) struct RawMember<'a> {
    pub header: Header,
    pub bytes: &'a [u8],
}

/// Written as held, or in the byte order the writer's options ask for.
impl NpyWrite for RawMember<'_> {
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        Ok(raw_header(&self.header, options))
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        write_raw(&self.header.dtype, self.bytes, header, writer)
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
    Objects(ObjectArray),
}

impl NpyRead for MemberData {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        OwnedRawMember::read_npy_data(header, data).map(MemberData::Raw)
    }

    fn from_objects(objects: ObjectArray) -> Result<Self> {
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
        let bytes = crate::write::to_vec(array)?;
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
        crate::read::from_slice(bytes)
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
        assert_eq!(dtype_name(&"<U10".parse().unwrap()), "str[10]");
    }
}
