//! Members found by path: the top level and groups (structs and maps) list their children,
//! keys are unescaped (and read as integers when the map's key type asks), an empty member
//! stands for an empty group, and a sequence of groups is read from `path/0`, `path/1`, ….

use std::collections::BTreeSet;

use serde::de::value::StringDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::bulk::BulkDe;
use super::member::{ArrayDe, Member};
use super::object::ObjectDe;
use super::plain::{self, PlainMember};
use crate::errors::{Error, ErrorKind, Result};
use crate::serde_format::{
    in_member, join_path, unescape_key, MemberData, OwnedRawMember, ReadMembers, SerdeOptions,
    BULK_ARRAY, NDARRAY_FIELDS,
};

/// The member source with its names, sorted for prefix lookups.
pub(super) struct Archive<S> {
    source: S,
    names: BTreeSet<String>,
    separator: String,
}

impl<S: ReadMembers> Archive<S> {
    pub(super) fn new(source: S, options: &SerdeOptions) -> Self {
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
        Ok(match self.source.read_member::<MemberData>(path)? {
            MemberData::Raw(raw) => raw.header.element_count()? == 0,
            MemberData::Objects(objects) => objects.values.is_empty(),
        })
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
        // The top level has no empty-group marker: a member "" there is the empty key's.
        let children = if !prefix.is_empty() && self.is_empty_member(prefix)? {
            Vec::new()
        } else {
            self.children(prefix)
        };
        let result = visitor.visit_map(GroupAccess {
            archive: self,
            children: children.into_iter(),
            path: String::new(),
        });
        result.map_err(|error| match error.kind() {
            // serde reports a missing field by its name only: add the path and what is there.
            ErrorKind::MissingMember { name, available } if available.is_empty() => {
                ErrorKind::MissingMember {
                    name: join_path(prefix, name, &self.separator),
                    available: self.available(),
                }
                .into()
            }
            _ => error,
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
                    return Err(Error::from(ErrorKind::Custom(format!(
                        "expected a sequence (members {prefix}{sep}0, {prefix}{sep}1, …), \
                         found {path:?}",
                        sep = self.separator
                    ))))
                }
            }
        }
        children.sort_unstable();
        if let Some(gap) = children
            .iter()
            .enumerate()
            .find(|(i, (index, _))| i != index)
        {
            return Err(Error::from(ErrorKind::Custom(format!(
                "the sequence under {prefix:?} has no element {}",
                gap.0
            ))));
        }
        Ok(children.into_iter().map(|(_, path)| path).collect())
    }
}

// ---------------------------------------------------------------------------------------
// The top level and groups
// ---------------------------------------------------------------------------------------

pub(super) struct TopLevel<'a, S> {
    pub(super) archive: &'a mut Archive<S>,
}

impl<'de, S: ReadMembers> de::Deserializer<'de> for TopLevel<'_, S> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(Error::from(ErrorKind::Custom(
            "the top-level value must be a struct or a map with string keys".into(),
        )))
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
                Err(_) => Err(Error::from(ErrorKind::Custom(format!(
                    "the key {:?} is not {}",
                    self.0,
                    stringify!($visit).trim_start_matches("visit_")
                )))),
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
    fn member<T>(self, f: impl FnOnce(MemberDe<'_>) -> Result<T>) -> Result<T> {
        let path = self.path;
        self.read_member(f).map_err(|e| in_member(e, path))
    }

    fn read_member<T>(self, f: impl FnOnce(MemberDe<'_>) -> Result<T>) -> Result<T> {
        self.check_member()?;
        let data = self.archive.source.read_member::<MemberData>(self.path)?;
        visit_member_data(data, f)
    }

    /// Reads the member straight into the value when `V` is the visitor of a plain array
    /// type (`Vec<E>`, `Array<E, D>`: see [`plain`]) and the member fits, else runs `f` on
    /// a deserializer for its whole array as [`member`](Self::member) does.
    fn member_or_plain<'de, V: Visitor<'de>>(
        self,
        visitor: V,
        f: impl FnOnce(MemberDe<'_>, V) -> Result<V::Value>,
    ) -> Result<V::Value> {
        let Some(plain) = plain::plain_type::<V>() else {
            return self.member(|m| f(m, visitor));
        };
        let path = self.path;
        let result = self.check_member().and_then(|()| {
            match plain::read(&mut self.archive.source, path, plain)? {
                PlainMember::Value(value) => plain::into_value::<V>(value),
                PlainMember::Other(data) => visit_member_data(data, |m| f(m, visitor)),
            }
        });
        result.map_err(|e| in_member(e, path))
    }

    /// An error unless the entry is a member (not a group of members).
    fn check_member(&self) -> Result<()> {
        if self.archive.is_member(self.path) {
            return Ok(());
        }
        Err(Error::from(ErrorKind::Custom(format!(
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
        ))))
    }
}

/// Runs `f` on a deserializer for a whole member's data.
fn visit_member_data<T>(data: MemberData, f: impl FnOnce(MemberDe<'_>) -> Result<T>) -> Result<T> {
    match data {
        MemberData::Raw(raw) => {
            let member = Member::whole(raw.header, &raw.bytes);
            f(MemberDe::Array(ArrayDe {
                member: &member,
                depth: 0,
                start: 0,
            }))
        }
        MemberData::Objects(objects) => f(MemberDe::Objects(ObjectDe {
            objects: &objects,
            depth: 0,
            start: 0,
        })),
    }
}

/// A whole member's deserializer: an array of numbers, strings or records, or an object
/// array's values.
enum MemberDe<'m> {
    Array(ArrayDe<'m>),
    Objects(ObjectDe<'m>),
}

/// Forwards each named method to the member's kind of deserializer.
macro_rules! dispatch_member {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value> {
            match self {
                MemberDe::Array(array) => array.$method($($arg,)* visitor),
                MemberDe::Objects(objects) => objects.$method($($arg,)* visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for MemberDe<'_> {
    type Error = Error;

    dispatch_member! {
        deserialize_any() deserialize_bool() deserialize_i8() deserialize_i16()
        deserialize_i32() deserialize_i64() deserialize_i128() deserialize_u8()
        deserialize_u16() deserialize_u32() deserialize_u64() deserialize_u128()
        deserialize_f32() deserialize_f64() deserialize_char() deserialize_str()
        deserialize_string() deserialize_bytes() deserialize_byte_buf() deserialize_option()
        deserialize_unit() deserialize_unit_struct(name: &'static str)
        deserialize_newtype_struct(name: &'static str) deserialize_seq()
        deserialize_tuple(len: usize) deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_map()
        deserialize_struct(name: &'static str, fields: &'static [&'static str])
        deserialize_enum(name: &'static str, variants: &'static [&'static str])
        deserialize_identifier() deserialize_ignored_any()
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
            return Err(Error::from(ErrorKind::Custom(format!(
                "expected a tuple of {len}, found {} elements",
                paths.len()
            )))
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
        deserialize_i64() deserialize_i128() deserialize_u8() deserialize_u16()
        deserialize_u32() deserialize_u64() deserialize_u128()
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
        if crate::serde_format::is_half_float(name) && self.archive.is_member(path) {
            return self.member(|m| m.deserialize_newtype_struct(name, visitor));
        }
        // The inner value is at the same path: through the entry, a plain array inside
        // takes the typed read, and an empty group inside reads as one.
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.archive.is_member(self.path) {
            return self.member_or_plain(visitor, |m, visitor| m.deserialize_seq(visitor));
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
        if is_ndarray {
            return self.member_or_plain(visitor, |m, visitor| {
                m.deserialize_struct(name, fields, visitor)
            });
        }
        if self.archive.is_member(path) && !self.archive.is_group(path) {
            let empty = self
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
