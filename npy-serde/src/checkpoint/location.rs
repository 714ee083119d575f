//! Where checkpoints live: a directory, or (feature `object-store`) a prefix in an object
//! store. Each kind lists the complete checkpoints, commits one atomically, deletes one
//! and reads one back; the manager does not know which kind it has.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::naming::{file_name, step_of};
use super::snapshot::Snapshot;
use super::CheckpointOptions;
use crate::errors::{Error, Result};
use crate::npz::Writer;

/// A checkpoint directory or object-store prefix.
pub(crate) enum Location {
    Dir(PathBuf),
    #[cfg(feature = "object-store")]
    Store(Box<super::store::StoreLocation>),
}

impl Location {
    /// How errors and messages show the checkpoint of `step`.
    pub(crate) fn describe(&self, name: &str, step: u64) -> PathBuf {
        match self {
            Location::Dir(dir) => dir.join(file_name(name, step)),
            #[cfg(feature = "object-store")]
            Location::Store(store) => PathBuf::from(store.location_of(name, step)),
        }
    }

    /// The steps of the complete checkpoints, in increasing order.
    pub(crate) fn steps(&self, name: &str) -> Result<Vec<u64>> {
        let mut steps = match self {
            Location::Dir(dir) => list_dir(dir, name)?,
            #[cfg(feature = "object-store")]
            Location::Store(store) => store.steps(name)?,
        };
        steps.sort_unstable();
        steps.dedup();
        Ok(steps)
    }

    /// Writes the checkpoint of `step` from `snapshot`; it appears (is listed) only once
    /// complete.
    pub(crate) fn commit(
        &self,
        step: u64,
        snapshot: &Snapshot,
        options: &CheckpointOptions,
    ) -> Result<()> {
        let write = &options.serde.write;
        match self {
            Location::Dir(dir) => {
                let path = dir.join(file_name(&options.name, step));
                // The atomic save of `to_path`: temporary file beside the target, synced
                // (per `WriteOptions::sync`), renamed over it.
                let writer = Writer::create_with(&path, write)?;
                snapshot.write_archive(writer).map(drop)
            }
            #[cfg(feature = "object-store")]
            Location::Store(store) => store.upload(&options.name, step, |parts| {
                // Streamed: each member goes out as written (a data descriptor after it),
                // the parts uploaded as they fill.
                let writer = Writer::streaming_with(parts, write)?;
                snapshot.write_archive(writer)?.finish()?;
                Ok(())
            }),
        }
    }

    /// Deletes the checkpoint of `step`.
    pub(crate) fn delete(&self, name: &str, step: u64) -> Result<()> {
        match self {
            Location::Dir(dir) => {
                let path = dir.join(file_name(name, step));
                match std::fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(Error::from(e).in_file(path)),
                }
            }
            #[cfg(feature = "object-store")]
            Location::Store(store) => store.delete(name, step),
        }
    }

    /// Reads the checkpoint of `step` as `T`.
    pub(crate) fn restore<T: DeserializeOwned>(
        &self,
        step: u64,
        options: &CheckpointOptions,
    ) -> Result<T> {
        match self {
            Location::Dir(dir) => {
                crate::de::from_path_with(dir.join(file_name(&options.name, step)), &options.serde)
            }
            #[cfg(feature = "object-store")]
            Location::Store(store) => store.restore(&options.name, step, &options.serde),
        }
    }
}

/// Removes the temporary files of killed saves of `name`'s checkpoints in `dir`
/// (`.{name}_{step}.npz.XXXXXX.tmp`) that no process holds: a killed save of a step that is
/// never saved again would otherwise leave its file forever.
pub(crate) fn remove_stale_temp_files(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        // `.` + target + `.` + 6 random characters + `.tmp`
        let target = file
            .strip_prefix('.')
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|rest| rest.get(..rest.len().checked_sub(7)?));
        if let Some(target) = target.filter(|target| step_of(name, target).is_some()) {
            crate::write::remove_stale_temp_files(&dir.join(target));
        }
    }
}

/// The steps of the checkpoints of `name` in `dir` (regular files only).
fn list_dir(dir: &Path, name: &str) -> Result<Vec<u64>> {
    let in_dir = |e: std::io::Error| Error::from(e).in_file(dir);
    let mut steps = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(in_dir)? {
        let entry = entry.map_err(in_dir)?;
        let file = entry.file_name();
        let Some(step) = file.to_str().and_then(|file| step_of(name, file)) else {
            continue;
        };
        if entry.file_type().map_err(in_dir)?.is_file() {
            steps.push(step);
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_steps() {
        assert_eq!(file_name("checkpoint", 42), "checkpoint_0000000042.npz");
        assert_eq!(
            file_name("ckpt", u64::MAX),
            format!("ckpt_{}.npz", u64::MAX)
        );
        assert_eq!(step_of("checkpoint", "checkpoint_0000000042.npz"), Some(42));
        assert_eq!(step_of("checkpoint", "checkpoint_7.npz"), Some(7));
        for other in [
            ".checkpoint_0000000042.npz.Ab3xZ9.tmp",
            "checkpoint_.npz",
            "checkpoint_12a.npz",
            "checkpoint_+12.npz",
            "checkpoint_12.npz.tmp",
            "checkpoints_12.npz",
            "other_12.npz",
            "checkpoint_99999999999999999999999.npz",
        ] {
            assert_eq!(step_of("checkpoint", other), None, "{other}");
        }
    }
}
