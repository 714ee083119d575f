//! One member's elements: numbers through the conversion table of
//! [`convert`](crate::convert) (0-d members by value), strings, complex numbers as their
//! parts, records as maps of their fields, and nested sequences in logical C order
//! whatever the stored order.

use half::{bf16, f16};
use serde::de::value::{SeqDeserializer, StringDeserializer, U16Deserializer, UsizeDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use crate::convert::{self, FromValue, Number, Target};
use crate::dtype::{DType, Endian, Record};
use crate::elements::NpyElement;
use crate::errors::{Error, ErrorKind, Result};
use crate::header::Header;
use crate::serde_format::{mismatch, shape_text, NDARRAY_FIELDS};

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
    Number(Number),
    /// A `U` or `S` element's bytes (decoded when asked for).
    Str(&'x [u8]),
    Record(&'x [u8]),
    Other,
}

/// A member as read: header, data bytes (the read buffer, or a record element's field), and
/// what decoding needs.
pub(super) struct Member<'b> {
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
    /// The conversion table's answer for the one [`Target`] asked of this member so far:
    /// a member's elements are all asked as one type, so the table is consulted once per
    /// member (record fields build a `Member` per field per record, so nothing is worked
    /// out ahead).
    allowed: std::cell::Cell<Option<(Target, bool)>>,
}

impl<'b> Member<'b> {
    /// A whole member: a 0-d one reads by value.
    pub(super) fn whole(header: Header, bytes: &'b [u8]) -> Member<'b> {
        let mut member = Member::new(header, bytes);
        member.by_value = member.header.shape.is_empty();
        member
    }

    pub(super) fn new(header: Header, bytes: &'b [u8]) -> Member<'b> {
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
        Member {
            codec: Codec::of(&header.dtype),
            itemsize: header.dtype.itemsize(),
            header,
            bytes,
            strides,
            by_value: false,
            allowed: std::cell::Cell::new(None),
        }
    }

    fn allows(&self, target: Target) -> bool {
        match self.allowed.get() {
            Some((asked, allowed)) if asked == target => allowed,
            _ => {
                let allowed = convert::array_conversion(&self.header.dtype, target).is_allowed();
                self.allowed.set(Some((target, allowed)));
                allowed
            }
        }
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
        let value = Number::decode_as(&self.header.dtype, bytes, T::TARGET)
            .ok_or_else(|| self.refusal(T::TARGET))?;
        T::from_value(value)
    }

    /// The error for elements of this member asked for as `target`.
    fn refusal(&self, target: Target) -> Error {
        Error::from(ErrorKind::DtypeMismatch {
            expected: format!(
                "{}-D {} ({})",
                self.ndim(),
                target.numpy_name(),
                target.rust_name()
            ),
            found: format!(
                "shape {} {}",
                shape_text(&self.header.shape),
                convert::describe_dtype(&self.header.dtype)
            ),
        })
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
            _ => Number::decode(&self.header.dtype, bytes).map_or(Leaf::Other, Leaf::Number),
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
pub(super) struct ArrayDe<'m> {
    pub(super) member: &'m Member<'m>,
    pub(super) depth: usize,
    pub(super) start: usize,
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

    /// This element's bytes when it is an `S` byte string (NUL padding stripped, as NumPy
    /// strips it), which `Vec<u8>` reads as in the typed reader.
    fn byte_string(&self) -> Option<&'m [u8]> {
        if !self.is_leaf() || !matches!(self.member.header.dtype, DType::Bytes { .. }) {
            return None;
        }
        let item = self.member.element_bytes(self.start);
        let end = item.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        Some(&item[..end])
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
            if rows > crate::elements::MAX_ZERO_WIDTH_ITEMS {
                return Err(Error::invalid_data(format!(
                    "shape {} holds no elements but {rows} empty rows: more than the {} \
                     built as Rust values, since the file's size does not bound them (read it \
                     as an ndarray array, which needs no rows)",
                    shape_text(shape),
                    crate::elements::MAX_ZERO_WIDTH_ITEMS
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
            Leaf::Number(Number::Bool(v)) => visitor.visit_bool(v),
            // Each number as its own type, so a self-describing consumer (serde's buffering
            // for `flatten`, a `serde_json::Value`) keeps the member's dtype.
            Leaf::Number(Number::Int(v)) => match self.member.itemsize {
                1 => visitor.visit_i8(v as i8),
                2 => visitor.visit_i16(v as i16),
                4 => visitor.visit_i32(v as i32),
                _ => visitor.visit_i64(v),
            },
            Leaf::Number(Number::UInt(v)) => match self.member.itemsize {
                1 => visitor.visit_u8(v as u8),
                2 => visitor.visit_u16(v as u16),
                4 => visitor.visit_u32(v as u32),
                _ => visitor.visit_u64(v),
            },
            Leaf::Number(Number::Float(v)) if self.member.itemsize <= 4 => {
                visitor.visit_f32(v as f32)
            }
            Leaf::Number(Number::Float(v)) => visitor.visit_f64(v),
            Leaf::Number(Number::Complex(_)) => self.complex_parts(visitor),
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
        if let Some(bytes) = self.byte_string() {
            return visitor.visit_bytes(bytes);
        }
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
        // half's f16 and bf16 serialize as newtype structs of their bits.
        let bits = match name {
            "f16" => Some(self.number::<f16>()?.to_bits()),
            "bf16" => Some(self.number::<bf16>()?.to_bits()),
            _ => None,
        };
        if let Some(bits) = bits {
            let bits: U16Deserializer<Error> = bits.into_deserializer();
            return visitor.visit_newtype_struct(bits);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if let Some(bytes) = self.byte_string() {
            // `Vec<u8>` (serde reads it as a sequence) from an `S` element.
            return visitor.visit_seq(SeqDeserializer::new(bytes.iter().copied()));
        }
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
            return Err(Error::from(ErrorKind::ShapeMismatch {
                expected: format!("length {len} at dimension {}", self.depth),
                found: self.member.header.shape.clone(),
            }));
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
            Leaf::Number(Number::Int(v)) => visitor.visit_i128(v as i128),
            Leaf::Number(Number::UInt(v)) => visitor.visit_i128(v as i128),
            _ => Err(self.wrong("int128")),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.leaf("uint128")? {
            Leaf::Number(Number::UInt(v)) => visitor.visit_u128(v as u128),
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
pub(super) struct DimDe<'h> {
    pub(super) header: &'h Header,
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
        .map_err(|e| match e.kind() {
            ErrorKind::DtypeMismatch { .. } => e.in_field(&field.name),
            _ => e,
        })
    }
}
