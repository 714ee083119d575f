//! [`Value`]: one Python object of an object array, as the safe reader builds it (like
//! `serde_json::Value` for JSON), and [`ObjectArray`]: an object array's shape and values.

use num_bigint::BigInt;
use num_complex::Complex;

use crate::array::NpyArray;

/// A Python object from an object array, limited to the types the safe reader builds.
///
/// Python's `None`, `bool`, `int`, `float`, `complex`, `str`, `bytes`, `bytearray`,
/// `list`, `tuple`, `dict`, `set` and `frozenset` map to one variant each; NumPy arrays
/// nested in the object array (ragged data) and NumPy scalars (`np.float64(1.5)`) become
/// the crate's own [`NpyArray`].
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
    Array(Box<NpyArray>),
    /// A NumPy scalar (`np.float64(1.5)`, `np.str_("a")`), as a 0-d array of its dtype.
    Scalar(Box<NpyArray>),
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

    /// The text of a `str` (or a NumPy `str_` scalar).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(text) => Some(text),
            Value::Scalar(scalar) => match scalar.data() {
                crate::ArrayData::Unicode(texts) => texts.first().map(String::as_str),
                _ => None,
            },
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
    pub fn with_shape(values: Vec<Value>, shape: Vec<usize>) -> crate::Result<ObjectArray> {
        let count = crate::header::element_count(&shape)?;
        if count != values.len() {
            return Err(crate::ErrorKind::ShapeMismatch {
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
