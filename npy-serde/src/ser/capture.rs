//! Small values captured whole: map keys, ndarray's `dim`, record fields, complex parts
//! and the header parts of a bulk array.

use serde::ser::{self, Serialize};

use super::element::{hint_of, ComplexParts, Hint, LeafKind};
use crate::convert::Number;
use crate::errors::{Error, Result};

/// A scalar's kind and native bytes.
#[derive(Clone, Copy)]
pub struct Scalar {
    pub(super) kind: LeafKind,
    bytes: [u8; 16],
}

impl Scalar {
    pub(super) fn new(kind: LeafKind, bytes: &[u8]) -> Self {
        let mut buffer = [0; 16];
        buffer[..bytes.len()].copy_from_slice(bytes);
        Scalar {
            kind,
            bytes: buffer,
        }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes[..self.kind.dtype().map_or(0, |d| d.itemsize())]
    }

    pub(super) fn as_f64(&self) -> f64 {
        match self.kind {
            LeafKind::F32 => {
                f32::from_ne_bytes(self.bytes[..4].try_into().expect("4 bytes")) as f64
            }
            _ => f64::from_ne_bytes(self.bytes[..8].try_into().expect("8 bytes")),
        }
    }
}

pub enum Captured {
    Scalar(Scalar),
    Str(String),
    Seq(Vec<Captured>),
}

impl Captured {
    fn as_usize(&self) -> Option<usize> {
        match self {
            Captured::Scalar(s) if s.kind == LeafKind::U64 => {
                usize::try_from(u64::from_ne_bytes(s.bytes[..8].try_into().ok()?)).ok()
            }
            _ => None,
        }
    }

    /// A map key's text: strings as they are, integers in decimal, bools as `true` /
    /// `false` (as serde_json writes such keys); floats have no key form.
    pub(super) fn as_key_text(&self) -> Option<String> {
        let Captured::Scalar(s) = self else {
            return match self {
                Captured::Str(text) => Some(text.clone()),
                _ => None,
            };
        };
        // The scalar's bytes are its dtype's, in native order: the conversion model decodes.
        match Number::decode(&s.kind.dtype()?, s.bytes())? {
            Number::Bool(v) => Some(v.to_string()),
            Number::Int(v) => Some(v.to_string()),
            Number::UInt(v) => Some(v.to_string()),
            Number::Float(_) | Number::Complex(_) => None,
        }
    }

    /// A sequence of lengths.
    pub(super) fn as_shape(&self) -> Option<Vec<usize>> {
        match self {
            Captured::Seq(items) => items.iter().map(Captured::as_usize).collect(),
            _ => None,
        }
    }

    pub(super) fn as_bool(&self) -> Option<bool> {
        match self {
            Captured::Scalar(s) if s.kind == LeafKind::Bool => Some(s.bytes[0] != 0),
            _ => None,
        }
    }
}

pub struct Capture {
    hint: Hint,
}

impl Capture {
    /// Captures a value read by its serde form alone.
    pub(super) fn plain() -> Self {
        Capture { hint: Hint::None }
    }

    /// Captures a value whose type gave `hint` (a complex number's tuple).
    pub(super) fn with_hint(hint: Hint) -> Self {
        Capture { hint }
    }

    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!("expected a number, bool or string, found {what}"))
    }
}

macro_rules! capture_scalar {
    ($($method:ident($t:ty) => $kind:ident),*) => {$(
        fn $method(self, v: $t) -> Result<Captured> {
            Ok(Captured::Scalar(Scalar::new(LeafKind::$kind, &v.to_ne_bytes())))
        }
    )*};
}

impl ser::Serializer for Capture {
    type Ok = Captured;
    type Error = Error;
    type SerializeSeq = CaptureSeq;
    type SerializeTuple = CaptureSeq;
    type SerializeTupleStruct = ser::Impossible<Captured, Error>;
    type SerializeTupleVariant = ser::Impossible<Captured, Error>;
    type SerializeMap = ser::Impossible<Captured, Error>;
    type SerializeStruct = ser::Impossible<Captured, Error>;
    type SerializeStructVariant = ser::Impossible<Captured, Error>;

    numbers!(capture_scalar);

    fn serialize_bool(self, v: bool) -> Result<Captured> {
        Ok(Captured::Scalar(Scalar::new(LeafKind::Bool, &[v as u8])))
    }
    fn serialize_char(self, v: char) -> Result<Captured> {
        Ok(Captured::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Captured> {
        Ok(Captured::Str(v.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Captured> {
        Err(self.reject("bytes"))
    }
    fn serialize_none(self) -> Result<Captured> {
        Err(self.reject("None"))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Captured> {
        value.serialize(Capture {
            hint: hint_of::<T>(),
        })
    }
    fn serialize_unit(self) -> Result<Captured> {
        Err(self.reject("()"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Captured> {
        Err(self.reject("a unit struct"))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Captured> {
        Ok(Captured::Str(variant.to_string()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Captured> {
        let inner = value.serialize(Capture {
            hint: hint_of::<T>(),
        })?;
        match (name, inner) {
            ("f16", Captured::Scalar(s)) if s.kind == LeafKind::U16 => {
                Ok(Captured::Scalar(Scalar::new(LeafKind::F16, s.bytes())))
            }
            ("bf16", Captured::Scalar(s)) if s.kind == LeafKind::U16 => {
                Ok(Captured::Scalar(Scalar::new(LeafKind::BF16, s.bytes())))
            }
            (_, inner) => Ok(inner),
        }
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Captured> {
        Err(self.reject("an enum variant with data"))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<CaptureSeq> {
        Ok(CaptureSeq {
            items: Vec::with_capacity(len.unwrap_or(0).min(64)),
            hint: Hint::None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<CaptureSeq> {
        Ok(CaptureSeq {
            items: Vec::with_capacity(len.min(64)),
            hint: self.hint,
        })
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(self.reject("a tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(self.reject("an enum variant with data"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(self.reject("a map"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(self.reject("a struct"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(self.reject("an enum variant with data"))
    }
}

pub struct CaptureSeq {
    items: Vec<Captured>,
    hint: Hint,
}

impl CaptureSeq {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(Capture {
            hint: hint_of::<T>(),
        })?);
        Ok(())
    }

    fn finish(self) -> Result<Captured> {
        if self.hint == Hint::None {
            return Ok(Captured::Seq(self.items));
        }
        let mut parts = ComplexParts::new(self.hint);
        for item in &self.items {
            parts.add_captured(item)?;
        }
        parts.scalar().map(Captured::Scalar)
    }
}

sequence_impls!([] CaptureSeq => Captured: SerializeSeq::serialize_element,
    SerializeTuple::serialize_element);
