//! Reading `.npy` data: the [`NpyRead`] trait (implemented for `Vec<T>`, ndarray arrays of
//! any dimension, the dynamic [`NpyArray`](crate::NpyArray), and, for object arrays, the
//! types listed in [`pickle`](crate::pickle)), reading from a path, a reader or bytes, and
//! reading a header alone. Object arrays are read here by calling the pickle codec, when
//! the [`ReadOptions`] allow it.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use half::{bf16, f16};
use ndarray::{Array, Array2, ArrayD, Dimension, IxDyn, ShapeBuilder};
use num_complex::Complex;

use crate::dtype::DType;
use crate::elements::{element_layout, DataReader, NpyElement};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{self, truncated, Header, HeaderInfo};
use crate::magic::FileKind;
use crate::options::ReadOptions;
use crate::pickle::{self, ObjectArray, PickledArray, Unpickled, Value};

/// Something a `.npy` array can be read into.
pub trait NpyRead: Sized {
    /// Reads the data that `header` describes. `data` is positioned at the first data byte.
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self>;

    /// Builds the value from an object array (`|O`) that the safe pickle reader read (only
    /// with [`ReadOptions::allow_pickle`]). The default refuses: only types that can hold
    /// Python objects, or their conversions, override it.
    fn from_objects(objects: ObjectArray) -> Result<Self> {
        let _ = objects;
        Err(Error::from(ErrorKind::DtypeMismatch {
            expected: format!("a dtype {} reads", std::any::type_name::<Self>()),
            found: "'|O' (an object array)".to_string(),
        }))
    }
}

/// Reads the elements of an array as `T`, in the file's order; returns them with their shape.
pub(crate) fn read_elements<T: NpyElement, R: Read>(
    header: &Header,
    data: &mut DataReader<'_, R>,
) -> Result<(Vec<T>, Vec<usize>)> {
    let (dtype, shape) = element_layout::<T>(header)?;
    let count = header::element_count(&shape)?;
    let values = T::read_values(&dtype, count, data)?;
    Ok((values, shape))
}

/// Any shape, flattened in C (row-major) order, as NumPy's `ravel()` gives it.
impl<T: NpyElement + Clone> NpyRead for Vec<T> {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        let (values, shape) = read_elements::<T, R>(header, data)?;
        if header.fortran_order && shape.len() > 1 {
            let array = Array::from_shape_vec(IxDyn(&shape).f(), values)
                .map_err(|e| Error::invalid_data(e.to_string()))?;
            return Ok(array.iter().cloned().collect());
        }
        Ok(values)
    }

    fn from_objects(objects: ObjectArray) -> Result<Self> {
        Ok(objects.to_array::<T>()?.into_raw_vec_and_offset().0)
    }
}

/// ndarray arrays of a fixed dimension (`Array2<f64>`) or any (`ArrayD<f64>`); Fortran-order
/// files become arrays with Fortran strides, with no copy.
impl<T: NpyElement, D: Dimension> NpyRead for Array<T, D> {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        // The rank is checked before any data is read.
        let (dtype, shape) = element_layout::<T>(header)?;
        let dim = D::from_dimension(&IxDyn(&shape)).ok_or_else(|| ErrorKind::ShapeMismatch {
            expected: format!("{} dimensions", D::NDIM.unwrap_or(shape.len())),
            found: shape.clone(),
        })?;
        let values = T::read_values(&dtype, header::element_count(&shape)?, data)?;
        Array::from_shape_vec(dim.set_f(header.fortran_order), values)
            .map_err(|e| Error::invalid_data(e.to_string()))
    }

    fn from_objects(objects: ObjectArray) -> Result<Self> {
        let shape = objects.shape.clone();
        objects
            .to_array::<T>()?
            .into_dimensionality::<D>()
            .map_err(|_| {
                Error::from(ErrorKind::ShapeMismatch {
                    expected: format!("{} dimensions", D::NDIM.unwrap_or(shape.len())),
                    found: shape,
                })
            })
    }
}

/// The error for reading a non-object file into a type that holds only object arrays.
fn not_objects(header: &Header, target: &str) -> Error {
    Error::from(ErrorKind::DtypeMismatch {
        expected: format!("'|O' (an object array, for {target})"),
        found: crate::convert::describe_dtype(&header.dtype),
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
    bf16,
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

/// Reads one array from `reader` and leaves it after the array's last byte, so several
/// arrays written one after another read back in turn; past the last one the error is
/// [`ErrorKind::NoDataLeft`](crate::error::ErrorKind::NoDataLeft) (category
/// [`Eof`](crate::error::Category::Eof)).
///
/// ```
/// use npy_serde::npy;
///
/// let mut stream = Vec::new();
/// npy::write(&mut stream, &vec![1i32, 2])?;
/// npy::write(&mut stream, &vec![3.5f64])?;
/// let mut reader = &stream[..];
/// let first: Vec<i32> = npy::read(&mut reader)?;
/// let second: Vec<f64> = npy::read(&mut reader)?;
/// assert_eq!((first, second), (vec![1, 2], vec![3.5]));
/// let end = npy::read::<Vec<i32>, _>(&mut reader).unwrap_err();
/// assert_eq!(end.category(), npy_serde::error::Category::Eof);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn read<T: NpyRead, R: Read>(reader: &mut R) -> Result<T> {
    read_with(reader, &ReadOptions::default())
}

/// [`read`] with options.
pub fn read_with<T: NpyRead, R: Read>(reader: &mut R, options: &ReadOptions) -> Result<T> {
    read_sized(reader, options, None)
}

/// Reads one array from a reader whose total length (header included), when known, bounds
/// the data: a short file is then refused before anything is allocated or decoded.
pub(crate) fn read_sized<T: NpyRead, R: Read>(
    reader: &mut R,
    options: &ReadOptions,
    total_len: Option<u64>,
) -> Result<T> {
    let info = header::read_header(reader, options.max_header_size)?;
    let available = total_len.map(|len| len.saturating_sub(info.data_offset));
    if info.header.dtype == DType::Object {
        let objects = read_objects(reader, available, options)?;
        return T::from_objects(objects);
    }
    // Missing bytes are the file's fault whatever type reads it: say so first.
    if let (Some(available), false) = (available, info.header.dtype.has_object()) {
        let data_len = info.header.data_len()?;
        if data_len > available {
            return Err(truncated("data", info.data_offset, data_len, available));
        }
    }
    let mut data = DataReader::new(reader, info.data_offset, available);
    T::read_npy_data(&info.header, &mut data)
}

/// Reads an array from the bytes of a `.npy`.
///
/// ```
/// let bytes = npy_serde::npy::to_vec(&vec![1u8, 2, 3])?;
/// let back: Vec<u8> = npy_serde::npy::from_slice(&bytes)?;
/// assert_eq!(back, [1, 2, 3]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn from_slice<T: NpyRead>(bytes: &[u8]) -> Result<T> {
    from_slice_with(bytes, &ReadOptions::default())
}

/// [`from_slice`] with options.
pub fn from_slice_with<T: NpyRead>(bytes: &[u8], options: &ReadOptions) -> Result<T> {
    let mut reader = bytes;
    read_sized(&mut reader, options, Some(bytes.len() as u64))
}

/// Loads an array from a `.npy` file.
///
/// The target type decides what is accepted: `Vec<T>` any shape (flattened in C order),
/// `Array2<T>` exactly two dimensions, `ArrayD<T>` any, [`NpyArray`](crate::NpyArray)
/// any dtype. `T` reads its own dtype in either byte order and lossless widenings.
///
/// ```
/// use npy_serde::npy;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("m.npy");
/// let matrix = ndarray::array![[1.0f64, 2.0], [3.0, 4.0]];
/// npy::save(&path, &matrix)?;
/// let back: ndarray::Array2<f64> = npy::load(&path)?;
/// assert_eq!(back, matrix);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load<T: NpyRead, P: AsRef<Path>>(path: P) -> Result<T> {
    load_with(path, &ReadOptions::default())
}

/// [`load`] with options.
pub fn load_with<T: NpyRead, P: AsRef<Path>>(path: P, options: &ReadOptions) -> Result<T> {
    let path = path.as_ref();
    let result = File::open(path).map_err(Error::from).and_then(|mut file| {
        let len = file.metadata()?.len();
        read_sized(&mut file, options, Some(len))
    });
    result.map_err(|e| e.in_file(path))
}

/// Reads a `.npy` file's header (dtype, shape, order, version, data offset) without
/// reading its data.
///
/// ```
/// use npy_serde::npy;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("h.npy");
/// npy::save(&path, &ndarray::Array2::<f32>::zeros((3, 4)))?;
/// let info = npy::inspect(&path)?;
/// assert_eq!(info.header.shape, [3, 4]);
/// assert_eq!(info.header.dtype.to_string(), "'<f4'");
/// assert_eq!(info.data_offset, 128);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inspect<P: AsRef<Path>>(path: P) -> Result<HeaderInfo> {
    inspect_with(path, &ReadOptions::default())
}

/// [`inspect`] with options (the header size limit).
pub fn inspect_with<P: AsRef<Path>>(path: P, options: &ReadOptions) -> Result<HeaderInfo> {
    let path = path.as_ref();
    File::open(path)
        .map_err(Error::from)
        .and_then(|mut file| read_header_with(&mut file, options))
        .map_err(|e| e.in_file(path))
}

/// Reads a `.npy` header from `reader` and leaves it at the first data byte (the reader
/// counterpart of [`inspect`]).
///
/// ```
/// let bytes = npy_serde::npy::to_vec(&vec![1.5f64; 4])?;
/// let info = npy_serde::npy::read_header(&mut &bytes[..])?;
/// assert_eq!((info.header.shape.as_slice(), info.data_offset), (&[4][..], 128));
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn read_header<R: Read>(reader: &mut R) -> Result<HeaderInfo> {
    read_header_with(reader, &ReadOptions::default())
}

/// [`read_header`] with options (the header size limit).
pub fn read_header_with<R: Read>(reader: &mut R, options: &ReadOptions) -> Result<HeaderInfo> {
    header::read_header(reader, options.max_header_size)
}

/// Reads an object array's pickle from `reader` with the safe reader, when `options` allow
/// it. `available`, when known, is the number of bytes present (they are read in one
/// piece); otherwise the pickle is read opcode by opcode and `reader` is left after its
/// `STOP`.
pub(crate) fn read_objects<R: Read>(
    reader: &mut R,
    available: Option<u64>,
    options: &ReadOptions,
) -> Result<ObjectArray> {
    if !options.allow_pickle {
        return Err(Error::from(ErrorKind::ObjectArray));
    }
    let unpickled = match available {
        Some(len) => {
            let mut bytes = Vec::new();
            reader.take(len).read_to_end(&mut bytes)?;
            pickle::unpickle(
                &bytes[..],
                Some(bytes.len() as u64),
                options.pickle_encoding,
            )?
        }
        None => pickle::unpickle(reader, None, options.pickle_encoding)?,
    };
    pickle::expect_objects(unpickled)
}

/// A file holding only a pickle of a NumPy array (`pickle.dump(array, f)`, which `np.load`
/// reads with `allow_pickle=True`), read with the safe reader when `options` allow it.
pub(crate) fn load_pickled_array(path: &Path, options: &ReadOptions) -> Result<PickledArray> {
    let read = || -> Result<PickledArray> {
        if !options.allow_pickle {
            return Err(Error::from(ErrorKind::WrongFileKind {
                expected: FileKind::Npy,
                found: FileKind::Pickle,
            }));
        }
        let bytes = std::fs::read(path)?;
        let len = Some(bytes.len() as u64);
        match pickle::unpickle(&bytes[..], len, options.pickle_encoding)? {
            Unpickled::Objects(objects) => Ok(PickledArray::from_objects(objects)),
            Unpickled::Other(Value::Array(array)) => Ok(*array),
            Unpickled::Other(other) => Err(Error::from(ErrorKind::Pickle {
                offset: 0,
                message: format!(
                    "the pickle holds a {}, not a NumPy array",
                    other.type_name()
                ),
            })),
        }
    };
    read().map_err(|e| e.in_file(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::to_vec as to_bytes;
    use ndarray::{array, Array2, ArrayD};

    #[test]
    fn fortran_files_load_with_the_right_shape() {
        let c: Array2<i16> = array![[0, 1, 2], [3, 4, 5]];
        let bytes = to_bytes(&c.t()).unwrap();
        let back: Array2<i16> = from_slice(&bytes).unwrap();
        assert_eq!(back, c.t());
        let flat: Vec<i16> = from_slice(&bytes).unwrap();
        assert_eq!(flat, [0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn wrong_rank_and_dtype_are_errors_naming_both() {
        let bytes = to_bytes(&vec![1i32, 2]).unwrap();
        let err = from_slice::<Array2<i32>>(&bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ShapeMismatch { .. }),
            "{err}"
        );
        let err = from_slice::<Vec<u8>>(&bytes).unwrap_err().to_string();
        assert!(
            err.contains("'<i4' (int32)") && err.contains("uint8 (u8)"),
            "{err}"
        );
        let wide: ArrayD<i64> = from_slice(&bytes).unwrap();
        assert_eq!(wide.into_raw_vec_and_offset().0, [1, 2]);
    }

    #[test]
    fn truncated_data_is_reported_without_allocating_the_declared_size() {
        let mut bytes = crate::header::Header::new(
            DType::Float {
                size: 8,
                endian: crate::dtype::Endian::Little,
            },
            vec![100_000_000_000],
        )
        .to_bytes()
        .unwrap();
        bytes.extend_from_slice(&[0; 72]);
        let err = from_slice::<Vec<f64>>(&bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Truncated { found: 72, .. }),
            "{err}"
        );
        let err = read::<Vec<f64>, _>(&mut &bytes[..]).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Truncated { .. }), "{err}");
    }

    #[test]
    fn missing_bytes_are_reported_before_a_type_mismatch() {
        let mut bytes = to_bytes(&vec![1i64; 8]).unwrap();
        bytes.truncate(bytes.len() - 1);
        let err = from_slice::<Vec<i32>>(&bytes).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Truncated { .. }), "{err}");
    }

    #[test]
    fn an_archive_given_as_npy_says_what_reads_it() {
        let err = from_slice::<Vec<i32>>(b"PK\x03\x04 rest of a zip").unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::WrongFileKind {
                    found: FileKind::Npz,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("npz::Reader::open"), "{err}");
    }

    #[test]
    fn subarray_elements_take_trailing_dimensions() {
        let points = vec![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let bytes = to_bytes(&points).unwrap();
        let as_matrix: Array2<f32> = from_slice(&bytes).unwrap();
        assert_eq!(as_matrix.shape(), [2, 3]);
        let back: Vec<[f32; 3]> = from_slice(&bytes).unwrap();
        assert_eq!(back, points);
        assert!(from_slice::<Vec<[f32; 2]>>(&bytes).is_err());
    }

    #[test]
    fn zero_d_and_empty_arrays() {
        let empty: Vec<f64> = vec![];
        let bytes = to_bytes(&empty).unwrap();
        assert_eq!(bytes.len(), 128);
        assert_eq!(from_slice::<Vec<f64>>(&bytes).unwrap(), empty);
        let zero_d = ndarray::arr0(7u16);
        let back: ndarray::Array0<u16> = from_slice(&to_bytes(&zero_d).unwrap()).unwrap();
        assert_eq!(back, zero_d);
    }
}
