//! Writing `.npy` data: the [`NpyWrite`] trait (implemented for slices, `Vec`, ndarray
//! arrays of any dimension and layout, [`Shaped`] slices, the dynamic
//! [`NpyArray`](crate::NpyArray) and object arrays), writing to a writer, to bytes or to a
//! path (atomically), and writing one array chunk by chunk.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use ndarray::{ArrayBase, Axis, Data, Dimension};

use crate::dtype::DType;
use crate::elements::{FixedElement, NpyElement};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{self, Header};
use crate::options::WriteOptions;
use crate::pickle::{self, ObjectArray};

mod temp_files;

/// Something that can be written as one `.npy` array.
pub trait NpyWrite {
    /// The header this array is written with.
    fn header(&self, options: &WriteOptions) -> Result<Header>;

    /// Writes the data part, laid out as `header` (from [`header`](Self::header)) says.
    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()>;

    /// Writes the whole `.npy`: header, then data.
    fn write_npy<W: Write>(&self, writer: &mut W, options: &WriteOptions) -> Result<()> {
        let header = self.header(options)?;
        writer.write_all(&header_bytes(&header, options)?)?;
        self.write_data(&header, writer)
    }
}

impl<A: NpyWrite + ?Sized> NpyWrite for &A {
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        (**self).header(options)
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        (**self).write_data(header, writer)
    }
}

/// An array of any type as a trait object, so arrays of different types can be passed
/// together to [`savez`](crate::npz::savez). Implemented for everything that is [`NpyWrite`]; not to be
/// implemented directly.
pub trait NpyWriteDyn {
    /// [`NpyWrite::header`].
    fn dyn_header(&self, options: &WriteOptions) -> Result<Header>;
    /// [`NpyWrite::write_data`] into a `dyn Write`.
    fn dyn_write_data(&self, header: &Header, writer: &mut dyn Write) -> Result<()>;
}

impl<A: NpyWrite + ?Sized> NpyWriteDyn for A {
    fn dyn_header(&self, options: &WriteOptions) -> Result<Header> {
        self.header(options)
    }

    fn dyn_write_data(&self, header: &Header, mut writer: &mut dyn Write) -> Result<()> {
        self.write_data(header, &mut writer)
    }
}

impl NpyWrite for dyn NpyWriteDyn + '_ {
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        self.dyn_header(options)
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        self.dyn_write_data(header, writer)
    }
}

/// The header for `values` of shape `shape`: subarray element types (`[T; N]`) add their
/// dimensions after the shape (before it in Fortran order), as NumPy does.
fn element_header<T: NpyElement>(
    values: &[T],
    shape: Vec<usize>,
    fortran_order: bool,
    options: &WriteOptions,
) -> Result<Header> {
    header_for_dtype(T::write_dtype(values), shape, fortran_order, options)
}

/// The header for elements whose [`NpyElement::write_dtype`] is `dtype`.
fn header_for_dtype(
    mut dtype: DType,
    mut shape: Vec<usize>,
    fortran_order: bool,
    options: &WriteOptions,
) -> Result<Header> {
    // Data that reads the same in both orders is written as C order, as NumPy does.
    let fortran_order = header::numpy_fortran_order(&shape, fortran_order);
    if let DType::SubArray { base, shape: inner } = dtype {
        // Each element's items are contiguous, which column-major order of the whole
        // shape would not keep.
        if fortran_order {
            return Err(Error::unwritable(
                "subarray elements ([T; N]) can only be written in C order",
            ));
        }
        shape.extend(inner);
        dtype = *base;
    }
    if dtype.has_object() {
        return Err(Error::unwritable("object dtypes ('|O') cannot be written"));
    }
    Ok(Header {
        dtype: dtype.with_endian(options.endian_or_native()),
        shape,
        fortran_order,
    })
}

/// Writes `values` as the header's dtype (which folds subarray dimensions into the shape).
fn write_elements<T: NpyElement, W: Write>(
    values: &[T],
    header: &Header,
    writer: &mut W,
) -> Result<()> {
    let dtype = T::write_dtype(values);
    let dtype = match dtype {
        DType::SubArray { .. } => dtype.with_endian(header.dtype.endian()),
        _ => header.dtype.clone(),
    };
    T::write_values(values, &dtype, writer)
}

impl<T: NpyElement> NpyWrite for [T] {
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        element_header(self, vec![self.len()], false, options)
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        write_elements(self, header, writer)
    }
}

impl<T: NpyElement> NpyWrite for Vec<T> {
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        self.as_slice().header(options)
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        self.as_slice().write_data(header, writer)
    }
}

/// A slice with an explicit shape (C order unless `fortran_order`): how to save a flat
/// buffer as an N-D array, or one value as a 0-d array.
///
/// ```
/// use npy_serde::npy::{self, Shaped};
///
/// let bytes = npy::to_vec(&Shaped::new(&[1i64, 2, 3, 4, 5, 6], &[2, 3]))?;
/// let back: ndarray::Array2<i64> = npy::from_slice(&bytes)?;
/// assert_eq!(back, ndarray::array![[1, 2, 3], [4, 5, 6]]);
///
/// let scalar = npy::to_vec(&Shaped::scalar(&1.5f64))?;
/// let back: ndarray::Array0<f64> = npy::from_slice(&scalar)?;
/// assert_eq!(back.into_scalar(), 1.5);
/// # Ok::<(), npy_serde::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Shaped<'a, T> {
    /// The elements, in the order `fortran_order` says.
    pub data: &'a [T],
    /// The shape; its product must equal `data.len()`.
    pub shape: &'a [usize],
    /// True when `data` is in column-major order.
    pub fortran_order: bool,
}

impl<'a, T> Shaped<'a, T> {
    /// `data` in C order with `shape`.
    pub fn new(data: &'a [T], shape: &'a [usize]) -> Self {
        Shaped {
            data,
            shape,
            fortran_order: false,
        }
    }

    /// One value as a 0-d array.
    pub fn scalar(value: &'a T) -> Self {
        Shaped::new(std::slice::from_ref(value), &[])
    }
}

impl<T: NpyElement> NpyWrite for Shaped<'_, T> {
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        let count = header::element_count(self.shape)?;
        if count != self.data.len() {
            return Err(Error::unwritable(format!(
                "shape {:?} has {count} elements but {} values were given",
                self.shape,
                self.data.len()
            )));
        }
        element_header(self.data, self.shape.to_vec(), self.fortran_order, options)
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        write_elements(self.data, header, writer)
    }
}

/// ndarray arrays of any dimension: C-contiguous arrays are written as they are,
/// F-contiguous ones with `fortran_order: True` (as NumPy does), other views are copied
/// in C order first.
impl<S, D, T> NpyWrite for ArrayBase<S, D>
where
    S: Data<Elem = T>,
    D: Dimension,
    T: NpyElement + Clone,
{
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        let shape = self.shape().to_vec();
        match (self.as_slice(), fortran_slice(self)) {
            (Some(values), _) => element_header(values, shape, false, options),
            (None, Some(values)) => element_header(values, shape, true, options),
            (None, None) => header_for_dtype(strided_dtype(self), shape, false, options),
        }
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        match (self.as_slice(), fortran_slice(self)) {
            (Some(values), _) => write_elements(values, header, writer),
            (None, Some(values)) => write_elements(values, header, writer),
            (None, None) => for_each_chunk(self, |chunk| write_elements(chunk, header, writer)),
        }
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
        writer.write_all(&pickle::write_object_array(self)?)?;
        Ok(())
    }
}

/// `stored`, the header of raw data held as it was read, in the byte order `options` ask
/// for (when they ask for one).
pub(crate) fn raw_header(stored: &Header, options: &WriteOptions) -> Header {
    let mut header = stored.clone();
    if let Some(endian) = options.endian {
        header.dtype = header.dtype.with_endian(endian);
    }
    header
}

/// Writes `bytes`, raw data of dtype `stored`, as the data of `header` (from
/// [`raw_header`]): as they are when the byte orders agree, reordered part by part
/// otherwise.
pub(crate) fn write_raw<W: Write>(
    stored: &DType,
    bytes: &[u8],
    header: &Header,
    writer: &mut W,
) -> Result<()> {
    match header.dtype.parts_endian() {
        Some(endian) if header.dtype != *stored => {
            let mut reordered = bytes.to_vec();
            stored.reorder_bytes(endian, &mut reordered);
            Ok(writer.write_all(&reordered)?)
        }
        _ => Ok(writer.write_all(bytes)?),
    }
}

/// Elements of a non-contiguous array copied out at a time, in C order: a strided view is
/// written through one small reused buffer instead of a copy of the whole array.
const STRIDED_CHUNK: usize = 1 << 14;

/// Calls `f` on the elements of `array` in C order, a buffer of about [`STRIDED_CHUNK`] at a
/// time. Rows are copied with ndarray's strided row iterators, which run far faster than
/// stepping a multi-dimensional iterator one element at a time.
fn for_each_chunk<S, D, T>(
    array: &ArrayBase<S, D>,
    mut f: impl FnMut(&[T]) -> Result<()>,
) -> Result<()>
where
    S: Data<Elem = T>,
    D: Dimension,
    T: Clone,
{
    let mut chunk = Vec::with_capacity(STRIDED_CHUNK.min(array.len()));
    for row in array.rows() {
        for piece in row.axis_chunks_iter(Axis(0), STRIDED_CHUNK) {
            chunk.extend(piece.iter().cloned());
            if chunk.len() >= STRIDED_CHUNK {
                f(&chunk)?;
                chunk.clear();
            }
        }
    }
    if !chunk.is_empty() {
        f(&chunk)?;
    }
    Ok(())
}

/// The element dtype of a non-contiguous array, without copying it: element dtypes depend
/// on the values only through their width (the longest string), so the widest chunk's dtype
/// is the whole array's.
fn strided_dtype<S, D, T>(array: &ArrayBase<S, D>) -> DType
where
    S: Data<Elem = T>,
    D: Dimension,
    T: NpyElement + Clone,
{
    let mut widest = T::write_dtype(&[]);
    let _ = for_each_chunk(array, |chunk| {
        let dtype = T::write_dtype(chunk);
        if dtype.itemsize() > widest.itemsize() {
            widest = dtype;
        }
        Ok(())
    });
    widest
}

/// The elements in memory order when the array is F-contiguous and not C-contiguous.
fn fortran_slice<S, D>(array: &ArrayBase<S, D>) -> Option<&[S::Elem]>
where
    S: Data,
    S::Elem: NpyElement,
    D: Dimension,
{
    let subarray_elements = matches!(S::Elem::write_dtype(&[]), DType::SubArray { .. });
    if array.ndim() > 1 && !array.is_standard_layout() && !subarray_elements {
        array
            .as_slice_memory_order()
            .filter(|_| array.t().is_standard_layout())
    } else {
        None
    }
}

/// Writes `array` as a `.npy` to `writer`: NumPy's bytes, as `np.save` writes them to a
/// file object (several arrays written one after another read back with
/// [`read`](crate::npy::read)).
pub fn write<W: Write, A: NpyWrite + ?Sized>(writer: &mut W, array: &A) -> Result<()> {
    write_with(writer, array, &WriteOptions::default())
}

/// [`write`](fn@write) with options (byte order, format version).
pub fn write_with<W: Write, A: NpyWrite + ?Sized>(
    writer: &mut W,
    array: &A,
    options: &WriteOptions,
) -> Result<()> {
    options.check_npy()?;
    array.write_npy(writer, options)
}

/// The `.npy` bytes of `array`.
///
/// ```
/// let bytes = npy_serde::npy::to_vec(&vec![1i64, 2, 3])?;
/// assert_eq!(bytes.len(), 128 + 24);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn to_vec<A: NpyWrite + ?Sized>(array: &A) -> Result<Vec<u8>> {
    to_vec_with(array, &WriteOptions::default())
}

/// [`to_vec`] with options (byte order, format version).
pub fn to_vec_with<A: NpyWrite + ?Sized>(array: &A, options: &WriteOptions) -> Result<Vec<u8>> {
    options.check_npy()?;
    // The whole file in one allocation: the header says how much data follows (its own
    // length is under 64 KiB unless the dtype has thousands of fields).
    let data_len = array.header(options).and_then(|header| header.data_len());
    let capacity = data_len.map_or(0, |len| usize::try_from(len).unwrap_or(0));
    let mut bytes = crate::buffer::vec_for_write(capacity.saturating_add(1 << 12));
    array.write_npy(&mut bytes, options)?;
    Ok(bytes)
}

/// Saves `array` to `path` atomically (see [`save_with`]).
///
/// ```
/// use npy_serde::npy;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("a.npy");
/// let values: Vec<f32> = vec![1.0, 2.0, 3.0];
/// npy::save(&path, &values)?;
/// let back: Vec<f32> = npy::load(&path)?;
/// assert_eq!(back, values);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save<P: AsRef<Path>, A: NpyWrite + ?Sized>(path: P, array: &A) -> Result<()> {
    save_with(path, array, &WriteOptions::default())
}

/// Saves `array` to `path` with `options`.
///
/// `.npy` is appended when the file name has no extension (`"weights"` becomes
/// `"weights.npy"`), as `np.save` does; unlike `np.save`, a name with another extension
/// (`"weights.bin"`) is kept as given.
///
/// The save is atomic: the data goes to a temporary file in the same directory, which is
/// flushed to disk and then renamed over `path`, so a crash never leaves a half-written
/// file in place of an old one.
pub fn save_with<P: AsRef<Path>, A: NpyWrite + ?Sized>(
    path: P,
    array: &A,
    options: &WriteOptions,
) -> Result<()> {
    let path = with_default_extension(path.as_ref(), "npy");
    options
        .check_npy()
        .and_then(|()| {
            write_file_atomically(&path, options.sync, |file| array.write_npy(file, options))
        })
        .map_err(|e| e.in_file(&path))
}

/// `path` with `.{extension}` appended when its file name has no extension.
pub(crate) fn with_default_extension(path: &Path, extension: &str) -> PathBuf {
    if path.extension().is_some() {
        path.to_path_buf()
    } else {
        let mut name = path.as_os_str().to_owned();
        name.push(".");
        name.push(extension);
        PathBuf::from(name)
    }
}

/// The file an atomic save replaces: `path` itself or, when `path` is a symbolic link, the
/// file it points to, so that saving through a link updates its target (as writing
/// through the link would) and the link stays a link.
pub(crate) fn save_target(path: &Path) -> PathBuf {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return path.to_path_buf();
    }
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        // A dangling link: its target is created, as open() would create it.
        match std::fs::read_link(path) {
            Ok(target) if target.is_relative() => {
                path.parent().unwrap_or(Path::new("")).join(target)
            }
            Ok(target) => target,
            Err(_) => path.to_path_buf(),
        }
    })
}

/// A temporary file in the directory of `target`, named after it (`.<name>.XXXXXX.tmp`),
/// for an atomic replace, locked while it is open (see `temp_files`); the temporary files
/// that killed saves to the same target left are removed first. It gets the permissions of
/// the file it replaces or, for a new file, 0o666 less the umask, as `open()` creates one
/// (tempfile's own 0o600 would otherwise survive the rename).
pub(crate) fn temp_file_beside(target: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = temp_files::prefix(&target.file_name().unwrap_or_default().to_string_lossy());
    temp_files::remove_stale(dir, &prefix);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let temp = temp_files::create_locked(&builder, dir)?;
    if let Ok(existing) = std::fs::metadata(target) {
        temp.as_file().set_permissions(existing.permissions())?;
    }
    Ok(temp)
}

/// Removes the temporary files that killed atomic saves to `target` left behind, when no
/// process holds them (see `temp_files`).
pub(crate) fn remove_stale_temp_files(target: &Path) {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    temp_files::remove_stale(dir, &temp_files::prefix(&name));
}

/// Makes a rename into `target`'s directory durable: on Unix the directory entry is only
/// on disk once the directory itself is synced. Best effort elsewhere.
pub(crate) fn sync_parent_dir(target: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = target;
    Ok(())
}

/// The header bytes of `header` in the version `options` asks for (NumPy's choice when none).
pub(crate) fn header_bytes(header: &Header, options: &WriteOptions) -> Result<Vec<u8>> {
    match options.version {
        Some(version) => header.to_bytes_with_version(version),
        None => header.to_bytes(),
    }
}

/// Writes a file through a temporary file in the same directory, flushed (and, with
/// `sync`, synced to disk), then renamed over `path` (over the file it links to, when it is
/// a symbolic link) and, with `sync`, the directory synced: readers see the old file or
/// the new one, never a mix, and the new one keeps the old one's permissions.
pub(crate) fn write_file_atomically<F>(path: &Path, sync: bool, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<&File>) -> Result<()>,
{
    replace_file_atomically(path, sync, |temp| {
        let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file());
        write(&mut writer)?;
        writer.flush()?;
        Ok(())
    })
}

/// [`write_file_atomically`] for writers that fill the temporary file themselves (by its
/// path or its handle): `write` fills `temp`, which then replaces `path` as above.
pub(crate) fn replace_file_atomically<F>(path: &Path, sync: bool, write: F) -> Result<()>
where
    F: FnOnce(&tempfile::NamedTempFile) -> Result<()>,
{
    let target = save_target(path);
    let temp = temp_file_beside(&target)?;
    write(&temp)?;
    if sync {
        temp.as_file().sync_all()?;
    }
    temp.persist(&target).map_err(|e| ErrorKind::Io(e.error))?;
    if sync {
        sync_parent_dir(&target)?;
    }
    Ok(())
}

/// Writes one `.npy` array chunk by chunk, for arrays that are never whole in memory: the
/// header (with the full shape) goes first, then the elements in C order as they come.
///
/// ```
/// use npy_serde::npy::{self, StreamWriter};
///
/// let mut stream = StreamWriter::<f64, _>::new(Vec::new(), &[4, 2])?;
/// for row in 0..4 {
///     stream.write_chunk(&[row as f64, -(row as f64)])?;
/// }
/// let bytes = stream.finish()?;
/// let back: ndarray::Array2<f64> = npy::from_slice(&bytes)?;
/// assert_eq!(back.row(3).to_vec(), [3.0, -3.0]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub struct StreamWriter<T, W: Write> {
    writer: W,
    header: Header,
    written: usize,
    expected: usize,
    element: std::marker::PhantomData<T>,
}

impl<T: FixedElement, W: Write> StreamWriter<T, W> {
    /// Writes the header of an array of `shape` (C order) and waits for its elements.
    pub fn new(writer: W, shape: &[usize]) -> Result<Self> {
        Self::with_options(writer, shape, &WriteOptions::default())
    }

    /// [`new`](Self::new) with options (byte order, format version).
    pub fn with_options(mut writer: W, shape: &[usize], options: &WriteOptions) -> Result<Self> {
        options.check_npy()?;
        let header = element_header::<T>(&[], shape.to_vec(), false, options)?;
        let expected = header::element_count(shape)?;
        writer.write_all(&header_bytes(&header, options)?)?;
        Ok(StreamWriter {
            writer,
            header,
            written: 0,
            expected,
            element: std::marker::PhantomData,
        })
    }

    /// The header written.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Writes the next elements (in C order); an error when they go past the shape.
    pub fn write_chunk(&mut self, values: &[T]) -> Result<()> {
        if values.len() > self.expected - self.written {
            return Err(Error::unwritable(format!(
                "{} more elements would pass the {} of shape {:?}",
                values.len(),
                self.expected,
                self.header.shape
            )));
        }
        write_elements(values, &self.header, &mut self.writer)?;
        self.written += values.len();
        Ok(())
    }

    /// The writer the bytes go to (for a wrapper that must inspect it between chunks).
    pub(crate) fn writer_mut(&mut self) -> &mut W {
        &mut self.writer
    }

    /// Checks that every element was written and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        if self.written != self.expected {
            return Err(Error::unwritable(format!(
                "only {} of the {} elements of shape {:?} were written",
                self.written, self.expected, self.header.shape
            )));
        }
        self.writer.flush()?;
        Ok(self.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, s, Array2};

    #[test]
    fn default_extension_only_when_missing() {
        assert_eq!(
            with_default_extension(Path::new("a/b"), "npy"),
            Path::new("a/b.npy")
        );
        assert_eq!(
            with_default_extension(Path::new("b.npy"), "npy"),
            Path::new("b.npy")
        );
        assert_eq!(
            with_default_extension(Path::new("b.bin"), "npy"),
            Path::new("b.bin")
        );
    }

    #[test]
    fn layouts_follow_numpy() {
        let c: Array2<i16> = array![[0, 1, 2], [3, 4, 5]];
        let header = c.header(&WriteOptions::default()).unwrap();
        assert!(!header.fortran_order);
        let f = c.t();
        let header = f.header(&WriteOptions::default()).unwrap();
        assert!(header.fortran_order);
        assert_eq!(header.shape, [3, 2]);
        let strided = c.slice(s![..;-1, ..;2]);
        let bytes = to_vec(&strided).unwrap();
        assert_eq!(
            &bytes[128..],
            bytemuck::cast_slice::<i16, u8>(&[3, 5, 0, 2])
        );
        let row = Array2::<f32>::zeros((1, 4));
        assert!(
            !row.t()
                .header(&WriteOptions::default())
                .unwrap()
                .fortran_order
        );
    }

    #[test]
    fn strided_views_are_written_a_chunk_at_a_time() {
        // More elements than one chunk, with the longest string in the last one: the
        // width must come from every chunk.
        let n = 3 * STRIDED_CHUNK + 5;
        let mut strings: Vec<String> = (0..2 * n).map(|i| (i % 7).to_string()).collect();
        strings[2 * n - 2] = "the longest one".to_string();
        let all = ndarray::Array1::from(strings);
        let every_other = all.slice(s![..;2]);
        let expected = to_vec(&every_other.to_vec()).unwrap();
        assert_eq!(to_vec(&every_other).unwrap(), expected);
        let back: Vec<String> = crate::read::from_slice(&expected).unwrap();
        assert_eq!(back[n - 1], "the longest one");

        let numbers = ndarray::Array2::from_shape_fn((n, 3), |(i, j)| (i * 3 + j) as f64);
        let column_pairs = numbers.slice(s![.., 1..]);
        let bytes = to_vec(&column_pairs).unwrap();
        assert_eq!(bytes, to_vec(&column_pairs.to_owned()).unwrap());
        let empty = numbers.slice(s![..0;2, ..]);
        assert_eq!(to_vec(&empty).unwrap(), to_vec(&empty.to_owned()).unwrap());
    }

    #[test]
    fn atomic_save_keeps_the_old_file_when_writing_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keep.npy");
        save(&path, &vec![1u8, 2, 3]).unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = write_file_atomically(&path, true, |w| {
            w.write_all(b"partial")?;
            Err(Error::unwritable("simulated failure"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the temporary file is removed");
    }

    #[cfg(unix)]
    #[test]
    fn atomic_save_keeps_permissions_and_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.npy");
        save(&real, &vec![1u8]).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.npy");
        std::os::unix::fs::symlink("real.npy", &link).unwrap();
        save(&link, &vec![2u8, 3]).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let mode = std::fs::metadata(&real).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let back: Vec<u8> = crate::read::load(&real).unwrap();
        assert_eq!(back, [2, 3]);
        let dangling = dir.path().join("dangling.npy");
        std::os::unix::fs::symlink("made.npy", &dangling).unwrap();
        save(&dangling, &vec![4u8]).unwrap();
        assert!(dir.path().join("made.npy").exists());
    }

    #[test]
    fn shape_must_match_the_data() {
        assert!(to_vec(&Shaped::new(&[1u8, 2, 3], &[2, 2])).is_err());
    }
}
