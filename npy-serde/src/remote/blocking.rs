//! The blocking form of [`remote`](super): the same readers and serde functions for code
//! without an async runtime. Each reader owns a small tokio runtime (two worker threads)
//! that drives its requests; calls block until they are done.
//!
//! ```no_run
//! use npy_serde::remote::blocking::{RemoteNpy, RemoteNpz};
//!
//! # fn demo() -> npy_serde::Result<()> {
//! let mut archive = RemoteNpz::open_url("https://example.com/data/mnist.npz")?;
//! println!("{:?}", archive.names());
//! let x: ndarray::Array3<u8> = archive.read_rows("x_train", 0..100)?;
//!
//! let mut file = RemoteNpy::open_url("s3://bucket/big.npy")?;
//! let rows: ndarray::Array2<f32> = file.read_rows(5_000..6_000)?;
//! # Ok(()) }
//! ```

use std::ops::Range;
use std::sync::Arc;

use object_store::path::Path;
use object_store::ObjectStore;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{RemoteOptions, RequestStats};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::HeaderInfo;
use crate::npz::MemberInfo;
use crate::read::NpyRead;

/// A small runtime (two worker threads) for blocking calls; also the checkpoint manager's.
pub(crate) fn runtime() -> Result<Arc<tokio::runtime::Runtime>> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("npy-serde-remote")
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| Error::from(ErrorKind::Io(e)))
}

/// An `.npz` archive in an object store, read with range requests (blocking form of
/// [`super::RemoteNpz`]).
pub struct RemoteNpz {
    inner: super::RemoteNpz,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl RemoteNpz {
    /// Opens the archive at `url` (`s3://`, `gs://`, `az://`, `https://`, `file://`):
    /// one request for its directory, two when the directory does not fit in the last 64 KiB.
    pub fn open_url(url: &str) -> Result<RemoteNpz> {
        Self::open_url_with(url, &RemoteOptions::default())
    }

    /// [`open_url`](Self::open_url) with options.
    pub fn open_url_with(url: &str, options: &RemoteOptions) -> Result<RemoteNpz> {
        let runtime = runtime()?;
        let inner = runtime.block_on(super::RemoteNpz::open_url_with(url, options))?;
        Ok(RemoteNpz { inner, runtime })
    }

    /// Opens the archive `path` in `store`.
    pub fn open(store: Arc<dyn ObjectStore>, path: Path) -> Result<RemoteNpz> {
        Self::open_with(store, path, &RemoteOptions::default())
    }

    /// [`open`](Self::open) with options.
    pub fn open_with(
        store: Arc<dyn ObjectStore>,
        path: Path,
        options: &RemoteOptions,
    ) -> Result<RemoteNpz> {
        let runtime = runtime()?;
        let inner = runtime.block_on(super::RemoteNpz::open_with(store, path, options))?;
        Ok(RemoteNpz { inner, runtime })
    }

    /// What the central directory says about each member (no request).
    pub fn members(&self) -> &[MemberInfo] {
        self.inner.members()
    }

    /// Member names, without `.npy` (no request).
    pub fn names(&self) -> Vec<String> {
        self.inner.names()
    }

    /// Requests sent and bytes received so far, the open included.
    pub fn stats(&self) -> RequestStats {
        self.inner.stats()
    }

    /// Reads member `name` as `T`: one request for exactly its bytes.
    pub fn read<T: NpyRead + Send + 'static>(&mut self, name: &str) -> Result<T> {
        self.runtime.block_on(self.inner.read(name))
    }

    /// Reads members `names` as `T`, neighbours in one request, concurrently.
    pub fn read_many<T: NpyRead + Send + 'static>(&mut self, names: &[&str]) -> Result<Vec<T>> {
        self.runtime.block_on(self.inner.read_many(names))
    }

    /// Member `name`'s `.npy` header.
    pub fn header(&mut self, name: &str) -> Result<HeaderInfo> {
        self.runtime.block_on(self.inner.header(name))
    }

    /// Rows `rows` of member `name` (see [`super::RemoteNpz::read_rows`]).
    pub fn read_rows<T: NpyRead + Send + 'static>(
        &mut self,
        name: &str,
        rows: Range<u64>,
    ) -> Result<T> {
        self.runtime.block_on(self.inner.read_rows(name, rows))
    }
}

/// A `.npy` file in an object store (blocking form of [`super::RemoteNpy`]).
pub struct RemoteNpy {
    inner: super::RemoteNpy,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl RemoteNpy {
    /// Opens the file at `url` and reads its header (one request).
    pub fn open_url(url: &str) -> Result<RemoteNpy> {
        Self::open_url_with(url, &RemoteOptions::default())
    }

    /// [`open_url`](Self::open_url) with options.
    pub fn open_url_with(url: &str, options: &RemoteOptions) -> Result<RemoteNpy> {
        let runtime = runtime()?;
        let inner = runtime.block_on(super::RemoteNpy::open_url_with(url, options))?;
        Ok(RemoteNpy { inner, runtime })
    }

    /// Opens the file `path` in `store` and reads its header.
    pub fn open(store: Arc<dyn ObjectStore>, path: Path) -> Result<RemoteNpy> {
        Self::open_with(store, path, &RemoteOptions::default())
    }

    /// [`open`](Self::open) with options.
    pub fn open_with(
        store: Arc<dyn ObjectStore>,
        path: Path,
        options: &RemoteOptions,
    ) -> Result<RemoteNpy> {
        let runtime = runtime()?;
        let inner = runtime.block_on(super::RemoteNpy::open_with(store, path, options))?;
        Ok(RemoteNpy { inner, runtime })
    }

    /// The file's header (no request).
    pub fn header(&self) -> &HeaderInfo {
        self.inner.header()
    }

    /// Requests sent and bytes received so far, the open included.
    pub fn stats(&self) -> RequestStats {
        self.inner.stats()
    }

    /// Reads the whole array as `T`.
    pub fn read<T: NpyRead>(&mut self) -> Result<T> {
        self.runtime.block_on(self.inner.read())
    }

    /// Reads rows `rows` as `T`: one request for exactly their bytes.
    pub fn read_rows<T: NpyRead>(&mut self, rows: Range<u64>) -> Result<T> {
        self.runtime.block_on(self.inner.read_rows(rows))
    }
}

/// Reads a `T` with the serde format from the `.npz` archive at `url`, fetching only the
/// members `T` asks for.
///
/// ```no_run
/// #[derive(serde::Deserialize)]
/// struct Dataset {
///     x: ndarray::Array2<f64>,
///     labels: Vec<i64>,
/// }
/// let dataset: Dataset = npy_serde::remote::blocking::from_url("s3://bucket/dataset.npz")?;
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn from_url<T: DeserializeOwned>(url: &str) -> Result<T> {
    from_url_with(url, &RemoteOptions::default())
}

/// [`from_url`] with options.
pub fn from_url_with<T: DeserializeOwned>(url: &str, options: &RemoteOptions) -> Result<T> {
    let runtime = runtime()?;
    let archive = runtime.block_on(super::RemoteNpz::open_url_with(url, options))?;
    super::deserialize_lazily(&archive, runtime.handle().clone(), &options.serde)
}

/// Writes `value` with the serde format as an `.npz` archive at `url`, uploaded in parts
/// as it is produced (see [`to_store`](super::to_store)); the object appears only when
/// the upload is complete, and a failed upload is aborted.
pub fn to_url<T: Serialize + ?Sized>(value: &T, url: &str) -> Result<()> {
    to_url_with(value, url, &RemoteOptions::default())
}

/// [`to_url`] with options.
pub fn to_url_with<T: Serialize + ?Sized>(
    value: &T,
    url: &str,
    options: &RemoteOptions,
) -> Result<()> {
    let runtime = runtime()?;
    let (store, path) = super::store_for_url(url, options)?;
    let location = super::store::display_url(url);
    super::upload::stream_blocking(&runtime, store, path, &location, options, |writer| {
        super::upload::write_archive(writer, value, &options.serde)
    })
}
