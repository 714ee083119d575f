//! Reading `.npy` data: the [`NpyRead`] trait (implemented for `Vec<T>`, ndarray arrays of
//! any dimension and the dynamic [`NpyArray`](crate::NpyArray); object arrays also load
//! into the types listed in [`pickle`](crate::pickle)), the path, reader and byte-slice
//! functions, and header inspection without reading data.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use ndarray::{Array, Dimension, IxDyn, ShapeBuilder};

use crate::dtype::DType;
use crate::element::{DataReader, NpyElement};
use crate::error::{Error, ErrorKind, Result};
use crate::header::{self, Header, HeaderInfo, DEFAULT_MAX_HEADER_SIZE};

/// The default of [`ReadOptions::max_inflated_size`]: 1 GiB.
pub const DEFAULT_MAX_INFLATED_SIZE: u64 = 1 << 30;

/// How files are read. The limits are listed together in the crate documentation
/// ([Limits](crate#limits)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Longest header text accepted, in characters (NumPy's `max_header_size`, default
    /// 10000). Raise it only for trusted files: NumPy itself writes larger headers only
    /// for dtypes with thousands of fields.
    pub max_header_size: usize,
    /// Read object arrays (`|O`) with the safe pickle reader ([`pickle`](crate::pickle)),
    /// which runs no code and builds only allow-listed types (default `false`, as NumPy's
    /// `allow_pickle`).
    pub allow_pickle: bool,
    /// How Python 2 strings in object arrays are read (NumPy's `encoding`, default ASCII).
    pub pickle_encoding: crate::pickle::PickleEncoding,
    /// Largest size a deflated `.npz` member may declare for its inflated bytes when it
    /// is read (default [`DEFAULT_MAX_INFLATED_SIZE`], 1 GiB): deflate expands up to
    /// 1032 to 1, so without it a 1 MB archive could make a reader inflate a gigabyte.
    /// Stored members are bounded by the file itself and are not limited. Raise it for
    /// trusted archives with larger compressed arrays (`u64::MAX` lifts it).
    pub max_inflated_size: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
            allow_pickle: false,
            pickle_encoding: crate::pickle::PickleEncoding::default(),
            max_inflated_size: DEFAULT_MAX_INFLATED_SIZE,
        }
    }
}

impl ReadOptions {
    /// Options with another header size limit.
    pub fn with_max_header_size(mut self, max_header_size: usize) -> Self {
        self.max_header_size = max_header_size;
        self
    }

    /// Options that read (or refuse) object arrays with the safe pickle reader.
    pub fn with_allow_pickle(mut self, allow_pickle: bool) -> Self {
        self.allow_pickle = allow_pickle;
        self
    }

    /// Options that read Python 2 strings in object arrays as `encoding` says.
    pub fn with_pickle_encoding(mut self, encoding: crate::pickle::PickleEncoding) -> Self {
        self.pickle_encoding = encoding;
        self
    }

    /// Options with another limit on the inflated size of a deflated `.npz` member.
    pub fn with_max_inflated_size(mut self, max_inflated_size: u64) -> Self {
        self.max_inflated_size = max_inflated_size;
        self
    }
}

/// Something a `.npy` array can be read into.
pub trait NpyRead: Sized {
    /// Reads the data that `header` describes. `data` is positioned at the first data byte.
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self>;

    /// Builds the value from an object array (`|O`) that the safe pickle reader read (only
    /// with [`ReadOptions::allow_pickle`]). The default refuses: only types that can hold
    /// Python objects, or their conversions, override it.
    fn from_objects(objects: crate::pickle::ObjectArray) -> Result<Self> {
        let _ = objects;
        Err(Error::from(ErrorKind::DtypeMismatch {
            expected: format!("a dtype {} reads", std::any::type_name::<Self>()),
            found: "'|O' (an object array)".to_string(),
            field: None,
        }))
    }
}

/// How a file's elements map to `T`: the dtype `T` reads and the shape of `T` items.
///
/// A subarray type (`[f32; 3]`) takes the file's trailing dimensions as part of each item.
pub(crate) fn element_layout<T: NpyElement>(header: &Header) -> Result<(DType, Vec<usize>)> {
    if header.dtype.has_object() {
        return Err(Error::from(ErrorKind::ObjectArray));
    }
    let mut dtype = header.dtype.clone();
    let mut shape = header.shape.clone();
    if let DType::SubArray { shape: inner, .. } = T::write_dtype(&[]) {
        let split = shape.len().checked_sub(inner.len());
        let fits = split.is_some_and(|split| shape[split..] == inner[..]);
        if !fits || (header.fortran_order && shape.len() > 1) {
            return Err(Error::from(ErrorKind::ShapeMismatch {
                expected: format!(
                    "a C-order array whose last dimensions are {inner:?} (the subarray of {})",
                    std::any::type_name::<T>()
                ),
                found: shape,
            }));
        }
        shape.truncate(split.expect("checked"));
        dtype = DType::SubArray {
            base: Box::new(dtype),
            shape: inner,
        };
    }
    T::check_readable(&dtype)?;
    Ok((dtype, shape))
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

    fn from_objects(objects: crate::pickle::ObjectArray) -> Result<Self> {
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

    fn from_objects(objects: crate::pickle::ObjectArray) -> Result<Self> {
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

/// Reads one array from `reader` and leaves it after the array's last byte, so several
/// arrays written one after another read back in turn; past the last one the error is
/// [`ErrorKind::NoDataLeft`].
///
/// ```
/// let mut stream = Vec::new();
/// npy_serde::write_npy(&mut stream, &vec![1i32, 2])?;
/// npy_serde::write_npy(&mut stream, &vec![3.5f64])?;
/// let mut reader = &stream[..];
/// let first: Vec<i32> = npy_serde::read_npy(&mut reader)?;
/// let second: Vec<f64> = npy_serde::read_npy(&mut reader)?;
/// assert_eq!((first, second), (vec![1, 2], vec![3.5]));
/// let end = npy_serde::read_npy::<Vec<i32>, _>(&mut reader).unwrap_err();
/// assert!(matches!(end.kind(), npy_serde::ErrorKind::NoDataLeft));
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn read_npy<T: NpyRead, R: Read>(reader: &mut R) -> Result<T> {
    read_npy_with(reader, &ReadOptions::default())
}

/// [`read_npy`] with options.
pub fn read_npy_with<T: NpyRead, R: Read>(reader: &mut R, options: &ReadOptions) -> Result<T> {
    read_sized(reader, options, None)
}

/// Reads one array from a reader whose total length (header included), when known, bounds
/// the data: a short file is then refused before anything is allocated.
pub(crate) fn read_sized<T: NpyRead, R: Read>(
    reader: &mut R,
    options: &ReadOptions,
    total_len: Option<u64>,
) -> Result<T> {
    let info = header::read_header(reader, options.max_header_size)?;
    let available = total_len.map(|len| len.saturating_sub(info.data_offset));
    if info.header.dtype == DType::Object {
        let objects = crate::pickle::read_objects(reader, available, options)?;
        return T::from_objects(objects);
    }
    let mut data = DataReader::new(reader, info.data_offset, available);
    T::read_npy_data(&info.header, &mut data)
}

/// Reads an array from the bytes of a `.npy`.
pub fn from_bytes<T: NpyRead>(bytes: &[u8]) -> Result<T> {
    let mut reader = bytes;
    read_sized(
        &mut reader,
        &ReadOptions::default(),
        Some(bytes.len() as u64),
    )
}

/// Loads an array from a `.npy` file.
///
/// The target type decides what is accepted: `Vec<T>` any shape (flattened in C order),
/// `Array2<T>` exactly two dimensions, `ArrayD<T>` any, [`NpyArray`](crate::NpyArray)
/// any dtype. `T` reads its own dtype in either byte order and lossless widenings.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("m.npy");
/// let matrix = ndarray::array![[1.0f64, 2.0], [3.0, 4.0]];
/// npy_serde::save(&path, &matrix)?;
/// let back: ndarray::Array2<f64> = npy_serde::load(&path)?;
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
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("h.npy");
/// npy_serde::save(&path, &ndarray::Array2::<f32>::zeros((3, 4)))?;
/// let info = npy_serde::inspect(&path)?;
/// assert_eq!(info.header.shape, [3, 4]);
/// assert_eq!(info.header.dtype.to_string(), "'<f4'");
/// assert_eq!(info.data_offset, 128);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inspect<P: AsRef<Path>>(path: P) -> Result<HeaderInfo> {
    let path = path.as_ref();
    File::open(path)
        .map_err(Error::from)
        .and_then(|mut file| header::read_header(&mut file, DEFAULT_MAX_HEADER_SIZE))
        .map_err(|e| e.in_file(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::to_bytes;
    use ndarray::{array, Array2, ArrayD};

    #[test]
    fn fortran_files_load_with_the_right_shape() {
        let c: Array2<i16> = array![[0, 1, 2], [3, 4, 5]];
        let bytes = to_bytes(&c.t()).unwrap();
        let back: Array2<i16> = from_bytes(&bytes).unwrap();
        assert_eq!(back, c.t());
        let flat: Vec<i16> = from_bytes(&bytes).unwrap();
        assert_eq!(flat, [0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn wrong_rank_and_dtype_are_errors_naming_both() {
        let bytes = to_bytes(&vec![1i32, 2]).unwrap();
        let err = from_bytes::<Array2<i32>>(&bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ShapeMismatch { .. }),
            "{err}"
        );
        let err = from_bytes::<Vec<u8>>(&bytes).unwrap_err().to_string();
        assert!(err.contains("'<i4'") && err.contains("'|u1'"), "{err}");
        let wide: ArrayD<i64> = from_bytes(&bytes).unwrap();
        assert_eq!(wide.into_raw_vec_and_offset().0, [1, 2]);
    }

    #[test]
    fn truncated_data_is_reported_without_allocating_the_declared_size() {
        let mut bytes = crate::header::Header::new(
            DType::Float {
                size: 8,
                endian: crate::Endian::Little,
            },
            vec![100_000_000_000],
        )
        .to_bytes()
        .unwrap();
        bytes.extend_from_slice(&[0; 72]);
        let err = from_bytes::<Vec<f64>>(&bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Truncated { found: 72, .. }),
            "{err}"
        );
        let err = read_npy::<Vec<f64>, _>(&mut &bytes[..]).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Truncated { .. }), "{err}");
    }

    #[test]
    fn subarray_elements_take_trailing_dimensions() {
        let points = vec![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let bytes = to_bytes(&points).unwrap();
        let as_matrix: Array2<f32> = from_bytes(&bytes).unwrap();
        assert_eq!(as_matrix.shape(), [2, 3]);
        let back: Vec<[f32; 3]> = from_bytes(&bytes).unwrap();
        assert_eq!(back, points);
        assert!(from_bytes::<Vec<[f32; 2]>>(&bytes).is_err());
    }

    #[test]
    fn zero_d_and_empty_arrays() {
        let empty: Vec<f64> = vec![];
        let bytes = to_bytes(&empty).unwrap();
        assert_eq!(bytes.len(), 128);
        assert_eq!(from_bytes::<Vec<f64>>(&bytes).unwrap(), empty);
        let zero_d = ndarray::arr0(7u16);
        let back: ndarray::Array0<u16> = from_bytes(&to_bytes(&zero_d).unwrap()).unwrap();
        assert_eq!(back, zero_d);
    }
}
