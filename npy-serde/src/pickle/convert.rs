//! Conversions between [`ObjectArray`] and Rust types: strings, optional strings, ragged
//! rows, typed arrays; and the [`NpyRead`] / [`NpyWrite`] implementations that make
//! `load_with::<Vec<Option<String>>>`, `Vec<Vec<f64>>`, `Vec<ArrayD<T>>` and
//! `save(&ObjectArray)` work.

use std::io::{Read, Write};

use half::f16;
use ndarray::{Array2, ArrayD};
use num_complex::Complex;
use num_traits::ToPrimitive;

use super::value::{ObjectArray, Value};
use crate::array::{ArrayData, NpyArray};
use crate::dtype::{DType, Endian};
use crate::element::{DataReader, NpyElement};
use crate::error::{Error, ErrorKind, Result};
use crate::header::Header;
use crate::read::NpyRead;
use crate::write::{NpyWrite, WriteOptions};

/// The error for element `index` that is not what the target type needs.
fn wrong(index: usize, value: &Value, expected: &str) -> Error {
    Error::invalid_data(format!(
        "object array element {index} is a {}, expected {expected}",
        value.type_name()
    ))
}

/// A number from a Python or NumPy scalar.
#[derive(Clone, Copy)]
enum Number {
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(Complex<f64>),
}

fn number(value: &Value) -> Option<Number> {
    Some(match value {
        Value::Bool(v) => Number::Bool(*v),
        Value::Int(v) => Number::Int((*v).into()),
        Value::BigInt(v) => Number::Int(v.to_i128()?),
        Value::Float(v) => Number::Float(*v),
        Value::Complex(v) => Number::Complex(*v),
        Value::Scalar(scalar) => match scalar.data() {
            ArrayData::Bool(v) => Number::Bool(*v.first()?),
            ArrayData::I8(v) => Number::Int((*v.first()?).into()),
            ArrayData::I16(v) => Number::Int((*v.first()?).into()),
            ArrayData::I32(v) => Number::Int((*v.first()?).into()),
            ArrayData::I64(v) => Number::Int((*v.first()?).into()),
            ArrayData::U8(v) => Number::Int((*v.first()?).into()),
            ArrayData::U16(v) => Number::Int((*v.first()?).into()),
            ArrayData::U32(v) => Number::Int((*v.first()?).into()),
            ArrayData::U64(v) => Number::Int((*v.first()?).into()),
            ArrayData::F16(v) => Number::Float(v.first()?.to_f64()),
            ArrayData::F32(v) => Number::Float((*v.first()?).into()),
            ArrayData::F64(v) => Number::Float(*v.first()?),
            ArrayData::Complex64(v) => {
                let c = v.first()?;
                Number::Complex(Complex::new(c.re.into(), c.im.into()))
            }
            ArrayData::Complex128(v) => Number::Complex(*v.first()?),
            _ => return None,
        },
        _ => return None,
    })
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
            Number::Bool(v) => Ok(i128::from(v)),
            Number::Int(v) => Ok(v),
            _ => Err(wrong(index, value, "an integer")),
        };
        let real = || match n {
            Number::Bool(v) => Ok(f64::from(u8::from(v))),
            Number::Int(v) => Ok(v as f64),
            Number::Float(v) => Ok(v),
            Number::Complex(_) => Err(wrong(index, value, "a real number")),
        };
        match *target {
            DType::Bool => match n {
                Number::Bool(v) => out.push(v.into()),
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
                    Number::Complex(c) => c,
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

/// `values` (C order, `shape`) as a typed array of `T`: strings for `U` types, bytes for
/// `S` types, numbers for numeric ones.
fn values_to_array<T: NpyElement>(values: &[&Value], shape: &[usize]) -> Result<ArrayD<T>> {
    let target = T::write_dtype(&[]).with_endian(Endian::Little);
    let array = match target {
        DType::Unicode { .. } => {
            let strings = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| wrong(i, v, "a str"))
                })
                .collect::<Result<Vec<String>>>()?;
            NpyArray::from_values(strings, shape.to_vec())?
        }
        DType::Bytes { .. } => {
            let bytes = values
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Bytes(b) | Value::ByteArray(b) => Ok(b.clone()),
                    Value::Scalar(s) => match s.data() {
                        ArrayData::Bytes(b) if b.len() == 1 => Ok(b[0].clone()),
                        _ => Err(wrong(i, v, "bytes")),
                    },
                    _ => Err(wrong(i, v, "bytes")),
                })
                .collect::<Result<Vec<Vec<u8>>>>()?;
            NpyArray::from_values(bytes, shape.to_vec())?
        }
        _ => {
            let bytes = encode_numbers(values, &target)?;
            NpyArray::from_raw(target, shape.to_vec(), false, bytes)?
        }
    };
    array.to_array()
}

/// One element of a ragged object array as an array of `T`: a nested NumPy array (any
/// shape, converted with the usual rules) or a list or tuple of scalars (1-d).
fn element_to_array<T: NpyElement>(index: usize, value: &Value) -> Result<ArrayD<T>> {
    match value {
        Value::Array(array) => array.to_array(),
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

impl ObjectArray {
    /// Every element as a `String`: each must be a `str` (or a NumPy `str_`).
    pub fn to_strings(&self) -> Result<Vec<String>> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| wrong(i, v, "a str"))
            })
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
                _ => v
                    .as_str()
                    .map(|s| Some(s.to_string()))
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
    /// let bytes = npy_serde::to_bytes(&ObjectArray::from_ragged(&rows)?)?;
    /// let options = ReadOptions::default().with_allow_pickle(true);
    /// let back: Vec<Vec<f32>> = npy_serde::read_npy_with(&mut &bytes[..], &options)?;
    /// assert_eq!(back, rows);
    /// # Ok::<(), npy_serde::Error>(())
    /// ```
    pub fn from_ragged<T: NpyElement + Clone>(rows: &[Vec<T>]) -> Result<ObjectArray> {
        let values = rows
            .iter()
            .map(|row| {
                NpyArray::from_values(row.clone(), vec![row.len()])
                    .map(|a| Value::Array(Box::new(a)))
            })
            .collect::<Result<_>>()?;
        Ok(ObjectArray::from_values(values))
    }

    /// A 1-d object array whose elements are NumPy arrays of any shapes.
    pub fn from_arrays<T: NpyElement + Clone>(arrays: &[ArrayD<T>]) -> Result<ObjectArray> {
        let values = arrays
            .iter()
            .map(|array| {
                let values: Vec<T> = array.iter().cloned().collect();
                NpyArray::from_values(values, array.shape().to_vec())
                    .map(|a| Value::Array(Box::new(a)))
            })
            .collect::<Result<_>>()?;
        Ok(ObjectArray::from_values(values))
    }
}

/// The error for reading a non-object file into a type that holds only object arrays.
fn not_objects(header: &Header, target: &str) -> Error {
    Error::from(ErrorKind::DtypeMismatch {
        expected: format!("'|O' (an object array, for {target})"),
        found: header.dtype.to_string(),
        field: None,
    })
}

/// The object array itself (any dtype other than `|O` is an error).
impl NpyRead for ObjectArray {
    fn read_npy_data<R: Read>(header: &Header, _: &mut DataReader<'_, R>) -> Result<Self> {
        Err(not_objects(header, "ObjectArray"))
    }

    fn from_objects(objects: ObjectArray) -> Result<Self> {
        Ok(objects)
    }
}

/// Object arrays of `str` and `None`; `U` arrays load as all `Some`.
impl NpyRead for Vec<Option<String>> {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        let strings = Vec::<String>::read_npy_data(header, data)?;
        Ok(strings.into_iter().map(Some).collect())
    }

    fn from_objects(objects: ObjectArray) -> Result<Self> {
        objects.to_optional_strings()
    }
}

/// Ragged arrays: object arrays of arrays (or lists) of `T`; a 2-d array of `T` loads as
/// its rows.
macro_rules! ragged {
    ($($t:ty),*) => {$(
        impl NpyRead for Vec<Vec<$t>> {
            fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
                let matrix = Array2::<$t>::read_npy_data(header, data)?;
                Ok(matrix.rows().into_iter().map(|row| row.to_vec()).collect())
            }

            fn from_objects(objects: ObjectArray) -> Result<Self> {
                objects.to_ragged()
            }
        }
    )*};
}

// Not u8: Vec<u8> is itself an element type (`S` strings), so Vec<Vec<u8>> reads `S`
// arrays; ragged bytes arrays load through ObjectArray::to_ragged::<u8>().
ragged!(
    bool,
    i8,
    i16,
    i32,
    i64,
    u16,
    u32,
    u64,
    f16,
    f32,
    f64,
    Complex<f32>,
    Complex<f64>,
    String
);

/// Object arrays of arrays (or lists) of `T`, each with its own shape.
impl<T: NpyElement> NpyRead for Vec<ArrayD<T>> {
    fn read_npy_data<R: Read>(header: &Header, _: &mut DataReader<'_, R>) -> Result<Self> {
        Err(not_objects(header, "Vec<ArrayD<T>>"))
    }

    fn from_objects(objects: ObjectArray) -> Result<Self> {
        objects.to_arrays()
    }
}

/// Saved as an object array (`|O`, a pickle NumPy loads with `allow_pickle=True`).
impl NpyWrite for ObjectArray {
    fn header(&self, _: &WriteOptions) -> Result<Header> {
        Ok(Header {
            dtype: DType::Object,
            shape: self.shape.clone(),
            fortran_order: self.fortran_order,
        })
    }

    fn write_data<W: Write>(&self, _: &Header, writer: &mut W) -> Result<()> {
        writer.write_all(&super::write_object_array(self)?)?;
        Ok(())
    }
}

impl NpyArray {
    /// An object array (`|O`) as an [`NpyArray`] whose data is [`ArrayData::Object`].
    pub fn from_objects(objects: ObjectArray) -> NpyArray {
        NpyArray::object_parts(objects.shape, objects.fortran_order, objects.values)
    }

    /// The object array, if this array holds one.
    pub fn into_objects(self) -> Option<ObjectArray> {
        let fortran_order = self.fortran_order();
        let shape = self.shape().to_vec();
        match self.into_data() {
            ArrayData::Object(values) => Some(ObjectArray {
                shape,
                fortran_order,
                values,
            }),
            _ => None,
        }
    }
}
