//! Reading several members at once ([`Reader::read_many`](super::Reader::read_many)):
//! deflated members' compressed bytes are read in order on the calling thread and inflated
//! and decoded on worker threads, and stored members of a file are read by the workers
//! themselves, a bounded number in flight.

use std::io::{self, Read, Seek};
use std::sync::{mpsc, Arc, Mutex};

use std::fs::File;

use super::format::Entry;
use super::member::{decode_compressed, decode_stored_at};
use super::reader::Reader;
use crate::errors::Result;
use crate::options::ReadOptions;
use crate::read::NpyRead;

impl<R: Read + Seek> Reader<R> {
    /// Reads members `names` (each with or without `.npy`) as `T`, in the order given,
    /// on every core at once: deflated members of up to 16 MiB compressed (their
    /// compressed bytes are read in order here, each when a worker thread is free to take
    /// it) and, in an archive opened by path ([`Reader::open`]), stored members (each
    /// worker reads its member straight into the array at positions of its own). Larger
    /// deflated members, and stored ones of an archive read through another reader, are
    /// read one after the other as [`read`](Self::read) reads them (a large member written
    /// by this crate is itself inflated on every core). The first error, in the order of
    /// `names`, is returned.
    ///
    /// ```
    /// use npy_serde::npz::{Compression, Reader, Writer};
    ///
    /// let compressed = npy_serde::WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    /// let mut writer = Writer::with_options(std::io::Cursor::new(Vec::new()), &compressed)?;
    /// for i in 0..10 {
    ///     writer.add(&format!("layer{i}"), &vec![i as f32; 100])?;
    /// }
    /// let mut archive = Reader::new(writer.finish()?)?;
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
        read_members(self, &indices)
    }
}

/// Deflated members up to this compressed size are inflated on worker threads by
/// [`read_members`]; larger ones are read in place (bounding what is held in memory).
const MAX_WORKER_MEMBER: u64 = 16 << 20;

/// A member handed to a worker thread.
enum Job<'a> {
    /// A deflated member's compressed bytes, read here.
    Compressed(Entry, Vec<u8>),
    /// A stored member whose data starts at this position of the shared file: the worker
    /// reads it itself, straight into the array.
    Stored(&'a File, Entry, u64),
}

/// Reads members `indices` of `reader` as `T`. Handed to one worker thread per core (each
/// when one is free): deflated members of up to [`MAX_WORKER_MEMBER`] compressed bytes
/// without a chunk index, whose compressed bytes are read here in order, and, when the
/// archive was opened by path, stored members, which the workers read through their own
/// file positions (copying a large state dict is bound by faulting in fresh pages and the
/// CRC, both of which then run on every core). The others are read here, as `Reader::read`
/// does.
fn read_members<R, T>(reader: &mut Reader<R>, indices: &[usize]) -> Result<Vec<T>>
where
    R: Read + Seek,
    T: NpyRead + Send,
{
    let threads = crate::threads::available();
    if threads < 2 || indices.len() < 2 {
        return indices
            .iter()
            .map(|&index| {
                let value = reader.read_at(index);
                reader.in_context(value, index)
            })
            .collect();
    }
    let options = reader.read_options().clone();
    let options = &options;
    // A second handle on the file, so workers read while this thread goes on reading
    // local headers through the reader's own.
    let shared_file = reader.shared_file().and_then(|file| file.try_clone().ok());
    let shared_file = shared_file.as_ref();
    let mut results: Vec<Option<Result<T>>> = (0..indices.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        // A rendezvous: a member is handed over only when a worker is free to take it, so
        // at most one member per worker plus the one being handed over is held.
        let (jobs, job_queue) = mpsc::sync_channel::<(usize, Job<'_>)>(0);
        let job_queue = Arc::new(Mutex::new(job_queue));
        let (done, finished) = mpsc::channel::<(usize, Result<T>)>();
        for _ in 0..threads {
            let job_queue = Arc::clone(&job_queue);
            let done = done.clone();
            scope.spawn(move || loop {
                let job = match job_queue.lock() {
                    Ok(queue) => queue.recv(),
                    Err(_) => return,
                };
                let Ok((position, job)) = job else {
                    return;
                };
                let value = run(job, options);
                if done.send((position, value)).is_err() {
                    return;
                }
            });
        }
        drop(done);
        for (position, &index) in indices.iter().enumerate() {
            let job = match shared_file {
                Some(file) => reader.stored_data_start(index).map(|start| {
                    start.map(|start| Job::Stored(file, reader.entries()[index].clone(), start))
                }),
                None => Ok(None),
            };
            let job = match job {
                Ok(None) => reader
                    .compressed_bytes(index, MAX_WORKER_MEMBER)
                    .map(|bytes| {
                        bytes.map(|bytes| Job::Compressed(reader.entries()[index].clone(), bytes))
                    }),
                other => other,
            };
            match job {
                Ok(Some(job)) => {
                    if let Err(mpsc::SendError((_, job))) = jobs.send((position, job)) {
                        // No worker left (cannot happen short of a panic): decode here.
                        results[position] = Some(run(job, options));
                    }
                }
                Ok(None) => results[position] = Some(reader.read_at(index)),
                Err(e) => results[position] = Some(Err(e)),
            }
        }
        drop(jobs);
        for (position, value) in finished {
            results[position] = Some(value);
        }
    });
    results
        .into_iter()
        .zip(indices)
        .map(|(value, &index)| {
            let value =
                value.unwrap_or_else(|| Err(io::Error::other("a decoding thread stopped").into()));
            reader.in_context(value, index)
        })
        .collect()
}

/// Decodes one member handed to a worker.
fn run<T: NpyRead>(job: Job<'_>, options: &ReadOptions) -> Result<T> {
    match job {
        Job::Compressed(entry, bytes) => decode_compressed(&entry, &bytes, options),
        Job::Stored(file, entry, start) => decode_stored_at(file, &entry, start, options),
    }
}
