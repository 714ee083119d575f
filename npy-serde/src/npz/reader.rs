//! [`Reader`]: lazy, defensive reading of `.npz` archives. Opening reads only the end
//! records and the central directory; each member is read when asked for, through a reader
//! that stops at the size the directory declares, checks the CRC at the end, and refuses a
//! `.npy` header that declares more data than the member holds (bytes after the data are
//! allowed and ignored, as `np.load` ignores them, but still CRC-checked).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::directory::read_directory;
use super::format::{
    self, Bytes, Entry, FLAG_ENCRYPTED, LOCAL_HEADER_LEN, LOCAL_SIG, METHOD_DEFLATED, METHOD_STORED,
};
use super::inflate::{ChunkIndex, ParallelInflater};
use super::member::{decode_member, member_source, read_npy_header, MemberReader};
use crate::buffer::read_up_to;
use crate::errors::{Error, ErrorKind, Result};
use crate::header::HeaderInfo;
use crate::options::ReadOptions;
use crate::read::NpyRead;

/// Deflate cannot expand data more than about 1032 to 1; a member claiming more is hostile
/// or corrupt, and its claim must not size an allocation.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// A `.npz` archive opened for reading.
///
/// Opening reads the central directory only; members are read on demand, typed
/// ([`read`](Self::read)), dynamically (`read::<NpyArray>`), header only
/// ([`header`](Self::header)) or as raw bytes ([`read_raw`](Self::read_raw)).
///
/// ```
/// use npy_serde::npz::{Compression, Reader, Writer};
/// use npy_serde::NpyArray;
///
/// let compressed = npy_serde::WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
/// let mut writer = Writer::with_options(std::io::Cursor::new(Vec::new()), &compressed)?;
/// writer.add("x", &vec![1.0f64, 2.0, 3.0])?;
/// writer.add("y", &ndarray::array![[1i32, 2], [3, 4]])?;
/// let mut archive = Reader::new(writer.finish()?)?;
///
/// assert_eq!(archive.names(), ["x", "y"]);
/// assert!(archive.contains("y.npy") && archive.contains("y"));
/// assert_eq!(archive.header("y")?.header.shape, [2, 2]);
/// let x: Vec<f64> = archive.read("x")?;
/// let y: NpyArray = archive.read("y")?;
/// assert_eq!(y.dtype().to_string(), "'<i4'");
/// let err = archive.read::<Vec<f64>>("z").unwrap_err();
/// assert!(matches!(err.kind(), npy_serde::error::ErrorKind::MissingMember { .. }));
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub struct Reader<R: Read + Seek> {
    reader: R,
    entries: Vec<Entry>,
    /// Absolute position of the archive's offset 0 (non-zero when data precedes the zip).
    base: u64,
    /// For each entry, the absolute position its bytes must end before: the next local
    /// header or the central directory.
    limits: Vec<u64>,
    by_name: HashMap<String, usize>,
    options: ReadOptions,
    path: Option<PathBuf>,
    /// A second handle on the archive's file when it was opened by path: worker threads
    /// read stored members through it at their own offsets (positional reads), so
    /// [`read_many`](Self::read_many) copies several stored members at once.
    shared_file: Option<File>,
}

impl Reader<File> {
    /// Opens the archive at `path`. Errors name the file.
    pub fn open<P: AsRef<Path>>(path: P) -> Result<Self> {
        Self::open_with(path, &ReadOptions::default())
    }

    /// [`open`](Self::open) with read options (limits, object arrays), which apply to
    /// every member.
    pub fn open_with<P: AsRef<Path>>(path: P, options: &ReadOptions) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::from(e).in_file(path))?;
        // Without a second handle (out of descriptors, or off Unix, where a positional read
        // moves the cursor both handles share) members are read one at a time.
        let shared_file = if cfg!(unix) {
            file.try_clone().ok()
        } else {
            None
        };
        let mut reader = Reader::with_options(file, options).map_err(|e| e.in_file(path))?;
        reader.path = Some(path.to_path_buf());
        reader.shared_file = shared_file;
        Ok(reader)
    }
}

impl<R: Read + Seek> Reader<R> {
    /// Reads the directory of the archive in `reader`.
    pub fn new(reader: R) -> Result<Self> {
        Self::with_options(reader, &ReadOptions::default())
    }

    /// [`new`](Self::new) with read options (limits, object arrays), which apply to every
    /// member.
    pub fn with_options(mut reader: R, options: &ReadOptions) -> Result<Self> {
        let directory = read_directory(&mut reader)?;
        let mut by_name = HashMap::with_capacity(directory.entries.len());
        for (index, entry) in directory.entries.iter().enumerate() {
            // As with Python's zipfile, the last of duplicate names wins.
            by_name.insert(entry.name.clone(), index);
        }
        Ok(Reader {
            reader,
            entries: directory.entries,
            base: directory.base,
            limits: directory.limits,
            by_name,
            options: options.clone(),
            path: None,
            shared_file: None,
        })
    }

    /// The options in force.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    /// Member names in archive order, with one `.npy` suffix removed (NumPy's
    /// `NpzFile.files`).
    pub fn names(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| super::strip_npy(&e.name).to_string())
            .collect()
    }

    /// Member names exactly as stored (`x.npy`), in archive order.
    pub fn member_names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.name.clone()).collect()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the archive has no members.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when `name` is a member, given with or without `.npy`.
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// True when member `name` is deflated (false: stored).
    pub fn is_compressed(&self, name: &str) -> Result<bool> {
        let index = self.lookup(name)?;
        Ok(self.entries[index].method != METHOD_STORED)
    }

    /// Reads member `name` (with or without `.npy`) as `T`: `Vec<T>`, an ndarray array,
    /// [`NpyArray`](crate::NpyArray), … as [`npy::load`](crate::npy::load) does for files.
    pub fn read<T: NpyRead>(&mut self, name: &str) -> Result<T> {
        let index = self.lookup(name)?;
        let result = self.read_index(index);
        self.wrap(result, index)
    }

    /// Reads the `.npy` header of member `name` without its data.
    pub fn header(&mut self, name: &str) -> Result<HeaderInfo> {
        let index = self.lookup(name)?;
        let result = self.header_index(index);
        self.wrap(result, index)
    }

    /// The bytes of member `name` as stored in the archive, inflated (for members that
    /// are not `.npy`); the CRC is checked.
    pub fn read_raw(&mut self, name: &str) -> Result<Vec<u8>> {
        let index = self.lookup(name)?;
        let result = self.raw_index(index);
        self.wrap(result, index)
    }

    /// The absolute byte range, in the underlying reader, of a stored member's `.npy`
    /// bytes (header included), for memory-mapping. A compressed member is an error that
    /// names its compression method.
    pub fn stored_member_range(&mut self, name: &str) -> Result<std::ops::Range<u64>> {
        let index = self.lookup(name)?;
        let result = self.range_index(index);
        self.wrap(result, index)
    }

    /// What the central directory says about each member, in archive order: sizes,
    /// CRC-32, compression and offset, without reading any member (for listings).
    ///
    /// ```
    /// use std::io::Read;
    /// use npy_serde::npz::{Compression, Reader, Writer};
    ///
    /// let compressed = npy_serde::WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    /// let mut writer = Writer::with_options(std::io::Cursor::new(Vec::new()), &compressed)?;
    /// writer.add("zeros", &vec![0.0f64; 1000])?;
    /// let mut archive = Reader::new(writer.finish()?)?;
    ///
    /// let zeros = &archive.members()[0];
    /// assert_eq!((zeros.name.as_str(), zeros.method.as_str()), ("zeros", "deflate"));
    /// assert!(zeros.compressed_size < zeros.uncompressed_size);
    ///
    /// // Streamed, inflated as read, CRC checked at the end.
    /// let mut npy = Vec::new();
    /// archive.member_reader("zeros")?.read_to_end(&mut npy)?;
    /// assert_eq!(npy.len() as u64, zeros.uncompressed_size);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn members(&self) -> Vec<MemberInfo> {
        self.entries
            .iter()
            .map(|entry| MemberInfo {
                name: super::strip_npy(&entry.name).to_string(),
                method: format::method_name(entry.method),
                compressed: entry.method != METHOD_STORED,
                compressed_size: entry.compressed_size,
                uncompressed_size: entry.uncompressed_size,
                crc32: entry.crc,
                local_header_offset: entry.local_offset,
            })
            .collect()
    }

    /// A reader of member `name`'s `.npy` bytes (header included), inflated as they are
    /// read, for streaming through a member larger than memory. It stops at the declared
    /// size and checks the CRC when the end is reached; errors are `io::Error`s carrying
    /// the archive error's message.
    pub fn member_reader(&mut self, name: &str) -> Result<impl Read + '_> {
        let index = self.lookup(name)?;
        let member = super::strip_npy(&self.entries[index].name).to_string();
        let path = self.path.clone();
        self.open_member(index, false).map_err(|e| {
            let e = e.in_member(member);
            match path {
                Some(path) => e.in_file(path),
                None => e,
            }
        })
    }

    /// Gives back the underlying reader.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// The path this archive was opened from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Where each member's bytes lie in the underlying reader, in archive order: from its
    /// local header to the next local header or the central directory (what a remote
    /// reader fetches to read it).
    #[cfg_attr(not(feature = "object-store"), allow(dead_code))]
    pub(crate) fn member_spans(&self) -> Vec<std::ops::Range<u64>> {
        self.entries
            .iter()
            .zip(&self.limits)
            .map(|(entry, &limit)| {
                let start = self.base.saturating_add(entry.local_offset);
                start..limit.max(start)
            })
            .collect()
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub(crate) fn base(&self) -> u64 {
        self.base
    }

    pub(crate) fn reader_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    fn find(&self, name: &str) -> Option<usize> {
        if let Some(&index) = self.by_name.get(name) {
            return Some(index);
        }
        self.by_name.get(&format!("{name}.npy")).copied()
    }

    pub(crate) fn lookup(&self, name: &str) -> Result<usize> {
        self.find(name).ok_or_else(|| {
            let error = Error::from(ErrorKind::MissingMember {
                name: name.to_string(),
                available: available_list(&self.names()),
            });
            match &self.path {
                Some(path) => error.in_file(path),
                None => error,
            }
        })
    }

    fn wrap<T>(&self, result: Result<T>, index: usize) -> Result<T> {
        result.map_err(|e| {
            let e = e.in_member(super::strip_npy(&self.entries[index].name));
            match &self.path {
                Some(path) => e.in_file(path),
                None => e,
            }
        })
    }

    /// Locates member `index`'s data: checks its local header and returns the absolute
    /// position of its first data byte.
    pub(crate) fn data_start(&mut self, index: usize) -> Result<u64> {
        let entry = &self.entries[index];
        let header_pos = self.base.saturating_add(entry.local_offset);
        self.reader.seek(SeekFrom::Start(header_pos))?;
        let mut fixed = [0u8; LOCAL_HEADER_LEN as usize];
        if read_up_to(&mut self.reader, &mut fixed)? < fixed.len() {
            return Err(Error::invalid_archive(format!(
                "local header at byte {header_pos} is cut short (truncated archive?)"
            )));
        }
        let mut bytes = Bytes::new(&fixed, "local header");
        if bytes.u32()? != LOCAL_SIG {
            return Err(Error::invalid_archive(format!(
                "no local header signature at byte {header_pos} (corrupt directory offset?)"
            )));
        }
        bytes.take(22)?;
        let name_len = u64::from(bytes.u16()?);
        let extra_len = u64::from(bytes.u16()?);
        let mut name = vec![0u8; name_len as usize];
        if read_up_to(&mut self.reader, &mut name)? < name.len() {
            return Err(Error::invalid_archive("local header name is cut short"));
        }
        if name != entry.name_raw {
            return Err(Error::invalid_archive(format!(
                // escape_bytes already escapes (quotes too): quoted, not Debug-formatted.
                "the local header names \"{}\", the central directory {:?}",
                crate::errors::escape_bytes(&name),
                entry.name
            )));
        }
        let data_start = header_pos.saturating_add(LOCAL_HEADER_LEN + name_len + extra_len);
        let data_end = data_start.checked_add(entry.compressed_size);
        if data_end.is_none_or(|end| end > self.limits[index]) {
            return Err(Error::invalid_archive(format!(
                "data of {} bytes at byte {data_start} runs into the next member or the \
                 central directory (ends at {}): overlapping or truncated members",
                entry.compressed_size, self.limits[index]
            )));
        }
        Ok(data_start)
    }

    /// A reader of member `index`'s uncompressed bytes, checked against the directory.
    /// `whole`: the member will be read to its end (a header read stays serial: a window
    /// of parallel inflation would be wasted on it).
    pub(crate) fn open_member(&mut self, index: usize, whole: bool) -> Result<MemberReader<'_>> {
        let entry = &self.entries[index];
        if entry.flags & FLAG_ENCRYPTED != 0 {
            return Err(Error::invalid_archive(
                "encrypted members are not supported",
            ));
        }
        let (method, compressed, uncompressed, crc) = (
            entry.method,
            entry.compressed_size,
            entry.uncompressed_size,
            entry.crc,
        );
        match method {
            METHOD_STORED if compressed != uncompressed => {
                return Err(Error::invalid_archive(format!(
                    "stored member with different sizes ({compressed} stored, {uncompressed} \
                     declared)"
                )))
            }
            METHOD_STORED => {}
            METHOD_DEFLATED => {
                if uncompressed > compressed.saturating_mul(MAX_DEFLATE_RATIO) + 1024 {
                    return Err(Error::invalid_archive(format!(
                        "declares {uncompressed} bytes from {compressed} deflated bytes, more \
                         than deflate can produce (corrupt or hostile archive)"
                    )));
                }
            }
            other => {
                return Err(Error::invalid_archive(format!(
                    "compression method {} is not supported (only stored and deflate, as \
                     NumPy writes)",
                    format::method_name(other)
                )))
            }
        }
        // A member with a chunk index inflates on every core, checking its own CRC.
        let threads = crate::threads::available();
        let chunk_index = (whole && method == METHOD_DEFLATED && threads > 1)
            .then(|| ChunkIndex::find(&entry.other_extra, compressed, uncompressed))
            .flatten();
        let data_start = self.data_start(index)?;
        self.reader.seek(SeekFrom::Start(data_start))?;
        let raw = (&mut self.reader).take(compressed);
        if let Some(chunk_index) = chunk_index {
            let inflater =
                ParallelInflater::new(raw, chunk_index, compressed, uncompressed, crc, threads);
            return Ok(MemberReader::new(Box::new(inflater), uncompressed, None));
        }
        Ok(MemberReader::new(
            member_source(method, raw),
            uncompressed,
            Some(crc),
        ))
    }

    /// Reads member `index` as `T` (errors without the member's context: see
    /// `in_context`).
    pub(crate) fn read_at<T: NpyRead>(&mut self, index: usize) -> Result<T> {
        self.read_index(index)
    }

    /// Checks member `index` and reads its compressed bytes whole (for inflating
    /// elsewhere); `None` for a member that is read in place (stored, large, or carrying a
    /// chunk index).
    pub(crate) fn compressed_bytes(&mut self, index: usize, max: u64) -> Result<Option<Vec<u8>>> {
        self.check_inflated_size(index)?;
        let entry = &self.entries[index];
        let usable = entry.method == METHOD_DEFLATED
            && entry.flags & FLAG_ENCRYPTED == 0
            && entry.compressed_size <= max
            && entry.uncompressed_size
                <= entry.compressed_size.saturating_mul(MAX_DEFLATE_RATIO) + 1024
            && ChunkIndex::find(
                &entry.other_extra,
                entry.compressed_size,
                entry.uncompressed_size,
            )
            .is_none();
        if !usable {
            return Ok(None);
        }
        let len = entry.compressed_size;
        let start = self.data_start(index)?;
        self.reader.seek(SeekFrom::Start(start))?;
        let mut bytes = vec![0u8; len as usize];
        // data_start checked that the bytes lie before the next member: a short read is
        // a truncated file, which the inflater reports as a short member.
        let got = read_up_to(&mut self.reader, &mut bytes)?;
        bytes.truncate(got);
        Ok(Some(bytes))
    }

    /// The file handle that worker threads may read stored members through at their own
    /// offsets, when the archive was opened by path.
    pub(crate) fn shared_file(&self) -> Option<&File> {
        self.shared_file.as_ref()
    }

    /// Checks stored member `index` and returns the absolute position of its data, for
    /// [`decode_stored_at`](Self::decode_stored_at) on another thread; `None` for a member
    /// that is not stored (or is encrypted), which is read in place.
    pub(crate) fn stored_data_start(&mut self, index: usize) -> Result<Option<u64>> {
        let entry = &self.entries[index];
        if entry.method != METHOD_STORED || entry.flags & FLAG_ENCRYPTED != 0 {
            return Ok(None);
        }
        if entry.compressed_size != entry.uncompressed_size {
            // open_member reports it, in place.
            return Ok(None);
        }
        self.data_start(index).map(Some)
    }

    pub(crate) fn read_options(&self) -> &ReadOptions {
        &self.options
    }

    /// `result` for member `index`, with the member and file named in its error.
    pub(crate) fn in_context<T>(&self, result: Result<T>, index: usize) -> Result<T> {
        self.wrap(result, index)
    }

    fn read_index<T: NpyRead>(&mut self, index: usize) -> Result<T> {
        let options = self.options.clone();
        // A stored member's bytes are in the file (the directory checks bound them by the
        // next member), so its array can be allocated at once. A deflated member's declared
        // size is bounded only by 1032 times its compressed size: its array must grow as
        // bytes really arrive, or a small archive could ask for gigabytes.
        let stored = self.entries[index].method == METHOD_STORED;
        self.check_inflated_size(index)?;
        let member = self.open_member(index, true)?;
        decode_member(member, stored, &options)
    }

    fn header_index(&mut self, index: usize) -> Result<HeaderInfo> {
        let max_header_size = self.options.max_header_size;
        let mut member = self.open_member(index, false)?;
        let result = read_npy_header(&mut member, max_header_size);
        member.result(result)
    }

    /// Refuses to inflate a deflated member that declares more bytes than
    /// [`ReadOptions::max_inflated_size`] (its header alone may still be read).
    pub(crate) fn check_inflated_size(&self, index: usize) -> Result<()> {
        let entry = &self.entries[index];
        let limit = self.options.max_inflated_size;
        if entry.method != METHOD_STORED && entry.uncompressed_size > limit {
            return Err(Error::from(ErrorKind::InflatedTooLarge {
                declared: entry.uncompressed_size,
                compressed: entry.compressed_size,
                limit,
            }));
        }
        Ok(())
    }

    fn raw_index(&mut self, index: usize) -> Result<Vec<u8>> {
        self.check_inflated_size(index)?;
        let mut member = self.open_member(index, true)?;
        let mut bytes = Vec::new();
        let result = member.read_to_end(&mut bytes).map_err(Error::from);
        member.result(result).map(|_| bytes)
    }

    fn range_index(&mut self, index: usize) -> Result<std::ops::Range<u64>> {
        let entry = &self.entries[index];
        if entry.method != METHOD_STORED {
            return Err(Error::invalid_archive(format!(
                "the member is {}-compressed; only stored (uncompressed) members can be \
                 mapped: write the archive with np.savez or npz::savez",
                format::method_name(entry.method)
            )));
        }
        if entry.flags & FLAG_ENCRYPTED != 0 {
            return Err(Error::invalid_archive(
                "encrypted members are not supported",
            ));
        }
        let len = entry.compressed_size;
        let start = self.data_start(index)?;
        Ok(start..start + len)
    }
}

/// One member as the central directory describes it ([`Reader::members`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemberInfo {
    /// The member name with one `.npy` removed (as [`Reader::names`]).
    pub name: String,
    /// The compression method's name (`stored`, `deflate`, …).
    pub method: String,
    /// True when the member is not stored (its bytes in the file are compressed).
    pub compressed: bool,
    /// Bytes the member takes in the file (after compression).
    pub compressed_size: u64,
    /// Bytes of the member's `.npy` (before compression).
    pub uncompressed_size: u64,
    /// The CRC-32 of the uncompressed bytes, as the directory declares it.
    pub crc32: u32,
    /// Offset of the member's local header from the start of the archive.
    pub local_header_offset: u64,
}

/// "a, b, c" of up to 20 names, then how many more.
pub(super) fn available_list(names: &[String]) -> String {
    const SHOWN: usize = 20;
    if names.is_empty() {
        return "none".to_string();
    }
    let mut list = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npz::format::{
        EOCD_LEN, EOCD_SIG, ZIP64_EOCD_SIG, ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_SIG,
    };

    #[test]
    fn huge_zip64_values_are_errors_not_overflows() {
        for (offset, size) in [(u64::MAX - 5, 10), (0, u64::MAX), (u64::MAX, u64::MAX)] {
            let mut entry = Entry::new_numpy("x.npy", METHOD_STORED, offset);
            entry.compressed_size = size;
            entry.uncompressed_size = size;
            let mut bytes = entry.central_record();
            let cd_size = bytes.len() as u64;
            bytes.extend_from_slice(&format::end_records(1, 0, cd_size));
            let err = Reader::new(std::io::Cursor::new(bytes)).unwrap_err();
            assert!(err.to_string().contains("member \"x\""), "{err}");
        }
    }

    /// A zip64 archive of member `x` whose zip64 end record carries `extensible` data and
    /// whose locator gives `locator_offset` (default: the record's real offset).
    fn zip64_archive(extensible: &[u8], locator_offset: Option<u64>) -> Vec<u8> {
        use format::{put_u16, put_u32, put_u64};
        let npy = crate::write::to_vec(&vec![3i32, 4]).unwrap();
        let mut entry = Entry::new_numpy("x.npy", METHOD_STORED, 0);
        entry.crc = crc32fast::hash(&npy);
        entry.compressed_size = npy.len() as u64;
        entry.uncompressed_size = npy.len() as u64;
        let mut bytes = entry.local_header();
        bytes.extend_from_slice(&npy);
        let cd_offset = bytes.len() as u64;
        bytes.extend_from_slice(&entry.central_record());
        let cd_size = bytes.len() as u64 - cd_offset;
        let record_pos = bytes.len() as u64;
        put_u32(&mut bytes, ZIP64_EOCD_SIG);
        put_u64(&mut bytes, 44 + extensible.len() as u64);
        put_u16(&mut bytes, 45);
        put_u16(&mut bytes, 45);
        put_u32(&mut bytes, 0);
        put_u32(&mut bytes, 0);
        put_u64(&mut bytes, 1);
        put_u64(&mut bytes, 1);
        put_u64(&mut bytes, cd_size);
        put_u64(&mut bytes, cd_offset);
        bytes.extend_from_slice(extensible);
        put_u32(&mut bytes, ZIP64_LOCATOR_SIG);
        put_u32(&mut bytes, 0);
        put_u64(&mut bytes, locator_offset.unwrap_or(record_pos));
        put_u32(&mut bytes, 1);
        put_u32(&mut bytes, EOCD_SIG);
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&[0xFF; 12]);
        bytes.extend_from_slice(&[0; 2]);
        bytes
    }

    #[test]
    fn zip64_end_record_is_read_where_the_locator_says() {
        let read_x = |bytes: Vec<u8>| -> Result<Vec<i32>> {
            Reader::new(std::io::Cursor::new(bytes))?.read("x")
        };
        // Extensible data: the record does not end right before the locator.
        assert_eq!(read_x(zip64_archive(&[0xAB; 16], None)).unwrap(), [3, 4]);
        assert_eq!(read_x(zip64_archive(&[], None)).unwrap(), [3, 4]);
        // Data prepended: the locator's offset counts from the archive's own start.
        let mut prefixed = vec![b'#'; 100];
        prefixed.extend_from_slice(&zip64_archive(&[], None));
        assert_eq!(read_x(prefixed).unwrap(), [3, 4]);

        let plain = zip64_archive(&[], None);
        let locator_pos = plain.len() as u64 - (EOCD_LEN + ZIP64_LOCATOR_LEN) as u64;
        for offset in [u64::MAX, u64::MAX - 30, locator_pos - 50, locator_pos + 4] {
            let err = read_x(zip64_archive(&[], Some(offset))).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::InvalidArchive { .. }),
                "{err}"
            );
            assert!(
                err.to_string().contains("do not fit before the locator"),
                "{err}"
            );
        }
        // In range, but neither there nor right before the locator is a zip64 end record.
        let err = read_x(zip64_archive(&[0xAB; 8], Some(0))).unwrap_err();
        assert!(
            err.to_string().contains("no zip64 end record at byte 0"),
            "{err}"
        );
    }

    #[test]
    fn inflated_size_limit_is_an_option() {
        let mut writer = crate::npz::Writer::with_options(
            std::io::Cursor::new(Vec::new()),
            &crate::options::WriteOptions::default()
                .with_compression(crate::options::Compression::NUMPY_DEFLATE),
        )
        .unwrap();
        writer.add("zeros", &vec![0u8; 300_000]).unwrap();
        writer.add("small", &vec![1u8; 10]).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        assert!(bytes.len() < 10_000);
        let tight = ReadOptions::default().with_max_inflated_size(100_000);
        let mut archive = Reader::with_options(std::io::Cursor::new(&bytes), &tight).unwrap();
        let err = archive.read::<Vec<u8>>("zeros").unwrap_err().to_string();
        assert!(err.contains("max_inflated_size"), "{err}");
        assert!(archive.read_raw("zeros").is_err());
        assert_eq!(archive.header("zeros").unwrap().header.shape, [300_000]);
        assert_eq!(archive.read::<Vec<u8>>("small").unwrap(), [1; 10]);
        let mut archive = Reader::new(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(archive.read::<Vec<u8>>("zeros").unwrap().len(), 300_000);
    }

    #[test]
    fn local_header_name_is_shown_escaped_once() {
        let mut writer = crate::npz::Writer::new(std::io::Cursor::new(Vec::new()));
        writer.add("x", &vec![1u8]).unwrap();
        let mut bytes = writer.finish().unwrap().into_inner();
        let local_name = LOCAL_HEADER_LEN as usize..LOCAL_HEADER_LEN as usize + 5;
        assert_eq!(&bytes[local_name.clone()], b"x.npy");
        bytes[local_name].copy_from_slice(b"PK\x03\x04\"");
        let mut archive = Reader::new(std::io::Cursor::new(bytes)).unwrap();
        let err = archive.read::<Vec<u8>>("x").unwrap_err().to_string();
        assert!(
            err.contains(r#"the local header names "PK\x03\x04\"", the central directory "x.npy""#),
            "{err}"
        );
    }

    #[test]
    fn non_utf8_name_flagged_utf8_is_shown_escaped_once() {
        let err = format::decode_name(b"a\xff", format::FLAG_UTF8).unwrap_err();
        assert!(
            err.to_string()
                .contains(r#"member name "a\xff" is flagged"#),
            "{err}"
        );
    }

    #[test]
    fn member_list_is_cut_short() {
        let names: Vec<String> = (0..25).map(|i| format!("a{i}")).collect();
        let list = available_list(&names);
        assert!(list.ends_with("\"a19\" and 5 more"), "{list}");
        assert_eq!(available_list(&[]), "none");
    }
}
