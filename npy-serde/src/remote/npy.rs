//! A `.npy` file in object storage: its header from the first request, then the whole
//! array or a range of rows from exactly those bytes. The parsing is the local reader's.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use object_store::path::Path;
use object_store::ObjectStore;

use super::npz::lock;
use super::object::{retry_on_miss, Fetched, OnMiss, RemoteObject, RequestStats, View};
use super::RemoteOptions;
use crate::elements::DataReader;
use crate::errors::Result;
use crate::header::{self, HeaderInfo};
use crate::read::NpyRead;

/// The first request: the header of any usual `.npy` file (a longer header costs a second).
const HEAD_LEN: u64 = 4 * 1024;

/// A `.npy` file in an object store (async): the header is read when opening, with one
/// request of 4 KiB; [`read`](Self::read) and [`read_rows`](Self::read_rows) fetch the
/// data bytes they need in one request.
///
/// ```no_run
/// # async fn demo() -> npy_serde::Result<()> {
/// use npy_serde::remote::RemoteNpy;
///
/// let mut file = RemoteNpy::open_url("gs://bucket/embeddings.npy").await?;
/// println!("{:?}", file.header().header.shape);
/// let rows: ndarray::Array2<f32> = file.read_rows(1_000..2_000).await?;
/// # Ok(()) }
/// ```
pub struct RemoteNpy {
    object: Arc<RemoteObject>,
    info: HeaderInfo,
}

impl RemoteNpy {
    /// Opens the `.npy` file at `url` (see [`store_for_url`](super::store_for_url)) and reads its header.
    pub async fn open_url(url: &str) -> Result<RemoteNpy> {
        Self::open_url_with(url, &RemoteOptions::default()).await
    }

    /// [`open_url`](Self::open_url) with options.
    pub async fn open_url_with(url: &str, options: &RemoteOptions) -> Result<RemoteNpy> {
        let (store, path) = super::store_for_url(url, options)?;
        Self::open_at(store, path, super::store::display_url(url), options.clone()).await
    }

    /// Opens the `.npy` file `path` in `store` (any object_store store, configured as you need
    /// it) and reads its header.
    pub async fn open(store: Arc<dyn ObjectStore>, path: Path) -> Result<RemoteNpy> {
        Self::open_with(store, path, &RemoteOptions::default()).await
    }

    /// [`open`](Self::open) with options.
    pub async fn open_with(
        store: Arc<dyn ObjectStore>,
        path: Path,
        options: &RemoteOptions,
    ) -> Result<RemoteNpy> {
        let location = format!("{store}/{path}");
        Self::open_at(store, path, location, options.clone()).await
    }

    async fn open_at(
        store: Arc<dyn ObjectStore>,
        path: Path,
        location: String,
        options: RemoteOptions,
    ) -> Result<RemoteNpy> {
        let max_header = options.serde.read.max_header_size;
        let (object, start, bytes) =
            RemoteObject::open(store, path, location, options, HEAD_LEN, false).await?;
        let object = Arc::new(object);
        let fetched = Mutex::new(Fetched::default());
        lock(&fetched).insert(start, bytes);
        let shared = Arc::new(fetched);
        let len = object.len;
        let info = retry_on_miss(
            &object,
            &shared,
            4,
            |miss| {
                miss.start
                    ..len
                        .min(miss.start.saturating_add(max_header as u64 + 16))
                        .max(miss.end)
            },
            || {
                let mut view = View::new(object.clone(), shared.clone(), OnMiss::Record);
                header::read_header(&mut view, max_header)
            },
        )
        .await
        .map_err(|e| e.in_file(&object.location))?;
        Ok(RemoteNpy { object, info })
    }

    /// The file's header (no request).
    pub fn header(&self) -> &HeaderInfo {
        &self.info
    }

    /// Size of the file in bytes.
    pub fn len(&self) -> u64 {
        self.object.len
    }

    /// True for an empty object (never after an open: it has no header).
    pub fn is_empty(&self) -> bool {
        self.object.len == 0
    }

    /// Requests sent and bytes received so far, the open included.
    pub fn stats(&self) -> RequestStats {
        self.object.stats()
    }

    /// Reads the whole array as `T`, its data in one request.
    pub async fn read<T: NpyRead>(&mut self) -> Result<T> {
        let rows = match self.info.header.shape.first() {
            Some(&n) if !self.info.header.fortran_order => Some(0..n as u64),
            _ => None,
        };
        match rows {
            Some(rows) => self.read_rows(rows).await,
            None => {
                // 0-d or Fortran order: the data as one piece.
                let data_len = self.info.header.data_len()?;
                let start = self.info.data_offset;
                let end = start.saturating_add(data_len).min(self.object.len);
                let bytes = self.object.fetch(start..end).await?;
                let mut cursor = &bytes[..];
                let mut data = DataReader::new(&mut cursor, start, Some(end - start));
                T::read_npy_data(&self.info.header, &mut data)
                    .map_err(|e| e.in_file(&self.object.location))
            }
        }
    }

    /// Reads rows `rows` (along the first axis) as `T`: one request for exactly their
    /// bytes. Fortran-order files are refused (their rows are not contiguous).
    pub async fn read_rows<T: NpyRead>(&mut self, rows: Range<u64>) -> Result<T> {
        let location = self.object.location.clone();
        let (sub, skip, len) = self
            .info
            .header
            .rows(&rows)
            .map_err(|e| e.in_file(&location))?;
        let start = self
            .info
            .data_offset
            .saturating_add(skip)
            .min(self.object.len);
        let end = start.saturating_add(len).min(self.object.len);
        let bytes = self.object.fetch(start..end).await?;
        let mut cursor = &bytes[..];
        let mut data = DataReader::new(&mut cursor, start, Some(end - start));
        T::read_npy_data(&sub, &mut data).map_err(|e| e.in_file(&location))
    }
}
