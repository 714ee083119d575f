//! `.npy` files larger than memory without mapping them: reading a range of rows
//! ([`RowReader`]), writing a file from row chunks ([`save_chunks`], built on
//! [`StreamWriter`]), and appending rows to an existing file in place ([`Appender`]).
//!
//! Rows are the slices along the first axis. A row range of a C-order file is one
//! contiguous run of bytes, read with one seek and one bulk read. In a Fortran-order file
//! (of two or more dimensions) a row is scattered over the whole file, so
//! [`RowReader`] refuses it with an error (map the file instead: a row range of a
//! mapped Fortran-order array is a strided view, see [`MappedNpy::rows`](crate::mmap::MappedNpy::rows)).
//! Appending grows the axis NumPy's growth padding is for: the first one in C order, the
//! last one in Fortran order, whose slices are contiguous in both cases.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::{Array, Dimension, IxDyn};

use crate::dtype::DType;
use crate::elements::{element_layout, DataReader, FixedElement, NpyElement};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{self, Header, HeaderInfo};
use crate::options::ReadOptions;
use crate::write::{write_file_atomically, StreamWriter};

/// Opens `path` and reads its header, checking that the file holds all the data the
/// header declares (O(1): only the header is read). Returns the file and its length too.
fn open_checked(
    path: &Path,
    options: &ReadOptions,
    write: bool,
) -> Result<(File, HeaderInfo, u64)> {
    let mut file = OpenOptions::new().read(true).write(write).open(path)?;
    let len = file.metadata()?.len();
    let info = header::read_header(&mut file, options.max_header_size)?;
    info.check_data_present(len)?;
    Ok((file, info, len))
}

/// Reads ranges of rows (first-axis slices) of a C-order `.npy` file, one seek and one
/// bulk read per range, converting as [`npy::load`](crate::npy::load) does (either byte order,
/// lossless widening, strings).
///
/// ```
/// use ndarray::Array2;
/// use npy_serde::npy::RowReader;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("rows.npy");
/// npy_serde::npy::save(&path, &Array2::from_shape_fn((1000, 4), |(i, j)| (i * 4 + j) as f32))?;
///
/// let mut reader = RowReader::open(&path)?;
/// assert_eq!(reader.rows(), 1000);
/// let rows: Array2<f64> = reader.read_rows(10..13)?; // '<f4' widened to f64
/// assert_eq!(rows.shape(), [3, 4]);
/// assert_eq!(rows[[0, 1]], 41.0);
///
/// // Or the whole file, 256 rows at a time:
/// let mut total = 0.0;
/// for chunk in reader.chunks::<f32, ndarray::Ix2>(256) {
///     total += chunk?.sum();
/// }
/// assert_eq!(total, (0..4000).sum::<i32>() as f32);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RowReader {
    file: File,
    path: PathBuf,
    info: HeaderInfo,
}

impl RowReader {
    /// Opens a `.npy` file and reads its header. Refuses 0-d arrays (no rows) and
    /// Fortran-order arrays of two or more dimensions (rows not contiguous).
    pub fn open<P: AsRef<Path>>(path: P) -> Result<RowReader> {
        RowReader::open_with(path, &ReadOptions::default())
    }

    /// [`open`](Self::open) with options.
    pub fn open_with<P: AsRef<Path>>(path: P, options: &ReadOptions) -> Result<RowReader> {
        let path = path.as_ref();
        let result = open_checked(path, options, false).and_then(|(file, info, _)| {
            let shape = &info.header.shape;
            if shape.is_empty() {
                return Err(Error::from(ErrorKind::ShapeMismatch {
                    expected: "at least one dimension to read rows of".into(),
                    found: vec![],
                }));
            }
            if info.header.fortran_order && shape.len() > 1 {
                return Err(Error::from(ErrorKind::ShapeMismatch {
                    expected: "a C-order array: the rows of a Fortran-order array are not \
                               contiguous in the file (map it with MappedNpy and take \
                               rows(), or load it whole)"
                        .into(),
                    found: shape.clone(),
                }));
            }
            Ok(RowReader {
                file,
                path: path.to_path_buf(),
                info,
            })
        });
        result.map_err(|e| e.in_file(path))
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.info.header
    }

    /// Number of rows (length of the first axis).
    pub fn rows(&self) -> usize {
        self.info.header.shape[0]
    }

    /// Reads the rows `rows` as an array of dimension `D` (`Ix2`, `IxDyn`, …) whose first
    /// axis has `rows.len()` entries.
    pub fn read_rows<T: NpyElement, D: Dimension>(
        &mut self,
        rows: Range<usize>,
    ) -> Result<Array<T, D>> {
        self.read_rows_inner(rows)
            .map_err(|e| e.in_file(&self.path))
    }

    fn read_rows_inner<T: NpyElement, D: Dimension>(
        &mut self,
        rows: Range<usize>,
    ) -> Result<Array<T, D>> {
        let (dtype, mut shape) = element_layout::<T>(&self.info.header)?;
        if shape.is_empty() {
            return Err(Error::from(ErrorKind::ShapeMismatch {
                expected: format!(
                    "at least one dimension besides the subarray of {}",
                    std::any::type_name::<T>()
                ),
                found: self.info.header.shape.clone(),
            }));
        }
        let (_, skip, len) = self
            .info
            .header
            .rows(&(rows.start as u64..rows.end as u64))?;
        shape[0] = rows.len();
        let dim = D::from_dimension(&IxDyn(&shape)).ok_or_else(|| ErrorKind::ShapeMismatch {
            expected: format!("{} dimensions", D::NDIM.unwrap_or(shape.len())),
            found: shape.clone(),
        })?;
        // Within the file's data (checked at open), so none of this overflows.
        let row_items = shape[1..].iter().product::<usize>();
        let offset = self.info.data_offset + skip;
        self.file.seek(SeekFrom::Start(offset))?;
        let count = rows.len() * row_items;
        let mut data = DataReader::new(&mut self.file, offset, Some(len));
        let values = T::read_values(&dtype, count, &mut data)?;
        Array::from_shape_vec(dim, values).map_err(|e| Error::invalid_data(e.to_string()))
    }

    /// The whole array as consecutive chunks of `rows_per_chunk` rows (the last may be
    /// shorter), each read when the iterator reaches it.
    ///
    /// Rows of zero bytes (another axis has length 0, as in shape `(10**15, 0)`) come as
    /// one chunk of all the rows: the number of chunks is bounded by the bytes in the file,
    /// not by the shape.
    pub fn chunks<T: NpyElement, D: Dimension>(
        &mut self,
        rows_per_chunk: usize,
    ) -> impl Iterator<Item = Result<Array<T, D>>> + '_ {
        let rows = self.rows();
        let header = &self.info.header;
        let row_is_empty = header.dtype.itemsize() == 0 || header.shape[1..].contains(&0);
        let step = if row_is_empty {
            rows.max(1)
        } else {
            rows_per_chunk.max(1)
        };
        (0..rows)
            .step_by(step)
            .map(move |start| self.read_rows(start..(start + step).min(rows)))
    }
}

/// Writes a C-order `.npy` of `shape` at `path` from chunks of elements (any number of
/// whole or partial rows each) that together fill the shape, without holding the array
/// in memory. The file is written atomically (temporary file, then rename); too few or
/// too many elements are an error and leave no file.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("chunks.npy");
/// let chunks = (0..10).map(|chunk| vec![chunk as i64; 300]); // 10 chunks of 100 rows
/// npy_serde::npy::save_chunks(&path, &[1000, 3], chunks)?;
/// let back: ndarray::Array2<i64> = npy_serde::npy::load(&path)?;
/// assert_eq!(back[[999, 2]], 9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_chunks<T, P, I, C>(path: P, shape: &[usize], chunks: I) -> Result<()>
where
    T: FixedElement,
    P: AsRef<Path>,
    I: IntoIterator<Item = C>,
    C: AsRef<[T]>,
{
    let path = path.as_ref();
    write_file_atomically(path, true, |file| {
        let mut stream = StreamWriter::<T, _>::new(file, shape)?;
        for chunk in chunks {
            stream.write_chunk(chunk.as_ref())?;
        }
        stream.finish()?;
        Ok(())
    })
    .map_err(|e| e.in_file(path))
}

/// How an [`Appender`] opens a file: the [`ReadOptions`] it reads the header with, and
/// what it may do to a file that is not ready for appends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AppendOptions {
    /// How the file's header is read (its size limit).
    pub read: ReadOptions,
    /// Rewrite the whole file once, with a header that has NumPy ≥ 1.24's growth
    /// padding, when its header has no room for a longer shape (files written by
    /// NumPy < 1.24 and other writers). Off by default: the rewrite copies all the data.
    pub rewrite_header_if_needed: bool,
    /// Cut off bytes that follow the array's data (left by an interrupted append, or
    /// another array of a stream, which appending would overwrite). Off by default: such
    /// files are refused.
    pub discard_trailing_bytes: bool,
}

impl AppendOptions {
    /// Options that read the header with `read`.
    pub fn with_read(mut self, read: ReadOptions) -> Self {
        self.read = read;
        self
    }

    /// Allows (`true`) a one-time rewrite of files without growth padding.
    pub fn with_rewrite_header_if_needed(mut self, yes: bool) -> Self {
        self.rewrite_header_if_needed = yes;
        self
    }

    /// Allows (`true`) cutting off bytes after the array's data.
    pub fn with_discard_trailing_bytes(mut self, yes: bool) -> Self {
        self.discard_trailing_bytes = yes;
        self
    }
}

/// Appends rows to an existing `.npy` file in place: along the first axis of a C-order
/// array, the last axis of a Fortran-order one (the axis NumPy ≥ 1.24 leaves header room
/// for; NumPy itself has no API to use it).
///
/// Each [`append`](Self::append) writes the new data after the old, syncs it to disk, and
/// only then rewrites the header's length in place (same header size, so nothing moves)
/// and syncs again. A crash between the two steps leaves the old header, which still
/// describes the old array, and the file loads as it was before the append (the partial
/// data after it is ignored by readers and cut off by the next
/// [`open_with`](Self::open_with) with [`AppendOptions::discard_trailing_bytes`]).
/// Each append costs two `fsync`s: append in batches of rows, not one row at a time.
///
/// ```
/// use npy_serde::npy::Appender;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("log.npy");
/// npy_serde::npy::save(&path, &ndarray::Array2::<f32>::zeros((0, 3)))?;
/// let mut appender = Appender::<f32>::open(&path)?;
/// appender.append(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?; // two rows
/// appender.append(&[7.0, 8.0, 9.0])?;
/// assert_eq!(appender.len(), 3);
/// let back: ndarray::Array2<f32> = npy_serde::npy::load(&path)?;
/// assert_eq!(back.row(2).to_vec(), [7.0, 8.0, 9.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Appender<T> {
    file: File,
    path: PathBuf,
    info: HeaderInfo,
    /// The dtype `T` values are written as (a subarray for `[T; N]`).
    dtype: DType,
    /// Index of the growing axis in the header's shape.
    axis: usize,
    /// Elements of `T` per slice along the growing axis.
    slice_items: usize,
    element: PhantomData<T>,
}

impl<T: FixedElement> Appender<T> {
    /// Opens `path` for appending, refusing files whose header has no room to grow
    /// and files with bytes after the array's data.
    pub fn open<P: AsRef<Path>>(path: P) -> Result<Appender<T>> {
        Appender::open_with(path, &AppendOptions::default())
    }

    /// Opens `path` for appending with `options`.
    pub fn open_with<P: AsRef<Path>>(path: P, options: &AppendOptions) -> Result<Appender<T>> {
        let path = path.as_ref();
        Appender::open_inner(path, options).map_err(|e| e.in_file(path))
    }

    fn open_inner(path: &Path, options: &AppendOptions) -> Result<Appender<T>> {
        match Appender::open_once(path, options)? {
            Ok(appender) => Ok(appender),
            Err(no_room) if !options.rewrite_header_if_needed => Err(no_room),
            Err(_) => {
                rewrite_with_growth_padding(path, options.read.max_header_size)?;
                // The rewritten header is NumPy's own, with room for any length the axis
                // can take: if it still has none, that is a bug, reported, not retried.
                Appender::open_once(path, options)?
            }
        }
    }

    /// Opens and checks the file; the inner error is "the header has no room to grow",
    /// which a rewrite cures.
    fn open_once(path: &Path, options: &AppendOptions) -> Result<Result<Appender<T>>> {
        let (file, info, len) = open_checked(path, &options.read, true)?;
        let header = &info.header;
        if header.shape.is_empty() {
            return Err(Error::from(ErrorKind::ShapeMismatch {
                expected: "at least one dimension to append along".into(),
                found: vec![],
            }));
        }
        let (dtype, _) = element_layout::<T>(header)?;
        let own = match T::dtype() {
            DType::SubArray { base, shape } => DType::SubArray {
                base: Box::new(base.with_endian(dtype_endian(header))),
                shape,
            },
            own => own.with_endian(dtype_endian(header)),
        };
        if own != dtype {
            return Err(Error::from(ErrorKind::DtypeMismatch {
                expected: format!("{} (appended values are not converted)", T::dtype()),
                found: header.dtype.to_string(),
            }));
        }
        let axis = if header.fortran_order {
            header.shape.len() - 1
        } else {
            0
        };
        let item_dims = match &dtype {
            DType::SubArray { shape, .. } => shape.len(),
            _ => 0,
        };
        let slice_items = header.shape[..header.shape.len() - item_dims]
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != axis)
            .map(|(_, &dim)| dim)
            .product::<usize>();
        let data_end = info.data_offset + header.data_len()?;
        if len > data_end {
            if !options.discard_trailing_bytes {
                return Err(Error::invalid_data(format!(
                    "{} bytes follow the array's data at byte offset {data_end} (an \
                     interrupted append, or another array of a stream, which appending \
                     would overwrite); AppendOptions::with_discard_trailing_bytes cuts them off",
                    len - data_end
                )));
            }
            file.set_len(data_end)?;
        }
        let appender = Appender {
            file,
            path: path.to_path_buf(),
            info,
            dtype,
            axis,
            slice_items,
            element: PhantomData,
        };
        // The longest length the axis can take must fit in the header as it is.
        if let Err(e) = appender.header_bytes(appender.max_len()) {
            return Ok(Err(Error::unwritable(format!(
                "the header has no room for a longer shape (no growth padding: written by \
                 NumPy < 1.24 or another writer; {}); AppendOptions::with_rewrite_header_if_needed \
                 rewrites the file once with room",
                e.kind()
            ))));
        }
        Ok(Ok(appender))
    }

    /// The file's current header.
    pub fn header(&self) -> &Header {
        &self.info.header
    }

    /// The current length of the growing axis.
    pub fn len(&self) -> usize {
        self.info.header.shape[self.axis]
    }

    /// True when the growing axis has length 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Elements of `T` in one slice along the growing axis (a row, for C order).
    pub fn items_per_slice(&self) -> usize {
        self.slice_items
    }

    /// The longest the growing axis can be: the data size must stay below 2^64 bytes,
    /// counted as [`Header::data_len`] counts it (zero-length axes and zero-size items as
    /// 1, as NumPy does), which is also what headers can be written for.
    fn max_len(&self) -> usize {
        let shape = &self.info.header.shape;
        let others = shape
            .iter()
            .enumerate()
            .filter(|&(axis, &dim)| axis != self.axis && dim != 0)
            .try_fold(
                self.info.header.dtype.itemsize().max(1),
                |size, (_, &dim)| size.checked_mul(dim),
            );
        others.map_or(0, |slice_bytes| usize::MAX / slice_bytes)
    }

    /// The header for a growing axis of length `len`, exactly as long as the file's
    /// header (the same text NumPy writes, padded to the existing length); an error when
    /// it does not fit.
    fn header_bytes(&self, len: usize) -> Result<Vec<u8>> {
        let mut header = self.info.header.clone();
        header.shape[self.axis] = len;
        let version = self.info.version;
        let full = header.to_bytes_with_version(version)?;
        let prefix = version.prefix_len();
        let text = full[prefix..].trim_ascii_end();
        let total = self.info.data_offset as usize;
        if prefix + text.len() + 1 > total {
            return Err(Error::unwritable(format!(
                "a header with shape {:?} needs {} bytes, more than the {total} the file's \
                 header has",
                header.shape,
                prefix + text.len() + 1
            )));
        }
        let mut bytes = Vec::with_capacity(total);
        // Magic and version as they are.
        bytes.extend_from_slice(&full[..8]);
        // The length field keeps its value: the header keeps its size.
        let header_len = (total - prefix) as u32;
        match version {
            header::Version::V1 => bytes.extend_from_slice(&(header_len as u16).to_le_bytes()),
            _ => bytes.extend_from_slice(&header_len.to_le_bytes()),
        }
        bytes.extend_from_slice(text);
        bytes.resize(total - 1, b' ');
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Appends `values`: whole slices along the growing axis (rows, in C order), in the
    /// file's element order. Durable when it returns (see the type's documentation).
    pub fn append(&mut self, values: &[T]) -> Result<()> {
        self.append_inner(values).map_err(|e| e.in_file(&self.path))
    }

    fn append_inner(&mut self, values: &[T]) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        if self.slice_items == 0 || !values.len().is_multiple_of(self.slice_items) {
            return Err(Error::unwritable(format!(
                "{} values are not whole slices of {} elements (shape {:?})",
                values.len(),
                self.slice_items,
                self.info.header.shape
            )));
        }
        let new_len = self
            .len()
            .checked_add(values.len() / self.slice_items)
            .ok_or_else(|| Error::unwritable("the array would have more than 2^64 rows"))?;
        let mut new_header = self.info.header.clone();
        new_header.shape[self.axis] = new_len;
        new_header.data_len()?;
        let header_bytes = self.header_bytes(new_len)?;

        // 1. The data, after the old data; then make it durable.
        let data_end = self.info.data_offset + self.info.header.data_len()?;
        self.file.seek(SeekFrom::Start(data_end))?;
        {
            let mut writer = BufWriter::with_capacity(1 << 20, &self.file);
            T::write_values(values, &self.dtype, &mut writer)?;
            writer.flush()?;
        }
        self.file.sync_data()?;
        // 2. Only then the header that covers it, same size, in place.
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&header_bytes)?;
        self.file.sync_data()?;
        self.info.header = new_header;
        Ok(())
    }
}

/// The byte order of a file's dtype, for building `T`'s dtype in the same order.
fn dtype_endian(header: &Header) -> crate::dtype::Endian {
    if header.dtype.is_native_endian() {
        crate::dtype::Endian::NATIVE
    } else {
        crate::dtype::Endian::NATIVE.swapped()
    }
}

/// Rewrites `path` with the header NumPy ≥ 1.24 writes (growth padding), copying the data:
/// atomically, through a temporary file renamed over it.
fn rewrite_with_growth_padding(path: &Path, max_header_size: usize) -> Result<()> {
    let options = ReadOptions::default().with_max_header_size(max_header_size);
    let (mut file, info, _) = open_checked(path, &options, false)?;
    let data_len = info.header.data_len()?;
    let header_bytes = info.header.to_bytes()?;
    write_file_atomically(path, true, |writer| {
        writer.write_all(&header_bytes)?;
        let copied = std::io::copy(&mut (&mut file).take(data_len), writer)?;
        if copied != data_len {
            return Err(header::truncated(
                "data",
                info.data_offset,
                data_len,
                copied,
            ));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::WriteOptions;
    use crate::write::save;
    use ndarray::{array, Array1, Array2, Ix1, Ix2, ShapeBuilder};

    #[test]
    fn row_ranges_and_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.npy");
        let full = Array2::from_shape_fn((50, 3), |(i, j)| (i * 3 + j) as i16);
        save(&path, &full).unwrap();
        let mut reader = RowReader::open(&path).unwrap();
        let rows: Array2<i16> = reader.read_rows(5..9).unwrap();
        assert_eq!(rows, full.slice(ndarray::s![5..9, ..]));
        let empty: Array2<i64> = reader.read_rows(50..50).unwrap();
        assert_eq!(empty.shape(), [0, 3]);
        assert!(reader.read_rows::<i16, Ix2>(49..51).is_err());
        assert!(reader.read_rows::<i16, Ix1>(0..1).is_err());
        let chunks: Vec<Array2<i16>> = reader.chunks(16).collect::<Result<_>>().unwrap();
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks[3].shape(), [2, 3]);
        // Subarray elements: a row of (n, 3) is one [i16; 3].
        let points: Array1<[i16; 3]> = reader.read_rows(1..3).unwrap();
        assert_eq!(points[1], [6, 7, 8]);
    }

    #[test]
    fn fortran_and_zero_d_files_are_refused_for_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.npy");
        let mut f = Array2::<f64>::zeros((2, 2).f());
        f.assign(&array![[1.0, 2.0], [3.0, 4.0]]);
        save(&path, &f).unwrap();
        assert!(crate::read::inspect(&path).unwrap().header.fortran_order);
        let err = RowReader::open(&path).err().unwrap().to_string();
        assert!(err.contains("Fortran"), "{err}");
        save(&path, &ndarray::arr0(1u8)).unwrap();
        assert!(RowReader::open(&path).is_err());
    }

    #[test]
    fn save_chunks_checks_the_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.npy");
        let err = save_chunks(&path, &[2, 2], [vec![1u8, 2], vec![3]]).unwrap_err();
        assert!(err.to_string().contains("only 3 of the 4"), "{err}");
        assert!(!path.exists());
        assert!(save_chunks(&path, &[2, 2], [vec![1u8, 2, 3], vec![4, 5]]).is_err());
        save_chunks(&path, &[2, 2], [[1u8, 2, 3].as_slice(), &[4]]).unwrap();
        assert_eq!(
            crate::read::load::<Vec<u8>, _>(&path).unwrap(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn appends_keep_the_header_size_and_byte_identity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npy");
        save(&path, &Array2::<u32>::zeros((0, 2))).unwrap();
        let mut appender = Appender::<u32>::open(&path).unwrap();
        let mut expected = Vec::new();
        for step in 0..20u32 {
            let batch: Vec<u32> = (0..2 * (step + 1) * 37).map(|i| i + step).collect();
            appender.append(&batch).unwrap();
            expected.extend(batch);
        }
        let rows = expected.len() / 2;
        assert_eq!(appender.len(), rows);
        let whole = Array2::from_shape_vec((rows, 2), expected).unwrap();
        // Byte-identical to np.save of the final array: same header text and size.
        assert_eq!(
            std::fs::read(&path).unwrap(),
            crate::write::to_vec(&whole).unwrap()
        );
        assert!(appender.append(&[1, 2, 3]).is_err());
    }

    #[test]
    fn fortran_appends_grow_the_last_axis() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.npy");
        let mut f = Array2::<f64>::zeros((2, 3).f());
        f.assign(&array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        save(&path, &f).unwrap();
        let mut appender = Appender::<f64>::open(&path).unwrap();
        assert_eq!(appender.items_per_slice(), 2);
        appender.append(&[7.0, 8.0]).unwrap(); // one new column
        let back: Array2<f64> = crate::read::load(&path).unwrap();
        assert_eq!(back, array![[1.0, 2.0, 3.0, 7.0], [4.0, 5.0, 6.0, 8.0]]);
    }

    /// A header as NumPy < 1.24 wrote it: no growth padding, just alignment to 64. Shape
    /// `(rows, 1, 1, …)` with enough ones that a 20-digit length would not fit.
    fn old_numpy_file(path: &Path, rows: usize) {
        let text = |ones: usize| {
            let shape: String = std::iter::once(rows.to_string())
                .chain(std::iter::repeat_n("1".to_string(), ones))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{{'descr': '<i8', 'fortran_order': False, 'shape': ({shape}), }}")
        };
        let ones = (1..).find(|&ones| 10 + text(ones).len() + 1 > 120).unwrap();
        let text = text(ones);
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        let total = (10 + text.len() + 1).div_ceil(64) * 64;
        assert_eq!(total, 128);
        bytes.extend_from_slice(&((total - 10) as u16).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        bytes.resize(total - 1, b' ');
        bytes.push(b'\n');
        for i in 0..rows as i64 {
            bytes.extend_from_slice(&i.to_le_bytes());
        }
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn files_without_growth_padding_need_the_explicit_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.npy");
        old_numpy_file(&path, 3);
        let err = Appender::<i64>::open(&path).err().unwrap().to_string();
        assert!(err.contains("rewrite_header_if_needed"), "{err}");
        let options = AppendOptions::default().with_rewrite_header_if_needed(true);
        let mut appender = Appender::<i64>::open_with(&path, &options).unwrap();
        appender.append(&[3, 4]).unwrap();
        assert_eq!(
            crate::read::load::<Vec<i64>, _>(&path).unwrap(),
            [0, 1, 2, 3, 4]
        );
        assert_eq!(crate::read::inspect(&path).unwrap().data_offset, 192);
    }

    /// The header of a C-order `<f8` array of `shape` with no data bytes (as NumPy writes it).
    fn empty_rows_file(path: &Path, shape: &[usize]) {
        let header = Header::new("<f8".parse().unwrap(), shape.to_vec());
        std::fs::write(path, header.to_bytes().unwrap()).unwrap();
    }

    #[test]
    fn zero_length_axes_after_the_first_bound_the_work_by_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.npy");
        // (3, 0), as np.zeros((3, 0)) and save() write it: room to grow, no rewrite.
        save(&path, &Array2::<f64>::zeros((3, 0))).unwrap();
        let before = std::fs::read(&path).unwrap();
        let appender = Appender::<f64>::open(&path).unwrap();
        assert_eq!((appender.len(), appender.items_per_slice()), (3, 0));
        drop(appender);
        let options = AppendOptions::default().with_rewrite_header_if_needed(true);
        let mut appender = Appender::<f64>::open_with(&path, &options).unwrap();
        assert!(appender.append(&[1.0]).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before, "nothing to rewrite");

        // (10**15, 0): one chunk of every (empty) row, not 10**12 chunks of 1000.
        empty_rows_file(&path, &[1_000_000_000_000_000, 0]);
        let mut reader = RowReader::open(&path).unwrap();
        let chunks: Vec<Array2<f64>> = reader.chunks(1000).collect::<Result<_>>().unwrap();
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].shape(), [1_000_000_000_000_000, 0]);
        Appender::<f64>::open_with(&path, &options).unwrap();
        // Fortran order grows the last axis; a zero-length first axis gives it no bytes.
        std::fs::write(
            &path,
            Header {
                fortran_order: true,
                ..Header::new("<f8".parse().unwrap(), vec![0, 7])
            }
            .to_bytes()
            .unwrap(),
        )
        .unwrap();
        let appender = Appender::<f64>::open_with(&path, &options).unwrap();
        assert_eq!((appender.len(), appender.items_per_slice()), (7, 0));
    }

    #[test]
    fn trailing_bytes_and_wrong_types_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.npy");
        save(&path, &vec![1i32, 2]).unwrap();
        assert!(Appender::<i64>::open(&path).is_err());
        assert!(Appender::<u32>::open(&path).is_err());
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[9; 3]).unwrap();
        drop(file);
        let err = Appender::<i32>::open(&path).err().unwrap().to_string();
        assert!(err.contains("3 bytes follow"), "{err}");
        let options = AppendOptions::default().with_discard_trailing_bytes(true);
        let mut appender = Appender::<i32>::open_with(&path, &options).unwrap();
        appender.append(&[3]).unwrap();
        assert_eq!(crate::read::load::<Vec<i32>, _>(&path).unwrap(), [1, 2, 3]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 128 + 12);
    }

    #[test]
    fn big_endian_files_append_in_their_byte_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.npy");
        let options = WriteOptions::default().with_endian(crate::dtype::Endian::Big);
        crate::write::save_with(&path, &vec![1u16, 2], &options).unwrap();
        Appender::<u16>::open(&path)
            .unwrap()
            .append(&[258])
            .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[128..], [0, 1, 0, 2, 1, 2]);
    }
}
