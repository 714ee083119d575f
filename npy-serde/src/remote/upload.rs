//! Streamed uploads: an archive is uploaded in parts as the serializer produces it, so
//! memory holds at most the parts in flight, never the archive. [`PartWriter`] is the
//! synchronous `Write` the npz writer streams into; it cuts parts and hands them to
//! [`upload_parts`], a task on the runtime that sends them (one PUT when the whole archive
//! fits in one part, else a multipart upload, aborted on any failure so that nothing
//! appears).

use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{FuturesUnordered, StreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use tokio::sync::mpsc;

use super::object::{remote_error, store_error};
use super::RemoteOptions;
use crate::errors::Result;

/// S3's limit on the parts of one upload.
const MAX_PARTS: usize = 10_000;

/// A part of the archive, in order; `last` ends it.
struct Part {
    bytes: Bytes,
    last: bool,
}

/// The length of part `index`: the configured part size, growing by that size every
/// 1,000 parts so that 10,000 parts reach 55,000 part sizes (430 GiB at 8 MiB) without
/// knowing the archive's size in advance.
fn part_len(part_size: usize, index: usize) -> usize {
    part_size * (1 + index / 1000)
}

/// The synchronous end: bytes in, parts out. [`finish`](Self::finish) sends the last
/// part; dropping it without finishing makes the upload abort.
pub(crate) struct PartWriter {
    buffer: Vec<u8>,
    part_size: usize,
    parts: usize,
    sender: mpsc::Sender<Part>,
}

impl PartWriter {
    fn send(&mut self, last: bool) -> std::io::Result<()> {
        let next = part_len(self.part_size, self.parts + 1);
        let full = std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(if last { 0 } else { next }),
        );
        self.parts += 1;
        let part = Part {
            bytes: Bytes::from(full),
            last,
        };
        self.sender.blocking_send(part).map_err(|_| {
            std::io::Error::other("the upload stopped (its error is reported with the object)")
        })
    }

    /// Sends what is buffered as the last part.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        self.send(true)
    }
}

impl Write for PartWriter {
    fn write(&mut self, mut bytes: &[u8]) -> std::io::Result<usize> {
        let total = bytes.len();
        while !bytes.is_empty() {
            let room = part_len(self.part_size, self.parts) - self.buffer.len();
            if room == 0 {
                // Full, and more is coming: this part is not the last.
                self.send(false)?;
                continue;
            }
            let take = room.min(bytes.len());
            self.buffer.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        Ok(total)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer of parts and the receiving end for [`upload_parts`]. At most `concurrency`
/// parts are being uploaded, one waits in the channel and one is being filled.
pub(crate) fn part_channel(options: &RemoteOptions) -> (PartWriter, PartReceiver) {
    let (sender, receiver) = mpsc::channel(1);
    let writer = PartWriter {
        buffer: Vec::new(),
        part_size: options.part_size,
        parts: 0,
        sender,
    };
    (writer, PartReceiver(receiver))
}

/// The receiving end of a [`PartWriter`].
pub(crate) struct PartReceiver(mpsc::Receiver<Part>);

/// Why an upload stopped: the writer stopped before its last part (its own error says
/// why), or the store failed.
pub(crate) enum Stopped {
    Writer,
    Store(crate::Error),
}

/// Uploads to `path` what `write` streams into the [`PartWriter`] it is given (and ends
/// with [`PartWriter::finish`]), from a thread that may block (not one of `runtime`'s),
/// while a task on `runtime` sends the parts ([`upload_parts`]). The object appears only
/// when complete; a failure on either side aborts the upload, and the error names
/// `location`.
pub(crate) fn stream_blocking(
    runtime: &tokio::runtime::Runtime,
    store: Arc<dyn ObjectStore>,
    path: Path,
    location: &str,
    options: &RemoteOptions,
    write: impl FnOnce(PartWriter) -> Result<()>,
) -> Result<()> {
    let (writer, parts) = part_channel(options);
    let task = runtime.spawn(upload_parts(
        store,
        path,
        location.to_string(),
        parts,
        options.clone(),
    ));
    let written = write(writer);
    outcome(written, runtime.block_on(task), location)
}

/// Streams the serde archive of `value` into `writer` and ends it.
pub(crate) fn write_archive<T: serde::Serialize + ?Sized>(
    mut writer: PartWriter,
    value: &T,
    options: &crate::SerdeOptions,
) -> Result<()> {
    crate::ser::to_writer_with(&mut writer, value, options)?;
    writer.finish()?;
    Ok(())
}

/// The outcome of a streamed upload from the writer's result and the uploader's: the
/// store's error when the store failed (the writer only saw the upload stop), else the
/// writer's.
pub(crate) fn outcome(
    written: Result<()>,
    uploaded: std::result::Result<std::result::Result<(), Stopped>, tokio::task::JoinError>,
    location: &str,
) -> Result<()> {
    match (written, uploaded) {
        (_, Ok(Err(Stopped::Store(e)))) => Err(e),
        (Err(e), _) => Err(e.in_file(location)),
        (Ok(()), Ok(Ok(()))) => Ok(()),
        (Ok(()), Ok(Err(Stopped::Writer))) => Err(remote_error(
            location,
            "the upload stopped before the archive was complete",
        )),
        (Ok(()), Err(e)) => Err(remote_error(
            location,
            format!("the upload task failed ({e}); the upload was not completed"),
        )),
    }
}

/// Uploads the parts arriving on `parts` to `path`: a single PUT when the first part is
/// also the last, else a multipart upload with up to `options.concurrency` parts in
/// flight, aborted if a part fails or the writer stops before its last part. The object
/// appears only when complete.
pub(crate) async fn upload_parts(
    store: Arc<dyn ObjectStore>,
    path: Path,
    location: String,
    mut parts: PartReceiver,
    options: RemoteOptions,
) -> std::result::Result<(), Stopped> {
    let Some(first) = parts.0.recv().await else {
        return Err(Stopped::Writer);
    };
    if first.last {
        let what = format!("uploading {} bytes", first.bytes.len());
        store
            .put_opts(&path, PutPayload::from(first.bytes), Default::default())
            .await
            .map_err(|e| Stopped::Store(store_error(&location, &what, e)))?;
        return Ok(());
    }
    let mut upload = store
        .put_multipart_opts(&path, Default::default())
        .await
        .map_err(|e| Stopped::Store(store_error(&location, "starting a multipart upload", e)))?;
    let mut in_flight = FuturesUnordered::new();
    let mut sent = 0u64;
    let mut count = 0usize;
    let mut next = Some(first);
    let store_failed = |what: &str, e| Stopped::Store(store_error(&location, what, e));
    let result: std::result::Result<(), Stopped> = async {
        while let Some(part) = next.take() {
            if count == MAX_PARTS {
                return Err(Stopped::Store(remote_error(
                    &location,
                    format!(
                        "the archive needs more than {MAX_PARTS} parts: raise the part size \
                         (RemoteOptions::with_part_size)"
                    ),
                )));
            }
            let last = part.last;
            sent += part.bytes.len() as u64;
            count += 1;
            in_flight.push(upload.put_part(PutPayload::from(part.bytes)));
            while in_flight.len() >= options.concurrency.max(1) {
                if let Some(done) = in_flight.next().await {
                    done.map_err(|e| store_failed(&format!("uploading part {count}"), e))?;
                }
            }
            if !last {
                next = Some(parts.0.recv().await.ok_or(Stopped::Writer)?);
            }
        }
        while let Some(done) = in_flight.next().await {
            done.map_err(|e| store_failed("uploading a part", e))?;
        }
        upload
            .complete()
            .await
            .map_err(|e| store_failed(&format!("completing the upload of {sent} bytes"), e))?;
        Ok(())
    }
    .await;
    if result.is_err() {
        // Stop the writer, and drop the parts sent so far instead of leaving them to the
        // store's expiry of incomplete uploads.
        drop(parts);
        drop(in_flight);
        let _ = upload.abort().await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_every_thousand() {
        assert_eq!(part_len(8, 0), 8);
        assert_eq!(part_len(8, 999), 8);
        assert_eq!(part_len(8, 1000), 16);
        let total: usize = (0..MAX_PARTS).map(|i| part_len(1, i)).sum();
        assert_eq!(total, 55_000);
    }
}
