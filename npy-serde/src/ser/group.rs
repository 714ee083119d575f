//! Member paths: how structs, maps and sequences of them become groups of members. A
//! struct or map field `enc` writes its own fields under `enc/`; map keys are escaped so
//! that each stays one path component; a group that writes nothing leaves one empty member
//! so that it reads back; a sequence is one member unless its elements are groups, which
//! are then written as indexed groups (`layers/0/…`).

use serde::ser::{self, Serialize};

use super::bulk::BulkSerializer;
use super::capture::{Capture, ComplexParts};
use super::element::{ElementSeq, ElementSerializer};
use super::leaf::{hint_of, no_hint, HintFn};
use super::map_order::{is_unordered_map, write_sorted_map, WriteValue};
use super::plain::plain_array;
use super::{Impossible, Root};
use crate::errors::{Error, ErrorKind, Result};
use crate::serde_format::{
    escape_key, in_member, join_path, WriteMembers, BULK_ARRAY, NDARRAY_STRUCT,
};

/// A struct or map whose fields become members under `prefix`.
pub struct Group<'r, S> {
    root: &'r mut Root<S>,
    prefix: String,
    key: Option<String>,
    /// Members written before the group started: none more at its end means it was empty.
    written_before: usize,
}

impl<'r, S: WriteMembers> Group<'r, S> {
    /// The archive's top level.
    pub(super) fn top(root: &'r mut Root<S>) -> Self {
        Group::new(root, String::new())
    }

    fn new(root: &'r mut Root<S>, prefix: String) -> Self {
        let written_before = root.written;
        Group {
            root,
            prefix,
            key: None,
            written_before,
        }
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        let key = escape_key(key, &self.root.separator);
        let path = join_path(&self.prefix, &key, &self.root.separator);
        serialize_at(self.root, path, value, NoneIs::Absent)
    }

    fn context(&self) -> String {
        if self.prefix.is_empty() {
            String::new()
        } else {
            format!(" (in {:?})", self.prefix)
        }
    }

    /// Ends the group: one that wrote no member leaves an empty one at its path, so that
    /// an empty map (or a struct of `None`s) reads back (the top level needs none).
    fn finish(self) -> Result<()> {
        if self.root.written == self.written_before && !self.prefix.is_empty() {
            self.root.write_empty_member(&self.prefix)?;
        }
        Ok(())
    }
}

impl<S: WriteMembers> ser::SerializeStruct for Group<'_, S> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }

    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<S: WriteMembers> ser::SerializeMap for Group<'_, S> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let key = key
            .serialize(Capture::plain())
            .ok()
            .and_then(|key| key.as_key_text())
            .ok_or_else(|| {
                ErrorKind::Custom(format!(
                    "map keys must be strings, integers, bools or chars (they become member \
                     names){}",
                    self.context()
                ))
            })?;
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ErrorKind::Custom("map value without a key".into()))?;
        let escaped = escape_key(&key, &self.root.separator);
        let path = join_path(&self.prefix, &escaped, &self.root.separator);
        // A missing member is a missing key: the map would load without it.
        serialize_at(self.root, path, value, NoneIs::Refused)
    }

    fn end(self) -> Result<()> {
        self.finish()
    }
}

// ---------------------------------------------------------------------------------------
// A value at a path: one member, a group, or nothing (None)
// ---------------------------------------------------------------------------------------

/// Serializes `value` as what is at `path`: every member-level value goes through here,
/// where its type is known. A plain array (`Vec<E>`, `Array<E, D>`) is written from its
/// memory in one piece, a hash map in sorted key order; anything else through
/// [`FieldSerializer`].
fn serialize_at<S: WriteMembers, T: ?Sized + Serialize>(
    root: &mut Root<S>,
    path: String,
    value: &T,
    none: NoneIs,
) -> Result<()> {
    if let Some(array) = plain_array(value) {
        let (mut sink, _) = root.parts();
        let written = array.with_member(&mut |member| sink.add_member(&path, member));
        if let Some(result) = written {
            return result.map_err(|e| in_member(e, &path));
        }
    }
    if is_unordered_map::<T>() && write_sorted_map::<S, T, MapValue>(root, &path, value)? {
        return Ok(());
    }
    value.serialize(FieldSerializer {
        root,
        path,
        hint: hint_of::<T>,
        none,
    })
}

/// Writes a top-level hash map in sorted key order; false, with nothing written, when
/// `value` is not one (the caller then serializes it as the top level).
pub(super) fn write_top_level_map<S: WriteMembers, T: ?Sized + Serialize>(
    root: &mut Root<S>,
    value: &T,
) -> Result<bool> {
    if !is_unordered_map::<T>() {
        return Ok(false);
    }
    write_sorted_map::<S, T, MapValue>(root, "", value)
}

/// How [`map_order`](super::map_order) writes the value of a map entry: as any map value.
pub(super) struct MapValue;

impl WriteValue for MapValue {
    fn write_value<S: WriteMembers, V: ?Sized + Serialize>(
        root: &mut Root<S>,
        path: String,
        value: &V,
    ) -> Result<()> {
        // A missing member is a missing key: the map would load without it.
        serialize_at(root, path, value, NoneIs::Refused)
    }
}

pub struct FieldSerializer<'r, S> {
    root: &'r mut Root<S>,
    path: String,
    hint: HintFn,
    none: NoneIs,
}

/// What `None` becomes at a path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NoneIs {
    /// No member: a struct field reads back as `None` when its member is missing.
    Absent,
    /// An error: a map entry or a sequence element would vanish, not read back as `None`.
    Refused,
}

impl<'r, S: WriteMembers> FieldSerializer<'r, S> {
    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!("{what} has no array form")).in_member(self.path)
    }

    /// Builds the member from the value's elements, then writes it.
    fn build(self, fill: impl FnOnce(ElementSerializer<'_>) -> Result<()>) -> Result<()> {
        let (mut sink, builder) = self.root.parts();
        builder.reset();
        let element = ElementSerializer::new(builder, 0, self.hint);
        fill(element)
            .and_then(|()| builder.write_member(&mut sink, &self.path, None))
            .map_err(|e| in_member(e, &self.path))
    }

    fn seq(self) -> Result<FieldSeq<'r, S>> {
        self.root.builder.reset();
        Ok(FieldSeq {
            root: self.root,
            path: self.path,
            count: 0,
            indexed: false,
            complex: None,
        })
    }
}

/// Implements the named `Serializer` methods as a member of one element.
macro_rules! build_leaf {
    ($($method:ident($t:ty)),*) => {$(
        fn $method(self, v: $t) -> Result<()> {
            self.build(|e| ser::Serializer::$method(e, v))
        }
    )*};
}

impl<'r, S: WriteMembers> ser::Serializer for FieldSerializer<'r, S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = FieldSeq<'r, S>;
    type SerializeTuple = FieldSeq<'r, S>;
    type SerializeTupleStruct = FieldSeq<'r, S>;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Group<'r, S>;
    type SerializeStruct = FieldStruct<'r, S>;
    type SerializeStructVariant = Impossible;

    reject!(serialize_unit serialize_unit_struct serialize_newtype_variant serialize_tuple_variant
        serialize_struct_variant);

    build_leaf!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8])
    );

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.build(|e| ser::Serializer::serialize_unit_variant(e, name, index, variant))
    }

    fn serialize_none(self) -> Result<()> {
        match self.none {
            NoneIs::Absent => Ok(()),
            NoneIs::Refused => {
                Err(self
                    .reject("None as a map value or sequence element (it would vanish on loading)"))
            }
        }
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        serialize_at(self.root, self.path, value, self.none)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        match name {
            BULK_ARRAY => {
                let path = self.path;
                let (mut sink, _) = self.root.parts();
                value
                    .serialize(BulkSerializer::new(&mut sink, &path))
                    .map_err(|e| in_member(e, &path))
            }
            half if crate::serde_format::is_half_float(half) => {
                self.build(|e| ser::Serializer::serialize_newtype_struct(e, name, value))
            }
            _ => serialize_at(self.root, self.path, value, self.none),
        }
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<FieldSeq<'r, S>> {
        let seq = self.seq()?;
        seq.root.builder.set_len_hint(len);
        Ok(seq)
    }

    fn serialize_tuple(self, _: usize) -> Result<FieldSeq<'r, S>> {
        let hint = (self.hint)();
        let mut seq = self.seq()?;
        if let Some(parts) = ComplexParts::for_hint(hint) {
            // A complex scalar field: one 0-d complex member.
            seq.complex = Some(parts);
        }
        Ok(seq)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<FieldSeq<'r, S>> {
        self.seq()
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Group<'r, S>> {
        Ok(Group::new(self.root, self.path))
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<FieldStruct<'r, S>> {
        if name == NDARRAY_STRUCT && len == 3 {
            // ndarray's form, if the first field is its version `v` (else a user struct
            // that happens to be called `Array`).
            return Ok(FieldStruct {
                state: StructState::MaybeNdarray {
                    root: self.root,
                    path: self.path,
                },
            });
        }
        Ok(FieldStruct {
            state: StructState::Group(Group::new(self.root, self.path)),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Sequences: one member, or indexed groups
// ---------------------------------------------------------------------------------------

/// A sequence at a path. Its elements build one member (numbers, strings, records, nested
/// sequences) until one cannot be an array element (a struct holding arrays, a map, an
/// ndarray array, a record unlike the first); then the records built so far and every
/// element after are written as indexed groups `path/0`, `path/1`, ….
pub struct FieldSeq<'r, S> {
    root: &'r mut Root<S>,
    path: String,
    /// Elements taken so far.
    count: usize,
    /// Whether elements are written as indexed groups.
    indexed: bool,
    complex: Option<ComplexParts>,
}

impl<S: WriteMembers> FieldSeq<'_, S> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        if let Some(parts) = &mut self.complex {
            return parts.add(value).map_err(|e| in_member(e, &self.path));
        }
        if !self.indexed {
            let builder = &mut self.root.builder;
            let result = ElementSeq::at(builder, 0).element(value);
            match result {
                Ok(()) => {
                    self.count += 1;
                    return Ok(());
                }
                Err(_) if builder.take_irregular() => self.switch_to_indexed()?,
                Err(e) => return Err(in_member(e, &self.path)),
            }
        }
        self.indexed_element(value)
    }

    /// Writes element `count` as the group or member `path/count`.
    fn indexed_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let path = join_path(&self.path, &self.count.to_string(), &self.root.separator);
        let before = self.root.written;
        serialize_at(self.root, path.clone(), value, NoneIs::Refused)?;
        if self.root.written == before {
            return Err(Error::unwritable(
                "None inside a sequence has no array form (the elements would shift)",
            )
            .in_member(path));
        }
        self.count += 1;
        Ok(())
    }

    /// Writes the records built so far as indexed groups, and continues so.
    fn switch_to_indexed(&mut self) -> Result<()> {
        let path = self.path.clone();
        let separator = self.root.separator.clone();
        let (mut sink, builder) = self.root.parts();
        builder
            .write_records_indexed(&mut sink, &path, &separator, self.count)
            .map_err(|e| in_member(e, &path))?;
        builder.reset();
        self.indexed = true;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        let path = self.path;
        let (mut sink, builder) = self.root.parts();
        let result = match self.complex {
            Some(parts) => parts
                .scalar()
                .and_then(|scalar| builder.push_scalar(scalar, 0))
                .and_then(|()| builder.write_member(&mut sink, &path, None)),
            None if self.indexed => Ok(()),
            None => builder
                .end_seq(0, self.count)
                .and_then(|()| builder.write_member(&mut sink, &path, None)),
        };
        result.map_err(|e| in_member(e, &path))
    }
}

sequence_impls!([S: WriteMembers] FieldSeq<'_, S> => (): SerializeSeq::serialize_element,
    SerializeTuple::serialize_element, SerializeTupleStruct::serialize_field);

// ---------------------------------------------------------------------------------------
// Structs at a path: a group, or an ndarray array
// ---------------------------------------------------------------------------------------

/// A struct at a path: a nested group, or an ndarray array (fields `v`, `dim`, `data`).
pub struct FieldStruct<'r, S> {
    state: StructState<'r, S>,
}

enum StructState<'r, S> {
    /// A struct called `Array` with three fields: ndarray's form if its first field is `v`.
    MaybeNdarray {
        root: &'r mut Root<S>,
        path: String,
    },
    Group(Group<'r, S>),
    Ndarray {
        root: &'r mut Root<S>,
        path: String,
        dim: Option<Vec<usize>>,
        written: bool,
    },
    /// Only while the state is being replaced.
    Deciding,
}

impl<S: WriteMembers> FieldStruct<'_, S> {
    /// Decides what a struct called `Array` is from its first field's name.
    fn decide(&mut self, first_key: &str) {
        if let StructState::MaybeNdarray { .. } = self.state {
            let StructState::MaybeNdarray { root, path } =
                std::mem::replace(&mut self.state, StructState::Deciding)
            else {
                unreachable!("matched above")
            };
            self.state = if first_key == "v" {
                StructState::Ndarray {
                    root,
                    path,
                    dim: None,
                    written: false,
                }
            } else {
                StructState::Group(Group::new(root, path))
            };
        }
    }
}

impl<S: WriteMembers> ser::SerializeStruct for FieldStruct<'_, S> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.decide(key);
        let (root, path, dim, written) = match &mut self.state {
            StructState::Group(group) => return group.field(key, value),
            StructState::Ndarray {
                root,
                path,
                dim,
                written,
            } => (root, path, dim, written),
            StructState::MaybeNdarray { .. } | StructState::Deciding => {
                unreachable!("decided above")
            }
        };
        let result = match key {
            "v" => Ok(()),
            "dim" => value
                .serialize(Capture::plain())?
                .as_shape()
                .map(|shape| *dim = Some(shape))
                .ok_or_else(|| Error::unwritable("ndarray dim is not a list of lengths")),
            "data" => {
                let shape = dim
                    .take()
                    .ok_or_else(|| Error::unwritable("ndarray data came before its dim"))?;
                let (mut sink, builder) = root.parts();
                builder.reset();
                value
                    .serialize(ElementSerializer::new(builder, 0, no_hint))
                    .and_then(|()| builder.write_member(&mut sink, path, Some(shape)))
                    .map(|()| *written = true)
            }
            other => Err(Error::unwritable(format!(
                "an ndarray array has fields v, dim and data, not {other:?}"
            ))),
        };
        result.map_err(|e| in_member(e, path))
    }

    fn end(self) -> Result<()> {
        match self.state {
            StructState::Ndarray {
                written: false,
                path,
                ..
            } => Err(Error::unwritable("ndarray array without data").in_member(path)),
            StructState::Group(group) => group.finish(),
            StructState::MaybeNdarray { root, path } => Group::new(root, path).finish(),
            StructState::Ndarray { .. } | StructState::Deciding => Ok(()),
        }
    }
}
