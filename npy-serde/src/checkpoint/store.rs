//! Checkpoints under a prefix of an object store (feature `object-store`): listed by one
//! `LIST` of the prefix, committed by the remote module's streamed upload (the object
//! appears only when its upload completes: one PUT, or a multipart upload completed last;
//! parts are sent as the archive is written, so it is never whole in memory), deleted one
//! by one, and read back whole. Calls block on a small runtime of the manager's own.

use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::de::DeserializeOwned;

use super::naming::{file_name, step_of};
use crate::errors::Result;
use crate::remote::{store_error, stream_blocking, PartWriter, RemoteOptions};
use crate::serde_format::SerdeOptions;

/// A prefix in a store, and the runtime that drives its requests.
pub(crate) struct StoreLocation {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    runtime: Arc<tokio::runtime::Runtime>,
    remote: RemoteOptions,
}

impl StoreLocation {
    pub(crate) fn new(
        store: Arc<dyn ObjectStore>,
        prefix: Path,
        remote: RemoteOptions,
    ) -> Result<StoreLocation> {
        Ok(StoreLocation {
            store,
            prefix,
            runtime: crate::remote::blocking::runtime()?,
            remote,
        })
    }

    fn path_of(&self, name: &str, step: u64) -> Path {
        self.prefix.clone().join(file_name(name, step))
    }

    /// `store/prefix/name_step.npz`, for messages.
    pub(crate) fn location_of(&self, name: &str, step: u64) -> String {
        format!("{}/{}", self.store, self.path_of(name, step))
    }

    /// Steps of the checkpoints directly under the prefix.
    pub(crate) fn steps(&self, name: &str) -> Result<Vec<u64>> {
        let listing = self
            .runtime
            .block_on(self.store.list(Some(&self.prefix)).try_collect::<Vec<_>>())
            .map_err(|e| {
                let shown = format!("{}/{}", self.store, self.prefix);
                store_error(&shown, "listing the checkpoints", e)
            })?;
        Ok(listing
            .iter()
            .filter_map(|meta| {
                let file = meta.location.filename()?;
                // Only objects directly under the prefix, not in deeper "directories".
                (self.prefix.clone().join(file) == meta.location)
                    .then(|| step_of(name, file))
                    .flatten()
            })
            .collect())
    }

    /// Uploads the archive of `step` as `write` produces it into the writer it is given
    /// (parts sent as they fill: memory holds the parts in flight, never the archive).
    /// The object appears only when the upload completes; a failure aborts it.
    pub(crate) fn upload(
        &self,
        name: &str,
        step: u64,
        write: impl FnOnce(PartWriter) -> Result<()>,
    ) -> Result<()> {
        stream_blocking(
            &self.runtime,
            Arc::clone(&self.store),
            self.path_of(name, step),
            &self.location_of(name, step),
            &self.remote,
            write,
        )
    }

    pub(crate) fn delete(&self, name: &str, step: u64) -> Result<()> {
        let path = self.path_of(name, step);
        match self.runtime.block_on(self.store.delete(&path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(
                &self.location_of(name, step),
                "deleting an old checkpoint",
                e,
            )),
        }
    }

    /// Reads the whole object of `step` and deserializes it.
    pub(crate) fn restore<T: DeserializeOwned>(
        &self,
        name: &str,
        step: u64,
        options: &SerdeOptions,
    ) -> Result<T> {
        let path = self.path_of(name, step);
        let shown = self.location_of(name, step);
        let bytes = self
            .runtime
            .block_on(async {
                let object = self.store.get(&path).await?;
                object.bytes().await
            })
            .map_err(|e| store_error(&shown, "reading the checkpoint", e))?;
        crate::de::from_slice_with(&bytes, options).map_err(|e| e.in_file(&shown))
    }
}
