//! An `.npz` archive in object storage, read lazily: the directory from the end of the
//! object, each member from the exact bytes it spans, a stored member's rows from exactly
//! those bytes. The parsing is [`Reader`]'s, over the fetched bytes.

use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use object_store::path::Path;
use object_store::ObjectStore;

use super::object::{
    remote_error, retry_on_miss, Fetched, OnMiss, RemoteObject, RequestStats, View, MEMBER_PIECE,
    STREAM_PIECE,
};
use super::RemoteOptions;
use crate::elements::DataReader;
use crate::errors::{Error, Result};
use crate::header::HeaderInfo;
use crate::npz::{MemberInfo, Reader};
use crate::read::NpyRead;

/// The first request of an open: as much of the end as a zip reader searches for the end
/// record (the 22-byte record and a comment of up to 65535 bytes), which also holds the
/// central directory when it is small enough (46 bytes per member plus its name and extras).
const TAIL_LEN: u64 = 22 + 65_535;
/// The first request for a member's `.npy` header: its local header and a usual `.npy`
/// header (a longer one costs a second request).
const HEAD_LEN: u64 = 4 * 1024;
/// Parse rounds before giving up (each fetches what the previous one found missing).
const ROUNDS: usize = 8;

/// An `.npz` archive in an object store, read with range requests (async).
///
/// Opening costs one request for archives whose directory fits in the last 64 KiB (46
/// bytes per member plus its name), two otherwise; each member read costs one request for exactly the
/// bytes it spans, and [`read_many`](Self::read_many) merges neighbouring members into one
/// request. See the [module docs](crate::remote) for the blocking form.
///
/// ```no_run
/// # async fn demo() -> npy_serde::Result<()> {
/// use npy_serde::remote::RemoteNpz;
///
/// let mut archive = RemoteNpz::open_url("s3://bucket/checkpoint.npz").await?;
/// for member in archive.members() {
///     println!("{} {} bytes", member.name, member.uncompressed_size);
/// }
/// let weights: Vec<f32> = archive.read("encoder/weight").await?;
/// let first_rows: ndarray::Array2<f32> = archive.read_rows("embeddings", 0..1000).await?;
/// # Ok(()) }
/// ```
pub struct RemoteNpz {
    object: Arc<RemoteObject>,
    fetched: Arc<Mutex<Fetched>>,
    /// Shared with the blocking-pool thread that decodes a read.
    reader: Arc<Mutex<Reader<View>>>,
    members: Vec<MemberInfo>,
    spans: Arc<Vec<Range<u64>>>,
    /// The bytes the directory was parsed from (end record, central directory), kept for
    /// the serde reader, which parses them again.
    directory: Vec<(u64, bytes::Bytes)>,
}

impl RemoteNpz {
    /// Opens the archive at `url` (see [`store_for_url`](super::store_for_url)).
    pub async fn open_url(url: &str) -> Result<RemoteNpz> {
        Self::open_url_with(url, &RemoteOptions::default()).await
    }

    /// [`open_url`](Self::open_url) with options.
    pub async fn open_url_with(url: &str, options: &RemoteOptions) -> Result<RemoteNpz> {
        let (store, path) = super::store_for_url(url, options)?;
        Self::open_at(store, path, super::store::display_url(url), options.clone()).await
    }

    /// Opens the archive `path` in `store` (any object_store store, configured as you need
    /// it).
    pub async fn open(store: Arc<dyn ObjectStore>, path: Path) -> Result<RemoteNpz> {
        Self::open_with(store, path, &RemoteOptions::default()).await
    }

    /// [`open`](Self::open) with options.
    pub async fn open_with(
        store: Arc<dyn ObjectStore>,
        path: Path,
        options: &RemoteOptions,
    ) -> Result<RemoteNpz> {
        let location = format!("{store}/{path}");
        Self::open_at(store, path, location, options.clone()).await
    }

    pub(crate) async fn open_at(
        store: Arc<dyn ObjectStore>,
        path: Path,
        location: String,
        options: RemoteOptions,
    ) -> Result<RemoteNpz> {
        let read_options = options.serde.read.clone();
        let (object, tail_start, tail) =
            RemoteObject::open(store, path, location, options, TAIL_LEN, true).await?;
        let object = Arc::new(object);
        let fetched = Arc::new(Mutex::new(Fetched::default()));
        lock(&fetched).insert(tail_start, tail);
        // The directory ends where the tail starts: a miss is fetched up to there.
        let reader = retry_on_miss(
            &object,
            &fetched,
            ROUNDS,
            |miss| {
                let end = lock(&fetched).next_start(miss.start).unwrap_or(miss.end);
                miss.start..end.max(miss.end)
            },
            || {
                let view = View::new(object.clone(), fetched.clone(), OnMiss::Record);
                Reader::with_options(view, &read_options)
            },
        )
        .await
        .map_err(|e| e.in_file(&object.location))?;
        let directory = lock(&fetched).pieces();
        lock(&fetched).clear();
        let members = reader.members();
        let spans = Arc::new(reader.member_spans());
        Ok(RemoteNpz {
            object,
            fetched,
            reader: Arc::new(Mutex::new(reader)),
            members,
            spans,
            directory,
        })
    }

    /// What the central directory says about each member (no request).
    pub fn members(&self) -> &[MemberInfo] {
        &self.members
    }

    /// Member names, without `.npy` (no request).
    pub fn names(&self) -> Vec<String> {
        self.reader().names()
    }

    /// Size of the archive in bytes.
    pub fn len(&self) -> u64 {
        self.object.len
    }

    /// True for an empty object (which is not a valid archive, so never after an open).
    pub fn is_empty(&self) -> bool {
        self.object.len == 0
    }

    /// Requests sent and bytes received so far, the open included.
    pub fn stats(&self) -> RequestStats {
        self.object.stats()
    }

    fn index(&self, name: &str) -> Result<usize> {
        self.reader()
            .lookup(name)
            .map_err(|e| e.in_file(&self.object.location))
    }

    /// Fetches the whole spans of members `indices`, neighbours merged.
    async fn fetch_members(&self, indices: &[usize]) -> Result<()> {
        let ranges = indices.iter().map(|&i| self.spans[i].clone()).collect();
        for (start, bytes) in self.object.fetch_many(ranges).await? {
            lock(&self.fetched).insert(start, bytes);
        }
        Ok(())
    }

    /// Reads member `name` as `T` (`Vec<T>`, ndarray arrays, [`NpyArray`](crate::NpyArray),
    /// …), fetching exactly the bytes it spans in one request.
    ///
    /// A member larger than 32 MiB streams through the decoder in pieces of 32 MiB, the
    /// next piece fetched while one is decoded: memory holds the result and two pieces,
    /// never the member twice.
    pub async fn read<T: NpyRead + Send + 'static>(&mut self, name: &str) -> Result<T> {
        let index = self.index(name)?;
        let span = self.spans[index].clone();
        if span.end - span.start > MEMBER_PIECE {
            let runtime = tokio::runtime::Handle::current();
            let mut reader = self.lazy_reader(runtime, MEMBER_PIECE, true)?;
            let name = name.to_string();
            let task = tokio::task::spawn_blocking(move || reader.read(&name));
            let result = task.await.unwrap_or_else(|e| {
                Err(remote_error(
                    &self.object.location,
                    format!("the thread decoding the read failed ({e}); open the archive again"),
                ))
            });
            return self.done(result);
        }
        self.fetch_members(&[index]).await?;
        let name = name.to_string();
        let result = self.off_runtime(move |reader| reader.read(&name)).await;
        self.done(result)
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Reader<View>> {
        self.reader.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `parse` on the archive's reader on tokio's blocking pool: inflating and decoding
    /// take CPU time that the caller's runtime should not lose.
    async fn off_runtime<T: Send + 'static>(
        &self,
        parse: impl FnOnce(&mut Reader<View>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let reader = self.reader.clone();
        let task = tokio::task::spawn_blocking(move || {
            parse(&mut reader.lock().unwrap_or_else(PoisonError::into_inner))
        });
        match task.await {
            Ok(result) => result,
            Err(e) => Err(remote_error(
                &self.object.location,
                format!("the thread decoding the read failed ({e}); open the archive again"),
            )),
        }
    }

    /// Reads members `names` as `T`, in the order given: their bytes in as few requests as
    /// neighbouring members allow (members closer than the coalescing gap share one), up to
    /// the concurrency limit at once; deflated members inflate on every core.
    pub async fn read_many<T: NpyRead + Send + 'static>(
        &mut self,
        names: &[&str],
    ) -> Result<Vec<T>> {
        let indices = names
            .iter()
            .map(|name| self.index(name))
            .collect::<Result<Vec<_>>>()?;
        self.fetch_members(&indices).await?;
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let result = self
            .off_runtime(move |reader| {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                reader.read_many(&names)
            })
            .await;
        self.done(result)
    }

    /// The `.npy` header of member `name` (one request of a few KiB, or the whole member
    /// if it is smaller).
    pub async fn header(&mut self, name: &str) -> Result<HeaderInfo> {
        let index = self.index(name)?;
        let result = self.head(index, name).await.map(|(info, _)| info);
        self.done(result)
    }

    /// Member `index`'s `.npy` header and, for a stored member, the range of its `.npy`
    /// bytes in the object: a request for its first few KiB, more if the header is longer.
    async fn head(&mut self, index: usize, name: &str) -> Result<(HeaderInfo, Option<Range<u64>>)> {
        let span = self.spans[index].clone();
        let head = span.start..span.end.min(span.start.saturating_add(HEAD_LEN));
        let bytes = self.object.fetch(head.clone()).await?;
        lock(&self.fetched).insert(head.start, bytes);
        let stored = !self.members[index].compressed;
        let max_header = self.reader().options().max_header_size as u64;
        let reader = &self.reader;
        retry_on_miss(
            &self.object,
            &self.fetched,
            ROUNDS,
            |miss| {
                miss.start
                    ..span
                        .end
                        .min(miss.start.saturating_add(max_header.max(HEAD_LEN)))
                        .max(miss.end)
            },
            || {
                let mut reader = reader.lock().unwrap_or_else(PoisonError::into_inner);
                let info = reader.header(name)?;
                let range = if stored {
                    Some(reader.stored_member_range(name)?)
                } else {
                    None
                };
                Ok((info, range))
            },
        )
        .await
    }

    /// Reads rows `rows` (along the first axis) of member `name` as `T`.
    ///
    /// A stored member costs a request for its header and one for exactly those rows'
    /// bytes. A deflated member cannot be entered in the middle: it is inflated from its
    /// start as its compressed bytes arrive (8 MiB a request), the rows before `rows`
    /// discarded, and fetching stops once the rows are out.
    /// Fortran-order members are refused (their rows are not contiguous).
    pub async fn read_rows<T: NpyRead + Send + 'static>(
        &mut self,
        name: &str,
        rows: Range<u64>,
    ) -> Result<T> {
        let index = self.index(name)?;
        let result = self.read_rows_at::<T>(index, name, rows).await;
        self.done(result)
    }

    async fn read_rows_at<T: NpyRead + Send + 'static>(
        &mut self,
        index: usize,
        name: &str,
        rows: Range<u64>,
    ) -> Result<T> {
        let (info, stored_range) = self.head(index, name).await?;
        lock(&self.fetched).clear();
        let (sub, skip, len) = info.header.rows(&rows).map_err(|e| e.in_member(name))?;
        let first = info.data_offset.checked_add(skip);
        let first = first.ok_or_else(|| Error::invalid_header("the rows' offset overflows"))?;
        match stored_range {
            Some(range) => {
                // The rows must lie inside the member: a header that declares more data
                // than the member holds would otherwise read its neighbour's bytes.
                let member_len = range.end - range.start;
                if first.checked_add(len).is_none_or(|end| end > member_len) {
                    return Err(Error::invalid_archive(format!(
                        "rows {}..{} need bytes {first}..{} of the member's .npy, which has \
                         only {member_len} (truncated or corrupt archive)",
                        rows.start,
                        rows.end,
                        first.saturating_add(len)
                    ))
                    .in_member(name));
                }
                let start = range.start + first;
                let bytes = self.object.fetch(start..start + len).await?;
                let mut cursor = &bytes[..];
                let mut data = DataReader::new(&mut cursor, first, Some(len));
                T::read_npy_data(&sub, &mut data).map_err(|e| e.in_member(name))
            }
            None => {
                // Inflated as fetched, in pieces, on a thread that may block: fetching stops
                // once the rows are out.
                let runtime = tokio::runtime::Handle::current();
                let mut reader = self.lazy_reader(runtime, STREAM_PIECE, false)?;
                let member_name = name.to_string();
                let rows = tokio::task::spawn_blocking(move || -> Result<T> {
                    let mut member = reader.member_reader(&member_name)?;
                    let mut before = std::io::Read::take(&mut member, first);
                    std::io::copy(&mut before, &mut std::io::sink())?;
                    let mut data = DataReader::new(&mut member, first, None);
                    T::read_npy_data(&sub, &mut data)
                });
                match rows.await {
                    Ok(result) => result.map_err(|e| e.in_member(name)),
                    Err(e) => Err(remote_error(
                        &self.object.location,
                        format!("the thread reading rows of {name:?} failed: {e}"),
                    )),
                }
            }
        }
    }

    /// Drops what was fetched for one call and names the archive in an error.
    fn done<T>(&self, result: Result<T>) -> Result<T> {
        lock(&self.fetched).clear();
        result.map_err(|e: Error| e.in_file(&self.object.location))
    }

    /// The parts a serde read needs: the object, the member spans (for fetching each
    /// member whole when first read) and the directory's bytes.
    pub(crate) fn parts(&self) -> (Arc<RemoteObject>, Arc<Vec<Range<u64>>>, Fetched) {
        let mut directory = Fetched::default();
        for (start, bytes) in &self.directory {
            directory.insert(*start, bytes.clone());
        }
        let mut by_start = self.spans.to_vec();
        by_start.sort_by_key(|span| span.start);
        (self.object.clone(), Arc::new(by_start), directory)
    }

    /// The archive as bytes that are fetched as they are read, in `piece`-byte requests
    /// (for code that must block: serde, streamed rows), its directory already there.
    /// With `read_ahead`, a member's next piece is fetched while one is read (for readers
    /// that read the member to its end).
    pub(crate) fn lazy_view(
        &self,
        runtime: tokio::runtime::Handle,
        piece: u64,
        read_ahead: bool,
    ) -> View {
        let (object, spans, directory) = self.parts();
        View::new(
            object,
            Arc::new(Mutex::new(directory)),
            OnMiss::Fetch {
                runtime,
                spans,
                piece,
                read_ahead,
            },
        )
    }

    /// An [`Reader`] over [`lazy_view`](Self::lazy_view).
    fn lazy_reader(
        &self,
        runtime: tokio::runtime::Handle,
        piece: u64,
        read_ahead: bool,
    ) -> Result<Reader<View>> {
        let view = self.lazy_view(runtime, piece, read_ahead);
        let options = self.reader().options().clone();
        Reader::with_options(view, &options)
    }

    /// The archive's URL (or store and path), for messages.
    pub(crate) fn location(&self) -> &str {
        &self.object.location
    }
}

pub(crate) fn lock(fetched: &Mutex<Fetched>) -> std::sync::MutexGuard<'_, Fetched> {
    fetched.lock().unwrap_or_else(PoisonError::into_inner)
}
