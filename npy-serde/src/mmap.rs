//! Memory-mapped `.npy` arrays: NumPy's `np.load(mmap_mode=…)` and
//! `np.lib.format.open_memmap` in Rust, plus mapping of stored `.npz` members.
//!
//! | NumPy                              | here                                        |
//! |------------------------------------|---------------------------------------------|
//! | `np.load(p, mmap_mode='r')`        | [`MappedNpy::open`]                         |
//! | `np.load(p, mmap_mode='r+')`       | [`MappedNpyMut::open_rw`]                   |
//! | `np.load(p, mmap_mode='c')`        | [`MappedNpyMut::open_copy_on_write`]        |
//! | `open_memmap(p, 'w+', dtype, shape)` | [`MappedNpyMut::create`] / [`MappedNpyMut::create_with_header`] |
//! | (not possible: `mmap_mode` is ignored for `.npz`) | [`MappedNpy::open_npz_member`] (stored members) |
//!
//! Without mapping, [`crate::chunked`] reads row ranges, writes files from chunks and
//! appends rows in place. To fill an array larger than RAM through a mapping with a
//! bounded resident size, write a chunk and call [`MappedNpyMut::release`].
//!
//! A mapping gives borrowed views ([`ndarray::ArrayView`], `&[T]`) of the file's data with
//! no copy, for element types whose bytes can be borrowed as they are: `T: NpyElement +
//! bytemuck::Pod` whose native-order dtype ([`NpyElement::write_dtype`]) is exactly the
//! file's dtype (numbers, complex numbers, `f16`, `[T; N]` subarrays, `#[repr(C)]` record
//! structs whose layout matches). Files in the other byte order, or whose data is not
//! aligned for `T` (a header length that leaves the data off `T`'s alignment, which
//! NumPy's 64-byte padding, and the 16-byte padding of NumPy < 1.14, never do for its
//! types, but other writers may), cannot be borrowed: [`view`](MappedNpy::view) says so with an error,
//! and the user chooses a copy explicitly with [`view_or_copy`](MappedNpy::view_or_copy)
//! or [`load_copy`](MappedNpy::load_copy), which convert through the ordinary reader.
//!
//! The dtype `T` declares must describe `T`'s memory (field offsets included), as the
//! built-in types and `#[derive(NpyElement)]` on a `#[repr(C)]` struct do; the mapping
//! checks the dtype and the size, and `bytemuck` the alignment, so a wrong declaration
//! gives wrong values, never undefined behaviour.
//!
//! Opening is O(1) in the file's size: the header is parsed and the file's length checked
//! against it; the data is neither read nor validated (every bit pattern is a valid `Pod`
//! value, so it need not be).
//!
//! # Safety
//!
//! The constructors that map a file are `unsafe fn`, as [`memmap2::Mmap::map`] is: a
//! mapping shows the file's current contents, so if the file is modified (by this or
//! another process) while mapped, the values seen through a `&[T]` change underneath it,
//! which Rust's aliasing rules forbid, and if the file is truncated, touching the lost
//! pages kills the process with `SIGBUS`. The caller promises that the file is not
//! truncated or modified by anyone else while it is mapped (NumPy has the same hazard).
//! Everything after the mapping is safe code: views are made with `bytemuck`'s checked
//! casts (size and alignment) and ndarray's checked constructors, so no further `unsafe`
//! appears in this module besides the calls into memmap2.

use std::fs::{File, OpenOptions};
use std::ops::Range;
use std::path::{Path, PathBuf};

use bytemuck::Pod;
use memmap2::{Mmap, MmapMut, MmapOptions};
use ndarray::{ArrayView, ArrayViewMut, Axis, CowArray, Dimension, IxDyn, ShapeBuilder, Slice};

use crate::dtype::DType;
use crate::element::{DataReader, NpyElement};
use crate::error::{Error, ErrorKind, Result};
use crate::header::{self, Header, Version};
use crate::read::{element_layout, NpyRead, ReadOptions};

/// How a read-only mapping will be read, told to the kernel when the file is mapped
/// ([`MappedNpy::open_for`]) or later ([`MappedNpy::advise`]), so that it reads ahead (or
/// not) to match. Advice changes timing only, never what is read.
///
/// ```
/// use npy_serde::mmap::{Access, MappedNpy};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("a.npy");
/// npy_serde::save(&path, &vec![0.5f64; 10_000])?;
/// // A full scan: every page mapped at open, no page faults while summing.
/// let map = unsafe { MappedNpy::open_for(&path, Access::Populate)? };
/// assert_eq!(map.as_slice::<f64>()?.iter().sum::<f64>(), 5000.0);
/// map.advise(Access::Random)?; // from now on, scattered reads
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Access {
    /// No advice: the kernel's default read-ahead, as `np.load(mmap_mode='r')` maps.
    #[default]
    Normal,
    /// A few scattered reads (`MADV_RANDOM`): no read-ahead around each page fault.
    Random,
    /// One pass from start to end (`MADV_SEQUENTIAL` and `MADV_WILLNEED`): aggressive
    /// read-ahead, the file read in the background while the first pages are used.
    Sequential,
    /// All of it, now (`MAP_POPULATE` on Linux; `MADV_WILLNEED` for a mapping already
    /// made): opening reads the whole file and maps every page, so reading later takes
    /// no page faults. Opening then costs as much as reading the file.
    Populate,
}

/// Maps `file` read-only for `access`. Advice the kernel refuses is ignored: it only
/// changes timing.
///
/// # Safety
///
/// As for [`Mmap::map`]: the file must not be modified or truncated while mapped.
unsafe fn map_for(file: &File, access: Access) -> std::io::Result<Mmap> {
    let mut options = MmapOptions::new();
    if access == Access::Populate {
        options.populate();
    }
    // SAFETY: forwarded to our caller.
    let map = unsafe { options.map(file)? };
    advise_map(&map, access);
    Ok(map)
}

/// Tells the kernel how `map` will be read (best effort).
fn advise_map(map: &Mmap, access: Access) {
    #[cfg(unix)]
    {
        use memmap2::Advice;
        let advice: &[Advice] = match access {
            Access::Normal => &[Advice::Normal],
            Access::Random => &[Advice::Random],
            Access::Sequential => &[Advice::Sequential, Advice::WillNeed],
            Access::Populate => &[Advice::WillNeed],
        };
        if map.is_empty() {
            return;
        }
        for &advice in advice {
            // Advice only changes timing: a kernel that refuses it reads as before.
            let _ = map.advise(advice);
        }
    }
    #[cfg(not(unix))]
    let _ = (map, access);
}

/// Where a mapped array lives inside its mapping.
#[derive(Debug, Clone)]
struct Layout {
    header: Header,
    version: Version,
    /// Byte offset of the `.npy` data inside the mapping: after the `.npy` header, and for
    /// an `.npz` member after everything that precedes the member.
    data: Range<usize>,
    /// Byte offset of the `.npy` itself inside the mapping (0 for a `.npy` file).
    npy_start: usize,
    /// The mapped file and archive member, named in errors.
    path: Option<PathBuf>,
    member: Option<String>,
}

impl Layout {
    /// Parses the header of the `.npy` at `npy` (a range of `mapped`) and checks that the
    /// data it declares is there. Reads only the header: O(1) in the data's size.
    fn parse(mapped: &[u8], npy: Range<usize>, options: &ReadOptions) -> Result<Layout> {
        let bytes = &mapped[npy.clone()];
        let info = header::read_header(&mut &bytes[..], options.max_header_size)?;
        info.check_data_present(bytes.len() as u64)?;
        let data_len = info.header.data_len()?;
        // Both fit in the mapping, hence in usize.
        let start = npy.start + info.data_offset as usize;
        Ok(Layout {
            header: info.header,
            version: info.version,
            data: start..start + data_len as usize,
            npy_start: npy.start,
            path: None,
            member: None,
        })
    }

    /// `error` with the member and file it concerns.
    fn context(&self, error: Error) -> Error {
        let error = match &self.member {
            Some(member) => error.in_member(member.clone()),
            None => error,
        };
        match &self.path {
            Some(path) => error.in_file(path),
            None => error,
        }
    }

    /// The shape of the array as `T` items, when `T` can borrow the data as it is.
    fn borrowable_shape<T: NpyElement + Pod>(&self, data: &[u8]) -> Result<Vec<usize>> {
        let (dtype, shape) = element_layout::<T>(&self.header)?;
        let native = T::write_dtype(&[]);
        if dtype != native {
            let hint = if dtype == native.with_endian(native.endian().swapped())
                || !dtype.is_native_endian()
            {
                "; the file is in the other byte order, which cannot be borrowed: \
                 view_or_copy() or load_copy() read it with a byte swap"
            } else {
                "; the file's type can only be read with a conversion: view_or_copy() or \
                 load_copy() convert it"
            };
            return Err(Error::from(ErrorKind::DtypeMismatch {
                expected: format!("{native} (exactly, to borrow the mapped data{hint})"),
                found: self.header.dtype.to_string(),
                field: None,
            }));
        }
        if size_of::<T>() != native.itemsize() {
            return Err(Error::from(ErrorKind::DtypeMismatch {
                expected: format!(
                    "a type of {} bytes, the itemsize of {native}",
                    native.itemsize()
                ),
                found: format!(
                    "{} of {} bytes (its NpyElement dtype does not describe its memory layout)",
                    std::any::type_name::<T>(),
                    size_of::<T>()
                ),
                field: None,
            }));
        }
        let misalignment = data.as_ptr() as usize % align_of::<T>();
        if misalignment != 0 && size_of::<T>() != 0 {
            let why = if self.npy_start == 0 {
                format!(
                    "the data at byte offset {} is not aligned: the header is not padded \
                     to the element's alignment (NumPy pads to 64 bytes; this file was \
                     written by another writer)",
                    self.data.start
                )
            } else {
                format!(
                    "the member's data starts at byte {} of the archive, which zip does not \
                     align",
                    self.data.start
                )
            };
            return Err(Error::invalid_data(format!(
                "{why}; {} needs {}-byte alignment to be borrowed: view_or_copy() or \
                 load_copy() copy it",
                std::any::type_name::<T>(),
                align_of::<T>()
            )));
        }
        Ok(shape)
    }

    fn slice<'a, T: NpyElement + Pod>(&self, mapped: &'a [u8]) -> Result<&'a [T]> {
        let data = &mapped[self.data.clone()];
        self.borrowable_shape::<T>(data)?;
        bytemuck::try_cast_slice(data).map_err(|e| Error::invalid_data(e.to_string()))
    }

    fn slice_mut<'a, T: NpyElement + Pod>(&self, mapped: &'a mut [u8]) -> Result<&'a mut [T]> {
        let data = &mut mapped[self.data.clone()];
        self.borrowable_shape::<T>(data)?;
        bytemuck::try_cast_slice_mut(data).map_err(|e| Error::invalid_data(e.to_string()))
    }

    /// The dimension of the view of the data as `T` items.
    fn dim<T: NpyElement + Pod, D: Dimension>(&self, data: &[u8]) -> Result<D> {
        let shape = self.borrowable_shape::<T>(data)?;
        D::from_dimension(&IxDyn(&shape)).ok_or_else(|| {
            Error::from(ErrorKind::ShapeMismatch {
                expected: format!("{} dimensions", D::NDIM.unwrap_or(shape.len())),
                found: shape,
            })
        })
    }

    fn view<'a, T: NpyElement + Pod, D: Dimension>(
        &self,
        mapped: &'a [u8],
    ) -> Result<ArrayView<'a, T, D>> {
        let data = &mapped[self.data.clone()];
        let dim = self.dim::<T, D>(data)?;
        let values: &[T] =
            bytemuck::try_cast_slice(data).map_err(|e| Error::invalid_data(e.to_string()))?;
        ArrayView::from_shape(dim.set_f(self.header.fortran_order), values)
            .map_err(|e| Error::invalid_data(e.to_string()))
    }

    fn view_mut<'a, T: NpyElement + Pod, D: Dimension>(
        &self,
        mapped: &'a mut [u8],
    ) -> Result<ArrayViewMut<'a, T, D>> {
        let data = &mut mapped[self.data.clone()];
        let dim = self.dim::<T, D>(data)?;
        let values: &mut [T] =
            bytemuck::try_cast_slice_mut(data).map_err(|e| Error::invalid_data(e.to_string()))?;
        ArrayViewMut::from_shape(dim.set_f(self.header.fortran_order), values)
            .map_err(|e| Error::invalid_data(e.to_string()))
    }

    fn load_copy<A: NpyRead>(&self, mapped: &[u8]) -> Result<A> {
        let data = &mapped[self.data.clone()];
        let mut reader = data;
        let mut data_reader = DataReader::new(
            &mut reader,
            (self.data.start - self.npy_start) as u64,
            Some(data.len() as u64),
        );
        A::read_npy_data(&self.header, &mut data_reader)
    }
}

/// The rows `rows` (a range of the first axis) of `view`, or an error when out of bounds.
fn select_rows<V, D: Dimension>(
    mut view: ndarray::ArrayBase<V, D>,
    rows: Range<usize>,
) -> Result<ndarray::ArrayBase<V, D>>
where
    V: ndarray::RawData,
{
    let len = view
        .shape()
        .first()
        .copied()
        .ok_or_else(|| ErrorKind::ShapeMismatch {
            expected: "at least one dimension to take rows from".into(),
            found: vec![],
        })?;
    if rows.start > rows.end || rows.end > len {
        return Err(Error::from(ErrorKind::ShapeMismatch {
            expected: format!("rows {}..{} within the first axis", rows.start, rows.end),
            found: view.shape().to_vec(),
        }));
    }
    view.slice_axis_inplace(Axis(0), Slice::from(rows));
    Ok(view)
}

/// A `.npy` file (or stored `.npz` member) mapped read-only: NumPy's `mmap_mode='r'`.
///
/// The new-user case, a row slice of a NumPy-written 2-D `float32` file:
///
/// ```
/// use ndarray::{s, ArrayView2};
/// use npy_serde::mmap::MappedNpy;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("matrix.npy");
/// # npy_serde::save(&path, &ndarray::Array2::<f32>::from_shape_fn((100, 8), |(i, j)| (i * 8 + j) as f32))?;
///
/// // SAFETY: nobody modifies or truncates matrix.npy while it is mapped.
/// let map = unsafe { MappedNpy::open(&path)? };
/// let rows: ArrayView2<f32> = map.rows(10..20)?;
/// assert_eq!(rows.shape(), [10, 8]);
/// assert_eq!(rows[[0, 1]], 81.0);
///
/// // Any slice of the whole view, when the types are spelled out:
/// let block = map.view::<f32, ndarray::Ix2>()?.slice_move(s![10..20, 2..4]);
/// assert_eq!(block, rows.slice(s![.., 2..4]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MappedNpy {
    map: Mmap,
    layout: Layout,
}

impl MappedNpy {
    /// Maps the `.npy` file at `path` read-only. Only the header is read.
    ///
    /// # Safety
    ///
    /// The file must not be modified or truncated (by this process or another) while the
    /// mapping or any view of it is alive: see the [module documentation](self).
    pub unsafe fn open<P: AsRef<Path>>(path: P) -> Result<MappedNpy> {
        // SAFETY: forwarded to our caller, who accepted the same contract.
        unsafe { MappedNpy::open_with(path, &ReadOptions::default()) }
    }

    /// [`open`](Self::open) with options (a larger header size limit).
    ///
    /// # Safety
    ///
    /// As for [`open`](Self::open).
    pub unsafe fn open_with<P: AsRef<Path>>(path: P, options: &ReadOptions) -> Result<MappedNpy> {
        // SAFETY: forwarded to our caller, who accepted the same contract.
        unsafe { MappedNpy::open_for_with(path, Access::Normal, options) }
    }

    /// [`open`](Self::open) for a known access pattern: [`Access::Populate`] before
    /// reading the whole array (a sum, a copy), [`Access::Sequential`] for a streaming
    /// pass, [`Access::Random`] for a few scattered reads of a file larger than memory.
    ///
    /// # Safety
    ///
    /// As for [`open`](Self::open).
    pub unsafe fn open_for<P: AsRef<Path>>(path: P, access: Access) -> Result<MappedNpy> {
        // SAFETY: forwarded to our caller, who accepted the same contract.
        unsafe { MappedNpy::open_for_with(path, access, &ReadOptions::default()) }
    }

    /// [`open_for`](Self::open_for) with options.
    ///
    /// # Safety
    ///
    /// As for [`open`](Self::open).
    pub unsafe fn open_for_with<P: AsRef<Path>>(
        path: P,
        access: Access,
        options: &ReadOptions,
    ) -> Result<MappedNpy> {
        let path = path.as_ref();
        let result = File::open(path).map_err(Error::from).and_then(|file| {
            // SAFETY: the caller guarantees the file is not modified or truncated while
            // mapped; nothing else is required by memmap2.
            let map = unsafe { map_for(&file, access)? };
            let len = map.len();
            MappedNpy::from_mmap_range(map, 0..len, options)
        });
        let mut mapped = result.map_err(|e| e.in_file(path))?;
        mapped.layout.path = Some(path.to_path_buf());
        Ok(mapped)
    }

    /// Maps the stored (uncompressed) member `member` (with or without `.npy`) of the
    /// `.npz` archive at `path` read-only, which NumPy cannot do (`np.load` ignores
    /// `mmap_mode` for archives). Only the archive's directory and the member's headers
    /// are read; the member's CRC is not checked (that would read all of it: use
    /// [`NpzReader::read`](crate::NpzReader::read) for a verified copy).
    ///
    /// A compressed member (`np.savez_compressed`) is an error: its bytes in the file are
    /// deflated, not the array. Zip does not align member data, so in most archives only
    /// one-byte types can be borrowed; [`view_or_copy`](Self::view_or_copy) copies the
    /// others.
    ///
    /// ```
    /// use npy_serde::{mmap::MappedNpy, NpzWriter};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npz");
    /// let mut writer = NpzWriter::new(std::fs::File::create(&path)?);
    /// writer.add("pixels", &ndarray::Array2::<u8>::from_elem((480, 640), 9))?;
    /// writer.add("weights", &vec![0.5f64; 100])?;
    /// writer.finish()?;
    ///
    /// let pixels = unsafe { MappedNpy::open_npz_member(&path, "pixels")? };
    /// assert_eq!(pixels.view::<u8, ndarray::Ix2>()?[[479, 639]], 9);
    /// let weights = unsafe { MappedNpy::open_npz_member(&path, "weights")? };
    /// assert_eq!(weights.view_or_copy::<f64, ndarray::Ix1>()?[99], 0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Safety
    ///
    /// As for [`open`](Self::open): the archive must not be modified or truncated while
    /// mapped.
    pub unsafe fn open_npz_member<P: AsRef<Path>>(path: P, member: &str) -> Result<MappedNpy> {
        let path = path.as_ref();
        let options = ReadOptions::default();
        let mut archive = crate::npz::NpzReader::open_with(path, options.clone())?;
        // Errors from here on are already wrapped with the member and the file.
        let range = archive.stored_member_range(member)?;
        let file = archive.into_inner();
        let result = (|| {
            // SAFETY: the caller guarantees the archive is not modified or truncated
            // while mapped.
            let map = unsafe { Mmap::map(&file)? };
            let npy = usize::try_from(range.start)
                .ok()
                .zip(usize::try_from(range.end).ok())
                .filter(|&(_, end)| end <= map.len())
                .map(|(start, end)| start..end)
                .ok_or_else(|| {
                    Error::invalid_archive(format!(
                        "the member's bytes {range:?} are past the end of the {}-byte file",
                        map.len()
                    ))
                })?;
            MappedNpy::from_mmap_range(map, npy, &options)
        })();
        let member = member.strip_suffix(".npy").unwrap_or(member);
        let mut mapped = result.map_err(|e| e.in_member(member).in_file(path))?;
        mapped.layout.path = Some(path.to_path_buf());
        mapped.layout.member = Some(member.to_string());
        Ok(mapped)
    }

    /// Wraps a read-only mapping of a whole `.npy` file that the caller made.
    pub fn from_mmap(map: Mmap) -> Result<MappedNpy> {
        let len = map.len();
        MappedNpy::from_mmap_range(map, 0..len, &ReadOptions::default())
    }

    /// Wraps a read-only mapping whose bytes `npy` are a complete `.npy` (for example a
    /// stored member of an `.npz` archive mapped whole).
    pub fn from_mmap_range(
        map: Mmap,
        npy: Range<usize>,
        options: &ReadOptions,
    ) -> Result<MappedNpy> {
        if npy.start > npy.end || npy.end > map.len() {
            return Err(Error::invalid_data(format!(
                "byte range {npy:?} is outside the {} mapped bytes",
                map.len()
            )));
        }
        let layout = Layout::parse(&map, npy, options)?;
        Ok(MappedNpy { map, layout })
    }

    /// The array's header: dtype, shape and order.
    pub fn header(&self) -> &Header {
        &self.layout.header
    }

    /// Tells the kernel how the mapping will be read from now on (see [`Access`]).
    /// Advice never changes what is read; a kernel that refuses it is not an error.
    pub fn advise(&self, access: Access) -> Result<()> {
        advise_map(&self.map, access);
        Ok(())
    }

    /// The format version of the `.npy` header.
    pub fn version(&self) -> Version {
        self.layout.version
    }

    /// The raw data bytes, in the file's dtype and order.
    pub fn data_bytes(&self) -> &[u8] {
        &self.map[self.layout.data.clone()]
    }

    /// The data as a flat slice of `T`, in the file's memory order (column-major for a
    /// Fortran-order file); an error unless `T` can borrow it (see the
    /// [module documentation](self)).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("v.npy");
    /// npy_serde::save(&path, &vec![1u16, 2, 3])?;
    /// let map = unsafe { npy_serde::mmap::MappedNpy::open(&path)? };
    /// assert_eq!(map.as_slice::<u16>()?, [1, 2, 3]);
    /// assert!(map.as_slice::<i16>().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_slice<T: NpyElement + Pod>(&self) -> Result<&[T]> {
        self.layout
            .slice(&self.map)
            .map_err(|e| self.layout.context(e))
    }

    /// A borrowed view of the whole array, of a fixed dimension (`Ix2`) or any (`IxDyn`);
    /// Fortran-order files give views with Fortran strides.
    pub fn view<T: NpyElement + Pod, D: Dimension>(&self) -> Result<ArrayView<'_, T, D>> {
        self.layout
            .view(&self.map)
            .map_err(|e| self.layout.context(e))
    }

    /// A borrowed view of the rows `rows` (a range of the first axis).
    pub fn rows<T: NpyElement + Pod, D: Dimension>(
        &self,
        rows: Range<usize>,
    ) -> Result<ArrayView<'_, T, D>> {
        select_rows(self.view()?, rows).map_err(|e| self.layout.context(e))
    }

    /// A borrowed view when `T` can borrow the data, else a converted copy (other byte
    /// order, misaligned data, lossless widening such as `'<f4'` into `f64`).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("big.npy");
    /// let options = npy_serde::WriteOptions::default().with_endian(npy_serde::Endian::Big);
    /// npy_serde::save_with(&path, &vec![1.5f64, 2.5], &options)?;
    /// let map = unsafe { npy_serde::mmap::MappedNpy::open(&path)? };
    /// assert!(map.view::<f64, ndarray::Ix1>().is_err()); // '>f8' cannot be borrowed
    /// let values = map.view_or_copy::<f64, ndarray::Ix1>()?;
    /// assert!(values.is_owned());
    /// assert_eq!(values.to_vec(), [1.5, 2.5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn view_or_copy<T: NpyElement + Pod, D: Dimension>(&self) -> Result<CowArray<'_, T, D>> {
        match self.view() {
            Ok(view) => Ok(view.into()),
            Err(e)
                if matches!(
                    e.root(),
                    ErrorKind::DtypeMismatch { .. } | ErrorKind::InvalidData { .. }
                ) =>
            {
                Ok(self.load_copy::<ndarray::Array<T, D>>()?.into())
            }
            Err(other) => Err(other),
        }
    }

    /// Reads the array out of the mapping into any [`NpyRead`] type (a copy), with the
    /// conversions [`load`](crate::load) makes: either byte order, widening, strings.
    pub fn load_copy<A: NpyRead>(&self) -> Result<A> {
        self.layout
            .load_copy(&self.map)
            .map_err(|e| self.layout.context(e))
    }
}

impl std::fmt::Debug for MappedNpy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedNpy")
            .field("path", &self.layout.path)
            .field("member", &self.layout.member)
            .field("header", &self.layout.header)
            .field("data", &self.layout.data)
            .finish()
    }
}

/// A `.npy` file mapped writable: NumPy's `mmap_mode='r+'` (changes reach the file),
/// `mmap_mode='c'` (copy-on-write: changes stay in memory) or `open_memmap(mode='w+')`
/// (a new file).
///
/// ```
/// use npy_serde::mmap::MappedNpyMut;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("big.npy");
/// // A new (sparse) file, filled in place, as np.lib.format.open_memmap(path, 'w+', ...).
/// let mut map = unsafe { MappedNpyMut::create::<f32, _>(&path, &[1000, 3])? };
/// let mut view = map.view_mut::<f32, ndarray::Ix2>()?;
/// view.column_mut(1).fill(7.0);
/// map.flush()?;
/// drop(map);
///
/// let back: ndarray::Array2<f32> = npy_serde::load(&path)?;
/// assert_eq!(back[[999, 1]], 7.0);
/// assert_eq!(back[[999, 2]], 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MappedNpyMut {
    map: MmapMut,
    layout: Layout,
    copy_on_write: bool,
}

impl MappedNpyMut {
    /// Maps the `.npy` file at `path` for reading and writing in place (`r+`).
    ///
    /// # Safety
    ///
    /// The file must not be modified or truncated by anyone else while it is mapped (see
    /// the [module documentation](self)).
    pub unsafe fn open_rw<P: AsRef<Path>>(path: P) -> Result<MappedNpyMut> {
        let path = path.as_ref();
        let result = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(Error::from)
            .and_then(|file| {
                // SAFETY: the caller guarantees that no one else modifies or truncates the
                // file while it is mapped.
                let map = unsafe { MmapMut::map_mut(&file)? };
                MappedNpyMut::from_mmap(map, false)
            });
        let mut mapped = result.map_err(|e| e.in_file(path))?;
        mapped.layout.path = Some(path.to_path_buf());
        Ok(mapped)
    }

    /// Maps the `.npy` file at `path` copy-on-write (`c`): the array can be changed, the
    /// changes are private to this mapping and never reach the file.
    ///
    /// # Safety
    ///
    /// The file must not be modified or truncated while it is mapped (pages not yet
    /// written through this mapping still show the file).
    pub unsafe fn open_copy_on_write<P: AsRef<Path>>(path: P) -> Result<MappedNpyMut> {
        let path = path.as_ref();
        let result = File::open(path).map_err(Error::from).and_then(|file| {
            // SAFETY: as in `open_rw`; a private mapping needs only read access.
            let map = unsafe { MmapOptions::new().map_copy(&file)? };
            MappedNpyMut::from_mmap(map, true)
        });
        let mut mapped = result.map_err(|e| e.in_file(path))?;
        mapped.layout.path = Some(path.to_path_buf());
        Ok(mapped)
    }

    /// Creates (or truncates) `path` as a `.npy` of `T` with `shape` (C order), its data
    /// all zeros, and maps it writable: `open_memmap(path, mode='w+', dtype, shape)`.
    ///
    /// The header is the one `np.save` writes; the file is sized with `set_len`, so on
    /// file systems with sparse files no data block is written until it is filled, and
    /// an array larger than RAM can be filled in place (the kernel writes dirty pages
    /// back as memory is needed).
    ///
    /// # Safety
    ///
    /// No one else may modify or truncate the file while it is mapped.
    pub unsafe fn create<T: NpyElement + Pod, P: AsRef<Path>>(
        path: P,
        shape: &[usize],
    ) -> Result<MappedNpyMut> {
        let mut header = Header::new(T::write_dtype(&[]), shape.to_vec());
        if let DType::SubArray { base, shape: inner } = header.dtype {
            header.shape.extend(inner);
            header.dtype = *base;
        }
        // SAFETY: forwarded to our caller.
        unsafe { MappedNpyMut::create_with_header(path, &header) }
    }

    /// Creates (or truncates) `path` as a `.npy` described by `header` (any dtype, shape
    /// and order), zero-filled and mapped writable.
    ///
    /// # Safety
    ///
    /// No one else may modify or truncate the file while it is mapped.
    pub unsafe fn create_with_header<P: AsRef<Path>>(
        path: P,
        header: &Header,
    ) -> Result<MappedNpyMut> {
        let path = path.as_ref();
        let result = (|| {
            if header.dtype.has_object() {
                return Err(Error::unwritable("object dtypes ('|O') cannot be written"));
            }
            let header_bytes = header.to_bytes()?;
            let total = (header_bytes.len() as u64)
                .checked_add(header.data_len()?)
                .ok_or_else(|| Error::unwritable("the file would be over 2^64 bytes"))?;
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)?;
            // Header first, then extend: the data reads as zeros without being written.
            std::io::Write::write_all(&mut &file, &header_bytes)?;
            file.set_len(total)?;
            // SAFETY: the caller guarantees that no one else modifies or truncates the
            // file while it is mapped.
            let map = unsafe { MmapMut::map_mut(&file)? };
            MappedNpyMut::from_mmap(map, false)
        })();
        let mut mapped = result.map_err(|e| e.in_file(path))?;
        mapped.layout.path = Some(path.to_path_buf());
        Ok(mapped)
    }

    /// Wraps a writable mapping of a whole `.npy` that the caller made;
    /// `copy_on_write` says whether it is private (then [`flush`](Self::flush) does
    /// nothing and [`release`](Self::release) is refused; a private mapping passed as
    /// shared would lose its changes on `release`).
    pub fn from_mmap(map: MmapMut, copy_on_write: bool) -> Result<MappedNpyMut> {
        let len = map.len();
        let layout = Layout::parse(&map, 0..len, &ReadOptions::default())?;
        Ok(MappedNpyMut {
            map,
            layout,
            copy_on_write,
        })
    }

    /// The array's header: dtype, shape and order.
    pub fn header(&self) -> &Header {
        &self.layout.header
    }

    /// True for a copy-on-write mapping, whose changes never reach the file.
    pub fn is_copy_on_write(&self) -> bool {
        self.copy_on_write
    }

    /// The raw data bytes, in the file's dtype and order.
    pub fn data_bytes(&self) -> &[u8] {
        &self.map[self.layout.data.clone()]
    }

    /// The raw data bytes, writable.
    pub fn data_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.map[self.layout.data.clone()]
    }

    /// The data as a flat slice of `T` in the file's memory order (see
    /// [`MappedNpy::as_slice`]).
    pub fn as_slice<T: NpyElement + Pod>(&self) -> Result<&[T]> {
        self.layout
            .slice(&self.map)
            .map_err(|e| self.layout.context(e))
    }

    /// The data as a flat mutable slice of `T` in the file's memory order.
    pub fn as_slice_mut<T: NpyElement + Pod>(&mut self) -> Result<&mut [T]> {
        self.layout
            .slice_mut(&mut self.map)
            .map_err(|e| self.layout.context(e))
    }

    /// A borrowed view of the whole array (see [`MappedNpy::view`]).
    pub fn view<T: NpyElement + Pod, D: Dimension>(&self) -> Result<ArrayView<'_, T, D>> {
        self.layout
            .view(&self.map)
            .map_err(|e| self.layout.context(e))
    }

    /// A mutable view of the whole array: writes go to the mapping.
    pub fn view_mut<T: NpyElement + Pod, D: Dimension>(
        &mut self,
    ) -> Result<ArrayViewMut<'_, T, D>> {
        self.layout
            .view_mut(&mut self.map)
            .map_err(|e| self.layout.context(e))
    }

    /// A mutable view of the rows `rows` (a range of the first axis).
    pub fn rows_mut<T: NpyElement + Pod, D: Dimension>(
        &mut self,
        rows: Range<usize>,
    ) -> Result<ArrayViewMut<'_, T, D>> {
        let layout = &self.layout;
        let view = layout
            .view_mut(&mut self.map)
            .map_err(|e| layout.context(e))?;
        select_rows(view, rows).map_err(|e| layout.context(e))
    }

    /// Reads the array out of the mapping into any [`NpyRead`] type (a copy).
    pub fn load_copy<A: NpyRead>(&self) -> Result<A> {
        self.layout
            .load_copy(&self.map)
            .map_err(|e| self.layout.context(e))
    }

    /// Writes changed pages back to the file and waits for it (`msync`); nothing to do
    /// for a copy-on-write mapping (as NumPy's `memmap.flush` in mode `'c'`).
    pub fn flush(&self) -> Result<()> {
        if !self.copy_on_write {
            self.map.flush()?;
        }
        Ok(())
    }

    /// Flushes the mapping to the file, then lets the kernel drop its pages from this
    /// process's memory (`madvise(MADV_DONTNEED)`): they are read back from the file when
    /// next touched. For filling an array larger than RAM in chunks with a resident size
    /// that stays at one chunk. An error for a copy-on-write mapping, whose pages hold
    /// the only copy of its changes. On systems other than Unix it only flushes (the
    /// kernel still drops clean pages when memory is short).
    pub fn release(&mut self) -> Result<()> {
        if self.copy_on_write {
            return Err(Error::invalid_data(
                "a copy-on-write mapping cannot release its pages: they hold its changes",
            ));
        }
        self.map.flush()?;
        #[cfg(unix)]
        if !self.map.is_empty() {
            // SAFETY: `&mut self` means no view or slice borrows the mapping now; the
            // mapping is shared and was just flushed, so dropping its pages loses nothing
            // (the next access reads the file's contents, which are the mapping's).
            unsafe {
                self.map
                    .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for MappedNpyMut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedNpyMut")
            .field("path", &self.layout.path)
            .field("header", &self.layout.header)
            .field("data", &self.layout.data)
            .field("copy_on_write", &self.copy_on_write)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{save, save_with, WriteOptions};
    use crate::Endian;
    use ndarray::{array, s, Array2, Array3, ArrayView1, ArrayView2, Ix1, Ix2, Ix3, IxDyn};

    fn temp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn c_and_fortran_views_match_the_loaded_arrays() {
        let dir = temp();
        let c = Array3::<i32>::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 100 + j * 10 + k) as i32);
        // An F-contiguous array is saved with fortran_order: True.
        let mut f = Array3::<i32>::zeros((2, 3, 4).f());
        f.assign(&c);
        save(dir.path().join("c.npy"), &c).unwrap();
        save(dir.path().join("f.npy"), &f).unwrap();
        let mc = unsafe { MappedNpy::open(dir.path().join("c.npy")) }.unwrap();
        let mf = unsafe { MappedNpy::open(dir.path().join("f.npy")) }.unwrap();
        assert!(mf.header().fortran_order);
        let vc = mc.view::<i32, Ix3>().unwrap();
        let vf = mf.view::<i32, Ix3>().unwrap();
        assert_eq!(vc, c);
        assert_eq!(vf, c);
        assert_eq!(vc.strides(), [12, 4, 1]);
        assert_eq!(vf.strides(), [1, 2, 6]);
        let dynamic = mf.view::<i32, IxDyn>().unwrap();
        assert_eq!(dynamic.shape(), [2, 3, 4]);
        // Memory order of the Fortran file is column-major.
        assert_eq!(&mf.as_slice::<i32>().unwrap()[..3], [0, 100, 10]);
        let rows = mf.rows::<i32, Ix3>(1..2).unwrap();
        assert_eq!(rows, c.slice(s![1..2, .., ..]));
        assert!(mf.rows::<i32, Ix3>(1..3).is_err());
        let err = mc.view::<i32, Ix2>().unwrap_err();
        assert!(
            matches!(err.root(), ErrorKind::ShapeMismatch { .. }),
            "{err}"
        );
    }

    #[test]
    fn foreign_endian_and_other_types_are_errors_with_an_explicit_copy() {
        let dir = temp();
        let path = dir.path().join("big.npy");
        let values = array![[1.0f32, 2.0], [3.0, 4.0]];
        save_with(
            &path,
            &values,
            &WriteOptions::default().with_endian(Endian::Big),
        )
        .unwrap();
        let map = unsafe { MappedNpy::open(&path) }.unwrap();
        let err = map.view::<f32, Ix2>().unwrap_err();
        assert!(
            matches!(err.root(), ErrorKind::DtypeMismatch { .. }),
            "{err}"
        );
        assert!(err
            .to_string()
            .starts_with(&format!("{}: ", path.display())));
        assert!(err.to_string().contains("byte order"), "{err}");
        let copied = map.view_or_copy::<f32, Ix2>().unwrap();
        assert!(copied.is_owned());
        assert_eq!(copied, values);
        let widened: Array2<f64> = map.load_copy().unwrap();
        assert_eq!(widened[[1, 1]], 4.0);
        // Another type: an error naming both dtypes, not a reinterpretation.
        let err = map.as_slice::<u32>().unwrap_err().to_string();
        assert!(err.contains("'>f4'"), "{err}");
    }

    /// A `.npy` whose data starts 4 bytes off an 8-byte boundary (a header no NumPy
    /// writes), so 8-byte items are misaligned in a page-aligned mapping.
    fn misaligned_file(path: &Path) {
        let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
        let mut header_len = text.len() + 1;
        while (10 + header_len).is_multiple_of(8) || !(10 + header_len).is_multiple_of(4) {
            header_len += 1;
        }
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header_len as u16).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        bytes.resize(10 + header_len - 1, b' ');
        bytes.push(b'\n');
        for value in [1.0f64, 2.0, 3.0] {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn misaligned_data_is_an_error_with_an_explicit_copy() {
        let dir = temp();
        let path = dir.path().join("odd.npy");
        misaligned_file(&path);
        let map = unsafe { MappedNpy::open(&path) }.unwrap();
        let err = map.as_slice::<f64>().unwrap_err();
        assert!(err.to_string().contains("not aligned"), "{err}");
        assert_eq!(
            map.view_or_copy::<f64, Ix1>().unwrap().to_vec(),
            [1.0, 2.0, 3.0]
        );
        // Bytes are always aligned.
        assert_eq!(map.data_bytes().len(), 24);
    }

    #[test]
    fn short_files_and_object_arrays_are_refused_at_open() {
        let dir = temp();
        let path = dir.path().join("short.npy");
        let mut bytes = crate::write::to_bytes(&vec![1u64; 1000]).unwrap();
        bytes.truncate(bytes.len() - 1);
        std::fs::write(&path, &bytes).unwrap();
        let err = unsafe { MappedNpy::open(&path) }.err().unwrap();
        assert!(matches!(err.root(), ErrorKind::Truncated { .. }), "{err}");
        assert!(err.to_string().contains("short.npy"), "{err}");
        let header = Header::new(DType::Object, vec![0]);
        std::fs::write(&path, header.to_bytes().unwrap()).unwrap();
        let err = unsafe { MappedNpy::open(&path) }.err().unwrap();
        assert!(matches!(err.root(), ErrorKind::ObjectArray), "{err}");
    }

    #[test]
    fn read_write_copy_on_write_and_create() {
        let dir = temp();
        let path = dir.path().join("w.npy");
        let mut created = unsafe { MappedNpyMut::create::<u16, _>(&path, &[4, 5]) }.unwrap();
        for (i, x) in created
            .as_slice_mut::<u16>()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            *x = i as u16;
        }
        created.flush().unwrap();
        drop(created);
        let expected = Array2::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as u16);
        assert_eq!(crate::load::<Array2<u16>, _>(&path).unwrap(), expected);
        // The header is the one np.save writes.
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes, crate::write::to_bytes(&expected).unwrap());

        let mut cow = unsafe { MappedNpyMut::open_copy_on_write(&path) }.unwrap();
        assert!(cow.is_copy_on_write());
        cow.view_mut::<u16, Ix2>().unwrap().fill(9);
        cow.flush().unwrap();
        assert!(cow.release().is_err());
        assert_eq!(cow.view::<u16, Ix2>().unwrap()[[3, 4]], 9);
        drop(cow);
        assert_eq!(crate::load::<Array2<u16>, _>(&path).unwrap(), expected);

        let mut rw = unsafe { MappedNpyMut::open_rw(&path) }.unwrap();
        rw.rows_mut::<u16, Ix2>(1..2).unwrap().fill(1000);
        rw.release().unwrap();
        assert_eq!(rw.view::<u16, Ix2>().unwrap()[[1, 4]], 1000);
        let reader = unsafe { MappedNpy::open(&path) }.unwrap();
        // Shared mapping: the reader sees the writer's change.
        assert_eq!(
            reader.view::<u16, Ix2>().unwrap().row(1).to_vec(),
            [1000; 5]
        );
        drop(rw);
        let loaded: Array2<u16> = crate::load(&path).unwrap();
        assert_eq!(loaded.row(1).to_vec(), [1000; 5]);
        assert_eq!(loaded.row(2), expected.row(2));
    }

    #[test]
    fn create_with_fortran_header_and_subarray_elements() {
        let dir = temp();
        let path = dir.path().join("f.npy");
        let header = Header {
            dtype: DType::Float {
                size: 8,
                endian: Endian::NATIVE,
            },
            shape: vec![3, 2],
            fortran_order: true,
        };
        let mut map = unsafe { MappedNpyMut::create_with_header(&path, &header) }.unwrap();
        map.view_mut::<f64, Ix2>()
            .unwrap()
            .assign(&array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_eq!(
            map.as_slice::<f64>().unwrap(),
            [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
        );
        drop(map);
        let back: Array2<f64> = crate::load(&path).unwrap();
        assert_eq!(back, array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);

        let points = dir.path().join("p.npy");
        let mut map = unsafe { MappedNpyMut::create::<[f32; 3], _>(&points, &[2]) }.unwrap();
        assert_eq!(map.header().shape, [2, 3]);
        map.as_slice_mut::<[f32; 3]>().unwrap()[1] = [1.0, 2.0, 3.0];
        drop(map);
        let map = unsafe { MappedNpy::open(&points) }.unwrap();
        let as_points: ArrayView1<[f32; 3]> = map.view().unwrap();
        assert_eq!(as_points[1], [1.0, 2.0, 3.0]);
        let as_matrix: ArrayView2<f32> = map.view().unwrap();
        assert_eq!(as_matrix.row(1).to_vec(), [1.0, 2.0, 3.0]);
    }

    #[test]
    fn stored_npz_members_map_and_compressed_ones_say_why_not() {
        let dir = temp();
        let path = dir.path().join("a.npz");
        let mut writer = crate::NpzWriter::new(std::fs::File::create(&path).unwrap());
        writer.add("bytes", &vec![1u8, 2, 3]).unwrap();
        writer.add("floats", &array![[1.5f64, 2.5]]).unwrap();
        writer.finish().unwrap();
        let map = unsafe { MappedNpy::open_npz_member(&path, "bytes.npy") }.unwrap();
        assert_eq!(map.as_slice::<u8>().unwrap(), [1, 2, 3]);
        let map = unsafe { MappedNpy::open_npz_member(&path, "floats") }.unwrap();
        assert_eq!(map.header().shape, [1, 2]);
        match map.view::<f64, Ix2>() {
            Ok(view) => assert_eq!(view, array![[1.5, 2.5]]),
            Err(err) => {
                let text = err.to_string();
                assert!(text.contains("zip does not align"), "{err}");
                assert!(
                    text.starts_with(&format!("{}: member \"floats\"", path.display())),
                    "{text}"
                );
            }
        }
        assert_eq!(map.view_or_copy::<f64, Ix2>().unwrap(), array![[1.5, 2.5]]);
        let err = unsafe { MappedNpy::open_npz_member(&path, "nope") }
            .err()
            .unwrap();
        assert!(
            matches!(err.root(), ErrorKind::MissingMember { .. }),
            "{err}"
        );

        let compressed = dir.path().join("c.npz");
        let mut writer =
            crate::NpzWriter::new_compressed(std::fs::File::create(&compressed).unwrap());
        writer.add("x", &vec![1u8; 10]).unwrap();
        writer.finish().unwrap();
        let err = unsafe { MappedNpy::open_npz_member(&compressed, "x") }
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("compressed") && err.contains("c.npz") && err.contains("\"x\""),
            "{err}"
        );
    }

    #[test]
    fn opening_reads_only_the_header() {
        // A 64 GiB array in a sparse file: opening, viewing and appending touch only the
        // header and the pages asked for.
        let dir = temp();
        let path = dir.path().join("huge.npy");
        let len = 1usize << 33;
        let header = Header::new(
            DType::Float {
                size: 8,
                endian: Endian::NATIVE,
            },
            vec![len],
        );
        let file = std::fs::File::create(&path).unwrap();
        std::io::Write::write_all(&mut &file, &header.to_bytes().unwrap()).unwrap();
        if file.set_len(128 + 8 * len as u64).is_err() {
            return; // no sparse files here
        }
        drop(file);
        let map = unsafe { MappedNpy::open(&path) }.unwrap();
        let values = map.as_slice::<f64>().unwrap();
        assert_eq!(values.len(), len);
        assert_eq!(values[len - 1], 0.0);
        let mut rows = crate::chunked::NpyRowReader::open(&path).unwrap();
        let last: ndarray::Array1<f64> = rows.read_rows(len - 2..len).unwrap();
        assert_eq!(last.to_vec(), [0.0, 0.0]);
        let mut appender = crate::chunked::NpyAppender::<f64>::open(&path).unwrap();
        appender.append(&[1.5]).unwrap();
        drop(map);
        let map = unsafe { MappedNpy::open(&path) }.unwrap();
        assert_eq!(map.as_slice::<f64>().unwrap()[len], 1.5);
    }

    #[test]
    fn access_advice_does_not_change_what_is_read() {
        let dir = temp();
        let path = dir.path().join("a.npy");
        let values: Vec<f64> = (0..300_000).map(|i| i as f64 * 0.25).collect();
        crate::save(&path, &values).unwrap();
        let empty = dir.path().join("empty.npy");
        crate::save(&empty, &Vec::<u8>::new()).unwrap();
        for access in [
            Access::Normal,
            Access::Random,
            Access::Sequential,
            Access::Populate,
        ] {
            let map = unsafe { MappedNpy::open_for(&path, access) }.unwrap();
            assert_eq!(map.as_slice::<f64>().unwrap(), &values[..], "{access:?}");
            for later in [Access::Random, Access::Populate, Access::Sequential] {
                map.advise(later).unwrap();
                assert_eq!(map.as_slice::<f64>().unwrap(), &values[..]);
            }
            let map = unsafe { MappedNpy::open_for(&empty, access) }.unwrap();
            assert!(map.as_slice::<u8>().unwrap().is_empty());
        }
    }

    #[test]
    fn zero_d_and_empty_arrays_map() {
        let dir = temp();
        let path = dir.path().join("e.npy");
        save(&path, &Vec::<f64>::new()).unwrap();
        let map = unsafe { MappedNpy::open(&path) }.unwrap();
        assert!(map.as_slice::<f64>().unwrap().is_empty());
        assert_eq!(map.view::<f64, Ix1>().unwrap().len(), 0);
        save(&path, &ndarray::arr0(2.5f64)).unwrap();
        let map = unsafe { MappedNpy::open(&path) }.unwrap();
        assert_eq!(map.view::<f64, ndarray::Ix0>().unwrap().into_scalar(), &2.5);
        assert!(map.rows::<f64, ndarray::Ix0>(0..1).is_err());
    }
}
