//! [`Value`]: one Python object of an object array, as the safe reader builds it (like
//! `serde_json::Value` for JSON), [`ObjectArray`]: an object array's shape and values, and
//! [`PickledArray`]: a NumPy array inside a pickle, as its header and bytes.

use num_bigint::BigInt;
use num_complex::Complex;

use crate::dtype::DType;
use crate::errors::{ErrorKind, Result};
use crate::header::{self, Header};

/// A Python object from an object array, limited to the types the safe reader builds.
///
/// Python's `None`, `bool`, `int`, `float`, `complex`, `str`, `bytes`, `bytearray`,
/// `list`, `tuple`, `dict`, `set` and `frozenset` map to one variant each; NumPy arrays
/// nested in the object array (ragged data) and NumPy scalars (`np.float64(1.5)`) are
/// [`PickledArray`]s: their header and data as the pickle holds them, which
/// [`NpyArray::try_from`](crate::NpyArray) turns into typed values.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `None`
    None,
    /// `bool`
    Bool(bool),
    /// `int` that fits an `i64`.
    Int(i64),
    /// `int` beyond the `i64` range (Python ints have any size).
    BigInt(BigInt),
    /// `float`
    Float(f64),
    /// `complex`
    Complex(Complex<f64>),
    /// `str` (and Python 2 `str` with the `latin1` or `ASCII` encoding choice).
    Str(String),
    /// `bytes` (and Python 2 `str` with the `bytes` encoding choice).
    Bytes(Vec<u8>),
    /// `bytearray`
    ByteArray(Vec<u8>),
    /// `list`
    List(Vec<Value>),
    /// `tuple`
    Tuple(Vec<Value>),
    /// `dict`, as key-value pairs in insertion order.
    Dict(Vec<(Value, Value)>),
    /// `set`, in pickle order.
    Set(Vec<Value>),
    /// `frozenset`, in pickle order.
    FrozenSet(Vec<Value>),
    /// A NumPy array inside the object array (`np.array([1.5, 2.5])`), any dtype the crate
    /// reads, object arrays included. (Boxed, so that every value stays 32 bytes.)
    Array(Box<PickledArray>),
    /// A NumPy scalar (`np.float64(1.5)`, `np.str_("a")`), as a 0-d array of its dtype.
    Scalar(Box<PickledArray>),
}

impl Value {
    /// The Python type name (`"str"`, `"int"`, `"numpy.ndarray"`, …), for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Complex(_) => "complex",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::ByteArray(_) => "bytearray",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Array(_) => "numpy.ndarray",
            Value::Scalar(_) => "numpy scalar",
        }
    }

    /// The text of a `str` (a NumPy `str_` scalar is a [`Value::Scalar`]: the conversions
    /// of [`ObjectArray`] read both).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    /// True for `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }
}

/// An object array (`dtype=object`) read by the safe pickle reader: its shape, its order
/// flag and its values, always listed in C (row-major) order, as NumPy's pickle lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectArray {
    /// The shape (empty for a 0-d array).
    pub shape: Vec<usize>,
    /// True when NumPy held the array in Fortran order (its memory layout; the values
    /// are still listed in C order).
    pub fortran_order: bool,
    /// The values in C order.
    pub values: Vec<Value>,
}

impl ObjectArray {
    /// A 1-d object array of `values`.
    pub fn from_values(values: Vec<Value>) -> ObjectArray {
        ObjectArray {
            shape: vec![values.len()],
            fortran_order: false,
            values,
        }
    }

    /// An object array of `values` (C order) with `shape`; the element count must match.
    pub fn with_shape(values: Vec<Value>, shape: Vec<usize>) -> Result<ObjectArray> {
        let count = header::element_count(&shape)?;
        if count != values.len() {
            return Err(ErrorKind::ShapeMismatch {
                expected: format!("{} elements, as many as values given", values.len()),
                found: shape,
            }
            .into());
        }
        Ok(ObjectArray {
            shape,
            fortran_order: false,
            values,
        })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// How Python 2 `str` objects in a pickle are read: NumPy's `encoding` argument of
/// `np.load` (only pickles written by Python 2 have them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PickleEncoding {
    /// As text, which must be ASCII (NumPy's default, `encoding='ASCII'`).
    #[default]
    Ascii,
    /// As text, each byte one character (`encoding='latin1'`): what NumPy recommends for
    /// Python 2 files holding numeric arrays, and right for Latin-1 text.
    Latin1,
    /// As [`Value::Bytes`] (`encoding='bytes'`).
    Bytes,
}

/// What a pickle holds: an object array (what follows an object array's `.npy` header), or
/// any other value (a bare pickle of a NumPy array, a list, a dict).
pub(crate) enum Unpickled {
    /// An object array.
    Objects(ObjectArray),
    /// Any other value.
    Other(Value),
}

/// A NumPy array inside a pickle: its header and its data as the pickle holds them, raw
/// bytes (in the header's byte order and element order) or, for an object array, values.
/// [`NpyArray::try_from`](crate::NpyArray) decodes it; the conversions of
/// [`ObjectArray`] (`to_arrays`, `to_ragged`) do so for you.
#[derive(Debug, Clone, PartialEq)]
pub struct PickledArray {
    /// Dtype, shape and order.
    pub header: Header,
    /// The elements.
    pub data: PickledData,
}

/// The elements of a [`PickledArray`].
#[derive(Debug, Clone, PartialEq)]
pub enum PickledData {
    /// The data bytes of a typed array: exactly `header.data_len()` of them.
    Bytes(Vec<u8>),
    /// The values of an object array, in C order.
    Objects(Vec<Value>),
}

impl PickledArray {
    /// A typed array from its header and data bytes; their length must be what the header
    /// declares.
    pub fn from_bytes(header: Header, bytes: Vec<u8>) -> Result<PickledArray> {
        let expected = header.data_len()?;
        if header.dtype.has_object() || expected != bytes.len() as u64 {
            return Err(crate::errors::Error::invalid_data(format!(
                "{} data bytes given for {} of shape {}, which needs {expected}",
                bytes.len(),
                header.dtype,
                crate::text::shape_repr(&header.shape)
            )));
        }
        Ok(PickledArray {
            header,
            data: PickledData::Bytes(bytes),
        })
    }

    /// An object array (dtype `|O`).
    pub fn from_objects(objects: ObjectArray) -> PickledArray {
        PickledArray {
            header: Header {
                dtype: DType::Object,
                shape: objects.shape,
                fortran_order: objects.fortran_order,
            },
            data: PickledData::Objects(objects.values),
        }
    }

    /// The object array it is, when it is one.
    pub fn into_objects(self) -> Option<ObjectArray> {
        match self.data {
            PickledData::Objects(values) => Some(ObjectArray {
                shape: self.header.shape,
                fortran_order: self.header.fortran_order,
                values,
            }),
            PickledData::Bytes(_) => None,
        }
    }

    /// Bytes of data it holds (8 per value of an object array), for the reader's budget.
    pub(crate) fn data_size(&self) -> usize {
        match &self.data {
            PickledData::Bytes(bytes) => bytes.len(),
            PickledData::Objects(values) => values.len() * size_of::<Value>(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_stay_small() {
        // Object arrays of millions of strings hold one Value each.
        assert!(
            size_of::<super::Value>() <= 32,
            "{}",
            size_of::<super::Value>()
        );
    }
}
