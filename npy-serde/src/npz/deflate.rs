//! Parallel deflate, as pigz does it: a member's bytes are cut into independent chunks,
//! each compressed (zlib-rs through flate2, raw deflate) on a worker thread with the
//! previous chunk's last 32 KiB as its dictionary, and ended with a sync flush (the last
//! with a finish), so the concatenated outputs are one valid deflate stream whose size is
//! within a few bytes per chunk of a single-threaded stream. Each chunk's CRC-32 is computed
//! beside it and combined in order. The writer gives every fourth chunk of a member no
//! dictionary, so that readers can inflate the segments that start there in parallel
//! (`super::parallel`).
//!
//! The workers are threads owned by one writer, not rayon's pool: the writer blocks while
//! waiting for the oldest chunk, which inside a rayon worker could wait on a job queued
//! behind itself.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use flate2::{Compress, FlushCompress, Status};

/// Uncompressed bytes per chunk.
pub(crate) const CHUNK_LEN: usize = 1 << 20;
/// Deflate's window: how much of the previous chunk primes the next.
pub(crate) const DICTIONARY_LEN: usize = 32 * 1024;

/// One compressed chunk: its deflate bytes and the CRC-32 of its input.
pub(crate) struct CompressedChunk {
    pub deflated: Vec<u8>,
    pub crc: crc32fast::Hasher,
    pub input_len: u64,
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of compression threads fed through one queue.
pub(crate) struct DeflatePool {
    jobs: Option<mpsc::Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl DeflatePool {
    /// One worker per core.
    pub(crate) fn new() -> DeflatePool {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..threads)
            .filter_map(|i| {
                let receiver = Arc::clone(&receiver);
                std::thread::Builder::new()
                    .name(format!("npz-deflate-{i}"))
                    .spawn(move || loop {
                        let job = match receiver.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    })
                    .ok()
            })
            .collect();
        DeflatePool {
            jobs: Some(sender),
            workers,
        }
    }

    /// How many chunks may be in flight at once: enough to keep every worker busy while
    /// the writer waits on the oldest.
    pub(crate) fn max_in_flight(&self) -> usize {
        2 * self.workers.len().max(1) + 1
    }

    /// Queues the compression of `input` (primed with `dictionary`); the result arrives on
    /// the returned channel. Without workers (thread creation failed) it runs here.
    pub(crate) fn submit(
        &self,
        level: u32,
        dictionary: Vec<u8>,
        input: Vec<u8>,
        last: bool,
    ) -> mpsc::Receiver<std::io::Result<CompressedChunk>> {
        let (sender, receiver) = mpsc::channel();
        let job = move || {
            let _ = sender.send(compress_chunk(level, &dictionary, &input, last));
        };
        match &self.jobs {
            Some(jobs) if !self.workers.is_empty() => {
                if let Err(mpsc::SendError(job)) = jobs.send(Box::new(job)) {
                    job();
                }
            }
            _ => job(),
        }
        receiver
    }
}

impl Drop for DeflatePool {
    fn drop(&mut self) {
        self.jobs.take();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Deflates one chunk. Not the last: ends with a sync flush (byte-aligned, stream left
/// open); the last: ends the stream.
pub(crate) fn compress_chunk(
    level: u32,
    dictionary: &[u8],
    input: &[u8],
    last: bool,
) -> std::io::Result<CompressedChunk> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(input);
    let mut compress = Compress::new(flate2::Compression::new(level), false);
    if !dictionary.is_empty() {
        compress
            .set_dictionary(dictionary)
            .map_err(std::io::Error::other)?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut deflated = Vec::with_capacity(input.len() / 2 + 1024);
    loop {
        if deflated.capacity() - deflated.len() < 1024 {
            deflated.reserve(deflated.capacity().max(64 * 1024));
        }
        let consumed = compress.total_in() as usize;
        let status = compress
            .compress_vec(&input[consumed..], &mut deflated, flush)
            .map_err(std::io::Error::other)?;
        let all_in = compress.total_in() as usize == input.len();
        let room_left = deflated.len() < deflated.capacity();
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError if !last && all_in && room_left => break,
            Status::Ok | Status::BufError => {}
        }
    }
    Ok(CompressedChunk {
        deflated,
        crc,
        input_len: input.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn chunks_concatenate_into_one_deflate_stream() {
        let data: Vec<u8> = (0..3_000_000u32)
            .flat_map(|i| (i / 7).to_le_bytes())
            .collect();
        let pool = DeflatePool::new();
        let chunks: Vec<&[u8]> = data.chunks(CHUNK_LEN).collect();
        let mut receivers = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let dictionary = if i == 0 {
                Vec::new()
            } else {
                let previous = chunks[i - 1];
                previous[previous.len() - DICTIONARY_LEN..].to_vec()
            };
            receivers.push(pool.submit(6, dictionary, chunk.to_vec(), i + 1 == chunks.len()));
        }
        let mut stream = Vec::new();
        let mut crc = crc32fast::Hasher::new();
        for receiver in receivers {
            let chunk = receiver.recv().unwrap().unwrap();
            stream.extend_from_slice(&chunk.deflated);
            crc.combine(&chunk.crc);
        }
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&stream[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == data);
        assert_eq!(crc.finalize(), crc32fast::hash(&data));
        let single = compress_chunk(6, &[], &data, true).unwrap().deflated;
        let overhead = stream.len() as f64 / single.len() as f64 - 1.0;
        assert!(overhead < 0.01, "chunked is {overhead:.4} larger");
    }
}
