//! Object members (`dtype=object`, read by the safe pickle reader when the
//! [`SerdeOptions`](crate::SerdeOptions)' read options allow pickles): the
//! array's values as nested sequences by its shape, each value as what it is in Python
//! (`str` → string, `int` → integer, `list` → sequence, `dict` → map, `None` → `None`, a
//! NumPy array inside → an array read like any member). So `Vec<String>`,
//! `Vec<Option<String>>`, `Vec<Vec<f64>>` (ragged) and `Vec<ArrayD<f32>>` fields load from
//! the object arrays pandas and ragged data produce.

use serde::de::value::{SeqDeserializer, StringDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::member::{ArrayDe, Member};
use crate::errors::{Error, Result};
use crate::pickle::{ObjectArray, PickledArray, PickledData, Value};
use crate::serde_format::NDARRAY_FIELDS;

/// The part of an object array at `depth` starting at C-order element `start`.
#[derive(Clone, Copy)]
pub(super) struct ObjectDe<'m> {
    pub(super) objects: &'m ObjectArray,
    pub(super) depth: usize,
    pub(super) start: usize,
}

impl<'m> ObjectDe<'m> {
    fn is_leaf(&self) -> bool {
        self.depth == self.objects.shape.len()
    }

    /// Elements in one item at `depth`.
    fn block(&self, depth: usize) -> usize {
        self.objects.shape[depth..].iter().product()
    }

    fn value(&self) -> &'m Value {
        &self.objects.values[self.start]
    }

    fn rows<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let len = self.objects.shape[self.depth];
        let block = self.block(self.depth + 1);
        let objects = self.objects;
        let depth = self.depth + 1;
        let start = self.start;
        visitor.visit_seq(SeqDeserializer::new((0..len).map(move |i| ObjectDe {
            objects,
            depth,
            start: start + i * block,
        })))
    }
}

impl<'de> IntoDeserializer<'de, Error> for ObjectDe<'_> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// Forwards each named method to the value at a leaf; above the leaves, sequences.
macro_rules! object_leaf {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value> {
            if self.is_leaf() {
                return ValueDe(self.value()).$method($($arg,)* visitor);
            }
            self.rows(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ObjectDe<'_> {
    type Error = Error;

    object_leaf! {
        deserialize_any() deserialize_bool() deserialize_i8() deserialize_i16()
        deserialize_i32() deserialize_i64() deserialize_u8() deserialize_u16()
        deserialize_u32() deserialize_u64() deserialize_f32() deserialize_f64()
        deserialize_char() deserialize_str() deserialize_string() deserialize_bytes()
        deserialize_byte_buf() deserialize_option() deserialize_unit()
        deserialize_unit_struct(name: &'static str) deserialize_seq()
        deserialize_tuple(len: usize) deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_map() deserialize_enum(name: &'static str, variants: &'static [&'static str])
        deserialize_identifier() deserialize_ignored_any()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if self.is_leaf() {
            return ValueDe(self.value()).deserialize_newtype_struct(name, visitor);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.is_leaf() {
            return ValueDe(self.value()).deserialize_struct(name, fields, visitor);
        }
        if self.depth == 0 && fields == NDARRAY_FIELDS {
            // ndarray's form of the whole object array: (v, dim, data in C order).
            let dim = self.objects.shape.clone();
            let objects = self.objects;
            let data = (0..objects.values.len()).map(move |start| ObjectDe {
                objects,
                depth: objects.shape.len(),
                start,
            });
            let data = SeqDeserializer::<_, Error>::new(data);
            let parts = [
                Part::Version,
                Part::Dim(dim),
                Part::Data(std::cell::RefCell::new(Some(data))),
            ];
            return visitor.visit_seq(SeqDeserializer::new(parts.into_iter()));
        }
        self.rows(visitor)
    }
}

/// One part of ndarray's `(v, dim, data)` form of an object array.
enum Part<D> {
    Version,
    Dim(Vec<usize>),
    Data(std::cell::RefCell<Option<D>>),
}

impl<'de, D> IntoDeserializer<'de, Error> for Part<D>
where
    D: de::SeqAccess<'de, Error = Error>,
{
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de, D> de::Deserializer<'de> for Part<D>
where
    D: de::SeqAccess<'de, Error = Error>,
{
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Part::Version => visitor.visit_u8(1),
            Part::Dim(dim) => visitor.visit_seq(SeqDeserializer::new(dim.into_iter())),
            Part::Data(data) => {
                let data = data.into_inner().expect("data taken once");
                visitor.visit_seq(data)
            }
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// One Python value.
pub(super) struct ValueDe<'v>(pub(super) &'v Value);

impl<'de> IntoDeserializer<'de, Error> for ValueDe<'_> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// Deserializes the NumPy array inside an object array (ragged data) like a member.
fn with_array<T>(
    array: &PickledArray,
    by_value: bool,
    f: impl FnOnce(ArrayDe<'_>) -> Result<T>,
) -> Result<T> {
    let PickledData::Bytes(bytes) = &array.data else {
        return Err(Error::invalid_data(
            "an object array nested in an object array is read as Python values, not as an \
             array of one dtype",
        ));
    };
    // Values come out in the stored order the header says.
    let header = array.header.clone();
    let member = if by_value {
        Member::whole(header, bytes)
    } else {
        Member::new(header, bytes)
    };
    f(ArrayDe {
        member: &member,
        depth: 0,
        start: 0,
    })
}

/// Forwards each named method to the NumPy array a value holds, or to `deserialize_any`.
macro_rules! value_methods {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value> {
            match self.0 {
                Value::Array(array) => with_array(array, false, |a| a.$method($($arg,)* visitor)),
                Value::Scalar(array) => with_array(array, true, |a| a.$method($($arg,)* visitor)),
                _ => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        fn items(items: &[Value]) -> SeqDeserializer<impl Iterator<Item = ValueDe<'_>>, Error> {
            SeqDeserializer::new(items.iter().map(ValueDe))
        }
        match self.0 {
            Value::None => visitor.visit_unit(),
            Value::Bool(v) => visitor.visit_bool(*v),
            Value::Int(v) => visitor.visit_i64(*v),
            Value::BigInt(v) => match i128::try_from(v) {
                Ok(v) => visitor.visit_i128(v),
                Err(_) => Err(Error::invalid_data(format!(
                    "the Python int {v} does not fit in 128 bits"
                ))),
            },
            Value::Float(v) => visitor.visit_f64(*v),
            Value::Complex(v) => visitor.visit_seq(SeqDeserializer::new([v.re, v.im].into_iter())),
            Value::Str(v) => visitor.visit_str(v),
            Value::Bytes(v) | Value::ByteArray(v) => visitor.visit_bytes(v),
            Value::List(v) | Value::Tuple(v) | Value::Set(v) | Value::FrozenSet(v) => {
                visitor.visit_seq(items(v))
            }
            Value::Dict(pairs) => visitor.visit_map(de::value::MapDeserializer::new(
                pairs.iter().map(|(k, v)| (ValueDe(k), ValueDe(v))),
            )),
            Value::Array(array) => with_array(array, false, |a| a.deserialize_any(visitor)),
            Value::Scalar(array) => with_array(array, true, |a| a.deserialize_any(visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Value::None => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        match self.0 {
            Value::Array(array) => with_array(array, false, |a| {
                a.deserialize_newtype_struct(name, visitor)
            }),
            Value::Scalar(array) => {
                with_array(array, true, |a| a.deserialize_newtype_struct(name, visitor))
            }
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.0 {
            Value::Str(variant) => {
                let variant: StringDeserializer<Error> = variant.clone().into_deserializer();
                visitor.visit_enum(variant)
            }
            Value::Array(array) | Value::Scalar(array) => {
                with_array(array, true, |a| a.deserialize_enum(name, variants, visitor))
            }
            other => Err(Error::invalid_data(format!(
                "enum {name} from a Python {}, not a str",
                other.type_name()
            ))),
        }
    }

    value_methods! {
        deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32()
        deserialize_i64() deserialize_u8() deserialize_u16() deserialize_u32()
        deserialize_u64() deserialize_i128() deserialize_u128() deserialize_f32()
        deserialize_f64() deserialize_char() deserialize_str() deserialize_string()
        deserialize_bytes() deserialize_byte_buf() deserialize_unit()
        deserialize_unit_struct(name: &'static str) deserialize_seq()
        deserialize_tuple(len: usize) deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_map() deserialize_struct(name: &'static str, fields: &'static [&'static str])
        deserialize_identifier() deserialize_ignored_any()
    }
}
