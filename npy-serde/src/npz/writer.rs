//! [`Writer`]: adds arrays one by one to a zip archive, stored (`np.savez`) or deflated
//! (`np.savez_compressed`), in NumPy's exact layout. On a seekable output each member's
//! local header is patched with its CRC and sizes once the member ends; on a stream
//! ([`Writer::streaming`]) a data descriptor follows the member instead, as Python's
//! `zipfile` writes to an unseekable file. Both share every other rule.

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::deflate::{CompressedChunk, DeflatePool, CHUNK_LEN, DICTIONARY_LEN};
use super::format::{self, Entry, METHOD_DEFLATED, METHOD_STORED};
use super::inflate::{ChunkIndex, SEGMENT_CHUNKS, SEGMENT_LEN};
use super::member_name;
use crate::elements::FixedElement;
use crate::errors::{Error, ErrorKind, Result};
use crate::options::{Compression, WriteOptions};
use crate::write::{NpyWrite, StreamWriter};

/// Writes a `.npz` archive: one `.npy` member per array, named `name + ".npy"` as NumPy
/// names them.
///
/// Stored archives ([`new`](Self::new), [`create`](Self::create)) are byte-identical to
/// `np.savez` of the same arrays; compressed ones
/// ([`WriteOptions::with_compression`], as [`with_options`](Self::with_options) and
/// [`create_with`](Self::create_with) take them) deflate using every core (chunks of each
/// member are compressed in parallel, members overlap) and carry a chunk index in a private
/// zip extra field, ignored by other readers, with which [`Reader`](super::Reader)
/// inflates a large member on every core (every 4 MiB
/// starts without a dictionary, which costs under 0.5% of the size); their size is
/// within 2% of `np.savez_compressed`'s (zlib-rs and zlib choose slightly different
/// matches: large members come out within about 1%, tiny ones a few bytes larger) and
/// their bytes are not NumPy's, as with any other deflate implementation. Zip64 records are
/// written whenever a member, offset or count needs them, as Python's `zipfile` does.
///
/// ```
/// use npy_serde::npz::{Reader, Writer};
///
/// let mut writer = Writer::new(std::io::Cursor::new(Vec::new()));
/// writer.add("features", &ndarray::array![[0.5f32, 1.5], [2.5, 3.5]])?;
/// writer.add("labels", &vec![0u8, 1])?;
/// writer.add_positional(&vec![7i64])?; // named "arr_0", as np.savez names positional arrays
/// let archive = writer.finish()?;
///
/// let mut reader = Reader::new(archive)?;
/// assert_eq!(reader.names(), ["features", "labels", "arr_0"]);
/// let labels: Vec<u8> = reader.read("labels")?;
/// assert_eq!(labels, [0, 1]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
///
/// A failure while a member's data is being written (an I/O error, a value that cannot be
/// encoded) leaves the archive unusable: every later call (`add`, `stream`,
/// [`Stream::write_chunk`], [`Stream::finish`], `finish`) returns an error, and a
/// path-based writer never moves its temporary file over the target. Errors found before
/// anything is written (bad or duplicate name, unwritable dtype or shape, a header too
/// large for a forced format version, too many elements for a stream) leave it usable.
///
/// # Streaming
///
/// [`streaming`](Self::streaming) writes to any [`Write`] (a pipe, a socket, an HTTP
/// body): each member goes out as it is produced, followed by a data descriptor holding
/// its CRC and sizes (general purpose flag bit 3), exactly as Python's `zipfile` writes
/// `np.savez` to an unseekable file; NumPy and `zipfile` read it. Memory stays bounded
/// whatever the archive size: a 1 MiB output buffer, plus, when compressing, a few 1 MiB
/// chunks per core.
///
/// ```
/// use npy_serde::npz::{Reader, Writer};
///
/// let mut piped: Vec<u8> = Vec::new(); // any `Write`: stdout, a socket, a pipe
/// let mut writer = Writer::streaming(&mut piped);
/// writer.add("x", &vec![1.0f64, 2.0])?;
/// writer.finish()?;
/// let x: Vec<f64> = Reader::new(std::io::Cursor::new(piped))?.read("x")?;
/// assert_eq!(x, [1.0, 2.0]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub struct Writer<W: Write> {
    out: BufWriter<W>,
    /// Stream position of the archive's first byte; zip offsets are relative to it.
    start: u64,
    /// Bytes written so far (relative to `start`).
    pos: u64,
    entries: Vec<Entry>,
    names: HashSet<String>,
    options: WriteOptions,
    positional: usize,
    pool: Option<DeflatePool>,
    queue: VecDeque<Pending>,
    chunks_in_flight: usize,
    /// CRC of the member whose chunks are being written out.
    draining_crc: crc32fast::Hasher,
    /// Compressed offsets of that member's independent segments after the first (its
    /// chunk index, see `parallel`).
    draining_segments: Vec<u64>,
    failed: Option<String>,
    persist: Option<Persist<W>>,
    /// How to seek the output; `None` for a stream, whose members end with a data
    /// descriptor instead of a patched local header.
    seek: Option<SeekFn<W>>,
}

/// Seeks a seekable writer's output (captured where `W: Seek` is known).
type SeekFn<W> = fn(&mut BufWriter<W>, SeekFrom) -> std::io::Result<u64>;

/// Syncs a path-based writer's temporary file and renames it over the target.
type PersistFn<W> = Box<dyn FnOnce(&W) -> Result<()> + Send>;

/// Where a path-based writer's temporary file goes when finished.
struct Persist<W> {
    finish: PersistFn<W>,
    target: PathBuf,
}

/// Work queued for the output, in archive order.
enum Pending {
    LocalHeader(usize),
    /// A chunk of member `.0`; `.2`: it starts an independent segment.
    Chunk(
        usize,
        mpsc::Receiver<std::io::Result<CompressedChunk>>,
        bool,
    ),
    MemberEnd(usize),
}

impl<W: Write + Seek> Writer<W> {
    /// A writer of stored (uncompressed) members, like `np.savez`.
    pub fn new(writer: W) -> Self {
        Self::with_options(writer, &WriteOptions::default()).expect("the default options are valid")
    }

    /// A writer with options: compression (`np.savez_compressed` is
    /// [`Compression::NUMPY_DEFLATE`]), member alignment, and the members' byte order and
    /// format version. Options an archive cannot honour together are an error.
    pub fn with_options(writer: W, options: &WriteOptions) -> Result<Self> {
        Ok(Self::build(writer, options, Some(|out, to| out.seek(to)))?.at_current_position())
    }
}

impl<W: Write> Writer<W> {
    /// A writer of stored members to a stream (any [`Write`]): members go out as they are
    /// produced, each followed by a data descriptor (see [Streaming](Self#streaming)).
    /// Zip offsets count from the first byte written.
    pub fn streaming(writer: W) -> Self {
        Self::streaming_with(writer, &WriteOptions::default())
            .expect("the default options are valid")
    }

    /// [`streaming`](Self::streaming) with options, as [`with_options`](Self::with_options)
    /// takes them.
    pub fn streaming_with(writer: W, options: &WriteOptions) -> Result<Self> {
        Self::build(writer, options, None)
    }

    /// Whether members end with data descriptors (a [`streaming`](Self::streaming) writer).
    pub fn is_streaming(&self) -> bool {
        self.seek.is_none()
    }

    fn build(writer: W, options: &WriteOptions, seek: Option<SeekFn<W>>) -> Result<Self> {
        options.check_npz()?;
        Ok(Writer {
            out: BufWriter::with_capacity(1 << 20, writer),
            start: 0,
            pos: 0,
            entries: Vec::new(),
            names: HashSet::new(),
            options: options.clone(),
            positional: 0,
            pool: None,
            queue: VecDeque::new(),
            chunks_in_flight: 0,
            draining_crc: crc32fast::Hasher::new(),
            draining_segments: Vec::new(),
            failed: None,
            persist: None,
            seek,
        })
    }

    /// Zip offsets count from where the writer stands now (as Python's `zipfile` does).
    fn at_current_position(mut self) -> Self {
        let Some(seek) = self.seek else {
            return self;
        };
        match seek(&mut self.out, SeekFrom::Current(0)) {
            Ok(start) => self.start = start,
            Err(e) => self.failed = Some(format!("cannot get the stream position: {e}")),
        }
        self
    }

    /// The options in force.
    pub fn options(&self) -> &WriteOptions {
        &self.options
    }

    /// Member names added so far, without `.npy`, in order.
    pub fn names(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| super::strip_npy(&e.name).to_string())
            .collect()
    }

    /// Adds `array` as member `name + ".npy"`.
    ///
    /// `name` is kept as given (`/` included, as NumPy keeps it); a name used before or
    /// containing NUL is an error, raised before anything is written.
    pub fn add<A: NpyWrite + ?Sized>(&mut self, name: &str, array: &A) -> Result<()> {
        self.check_usable()?;
        let member = member_name(name)?;
        self.add_member(&member, array)
    }

    /// Adds `array` as member `member`, a complete zip name kept as given (an update
    /// replacing a member whose name does not end in `.npy`).
    pub(crate) fn add_member<A: NpyWrite + ?Sized>(
        &mut self,
        member: &str,
        array: &A,
    ) -> Result<()> {
        self.check_usable()?;
        let name = super::strip_npy(member);
        let npy_options = self.options.for_member();
        let (header, header_bytes) = array
            .header(&npy_options)
            .and_then(|header| {
                let bytes = crate::write::header_bytes(&header, &npy_options)?;
                Ok((header, bytes))
            })
            .map_err(|e| e.in_member(name))?;
        let mut sink = self.begin_member(member)?;
        let written = sink
            .write_all(&header_bytes)
            .map_err(Error::from)
            .and_then(|()| array.write_data(&header, &mut sink));
        match written {
            Ok(()) => sink.end(),
            Err(e) => Err(sink.fail(e)),
        }
    }

    /// Adds member `name + ".npy"` whose `.npy` bytes (header and data) are `npy`, encoded
    /// earlier with [`WriteOptions::for_member`] of this writer's options (a checkpoint's
    /// snapshot, written later on another thread).
    pub(crate) fn add_encoded(&mut self, name: &str, npy: &[u8]) -> Result<()> {
        self.check_usable()?;
        let mut sink = self.begin_member(&member_name(name)?)?;
        match sink.write_all(npy) {
            Ok(()) => sink.end(),
            Err(e) => Err(sink.fail(e.into())),
        }
    }

    /// Adds `array` under the next positional name, `arr_0`, `arr_1`, … (as `np.savez`
    /// names arrays passed without a keyword); returns the name used.
    pub fn add_positional<A: NpyWrite + ?Sized>(&mut self, array: &A) -> Result<String> {
        let name = format!("arr_{}", self.positional);
        self.add(&name, array)?;
        self.positional += 1;
        Ok(name)
    }

    /// Starts member `name` of C-order `shape`, to be written chunk by chunk: the whole
    /// array never needs to be in memory. Finish it with [`Stream::finish`] before
    /// adding anything else.
    ///
    /// ```
    /// use npy_serde::npz::{Compression, Reader, Writer};
    /// use npy_serde::WriteOptions;
    ///
    /// let compressed = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    /// let mut writer = Writer::with_options(std::io::Cursor::new(Vec::new()), &compressed)?;
    /// let mut rows = writer.stream::<f64>("table", &[1000, 3])?;
    /// for i in 0..1000 {
    ///     rows.write_chunk(&[i as f64, 0.0, -1.0])?;
    /// }
    /// rows.finish()?;
    /// let mut reader = Reader::new(writer.finish()?)?;
    /// let table: ndarray::Array2<f64> = reader.read("table")?;
    /// assert_eq!(table[[999, 0]], 999.0);
    /// # Ok::<(), npy_serde::Error>(())
    /// ```
    pub fn stream<T: FixedElement>(
        &mut self,
        name: &str,
        shape: &[usize],
    ) -> Result<Stream<'_, T, W>> {
        self.check_usable()?;
        let npy_options = self.options.for_member();
        // Everything that can be wrong with the header (shape, dtype, a forced version too
        // small) is found here, before the member begins, so it leaves the writer usable.
        StreamWriter::<T, _>::with_options(std::io::sink(), shape, &npy_options)
            .map_err(|e| e.in_member(name))?;
        let sink = self.begin_member(&member_name(name)?)?;
        match StreamWriter::with_options(sink, shape, &npy_options) {
            Ok(stream) => Ok(Stream {
                stream,
                name: name.to_string(),
            }),
            // Only writing the header can fail now; the sink marked the writer failed.
            Err(e) => Err(e.in_member(name)),
        }
    }

    /// Writes the central directory and end records and returns the underlying writer
    /// (for a path-based writer: the file, after it has been moved over the target path).
    pub fn finish(mut self) -> Result<W> {
        self.check_usable()?;
        self.drain_all()?;
        let cd_offset = self.pos;
        let mut directory = Vec::new();
        for entry in &self.entries {
            directory.extend_from_slice(&entry.central_record());
        }
        let cd_size = directory.len() as u64;
        directory.extend_from_slice(&format::end_records(
            self.entries.len() as u64,
            cd_offset,
            cd_size,
        ));
        self.out.write_all(&directory)?;
        self.out.flush()?;
        let Writer { out, persist, .. } = self;
        let writer = out
            .into_inner()
            .map_err(|e| ErrorKind::Io(e.into_error()))?;
        if let Some(persist) = persist {
            (persist.finish)(&writer).map_err(|e| e.in_file(&persist.target))?;
        }
        Ok(writer)
    }

    /// Writes out everything queued and returns the output and the members' directory
    /// entries, without a central directory (an update's spool of new members).
    pub(crate) fn finish_members(mut self) -> Result<(W, Vec<Entry>)> {
        self.check_usable()?;
        self.drain_all()?;
        self.out.flush()?;
        let Writer { out, entries, .. } = self;
        let writer = out
            .into_inner()
            .map_err(|e| ErrorKind::Io(e.into_error()))?;
        Ok((writer, entries))
    }

    /// Lets member `member` (full name) be added again (an update replacing it twice).
    pub(crate) fn forget_name(&mut self, member: &str) {
        self.names.remove(member);
    }

    fn check_usable(&self) -> Result<()> {
        match &self.failed {
            None => Ok(()),
            Some(why) => Err(Error::unwritable(format!(
                "the archive writer cannot be used after an earlier failure ({why})"
            ))),
        }
    }

    /// Claims member name `member` (complete, `.npy` included), queues its local header and
    /// returns the sink its bytes go to.
    fn begin_member(&mut self, member: &str) -> Result<MemberSink<'_, W>> {
        if self.names.contains(member) {
            return Err(Error::unwritable(format!(
                "duplicate member name {:?}: the archive already has {member:?}",
                super::strip_npy(member)
            )));
        }
        let member = member.to_string();
        let method = match self.options.compression {
            Compression::Stored => METHOD_STORED,
            Compression::Deflate { .. } => METHOD_DEFLATED,
        };
        if method == METHOD_STORED {
            // Stored data goes straight out: everything queued before it must be out first.
            self.drain_all().map_err(|e| self.poison(e))?;
        }
        self.names.insert(member.clone());
        let index = self.entries.len();
        let mut entry = Entry::new_numpy(&member, method, 0);
        if self.is_streaming() {
            entry.flags |= format::FLAG_DESCRIPTOR;
        }
        self.entries.push(entry);
        self.queue.push_back(Pending::LocalHeader(index));
        if method == METHOD_STORED {
            self.drain_all().map_err(|e| self.poison(e))?;
        }
        Ok(MemberSink {
            writer: self,
            index,
            buffer: Vec::new(),
            dictionary: Vec::new(),
            chunks: 0,
            accepted: 0,
            done: false,
        })
    }

    fn poison(&mut self, error: Error) -> Error {
        self.mark_failed(error.to_string());
        error
    }

    /// Makes every later call an error (the first reason is kept).
    fn mark_failed(&mut self, why: String) {
        self.failed.get_or_insert(why);
    }

    fn deflate_level(&self) -> u32 {
        match self.options.compression {
            Compression::Deflate { level } => level.min(9),
            Compression::Stored => 0,
        }
    }

    /// Queues a chunk of member `index` for compression, first making room when too many
    /// are in flight.
    fn submit_chunk(
        &mut self,
        index: usize,
        dictionary: Vec<u8>,
        input: Vec<u8>,
        last: bool,
    ) -> Result<()> {
        let level = self.deflate_level();
        let segment_start = dictionary.is_empty();
        let pool = self.pool.get_or_insert_with(DeflatePool::new);
        let max_in_flight = pool.max_in_flight();
        let receiver = pool.submit(level, dictionary, input, last);
        self.queue
            .push_back(Pending::Chunk(index, receiver, segment_start));
        self.chunks_in_flight += 1;
        while self.chunks_in_flight > max_in_flight {
            self.drain_one()?;
        }
        Ok(())
    }

    fn drain_all(&mut self) -> Result<()> {
        while !self.queue.is_empty() {
            self.drain_one()?;
        }
        Ok(())
    }

    /// Writes out the oldest queued item, waiting for it if it is a chunk in compression.
    fn drain_one(&mut self) -> Result<()> {
        let Some(item) = self.queue.pop_front() else {
            return Ok(());
        };
        match item {
            Pending::LocalHeader(index) => {
                let entry = &mut self.entries[index];
                entry.local_offset = self.pos;
                if let (Some(alignment), METHOD_STORED) = (self.options.alignment, entry.method) {
                    // The member's data starts after its local header: pad the header so
                    // that this lands on a multiple of the alignment in the file.
                    let data_at = self.start + self.pos + entry.local_header_len();
                    entry.local_padding = format::padding_for(data_at, alignment);
                    entry.local_alignment = alignment as u16;
                }
                let header = entry.local_header();
                self.out.write_all(&header)?;
                self.pos += header.len() as u64;
                self.draining_crc = crc32fast::Hasher::new();
                self.draining_segments.clear();
            }
            Pending::Chunk(index, receiver, segment_start) => {
                self.chunks_in_flight -= 1;
                let chunk = receiver.recv().map_err(|_| {
                    ErrorKind::Io(std::io::Error::other("a compression thread died"))
                })??;
                self.out.write_all(&chunk.deflated)?;
                self.pos += chunk.deflated.len() as u64;
                self.draining_crc.combine(&chunk.crc);
                let entry = &mut self.entries[index];
                if segment_start && entry.uncompressed_size > 0 {
                    self.draining_segments.push(entry.compressed_size);
                }
                entry.compressed_size += chunk.deflated.len() as u64;
                entry.uncompressed_size += chunk.input_len;
            }
            Pending::MemberEnd(index) => {
                let crc = std::mem::replace(&mut self.draining_crc, crc32fast::Hasher::new());
                self.entries[index].crc = crc.finalize();
                let segments = std::mem::take(&mut self.draining_segments);
                if !segments.is_empty() {
                    // In the central directory only: zip readers skip the unknown ID.
                    self.entries[index].other_extra =
                        ChunkIndex::extra_field(SEGMENT_LEN as u64, segments);
                }
                self.record_member_end(index)?;
            }
        }
        Ok(())
    }

    /// Records a finished member's CRC and sizes as `zipfile` does: on a seekable output
    /// by rewriting its local header, on a stream in a data descriptor after its data.
    fn record_member_end(&mut self, index: usize) -> Result<()> {
        let entry = &self.entries[index];
        let Some(seek) = self.seek else {
            let descriptor = entry.data_descriptor();
            self.out.write_all(&descriptor)?;
            self.pos += descriptor.len() as u64;
            return Ok(());
        };
        let header = entry.local_header();
        seek(
            &mut self.out,
            SeekFrom::Start(self.start + entry.local_offset),
        )?;
        self.out.write_all(&header)?;
        seek(&mut self.out, SeekFrom::Start(self.start + self.pos))?;
        Ok(())
    }
}

impl Writer<File> {
    /// Creates the archive at `path` (`.npz` appended when the name has no extension, as
    /// `np.savez` does), stored. The file appears only when [`finish`](Self::finish)
    /// succeeds: the archive is written to a temporary file in the same directory, synced,
    /// then renamed over `path`.
    pub fn create<P: AsRef<Path>>(path: P) -> Result<Self> {
        Self::create_with(path, &WriteOptions::default())
    }

    /// [`create`](Self::create) with options (compression, byte order, format version).
    pub fn create_with<P: AsRef<Path>>(path: P, options: &WriteOptions) -> Result<Self> {
        let target = crate::write::with_default_extension(path.as_ref(), "npz");
        let target = crate::write::save_target(&target);
        options.check_npz().map_err(|e| e.in_file(&target))?;
        let (file, temp) = crate::write::temp_file_beside(&target)
            .map_err(|e| Error::from(e).in_file(&target))?
            .into_parts();
        let mut writer = Writer::with_options(file, options)?;
        let destination = target.clone();
        let sync = options.sync;
        writer.persist = Some(Persist {
            finish: Box::new(move |file: &File| {
                if sync {
                    file.sync_all()?;
                }
                temp.persist(&destination)
                    .map_err(|e| ErrorKind::Io(e.error))?;
                if sync {
                    crate::write::sync_parent_dir(&destination)?;
                }
                Ok(())
            }),
            target,
        });
        Ok(writer)
    }

    /// The path the archive will have once finished, for a path-based writer.
    pub fn target_path(&self) -> Option<&Path> {
        self.persist.as_ref().map(|p| p.target.as_path())
    }
}

/// Where one member's `.npy` bytes go while it is written: straight to the output (with
/// its CRC computed) when stored, into chunks handed to the compression threads when
/// deflated. Dropping it before `end`, or any error while writing through it, leaves the
/// archive unusable; once it is, every write, flush and `end` is an error.
pub(crate) struct MemberSink<'a, W: Write> {
    writer: &'a mut Writer<W>,
    index: usize,
    buffer: Vec<u8>,
    dictionary: Vec<u8>,
    /// Chunks sent to compression so far: every `SEGMENT_CHUNKS`-th starts an independent
    /// segment, compressed without a dictionary so that it can be inflated on its own.
    chunks: usize,
    /// Bytes taken so far (header included): an error after some were taken leaves a
    /// partial member.
    accepted: u64,
    done: bool,
}

impl<W: Write> MemberSink<'_, W> {
    fn stored(&self) -> bool {
        self.writer.entries[self.index].method == METHOD_STORED
    }

    /// Sends the buffered bytes to compression.
    fn submit(&mut self, last: bool) -> Result<()> {
        let input = std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(if last { 0 } else { CHUNK_LEN }),
        );
        let tail_start = input.len().saturating_sub(DICTIONARY_LEN);
        let next_dictionary = input[tail_start..].to_vec();
        let dictionary = std::mem::replace(&mut self.dictionary, next_dictionary);
        let dictionary = if self.chunks.is_multiple_of(SEGMENT_CHUNKS) {
            Vec::new()
        } else {
            dictionary
        };
        self.chunks += 1;
        self.writer
            .submit_chunk(self.index, dictionary, input, last)
    }

    /// Completes the member: the last chunk is queued (deflate) or the header patched
    /// (stored).
    fn end(mut self) -> Result<()> {
        self.done = true;
        let name = self.writer.entries[self.index].name.clone();
        self.writer
            .check_usable()
            .map_err(|e| e.in_member(super::strip_npy(&name)))?;
        let result = if self.stored() {
            let crc = std::mem::replace(&mut self.writer.draining_crc, crc32fast::Hasher::new());
            self.writer.entries[self.index].crc = crc.finalize();
            self.writer.record_member_end(self.index)
        } else {
            self.submit(true).map(|()| {
                self.writer.queue.push_back(Pending::MemberEnd(self.index));
            })
        };
        result.map_err(|e| self.writer.poison(e).in_member(super::strip_npy(&name)))
    }

    /// Marks the writer failed and returns `error` naming the member.
    fn fail(mut self, error: Error) -> Error {
        self.done = true;
        let name = super::strip_npy(&self.writer.entries[self.index].name).to_string();
        self.writer.poison(error).in_member(name)
    }

    /// An I/O error when the writer has failed before.
    fn check_usable(&self) -> std::io::Result<()> {
        self.writer.check_usable().map_err(std::io::Error::other)
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.stored() {
            let writer = &mut *self.writer;
            writer.out.write_all(bytes)?;
            writer.draining_crc.update(bytes);
            writer.pos += bytes.len() as u64;
            let entry = &mut writer.entries[self.index];
            entry.uncompressed_size += bytes.len() as u64;
            entry.compressed_size += bytes.len() as u64;
            return Ok(());
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.buffer.len() == CHUNK_LEN {
                // Full, and more is coming: this chunk is not the last.
                self.submit(false).map_err(std::io::Error::other)?;
            }
            let take = rest.len().min(CHUNK_LEN - self.buffer.len());
            // Small members stay small; big writes fill a whole chunk at once.
            self.buffer.reserve(take);
            self.buffer.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
        }
        Ok(())
    }
}

impl<W: Write> Write for MemberSink<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.check_usable()?;
        match self.write_bytes(bytes) {
            Ok(()) => {
                self.accepted += bytes.len() as u64;
                Ok(bytes.len())
            }
            Err(e) => {
                // Some of the bytes may be out: the member, and so the archive, is broken.
                self.writer.mark_failed(e.to_string());
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.check_usable()
    }
}

impl<W: Write> Drop for MemberSink<'_, W> {
    fn drop(&mut self) {
        if !self.done {
            let name = self.writer.entries[self.index].name.clone();
            self.writer.failed.get_or_insert(format!(
                "member {:?} was not finished",
                super::strip_npy(&name)
            ));
        }
    }
}

/// One member being written chunk by chunk (see [`Writer::stream`]).
pub struct Stream<'a, T: FixedElement, W: Write> {
    stream: StreamWriter<T, MemberSink<'a, W>>,
    name: String,
}

impl<T: FixedElement, W: Write> Stream<'_, T, W> {
    /// Writes the next elements, in C order. An error after some of them were written
    /// (an I/O error) leaves the archive unusable; too many elements is an error that
    /// writes nothing.
    pub fn write_chunk(&mut self, values: &[T]) -> Result<()> {
        let sink = self.stream.writer_mut();
        sink.writer
            .check_usable()
            .map_err(|e| e.in_member(&self.name))?;
        let accepted_before = sink.accepted;
        self.stream.write_chunk(values).map_err(|e| {
            let sink = self.stream.writer_mut();
            let e = if sink.accepted != accepted_before {
                sink.writer.poison(e)
            } else {
                e
            };
            e.in_member(&self.name)
        })
    }

    /// The member's header.
    pub fn header(&self) -> &crate::header::Header {
        self.stream.header()
    }

    /// Checks that the whole shape was written and completes the member. Dropping the
    /// stream without finishing leaves the archive unusable.
    pub fn finish(self) -> Result<()> {
        let name = self.name;
        match self.stream.finish() {
            Ok(sink) => sink.end(),
            Err(e) => Err(e.in_member(name)),
        }
    }
}
