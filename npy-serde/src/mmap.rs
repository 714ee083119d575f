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
//! Without mapping, [`npy::RowReader`](crate::npy::RowReader) reads row ranges,
//! [`npy::save_chunks`](crate::npy::save_chunks) writes files from chunks and
//! [`npy::Appender`](crate::npy::Appender) appends rows in place. To fill an array larger than RAM through a mapping with a
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

use std::fs::File;
use std::ops::Range;
use std::path::Path;

use bytemuck::Pod;
use memmap2::{Mmap, MmapOptions};
use ndarray::{ArrayView, CowArray, Dimension};

use crate::elements::NpyElement;
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{Header, Version};
use crate::options::ReadOptions;
use crate::read::NpyRead;

mod layout;
mod mutable;

use layout::{select_rows, Layout};
pub use mutable::MappedNpyMut;

/// How a read-only mapping will be read, told to the kernel when the file is mapped
/// ([`MappedNpy::open_for`]) or later ([`MappedNpy::advise`]), so that it reads ahead (or
/// not) to match. Advice changes timing only, never what is read.
///
/// ```
/// use npy_serde::mmap::{Access, MappedNpy};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("a.npy");
/// npy_serde::npy::save(&path, &vec![0.5f64; 10_000])?;
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

/// A `.npy` file (or stored `.npz` member) mapped read-only: NumPy's `mmap_mode='r'`.
///
/// The new-user case, a row slice of a NumPy-written 2-D `float32` file:
///
/// ```
/// use ndarray::{s, ArrayView2};
/// use npy_serde::mmap::MappedNpy;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("matrix.npy");
/// # npy_serde::npy::save(&path, &ndarray::Array2::<f32>::from_shape_fn((100, 8), |(i, j)| (i * 8 + j) as f32))?;
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
    /// [`npz::Reader::read`](crate::npz::Reader::read) for a verified copy).
    ///
    /// A compressed member (`np.savez_compressed`) is an error: its bytes in the file are
    /// deflated, not the array. Zip does not align member data, so in most archives only
    /// one-byte types can be borrowed; [`view_or_copy`](Self::view_or_copy) copies the
    /// others.
    ///
    /// ```
    /// use npy_serde::{mmap::MappedNpy, npz};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npz");
    /// let mut writer = npz::Writer::new(std::fs::File::create(&path)?);
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
        let mut archive = crate::npz::Reader::open_with(path, &options)?;
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
    /// npy_serde::npy::save(&path, &vec![1u16, 2, 3])?;
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
    /// let options = npy_serde::WriteOptions::default().with_endian(npy_serde::dtype::Endian::Big);
    /// npy_serde::npy::save_with(&path, &vec![1.5f64, 2.5], &options)?;
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
                    e.kind(),
                    ErrorKind::DtypeMismatch { .. } | ErrorKind::InvalidData { .. }
                ) =>
            {
                Ok(self.load_copy::<ndarray::Array<T, D>>()?.into())
            }
            Err(other) => Err(other),
        }
    }

    /// Reads the array out of the mapping into any [`NpyRead`] type (a copy), with the
    /// conversions [`npy::load`](crate::npy::load) makes: either byte order, widening, strings.
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

#[cfg(test)]
mod tests;
