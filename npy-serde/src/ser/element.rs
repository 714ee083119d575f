//! Elements of one member as serde hands them over: numbers, bools, `f16`, complex
//! numbers, strings, unit variants and records, nested in sequences, each pushed into the
//! member's [`ArrayBuilder`]. An element that cannot be an array element but can be a
//! group (a map, an array, a record unlike the first) is marked so that the sequence is
//! written as indexed groups instead.

use serde::ser::{self, Serialize};

use super::builder::{check_no_trailing_nul, ArrayBuilder};
use super::capture::{Capture, Captured, ComplexParts};
use super::leaf::{hint_of, Hint, HintFn, LeafKind};
use super::Impossible;
use crate::errors::{Error, Result};
use crate::serde_format::BULK_ARRAY;

pub struct ElementSerializer<'b> {
    b: &'b mut ArrayBuilder,
    depth: usize,
    hint: HintFn,
}

impl<'b> ElementSerializer<'b> {
    pub(super) fn new(b: &'b mut ArrayBuilder, depth: usize, hint: HintFn) -> Self {
        ElementSerializer { b, depth, hint }
    }

    /// The error for an element that can be a group but not an array element: an element
    /// of the outermost sequence is marked so that the sequence becomes indexed groups.
    fn irregular(self, what: &str) -> Error {
        self.b.mark_irregular(self.depth);
        self.reject(what)
    }

    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!(
            "{what} cannot be an array element (elements are numbers, bools, f16, complex \
             numbers, strings, unit enum variants or flat structs)"
        ))
    }
}

/// Implements number methods of `ElementSerializer` as leaves of their kind.
macro_rules! push_number {
    ($($method:ident($t:ty) => $kind:ident),*) => {$(
        #[inline]
        fn $method(self, v: $t) -> Result<()> {
            self.b.push(LeafKind::$kind, self.depth, &v.to_ne_bytes())
        }
    )*};
}

impl<'b> ser::Serializer for ElementSerializer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ElementSeq<'b>;
    type SerializeTuple = ElementTuple<'b>;
    type SerializeTupleStruct = ElementSeq<'b>;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Impossible;
    type SerializeStruct = RecordSerializer<'b>;
    type SerializeStructVariant = Impossible;

    reject!(serialize_unit serialize_unit_struct serialize_newtype_variant
        serialize_tuple_variant serialize_struct_variant);

    fn serialize_none(self) -> Result<()> {
        Err(self.reject("None (the elements would shift)"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Impossible> {
        Err(self.irregular("a map"))
    }

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.b.push(LeafKind::Bool, self.depth, &[v as u8])
    }
    numbers!(push_number);
    fn serialize_i128(self, _: i128) -> Result<()> {
        Err(self.reject("a 128-bit integer"))
    }
    fn serialize_u128(self, _: u128) -> Result<()> {
        Err(self.reject("a 128-bit integer"))
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.b.push_str(self.depth, v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.b.push_str(self.depth, v.to_string())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.b.start_seq(self.depth)?;
        if !v.is_empty() {
            // One check for the whole run of bytes, as for a sequence of `u8`s.
            self.b.push(LeafKind::U8, self.depth + 1, v)?;
        }
        self.b.end_seq(self.depth, v.len())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.b.push_str(self.depth, variant.to_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(ElementSerializer {
            hint: hint_of::<T>,
            ..self
        })
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        match name {
            "f16" => match value.serialize(Capture::plain())? {
                Captured::Scalar(scalar) if scalar.kind == LeafKind::U16 => {
                    self.b.push(LeafKind::F16, self.depth, scalar.bytes())
                }
                _ => Err(self.reject("a newtype f16 that does not hold u16 bits")),
            },
            "bf16" => match value.serialize(Capture::plain())? {
                Captured::Scalar(scalar) if scalar.kind == LeafKind::U16 => {
                    self.b.push(LeafKind::BF16, self.depth, scalar.bytes())
                }
                _ => Err(self.reject("a newtype bf16 that does not hold u16 bits")),
            },
            BULK_ARRAY => Err(self.irregular("an array (Bulk or serde_array)")),
            _ => value.serialize(ElementSerializer {
                hint: hint_of::<T>,
                ..self
            }),
        }
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ElementSeq<'b>> {
        self.b.start_seq(self.depth)?;
        if self.depth == 0 {
            self.b.set_outer_len(len);
        }
        Ok(ElementSeq {
            b: self.b,
            depth: self.depth,
            count: 0,
        })
    }

    fn serialize_tuple(self, _: usize) -> Result<ElementTuple<'b>> {
        if (self.hint)() == Hint::None {
            return self.serialize_seq(None).map(ElementTuple::Seq);
        }
        Ok(ElementTuple::Complex {
            b: self.b,
            depth: self.depth,
            parts: ComplexParts::new((self.hint)()),
        })
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<ElementSeq<'b>> {
        self.serialize_seq(None)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<RecordSerializer<'b>> {
        let defining = self.b.start_record(self.depth)?;
        Ok(RecordSerializer {
            b: self.b,
            depth: self.depth,
            index: 0,
            defining,
        })
    }
}

/// A nested sequence at `depth`.
pub struct ElementSeq<'b> {
    b: &'b mut ArrayBuilder,
    depth: usize,
    count: usize,
}

impl<'b> ElementSeq<'b> {
    /// A sequence at `depth` of the member being built in `b`.
    pub(super) fn at(b: &'b mut ArrayBuilder, depth: usize) -> Self {
        ElementSeq { b, depth, count: 0 }
    }

    #[inline]
    pub(super) fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.count += 1;
        value.serialize(ElementSerializer {
            b: self.b,
            depth: self.depth + 1,
            hint: hint_of::<T>,
        })
    }

    /// Ends the sequence, handing back the builder.
    fn finish(self) -> Result<()> {
        self.b.end_seq(self.depth, self.count)
    }
}

sequence_impls!([] ElementSeq<'_> => (): SerializeSeq::serialize_element,
    SerializeTupleStruct::serialize_field);

/// A tuple element: a dimension, or a complex number's `(re, im)`.
pub enum ElementTuple<'b> {
    Seq(ElementSeq<'b>),
    Complex {
        b: &'b mut ArrayBuilder,
        depth: usize,
        parts: ComplexParts,
    },
}

impl ser::SerializeTuple for ElementTuple<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        match self {
            ElementTuple::Seq(seq) => seq.element(value),
            ElementTuple::Complex { parts, .. } => parts.add(value),
        }
    }
    fn end(self) -> Result<()> {
        match self {
            ElementTuple::Seq(seq) => seq.finish(),
            ElementTuple::Complex { b, depth, parts } => b.push_scalar(parts.scalar()?, depth),
        }
    }
}

/// A struct inside a sequence: one record; its fields make the record dtype. Its values
/// are kept aside until the record is complete, so that a record that turns out to be a
/// group (a field holding an array, a skipped field) leaves the finished ones whole.
pub struct RecordSerializer<'b> {
    b: &'b mut ArrayBuilder,
    depth: usize,
    index: usize,
    defining: bool,
}

impl RecordSerializer<'_> {
    /// The error for a record that is a group, marked as such at the outermost level.
    fn irregular(&mut self, message: String) -> Error {
        self.b.mark_irregular(self.depth);
        Error::unwritable(message)
    }
}

impl ser::SerializeStruct for RecordSerializer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let (kind, captured) = match value.serialize(Capture::with_hint(hint_of::<T>())) {
            Ok(Captured::Scalar(scalar)) => (scalar.kind, Captured::Scalar(scalar)),
            Ok(Captured::Str(text)) => (LeafKind::Str, Captured::Str(text)),
            _ => {
                return Err(self.irregular(format!(
                    "record field {key:?} must be a number, bool, f16, complex number or \
                     string"
                )))
            }
        };
        if self.defining {
            self.b.define_record_field(key, kind);
        } else {
            match self.b.record_field(self.index) {
                Some((name, first)) if name == key && first == kind => {}
                _ => {
                    return Err(self.irregular(format!(
                        "records differ: field {} is {key:?} ({}), not as in the first record",
                        self.index,
                        kind.name()
                    )))
                }
            }
        }
        self.index += 1;
        match captured {
            Captured::Scalar(scalar) => self.b.push_record_bytes(scalar.bytes()),
            Captured::Str(text) => {
                check_no_trailing_nul(&text)?;
                self.b.push_record_string(text)
            }
            Captured::Seq(_) => unreachable!("matched above"),
        }
        Ok(())
    }

    fn skip_field(&mut self, key: &'static str) -> Result<()> {
        // A field every record skips is simply not in the dtype; one that some skip and
        // others have makes the sequence a list of groups.
        let defined = !self.defining
            && self
                .b
                .record_field(self.index)
                .is_some_and(|(name, _)| name == key);
        if defined {
            return Err(self.irregular(format!(
                "record field {key:?} is skipped here but not in the first record"
            )));
        }
        Ok(())
    }

    fn end(mut self) -> Result<()> {
        let fields = self.b.record_field_count();
        if self.index != fields || fields == 0 {
            return Err(self.irregular(
                "records must all have the same, non-empty list of fields".to_string(),
            ));
        }
        self.b.finish_record();
        Ok(())
    }
}
