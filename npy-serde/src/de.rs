//! Deserializing Rust values from npz archives: each field is looked up as a member (or,
//! for nested structs and maps, a group of members under its path), so the order of
//! members in the file does not matter.
//!
//! A member is read when its field is reached and dropped when the field's value is built,
//! so reading holds at most the member being decoded plus the value being built. Element
//! types follow serde's visitors with the checks NumPy users expect: a member's dtype must
//! be the field's element type or widen to it without loss (`<i4` into `i64`, `<f4` into
//! `f64`); anything else is an error naming the member, its shape and dtype. Missing
//! members are errors unless the field is an `Option` (then `None`) or has
//! `#[serde(default)]`; members no field asks for are ignored. See [`ser`](crate::ser) for
//! the whole mapping.

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Seek};
use std::path::Path;

use half::f16;
use serde::de::value::{SeqDeserializer, StringDeserializer, U16Deserializer, UsizeDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use crate::convert::{self, FromValue, Target, Value};
use crate::dtype::{DType, Endian, Record};
use crate::element::NpyElement;
use crate::error::{Error, Result};
use crate::header::Header;
use crate::npz::NpzReader;
use crate::serde_format::{
    dtype_name, in_file, in_member, join_path, mismatch, shape_text, unescape_key, OwnedRawMember,
    ReadMembers, SerdeOptions, BULK_ARRAY, NDARRAY_FIELDS,
};

/// Loads a `T` from the `.npz` archive at `path` (written by [`to_path`](crate::to_path),
/// `np.savez` or `np.savez_compressed`). Errors name the file and the member.
///
/// ```
/// use std::collections::HashMap;
/// use ndarray::ArrayD;
///
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("state.npz");
/// // A PyTorch-style state dict: any member names, any shapes.
/// let mut state: HashMap<String, ArrayD<f32>> = HashMap::new();
/// state.insert("layer0/weight".into(), ArrayD::zeros(vec![4, 3]));
/// npy_serde::to_path(&path, &state)?;
/// // Nested names come back as nested maps, or through a struct.
/// let nested: HashMap<String, HashMap<String, ArrayD<f32>>> = npy_serde::from_path(&path)?;
/// assert_eq!(nested["layer0"]["weight"].shape(), [4, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_path<T: DeserializeOwned, P: AsRef<Path>>(path: P) -> Result<T> {
    from_path_with(path, &SerdeOptions::default())
}

/// [`from_path`] with options (path separator, header size limit).
pub fn from_path_with<T: DeserializeOwned, P: AsRef<Path>>(
    path: P,
    options: &SerdeOptions,
) -> Result<T> {
    let path = path.as_ref();
    let result = std::fs::File::open(path)
        .map_err(Error::from)
        .and_then(|mut file| refuse_npy(&mut file))
        .and_then(|()| NpzReader::open_with(path, options.read_options()))
        .and_then(|reader| deserialize_members(reader, options));
    result.map_err(|e| in_file(e, path))
}

/// Reads a `T` from an `.npz` archive in `reader` (anything `Read + Seek`).
pub fn from_npz_reader<T: DeserializeOwned, R: Read + Seek>(reader: R) -> Result<T> {
    from_npz_reader_with(reader, &SerdeOptions::default())
}

/// [`from_npz_reader`] with options (path separator, header size limit).
pub fn from_npz_reader_with<T: DeserializeOwned, R: Read + Seek>(
    reader: R,
    options: &SerdeOptions,
) -> Result<T> {
    let mut reader = reader;
    refuse_npy(&mut reader)?;
    let reader = NpzReader::new(reader)?.with_options(options.read_options());
    deserialize_members(reader, options)
}

/// Reads a `T` from the bytes of an `.npz` archive (the in-memory counterpart of
/// [`from_path`]; not to be confused with [`from_bytes`](crate::from_bytes), which reads
/// one `.npy` array).
pub fn from_npz_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    from_npz_reader(Cursor::new(bytes))
}

/// [`from_npz_slice`] with options (path separator, header size limit).
pub fn from_npz_slice_with<T: DeserializeOwned>(bytes: &[u8], options: &SerdeOptions) -> Result<T> {
    from_npz_reader_with(Cursor::new(bytes), options)
}

/// A `.npy` file given where an archive is expected: an error saying what reads it. The
/// reader is left where it was.
fn refuse_npy<R: Read + Seek>(reader: &mut R) -> Result<()> {
    let start = reader.stream_position()?;
    let mut magic = [0u8; 6];
    let got = crate::header::read_up_to(reader, &mut magic)?;
    reader.seek(std::io::SeekFrom::Start(start))?;
    if magic[..got] == crate::header::MAGIC[..] {
        return Err(Error::InvalidArchive {
            message: "this is a .npy file (one array), not an .npz archive: load it with \
                      npy_serde::load (typed, or as NpyArray) or load_any"
                .to_string(),
        });
    }
    Ok(())
}

/// The serde `Deserializer` of the npz format, reading members from an [`NpzReader`]: for
/// callers that drive serde themselves (`serde_path_to_error`, one archive read into
/// several types). `&mut Deserializer` is the serde deserializer.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Step { loss: f32 }
///
/// let mut state = std::collections::BTreeMap::new();
/// state.insert("loss", 0.5f32);
/// let bytes = npy_serde::to_npz_vec(&state)?;
/// let options = npy_serde::SerdeOptions::default();
/// let mut deserializer = npy_serde::Deserializer::from_npz_slice(&bytes, &options)?;
/// let step = Step::deserialize(&mut deserializer)?;
/// assert_eq!(step.loss, 0.5);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub struct Deserializer<R: Read + Seek> {
    archive: Archive<NpzReader<R>>,
}

impl<R: Read + Seek> Deserializer<R> {
    /// A deserializer of the archive `reader` opened, with `options`' path separator
    /// (the reader's own options decide the header limit).
    pub fn new(reader: NpzReader<R>, options: &SerdeOptions) -> Result<Self> {
        options.check()?;
        Ok(Deserializer {
            archive: Archive::new(reader, options),
        })
    }
}

impl<'b> Deserializer<Cursor<&'b [u8]>> {
    /// A deserializer of the archive in `bytes`.
    pub fn from_npz_slice(bytes: &'b [u8], options: &SerdeOptions) -> Result<Self> {
        let reader = NpzReader::new(Cursor::new(bytes))?.with_options(options.read_options());
        Deserializer::new(reader, options)
    }
}

impl<'de, R: Read + Seek> de::Deserializer<'de> for &mut Deserializer<R> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        TopLevel {
            archive: &mut self.archive,
        }
        .deserialize_any(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        TopLevel {
            archive: &mut self.archive,
        }
        .deserialize_map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        TopLevel {
            archive: &mut self.archive,
        }
        .deserialize_struct(name, fields, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        TopLevel {
            archive: &mut self.archive,
        }
        .deserialize_newtype_struct(name, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// Deserializes a `T` from the members of `source`.
pub(crate) fn deserialize_members<S, T>(source: S, options: &SerdeOptions) -> Result<T>
where
    S: ReadMembers,
    T: DeserializeOwned,
{
    options.check()?;
    let mut archive = Archive::new(source, options);
    T::deserialize(TopLevel {
        archive: &mut archive,
    })
}

/// The member source with its names, sorted for prefix lookups.
struct Archive<S> {
    source: S,
    names: BTreeSet<String>,
    separator: String,
}

impl<S: ReadMembers> Archive<S> {
    fn new(source: S, options: &SerdeOptions) -> Self {
        Archive {
            names: source.member_names().into_iter().collect(),
            source,
            separator: options.separator.clone(),
        }
    }

    fn is_member(&self, path: &str) -> bool {
        self.names.contains(path)
    }

    fn is_group(&self, path: &str) -> bool {
        let prefix = format!("{path}{}", self.separator);
        self.names
            .range(prefix.clone()..)
            .next()
            .is_some_and(|name| name.starts_with(&prefix))
    }

    /// The distinct children of the group under `prefix` (the top level for `""`): each
    /// child's key (unescaped) and member path.
    fn children(&self, prefix: &str) -> Vec<(String, String)> {
        let start = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}{}", self.separator)
        };
        // A member `a` and a group `a/…` can be apart in sorted order (`a`, `a!z`, `a/x`).
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut children: Vec<(String, String)> = Vec::new();
        for name in self.names.range(start.clone()..) {
            let Some(rest) = name.strip_prefix(&start) else {
                break;
            };
            let child = rest.split(self.separator.as_str()).next().unwrap_or(rest);
            if seen.insert(child) {
                children.push((unescape_key(child), format!("{start}{child}")));
            }
        }
        children
    }

    /// Whether `path` is a member holding no elements: an empty map or struct was written
    /// so, and such a member reads as an empty group.
    fn is_empty_member(&mut self, path: &str) -> Result<bool> {
        if !self.is_member(path) || self.is_group(path) {
            return Ok(false);
        }
        let raw: OwnedRawMember = self.source.read_member(path)?;
        Ok(raw.header.element_count()? == 0)
    }

    /// The member names for an error message, cut short when there are many.
    fn available(&self) -> String {
        const SHOWN: usize = 20;
        let mut list: Vec<&str> = self.names.iter().take(SHOWN).map(String::as_str).collect();
        if self.names.len() > SHOWN {
            list.push("…");
        }
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        }
    }

    /// Deserializes the group under `prefix` as a map of its children (a struct's
    /// derived code matches its fields by key; unknown ones are ignored unless it has
    /// `deny_unknown_fields`). An empty member at `prefix` is an empty group.
    fn visit_group<'de, V: Visitor<'de>>(&mut self, prefix: &str, visitor: V) -> Result<V::Value> {
        let children = if self.is_empty_member(prefix)? {
            Vec::new()
        } else {
            self.children(prefix)
        };
        let result = visitor.visit_map(GroupAccess {
            archive: self,
            children: children.into_iter(),
            path: String::new(),
        });
        result.map_err(|error| match error {
            // serde reports a missing field by its name only: add the path and what is there.
            Error::MissingMember { name, available } if available.is_empty() => {
                Error::MissingMember {
                    name: join_path(prefix, &name, &self.separator),
                    available: self.available(),
                }
            }
            other => other,
        })
    }

    /// The paths of the elements of a sequence stored as indexed groups (`layers/0`,
    /// `layers/1`, …), in order; an error unless the children are exactly `0..n`.
    fn indexed_children(&self, prefix: &str) -> Result<Vec<String>> {
        let mut children: Vec<(usize, String)> = Vec::new();
        for (key, path) in self.children(prefix) {
            let index = key.parse::<usize>().ok().filter(|i| i.to_string() == key);
            match index {
                Some(index) => children.push((index, path)),
                None => {
                    return Err(Error::Custom(format!(
                        "expected a sequence (members {prefix}{sep}0, {prefix}{sep}1, …), \
                         found {path:?}",
                        sep = self.separator
                    )))
                }
            }
        }
        children.sort_unstable();
        if let Some(gap) = children
            .iter()
            .enumerate()
            .find(|(i, (index, _))| i != index)
        {
            return Err(Error::Custom(format!(
                "the sequence under {prefix:?} has no element {}",
                gap.0
            )));
        }
        Ok(children.into_iter().map(|(_, path)| path).collect())
    }
}

/// Forwards every `deserialize_*` method but `deserialize_any` to it.
macro_rules! forward_everything_to_any {
    () => {
        forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
            enum identifier ignored_any
        }
    };
}

// ---------------------------------------------------------------------------------------
// The top level and groups
// ---------------------------------------------------------------------------------------

struct TopLevel<'a, S> {
    archive: &'a mut Archive<S>,
}

impl<'de, S: ReadMembers> de::Deserializer<'de> for TopLevel<'_, S> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(Error::Custom(
            "the top-level value must be a struct or a map with string keys".into(),
        ))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.archive.visit_group("", visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.archive.visit_group("", visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// The fields (or map entries) of a group, each a member or a nested group.
struct GroupAccess<'a, S> {
    archive: &'a mut Archive<S>,
    children: std::vec::IntoIter<(String, String)>,
    path: String,
}

impl<'de, S: ReadMembers> de::MapAccess<'de> for GroupAccess<'_, S> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((key, path)) = self.children.next() else {
            return Ok(None);
        };
        self.path = path;
        seed.deserialize(KeyDe(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(Entry {
            archive: self.archive,
            path: &self.path,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.children.len())
    }
}

/// A map key or field name: text, which also reads as the integer, bool or char it
/// spells (integer-keyed maps are written as decimal text).
struct KeyDe(String);

macro_rules! parse_key {
    ($($method:ident => $visit:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self.0.parse() {
                Ok(value) => visitor.$visit(value),
                Err(_) => Err(Error::Custom(format!(
                    "the key {:?} is not {}",
                    self.0,
                    stringify!($visit).trim_start_matches("visit_")
                ))),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_string(self.0)
    }

    parse_key!(deserialize_bool => visit_bool, deserialize_i8 => visit_i8,
        deserialize_i16 => visit_i16, deserialize_i32 => visit_i32, deserialize_i64 => visit_i64,
        deserialize_i128 => visit_i128, deserialize_u8 => visit_u8, deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32, deserialize_u64 => visit_u64,
        deserialize_u128 => visit_u128, deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64, deserialize_char => visit_char);

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let variant: StringDeserializer<Error> = self.0.into_deserializer();
        visitor.visit_enum(variant)
    }

    forward_to_deserialize_any! {
        str string bytes byte_buf option unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

// ---------------------------------------------------------------------------------------
// An entry: a member, or a group of members
// ---------------------------------------------------------------------------------------

struct Entry<'a, 'p, S> {
    archive: &'a mut Archive<S>,
    path: &'p str,
}

/// Reads the entry as a member and forwards the call to the member's deserializer.
macro_rules! forward_to_member {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value> {
            self.member(|m| m.$method($($arg,)* visitor))
        }
    )*};
}

impl<S: ReadMembers> Entry<'_, '_, S> {
    /// Reads the member and runs `f` on a deserializer for its whole array; errors name
    /// the member.
    fn member<T>(self, f: impl FnOnce(ArrayDe<'_>) -> Result<T>) -> Result<T> {
        let path = self.path;
        self.read_member(f).map_err(|e| in_member(e, path))
    }

    fn read_member<T>(self, f: impl FnOnce(ArrayDe<'_>) -> Result<T>) -> Result<T> {
        if !self.archive.is_member(self.path) {
            return Err(Error::Custom(format!(
                "expected a member, found a group of members ({}); to read names containing \
                 the separator {:?} into one flat map, choose a separator they do not contain \
                 (SerdeOptions::with_separator)",
                self.archive
                    .children(self.path)
                    .into_iter()
                    .map(|(key, _)| key)
                    .collect::<Vec<_>>()
                    .join(", "),
                self.archive.separator
            )));
        }
        let raw: OwnedRawMember = self.archive.source.read_member(self.path)?;
        let member = Member::whole(raw.header, &raw.bytes);
        f(ArrayDe {
            member: &member,
            depth: 0,
            start: 0,
        })
    }
}

impl<S: ReadMembers> Entry<'_, '_, S> {
    /// A sequence stored as indexed groups or members (`layers/0/…`, `layers/1/…`), of
    /// `len` elements when a tuple.
    fn indexed<'de, V: Visitor<'de>>(self, len: Option<usize>, visitor: V) -> Result<V::Value> {
        let path = self.path;
        let paths = self
            .archive
            .indexed_children(path)
            .map_err(|e| in_member(e, path))?;
        if let Some(len) = len.filter(|&len| len != paths.len()) {
            return Err(Error::Custom(format!(
                "expected a tuple of {len}, found {} elements",
                paths.len()
            ))
            .in_member(path));
        }
        visitor.visit_seq(IndexedAccess {
            archive: self.archive,
            paths: paths.into_iter(),
        })
    }
}

/// The elements of a sequence stored as indexed groups or members.
struct IndexedAccess<'a, S> {
    archive: &'a mut Archive<S>,
    paths: std::vec::IntoIter<String>,
}

impl<'de, S: ReadMembers> de::SeqAccess<'de> for IndexedAccess<'_, S> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some(path) = self.paths.next() else {
            return Ok(None);
        };
        seed.deserialize(Entry {
            archive: self.archive,
            path: &path,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.paths.len())
    }
}

impl<'de, S: ReadMembers> de::Deserializer<'de> for Entry<'_, '_, S> {
    type Error = Error;

    forward_to_member! {
        deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32()
        deserialize_i64() deserialize_u8() deserialize_u16() deserialize_u32() deserialize_u64()
        deserialize_f32() deserialize_f64() deserialize_char() deserialize_str()
        deserialize_string() deserialize_bytes() deserialize_byte_buf() deserialize_unit()
        deserialize_unit_struct(name: &'static str)
        deserialize_enum(name: &'static str, variants: &'static [&'static str])
        deserialize_identifier()
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.archive.is_member(self.path) {
            self.member(|m| m.deserialize_any(visitor))
        } else {
            self.archive.visit_group(self.path, visitor)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // Absent entries are never visited: an entry that is here is `Some`.
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        let path = self.path;
        if name == BULK_ARRAY && self.archive.is_member(path) {
            if crate::serde_array::read_pending() {
                // serde_array::deserialize asked for this member straight into its array.
                self.archive
                    .source
                    .read_member::<crate::serde_array::DirectMember>(path)
                    .map_err(|e| in_member(e, path))?;
                return visitor.visit_unit().map_err(|e| in_member(e, path));
            }
            let raw: OwnedRawMember = self
                .archive
                .source
                .read_member(path)
                .map_err(|e| in_member(e, path))?;
            return visitor
                .visit_newtype_struct(BulkDe { raw })
                .map_err(|e| in_member(e, path));
        }
        if self.archive.is_member(path) {
            return self.member(|m| m.deserialize_newtype_struct(name, visitor));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.archive.is_member(self.path) {
            return self.member(|m| m.deserialize_seq(visitor));
        }
        self.indexed(None, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        if self.archive.is_member(self.path) {
            return self.member(|m| m.deserialize_tuple(len, visitor));
        }
        self.indexed(Some(len), visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let path = self.path;
        let as_group = self.archive.is_group(path)
            || !self.archive.is_member(path)
            || self
                .archive
                .is_empty_member(path)
                .map_err(|e| in_member(e, path))?;
        if as_group {
            return self.archive.visit_group(path, visitor);
        }
        self.member(|m| m.deserialize_map(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // ndarray arrays are recognised by their fields (v, dim, data), not by name.
        let is_ndarray = fields == NDARRAY_FIELDS;
        let path = self.path;
        if self.archive.is_member(path) && !self.archive.is_group(path) {
            let empty = !is_ndarray
                && self
                    .archive
                    .is_empty_member(path)
                    .map_err(|e| in_member(e, path))?;
            if !empty {
                return self.member(|m| m.deserialize_struct(name, fields, visitor));
            }
        }
        self.archive.visit_group(path, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

// ---------------------------------------------------------------------------------------
// A member: its header, raw bytes, and how to decode one element
// ---------------------------------------------------------------------------------------

/// How one element of a member's dtype is decoded.
#[derive(Debug, Clone, Copy)]
enum Codec {
    Bool,
    Int { size: usize, swap: bool },
    UInt { size: usize, swap: bool },
    F16,
    F32 { swap: bool },
    F64 { swap: bool },
    Complex,
    Str,
    Record,
    Other,
}

impl Codec {
    fn of(dtype: &DType) -> Codec {
        let swap = |endian: Endian| endian != Endian::NotApplicable && !endian.is_native();
        match *dtype {
            DType::Bool => Codec::Bool,
            DType::Int { size, endian } if matches!(size, 1 | 2 | 4 | 8) => Codec::Int {
                size,
                swap: swap(endian),
            },
            DType::UInt { size, endian } if matches!(size, 1 | 2 | 4 | 8) => Codec::UInt {
                size,
                swap: swap(endian),
            },
            DType::Float { size: 2, .. } => Codec::F16,
            DType::Float { size: 4, endian } => Codec::F32 { swap: swap(endian) },
            DType::Float { size: 8, endian } => Codec::F64 { swap: swap(endian) },
            DType::Complex { size: 8 | 16, .. } => Codec::Complex,
            DType::Unicode { .. } | DType::Bytes { .. } => Codec::Str,
            DType::Record(_) => Codec::Record,
            _ => Codec::Other,
        }
    }
}

/// One element's value.
#[derive(Debug, Clone, Copy)]
enum Leaf<'x> {
    Number(Value),
    /// A `U` or `S` element's bytes (decoded when asked for).
    Str(&'x [u8]),
    Record(&'x [u8]),
    Other,
}

/// A member as read: header, data bytes (the read buffer, or a record element's field), and
/// what decoding needs.
struct Member<'b> {
    header: Header,
    bytes: &'b [u8],
    codec: Codec,
    itemsize: usize,
    /// Elements per step of each dimension in the stored order (Fortran files are read
    /// through these so that elements come out in logical C order).
    strides: Vec<usize>,
    /// A whole 0-d member: its value converts by value (the conversion model's 0-d rule),
    /// not by the array table.
    by_value: bool,
    /// The conversion table's answer for each [`Target`], bit `target as u32`, worked out
    /// once per member.
    allowed: u32,
}

impl<'b> Member<'b> {
    /// A whole member: a 0-d one reads by value.
    fn whole(header: Header, bytes: &'b [u8]) -> Member<'b> {
        let mut member = Member::new(header, bytes);
        member.by_value = member.header.shape.is_empty();
        member
    }

    fn new(header: Header, bytes: &'b [u8]) -> Member<'b> {
        // Every partial product of the shape fits in a usize: the header reader refuses
        // shapes whose non-zero dimensions overflow (Header::data_len), as NumPy does.
        let shape = &header.shape;
        let mut strides = vec![1usize; shape.len()];
        if header.fortran_order {
            for axis in 1..shape.len() {
                strides[axis] = strides[axis - 1] * shape[axis - 1];
            }
        } else {
            for axis in (0..shape.len().saturating_sub(1)).rev() {
                strides[axis] = strides[axis + 1] * shape[axis + 1];
            }
        }
        let allowed = Target::ALL
            .iter()
            .filter(|&&target| convert::array_conversion(&header.dtype, target).is_allowed())
            .fold(0, |mask, &target| mask | 1 << target as u32);
        Member {
            codec: Codec::of(&header.dtype),
            itemsize: header.dtype.itemsize(),
            header,
            bytes,
            strides,
            by_value: false,
            allowed,
        }
    }

    fn allows(&self, target: Target) -> bool {
        self.allowed & (1 << target as u32) != 0
    }

    /// The bytes of the element at C-order position `index`.
    #[inline]
    fn element_bytes(&self, index: usize) -> &[u8] {
        let offset = self.position(index) * self.itemsize;
        &self.bytes[offset..offset + self.itemsize]
    }

    /// The element at `index` as `T`: by value for a 0-d member, else as the conversion
    /// table allows (without loss).
    #[inline]
    fn number<T: FromValue>(&self, index: usize) -> Result<T> {
        let bytes = self.element_bytes(index);
        if self.by_value {
            return convert::by_value(&self.header.dtype, bytes);
        }
        if !self.allows(T::TARGET) {
            return Err(self.refusal(T::TARGET));
        }
        let value =
            Value::decode(&self.header.dtype, bytes).ok_or_else(|| self.refusal(T::TARGET))?;
        T::from_value(value)
    }

    /// The error for elements of this member asked for as `target`.
    fn refusal(&self, target: Target) -> Error {
        Error::DtypeMismatch {
            expected: format!(
                "{}-D {} ({})",
                self.ndim(),
                target.numpy_name(),
                target.rust_name()
            ),
            found: format!(
                "shape {} {}{}",
                shape_text(&self.header.shape),
                dtype_name(&self.header.dtype),
                convert::read_hint(&self.header.dtype)
            ),
            field: None,
        }
    }

    fn ndim(&self) -> usize {
        self.header.shape.len()
    }

    /// Elements in one item at `depth` (the product of the later dimensions).
    fn block(&self, depth: usize) -> usize {
        self.header.shape[depth..].iter().product()
    }

    /// The storage position of the element at C-order position `index`.
    #[inline]
    fn position(&self, index: usize) -> usize {
        if !self.header.fortran_order {
            return index;
        }
        let mut rest = index;
        let mut position = 0;
        for axis in (0..self.ndim()).rev() {
            let len = self.header.shape[axis];
            position += (rest % len) * self.strides[axis];
            rest /= len;
        }
        position
    }

    fn leaf(&self, index: usize) -> Leaf<'_> {
        let bytes = self.element_bytes(index);
        match self.codec {
            Codec::Str => Leaf::Str(bytes),
            Codec::Record => Leaf::Record(bytes),
            _ => Value::decode(&self.header.dtype, bytes).map_or(Leaf::Other, Leaf::Number),
        }
    }

    fn string(&self, bytes: &[u8]) -> Result<String> {
        if !self.allows(Target::String) {
            return Err(self.refusal(Target::String));
        }
        let mut strings = String::decode(&self.header.dtype, bytes, self.itemsize, 1)?;
        Ok(strings.pop().unwrap_or_default())
    }

    /// The error for a value of rank `ndim` and element `element` asked of this member.
    fn mismatch(&self, ndim: usize, element: &str) -> Error {
        mismatch(Some(ndim), element, &self.header)
    }
}

// ---------------------------------------------------------------------------------------
// Arrays, sub-arrays and elements of a member
// ---------------------------------------------------------------------------------------

/// The part of a member at `depth` that starts at C-order element `start`: the whole
/// array at depth 0, one element at depth `ndim`.
#[derive(Clone, Copy)]
struct ArrayDe<'m> {
    member: &'m Member<'m>,
    depth: usize,
    start: usize,
}

impl<'m> ArrayDe<'m> {
    fn is_leaf(&self) -> bool {
        self.depth == self.member.ndim()
    }

    /// The element, or an error saying a `depth`-D array of `element` was expected.
    #[inline]
    fn leaf(&self, element: &str) -> Result<Leaf<'m>> {
        if !self.is_leaf() {
            return Err(self.wrong(element));
        }
        Ok(self.member.leaf(self.start))
    }

    /// The element's bytes when `native` (the member's dtype is exactly the asked type in
    /// native byte order) and this is an element of a C-order member: the common case of
    /// big arrays, decoded without the general path.
    #[inline(always)]
    fn native_bytes<const N: usize>(&self, native: bool) -> Option<[u8; N]> {
        if native && self.is_leaf() && !self.member.header.fortran_order {
            let offset = self.start * N;
            let bytes = self.member.bytes.get(offset..offset + N)?;
            return bytes.try_into().ok();
        }
        None
    }

    fn wrong(&self, element: &str) -> Error {
        self.member.mismatch(self.depth, element)
    }

    /// This element as the number `T` (see [`Member::number`]).
    #[inline]
    fn number<T: FromValue>(&self) -> Result<T> {
        if !self.is_leaf() {
            return Err(self.wrong(T::TARGET.numpy_name()));
        }
        self.member.number(self.start)
    }

    /// A complex element as the sequence `(re, im)` of its parts, each read by the parts'
    /// own dtype (`complex128` parts are `float64`, which do not narrow into `f32`).
    fn complex_parts<'de, V: Visitor<'de>>(&self, visitor: V) -> Result<V::Value> {
        let (DType::Complex { size, endian }, true) = (&self.member.header.dtype, self.is_leaf())
        else {
            return Err(self.wrong("complex number"));
        };
        let part = DType::Float {
            size: size / 2,
            endian: *endian,
        };
        let mut parts = Member::new(
            Header::new(part, vec![2]),
            self.member.element_bytes(self.start),
        );
        parts.by_value = self.member.by_value;
        let whole = ArrayDe {
            member: &parts,
            depth: 0,
            start: 0,
        };
        whole.rows(visitor, "complex parts")
    }

    fn rows<'de, V: Visitor<'de>>(self, visitor: V, expected: &str) -> Result<V::Value> {
        if self.is_leaf() {
            return Err(self.member.mismatch(self.depth + 1, expected));
        }
        let shape = &self.member.header.shape;
        if self.member.block(self.depth + 1) == 0 {
            // Rows of nothing: no bytes bound how many a header declares ((2**40, 0)), so
            // they are bounded like items of zero bytes.
            let rows = shape[..=self.depth]
                .iter()
                .try_fold(1usize, |n, &len| n.checked_mul(len))
                .unwrap_or(usize::MAX);
            if rows > crate::element::MAX_ZERO_WIDTH_ITEMS {
                return Err(Error::invalid_data(format!(
                    "shape {} holds no elements but {rows} empty rows: more than the {} \
                     built as Rust values, since the file's size does not bound them (read it \
                     as an ndarray array, which needs no rows)",
                    shape_text(shape),
                    crate::element::MAX_ZERO_WIDTH_ITEMS
                )));
            }
        }
        visitor.visit_seq(Rows {
            member: self.member,
            depth: self.depth + 1,
            start: self.start,
            block: self.member.block(self.depth + 1),
            index: 0,
            len: self.member.header.shape[self.depth],
        })
    }
}

macro_rules! integer {
    ($method:ident, $visit:ident, $t:ty, $signed:expr) => {
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            const SIZE: usize = size_of::<$t>();
            let native = match self.member.codec {
                Codec::Int { size, swap } => $signed && size == SIZE && (!swap || SIZE == 1),
                Codec::UInt { size, swap } => !$signed && size == SIZE && (!swap || SIZE == 1),
                _ => false,
            };
            if let Some(bytes) = self.native_bytes::<SIZE>(native) {
                return visitor.$visit(<$t>::from_ne_bytes(bytes));
            }
            visitor.$visit(self.number::<$t>()?)
        }
    };
}

impl<'de> de::Deserializer<'de> for ArrayDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if !self.is_leaf() {
            return self.rows(visitor, "element");
        }
        match self.member.leaf(self.start) {
            Leaf::Number(Value::Bool(v)) => visitor.visit_bool(v),
            Leaf::Number(Value::Int(v)) => visitor.visit_i64(v),
            Leaf::Number(Value::UInt(v)) => visitor.visit_u64(v),
            Leaf::Number(Value::Float(v)) if self.member.itemsize <= 4 => {
                visitor.visit_f32(v as f32)
            }
            Leaf::Number(Value::Float(v)) => visitor.visit_f64(v),
            Leaf::Number(Value::Complex(_)) => self.complex_parts(visitor),
            Leaf::Str(bytes) => visitor.visit_string(self.member.string(bytes)?),
            Leaf::Record(bytes) => self.record(bytes, visitor),
            Leaf::Other => Err(self.wrong("a supported element")),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_bool(self.number::<bool>()?)
    }

    integer!(deserialize_i8, visit_i8, i8, true);
    integer!(deserialize_i16, visit_i16, i16, true);
    integer!(deserialize_i32, visit_i32, i32, true);
    integer!(deserialize_i64, visit_i64, i64, true);
    integer!(deserialize_u8, visit_u8, u8, false);
    integer!(deserialize_u16, visit_u16, u16, false);
    integer!(deserialize_u32, visit_u32, u32, false);
    integer!(deserialize_u64, visit_u64, u64, false);

    #[inline]
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let native = matches!(self.member.codec, Codec::F32 { swap: false });
        if let Some(bytes) = self.native_bytes(native) {
            return visitor.visit_f32(f32::from_ne_bytes(bytes));
        }
        visitor.visit_f32(self.number::<f32>()?)
    }

    #[inline]
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let native = matches!(self.member.codec, Codec::F64 { swap: false });
        if let Some(bytes) = self.native_bytes(native) {
            return visitor.visit_f64(f64::from_ne_bytes(bytes));
        }
        visitor.visit_f64(self.number::<f64>()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.leaf("string")? {
            Leaf::Str(bytes) => visitor.visit_string(self.member.string(bytes)?),
            _ => Err(self.wrong("string")),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let member = self.member;
        if self.depth == 0 && member.ndim() == 1 && member.itemsize == 1 {
            if let Codec::UInt { .. } | Codec::Int { .. } = member.codec {
                return visitor.visit_bytes(member.bytes);
            }
        }
        Err(self.member.mismatch(1, "uint8 (bytes)"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(self.wrong("()"))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: V,
    ) -> Result<V::Value> {
        Err(self.wrong(&format!("unit struct {name}")))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == "f16" {
            let bits: U16Deserializer<Error> = self.number::<f16>()?.to_bits().into_deserializer();
            return visitor.visit_newtype_struct(bits);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.rows(visitor, "sequence")
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        if self.is_leaf() {
            // A complex number is `(re, im)`.
            return match self.member.codec {
                Codec::Complex if len == 2 => self.complex_parts(visitor),
                _ => Err(self
                    .member
                    .mismatch(self.depth + 1, &format!("tuple of {len}"))),
            };
        }
        let found = self.member.header.shape[self.depth];
        if found != len {
            return Err(Error::ShapeMismatch {
                expected: format!("length {len} at dimension {}", self.depth),
                found: self.member.header.shape.clone(),
            });
        }
        self.rows(visitor, "tuple")
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(self.wrong("map (a group of members)"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.depth == 0 && fields == NDARRAY_FIELDS {
            return visitor.visit_seq(NdarrayParts {
                member: self.member,
                part: 0,
            });
        }
        match self.leaf(&format!("struct {name}"))? {
            Leaf::Record(bytes) => self.record(bytes, visitor),
            _ => Err(self.wrong(&format!("struct {name} (a record dtype or a group)"))),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.leaf(&format!("string (enum {name})"))? {
            Leaf::Str(bytes) => {
                let variant: StringDeserializer<Error> =
                    self.member.string(bytes)?.into_deserializer();
                visitor.visit_enum(variant)
            }
            _ => Err(self.wrong(&format!("string (enum {name})"))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.leaf("int128")? {
            Leaf::Number(Value::Int(v)) => visitor.visit_i128(v as i128),
            Leaf::Number(Value::UInt(v)) => visitor.visit_i128(v as i128),
            _ => Err(self.wrong("int128")),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.leaf("uint128")? {
            Leaf::Number(Value::UInt(v)) => visitor.visit_u128(v as u128),
            _ => Err(self.wrong("uint128")),
        }
    }
}

impl ArrayDe<'_> {
    /// A record element as a map of its fields.
    fn record<'de, V: Visitor<'de>>(&self, bytes: &[u8], visitor: V) -> Result<V::Value> {
        let DType::Record(record) = &self.member.header.dtype else {
            return Err(self.wrong("struct"));
        };
        visitor.visit_map(RecordAccess {
            record,
            bytes,
            index: 0,
        })
    }
}

/// `len` items of a member at `depth` (rows, or elements at depth `ndim`) of `block`
/// elements each, the first starting at C-order element `start`.
struct Rows<'m> {
    member: &'m Member<'m>,
    depth: usize,
    start: usize,
    block: usize,
    index: usize,
    len: usize,
}

impl<'m> Rows<'m> {
    /// ndarray's `data`: every element in logical C order.
    fn flat(member: &'m Member<'m>) -> Self {
        Rows {
            member,
            depth: member.ndim(),
            start: 0,
            block: 1,
            index: 0,
            len: member.block(0),
        }
    }
}

/// The items as a sequence (ndarray's `data`).
impl<'de> de::Deserializer<'de> for Rows<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_seq(self)
    }

    forward_everything_to_any!();
}

impl<'de> de::SeqAccess<'de> for Rows<'_> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.index == self.len {
            return Ok(None);
        }
        let item = ArrayDe {
            member: self.member,
            depth: self.depth,
            start: self.start + self.index * self.block,
        };
        self.index += 1;
        seed.deserialize(item).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.index)
    }
}

/// A member in ndarray's serde form: `(v = 1, dim, data)`.
struct NdarrayParts<'m> {
    member: &'m Member<'m>,
    part: usize,
}

impl<'de> de::SeqAccess<'de> for NdarrayParts<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.part += 1;
        match self.part {
            1 => {
                let version: de::value::U8Deserializer<Error> = 1u8.into_deserializer();
                seed.deserialize(version).map(Some)
            }
            2 => seed
                .deserialize(DimDe {
                    header: &self.member.header,
                })
                .map(Some),
            3 => seed.deserialize(Rows::flat(self.member)).map(Some),
            _ => Ok(None),
        }
    }
}

/// ndarray's `dim`: a tuple for a fixed rank (checked here), a sequence for `IxDyn`.
struct DimDe<'h> {
    header: &'h Header,
}

impl<'de> de::Deserializer<'de> for DimDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let dims = self.header.shape.clone().into_iter();
        visitor.visit_seq(SeqDeserializer::<_, Error>::new(
            dims.map(|d| -> UsizeDeserializer<Error> { d.into_deserializer() }),
        ))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        if len != self.header.shape.len() {
            return Err(mismatch(Some(len), "array", self.header));
        }
        self.deserialize_any(visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple_struct map struct enum identifier
        ignored_any
    }
}

/// The fields of one record element.
struct RecordAccess<'x> {
    record: &'x Record,
    bytes: &'x [u8],
    index: usize,
}

impl<'de> de::MapAccess<'de> for RecordAccess<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some(field) = self.record.fields.get(self.index) else {
            return Ok(None);
        };
        let name: StringDeserializer<Error> = field.name.clone().into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let field = &self.record.fields[self.index];
        self.index += 1;
        // A subarray field `('pos', '<f4', (3,))` is an array of its own: `[f32; 3]`.
        let header = match &field.dtype {
            DType::SubArray { base, shape } => Header::new((**base).clone(), shape.clone()),
            other => Header::new(other.clone(), vec![]),
        };
        let size = field.dtype.itemsize();
        let bytes = self
            .bytes
            .get(field.offset..field.offset + size)
            .ok_or_else(|| {
                Error::invalid_data(format!("field {:?} out of its record", field.name))
            })?;
        let member = Member::new(header, bytes);
        seed.deserialize(ArrayDe {
            member: &member,
            depth: 0,
            start: 0,
        })
        .map_err(|e| match e {
            Error::DtypeMismatch {
                expected, found, ..
            } => Error::DtypeMismatch {
                expected,
                found,
                field: Some(field.name.clone()),
            },
            other => other,
        })
    }
}

// ---------------------------------------------------------------------------------------
// The bulk fast path
// ---------------------------------------------------------------------------------------

/// A member handed to [`serde_array`](crate::serde_array) as `(descr, shape,
/// fortran_order, data bytes)`.
struct BulkDe {
    raw: OwnedRawMember,
}

impl<'de> de::Deserializer<'de> for BulkDe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_seq(BulkParts {
            raw: Some(self.raw),
            part: 0,
        })
    }

    forward_everything_to_any!();
}

struct BulkParts {
    raw: Option<OwnedRawMember>,
    part: usize,
}

impl<'de> de::SeqAccess<'de> for BulkParts {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.part += 1;
        let Some(raw) = &self.raw else {
            return Ok(None);
        };
        let header = &raw.header;
        match self.part {
            1 => {
                let descr: StringDeserializer<Error> = header.dtype.to_string().into_deserializer();
                seed.deserialize(descr).map(Some)
            }
            2 => seed.deserialize(DimDe { header }).map(Some),
            3 => {
                let order: de::value::BoolDeserializer<Error> =
                    header.fortran_order.into_deserializer();
                seed.deserialize(order).map(Some)
            }
            _ => {
                let raw = self.raw.take().expect("checked");
                seed.deserialize(ByteBufDe(raw.bytes)).map(Some)
            }
        }
    }
}

/// Owned bytes, handed over with `visit_byte_buf`.
struct ByteBufDe(Vec<u8>);

impl<'de> de::Deserializer<'de> for ByteBufDe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_byte_buf(self.0)
    }

    forward_everything_to_any!();
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use half::f16;
    use ndarray::{array, Array1, Array2, ArrayD};
    use num_complex::Complex;
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::serde_format::test_values::{points, Mode, Point};
    use crate::serde_format::MemoryArchive;

    /// An archive holding `arrays` as members.
    fn archive(arrays: &[(&str, Vec<u8>)]) -> MemoryArchive {
        MemoryArchive {
            members: arrays
                .iter()
                .map(|(name, bytes)| (name.to_string(), bytes.clone()))
                .collect(),
        }
    }

    fn npy<A: crate::NpyWrite + ?Sized>(array: &A) -> Vec<u8> {
        crate::to_bytes(array).unwrap()
    }

    fn load<T: DeserializeOwned>(archive: MemoryArchive) -> Result<T> {
        deserialize_members(archive, &SerdeOptions::default())
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Layer {
        weight: Array2<f32>,
        #[serde(with = "crate::serde_array")]
        bias: Array1<f64>,
        table: Vec<Vec<i64>>,
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Everything {
        epoch: u32,
        lr: f64,
        done: bool,
        name: String,
        tags: Vec<String>,
        mode: Mode,
        modes: Vec<Mode>,
        half: f16,
        halves: Vec<f16>,
        z: Complex<f32>,
        zs: Vec<Complex<f64>>,
        pairs: Vec<[f32; 2]>,
        points: Vec<Point>,
        layers: BTreeMap<String, Layer>,
        missing: Option<Vec<u8>>,
        present: Option<u8>,
        empty: Vec<i32>,
        dynamic: ArrayD<u16>,
        #[serde(rename = "renamed_field")]
        renamed: i8,
    }

    fn everything() -> Everything {
        let layer = |k: f32| Layer {
            weight: array![[1.0, 2.0, 3.0], [4.0, 5.0, k]],
            bias: array![0.5, -0.5],
            table: vec![vec![1, 2], vec![3, 4]],
        };
        Everything {
            epoch: 3,
            lr: 0.5,
            done: true,
            name: "run ü".into(),
            tags: vec!["a".into(), "bcd".into()],
            mode: Mode::Eval,
            modes: vec![Mode::Train, Mode::Eval],
            half: f16::from_f32(1.5),
            halves: vec![f16::from_f32(-2.0), f16::from_f32(0.25)],
            z: Complex::new(1.0, -1.0),
            zs: vec![Complex::new(0.0, 1.0); 3],
            pairs: vec![[1.0, 2.0]; 4],
            points: points(),
            layers: [
                ("enc".to_string(), layer(6.0)),
                ("dec".to_string(), layer(7.0)),
            ]
            .into_iter()
            .collect(),
            missing: None,
            present: Some(7),
            empty: vec![],
            dynamic: ArrayD::from_shape_vec(vec![2, 1, 3], (0..6).collect()).unwrap(),
            renamed: -4,
        }
    }

    #[test]
    fn every_kind_of_field_round_trips() {
        let value = everything();
        let bytes = crate::to_npz_vec(&value).unwrap();
        let back: Everything = crate::from_npz_slice(&bytes).unwrap();
        assert_eq!(back, value);
        let compressed = crate::to_npz_vec_with(
            &value,
            &SerdeOptions::default()
                .with_compression(crate::npz::Compression::Deflate { level: 1 }),
        )
        .unwrap();
        assert_eq!(
            crate::from_npz_slice::<Everything>(&compressed).unwrap(),
            value
        );
    }

    #[test]
    fn members_are_found_by_path_in_any_order_with_widening_and_defaults() {
        #[derive(Deserialize, Debug)]
        struct Target {
            b: Vec<i64>,
            a: Array2<f64>,
            #[serde(default)]
            defaulted: Vec<u8>,
            optional: Option<f32>,
            #[serde(skip)]
            skipped: u8,
            nested: HashMap<String, Vec<f32>>,
        }
        let archive = archive(&[
            ("a", npy(&array![[1.0f32, 2.0]])),
            ("nested/x", npy(&vec![f16::from_f32(0.5)])),
            ("unused", npy(&vec![1u8])),
            ("b", npy(&vec![1i32, -2])),
            ("nested/y", npy(&vec![2.5f32])),
        ]);
        let target: Target = load(archive).unwrap();
        assert_eq!(target.b, [1, -2]);
        assert_eq!(target.a, array![[1.0, 2.0]]);
        assert!(target.defaulted.is_empty() && target.optional.is_none() && target.skipped == 0);
        assert_eq!(target.nested["x"], [0.5]);
        assert_eq!(target.nested["y"], [2.5]);
    }

    #[test]
    fn fortran_and_big_endian_members_read_in_logical_order() {
        #[derive(Deserialize)]
        struct Target {
            f: Array2<i32>,
            rows: Vec<Vec<i32>>,
            big: Vec<f64>,
        }
        let c = array![[1, 2, 3], [4, 5, 6]];
        let big = crate::NpyArray::from_values(vec![1.5f64, -2.0], vec![2])
            .unwrap()
            .with_endian(crate::Endian::Big);
        let archive = archive(&[
            ("f", npy(&c.t())),
            ("rows", npy(&c.t())),
            ("big", npy(&big)),
        ]);
        let target: Target = load(archive).unwrap();
        assert_eq!(target.f, c.t());
        assert_eq!(target.rows, [[1, 4], [2, 5], [3, 6]]);
        assert_eq!(target.big, [1.5, -2.0]);
    }

    #[test]
    fn mismatches_are_errors_naming_the_member_shape_and_dtype() {
        #[derive(Deserialize, Debug)]
        struct Encoder {
            #[allow(dead_code)]
            weight: Array2<f32>,
        }
        #[derive(Deserialize, Debug)]
        struct Model {
            #[allow(dead_code)]
            encoder: Encoder,
        }
        let err = load::<Model>(archive(&[("encoder/weight", npy(&vec![1.0f64, 2.0, 3.0]))]))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("member \"encoder/weight\""), "{text}");
        assert!(text.contains("expected 2-D array, found [3]"), "{text}");

        let err = load::<Model>(archive(&[("encoder/weight", npy(&array![[1.0f64]]))]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "expected 2-D float32 (f32), found shape (1, 1) float64, which loads as f64"
            ),
            "{err}"
        );

        let err = load::<Model>(archive(&[("encoder/bias", npy(&vec![1.0f32]))])).unwrap_err();
        assert!(
            matches!(err.root(), Error::MissingMember { name, available }
                if name == "encoder/weight" && available == "encoder/bias"),
            "{err}"
        );

        #[derive(Deserialize, Debug)]
        struct Narrow {
            #[allow(dead_code)]
            x: Vec<i16>,
        }
        let err = load::<Narrow>(archive(&[("x", npy(&vec![1i32]))]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"x\"") && err.contains("int16") && err.contains("int32"),
            "{err}"
        );

        let err = load::<Narrow>(archive(&[("x", npy(&array![[1i16]]))]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected 1-D int16, found [1, 1]"), "{err}");

        let err = load::<f64>(archive(&[])).unwrap_err().to_string();
        assert!(err.contains("top-level"), "{err}");
    }

    #[test]
    fn options_set_the_separator_and_the_header_limit() {
        let value = everything();
        let dotted = SerdeOptions::default().with_separator(".");
        let bytes = crate::to_npz_vec_with(&value, &dotted).unwrap();
        let names = crate::NpzReader::new(std::io::Cursor::new(&bytes))
            .unwrap()
            .names();
        assert!(
            names.contains(&"layers.enc.weight".to_string()),
            "{names:?}"
        );
        let back: Everything = crate::from_npz_slice_with(&bytes, &dotted).unwrap();
        assert_eq!(back, value);

        let tiny = SerdeOptions::default().with_max_header_size(10);
        let err = crate::from_npz_slice_with::<Everything>(&bytes, &tiny).unwrap_err();
        assert!(matches!(err.root(), Error::HeaderTooLarge { .. }), "{err}");
        assert!(err.to_string().starts_with("member \""), "{err}");
    }

    #[test]
    fn empty_members_read_into_any_numeric_type() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Empty {
            a: Vec<u8>,
            b: Array2<f32>,
            #[serde(with = "crate::serde_array")]
            c: Array1<i16>,
        }
        let value = Empty {
            a: vec![],
            b: Array2::zeros((0, 3)),
            c: Array1::zeros(0),
        };
        let back: Empty = crate::from_npz_slice(&crate::to_npz_vec(&value).unwrap()).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn empty_members_with_huge_other_dimensions_do_not_overflow() {
        #[derive(Deserialize, Debug)]
        struct Cube {
            #[allow(dead_code)]
            cube: Vec<Vec<Vec<f32>>>,
        }
        // (0, 2^40, 2^40) itself is refused by the header, as NumPy refuses it.
        let header = crate::Header::new(f32::write_dtype(&[]), vec![0, 1 << 30, 1 << 30]);
        for fortran_order in [false, true] {
            let header = crate::Header {
                fortran_order,
                ..header.clone()
            };
            let member = header.to_bytes().unwrap();
            let result = load::<Cube>(archive(&[("cube", member)]));
            assert!(result.is_ok(), "{result:?}");
        }
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Nested {
        rows: Vec<Vec<i32>>,
        flags: Vec<bool>,
        names: Vec<String>,
    }

    proptest! {
        /// Rectangular nestings round-trip; ragged ones are refused naming the member.
        #[test]
        fn nested_sequences_round_trip_or_are_refused_as_ragged(
            rows in proptest::collection::vec(proptest::collection::vec(any::<i32>(), 0..4), 0..5),
            flags in proptest::collection::vec(any::<bool>(), 0..6),
            names in proptest::collection::vec("[a-zé]{0,6}", 0..4),
        ) {
            let value = Nested { rows, flags, names };
            let rectangular = value.rows.windows(2).all(|w| w[0].len() == w[1].len());
            match crate::to_npz_vec(&value) {
                Ok(bytes) => {
                    prop_assert!(rectangular);
                    let back: Nested = crate::from_npz_slice(&bytes).unwrap();
                    // Empty rows lose nothing but their (absent) elements.
                    prop_assert_eq!(back, value);
                }
                Err(err) => {
                    prop_assert!(!rectangular);
                    prop_assert!(err.to_string().contains("\"rows\""), "{}", err);
                }
            }
        }
    }
}
