//! Reading several members at once ([`Reader::read_many`](super::Reader::read_many)):
//! deflated members' compressed bytes are read in order on the calling thread and inflated
//! and decoded on worker threads, a bounded number in flight, for archives with or
//! without a chunk index.

use std::io::{self, Read, Seek};
use std::sync::{mpsc, Arc, Mutex};

use super::format::Entry;
use super::reader::Reader;
use crate::errors::Result;
use crate::read::NpyRead;

impl<R: Read + Seek> Reader<R> {
    /// Reads members `names` (each with or without `.npy`) as `T`, in the order given.
    /// Deflated members of up to 16 MiB compressed are inflated and decoded on every core
    /// at once (their compressed bytes are read in order here, each when a worker thread
    /// is free to take it); larger ones, and
    /// stored ones, are read one after the other as [`read`](Self::read) reads them (a
    /// large member written by this crate is itself inflated on every core). The first
    /// error, in the order of `names`, is returned.
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

/// Reads members `indices` of `reader` as `T`: deflated members of up to
/// [`MAX_WORKER_MEMBER`] compressed bytes without a chunk index are read here in order and
/// inflated and decoded on one worker thread per core (handed over when one is free);
/// the others are read here, as `Reader::read` does.
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
    let mut results: Vec<Option<Result<T>>> = (0..indices.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        // A rendezvous: compressed bytes are read only when a worker is free to take them,
        // so at most one member per worker plus the one being handed over is held.
        let (jobs, job_queue) = mpsc::sync_channel::<(usize, Entry, Vec<u8>)>(0);
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
                let Ok((position, entry, compressed)) = job else {
                    return;
                };
                let value = Reader::<R>::decode_compressed(&entry, &compressed, options);
                if done.send((position, value)).is_err() {
                    return;
                }
            });
        }
        drop(done);
        for (position, &index) in indices.iter().enumerate() {
            match reader.compressed_bytes(index, MAX_WORKER_MEMBER) {
                Ok(Some(compressed)) => {
                    let entry = reader.entries()[index].clone();
                    if let Err(mpsc::SendError((_, entry, compressed))) =
                        jobs.send((position, entry, compressed))
                    {
                        // No worker left (cannot happen short of a panic): decode here.
                        let value = Reader::<R>::decode_compressed(&entry, &compressed, options);
                        results[position] = Some(value);
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
