//! Small values captured whole: map keys, ndarray's `dim`, record fields, complex parts
//! (gathered in [`ComplexParts`]) and the header parts of a bulk array.

use num_complex::Complex;
use serde::ser::{self, Serialize};

use super::leaf::{hint_of, Hint, LeafKind, Scalar};
use crate::convert::Number;
use crate::errors::{Error, Result};

pub enum Captured {
    Scalar(Scalar),
    Str(String),
    Seq(Vec<Captured>),
}

impl Captured {
    fn as_usize(&self) -> Option<usize> {
        match self {
            Captured::Scalar(s) => usize::try_from(s.as_u64()?).ok(),
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

    /// An integer or bool map key's value: such keys sort by number (`2` before `10`),
    /// where their text would not.
    pub(super) fn as_key_number(&self) -> Option<i128> {
        let Captured::Scalar(s) = self else {
            return None;
        };
        match Number::decode(&s.kind.dtype()?, s.bytes())? {
            Number::Bool(v) => Some(i128::from(v)),
            Number::Int(v) => Some(i128::from(v)),
            Number::UInt(v) => Some(i128::from(v)),
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
            Captured::Scalar(s) => s.as_bool(),
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

/// The `(re, im)` parts of a complex number being serialized.
pub struct ComplexParts {
    kind: LeafKind,
    parts: Vec<f64>,
}

impl ComplexParts {
    /// The parts of a complex number when `hint` says the tuple is one.
    pub(super) fn for_hint(hint: Hint) -> Option<Self> {
        (hint != Hint::None).then(|| ComplexParts::new(hint))
    }

    pub(super) fn new(hint: Hint) -> Self {
        let kind = match hint {
            Hint::Complex32 => LeafKind::C64,
            _ => LeafKind::C128,
        };
        ComplexParts {
            kind,
            parts: Vec::with_capacity(2),
        }
    }

    pub(super) fn add<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.add_captured(&value.serialize(Capture::plain())?)
    }

    pub(super) fn add_captured(&mut self, part: &Captured) -> Result<()> {
        match part {
            Captured::Scalar(scalar) if matches!(scalar.kind, LeafKind::F32 | LeafKind::F64) => {
                self.parts.push(scalar.as_f64());
                Ok(())
            }
            _ => Err(Error::unwritable("complex parts must be floats")),
        }
    }

    /// The complex number made of the two parts.
    pub(super) fn scalar(&self) -> Result<Scalar> {
        let [re, im] = self.parts[..] else {
            return Err(Error::unwritable(
                "a complex number needs two parts (re, im)",
            ));
        };
        Ok(if self.kind == LeafKind::C64 {
            let value = Complex::new(re as f32, im as f32);
            Scalar::new(self.kind, bytemuck::bytes_of(&value))
        } else {
            Scalar::new(self.kind, bytemuck::bytes_of(&Complex::new(re, im)))
        })
    }
}
