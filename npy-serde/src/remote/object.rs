//! One remote object as this crate reads it: its size and version (ETag) from the first
//! response, range requests that are checked against both, coalesced and issued
//! concurrently, and the bytes fetched so far seen as a `Read + Seek` ([`View`]) so that
//! the archive and `.npy` parsers of this crate read them unchanged.
//!
//! A read of bytes not fetched yet either fetches them on the spot (a blocking caller:
//! the serde reader, which decides which members it wants as it goes) or records the
//! missing range and fails; an async caller then fetches that range and runs the parse
//! again (`retry_on_miss`). Either way every parser of untrusted bytes is the one the
//! local readers use.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, GetResult, ObjectStore};

use super::RemoteOptions;
use crate::errors::{Error, ErrorKind, Result};

/// Requests and bytes one remote reader has asked for (its own range requests; retries
/// inside object_store are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// GET requests sent.
    pub requests: u64,
    /// Body bytes received.
    pub bytes: u64,
}

/// A remote object of a known size and version.
pub(crate) struct RemoteObject {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) path: Path,
    /// For messages: the URL or `store/path`, without query string.
    pub(crate) location: String,
    pub(crate) len: u64,
    e_tag: Option<String>,
    pub(crate) options: RemoteOptions,
    requests: AtomicU64,
    bytes: AtomicU64,
}

/// An object_store error as this crate's, naming the object and saying what to do.
pub(crate) fn store_error(location: &str, what: &str, error: object_store::Error) -> Error {
    let hint = match &error {
        object_store::Error::NotFound { .. } => {
            " (check the URL, and that the credentials in the environment can read it)"
        }
        object_store::Error::Precondition { .. } => {
            " (the object changed since it was opened: open it again)"
        }
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            " (check the credentials in the environment: AWS_*, GOOGLE_*, AZURE_*)"
        }
        _ => "",
    };
    let mut message = format!("{what}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message.push_str(hint);
    // The message says it all for people; the store's error stays the source, for code.
    remote_error(location, message).with_source(error)
}

/// The error for a zero-length object.
fn empty_object(location: &str) -> Error {
    remote_error(
        location,
        "empty object (0 bytes), not an .npy/.npz: check the URL, or whether its upload failed",
    )
}

pub(crate) fn remote_error(location: &str, message: impl Into<String>) -> Error {
    Error::from(ErrorKind::Remote {
        location: location.to_string(),
        message: message.into(),
    })
}

impl RemoteObject {
    /// Opens `path` with one request for its first (`from_end == false`) or last `len`
    /// bytes, which also tells the object's size and version. Returns the object, where
    /// the bytes start and the bytes.
    pub(crate) async fn open(
        store: Arc<dyn ObjectStore>,
        path: Path,
        location: String,
        options: RemoteOptions,
        len: u64,
        from_end: bool,
    ) -> Result<(RemoteObject, u64, Bytes)> {
        let what = if from_end {
            format!("reading the last {len} bytes")
        } else {
            format!("reading the first {len} bytes")
        };
        let mut requests = 1;
        let range = if from_end {
            GetRange::Suffix(len)
        } else {
            GetRange::Bounded(0..len)
        };
        let request = GetOptions {
            range: Some(range),
            ..GetOptions::default()
        };
        let result = match store.get_opts(&path, request).await {
            // Azure answers no suffix ranges: ask for the size, then the last bytes.
            Err(object_store::Error::NotSupported { .. }) if from_end => {
                requests += 1;
                let head = GetOptions {
                    head: true,
                    ..GetOptions::default()
                };
                let meta = store
                    .get_opts(&path, head)
                    .await
                    .map_err(|e| store_error(&location, "reading the size", e))?
                    .meta;
                let bounded = GetOptions {
                    range: Some(GetRange::Bounded(meta.size.saturating_sub(len)..meta.size)),
                    if_match: strong(&meta.e_tag),
                    ..GetOptions::default()
                };
                store.get_opts(&path, bounded).await
            }
            // A range of an empty object is refused (416, or a non-partial answer): say
            // what it is when a HEAD finds it empty.
            Err(e) if !matches!(e, object_store::Error::NotFound { .. }) => {
                let head = GetOptions {
                    head: true,
                    ..GetOptions::default()
                };
                match store.get_opts(&path, head).await {
                    Ok(found) if found.meta.size == 0 => return Err(empty_object(&location)),
                    _ => Err(e),
                }
            }
            other => other,
        }
        .map_err(|e| store_error(&location, &what, e))?;
        let size = result.meta.size;
        if size == 0 {
            return Err(empty_object(&location));
        }
        let e_tag = result.meta.e_tag.clone();
        let start = result.range.start;
        let expected = if from_end {
            size.saturating_sub(len)..size
        } else {
            0..len.min(size)
        };
        let object = RemoteObject {
            store,
            path,
            location,
            len: size,
            e_tag,
            options,
            requests: AtomicU64::new(requests),
            bytes: AtomicU64::new(0),
        };
        let bytes = object.body(result, &expected, &what).await?;
        object.check(expected, start, &bytes)?;
        Ok((object, start, bytes))
    }

    /// A response's body, refused as soon as it goes past the `expected` range's length (a
    /// server may stream any amount).
    async fn body(&self, result: GetResult, expected: &Range<u64>, what: &str) -> Result<Bytes> {
        let want = expected.end - expected.start;
        // The first chunk is kept as it came (no copy when it is the whole body); from a
        // second one on, chunks are copied into one buffer of the expected size as they
        // arrive and dropped, so the body never lies in memory twice.
        let mut first: Option<Bytes> = None;
        let mut joined: Vec<u8> = Vec::new();
        let mut received = 0u64;
        let mut stream = result.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| store_error(&self.location, what, e))?;
            received += chunk.len() as u64;
            self.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if received > want {
                return Err(remote_error(
                    &self.location,
                    format!(
                        "{what}: the server sent more than the {want} bytes asked for (a wrong \
                         response: check the server)"
                    ),
                ));
            }
            match first.take() {
                None if joined.is_empty() => first = Some(chunk),
                earlier => {
                    if let Some(earlier) = earlier {
                        // At most the object's size, which the server reported.
                        joined.reserve_exact(want.min(self.len) as usize);
                        joined.extend_from_slice(&earlier);
                    }
                    joined.extend_from_slice(&chunk);
                }
            }
        }
        Ok(match first {
            Some(only) => only,
            None => Bytes::from(joined),
        })
    }

    /// Checks that a response holds exactly `expected`.
    fn check(&self, expected: Range<u64>, start: u64, bytes: &[u8]) -> Result<()> {
        let want = expected.end - expected.start;
        if start != expected.start || bytes.len() as u64 != want {
            return Err(remote_error(
                &self.location,
                format!(
                    "asked for bytes {}..{} of a {}-byte object, the server returned {} bytes \
                     from {start} (a truncated or wrong response: retry, or check the server)",
                    expected.start,
                    expected.end,
                    self.len,
                    bytes.len()
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn stats(&self) -> RequestStats {
        RequestStats {
            requests: self.requests.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }

    /// Fetches `range` (inside the object), checking that the object is still the version
    /// opened and that exactly those bytes came back.
    pub(crate) async fn fetch(&self, range: Range<u64>) -> Result<Bytes> {
        let what = format!("reading bytes {}..{}", range.start, range.end);
        if range.start >= range.end {
            return Ok(Bytes::new());
        }
        let request = GetOptions {
            range: Some(GetRange::Bounded(range.clone())),
            if_match: strong(&self.e_tag),
            ..GetOptions::default()
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let result = self
            .store
            .get_opts(&self.path, request)
            .await
            .map_err(|e| store_error(&self.location, &what, e))?;
        // A server that ignores If-Match (or sends weak tags, which If-Match cannot use)
        // still says which version it served.
        if let (Some(ours), Some(theirs)) = (&self.e_tag, &result.meta.e_tag) {
            if ours != theirs {
                return Err(remote_error(
                    &self.location,
                    format!(
                        "{what}: the object changed since it was opened (ETag {ours} is now \
                         {theirs}): open it again"
                    ),
                ));
            }
        }
        if result.meta.size != self.len {
            return Err(remote_error(
                &self.location,
                format!(
                    "{what}: the object changed since it was opened ({} bytes, now {}): open \
                     it again",
                    self.len, result.meta.size
                ),
            ));
        }
        let start = result.range.start;
        let bytes = self.body(result, &range, &what).await?;
        self.check(range, start, &bytes)?;
        Ok(bytes)
    }

    /// Fetches `ranges`: sorted, those closer than the coalescing gap merged into one
    /// request, up to the concurrency limit in flight. Returns (start, bytes) pieces.
    pub(crate) async fn fetch_many(
        &self,
        mut ranges: Vec<Range<u64>>,
    ) -> Result<Vec<(u64, Bytes)>> {
        ranges.retain(|r| r.start < r.end);
        ranges.sort_by_key(|r| r.start);
        let mut merged: Vec<Range<u64>> = Vec::new();
        for range in ranges {
            match merged.last_mut() {
                // Neighbours share a request, up to a size that still leaves requests to
                // run side by side (and a failure to retry that is not the whole archive).
                Some(last)
                    if range.start <= last.end.saturating_add(self.options.coalesce_gap)
                        && last.end - last.start < MAX_MERGED =>
                {
                    last.end = last.end.max(range.end);
                }
                _ => merged.push(range),
            }
        }
        stream::iter(merged)
            .map(|range| async move { self.fetch(range.clone()).await.map(|b| (range.start, b)) })
            .buffer_unordered(self.options.concurrency.max(1))
            .try_collect()
            .await
    }
}

/// Requests merged by [`RemoteObject::fetch_many`] stop growing past this size.
const MAX_MERGED: u64 = 64 << 20;

/// The ETag to send as `If-Match`: a strong one only (a weak `W/"…"` tag never matches
/// under If-Match's strong comparison; those versions are compared after the response).
fn strong(e_tag: &Option<String>) -> Option<String> {
    e_tag.clone().filter(|tag| !tag.starts_with("W/"))
}

/// The bytes of one object fetched so far, by where they start.
#[derive(Default)]
pub(crate) struct Fetched {
    pieces: BTreeMap<u64, Bytes>,
    /// The first range a read found missing (async callers fetch it and parse again).
    miss: Option<Range<u64>>,
}

impl Fetched {
    pub(crate) fn insert(&mut self, start: u64, bytes: Bytes) {
        if !bytes.is_empty() {
            self.pieces.insert(start, bytes);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.pieces.clear();
        self.miss = None;
    }

    /// Every piece fetched, by start.
    pub(crate) fn pieces(&self) -> Vec<(u64, Bytes)> {
        self.pieces
            .iter()
            .map(|(&start, bytes)| (start, bytes.clone()))
            .collect()
    }

    pub(crate) fn take_miss(&mut self) -> Option<Range<u64>> {
        self.miss.take()
    }

    /// The fetched bytes from `pos` on, as far as one piece goes.
    fn at(&self, pos: u64) -> Option<&[u8]> {
        self.pieces.range(..=pos).rev().find_map(|(&start, bytes)| {
            let end = start + bytes.len() as u64;
            (pos < end).then(|| &bytes[(pos - start) as usize..])
        })
    }

    /// The start of the first piece after `pos` (where a fetch from `pos` can stop).
    pub(crate) fn next_start(&self, pos: u64) -> Option<u64> {
        self.pieces.range(pos + 1..).next().map(|(&start, _)| start)
    }
}

/// How a [`View`] gets bytes it does not have.
pub(crate) enum OnMiss {
    /// Record the range and fail: the async caller fetches it and parses again.
    Record,
    /// Fetch it now on this runtime (a blocking caller), from the missing byte to the end
    /// of the member it is in (`spans`, sorted by start), in requests of at most `piece`
    /// bytes (however much one read asks for); only the latest piece is kept. With
    /// `read_ahead`, the member's next piece is requested while this one is fetched and
    /// read (memory: two pieces).
    Fetch {
        runtime: tokio::runtime::Handle,
        spans: Arc<Vec<Range<u64>>>,
        piece: u64,
        read_ahead: bool,
    },
}

/// A piece requested ahead of the reader: its range, and the task fetching it.
struct Ahead {
    range: Range<u64>,
    task: tokio::task::JoinHandle<Result<Bytes>>,
}

/// Pieces of a member a serde read fetches: large enough that a request's latency is
/// small beside its transfer, small enough to bound the memory a huge member takes.
pub(crate) const SERDE_PIECE: u64 = 64 << 20;
/// Pieces of a large member read whole ([`RemoteNpz::read`](super::RemoteNpz::read)),
/// decoded into the result as they arrive, the next one fetched meanwhile: the result plus
/// two pieces and the HTTP client's buffers stay within 96 MiB of the result's size.
pub(crate) const MEMBER_PIECE: u64 = 32 << 20;
/// Pieces of a deflated member whose rows are streamed: reading its first rows should not
/// fetch much more than they take.
pub(crate) const STREAM_PIECE: u64 = 8 << 20;

/// The object as a `Read + Seek` over the bytes fetched so far.
pub(crate) struct View {
    pub(crate) object: Arc<RemoteObject>,
    pub(crate) fetched: Arc<Mutex<Fetched>>,
    pub(crate) on_miss: OnMiss,
    pos: u64,
    /// The piece being fetched ahead of the reader ([`OnMiss::Fetch`] with `read_ahead`).
    ahead: Option<Ahead>,
}

/// The error a [`View`] read fails with when bytes are missing and it may not fetch them
/// (the caller fetches them and parses again; it reaches users only when the archive keeps
/// pointing outside what was fetched for it).
#[derive(Debug)]
struct NotFetched(Range<u64>);

impl std::fmt::Display for NotFetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bytes {}..{} were needed but not fetched: the archive's directory points outside \
             the member it describes (damaged archive?)",
            self.0.start, self.0.end
        )
    }
}

impl std::error::Error for NotFetched {}

impl View {
    pub(crate) fn new(
        object: Arc<RemoteObject>,
        fetched: Arc<Mutex<Fetched>>,
        on_miss: OnMiss,
    ) -> View {
        View {
            object,
            fetched,
            on_miss,
            pos: 0,
            ahead: None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Fetched> {
        self.fetched.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Read for View {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.object.len {
            return Ok(0);
        }
        loop {
            {
                let fetched = self.lock();
                if let Some(bytes) = fetched.at(self.pos) {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes[..n]);
                    drop(fetched);
                    self.pos += n as u64;
                    return Ok(n);
                }
            }
            let want = self.pos
                ..self
                    .object
                    .len
                    .min(self.pos.saturating_add(buf.len() as u64));
            match &self.on_miss {
                OnMiss::Record => {
                    self.lock().miss.get_or_insert(want.clone());
                    return Err(io::Error::other(NotFetched(want)));
                }
                OnMiss::Fetch {
                    runtime,
                    spans,
                    piece,
                    read_ahead,
                } => {
                    // To the end of the member the byte is in (or of what is wanted).
                    let after = spans.partition_point(|span| span.start <= self.pos);
                    let member_end = after
                        .checked_sub(1)
                        .map(|i| &spans[i])
                        .filter(|span| span.contains(&self.pos))
                        .map(|span| span.end);
                    let span_end = member_end.unwrap_or(want.end);
                    // At most one piece, however much the caller asks for (a read straight
                    // into a whole array's buffer): the piece is what memory holds.
                    let end = span_end
                        .max(want.end)
                        .min(self.pos.saturating_add((*piece).max(1)));
                    let end = self
                        .lock()
                        .next_start(self.pos)
                        .map_or(end, |next| end.min(next));
                    // Only the latest piece is kept, and the earlier one goes before the
                    // next arrives: a blocking reader goes through members in order and
                    // never comes back for the bytes it read.
                    self.lock().clear();
                    // The piece requested ahead, if the reader came for it; else a new
                    // request (a reader that went elsewhere drops the one ahead).
                    let current = match self.ahead.take() {
                        Some(ahead) if ahead.range.start == self.pos => ahead,
                        other => {
                            if let Some(other) = other {
                                other.task.abort();
                            }
                            self.spawn_fetch(runtime, self.pos..end)
                        }
                    };
                    // The member's next piece is requested now, so that it arrives while
                    // this one is read (two pieces in memory at most).
                    if let (true, Some(member_end)) = (*read_ahead, member_end) {
                        let next = current.range.end..member_end.min(current.range.end + *piece);
                        if !next.is_empty() {
                            self.ahead = Some(self.spawn_fetch(runtime, next));
                        }
                    }
                    let start = current.range.start;
                    let bytes = match runtime.block_on(current.task) {
                        Ok(fetched) => fetched.map_err(io::Error::other)?,
                        Err(e) => {
                            return Err(io::Error::other(remote_error(
                                &self.object.location,
                                format!("the task fetching bytes from {start} failed: {e}"),
                            )))
                        }
                    };
                    self.lock().insert(start, bytes);
                }
            }
        }
    }
}

impl View {
    /// Starts fetching `range` on `runtime`.
    fn spawn_fetch(&self, runtime: &tokio::runtime::Handle, range: Range<u64>) -> Ahead {
        let object = Arc::clone(&self.object);
        let fetched = range.clone();
        Ahead {
            range,
            task: runtime.spawn(async move { object.fetch(fetched).await }),
        }
    }
}

impl Drop for View {
    fn drop(&mut self) {
        // A piece nobody will read is not waited for.
        if let Some(ahead) = self.ahead.take() {
            ahead.task.abort();
        }
    }
}

impl Seek for View {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.object.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the object",
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}

/// Runs `parse` over the fetched bytes; while it fails for want of bytes, fetches them
/// (from the missing byte to `extend(miss)`) and runs it again, at most `rounds` times.
pub(crate) async fn retry_on_miss<T>(
    object: &RemoteObject,
    fetched: &Mutex<Fetched>,
    rounds: usize,
    extend: impl Fn(Range<u64>) -> Range<u64>,
    mut parse: impl FnMut() -> Result<T>,
) -> Result<T> {
    for _ in 0..rounds {
        let result = parse();
        let miss = fetched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take_miss();
        match (result, miss) {
            (Ok(value), _) => return Ok(value),
            (Err(_), Some(miss)) => {
                let range = extend(miss);
                let bytes = object.fetch(range.clone()).await?;
                fetched
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(range.start, bytes);
            }
            (Err(error), None) => return Err(error),
        }
    }
    Err(remote_error(
        &object.location,
        format!(
            "still missing bytes after {rounds} requests: the file points the reader from one \
             place to another (damaged or hostile)"
        ),
    ))
}
