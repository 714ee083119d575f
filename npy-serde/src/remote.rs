//! `.npy` and `.npz` files in object storage (S3, GCS, Azure, HTTP, local), read lazily
//! with range requests and written atomically (feature `object-store`).
//!
//! Built on the Apache Arrow project's [`object_store`] crate: its stores, credentials
//! from the environment, and retry policy. This module owns what is specific to NumPy
//! files: which byte ranges a listing, a member or a row range needs, coalescing them,
//! checking each response (exact length, same object version), and handing the bytes to
//! the same parsers the local readers use.
//!
//! # What each operation costs
//!
//! | operation | requests | bytes |
//! |---|---|---|
//! | [`RemoteNpz::open_url`]: list members | 1 (directory within the last 64 KiB: 46 bytes a member plus its name), else 2 | the last 64 KiB + the directory |
//! | [`RemoteNpz::read`] a member | 1, or 1 per 32 MiB piece above 32 MiB (the next in flight while one is decoded) | the member's bytes (held: the result + two pieces) |
//! | [`RemoteNpz::read_many`] | 1 per run of neighbouring members (gap ≤ [`RemoteOptions::with_coalesce_gap`]), concurrently | the members' bytes |
//! | [`RemoteNpz::read_rows`], stored member | 2 (header, rows) | 4 KiB + the rows' bytes |
//! | [`RemoteNpz::read_rows`], deflated member | 2 + 1 per 8 MiB of compressed bytes up to the last row | 4 KiB + the compressed bytes up to the last row (inflated from the start) |
//! | [`RemoteNpy::open_url`] + [`RemoteNpy::read_rows`] | 2 | 4 KiB + the rows' bytes |
//! | [`from_url`](blocking::from_url) / [`from_store`] | the open + 1 per member the struct asks for (64 MiB at most per request; the directory is not fetched again) | those members |
//! | [`to_url`](blocking::to_url) / [`to_store`] | 1 PUT up to the part size (8 MiB), else a multipart upload, parts sent as produced | part size × (parts in flight + 2) |
//!
//! Every request after the first carries the object's ETag (`If-Match`), and every
//! response is checked for its length and version: an object replaced between requests,
//! a short body or a truncated response is an [`ErrorKind::Remote`](crate::error::ErrorKind::Remote)
//! error naming the object and the byte range, never wrong data. The store's own error is
//! its `source()`, so that a missing object, refused credentials and a changed object can
//! be told apart:
//!
//! ```no_run
//! # async fn demo() {
//! use npy_serde::remote::{object_store, RemoteNpz};
//!
//! match RemoteNpz::open_url("s3://bucket/missing.npz").await {
//!     Err(err) => match std::error::Error::source(&err)
//!         .and_then(|source| source.downcast_ref::<object_store::Error>())
//!     {
//!         Some(object_store::Error::NotFound { .. }) => println!("no such checkpoint yet"),
//!         _ => println!("{err}"),
//!     },
//!     Ok(archive) => println!("{:?}", archive.names()),
//! }
//! # }
//! ```
//!
//! # Async and blocking
//!
//! [`RemoteNpz`], [`RemoteNpy`], [`from_store`] and [`to_store`] are async, for callers
//! with a tokio runtime (object_store's HTTP client needs one). [`blocking`] has the same
//! API for everyone else, with a small runtime of its own: no `async` in your code.
//!
//! ```no_run
//! use npy_serde::remote::blocking::{self, RemoteNpz};
//!
//! # fn demo() -> npy_serde::Result<()> {
//! let mut archive = RemoteNpz::open_url("s3://bucket/dataset.npz")?;
//! let labels: Vec<i64> = archive.read("labels")?;
//!
//! #[derive(serde::Deserialize)]
//! struct Dataset { x: ndarray::Array2<f64>, labels: Vec<i64> }
//! let dataset: Dataset = blocking::from_url("s3://bucket/dataset.npz")?;
//! blocking::to_url(&labels, "s3://bucket/labels.npz")?;
//! # Ok(()) }
//! ```
//!
//! # Credentials and endpoints
//!
//! From the environment, as the cloud SDKs read them: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` (an S3-compatible server;
//! `AWS_ALLOW_HTTP=true` for plain HTTP), `GOOGLE_APPLICATION_CREDENTIALS`,
//! `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`, … (object_store's builders'
//! `from_env`). For anything else build the store yourself and pass it to
//! [`RemoteNpz::open`]. Nothing in this module logs, and error messages show URLs without
//! their query string.
//!
//! # Limitations
//!
//! - A deflated member cannot be read from the middle: a row range of one fetches and
//!   inflates the member from its start up to the last row asked for.
//! - Writes stream the archive: parts are uploaded as the serializer produces them
//!   (memory: part size × (parts in flight + 2) beyond the value), except from the async
//!   [`to_store`] on a single-threaded tokio runtime, which builds the archive in memory
//!   first. The object appears only when the upload completes, and a failed upload is
//!   aborted. Parts grow by the part size every 1,000 parts (S3 takes 10,000), so the
//!   default 8 MiB parts reach 430 GiB.
//! - A member read whole that is larger than 32 MiB is fetched in 32 MiB pieces, decoded
//!   into the result as they arrive while the next piece is fetched (memory: the result
//!   plus about two pieces).
//! - A transient store error (HTTP 5xx, a connection reset mid-body) is retried by
//!   object_store's policy ([`RemoteOptions::with_retry`]); a zero-length object is the
//!   error "empty object (0 bytes), not an .npy/.npz".
//! - The blocking API must not be called from inside an async runtime (tokio refuses to
//!   block a runtime thread): use the async API there.
//! - `http(s)://` URLs need a server that honours range requests; writing to one needs
//!   WebDAV `PUT`.

pub mod blocking;
mod npy;
mod npz;
mod object;
mod store;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use npy::RemoteNpy;
pub use npz::RemoteNpz;
pub use object::RequestStats;
/// The object_store crate this module is built on (its stores, paths and configuration).
pub use object_store;
pub use object_store::RetryConfig;
pub use store::store_for_url;

use crate::errors::Result;
use crate::serde_format::SerdeOptions;
pub(crate) use object::store_error;
use object::SERDE_PIECE;
pub(crate) use upload::{stream_blocking, PartWriter};

/// How remote reads and writes behave: concurrency, coalescing, multipart part size,
/// timeout and retries, and the [`SerdeOptions`] of the data itself (its read options
/// apply to every read, its write options and separator to the serde format's writes).
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    pub(crate) serde: SerdeOptions,
    pub(crate) concurrency: usize,
    pub(crate) coalesce_gap: u64,
    pub(crate) part_size: usize,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryConfig,
    pub(crate) store_config: Vec<(String, String)>,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            serde: SerdeOptions::default(),
            concurrency: 8,
            coalesce_gap: 1 << 20,
            part_size: 8 << 20,
            timeout: Duration::from_secs(30),
            retry: RetryConfig::default(),
            store_config: Vec::new(),
        }
    }
}

impl RemoteOptions {
    /// Requests in flight at once (default 8).
    pub fn with_concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests.max(1);
        self
    }

    /// Members this close together (in bytes) are fetched in one request by `read_many`
    /// (default 1 MiB: a request costs more than that many bytes of transfer).
    pub fn with_coalesce_gap(mut self, bytes: u64) -> Self {
        self.coalesce_gap = bytes;
        self
    }

    /// Archives larger than this are uploaded in parts of this size (default 8 MiB; S3
    /// needs at least 5 MiB per part).
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(5 << 20);
        self
    }

    /// Longest time one request may take, response body included (default 30 s). Applies
    /// to stores built from a URL; a store you build carries its own.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries of transient errors (object_store's policy: by default up to 10 with
    /// exponential backoff, within 3 minutes). Applies to stores built from a URL.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// A setting for stores built from a URL, on top of the environment's: one of
    /// object_store's configuration keys for that store (`aws_endpoint`, `aws_allow_http`,
    /// `aws_region`, `google_service_account`, `azure_storage_account_key`, …; for
    /// `http(s)://`, client keys such as `allow_invalid_certificates`). An unknown key is an
    /// error when the store is built.
    pub fn with_store_config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.store_config.push((key.into(), value.into()));
        self
    }

    /// Options of the data: its read options (header and inflated size caps, pickles)
    /// apply to every read; its write options (compression, byte order) and separator to
    /// the serde format's writes ([`to_store`]).
    pub fn with_serde(mut self, serde: SerdeOptions) -> Self {
        self.serde = serde;
        self
    }
}

/// Reads a `T` from the `.npz` archive `path` in `store` with the serde format, fetching
/// only the members `T` asks for (each in one request, as it is first read).
///
/// The deserializer is synchronous; it runs on tokio's blocking thread pool, and fetches
/// through the runtime that called this.
pub async fn from_store<T: DeserializeOwned + Send + 'static>(
    store: Arc<dyn ObjectStore>,
    path: Path,
    options: &RemoteOptions,
) -> Result<T> {
    let location = format!("{store}/{path}");
    from_store_at(store, path, location, options).await
}

pub(crate) async fn from_store_at<T: DeserializeOwned + Send + 'static>(
    store: Arc<dyn ObjectStore>,
    path: Path,
    location: String,
    options: &RemoteOptions,
) -> Result<T> {
    let serde_options = options.serde.clone();
    let shown = location.clone();
    let archive = RemoteNpz::open_at(store, path, location, options.clone()).await?;
    let runtime = tokio::runtime::Handle::current();
    let join =
        tokio::task::spawn_blocking(move || deserialize_lazily(&archive, runtime, &serde_options));
    match join.await {
        Ok(result) => result,
        Err(e) => Err(object::remote_error(
            &shown,
            format!(
                "the thread running the deserializer failed ({e}): a Deserialize impl panicked?"
            ),
        )),
    }
}

/// Runs the serde reader over `archive`, fetching each member as it is first read (on
/// `runtime`, from a thread that may block).
pub(crate) fn deserialize_lazily<T: DeserializeOwned>(
    archive: &RemoteNpz,
    runtime: tokio::runtime::Handle,
    options: &SerdeOptions,
) -> Result<T> {
    let location = archive.location().to_string();
    // The serde reader parses the directory again, from the bytes the open fetched.
    let view = archive.lazy_view(runtime, SERDE_PIECE, false);
    crate::de::from_reader_with(view, options).map_err(|e| e.in_file(location))
}

/// Writes `value` with the serde format as an `.npz` archive to `path` in `store`,
/// uploading it in parts as it is produced (memory: at most the part size × (parts in
/// flight + 2), never the archive). One PUT when the archive fits in one part, else a
/// multipart upload; either way the object appears only once complete, and a failed
/// upload is aborted. On a single-threaded tokio runtime (which cannot let the
/// serializer block) the archive is built in memory first, then uploaded.
pub async fn to_store<T: Serialize + ?Sized>(
    value: &T,
    store: Arc<dyn ObjectStore>,
    path: Path,
    options: &RemoteOptions,
) -> Result<()> {
    let location = format!("{store}/{path}");
    let handle = tokio::runtime::Handle::current();
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        // The serializer blocks while parts are in flight, which a single-threaded
        // runtime cannot allow: build the archive in memory instead.
        let bytes = crate::ser::to_vec_with(value, &options.serde)?;
        return upload_at(&store, &path, &location, bytes, options).await;
    }
    let (writer, parts) = upload::part_channel(options);
    let task = tokio::spawn(upload::upload_parts(
        store,
        path,
        location.clone(),
        parts,
        options.clone(),
    ));
    let written =
        tokio::task::block_in_place(|| upload::write_archive(writer, value, &options.serde));
    upload::outcome(written, task.await, &location)
}

/// Uploads `bytes` (an archive from [`to_vec`](crate::to_vec) or
/// [`npz::Writer`](crate::npz::Writer), a `.npy` from [`npy::to_vec`](crate::npy::to_vec)) to
/// `path` in `store`: one PUT up to the part size, a multipart upload above it. Either way
/// the object appears only when the upload completes (readers see the old object or the
/// new one, never part of it), and a failed multipart upload is aborted.
pub async fn upload(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    bytes: Vec<u8>,
    options: &RemoteOptions,
) -> Result<()> {
    let location = format!("{store}/{path}");
    upload_at(store, path, &location, bytes, options).await
}

pub(crate) async fn upload_at(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    location: &str,
    bytes: Vec<u8>,
    options: &RemoteOptions,
) -> Result<()> {
    // S3 takes at most 10,000 parts: larger archives get larger parts.
    let part_size = options.part_size.max(bytes.len().div_ceil(10_000));
    let what = format!("uploading {} bytes", bytes.len());
    if bytes.len() <= part_size {
        store
            .put_opts(path, PutPayload::from(bytes), Default::default())
            .await
            .map_err(|e| store_error(location, &what, e))?;
        return Ok(());
    }
    let upload = store
        .put_multipart_opts(path, Default::default())
        .await
        .map_err(|e| store_error(location, &what, e))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, part_size);
    let bytes = bytes::Bytes::from(bytes);
    for part in bytes.chunks(part_size) {
        if let Err(e) = writer.wait_for_capacity(options.concurrency).await {
            // Dropping the writer leaves the parts sent so far to the store's expiry of
            // incomplete uploads; abort them now instead.
            let _ = writer.abort().await;
            return Err(store_error(location, &what, e));
        }
        writer.put(bytes.slice_ref(part));
    }
    match writer.finish().await {
        Ok(_) => Ok(()),
        Err(e) => Err(store_error(location, &what, e)),
    }
}
