//! [`MappedNpyMut`]: a `.npy` file mapped writable (NumPy's `r+`, `c` and `w+` modes).

use std::fs::{File, OpenOptions};
use std::ops::Range;
use std::path::Path;

use bytemuck::Pod;
use memmap2::{MmapMut, MmapOptions};
use ndarray::{ArrayView, ArrayViewMut, Dimension};

use super::layout::{select_rows, Layout};
use crate::dtype::DType;
use crate::elements::NpyElement;
use crate::errors::{Error, Result};
use crate::header::Header;
use crate::options::ReadOptions;
use crate::read::NpyRead;

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
/// let back: ndarray::Array2<f32> = npy_serde::npy::load(&path)?;
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
    /// the [module documentation](crate::mmap)).
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
    /// [`MappedNpy::as_slice`](super::MappedNpy::as_slice)).
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

    /// A borrowed view of the whole array (see [`MappedNpy::view`](super::MappedNpy::view)).
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
