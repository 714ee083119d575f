//! [`NpyArray`]: an array whose dtype is known only at run time. It holds the dtype (byte
//! order included), shape, order and the values, typed for the common element types and
//! raw bytes otherwise, so any file can be loaded, inspected and saved back byte for byte.

use std::io::{Read, Write};

use half::f16;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use num_complex::Complex;

use crate::dtype::{DType, Endian};
use crate::elements::{element_layout, DataReader, NpyElement};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{self, Header};
use crate::options::WriteOptions;
use crate::pickle::{self, ObjectArray, PickledArray, PickledData, Value};
use crate::read::NpyRead;
use crate::write::{raw_header, write_raw, NpyWrite};

/// The values of an [`NpyArray`], in the order the array's `fortran_order` says, converted
/// to native byte order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ArrayData {
    /// `|b1`
    Bool(Vec<bool>),
    /// `i1`
    I8(Vec<i8>),
    /// `i2`
    I16(Vec<i16>),
    /// `i4`
    I32(Vec<i32>),
    /// `i8`
    I64(Vec<i64>),
    /// `u1`
    U8(Vec<u8>),
    /// `u2`
    U16(Vec<u16>),
    /// `u4`
    U32(Vec<u32>),
    /// `u8`
    U64(Vec<u64>),
    /// `f2`
    F16(Vec<f16>),
    /// `f4`
    F32(Vec<f32>),
    /// `f8`
    F64(Vec<f64>),
    /// `c8`
    Complex64(Vec<Complex<f32>>),
    /// `c16`
    Complex128(Vec<Complex<f64>>),
    /// `U<n>`, trailing NULs stripped.
    Unicode(Vec<String>),
    /// `S<n>`, trailing NULs stripped.
    Bytes(Vec<Vec<u8>>),
    /// `M8[unit]`: counts of the dtype's unit.
    DateTime(Vec<i64>),
    /// `m8[unit]`: counts of the dtype's unit.
    TimeDelta(Vec<i64>),
    /// `|O`: an object array's Python objects, read by the safe pickle reader (see
    /// [`pickle`](crate::pickle)); always in C order, as NumPy's pickle lists them.
    Object(Vec<Value>),
    /// Anything else (records, `V`, long doubles, `U` data that is not valid UTF-32, `b1`
    /// data with bytes other than 0 and 1): the bytes as stored, in the dtype's byte order.
    Raw(Vec<u8>),
}

/// An array of any dtype, for files whose dtype is not known at compile time.
///
/// ```
/// use npy_serde::npy::{self, ArrayData};
/// use npy_serde::NpyArray;
///
/// let bytes = npy::to_vec(&vec![1.5f32, 2.5])?;
/// let array: NpyArray = npy::from_slice(&bytes)?;
/// assert_eq!(array.dtype().to_string(), "'<f4'");
/// assert_eq!(array.shape(), [2]);
/// assert_eq!(array.data(), &ArrayData::F32(vec![1.5, 2.5]));
/// // Saving it again gives the same bytes.
/// assert_eq!(npy::to_vec(&array)?, bytes);
/// // Or convert it to a typed array (lossless widening allowed).
/// let wide: ndarray::ArrayD<f64> = array.to_array()?;
/// assert_eq!(wide.as_slice().unwrap(), [1.5, 2.5]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    dtype: DType,
    shape: Vec<usize>,
    fortran_order: bool,
    data: ArrayData,
}

impl NpyArray {
    /// An array of `values` (in C order) with `shape`.
    pub fn from_values<T: NpyElement>(values: Vec<T>, shape: Vec<usize>) -> Result<NpyArray> {
        let bytes = crate::write::to_vec(&crate::write::Shaped::new(&values, &shape))?;
        crate::read::from_slice(&bytes)
    }

    /// An array from raw data bytes laid out as `dtype`, `shape` and `fortran_order` say.
    pub fn from_raw(
        dtype: DType,
        shape: Vec<usize>,
        fortran_order: bool,
        bytes: Vec<u8>,
    ) -> Result<NpyArray> {
        let header = Header {
            dtype,
            shape,
            fortran_order,
        };
        let expected = header.data_len()?;
        if expected != bytes.len() as u64 {
            return Err(Error::invalid_data(format!(
                "{} data bytes given, the shape and dtype need {expected}",
                bytes.len()
            )));
        }
        let mut reader = &bytes[..];
        let mut data = DataReader::new(&mut reader, 0, Some(expected));
        NpyArray::read_npy_data(&header, &mut data)
    }

    /// An object array (`|O`) as an [`NpyArray`] whose data is [`ArrayData::Object`].
    pub fn from_objects(objects: ObjectArray) -> NpyArray {
        NpyArray {
            dtype: DType::Object,
            shape: objects.shape,
            fortran_order: objects.fortran_order,
            data: ArrayData::Object(objects.values),
        }
    }

    /// The object array, if this array holds one.
    pub fn into_objects(self) -> Option<ObjectArray> {
        match self.data {
            ArrayData::Object(values) => Some(ObjectArray {
                shape: self.shape,
                fortran_order: self.fortran_order,
                values,
            }),
            _ => None,
        }
    }

    /// The dtype, byte order as stored.
    pub fn dtype(&self) -> &DType {
        &self.dtype
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// True when the values are in column-major order.
    pub fn fortran_order(&self) -> bool {
        self.fortran_order
    }

    /// The values.
    pub fn data(&self) -> &ArrayData {
        &self.data
    }

    /// The values, taking them out.
    pub fn into_data(self) -> ArrayData {
        self.data
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The header this array is saved with: its `fortran_order` is NumPy's rule (`True`
    /// only for data that is Fortran-contiguous and not also C-contiguous), so a 1-D array
    /// read from a file that says `'fortran_order': True` saves as `np.save` would save it,
    /// with `False`.
    pub fn header(&self) -> Header {
        Header {
            dtype: self.dtype.clone(),
            shape: self.shape.clone(),
            fortran_order: header::numpy_fortran_order(&self.shape, self.fortran_order),
        }
    }

    /// The same array with its data in `endian` byte order when saved (raw data, records
    /// included, is reordered field by field).
    pub fn with_endian(mut self, endian: Endian) -> NpyArray {
        if let ArrayData::Raw(bytes) = &mut self.data {
            self.dtype.reorder_bytes(endian, bytes);
        }
        self.dtype = self.dtype.with_endian(endian);
        self
    }

    /// The data bytes exactly as saved (dtype byte order, stored element order).
    pub fn data_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.header().data_len()? as usize);
        self.write_data(&self.header(), &mut bytes)?;
        Ok(bytes)
    }

    /// The values as an ndarray array of `T`, with the usual conversion rules (own dtype,
    /// lossless widening; records through `#[derive(NpyElement)]`).
    pub fn to_array<T: NpyElement>(&self) -> Result<ArrayD<T>> {
        if let ArrayData::Object(values) = &self.data {
            let objects = ObjectArray::with_shape(values.clone(), self.shape.clone())?;
            return objects.to_array();
        }
        let bytes = self.data_bytes()?;
        let header = self.header();
        let (dtype, shape) = element_layout::<T>(&header)?;
        let mut reader = &bytes[..];
        let mut data = DataReader::new(&mut reader, 0, Some(bytes.len() as u64));
        let values = T::read_values(&dtype, header::element_count(&shape)?, &mut data)?;
        ArrayD::from_shape_vec(IxDyn(&shape).set_f(self.fortran_order), values)
            .map_err(|e| Error::invalid_data(e.to_string()))
    }
}

/// Reads `count` i64 counts stored with `endian` (datetimes and timedeltas).
fn read_counts<R: Read>(
    endian: Endian,
    count: usize,
    data: &mut DataReader<'_, R>,
) -> Result<Vec<i64>> {
    i64::read_values(&DType::Int { size: 8, endian }, count, data)
}

impl NpyRead for NpyArray {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        let dtype = &header.dtype;
        if dtype.has_object() {
            return Err(Error::from(ErrorKind::ObjectArray));
        }
        let count = header::element_count(&header.shape)?;
        macro_rules! typed {
            ($variant:ident, $t:ty) => {
                ArrayData::$variant(<$t>::read_values(dtype, count, data)?)
            };
        }
        let values = match *dtype {
            // Zero-byte items have no data to decode, however many the shape declares.
            _ if dtype.itemsize() == 0 => ArrayData::Raw(Vec::new()),
            DType::Bool => {
                // Bytes other than 0 and 1 (from a view cast in NumPy) stay raw, so that the
                // array saves back byte for byte as NumPy's would.
                let bytes = data.read_bytes(count, 1)?;
                if bytes.iter().all(|&b| b <= 1) {
                    ArrayData::Bool(bytes.into_iter().map(|b| b == 1).collect())
                } else {
                    ArrayData::Raw(bytes)
                }
            }
            DType::Int { size: 1, .. } => typed!(I8, i8),
            DType::Int { size: 2, .. } => typed!(I16, i16),
            DType::Int { size: 4, .. } => typed!(I32, i32),
            DType::Int { size: 8, .. } => typed!(I64, i64),
            DType::UInt { size: 1, .. } => typed!(U8, u8),
            DType::UInt { size: 2, .. } => typed!(U16, u16),
            DType::UInt { size: 4, .. } => typed!(U32, u32),
            DType::UInt { size: 8, .. } => typed!(U64, u64),
            DType::Float { size: 2, .. } => typed!(F16, f16),
            DType::Float { size: 4, .. } => typed!(F32, f32),
            DType::Float { size: 8, .. } => typed!(F64, f64),
            DType::Complex { size: 8, .. } => typed!(Complex64, Complex<f32>),
            DType::Complex { size: 16, .. } => typed!(Complex128, Complex<f64>),
            DType::Bytes { .. } => typed!(Bytes, Vec<u8>),
            DType::DateTime { endian, .. } => {
                ArrayData::DateTime(read_counts(endian, count, data)?)
            }
            DType::TimeDelta { endian, .. } => {
                ArrayData::TimeDelta(read_counts(endian, count, data)?)
            }
            DType::Unicode { .. } => {
                let itemsize = dtype.itemsize();
                let bytes = data.read_bytes(count, itemsize)?;
                match String::decode(dtype, &bytes, itemsize, count) {
                    Ok(strings) => ArrayData::Unicode(strings),
                    Err(_) => ArrayData::Raw(bytes),
                }
            }
            _ => ArrayData::Raw(data.read_bytes(count, dtype.itemsize())?),
        };
        Ok(NpyArray {
            dtype: dtype.clone(),
            shape: header.shape.clone(),
            fortran_order: header.fortran_order,
            data: values,
        })
    }

    fn from_objects(objects: ObjectArray) -> Result<Self> {
        Ok(NpyArray::from_objects(objects))
    }
}

/// A NumPy array from inside an object array (a [`Value::Array`] or [`Value::Scalar`]),
/// decoded.
///
/// ```
/// use npy_serde::pickle::{ObjectArray, Value};
/// use npy_serde::NpyArray;
///
/// let objects = ObjectArray::from_ragged(&[vec![1.5f64, 2.5]])?;
/// let Value::Array(nested) = &objects.values[0] else { unreachable!() };
/// let array = NpyArray::try_from((**nested).clone())?;
/// assert_eq!(array.to_array::<f64>()?.as_slice().unwrap(), [1.5, 2.5]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
impl TryFrom<PickledArray> for NpyArray {
    type Error = Error;

    fn try_from(array: PickledArray) -> Result<NpyArray> {
        match array.data {
            PickledData::Objects(values) => Ok(NpyArray::from_objects(ObjectArray {
                shape: array.header.shape,
                fortran_order: array.header.fortran_order,
                values,
            })),
            PickledData::Bytes(bytes) => {
                let Header {
                    dtype,
                    shape,
                    fortran_order,
                } = array.header;
                NpyArray::from_raw(dtype, shape, fortran_order, bytes)
            }
        }
    }
}

/// Saved with its own dtype (byte order included), shape and order, unless the options
/// name a byte order ([`WriteOptions::with_endian`]): then in that one.
impl NpyWrite for NpyArray {
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        Ok(raw_header(&NpyArray::header(self), options))
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        let dtype = &header.dtype;
        let count_dtype = DType::Int {
            size: 8,
            endian: dtype.endian(),
        };
        match &self.data {
            ArrayData::Bool(v) => bool::write_values(v, dtype, writer),
            ArrayData::I8(v) => i8::write_values(v, dtype, writer),
            ArrayData::I16(v) => i16::write_values(v, dtype, writer),
            ArrayData::I32(v) => i32::write_values(v, dtype, writer),
            ArrayData::I64(v) => i64::write_values(v, dtype, writer),
            ArrayData::U8(v) => u8::write_values(v, dtype, writer),
            ArrayData::U16(v) => u16::write_values(v, dtype, writer),
            ArrayData::U32(v) => u32::write_values(v, dtype, writer),
            ArrayData::U64(v) => u64::write_values(v, dtype, writer),
            ArrayData::F16(v) => f16::write_values(v, dtype, writer),
            ArrayData::F32(v) => f32::write_values(v, dtype, writer),
            ArrayData::F64(v) => f64::write_values(v, dtype, writer),
            ArrayData::Complex64(v) => Complex::<f32>::write_values(v, dtype, writer),
            ArrayData::Complex128(v) => Complex::<f64>::write_values(v, dtype, writer),
            ArrayData::Unicode(v) => String::write_values(v, dtype, writer),
            ArrayData::Bytes(v) => Vec::<u8>::write_values(v, dtype, writer),
            ArrayData::DateTime(v) | ArrayData::TimeDelta(v) => {
                i64::write_values(v, &count_dtype, writer)
            }
            ArrayData::Raw(bytes) => write_raw(&self.dtype, bytes, header, writer),
            ArrayData::Object(values) => {
                let objects = ObjectArray {
                    shape: self.shape.clone(),
                    fortran_order: self.fortran_order,
                    values: values.clone(),
                };
                Ok(writer.write_all(&pickle::write_object_array(&objects)?)?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(descr: &str, shape: &[usize], fortran_order: bool) {
        let dtype: DType = descr.parse().unwrap();
        let header = Header {
            dtype: dtype.clone(),
            shape: shape.to_vec(),
            fortran_order,
        };
        let len = header.data_len().unwrap() as usize;
        let mut bytes = header.to_bytes().unwrap();
        // Valid but arbitrary data: small code points for U, any bytes for the rest.
        bytes.extend((0..len).map(|i| match (dtype == DType::Bool, i % 4) {
            (true, _) => (i % 2) as u8,
            (false, 0) => (i % 100) as u8,
            (false, _) => 0,
        }));
        let array: NpyArray = crate::read::from_slice(&bytes).unwrap();
        assert_eq!(array.dtype(), &dtype);
        assert_eq!(crate::write::to_vec(&array).unwrap(), bytes, "{descr}");
    }

    #[test]
    fn fortran_flag_of_data_that_is_also_c_order_is_dropped_on_save_as_numpy_does() {
        // As scipy's test archives have them: `'fortran_order': True` on (64,) and (100, 1).
        for shape in [vec![64usize], vec![100, 1], vec![0, 5]] {
            let header = Header {
                dtype: "<f8".parse().unwrap(),
                shape: shape.clone(),
                fortran_order: true,
            };
            let len = header.data_len().unwrap() as usize;
            let mut bytes = header.to_bytes().unwrap();
            bytes.extend((0..len).map(|i| i as u8));
            let array: NpyArray = crate::read::from_slice(&bytes).unwrap();
            assert!(array.fortran_order());
            let saved = crate::write::to_vec(&array).unwrap();
            let expected = Header {
                fortran_order: false,
                ..header
            };
            let mut expected_bytes = expected.to_bytes().unwrap();
            expected_bytes.extend((0..len).map(|i| i as u8));
            assert_eq!(saved, expected_bytes, "{shape:?}");
        }
        round_trip("<f4", &[2, 3], true);
    }

    #[test]
    fn any_dtype_saves_back_byte_for_byte() {
        for descr in [
            "|b1",
            "|i1",
            "<i2",
            ">i4",
            "<i8",
            "|u1",
            ">u2",
            "<u4",
            ">u8",
            "<f2",
            ">f4",
            "<f8",
            "<f16",
            ">c8",
            "<c16",
            "<c32",
            "<U3",
            ">U3",
            "|S4",
            "|V5",
            "<M8[ns]",
            ">m8[10ms]",
            "[('x', '<f8'), ('y', '>i4')]",
        ] {
            round_trip(descr, &[2, 3], false);
            round_trip(descr, &[2, 3], true);
            round_trip(descr, &[], false);
            round_trip(descr, &[0], false);
        }
    }

    #[test]
    fn zero_byte_items_load_in_any_count_dynamically_and_are_bounded_typed() {
        for descr in ["<U0", "|S0"] {
            let header = Header::new(descr.parse().unwrap(), vec![1_000_000_000_000]);
            let bytes = header.to_bytes().unwrap();
            let array: NpyArray = crate::read::from_slice(&bytes).unwrap();
            assert_eq!(array.len(), 1_000_000_000_000);
            assert_eq!(crate::write::to_vec(&array).unwrap(), bytes);
            let err = crate::read::from_slice::<Vec<String>>(&bytes).unwrap_err();
            assert!(err.to_string().contains("zero-byte"), "{err}");
        }
        let few = Header::new("<U0".parse().unwrap(), vec![3])
            .to_bytes()
            .unwrap();
        let strings: Vec<String> = crate::read::from_slice(&few).unwrap();
        assert_eq!(strings, ["", "", ""]);
    }

    #[test]
    fn object_arrays_are_refused() {
        let bytes = Header::new(DType::Object, vec![1]).to_bytes().unwrap();
        let err = crate::read::from_slice::<NpyArray>(&bytes).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::ObjectArray));
        assert!(err.to_string().contains("pickle"));
    }

    #[test]
    fn bool_bytes_other_than_0_and_1_save_back_unchanged() {
        // Found by tests/properties.rs: NumPy keeps such bytes (from a view cast) as they are.
        let mut bytes = Header::new(DType::Bool, vec![3]).to_bytes().unwrap();
        bytes.extend_from_slice(&[0, 1, 130]);
        let array: NpyArray = crate::read::from_slice(&bytes).unwrap();
        assert_eq!(array.data(), &ArrayData::Raw(vec![0, 1, 130]));
        assert_eq!(crate::write::to_vec(&array).unwrap(), bytes);
        let values: ArrayD<bool> = array.to_array().unwrap();
        assert_eq!(values.as_slice().unwrap(), [false, true, true]);
        let len = bytes.len();
        bytes[len - 1] = 1;
        let array: NpyArray = crate::read::from_slice(&bytes).unwrap();
        assert_eq!(array.data(), &ArrayData::Bool(vec![false, true, true]));
    }

    #[test]
    fn typed_views_of_dynamic_arrays() {
        let array = NpyArray::from_values(vec![1u8, 2, 3, 4], vec![2, 2]).unwrap();
        assert_eq!(array.data(), &ArrayData::U8(vec![1, 2, 3, 4]));
        let wide: ArrayD<i32> = array.to_array().unwrap();
        assert_eq!(wide.shape(), [2, 2]);
        assert!(array.to_array::<i8>().is_err());
    }
}
