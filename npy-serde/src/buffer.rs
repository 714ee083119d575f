//! Buffers and reads that know nothing of file formats: reading until a buffer is full,
//! reading a shared file at a position of one's own,
//! zeroed vectors that a read is about to fill (with huge pages for large ones, as NumPy
//! asks for them), mapping a large result's pages up front, and growing a vector by zeroing its new pages on every core.

use std::io::{self, Read};

use bytemuck::Pod;

/// Bytes read or converted at a time when data is not moved in one piece.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// Reads until `buf` is full or the input ends; returns the bytes read. (`read_exact`
/// cannot say how much arrived before the end, which truncation errors report.)
pub(crate) fn read_up_to<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads a shared file from a position of its own (`pread`), so that several threads can
/// read one file at once without seeking each other's cursor.
pub(crate) struct ReadAt<'a> {
    file: &'a std::fs::File,
    position: u64,
}

impl<'a> ReadAt<'a> {
    pub(crate) fn new(file: &'a std::fs::File, position: u64) -> ReadAt<'a> {
        ReadAt { file, position }
    }
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        {
            let got = std::os::unix::fs::FileExt::read_at(self.file, buf, self.position)?;
            self.position += got as u64;
            Ok(got)
        }
        // Windows' positional read moves the cursor that a cloned handle shares, so
        // callers hand out a shared file on Unix only.
        #[cfg(not(unix))]
        {
            let _ = (buf, self.file);
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "positional reads need Unix",
            ))
        }
    }
}

/// Appends `extra` zeroed values to `values`. A large extension is zeroed by every core
/// at once: the time goes to faulting in fresh pages, which a lone thread does one after
/// another while the threads that will fill them (a parallel inflater) wait.
pub(crate) fn extend_zeroed<T: Pod>(values: &mut Vec<T>, extra: usize) {
    const PARALLEL_FROM: usize = 4 << 20;
    let threads = crate::threads::available();
    if extra * size_of::<T>() < PARALLEL_FROM || threads < 2 {
        values.resize(values.len() + extra, T::zeroed());
        return;
    }
    values.reserve_exact(extra);
    let len = values.len();
    let spare_bytes = extra * size_of::<T>();
    // SAFETY: `reserve_exact` made room for `extra` more values after `len`, so these
    // `spare_bytes` bytes lie inside the vector's allocation, and nothing else refers to
    // them while the slice lives (it is dropped at the end of the scope below).
    let spare: &mut [std::mem::MaybeUninit<u8>] =
        unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().add(len).cast(), spare_bytes) };
    std::thread::scope(|scope| {
        for part in spare.chunks_mut(spare_bytes.div_ceil(threads)) {
            scope.spawn(move || part.fill(std::mem::MaybeUninit::new(0)));
        }
    });
    // SAFETY: the `extra` values after `len` are initialized: all their bytes were set to
    // zero by threads the scope joined before this line, and all-zero bytes are a valid `T`
    // (`T: Pod`).
    unsafe { values.set_len(len + extra) };
}

/// A zeroed vector of `count` values that one read is about to fill. On Linux a large one
/// asks for transparent huge pages first, as NumPy does for its arrays, and has its pages
/// mapped in one system call (`MADV_POPULATE_WRITE`) before they are zeroed: filling fresh
/// 4 KiB pages one fault at a time costs more than the copy itself (about 2 µs a page on
/// the project's virtual machine, 0.55 s of a 1 GiB read), and faults taken by the system
/// call, unlike faults taken inside a `read`, overlap when several threads read at once
/// (two threads reading 1 GiB of 2 MiB members: 0.31 s populated, 0.58 s faulting).
pub(crate) fn zeroed_for_read<T: Pod>(count: usize) -> Vec<T> {
    const POPULATE_FROM: usize = 256 << 10;
    if count.saturating_mul(size_of::<T>()) < POPULATE_FROM || !cfg!(target_os = "linux") {
        let mut values: Vec<T> = bytemuck::zeroed_vec(count);
        advise_huge_pages(&mut values[..]);
        return values;
    }
    let mut values: Vec<T> = Vec::with_capacity(count);
    advise_huge_pages(values.spare_capacity_mut());
    let spare = values.spare_capacity_mut();
    if let Some(pages) = whole_pages(spare) {
        pages.map();
    }
    // SAFETY: `with_capacity(count)` made room for `count` values, which `write_bytes` sets
    // to all-zero bytes, a valid `T` (`T: Pod`), before the length covers them.
    unsafe {
        std::ptr::write_bytes(spare.as_mut_ptr(), 0, count);
        values.set_len(count);
    }
    values
}

/// The whole 4 KiB pages inside `memory`, if any.
fn whole_pages<T>(memory: &mut [std::mem::MaybeUninit<T>]) -> Option<FreshPages> {
    const PAGE: usize = 4096;
    let len = std::mem::size_of_val(memory);
    let start = memory.as_mut_ptr() as usize;
    let first = start.next_multiple_of(PAGE);
    let end = (start + len) / PAGE * PAGE;
    (end > first).then(|| FreshPages {
        start: first,
        len: end - first,
    })
}

/// An empty byte vector with room for `capacity` bytes that writes are about to fill, with
/// huge pages asked for as in [`zeroed_for_read`].
pub(crate) fn vec_for_write(capacity: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(capacity);
    advise_huge_pages(bytes.spare_capacity_mut());
    bytes
}

/// Advises the kernel to back the whole 2 MiB pages inside `memory` with huge pages. Only a
/// hint: without transparent huge pages, off Linux or below 4 MiB nothing changes.
pub(crate) fn advise_huge_pages<T>(memory: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE_PAGE: usize = 2 << 20;
        let len = std::mem::size_of_val(memory);
        if len < 2 * HUGE_PAGE {
            return;
        }
        let start = memory.as_mut_ptr() as usize;
        let first = start.next_multiple_of(HUGE_PAGE);
        let end = (start + len) / HUGE_PAGE * HUGE_PAGE;
        if end > first {
            // SAFETY: the range lies inside `memory`, which this function borrows mutably;
            // MADV_HUGEPAGE changes how its pages are backed, never their contents, and a
            // failure (an old kernel) only means the hint is ignored.
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = memory;
}

/// The whole pages of a large reserved, untouched result, mapped (faulted in) all at once
/// by a thread of their own while the records are read and built into them.
///
/// Why: a bulk read (the pod path) faults its whole result in within one system call, but
/// building records faults each page in only when the records reach it, so the first touch
/// of a 2.4 GB result lasts the whole read. Most of a fault's cost is clearing the new page,
/// and on a virtual machine that hands free memory back to its host (free page reporting,
/// as the project's machine does) a page handed back costs a fault on the host as well:
/// there, faulting 2.4 GB in took 0.2–0.3 s of system time when no reporting ran meanwhile
/// and 0.8–5.6 s when it did, and the longer the first touch lasts, the more of it a
/// reporting pass catches. That is why records read by name cost more per record at 10^8
/// than at 10^7 (a read of 0.1 s, rarely caught), where the pod path's cost stays flat.
/// Mapping the pages up front claims them about as fast as a bulk read does, and on a
/// second core the faults overlap the reading instead of adding to it. The price: the
/// records are then written to pages no longer in the cache.
#[derive(Clone, Copy)]
pub(crate) struct FreshPages {
    start: usize,
    len: usize,
}

impl FreshPages {
    /// The whole 4 KiB pages inside `memory`, when it is at least 64 MiB; `None` off Linux.
    /// Smaller results fault in within milliseconds, where starting a thread would weigh
    /// more (and glibc serves allocations below 32 MiB from its heap, whose pages are often
    /// still mapped from an earlier use).
    pub(crate) fn of<T>(memory: &mut [std::mem::MaybeUninit<T>]) -> Option<FreshPages> {
        const MIN_BYTES: usize = 64 << 20;
        let large = std::mem::size_of_val(memory) >= MIN_BYTES;
        if !cfg!(target_os = "linux") || !large {
            return None;
        }
        whole_pages(memory)
    }

    /// Maps the pages writable now (`MADV_POPULATE_WRITE`, Linux 5.14+). Only a hint: on
    /// an older kernel it fails and the pages fault in as they are first written.
    pub(crate) fn map(self) {
        #[cfg(target_os = "linux")]
        // SAFETY: MADV_POPULATE_WRITE changes no byte of memory: it maps each page of the
        // range as a first write would, without writing (a fresh page reads as zeros, a
        // page already mapped is left as it is), so the records being written into the
        // same pages meanwhile are not disturbed. The range lies in the result's
        // allocation, which is not moved or freed meanwhile (for records: before this thread
        // is joined; the result outlives the scope, and no more records than were reserved
        // are appended); a failure only means the hint is ignored.
        unsafe {
            libc::madvise(
                self.start as *mut libc::c_void,
                self.len,
                libc::MADV_POPULATE_WRITE,
            );
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (self.start, self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_pages_are_the_whole_pages_of_a_large_result_only() {
        let mut small: Vec<u64> = Vec::with_capacity(1000);
        assert!(FreshPages::of(small.spare_capacity_mut()).is_none());
        assert!(FreshPages::of(Vec::<u64>::new().spare_capacity_mut()).is_none());
        let mut large: Vec<u8> = Vec::with_capacity((64 << 20) + 10_000);
        // Start one byte in, so that neither end is on a page boundary.
        let inner = &mut large.spare_capacity_mut()[1..];
        let (start, len) = (inner.as_ptr() as usize, inner.len());
        let pages = FreshPages::of(inner);
        if cfg!(target_os = "linux") {
            let pages = pages.unwrap();
            assert!(
                pages.start >= start
                    && pages.start.is_multiple_of(4096)
                    && pages.len.is_multiple_of(4096)
            );
            assert!(pages.start + pages.len <= start + len);
            assert!(pages.len > len - 2 * 4096);
            pages.map();
        } else {
            assert!(pages.is_none());
        }
    }

    #[test]
    fn large_read_buffers_are_zeroed_and_sized() {
        // 8 MiB and an odd size: the huge-page hint covers only whole 2 MiB pages inside.
        for count in [1 << 20, (1 << 20) + 3, 7] {
            let values: Vec<f64> = zeroed_for_read(count);
            assert_eq!(values.len(), count);
            assert!(values.iter().all(|&x| x == 0.0));
        }
        let mut grown = vec![1u32; 3];
        extend_zeroed(&mut grown, 3 << 20);
        assert_eq!(grown.len(), 3 + (3 << 20));
        assert!(grown[3..].iter().all(|&x| x == 0) && grown[..3] == [1, 1, 1]);
    }

    #[test]
    fn read_up_to_fills_across_short_reads_and_stops_at_the_end() {
        let data = [1u8, 2, 3, 4, 5];
        let mut reader = io::Read::chain(&data[..2], &data[2..]);
        let mut buf = [0u8; 8];
        assert_eq!(read_up_to(&mut reader, &mut buf).unwrap(), 5);
        assert_eq!(buf[..5], data);
    }
}
