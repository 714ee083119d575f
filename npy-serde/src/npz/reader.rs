//! [`NpzReader`]: lazy, defensive reading of `.npz` archives. Opening reads only the end
//! records and the central directory; each member is read when asked for, through a reader
//! that stops at the size the directory declares, checks the CRC at the end, and refuses a
//! `.npy` header that declares more data than the member holds (bytes after the data are
//! allowed and ignored, as `np.load` ignores them, but still CRC-checked).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::format::{
    self, Bytes, Entry, CENTRAL_HEADER_LEN, CENTRAL_SIG, EOCD_LEN, EOCD_SIG, FLAG_ENCRYPTED,
    LOCAL_HEADER_LEN, LOCAL_SIG, METHOD_DEFLATED, METHOD_STORED, ZIP64_EOCD_LEN, ZIP64_EOCD_SIG,
    ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_SIG,
};
use super::parallel;
use crate::element::DataReader;
use crate::error::{Error, ErrorKind, Result};
use crate::header::{self, HeaderInfo};
use crate::read::{NpyRead, ReadOptions};

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
/// use npy_serde::npz::{NpzReader, NpzWriter};
/// use npy_serde::NpyArray;
///
/// let mut writer = NpzWriter::new_compressed(std::io::Cursor::new(Vec::new()));
/// writer.add("x", &vec![1.0f64, 2.0, 3.0])?;
/// writer.add("y", &ndarray::array![[1i32, 2], [3, 4]])?;
/// let mut archive = NpzReader::new(writer.finish()?)?;
///
/// assert_eq!(archive.names(), ["x", "y"]);
/// assert!(archive.contains("y.npy") && archive.contains("y"));
/// assert_eq!(archive.header("y")?.header.shape, [2, 2]);
/// let x: Vec<f64> = archive.read("x")?;
/// let y: NpyArray = archive.read("y")?;
/// assert_eq!(y.dtype().to_string(), "'<i4'");
/// let err = archive.read::<Vec<f64>>("z").unwrap_err();
/// assert!(matches!(err.root(), npy_serde::ErrorKind::MissingMember { .. }));
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub struct NpzReader<R: Read + Seek> {
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
}

impl NpzReader<File> {
    /// Opens the archive at `path`. Errors name the file.
    pub fn open<P: AsRef<Path>>(path: P) -> Result<Self> {
        Self::open_with(path, ReadOptions::default())
    }

    /// [`open`](Self::open) with read options (the header size cap applies to every
    /// member).
    pub fn open_with<P: AsRef<Path>>(path: P, options: ReadOptions) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::from(e).in_file(path))?;
        let mut reader = NpzReader::new(file).map_err(|e| e.in_file(path))?;
        reader.path = Some(path.to_path_buf());
        reader.options = options;
        Ok(reader)
    }
}

impl<R: Read + Seek> NpzReader<R> {
    /// Reads the directory of the archive in `reader`.
    pub fn new(mut reader: R) -> Result<Self> {
        let directory = read_directory(&mut reader)?;
        let mut by_name = HashMap::with_capacity(directory.entries.len());
        for (index, entry) in directory.entries.iter().enumerate() {
            // As with Python's zipfile, the last of duplicate names wins.
            by_name.insert(entry.name.clone(), index);
        }
        Ok(NpzReader {
            reader,
            entries: directory.entries,
            base: directory.base,
            limits: directory.limits,
            by_name,
            options: ReadOptions::default(),
            path: None,
        })
    }

    /// The same reader with `options` (the header size cap reaches every member).
    pub fn with_options(mut self, options: ReadOptions) -> Self {
        self.options = options;
        self
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
    /// [`NpyArray`](crate::NpyArray), … as [`load`](crate::load) does for files.
    pub fn read<T: NpyRead>(&mut self, name: &str) -> Result<T> {
        let index = self.lookup(name)?;
        let result = self.read_index(index);
        self.wrap(result, index)
    }

    /// Reads members `names` (each with or without `.npy`) as `T`, in the order given.
    /// Deflated members of up to 16 MiB compressed are inflated and decoded on every core
    /// at once (their compressed bytes are read in order here, each when a worker thread
    /// is free to take it); larger ones, and
    /// stored ones, are read one after the other as [`read`](Self::read) reads them (a
    /// large member written by this crate is itself inflated on every core). The first
    /// error, in the order of `names`, is returned.
    ///
    /// ```
    /// use npy_serde::npz::{NpzReader, NpzWriter};
    ///
    /// let mut writer = NpzWriter::new_compressed(std::io::Cursor::new(Vec::new()));
    /// for i in 0..10 {
    ///     writer.add(&format!("layer{i}"), &vec![i as f32; 100])?;
    /// }
    /// let mut archive = NpzReader::new(writer.finish()?)?;
    /// let names = archive.names();
    /// let names: Vec<&str> = names.iter().map(String::as_str).collect();
    /// let layers: Vec<Vec<f32>> = archive.read_many(&names)?;
    /// assert_eq!(layers[7], vec![7.0; 100]);
    /// # Ok::<(), npy_serde::Error>(())
    /// ```
    pub fn read_many<T: NpyRead + Send>(&mut self, names: &[&str]) -> Result<Vec<T>> {
        let indices = names
            .iter()
            .map(|name| self.lookup(name))
            .collect::<Result<Vec<_>>>()?;
        parallel::read_members(self, &indices)
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
    /// use npy_serde::npz::{NpzReader, NpzWriter};
    ///
    /// let mut writer = NpzWriter::new_compressed(std::io::Cursor::new(Vec::new()));
    /// writer.add("zeros", &vec![0.0f64; 1000])?;
    /// let mut archive = NpzReader::new(writer.finish()?)?;
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
        if header::read_up_to(&mut self.reader, &mut fixed)? < fixed.len() {
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
        if header::read_up_to(&mut self.reader, &mut name)? < name.len() {
            return Err(Error::invalid_archive("local header name is cut short"));
        }
        if name != entry.name_raw {
            return Err(Error::invalid_archive(format!(
                // escape_bytes already escapes (quotes too): quoted, not Debug-formatted.
                "the local header names \"{}\", the central directory {:?}",
                crate::error::escape_bytes(&name),
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
        let threads = parallel::threads();
        let chunk_index = (whole && method == METHOD_DEFLATED && threads > 1)
            .then(|| parallel::ChunkIndex::find(&entry.other_extra, compressed, uncompressed))
            .flatten();
        let data_start = self.data_start(index)?;
        self.reader.seek(SeekFrom::Start(data_start))?;
        let raw = (&mut self.reader).take(compressed);
        if let Some(chunk_index) = chunk_index {
            let inflater = parallel::ParallelInflater::new(
                raw,
                chunk_index,
                compressed,
                uncompressed,
                crc,
                threads,
            );
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
            && parallel::ChunkIndex::find(
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
        let got = header::read_up_to(&mut self.reader, &mut bytes)?;
        bytes.truncate(got);
        Ok(Some(bytes))
    }

    /// Decodes a deflated member from its compressed bytes (see `compressed_bytes`).
    pub(crate) fn decode_compressed<T: NpyRead>(
        entry: &Entry,
        compressed: &[u8],
        options: &ReadOptions,
    ) -> Result<T> {
        let member = MemberReader::new(
            member_source(METHOD_DEFLATED, compressed),
            entry.uncompressed_size,
            Some(entry.crc),
        );
        decode_member(member, false, options)
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
            return Err(Error::invalid_archive(format!(
                "the member inflates to {} bytes (from {} compressed), more than the limit \
                 of {limit}; if the archive is trusted, raise the limit \
                 (ReadOptions::max_inflated_size)",
                entry.uncompressed_size, entry.compressed_size
            )));
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
                 mapped: write the archive with np.savez or NpzWriter::new",
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

/// One member as the central directory describes it ([`NpzReader::members`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemberInfo {
    /// The member name with one `.npy` removed (as [`NpzReader::names`]).
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

/// The uncompressed bytes of `raw`, a member's data compressed with `method` (stored or
/// deflate, checked by the caller).
fn member_source<'a, R: Read + 'a>(method: u16, raw: R) -> Box<dyn Read + 'a> {
    if method == METHOD_STORED {
        Box::new(raw)
    } else {
        Box::new(flate2::bufread::DeflateDecoder::new(
            BufReader::with_capacity(256 * 1024, raw),
        ))
    }
}

/// Reads a whole member as `T` from its uncompressed bytes.
fn decode_member<T: NpyRead>(
    mut member: MemberReader<'_>,
    stored: bool,
    options: &ReadOptions,
) -> Result<T> {
    // A stored member's bytes are in the file (the directory checks bound them by the
    // next member), so its array can be allocated at once. A deflated member's declared
    // size is bounded only by 1032 times its compressed size: its array must grow as
    // bytes really arrive, or a small archive could ask for gigabytes.
    let result = (|| {
        let info = read_npy_header(&mut member, options.max_header_size)?;
        if info.header.dtype == crate::DType::Object {
            if !options.allow_pickle {
                return Err(ErrorKind::ObjectArray.into());
            }
            // The pickle is what the member holds after the header (bounded by the
            // member's declared size, which inflation checks).
            let mut pickle = Vec::new();
            member.read_to_end(&mut pickle)?;
            let len = Some(pickle.len() as u64);
            let objects = crate::pickle::read_objects(&mut &pickle[..], len, options)?;
            return T::from_objects(objects);
        }
        if info.header.dtype.has_object() {
            return Err(ErrorKind::ObjectArray.into());
        }
        let data_len = info.header.data_len()?;
        let available = stored.then_some(data_len);
        let mut data = DataReader::new(&mut member, info.data_offset, available);
        let value = T::read_npy_data(&info.header, &mut data)?;
        // Bytes after the data (np.load ignores them) are read through to check the CRC.
        io::copy(&mut member, &mut io::sink())?;
        Ok(value)
    })();
    member.result(result)
}

/// Reads a member's `.npy` header and checks that the member holds its data. Bytes after
/// the data are allowed, as `np.load` allows them (NPY_FORMAT.md A.5); an object array's
/// data is a pickle of any length, so its size is not checked (reading it is refused).
fn read_npy_header(member: &mut MemberReader<'_>, max: usize) -> Result<HeaderInfo> {
    let info = header::read_header(member, max)?;
    if info.header.dtype.has_object() {
        return Ok(info);
    }
    let data_len = info.header.data_len()?;
    let needed = info.data_offset.checked_add(data_len);
    if needed.is_none_or(|needed| needed > member.expected_len) {
        return Err(Error::invalid_archive(format!(
            "the .npy header declares {} bytes (header {} + data {data_len}), the archive \
             member holds only {}",
            needed.map_or("over 2^64".to_string(), |n| n.to_string()),
            info.data_offset,
            member.expected_len
        )));
    }
    Ok(info)
}

/// "a, b, c" of up to 20 names, then how many more.
fn available_list(names: &[String]) -> String {
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

/// The uncompressed bytes of one member: never more than the directory declares, CRC
/// checked once the end is reached.
pub(crate) struct MemberReader<'a> {
    inner: Box<dyn Read + 'a>,
    expected_len: u64,
    /// The CRC-32 to check, unless the inner reader checks it (parallel inflation).
    expected_crc: Option<u32>,
    read: u64,
    crc: crc32fast::Hasher,
    /// The typed error behind an `io::Error` this reader returned.
    failure: Option<Error>,
}

impl<'a> MemberReader<'a> {
    fn new(inner: Box<dyn Read + 'a>, expected_len: u64, expected_crc: Option<u32>) -> Self {
        MemberReader {
            inner,
            expected_len,
            expected_crc,
            read: 0,
            crc: crc32fast::Hasher::new(),
            failure: None,
        }
    }

    fn fail(&mut self, error: Error) -> io::Error {
        let io_error = io::Error::new(io::ErrorKind::InvalidData, error.to_string());
        self.failure = Some(error);
        io_error
    }

    /// `result`, with an I/O error this reader raised replaced by its typed cause.
    fn result<T>(mut self, result: Result<T>) -> Result<T> {
        match (result, self.failure.take()) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(failure)) => Err(failure),
            (Err(e), None) => match e.kind() {
                ErrorKind::Io(io) if io.kind() == io::ErrorKind::InvalidInput => Err(
                    Error::invalid_archive(format!("corrupt deflate data: {io}")),
                ),
                _ => Err(e),
            },
        }
    }
}

impl Read for MemberReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failure.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "member unreadable",
            ));
        }
        let left = self.expected_len - self.read;
        // Ask for one byte more than declared at the end, to catch a stream that goes on.
        let want = buf.len().min(
            usize::try_from(left)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        );
        if want == 0 {
            return Ok(0);
        }
        let got = match self.inner.read(&mut buf[..want]).map_err(Error::carried_by) {
            Ok(got) => got,
            Err(Ok(typed)) => return Err(self.fail(typed)),
            Err(Err(e))
                if e.kind() == io::ErrorKind::InvalidInput
                    || e.kind() == io::ErrorKind::InvalidData =>
            {
                return Err(self.fail(Error::invalid_archive(format!("corrupt deflate data: {e}"))))
            }
            Err(Err(e)) => return Err(e),
        };
        if got as u64 > left {
            return Err(self.fail(Error::invalid_archive(format!(
                "the member inflates past its declared size of {} bytes (zip bomb or corrupt \
                 archive); reading stopped there",
                self.expected_len
            ))));
        }
        if got == 0 {
            if left > 0 {
                return Err(self.fail(Error::invalid_archive(format!(
                    "the member ends after {} of its {} declared bytes (truncated or corrupt \
                     archive)",
                    self.read, self.expected_len
                ))));
            }
            return Ok(0);
        }
        self.read += got as u64;
        if let Some(expected_crc) = self.expected_crc {
            self.crc.update(&buf[..got]);
            if self.read == self.expected_len {
                let crc = self.crc.clone().finalize();
                if crc != expected_crc {
                    return Err(self.fail(Error::invalid_archive(format!(
                        "CRC-32 mismatch: the data has {crc:#010x}, the archive says \
                         {expected_crc:#010x} (corrupt archive)"
                    ))));
                }
            }
        }
        Ok(got)
    }
}

/// What the end records and central directory say.
struct Directory {
    entries: Vec<Entry>,
    base: u64,
    limits: Vec<u64>,
}

fn read_exact_at<R: Read + Seek>(
    reader: &mut R,
    pos: u64,
    len: usize,
    what: &str,
) -> Result<Vec<u8>> {
    reader.seek(SeekFrom::Start(pos))?;
    // Grown as the bytes arrive, not allocated at `len`: the length comes from the archive
    // (or, for a remote object, from the size a server claims).
    let mut buf = Vec::with_capacity(len.min(1 << 20));
    reader.take(len as u64).read_to_end(&mut buf)?;
    if buf.len() < len {
        return Err(Error::invalid_archive(format!(
            "{what} is cut short (truncated archive?)"
        )));
    }
    Ok(buf)
}

fn read_directory<R: Read + Seek>(reader: &mut R) -> Result<Directory> {
    let file_len = reader.seek(SeekFrom::End(0))?;
    let tail_len = file_len.min((EOCD_LEN + 0xFFFF) as u64) as usize;
    let tail_start = file_len - tail_len as u64;
    let tail = read_exact_at(reader, tail_start, tail_len, "archive end")?;
    let eocd_in_tail = (0..=tail_len.saturating_sub(EOCD_LEN))
        .rev()
        .find(|&i| tail_len >= EOCD_LEN && tail[i..i + 4] == EOCD_SIG.to_le_bytes());
    let Some(eocd_in_tail) = eocd_in_tail else {
        let start = read_exact_at(
            reader,
            0,
            header::MAGIC.len().min(file_len as usize),
            "start",
        )?;
        return Err(Error::invalid_archive(
            if start.starts_with(b"PK\x03\x04") {
                "no end of central directory record: the archive is truncated".to_string()
            } else if start[..] == header::MAGIC[..] {
                // Someone handed a `.npy` where an archive goes: say what reads it.
                "not a zip archive but a .npy file (one array): load it with npy_serde::load \
             (typed, or as NpyArray) or load_any"
                    .to_string()
            } else {
                format!(
                "not a zip archive (no end of central directory record in its {file_len} bytes)"
            )
            },
        ));
    };
    let eocd_pos = tail_start + eocd_in_tail as u64;
    let mut eocd = Bytes::new(&tail[eocd_in_tail..eocd_in_tail + EOCD_LEN], "end record");
    eocd.u32()?;
    let disk = eocd.u16()?;
    let cd_disk = eocd.u16()?;
    eocd.u16()?;
    let mut count = u64::from(eocd.u16()?);
    let mut cd_size = u64::from(eocd.u32()?);
    let mut cd_offset = u64::from(eocd.u32()?);
    if disk != 0 || cd_disk != 0 {
        return Err(Error::invalid_archive(
            "multi-disk archives are not supported",
        ));
    }
    let mut cd_end = eocd_pos;
    let locator_pos = eocd_pos.checked_sub(ZIP64_LOCATOR_LEN as u64);
    if let Some(locator_pos) = locator_pos {
        let locator = read_exact_at(reader, locator_pos, ZIP64_LOCATOR_LEN, "zip64 locator")?;
        if locator[..4] == ZIP64_LOCATOR_SIG.to_le_bytes() {
            let mut fields = Bytes::new(&locator[4..], "zip64 locator");
            fields.u32()?; // The disk holding the record.
            let declared_pos = fields.u64()?;
            let record_pos = zip64_record_pos(reader, declared_pos, locator_pos)?;
            let record = read_exact_at(reader, record_pos, ZIP64_EOCD_LEN, "zip64 end record")?;
            let mut record = Bytes::new(&record, "zip64 end record");
            record.u32()?; // The signature, checked by zip64_record_pos.
                           // Record size, versions, disk numbers, entries on this disk; any extensible
                           // data after the fixed fields is not needed.
            record.take(20)?;
            record.u64()?;
            count = record.u64()?;
            cd_size = record.u64()?;
            cd_offset = record.u64()?;
            cd_end = record_pos;
        }
    }
    let cd_start = cd_end.checked_sub(cd_size).ok_or_else(|| {
        Error::invalid_archive(format!(
            "central directory of {cd_size} bytes does not fit before its end record at byte \
             {cd_end} (truncated or corrupt archive)"
        ))
    })?;
    let base = cd_start.checked_sub(cd_offset).ok_or_else(|| {
        Error::invalid_archive(format!(
            "central directory declared at byte {cd_offset}, found ending at {cd_end} \
             (truncated or corrupt archive)"
        ))
    })?;
    if count > cd_size / CENTRAL_HEADER_LEN as u64 {
        return Err(Error::invalid_archive(format!(
            "{count} members declared, but the central directory has only {cd_size} bytes"
        )));
    }
    let cd = read_exact_at(reader, cd_start, cd_size as usize, "central directory")?;
    let mut bytes = Bytes::new(&cd, "central directory");
    let mut entries = Vec::with_capacity(count as usize);
    for index in 0..count {
        let entry = parse_central_entry(&mut bytes).map_err(|e| {
            Error::invalid_archive(format!(
                "corrupt central directory at entry {index} (byte {}): {}",
                cd_start + bytes.pos() as u64,
                e.root()
            ))
        })?;
        entries.push(entry);
    }
    if bytes.remaining() != 0 {
        return Err(Error::invalid_archive(format!(
            "central directory has {} bytes after its {count} declared entries",
            bytes.remaining()
        )));
    }
    let limits = member_limits(&entries, base, cd_start)?;
    Ok(Directory {
        entries,
        base,
        limits,
    })
}

/// Where the zip64 end record starts: at the offset the zip64 locator gives (the record
/// may carry extensible data, so it need not end right before the locator), or, when data
/// was prepended to the archive (its offsets then count from the archive's own start, as
/// Python's `zipfile` allows), right before the locator, where writers put a record without
/// extensible data.
fn zip64_record_pos<R: Read + Seek>(
    reader: &mut R,
    declared_pos: u64,
    locator_pos: u64,
) -> Result<u64> {
    let fits = declared_pos
        .checked_add(ZIP64_EOCD_LEN as u64)
        .is_some_and(|end| end <= locator_pos);
    if !fits {
        return Err(Error::invalid_archive(format!(
            "the zip64 locator puts the zip64 end record at byte {declared_pos}, where its \
             {ZIP64_EOCD_LEN} bytes do not fit before the locator at byte {locator_pos} \
             (corrupt archive)"
        )));
    }
    let right_before = locator_pos - ZIP64_EOCD_LEN as u64;
    for pos in [declared_pos, right_before] {
        let signature = read_exact_at(reader, pos, 4, "zip64 end record")?;
        if signature == ZIP64_EOCD_SIG.to_le_bytes() {
            return Ok(pos);
        }
    }
    Err(Error::invalid_archive(format!(
        "zip64 locator present but no zip64 end record at byte {declared_pos} or right \
         before the locator (corrupt archive)"
    )))
}

fn parse_central_entry(bytes: &mut Bytes<'_>) -> Result<Entry> {
    if bytes.u32()? != CENTRAL_SIG {
        return Err(Error::invalid_archive("no central directory signature"));
    }
    let made_by = bytes.u16()?;
    let version_needed = bytes.u16()?;
    let flags = bytes.u16()?;
    let method = bytes.u16()?;
    let time = bytes.u16()?;
    let date = bytes.u16()?;
    let crc = bytes.u32()?;
    let mut compressed_size = u64::from(bytes.u32()?);
    let mut uncompressed_size = u64::from(bytes.u32()?);
    let name_len = bytes.u16()? as usize;
    let extra_len = bytes.u16()? as usize;
    let comment_len = bytes.u16()? as usize;
    bytes.u16()?;
    let internal_attr = bytes.u16()?;
    let external_attr = bytes.u32()?;
    let mut local_offset = u64::from(bytes.u32()?);
    let name_raw = bytes.take(name_len)?.to_vec();
    let extra = bytes.take(extra_len)?;
    let comment = bytes.take(comment_len)?.to_vec();
    let mut other_extra = Vec::new();
    let mut fields = Bytes::new(extra, "extra field");
    while fields.remaining() >= 4 {
        let id = fields.u16()?;
        let len = fields.u16()? as usize;
        let data = fields.take(len)?;
        if id == 1 {
            let mut zip64 = Bytes::new(data, "zip64 extra field");
            if uncompressed_size == u64::from(u32::MAX) {
                uncompressed_size = zip64.u64()?;
            }
            if compressed_size == u64::from(u32::MAX) {
                compressed_size = zip64.u64()?;
            }
            if local_offset == u64::from(u32::MAX) {
                local_offset = zip64.u64()?;
            }
        } else {
            other_extra.extend_from_slice(&extra[fields.pos() - len - 4..fields.pos()]);
        }
    }
    let name = format::decode_name(&name_raw, flags)?;
    Ok(Entry {
        name_raw,
        name,
        made_by,
        version_needed,
        flags,
        method,
        time,
        date,
        crc,
        compressed_size,
        uncompressed_size,
        internal_attr,
        external_attr,
        local_offset,
        other_extra,
        comment,
    })
}

/// Where each member must end (the next local header or the central directory), after
/// checking from the directory alone that no two members overlap.
fn member_limits(entries: &[Entry], base: u64, cd_start: u64) -> Result<Vec<u64>> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].local_offset);
    let mut limits = vec![cd_start; entries.len()];
    for (position, &index) in order.iter().enumerate() {
        let entry = &entries[index];
        let start = base.checked_add(entry.local_offset);
        let min_end = start
            .and_then(|s| s.checked_add(LOCAL_HEADER_LEN + entry.name_raw.len() as u64))
            .and_then(|s| s.checked_add(entry.compressed_size));
        let limit = match order.get(position + 1) {
            Some(&next) => base.saturating_add(entries[next].local_offset),
            None => cd_start,
        };
        let name = super::strip_npy(&entry.name);
        match min_end {
            Some(end) if end <= limit => limits[index] = limit,
            _ if limit == cd_start => {
                return Err(Error::invalid_archive(format!(
                    "{} bytes of data declared at byte {} run past the central directory at \
                     byte {cd_start} (truncated or corrupt archive)",
                    entry.compressed_size, entry.local_offset
                ))
                .in_member(name))
            }
            _ => {
                let other = super::strip_npy(&entries[order[position + 1]].name);
                return Err(Error::invalid_archive(format!(
                    "it overlaps member {other:?} (both claim the bytes at {limit}): a \
                     malformed or hostile archive"
                ))
                .in_member(name));
            }
        }
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_zip64_values_are_errors_not_overflows() {
        for (offset, size) in [(u64::MAX - 5, 10), (0, u64::MAX), (u64::MAX, u64::MAX)] {
            let mut entry = Entry::new_numpy("x.npy", METHOD_STORED, offset);
            entry.compressed_size = size;
            entry.uncompressed_size = size;
            let mut bytes = entry.central_record();
            let cd_size = bytes.len() as u64;
            bytes.extend_from_slice(&format::end_records(1, 0, cd_size));
            let err = NpzReader::new(std::io::Cursor::new(bytes)).unwrap_err();
            assert!(err.to_string().contains("member \"x\""), "{err}");
        }
    }

    /// A zip64 archive of member `x` whose zip64 end record carries `extensible` data and
    /// whose locator gives `locator_offset` (default: the record's real offset).
    fn zip64_archive(extensible: &[u8], locator_offset: Option<u64>) -> Vec<u8> {
        use format::{put_u16, put_u32, put_u64};
        let npy = crate::to_bytes(&vec![3i32, 4]).unwrap();
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
            NpzReader::new(std::io::Cursor::new(bytes))?.read("x")
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
        let mut writer = crate::npz::NpzWriter::new_compressed(std::io::Cursor::new(Vec::new()));
        writer.add("zeros", &vec![0u8; 300_000]).unwrap();
        writer.add("small", &vec![1u8; 10]).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        assert!(bytes.len() < 10_000);
        let tight = ReadOptions::default().with_max_inflated_size(100_000);
        let mut archive = NpzReader::new(std::io::Cursor::new(&bytes))
            .unwrap()
            .with_options(tight);
        let err = archive.read::<Vec<u8>>("zeros").unwrap_err().to_string();
        assert!(err.contains("max_inflated_size"), "{err}");
        assert!(archive.read_raw("zeros").is_err());
        assert_eq!(archive.header("zeros").unwrap().header.shape, [300_000]);
        assert_eq!(archive.read::<Vec<u8>>("small").unwrap(), [1; 10]);
        let mut archive = NpzReader::new(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(archive.read::<Vec<u8>>("zeros").unwrap().len(), 300_000);
    }

    #[test]
    fn local_header_name_is_shown_escaped_once() {
        let mut writer = crate::npz::NpzWriter::new(std::io::Cursor::new(Vec::new()));
        writer.add("x", &vec![1u8]).unwrap();
        let mut bytes = writer.finish().unwrap().into_inner();
        let local_name = LOCAL_HEADER_LEN as usize..LOCAL_HEADER_LEN as usize + 5;
        assert_eq!(&bytes[local_name.clone()], b"x.npy");
        bytes[local_name].copy_from_slice(b"PK\x03\x04\"");
        let mut archive = NpzReader::new(std::io::Cursor::new(bytes)).unwrap();
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
