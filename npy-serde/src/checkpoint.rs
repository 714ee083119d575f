//! Checkpoints of a training run: [`CheckpointManager`] saves a serde value as
//! `checkpoint_{step:010}.npz` in a directory (or, with the `object-store` feature, under
//! an object-store prefix) **in the background**, keeps the last few, and finds the latest
//! to resume from.
//!
//! - [`save`](CheckpointManager::save) takes a snapshot (the serde format encodes the
//!   members into a buffer of the manager's, a copy at memory speed, no compression and
//!   no I/O) and returns; a background thread then compresses (if asked), writes, syncs and
//!   renames the file (or uploads the object). A save arriving while the previous one is
//!   still being written waits for it ([`Backpressure::Wait`], the default) or is skipped
//!   ([`Backpressure::Skip`]).
//! - Commit is atomic: a file is written under a temporary name (`.checkpoint_….tmp`) and
//!   renamed when complete, an object appears only when its upload completes. Only complete
//!   checkpoints are listed ([`steps`](CheckpointManager::steps),
//!   [`latest`](CheckpointManager::latest)), so a process killed at any moment leaves the
//!   previous set listed and loadable.
//! - Retention ([`CheckpointOptions::with_max_to_keep`],
//!   [`CheckpointOptions::with_keep_every`]) deletes old checkpoints after a new one
//!   commits, never before.
//! - An error of a background save is returned by the next [`save`](CheckpointManager::save)
//!   or [`wait`](CheckpointManager::wait), naming the checkpoint's file (or object): never
//!   lost.
//! - A failure of retention (listing, or deleting an old checkpoint) does not fail the
//!   save: the new checkpoint has committed and stands. The checkpoints left over are
//!   deleted by the next save's retention, which works from a fresh listing, and until
//!   then [`retention_error`](CheckpointManager::retention_error) returns the failure,
//!   naming the file (or object) it could not delete.
//!
//! ```
//! use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct State {
//!     step: u64,
//!     weights: Vec<f32>,
//! }
//!
//! # let dir = tempfile::tempdir()?;
//! let options = CheckpointOptions::default().with_max_to_keep(2);
//! let mut manager = CheckpointManager::open(dir.path(), options)?;
//! let mut state = State { step: 0, weights: vec![0.0; 1000] };
//! for step in 1..=5 {
//!     state.step = step;
//!     state.weights.iter_mut().for_each(|w| *w += 1.0);
//!     manager.save(step, &state)?; // returns once the snapshot is taken
//! }
//! manager.wait()?; // the last save is on disk, and older ones deleted
//! assert_eq!(manager.steps()?, [4, 5]);
//!
//! // After a restart: resume from the latest complete checkpoint.
//! let (step, resumed): (u64, State) = manager.restore_latest()?.expect("a checkpoint");
//! assert_eq!((step, resumed.weights[0]), (5, 5.0));
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Memory and speed
//!
//! The snapshot holds a copy of the members' bytes, as large as the stored archive, until
//! the background write has finished; the manager then keeps the buffer for the next
//! snapshot (whose pages are then already mapped, so a steady-state snapshot is a plain
//! copy). So a manager holds about one extra copy of the state. For big arrays use
//! [`Bulk`](crate::Bulk) fields: plain ndarray fields reach serde one element at a time,
//! which costs the same in a snapshot as in [`to_path`](crate::to_path).
//!
//! Under an object-store prefix the background thread streams the archive to the store as
//! it writes it (the upload of [`remote::to_store`](crate::remote::to_store)): memory holds
//! the snapshot plus the parts in flight (part size × (concurrency + 2), 80 MiB with the
//! default [`RemoteOptions`](crate::remote::RemoteOptions)), never the whole archive. Its
//! members end with data descriptors, as a streamed `zipfile` writes them (NumPy reads
//! them unchanged).
//!
//! # Member alignment
//!
//! The default options write stored members aligned to 64 bytes
//! ([`WriteOptions::with_alignment`]): a checkpoint can then be memory-mapped and every
//! member of a plain type viewed in place
//! ([`MappedNpy::open_npz_member`](crate::mmap::MappedNpy::open_npz_member)), for example
//! to inspect or load a large model's weights lazily, at the cost of at most 64 + 8 bytes
//! a member. NumPy and `zipfile` read such archives unchanged (the padding is a zip extra
//! field they skip); only byte identity with `np.savez` is given up, which a checkpoint
//! does not need. Options with compression turn it off (deflated members cannot be mapped).
//!
//! [`WriteOptions::with_alignment`]: crate::WriteOptions::with_alignment

mod location;
mod naming;
mod snapshot;
#[cfg(feature = "object-store")]
mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::errors::{Error, Result};
use crate::npz::Compression;
use crate::options::WriteOptions;
use crate::serde_format::SerdeOptions;
use location::Location;
use snapshot::Snapshot;

/// The member alignment checkpoints are written with by default (see the module docs).
const DEFAULT_ALIGNMENT: usize = 64;

/// What [`CheckpointManager::save`] does when the previous save is still being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Backpressure {
    /// Wait for it, then take the snapshot (the default): every save happens, and
    /// training slows down to the disk's pace when saves come faster than it writes.
    #[default]
    Wait,
    /// Skip this save: [`save`](CheckpointManager::save) returns `Ok(false)` at once and
    /// training never waits for the disk.
    Skip,
}

/// How a [`CheckpointManager`] names, writes and keeps checkpoints.
///
/// ```
/// use npy_serde::checkpoint::{Backpressure, CheckpointOptions};
/// use npy_serde::npz::Compression;
///
/// let options = CheckpointOptions::default()
///     .with_name("model")             // model_0000000100.npz
///     .with_max_to_keep(3)            // the last three …
///     .with_keep_every(1000)          // … and every 1000th step
///     .with_backpressure(Backpressure::Skip)
///     .with_compression(Compression::NUMPY_DEFLATE);
/// assert_eq!(options.max_to_keep, Some(3));
/// assert_eq!(options.serde.write.alignment, None); // deflated members are not aligned
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckpointOptions {
    /// How the value is written and read back: compression, sync, alignment, byte order
    /// ([`SerdeOptions::write`]), read limits and the path separator. The default writes
    /// stored members aligned to 64 bytes and syncs each checkpoint to disk.
    pub serde: SerdeOptions,
    /// Checkpoints are named `{name}_{step:010}.npz` (default `"checkpoint"`).
    pub name: String,
    /// Keep only the checkpoints of the last this many steps (besides those kept by
    /// `keep_every`); `None` (the default) keeps all. The one just saved is always kept.
    pub max_to_keep: Option<usize>,
    /// Also keep every checkpoint whose step is a multiple of this (`None`, the default:
    /// no such rule).
    pub keep_every: Option<u64>,
    /// What a save does while the previous one is still being written.
    pub backpressure: Backpressure,
}

impl Default for CheckpointOptions {
    fn default() -> Self {
        CheckpointOptions {
            serde: SerdeOptions::default()
                .with_write(WriteOptions::default().with_alignment(DEFAULT_ALIGNMENT)),
            name: "checkpoint".to_string(),
            max_to_keep: None,
            keep_every: None,
            backpressure: Backpressure::Wait,
        }
    }
}

impl CheckpointOptions {
    /// Options with other serde options (they replace the defaults whole, the 64-byte
    /// alignment included).
    pub fn with_serde(mut self, serde: SerdeOptions) -> Self {
        self.serde = serde;
        self
    }

    /// Options with other write options (compression, sync, alignment, byte order).
    pub fn with_write(mut self, write: WriteOptions) -> Self {
        self.serde.write = write;
        self
    }

    /// Options that compress the members; deflate turns the default alignment off.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        if compression != Compression::Stored {
            self.serde.write.alignment = None;
        }
        self.serde.write.compression = compression;
        self
    }

    /// Options that sync each checkpoint to disk before it counts as saved (`true`, the
    /// default), or leave that to the operating system (`false`: faster; a power loss may
    /// lose the latest checkpoints, never leave a half one listed).
    pub fn with_sync(mut self, sync: bool) -> Self {
        self.serde.write.sync = sync;
        self
    }

    /// Options with another file name stem (`{name}_{step:010}.npz`): several managers can
    /// share a directory under different names. Not empty, no `/`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Options that keep the last `count` checkpoints (at least 1).
    pub fn with_max_to_keep(mut self, count: usize) -> Self {
        self.max_to_keep = Some(count);
        self
    }

    /// Options that also keep every checkpoint whose step is a multiple of `steps`.
    pub fn with_keep_every(mut self, steps: u64) -> Self {
        self.keep_every = Some(steps);
        self
    }

    /// Options with another [`Backpressure`].
    pub fn with_backpressure(mut self, backpressure: Backpressure) -> Self {
        self.backpressure = backpressure;
        self
    }

    fn check(&self) -> Result<()> {
        self.serde.check()?;
        self.serde.write.check_npz()?;
        if self.name.is_empty() || self.name.contains(['/', '\\', '\0']) {
            return Err(Error::custom(format!(
                "checkpoint name {:?} must be a non-empty file name stem (no '/', '\\' or NUL)",
                self.name
            )));
        }
        if self.max_to_keep == Some(0) {
            return Err(Error::custom(
                "max_to_keep must be at least 1 (the checkpoint just saved is always kept)",
            ));
        }
        if self.keep_every == Some(0) {
            return Err(Error::custom("keep_every must be at least 1"));
        }
        Ok(())
    }

    /// The steps retention deletes among `steps` once `saved` has committed.
    fn to_delete(&self, steps: &[u64], saved: u64) -> Vec<u64> {
        let Some(max_to_keep) = self.max_to_keep else {
            return Vec::new();
        };
        let recent = &steps[steps.len().saturating_sub(max_to_keep)..];
        steps
            .iter()
            .copied()
            .filter(|&step| {
                step != saved
                    && !recent.contains(&step)
                    && self.keep_every.is_none_or(|every| step % every != 0)
            })
            .collect()
    }
}

/// A save being written on the background thread.
struct InFlight {
    step: u64,
    handle: JoinHandle<Background>,
}

/// What the background half of a save did.
struct Background {
    /// Whether the checkpoint committed.
    committed: Result<()>,
    /// How retention went, when it ran (after a commit, with `max_to_keep`).
    retained: Option<Result<()>>,
    /// The snapshot, for the next save.
    snapshot: Snapshot,
}

/// Saves checkpoints in the background, keeps the last few and restores the latest (see
/// the [module docs](self)).
///
/// Dropping the manager waits for the save in flight; its error, if any, is then lost:
/// call [`wait`](Self::wait) before the end to see it.
pub struct CheckpointManager {
    location: Arc<Location>,
    options: Arc<CheckpointOptions>,
    in_flight: Option<InFlight>,
    /// The buffer of the last snapshot, for the next.
    spare: Option<Snapshot>,
    /// The failure of the last retention pass, if it failed.
    retention_error: Option<Error>,
}

impl CheckpointManager {
    /// A manager of the checkpoints in directory `dir` (created if missing). Checkpoints
    /// are not read or deleted until asked; temporary files that killed saves of this
    /// name left behind (`.checkpoint_….npz.XXXXXX.tmp`) are removed, unless a save in
    /// another process still holds them.
    pub fn open<P: AsRef<Path>>(dir: P, options: CheckpointOptions) -> Result<Self> {
        let dir = dir.as_ref();
        options.check()?;
        std::fs::create_dir_all(dir).map_err(|e| Error::from(e).in_file(dir))?;
        location::remove_stale_temp_files(dir, &options.name);
        Ok(Self::with_location(
            Location::Dir(dir.to_path_buf()),
            options,
        ))
    }

    /// A manager of the checkpoints under `prefix` in `store` (feature `object-store`):
    /// `prefix/checkpoint_0000000100.npz`, … Each object appears only when its upload is
    /// complete, and a failed multipart upload is aborted. Requests follow `remote`'s
    /// options (part size, concurrency); its serde options are replaced by `options.serde`.
    /// The manager blocks on a runtime of its own: do not call it from async code.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
    /// use npy_serde::remote::object_store::{memory::InMemory, path::Path, ObjectStore};
    /// use npy_serde::remote::RemoteOptions;
    ///
    /// let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    /// let mut manager = CheckpointManager::open_store(
    ///     store,
    ///     Path::from("runs/7"),
    ///     CheckpointOptions::default().with_max_to_keep(1),
    ///     &RemoteOptions::default(),
    /// )?;
    /// let mut state = std::collections::BTreeMap::new();
    /// state.insert("bias".to_string(), vec![0.5f32]);
    /// manager.save(10, &state)?;
    /// manager.save(20, &state)?;
    /// manager.wait()?;
    /// assert_eq!(manager.steps()?, [20]);
    /// # Ok::<(), npy_serde::Error>(())
    /// ```
    #[cfg(feature = "object-store")]
    pub fn open_store(
        store: Arc<dyn object_store::ObjectStore>,
        prefix: object_store::path::Path,
        options: CheckpointOptions,
        remote: &crate::remote::RemoteOptions,
    ) -> Result<Self> {
        options.check()?;
        let remote = remote.clone().with_serde(options.serde.clone());
        let location = store::StoreLocation::new(store, prefix, remote)?;
        Ok(Self::with_location(
            Location::Store(Box::new(location)),
            options,
        ))
    }

    fn with_location(location: Location, options: CheckpointOptions) -> Self {
        CheckpointManager {
            location: Arc::new(location),
            options: Arc::new(options),
            in_flight: None,
            spare: None,
            retention_error: None,
        }
    }

    /// The options in force.
    pub fn options(&self) -> &CheckpointOptions {
        &self.options
    }

    /// The file (or, in a store, the object's location) of the checkpoint of `step`.
    pub fn path_of(&self, step: u64) -> PathBuf {
        self.location.describe(&self.options.name, step)
    }

    /// Saves `value` as the checkpoint of `step`: takes a snapshot of its members and
    /// returns `Ok(true)`; the checkpoint is written on a background thread and listed once
    /// complete. Saving a step again replaces its checkpoint.
    ///
    /// While the previous save is still being written, this waits for it
    /// ([`Backpressure::Wait`]) or returns `Ok(false)` without a snapshot
    /// ([`Backpressure::Skip`]). If the previous save failed, its error is returned (naming
    /// its checkpoint) and no snapshot is taken: call `save` again to save this step.
    /// A value the serde format cannot write is an error here, before anything is written.
    pub fn save<T: Serialize + ?Sized>(&mut self, step: u64, value: &T) -> Result<bool> {
        if self.options.backpressure == Backpressure::Skip
            && self
                .in_flight
                .as_ref()
                .is_some_and(|flight| !flight.handle.is_finished())
        {
            return Ok(false);
        }
        self.wait()?;
        let mut snapshot = self.spare.take().unwrap_or_default();
        let taken = snapshot.take(value, &self.options.serde);
        if let Err(e) = taken {
            self.spare = Some(snapshot);
            return Err(e.in_file(self.path_of(step)));
        }
        let location = Arc::clone(&self.location);
        let options = Arc::clone(&self.options);
        let spawned = std::thread::Builder::new()
            .name(format!("npy-serde checkpoint {step}"))
            .spawn(move || {
                let committed = commit(&location, &options, step, &snapshot);
                let retained = (committed.is_ok() && options.max_to_keep.is_some())
                    .then(|| retain(&location, &options, step));
                Background {
                    committed,
                    retained,
                    snapshot,
                }
            });
        match spawned {
            Ok(handle) => {
                self.in_flight = Some(InFlight { step, handle });
                Ok(true)
            }
            Err(e) => Err(Error::from(e).in_file(self.path_of(step))),
        }
    }

    /// Waits for the save in flight, if any, and returns its error. Afterwards the
    /// checkpoint is listed (and, with the default options, on disk), and retention has
    /// run (a retention failure is not an error of the save: see
    /// [`retention_error`](Self::retention_error)).
    pub fn wait(&mut self) -> Result<()> {
        let Some(InFlight { step, handle }) = self.in_flight.take() else {
            return Ok(());
        };
        match handle.join() {
            Ok(done) => {
                self.spare = Some(done.snapshot);
                if let Some(retained) = done.retained {
                    self.retention_error = retained.err();
                }
                done.committed
            }
            Err(_) => Err(Error::custom(format!(
                "the background save of step {step} panicked; the checkpoint was not saved"
            ))
            .in_file(self.path_of(step))),
        }
    }

    /// The failure of the last retention pass, if it failed: listing the checkpoints, or
    /// deleting an old one (the first such failure, naming its file or object). The save
    /// itself succeeded; the next save's retention tries again (from a fresh listing) and
    /// clears this when it deletes all it should. Known once the save has been waited
    /// for ([`wait`](Self::wait), or the next [`save`](Self::save)).
    ///
    /// ```
    /// # use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
    /// # use std::collections::BTreeMap;
    /// # let dir = tempfile::tempdir()?;
    /// let options = CheckpointOptions::default().with_max_to_keep(1);
    /// let mut manager = CheckpointManager::open(dir.path(), options)?;
    /// let state = BTreeMap::from([("weights".to_string(), vec![1.0f32; 4])]);
    /// manager.save(1, &state)?;
    /// manager.save(2, &state)?;
    /// manager.wait()?;
    /// if let Some(err) = manager.retention_error() {
    ///     eprintln!("old checkpoints left over: {err}"); // retried at the next save
    /// }
    /// assert_eq!(manager.steps()?, [2]);
    /// # Ok::<(), npy_serde::Error>(())
    /// ```
    pub fn retention_error(&self) -> Option<&Error> {
        self.retention_error.as_ref()
    }

    /// True while a save is being written in the background.
    pub fn is_saving(&self) -> bool {
        self.in_flight
            .as_ref()
            .is_some_and(|flight| !flight.handle.is_finished())
    }

    /// The steps of the complete checkpoints, in increasing order (one listing of the
    /// directory or prefix; the save in flight is not among them until it completes).
    pub fn steps(&self) -> Result<Vec<u64>> {
        self.location.steps(&self.options.name)
    }

    /// The highest step with a complete checkpoint, if any.
    pub fn latest(&self) -> Result<Option<u64>> {
        Ok(self.steps()?.last().copied())
    }

    /// Reads the checkpoint of `step` as `T` (with the options' read settings).
    pub fn restore<T: DeserializeOwned>(&self, step: u64) -> Result<T> {
        self.location.restore(step, &self.options)
    }

    /// Reads the latest complete checkpoint as `T`, with its step; `None` when there is
    /// none.
    pub fn restore_latest<T: DeserializeOwned>(&self) -> Result<Option<(u64, T)>> {
        match self.latest()? {
            Some(step) => Ok(Some((step, self.restore(step)?))),
            None => Ok(None),
        }
    }
}

impl Drop for CheckpointManager {
    fn drop(&mut self) {
        // The checkpoint in flight is completed, not abandoned half-way.
        let _ = self.wait();
    }
}

impl std::fmt::Debug for CheckpointManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointManager")
            .field("options", &self.options)
            .field("saving", &self.in_flight.as_ref().map(|flight| flight.step))
            .finish_non_exhaustive()
    }
}

/// The background half of a save: commit the checkpoint of `step`.
fn commit(
    location: &Location,
    options: &CheckpointOptions,
    step: u64,
    snapshot: &Snapshot,
) -> Result<()> {
    location
        .commit(step, snapshot, options)
        .map_err(|e| e.in_file(location.describe(&options.name, step)))
}

/// Retention once `saved` has committed: deletes the checkpoints the options do not keep,
/// from a fresh listing (so what an earlier pass failed to delete is deleted now). Goes
/// on past a failed deletion; returns the first failure.
fn retain(location: &Location, options: &CheckpointOptions, saved: u64) -> Result<()> {
    let steps = location.steps(&options.name)?;
    let mut first_error = None;
    for old in options.to_delete(&steps, saved) {
        if let Err(e) = location.delete(&options.name, old) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests;
