//! Inflating one member on every core: the chunk index this crate writes into compressed
//! members, and the parallel inflater that uses it. (Reading several members at once is
//! `many.rs`.)
//!
//! **Why segments without a dictionary.** A deflate chunk primed with its predecessor's last
//! 32 KiB can only be inflated once that predecessor's output exists, so priming every chunk
//! would serialize reading. The writer therefore starts an independent *segment* every
//! [`SEGMENT_LEN`] bytes (4 chunks of 1 MiB): its first chunk gets no dictionary, the three
//! after it are primed as before. The cost is one cold 32 KiB window per 4 MiB (well under
//! 0.5% of the size); the gain is that every segment inflates on its own core. All
//! segments together are still one ordinary deflate stream: any zip reader inflates it
//! serially as before.
//!
//! **The index.** Where each segment starts is written into the member's central directory
//! entry as a zip extra field with the private header ID [`INDEX_ID`] (`"np"`), which zip
//! readers that do not know it skip (Python's `zipfile`, so `np.load`, included):
//! version (u8 = 1), segment length (u32, uncompressed bytes), count (u32), then `count`
//! u64 offsets of segments 1, 2, … within the member's compressed bytes (segment 0 starts
//! at 0). Only members of at least two segments carry one.
//!
//! **Trusting it.** The index is untrusted input. It is used only when it is consistent
//! with the directory (one offset per segment boundary the declared size implies, strictly
//! increasing inside the member, each segment no larger than deflate can make it), and
//! every segment is checked as it is inflated: it must use exactly its bytes, produce
//! exactly its length, and (except the last) end between deflate blocks on a byte
//! boundary, which a final empty block appended after it proves (`0x03 0x00` ends the
//! stream without output only there). The CRC-32s of the segments, computed by the threads
//! that inflate them, are combined in order and checked against the directory's. A segment
//! that fails a check hands over to a serial inflater that resumes at that segment's start
//! with the output's last 32 KiB as dictionary (what a serial reader holds at that point),
//! so a wrong index costs speed, never a different result.

use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use flate2::{Decompress, FlushDecompress, Status};

use super::deflate::CHUNK_LEN;
use super::format::{put_u16, put_u32, put_u64, Bytes};
use crate::buffer::read_up_to;
use crate::errors::Error;

/// The zip extra field ID of the chunk index: the bytes `np` (private, unregistered).
pub(crate) const INDEX_ID: u16 = u16::from_le_bytes(*b"np");
/// Chunks per independent segment.
pub(crate) const SEGMENT_CHUNKS: usize = 4;
/// Uncompressed bytes per independent segment.
pub(crate) const SEGMENT_LEN: usize = SEGMENT_CHUNKS * CHUNK_LEN;
/// The largest segment length a reader accepts from an index: it sizes buffers.
const MAX_SEGMENT_LEN: u64 = 64 << 20;
/// The largest index data written (a central extra field holds at most 65535 bytes,
/// shared with the zip64 extra).
pub(super) const MAX_INDEX_DATA: usize = 60_000;
/// A final empty fixed-Huffman block: inflating it right after a segment ends the stream
/// without output exactly when the segment ended between blocks on a byte boundary.
const END_PROBE: [u8; 2] = [0x03, 0x00];

/// Where a member's independent segments start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkIndex {
    /// Uncompressed bytes per segment (the last may be shorter).
    pub segment_len: u64,
    /// Compressed offsets of segments 1, 2, … (segment 0 starts at 0).
    pub offsets: Vec<u64>,
}

impl ChunkIndex {
    /// The extra field (ID, length, data) for `offsets` of segments of `segment_len`
    /// bytes; when too many to fit, every other boundary is dropped (segments of twice the
    /// length are still independent) until they fit.
    /// Nothing when even that would make segments larger than a reader accepts.
    pub(crate) fn extra_field(mut segment_len: u64, mut offsets: Vec<u64>) -> Vec<u8> {
        while 9 + 8 * offsets.len() > MAX_INDEX_DATA {
            offsets = offsets.iter().skip(1).step_by(2).copied().collect();
            segment_len *= 2;
        }
        if segment_len > MAX_SEGMENT_LEN || offsets.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(13 + 8 * offsets.len());
        put_u16(&mut out, INDEX_ID);
        put_u16(&mut out, (9 + 8 * offsets.len()) as u16);
        out.push(1);
        put_u32(&mut out, segment_len as u32);
        put_u32(&mut out, offsets.len() as u32);
        for offset in offsets {
            put_u64(&mut out, offset);
        }
        out
    }

    /// The index in a member's extra fields, if it has a usable one: consistent with the
    /// member's declared sizes. Anything else is `None` (the member reads serially).
    pub(crate) fn find(extra: &[u8], compressed: u64, uncompressed: u64) -> Option<ChunkIndex> {
        let mut fields = Bytes::new(extra, "extra field");
        while fields.remaining() >= 4 {
            let id = fields.u16().ok()?;
            let len = fields.u16().ok()? as usize;
            let data = fields.take(len).ok()?;
            if id == INDEX_ID {
                return Self::parse(data, compressed, uncompressed);
            }
        }
        None
    }

    fn parse(data: &[u8], compressed: u64, uncompressed: u64) -> Option<ChunkIndex> {
        let mut bytes = Bytes::new(data, "chunk index");
        if bytes.take(1).ok()? != [1] {
            return None;
        }
        let segment_len = u64::from(bytes.u32().ok()?);
        let count = bytes.u32().ok()? as usize;
        if segment_len < CHUNK_LEN as u64 || segment_len > MAX_SEGMENT_LEN {
            return None;
        }
        if bytes.remaining() != count.checked_mul(8)? {
            return None;
        }
        // One boundary between every two segments of the declared size, no more, no less.
        if uncompressed.div_ceil(segment_len).saturating_sub(1) != count as u64 || count == 0 {
            return None;
        }
        let offsets = (0..count)
            .map(|_| bytes.u64())
            .collect::<crate::errors::Result<Vec<u64>>>()
            .ok()?;
        let mut previous = 0;
        for &offset in offsets.iter().chain([compressed].iter()) {
            // Each segment's deflate bytes: non-empty, and no more than stored blocks
            // would take (5 bytes per 16 KiB or so), so a bad index cannot size a buffer.
            let span = offset.checked_sub(previous)?;
            if span == 0 || span > segment_len + segment_len / 256 + 1024 {
                return None;
            }
            previous = offset;
        }
        Some(ChunkIndex {
            segment_len,
            offsets,
        })
    }

    fn segments(&self) -> usize {
        self.offsets.len() + 1
    }
}

/// An I/O error carrying a typed archive error (so the member reader reports it as is).
fn archive_error(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, Error::invalid_archive(message))
}

/// What one segment's inflation gave.
struct Segment {
    ok: bool,
    crc: crc32fast::Hasher,
}

/// Inflates `input` (one segment) into exactly `out`, checking that it uses all of its
/// bytes and ends where a segment must (see the module docs).
fn inflate_segment(input: &[u8], out: &mut [u8], last: bool) -> Segment {
    let mut crc = crc32fast::Hasher::new();
    let mut inflater = Decompress::new(false);
    let ok = (|| {
        let mut ended = false;
        while !ended {
            let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
            let status = inflater
                .decompress(
                    &input[in_before as usize..],
                    &mut out[out_before as usize..],
                    FlushDecompress::None,
                )
                .ok()?;
            ended = status == Status::StreamEnd;
            if inflater.total_in() == in_before && inflater.total_out() == out_before {
                break;
            }
        }
        if inflater.total_out() != out.len() as u64 {
            return None;
        }
        // Input left after the output is full must produce nothing more.
        let mut spare = [0u8; 64];
        while !ended && (inflater.total_in() as usize) < input.len() {
            let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
            let status = inflater
                .decompress(
                    &input[in_before as usize..],
                    &mut spare,
                    FlushDecompress::None,
                )
                .ok()?;
            ended = status == Status::StreamEnd;
            if inflater.total_out() != out_before || inflater.total_in() == in_before {
                return None;
            }
        }
        if inflater.total_in() != input.len() as u64 || ended != last {
            return None;
        }
        if !last {
            let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
            let status = inflater
                .decompress(&END_PROBE, &mut spare, FlushDecompress::Finish)
                .ok()?;
            let probe_used = inflater.total_in() - in_before == END_PROBE.len() as u64;
            if status != Status::StreamEnd || !probe_used || inflater.total_out() != out_before {
                return None;
            }
        }
        Some(())
    })()
    .is_some();
    if ok {
        crc.update(out);
    }
    Segment { ok, crc }
}

/// Inflates segments on `threads` threads, `inputs[i]` into `outputs[i]`. Each thread takes
/// the next segment nobody has taken yet, so a thread the shared cores schedule late holds
/// up only its own segment, not a fixed share of the work.
fn inflate_segments(
    inputs: &[&[u8]],
    outputs: Vec<&mut [u8]>,
    last_is_final: bool,
    threads: usize,
) -> Vec<Segment> {
    let count = inputs.len();
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<&mut [u8]>>> = outputs
        .into_iter()
        .map(|out| Mutex::new(Some(out)))
        .collect();
    let results: Vec<Mutex<Option<Segment>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= count {
            break;
        }
        let taken = slots[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(out) = taken {
            let segment = inflate_segment(inputs[i], out, last_is_final && i + 1 == count);
            *results[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(segment);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads.min(count) {
            scope.spawn(work);
        }
        work();
    });
    results
        .into_iter()
        .map(|result| {
            let result = result.into_inner().unwrap_or_else(PoisonError::into_inner);
            result.unwrap_or(Segment {
                ok: false,
                crc: crc32fast::Hasher::new(),
            })
        })
        .collect()
}

/// Serial inflation from some point of a stream on, primed with the output before it.
pub(super) struct SerialTail<R> {
    source: R,
    inflater: Decompress,
    input: Vec<u8>,
    input_pos: usize,
    source_done: bool,
    ended: bool,
}

impl<R: Read> SerialTail<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.ended || buf.is_empty() {
                return Ok(0);
            }
            if self.input_pos == self.input.len() && !self.source_done {
                self.input.resize(256 * 1024, 0);
                let got = self.source.read(&mut self.input)?;
                self.input.truncate(got);
                self.input_pos = 0;
                self.source_done = got == 0;
            }
            let flush = if self.source_done {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let (in_before, out_before) = (self.inflater.total_in(), self.inflater.total_out());
            let status = self
                .inflater
                .decompress(&self.input[self.input_pos..], buf, flush)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            self.input_pos += (self.inflater.total_in() - in_before) as usize;
            let produced = (self.inflater.total_out() - out_before) as usize;
            self.ended = status == Status::StreamEnd;
            if produced > 0 || self.ended {
                return Ok(produced);
            }
            if self.source_done && self.input_pos == self.input.len() {
                // The stream stops short: the member reader reports the missing bytes.
                return Ok(0);
            }
        }
    }
}

pub(super) enum Mode<R> {
    Parallel(R),
    Serial(SerialTail<R>),
    Done,
}

/// A member's uncompressed bytes, inflated a run of segments at a time on every core (see
/// the module docs). It checks the member's CRC itself.
///
/// A read into a buffer that holds whole segments inflates them straight into it (no copy);
/// smaller reads are served from a window of segments inflated into `output`.
pub(crate) struct ParallelInflater<R> {
    pub(super) mode: Mode<R>,
    index: ChunkIndex,
    compressed_len: u64,
    uncompressed_len: u64,
    expected_crc: u32,
    threads: usize,
    /// Segments per window.
    window: usize,
    /// The next segment to inflate.
    next_segment: usize,
    /// Inflated bytes of the current window, and how far they have been handed out.
    output: Vec<u8>,
    output_pos: usize,
    /// The last 32 KiB inflated before `next_segment`: a serial hand-over's dictionary.
    history: Vec<u8>,
    /// Compressed bytes read so far.
    consumed: u64,
    produced: u64,
    crc: crc32fast::Hasher,
}

/// Segments per thread inflated by one in-place read (a read into a larger buffer returns
/// after that many: 8 × 4 MiB per thread).
const IN_PLACE_PER_THREAD: usize = 8;

/// Deflate's window: how much output a serial inflater resuming mid-stream needs.
const HISTORY_LEN: usize = 32 * 1024;

impl<R: Read> ParallelInflater<R> {
    /// Inflates the compressed member in `source` (exactly its `compressed_len` bytes) with
    /// `index`, on `threads` threads.
    pub(crate) fn new(
        source: R,
        index: ChunkIndex,
        compressed_len: u64,
        uncompressed_len: u64,
        expected_crc: u32,
        threads: usize,
    ) -> Self {
        let threads = threads.max(1);
        ParallelInflater {
            mode: Mode::Parallel(source),
            index,
            compressed_len,
            uncompressed_len,
            expected_crc,
            threads,
            // One segment per thread: a window is for reads too small to take whole
            // segments (the header, the first steps of a growing array), and every byte of
            // it is fresh memory and a copy; larger reads are inflated in place.
            window: threads,
            next_segment: 0,
            output: Vec::new(),
            output_pos: 0,
            history: Vec::new(),
            consumed: 0,
            produced: 0,
            crc: crc32fast::Hasher::new(),
        }
    }

    fn segment_start(&self, segment: usize) -> u64 {
        match segment {
            0 => 0,
            s if s <= self.index.offsets.len() => self.index.offsets[s - 1],
            _ => self.compressed_len,
        }
    }

    /// Uncompressed length of `segment`.
    fn segment_out_len(&self, segment: usize) -> usize {
        let begin = segment as u64 * self.index.segment_len;
        (self.uncompressed_len.min(begin + self.index.segment_len) - begin) as usize
    }

    /// How many segments from `next_segment` on fit whole into `len` bytes.
    fn segments_fitting(&self, len: usize) -> usize {
        let mut fitting = 0;
        let mut total = 0;
        for segment in self.next_segment..self.index.segments() {
            total += self.segment_out_len(segment);
            if total > len {
                break;
            }
            fitting += 1;
        }
        fitting
    }

    /// Inflates segments `next_segment..last` into the start of `dest` (which holds them
    /// all); on a failed check, hands over to serial inflation at the first failed segment.
    /// Returns how many bytes of `dest` hold good output.
    fn inflate_run(&mut self, last: usize, dest: &mut [u8]) -> io::Result<usize> {
        let first = self.next_segment;
        let start = self.segment_start(first);
        let end = self.segment_start(last);
        let Mode::Parallel(source) = &mut self.mode else {
            return Ok(0);
        };
        let mut compressed = vec![0u8; (end - start) as usize];
        let got = read_up_to(source, &mut compressed)?;
        compressed.truncate(got);
        self.consumed += got as u64;
        let out_lens: Vec<usize> = (first..last).map(|s| self.segment_out_len(s)).collect();
        let mut results = Vec::new();
        if got as u64 == end - start {
            let inputs: Vec<&[u8]> = (first..last)
                .map(|s| {
                    let from = (self.segment_start(s) - start) as usize;
                    let to = (self.segment_start(s + 1) - start) as usize;
                    &compressed[from..to]
                })
                .collect();
            let mut outputs = Vec::with_capacity(out_lens.len());
            let mut rest = &mut dest[..];
            for &len in &out_lens {
                let (head, tail) = rest.split_at_mut(len);
                outputs.push(head);
                rest = tail;
            }
            let final_run = last == self.index.segments();
            results = inflate_segments(&inputs, outputs, final_run, self.threads);
        }
        // Keep the segments before the first failure; serial inflation takes over there.
        let good = results.iter().take_while(|r| r.ok).count();

        let kept: usize = out_lens[..good].iter().sum();
        for result in &results[..good] {
            self.crc.combine(&result.crc);
        }
        self.next_segment = first + good;
        let mut dictionary = std::mem::take(&mut self.history);
        dictionary.extend_from_slice(&dest[kept.saturating_sub(HISTORY_LEN)..kept]);
        dictionary.drain(..dictionary.len().saturating_sub(HISTORY_LEN));
        if good < last - first {
            let Mode::Parallel(source) = std::mem::replace(&mut self.mode, Mode::Done) else {
                unreachable!("checked at the start");
            };
            let resume = (self.segment_start(first + good) - start) as usize;
            let mut inflater = Decompress::new(false);
            if !dictionary.is_empty() {
                inflater
                    .set_dictionary(&dictionary)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            }
            compressed.drain(..resume.min(compressed.len()));
            self.mode = Mode::Serial(SerialTail {
                source,
                inflater,
                input: compressed,
                input_pos: 0,
                source_done: false,
                ended: false,
            });
        } else if last == self.index.segments() {
            self.mode = Mode::Done;
        }
        self.history = dictionary;
        Ok(kept)
    }

    /// Inflates the next window of segments into `output`.
    fn refill(&mut self) -> io::Result<()> {
        let last = (self.next_segment + self.window).min(self.index.segments());
        let mut output = std::mem::take(&mut self.output);
        let len = (self.next_segment..last)
            .map(|s| self.segment_out_len(s))
            .sum();
        output.resize(len, 0);
        let kept = self.inflate_run(last, &mut output)?;
        output.truncate(kept);
        self.output = output;
        self.output_pos = 0;
        Ok(())
    }

    /// Checks the CRC once all declared bytes went out.
    fn count(&mut self, produced: usize) -> io::Result<usize> {
        self.produced += produced as u64;
        if produced > 0 && self.produced == self.uncompressed_len {
            let crc = self.crc.clone().finalize();
            if crc != self.expected_crc {
                return Err(archive_error(format!(
                    "CRC-32 mismatch: the data has {crc:#010x}, the archive says {:#010x} \
                     (corrupt archive)",
                    self.expected_crc
                )));
            }
        }
        Ok(produced)
    }
}

impl<R: Read> Read for ParallelInflater<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.output_pos < self.output.len() {
                let n = buf.len().min(self.output.len() - self.output_pos);
                buf[..n].copy_from_slice(&self.output[self.output_pos..self.output_pos + n]);
                self.output_pos += n;
                return self.count(n);
            }
            match &mut self.mode {
                Mode::Parallel(_) => {
                    // A buffer that holds two segments or more gets them inflated in place,
                    // a bounded number per read: their compressed bytes are held meanwhile.
                    let fitting = self
                        .segments_fitting(buf.len())
                        .min(IN_PLACE_PER_THREAD * self.threads);
                    if fitting >= 2 {
                        let kept = self.inflate_run(self.next_segment + fitting, buf)?;
                        if kept > 0 {
                            return self.count(kept);
                        }
                    } else {
                        self.refill()?;
                    }
                }
                Mode::Serial(tail) => {
                    let n = tail.read(buf)?;
                    self.crc.update(&buf[..n]);
                    return self.count(n);
                }
                Mode::Done => return Ok(0),
            }
        }
    }
}
