//! Elements of one member: numbers, bools, `f16`, complex numbers, strings and records,
//! nested in rectangular sequences, gathered in an [`ArrayBuilder`] (native byte order, C
//! order) and written as one `.npy` member.

use num_complex::Complex;
use serde::ser::{self, Serialize};

use super::capture::{Capture, Captured, Scalar};
use super::Impossible;
use crate::convert::Target;
use crate::dtype::{DType, Endian, Record};
use crate::elements::{FixedElement, NpyElement};
use crate::errors::{Error, Result};
use crate::header::Header;
use crate::serde_format::{escape_key, join_path, shape_text, RawMember, WriteMembers, BULK_ARRAY};
use crate::write::Shaped;

/// The dtype of the leaves (elements) of a member being built: a number type of the
/// conversion model ([`Target`]), a string, or a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    Number(Target),
    Str,
    Record,
}

/// The number kinds under their short names, usable as patterns.
#[allow(non_upper_case_globals)]
impl LeafKind {
    pub const Bool: LeafKind = LeafKind::Number(Target::Bool);
    pub const I8: LeafKind = LeafKind::Number(Target::I8);
    pub const I16: LeafKind = LeafKind::Number(Target::I16);
    pub const I32: LeafKind = LeafKind::Number(Target::I32);
    pub const I64: LeafKind = LeafKind::Number(Target::I64);
    pub const U8: LeafKind = LeafKind::Number(Target::U8);
    pub const U16: LeafKind = LeafKind::Number(Target::U16);
    pub const U32: LeafKind = LeafKind::Number(Target::U32);
    pub const U64: LeafKind = LeafKind::Number(Target::U64);
    pub const F16: LeafKind = LeafKind::Number(Target::F16);
    pub const BF16: LeafKind = LeafKind::Number(Target::BF16);
    pub const F32: LeafKind = LeafKind::Number(Target::F32);
    pub const F64: LeafKind = LeafKind::Number(Target::F64);
    pub const C64: LeafKind = LeafKind::Number(Target::C64);
    pub const C128: LeafKind = LeafKind::Number(Target::C128);
}

impl LeafKind {
    /// The number type of a fixed-width kind.
    fn target(self) -> Option<Target> {
        match self {
            LeafKind::Number(target) => Some(target),
            LeafKind::Str | LeafKind::Record => None,
        }
    }

    /// The dtype of a fixed-width kind, native byte order.
    pub(super) fn dtype(self) -> Option<DType> {
        self.target().and_then(Target::dtype)
    }

    fn name(self) -> String {
        match self {
            LeafKind::Str => "string".to_string(),
            LeafKind::Record => "struct".to_string(),
            other => other.target().expect("fixed kind").numpy_name().to_string(),
        }
    }
}

/// How a value whose serde form is ambiguous should be read, from its Rust type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    None,
    Complex32,
    Complex64,
}

/// How to get the hint of a value's type, called only when its serde form is ambiguous
/// (a tuple), so the common case costs nothing per element.
pub(super) type HintFn = fn() -> Hint;

pub(super) fn no_hint() -> Hint {
    Hint::None
}

/// The hint for a value of type `T` (references looked through): complex numbers are
/// recognised by type because serde shows them as a plain `(re, im)` tuple.
#[inline]
pub(super) fn hint_of<T: ?Sized>() -> Hint {
    let name = std::any::type_name::<T>().trim_start_matches('&');
    if name == std::any::type_name::<Complex<f32>>() {
        Hint::Complex32
    } else if name == std::any::type_name::<Complex<f64>>() {
        Hint::Complex64
    } else {
        Hint::None
    }
}

/// One member under construction: the leaves' kind and bytes (native order, C order), and
/// the length seen at each nesting depth, checked to be the same for every row.
#[derive(Default)]
pub struct ArrayBuilder {
    kind: Option<LeafKind>,
    leaf_depth: usize,
    lens: Vec<Option<usize>>,
    /// Fixed-width leaves, or the fixed-width fields of each finished record.
    bytes: Vec<u8>,
    /// String leaves, or the string fields of each finished record.
    strings: Vec<String>,
    /// The fields of record elements, set by the first one.
    record: Vec<(String, LeafKind)>,
    /// Records finished (a record is kept only once all its fields are in).
    records: usize,
    /// The record being built: its fixed-width bytes and strings.
    pending_bytes: Vec<u8>,
    pending_strings: Vec<String>,
    /// The length the outermost sequence announced (ndarray's flat data does): room for
    /// that many leaves is made when the first one fixes their size.
    len_hint: Option<usize>,
    /// Set when an element of the outermost sequence cannot be an array element but can
    /// be a group (a struct holding arrays, a map, an ndarray, a record unlike the first):
    /// the sequence is then written as indexed groups.
    irregular: bool,
}

impl ArrayBuilder {
    /// Empties the builder, keeping its buffers' capacity for the next member.
    pub(super) fn reset(&mut self) {
        self.kind = None;
        self.leaf_depth = 0;
        self.lens.clear();
        self.bytes.clear();
        self.strings.clear();
        self.record.clear();
        self.records = 0;
        self.len_hint = None;
        self.pending_bytes.clear();
        self.pending_strings.clear();
        self.irregular = false;
    }

    /// The length of the outermost sequence, when it says.
    pub(super) fn set_len_hint(&mut self, len: Option<usize>) {
        self.len_hint = len;
    }

    /// Marks the sequence being built as one of groups, after an element at `depth` that
    /// cannot be an array element: an element of the outermost sequence (records built
    /// before it become groups too), or a deeper one while nothing is built yet
    /// (`Vec<Vec<Layer>>` becomes `x/0/0/…`).
    fn mark_irregular(&mut self, depth: usize) {
        let nothing_built = self.records == 0 && self.bytes.is_empty() && self.strings.is_empty();
        if depth == 1 || (depth > 1 && nothing_built) {
            self.irregular = true;
        }
    }

    /// Whether the last element failed for being a group (and clears the mark).
    pub(super) fn take_irregular(&mut self) -> bool {
        std::mem::take(&mut self.irregular)
    }

    /// Appends one fixed-width leaf.
    #[inline]
    fn push(&mut self, kind: LeafKind, depth: usize, bytes: &[u8]) -> Result<()> {
        if self.kind != Some(kind) || self.leaf_depth != depth {
            self.start_leaf(kind, depth)?;
        }
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn push_str(&mut self, depth: usize, text: String) -> Result<()> {
        check_no_trailing_nul(&text)?;
        if self.kind != Some(LeafKind::Str) || self.leaf_depth != depth {
            self.start_leaf(LeafKind::Str, depth)?;
        }
        self.strings.push(text);
        Ok(())
    }

    /// Checks a leaf of `kind` at `depth` against the leaves so far: the first one sets
    /// the kind and the number of dimensions.
    fn start_leaf(&mut self, kind: LeafKind, depth: usize) -> Result<()> {
        match self.kind {
            None => {
                if self.lens.len() > depth {
                    return Err(ragged(depth));
                }
                self.kind = Some(kind);
                self.leaf_depth = depth;
                if let (Some(len), 1) = (self.len_hint.take(), depth) {
                    self.reserve(kind, len);
                }
                Ok(())
            }
            Some(first) if first != kind => Err(Error::unwritable(format!(
                "elements of different types in one array: {} and {}",
                first.name(),
                kind.name()
            ))),
            Some(_) if self.leaf_depth != depth => Err(ragged(depth.min(self.leaf_depth))),
            Some(_) => Ok(()),
        }
    }

    /// Makes room for `len` leaves of `kind` in one allocation (huge pages when large),
    /// rather than doubling through the copy of a large array.
    fn reserve(&mut self, kind: LeafKind, len: usize) {
        match kind.dtype() {
            Some(dtype) if self.bytes.capacity() < len * dtype.itemsize() => {
                let needed = len.saturating_mul(dtype.itemsize());
                self.bytes = crate::buffer::vec_for_write(needed);
            }
            None if kind == LeafKind::Str => self.strings.reserve(len),
            _ => {}
        }
    }

    /// Checks that a sequence may start at `depth` (not where elements are).
    fn start_seq(&self, depth: usize) -> Result<()> {
        if self.kind.is_some() && depth >= self.leaf_depth {
            return Err(ragged(self.leaf_depth));
        }
        Ok(())
    }

    /// Records a sequence of `count` items at `depth`: all must have the same length.
    pub(super) fn end_seq(&mut self, depth: usize, count: usize) -> Result<()> {
        if self.lens.len() <= depth {
            self.lens.resize(depth + 1, None);
        }
        match self.lens[depth] {
            None => self.lens[depth] = Some(count),
            Some(first) if first != count => {
                return Err(Error::unwritable(format!(
                    "ragged nested sequence: rows at depth {depth} have {first} and {count} \
                     items; an array needs rows of equal length"
                )))
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The shape of what was built.
    fn shape(&self) -> Vec<usize> {
        let ndim = match self.kind {
            Some(_) => self.leaf_depth,
            None => self.lens.len(),
        };
        self.lens[..ndim.min(self.lens.len())]
            .iter()
            .map(|len| len.unwrap_or(0))
            .collect()
    }

    /// Writes what was built as member `path`, with `shape` instead of the built one when
    /// given (ndarray's flat data).
    pub(super) fn write_member<S: WriteMembers>(
        &self,
        sink: &mut S,
        path: &str,
        shape: Option<Vec<usize>>,
    ) -> Result<()> {
        let built = self.shape();
        let shape = match shape {
            None => built,
            Some(shape) => {
                let count: usize = built.iter().product();
                if crate::header::element_count(&shape)? != count || built.len() != 1 {
                    return Err(Error::unwritable(format!(
                        "array of shape {} has {count} elements",
                        shape_text(&shape)
                    )));
                }
                shape
            }
        };
        let dtype = match self.kind {
            Some(LeafKind::Str) => {
                return sink.add_member(path, &Shaped::new(&self.strings, &shape));
            }
            Some(LeafKind::Record) => return self.write_records(sink, path, shape),
            Some(kind) => kind.dtype().expect("fixed kind"),
            // No element to take a dtype from: NumPy's default for `np.array([])`.
            None => f64::dtype(),
        };
        let header = Header::new(dtype, shape);
        sink.add_member(
            path,
            &RawMember {
                header,
                bytes: &self.bytes,
            },
        )
    }

    /// Writes the finished records as one structured member: fixed fields as they are,
    /// strings as `<U{longest}` of their field.
    fn write_records<S: WriteMembers>(
        &self,
        sink: &mut S,
        path: &str,
        shape: Vec<usize>,
    ) -> Result<()> {
        let string_fields = self
            .record
            .iter()
            .filter(|(_, k)| *k == LeafKind::Str)
            .count();
        let widths: Vec<usize> = (0..string_fields)
            .map(|j| {
                (0..self.records)
                    .map(|r| self.strings[r * string_fields + j].chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        let mut widths_iter = widths.iter();
        let fields: Vec<(String, DType)> = self
            .record
            .iter()
            .map(|(name, kind)| {
                let dtype = match kind {
                    LeafKind::Str => DType::Unicode {
                        chars: *widths_iter.next().expect("one width per string field"),
                        endian: Endian::NATIVE,
                    },
                    other => other.dtype().expect("fixed field"),
                };
                (name.clone(), dtype)
            })
            .collect();
        let dtype = DType::Record(Record::packed(fields));
        let header = Header::new(dtype.clone(), shape);
        if string_fields == 0 {
            return sink.add_member(
                path,
                &RawMember {
                    header,
                    bytes: &self.bytes,
                },
            );
        }
        let DType::Record(record) = &dtype else {
            unreachable!("built above")
        };
        let fixed_size: usize = self.bytes.len() / self.records.max(1);
        let mut bytes = vec![0u8; record.itemsize * self.records];
        for r in 0..self.records {
            let out = &mut bytes[r * record.itemsize..(r + 1) * record.itemsize];
            let mut fixed = &self.bytes[r * fixed_size..(r + 1) * fixed_size];
            let mut strings = self.strings[r * string_fields..(r + 1) * string_fields].iter();
            for field in &record.fields {
                let size = field.dtype.itemsize();
                let slot = &mut out[field.offset..field.offset + size];
                match field.dtype {
                    DType::Unicode { .. } => {
                        let text = strings.next().expect("one string per string field");
                        String::encode(std::iter::once(text), &field.dtype, slot, size)?;
                    }
                    _ => {
                        slot.copy_from_slice(&fixed[..size]);
                        fixed = &fixed[size..];
                    }
                }
            }
        }
        sink.add_member(
            path,
            &RawMember {
                header,
                bytes: &bytes,
            },
        )
    }

    /// Writes the finished records (elements `0..count` of the sequence at `path`) as
    /// indexed groups of 0-d members, `path/0/x`, `path/0/y`, …: a sequence that turned out
    /// not to be one record array.
    pub(super) fn write_records_indexed<S: WriteMembers>(
        &self,
        sink: &mut S,
        path: &str,
        separator: &str,
        count: usize,
    ) -> Result<()> {
        match self.kind {
            _ if count == 0 => return Ok(()),
            Some(LeafKind::Record) => {}
            Some(kind) => {
                return Err(Error::unwritable(format!(
                    "elements of different kinds in one sequence: {} and a group of members",
                    kind.name()
                )))
            }
            None => return Err(Error::unwritable("mixed elements in one sequence")),
        }
        let string_fields = self
            .record
            .iter()
            .filter(|(_, k)| *k == LeafKind::Str)
            .count();
        let fixed_size: usize = self.bytes.len() / self.records.max(1);
        for r in 0..self.records {
            let element = join_path(path, &r.to_string(), separator);
            let mut fixed = &self.bytes[r * fixed_size..(r + 1) * fixed_size];
            let mut strings = self.strings[r * string_fields..(r + 1) * string_fields].iter();
            for (name, kind) in &self.record {
                let member = join_path(&element, &escape_key(name, separator), separator);
                match kind {
                    LeafKind::Str => {
                        let text = strings.next().expect("one string per string field");
                        sink.add_member(&member, &Shaped::new(std::slice::from_ref(text), &[]))?;
                    }
                    kind => {
                        let dtype = kind.dtype().expect("fixed field");
                        let size = dtype.itemsize();
                        let header = Header::new(dtype, vec![]);
                        sink.add_member(
                            &member,
                            &RawMember {
                                header,
                                bytes: &fixed[..size],
                            },
                        )?;
                        fixed = &fixed[size..];
                    }
                }
            }
        }
        Ok(())
    }
}
/// NumPy's `U` strings end at their first trailing NUL (`np.array(["a\0"])[0] == "a"`), so
/// a string ending in NUL would not load back as it was: refused at save.
fn check_no_trailing_nul(text: &str) -> Result<()> {
    if text.ends_with('\0') {
        return Err(Error::unwritable(format!(
            "the string {text:?} ends in NUL, which NumPy's 'U' strings strip (it would load \
             back shorter)"
        )));
    }
    Ok(())
}

fn ragged(depth: usize) -> Error {
    Error::unwritable(format!(
        "ragged nested sequence: some items at depth {depth} are sequences and some are \
         not, or rows differ in nesting"
    ))
}

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
        if self.depth == 0 && self.b.kind.is_none() {
            self.b.len_hint = len;
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
        let defining = self.b.kind.is_none();
        self.b.start_leaf(LeafKind::Record, self.depth)?;
        self.b.pending_bytes.clear();
        self.b.pending_strings.clear();
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
            ElementTuple::Complex { b, depth, parts } => parts.push_into(b, depth),
        }
    }
}

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

    pub(super) fn push_into(self, b: &mut ArrayBuilder, depth: usize) -> Result<()> {
        let scalar = self.scalar()?;
        b.push(scalar.kind, depth, scalar.bytes())
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
            self.b.record.push((key.to_string(), kind));
        } else {
            match self.b.record.get(self.index) {
                Some((name, first)) if name == key && *first == kind => {}
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
            Captured::Scalar(scalar) => self.b.pending_bytes.extend_from_slice(scalar.bytes()),
            Captured::Str(text) => {
                check_no_trailing_nul(&text)?;
                self.b.pending_strings.push(text)
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
                .record
                .get(self.index)
                .is_some_and(|(name, _)| name == key);
        if defined {
            return Err(self.irregular(format!(
                "record field {key:?} is skipped here but not in the first record"
            )));
        }
        Ok(())
    }

    fn end(mut self) -> Result<()> {
        if self.index != self.b.record.len() || self.b.record.is_empty() {
            return Err(self.irregular(
                "records must all have the same, non-empty list of fields".to_string(),
            ));
        }
        let b = self.b;
        b.bytes.extend_from_slice(&b.pending_bytes);
        b.strings.append(&mut b.pending_strings);
        b.pending_bytes.clear();
        b.records += 1;
        Ok(())
    }
}
