//! The vocabulary the rest of the serializer shares, at the bottom of its imports: the
//! kind of a member's leaves ([`LeafKind`]), the type hint that tells complex numbers from
//! plain tuples ([`Hint`]), and one captured scalar ([`Scalar`]).

use num_complex::Complex;

use crate::convert::Target;
use crate::dtype::DType;

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

    /// The kind's name in messages: NumPy's name of a number type, `string` or `struct`.
    pub(super) fn name(self) -> String {
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

    /// The value's bytes: as many as its kind's dtype has.
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

    /// A `u64` scalar's value (ndarray's `dim` lengths).
    pub(super) fn as_u64(&self) -> Option<u64> {
        (self.kind == LeafKind::U64)
            .then(|| u64::from_ne_bytes(self.bytes[..8].try_into().expect("8 bytes")))
    }

    /// A `bool` scalar's value.
    pub(super) fn as_bool(&self) -> Option<bool> {
        (self.kind == LeafKind::Bool).then_some(self.bytes[0] != 0)
    }
}
