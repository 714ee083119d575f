//! Object arrays as typed Rust values: the conversions of an [`ObjectArray`] (what the
//! safe pickle reader builds) into strings, optional strings, typed arrays and ragged rows,
//! and of typed rows back into object arrays. Python values convert by the same rules as
//! elsewhere: strings through the element types' own encoders, NumPy scalars through the
//! conversion model's decoder ([`Number`]), nested arrays through [`element_layout`] and
//! [`NpyElement::decode`]. The typed readers (`NpyRead` impls) and `NpyArray` call these.

use half::f16;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use num_complex::Complex;
use num_traits::ToPrimitive;

use crate::convert::Number;
use crate::dtype::{DType, Endian};
use crate::elements::{element_layout, NpyElement};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{self, Header};
use crate::pickle::{ObjectArray, PickledArray, PickledData, Value};

/// The error for element `index` that is not what the target type needs.
fn wrong(index: usize, value: &Value, expected: &str) -> Error {
    Error::invalid_data(format!(
        "object array element {index} is a {}, expected {expected}",
        value.type_name()
    ))
}

/// A number from a Python or NumPy scalar.
#[derive(Clone, Copy)]
enum PyNumber {
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(Complex<f64>),
}

fn number(value: &Value) -> Option<PyNumber> {
    Some(match value {
        Value::Bool(v) => PyNumber::Bool(*v),
        Value::Int(v) => PyNumber::Int((*v).into()),
        Value::BigInt(v) => PyNumber::Int(v.to_i128()?),
        Value::Float(v) => PyNumber::Float(*v),
        Value::Complex(v) => PyNumber::Complex(*v),
        Value::Scalar(scalar) => match Number::decode(&scalar.header.dtype, scalar_bytes(scalar)?)?
        {
            Number::Bool(v) => PyNumber::Bool(v),
            Number::Int(v) => PyNumber::Int(v.into()),
            Number::UInt(v) => PyNumber::Int(v.into()),
            Number::Float(v) => PyNumber::Float(v),
            Number::Complex(v) => PyNumber::Complex(v),
        },
        _ => return None,
    })
}

/// The data bytes of a NumPy scalar (none for an object scalar).
fn scalar_bytes(scalar: &PickledArray) -> Option<&[u8]> {
    match &scalar.data {
        PickledData::Bytes(bytes) => Some(bytes),
        PickledData::Objects(_) => None,
    }
}

/// The one element of a NumPy `str_` or `bytes_` scalar, decoded as `T`.
fn scalar_as<T: NpyElement>(scalar: &PickledArray) -> Option<T> {
    let dtype = &scalar.header.dtype;
    T::check_readable(dtype).ok()?;
    T::decode(dtype, scalar_bytes(scalar)?, dtype.itemsize(), 1)
        .ok()?
        .pop()
}

/// The text of a `str` or of a NumPy `str_` scalar.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::Str(text) => Some(text.clone()),
        Value::Scalar(scalar) if matches!(scalar.header.dtype, DType::Unicode { .. }) => {
            scalar_as::<String>(scalar)
        }
        _ => None,
    }
}

/// The bytes of a `bytes`, a `bytearray` or a NumPy `bytes_` scalar.
fn byte_string(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::Bytes(bytes) | Value::ByteArray(bytes) => Some(bytes.clone()),
        Value::Scalar(scalar) if matches!(scalar.header.dtype, DType::Bytes { .. }) => {
            scalar_as::<Vec<u8>>(scalar)
        }
        _ => None,
    }
}

/// Encodes `values` as the plain dtype `target` (little-endian), checking that each fits:
/// integers must be in range and integral, booleans must be bools; floats take any real
/// number (rounded as NumPy's `astype` rounds), complex any number.
fn encode_numbers(values: &[&Value], target: &DType) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(values.len() * target.itemsize());
    for (index, value) in values.iter().enumerate() {
        let n = number(value).ok_or_else(|| wrong(index, value, "a number"))?;
        let out_of_range = || {
            Error::invalid_data(format!(
                "object array element {index} ({}) does not fit {}",
                value.type_name(),
                target.type_str()
            ))
        };
        let integer = || match n {
            PyNumber::Bool(v) => Ok(i128::from(v)),
            PyNumber::Int(v) => Ok(v),
            _ => Err(wrong(index, value, "an integer")),
        };
        let real = || match n {
            PyNumber::Bool(v) => Ok(f64::from(u8::from(v))),
            PyNumber::Int(v) => Ok(v as f64),
            PyNumber::Float(v) => Ok(v),
            PyNumber::Complex(_) => Err(wrong(index, value, "a real number")),
        };
        match *target {
            DType::Bool => match n {
                PyNumber::Bool(v) => out.push(v.into()),
                _ => return Err(wrong(index, value, "a bool")),
            },
            DType::Int { size, .. } => {
                let v = integer()?;
                let bits = 8 * size as u32;
                if v < -(1i128 << (bits - 1)) || v >= (1i128 << (bits - 1)) {
                    return Err(out_of_range());
                }
                out.extend_from_slice(&v.to_le_bytes()[..size]);
            }
            DType::UInt { size, .. } => {
                let v = integer()?;
                if v < 0 || v >= (1i128 << (8 * size as u32)) {
                    return Err(out_of_range());
                }
                out.extend_from_slice(&v.to_le_bytes()[..size]);
            }
            DType::Float { size: 2, .. } => {
                out.extend_from_slice(&f16::from_f64(real()?).to_le_bytes())
            }
            DType::Float { size: 4, .. } => out.extend_from_slice(&(real()? as f32).to_le_bytes()),
            DType::Float { size: 8, .. } => out.extend_from_slice(&real()?.to_le_bytes()),
            DType::Complex { size, .. } if size == 8 || size == 16 => {
                let c = match n {
                    PyNumber::Complex(c) => c,
                    _ => Complex::new(real()?, 0.0),
                };
                if size == 8 {
                    out.extend_from_slice(&(c.re as f32).to_le_bytes());
                    out.extend_from_slice(&(c.im as f32).to_le_bytes());
                } else {
                    out.extend_from_slice(&c.re.to_le_bytes());
                    out.extend_from_slice(&c.im.to_le_bytes());
                }
            }
            _ => {
                return Err(Error::invalid_data(format!(
                    "object arrays cannot be read as {}",
                    target.type_str()
                )))
            }
        }
    }
    Ok(out)
}

/// Data of `header` in `bytes` (its stored order and byte order) as an `ArrayD<T>`, by the
/// conversion table's rules.
fn decode_array<T: NpyElement>(header: &Header, bytes: &[u8]) -> Result<ArrayD<T>> {
    let (dtype, shape) = element_layout::<T>(header)?;
    let count = header::element_count(&shape)?;
    let values = T::decode(&dtype, bytes, dtype.itemsize(), count)?;
    ArrayD::from_shape_vec(IxDyn(&shape).set_f(header.fortran_order), values)
        .map_err(|e| Error::invalid_data(e.to_string()))
}

/// `values` of element type `E`, encoded in the dtype `E` writes for them.
fn encode_elements<E: NpyElement>(values: &[E], shape: &[usize]) -> Result<(Header, Vec<u8>)> {
    let dtype = E::write_dtype(values);
    let itemsize = dtype.itemsize();
    let mut bytes = vec![0u8; values.len() * itemsize];
    E::encode(values.iter(), &dtype, &mut bytes, itemsize)?;
    Ok((Header::new(dtype, shape.to_vec()), bytes))
}

/// `values` (C order, `shape`) as a typed array of `T`: strings for `U` types, bytes for
/// `S` types, numbers for numeric ones.
fn values_to_array<T: NpyElement>(values: &[&Value], shape: &[usize]) -> Result<ArrayD<T>> {
    let target = T::write_dtype(&[]).with_endian(Endian::Little);
    let (header, bytes) = match target {
        DType::Unicode { .. } => {
            let strings = values
                .iter()
                .enumerate()
                .map(|(i, v)| text(v).ok_or_else(|| wrong(i, v, "a str")))
                .collect::<Result<Vec<String>>>()?;
            encode_elements(&strings, shape)?
        }
        DType::Bytes { .. } => {
            let bytes = values
                .iter()
                .enumerate()
                .map(|(i, v)| byte_string(v).ok_or_else(|| wrong(i, v, "bytes")))
                .collect::<Result<Vec<Vec<u8>>>>()?;
            encode_elements(&bytes, shape)?
        }
        _ => {
            let bytes = encode_numbers(values, &target)?;
            (Header::new(target, shape.to_vec()), bytes)
        }
    };
    decode_array(&header, &bytes)
}

/// A NumPy array inside an object array as an `ArrayD<T>`.
fn pickled_to_array<T: NpyElement>(array: &PickledArray) -> Result<ArrayD<T>> {
    match &array.data {
        PickledData::Bytes(bytes) => decode_array(&array.header, bytes),
        PickledData::Objects(values) => {
            let refs: Vec<&Value> = values.iter().collect();
            values_to_array(&refs, &array.header.shape)
        }
    }
}

/// One element of a ragged object array as an array of `T`: a nested NumPy array (any
/// shape, converted with the usual rules) or a list or tuple of scalars (1-d).
fn element_to_array<T: NpyElement>(index: usize, value: &Value) -> Result<ArrayD<T>> {
    match value {
        Value::Array(array) => pickled_to_array(array),
        Value::List(items) | Value::Tuple(items) => {
            let refs: Vec<&Value> = items.iter().collect();
            values_to_array(&refs, &[items.len()])
        }
        other => Err(wrong(index, other, "an array, a list or a tuple")),
    }
    .map_err(|e| match e.kind() {
        ErrorKind::InvalidData { message } if message.starts_with("object array element") => e,
        _ => Error::invalid_data(format!("object array element {index}: {e}")),
    })
}

/// `values` with `shape` as a NumPy array value of an object array.
fn array_value<T: NpyElement>(values: &[T], shape: &[usize]) -> Result<Value> {
    let (header, bytes) = encode_elements(values, shape)?;
    Ok(Value::Array(Box::new(PickledArray::from_bytes(
        header, bytes,
    )?)))
}

impl ObjectArray {
    /// Every element as a `String`: each must be a `str` (or a NumPy `str_`).
    pub fn to_strings(&self) -> Result<Vec<String>> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| text(v).ok_or_else(|| wrong(i, v, "a str")))
            .collect()
    }

    /// Every element as an optional `String`: `None` (and the float NaN pandas uses for a
    /// missing string) is `None`, a `str` is `Some`.
    pub fn to_optional_strings(&self) -> Result<Vec<Option<String>>> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::None => Ok(None),
                Value::Float(f) if f.is_nan() => Ok(None),
                _ => text(v)
                    .map(Some)
                    .ok_or_else(|| wrong(i, v, "a str or None")),
            })
            .collect()
    }

    /// The object array as a typed array of `T` with its shape, when every element is a
    /// scalar `T` reads: `str` for `String`, `bytes` for `Vec<u8>`, numbers for numeric
    /// types (integers must fit and be integral; Python floats round to `f32` as NumPy's
    /// `astype` does).
    pub fn to_array<T: NpyElement>(&self) -> Result<ArrayD<T>> {
        let refs: Vec<&Value> = self.values.iter().collect();
        values_to_array(&refs, &self.shape)
    }

    /// A ragged array: each element (a NumPy array, flattened in C order, or a list or
    /// tuple of numbers) as a `Vec<T>`.
    pub fn to_ragged<T: NpyElement + Clone>(&self) -> Result<Vec<Vec<T>>> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| element_to_array::<T>(i, v).map(|a| a.iter().cloned().collect()))
            .collect()
    }

    /// Each element (a NumPy array, or a list or tuple of numbers) as an `ArrayD<T>`
    /// with its own shape.
    pub fn to_arrays<T: NpyElement>(&self) -> Result<Vec<ArrayD<T>>> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| element_to_array::<T>(i, v))
            .collect()
    }

    /// A 1-d object array of strings.
    pub fn from_strings<I, S>(strings: I) -> ObjectArray
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ObjectArray::from_values(strings.into_iter().map(|s| Value::Str(s.into())).collect())
    }

    /// A 1-d object array of strings and `None`s.
    pub fn from_optional_strings<I>(strings: I) -> ObjectArray
    where
        I: IntoIterator<Item = Option<String>>,
    {
        ObjectArray::from_values(
            strings
                .into_iter()
                .map(|s| s.map_or(Value::None, Value::Str))
                .collect(),
        )
    }

    /// A ragged array: a 1-d object array whose elements are 1-d NumPy arrays of `T`
    /// (`np.array([np.array([1., 2.]), np.array([3.])], dtype=object)`).
    ///
    /// ```
    /// use npy_serde::pickle::ObjectArray;
    /// use npy_serde::ReadOptions;
    ///
    /// let rows = vec![vec![1.0f32, 2.0], vec![3.0]];
    /// let bytes = npy_serde::npy::to_vec(&ObjectArray::from_ragged(&rows)?)?;
    /// let options = ReadOptions::default().with_allow_pickle(true);
    /// let back: Vec<Vec<f32>> = npy_serde::npy::from_slice_with(&bytes, &options)?;
    /// assert_eq!(back, rows);
    /// # Ok::<(), npy_serde::Error>(())
    /// ```
    pub fn from_ragged<T: NpyElement>(rows: &[Vec<T>]) -> Result<ObjectArray> {
        let values = rows
            .iter()
            .map(|row| array_value(row, &[row.len()]))
            .collect::<Result<_>>()?;
        Ok(ObjectArray::from_values(values))
    }

    /// A 1-d object array whose elements are NumPy arrays of any shapes.
    pub fn from_arrays<T: NpyElement + Clone>(arrays: &[ArrayD<T>]) -> Result<ObjectArray> {
        let values = arrays
            .iter()
            .map(|array| {
                let values: Vec<T> = array.iter().cloned().collect();
                array_value(&values, array.shape())
            })
            .collect::<Result<_>>()?;
        Ok(ObjectArray::from_values(values))
    }
}
