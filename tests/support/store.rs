//! An instrumented object store for the remote tests: an in-memory store that counts the
//! GET requests it serves and the bytes they return, and misbehaves when asked to (refuses
//! suffix ranges as Azure does; fails one part of each multipart upload, counting aborts;
//! fails deletions while told to).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use npy_serde::remote::object_store::memory::InMemory;
use npy_serde::remote::object_store::path::Path;
use npy_serde::remote::object_store::{
    self, CopyOptions, GetOptions, GetRange, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, UploadPart,
};

/// An in-memory store that counts GETs and can be told to misbehave.
#[derive(Debug, Default)]
pub struct TestStore {
    inner: InMemory,
    gets: AtomicU64,
    bytes: AtomicU64,
    /// Answer suffix ranges with "not supported", as Azure does.
    refuse_suffix: bool,
    /// Fail this part (1-based) of every multipart upload.
    fail_part: Option<usize>,
    aborts: Arc<AtomicUsize>,
    /// Fail every deletion while set.
    fail_deletes: AtomicBool,
}

impl TestStore {
    /// An empty store that behaves.
    pub fn new() -> TestStore {
        TestStore::default()
    }

    /// Answers suffix ranges with "not supported", as Azure does.
    pub fn refusing_suffix_ranges(self) -> TestStore {
        TestStore {
            refuse_suffix: true,
            ..self
        }
    }

    /// Fails part `part` (1-based) of every multipart upload.
    pub fn failing_part(self, part: usize) -> TestStore {
        TestStore {
            fail_part: Some(part),
            ..self
        }
    }

    /// Stores `bytes` at `key` and returns its path; the counts start again from zero.
    pub fn put(&self, key: &str, bytes: Vec<u8>) -> Path {
        let path = Path::from(key);
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        runtime
            .block_on(self.put_opts(&path, PutPayload::from(bytes), PutOptions::default()))
            .expect("an in-memory put");
        self.take();
        path
    }

    /// The GET requests served and the bytes they returned since the last call.
    pub fn take(&self) -> (u64, u64) {
        (
            self.gets.swap(0, Ordering::SeqCst),
            self.bytes.swap(0, Ordering::SeqCst),
        )
    }

    /// Fails every deletion from now on (`true`) or no longer (`false`).
    pub fn fail_deletes(&self, fail: bool) {
        self.fail_deletes.store(fail, Ordering::SeqCst);
    }

    /// How many multipart uploads were aborted.
    pub fn aborts(&self) -> usize {
        self.aborts.load(Ordering::SeqCst)
    }
}

impl fmt::Display for TestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TestStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for TestStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let inner = self.inner.put_multipart_opts(location, opts).await?;
        let Some(fail_part) = self.fail_part else {
            return Ok(inner);
        };
        Ok(Box::new(FailingUpload {
            inner,
            parts: 0,
            fail_part,
            aborts: self.aborts.clone(),
        }))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        if self.refuse_suffix && matches!(options.range, Some(GetRange::Suffix(_))) {
            return Err(object_store::Error::NotSupported {
                source: "suffix ranges".into(),
            });
        }
        let result = self.inner.get_opts(location, options).await?;
        self.bytes
            .fetch_add(result.range.end - result.range.start, Ordering::SeqCst);
        Ok(result)
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        if self.fail_deletes.load(Ordering::SeqCst) {
            return locations
                .map(|_| {
                    Err(object_store::Error::Generic {
                        store: "TestStore",
                        source: "injected failure of a deletion".into(),
                    })
                })
                .boxed();
        }
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// A multipart upload whose part `fail_part` fails, counting aborts.
#[derive(Debug)]
struct FailingUpload {
    inner: Box<dyn MultipartUpload>,
    parts: usize,
    fail_part: usize,
    aborts: Arc<AtomicUsize>,
}

#[async_trait]
impl MultipartUpload for FailingUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.parts += 1;
        if self.parts == self.fail_part {
            return Box::pin(async {
                Err(object_store::Error::Generic {
                    store: "TestStore",
                    source: "injected failure of a part".into(),
                })
            });
        }
        self.inner.put_part(data)
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        self.inner.complete().await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.aborts.fetch_add(1, Ordering::SeqCst);
        self.inner.abort().await
    }
}
