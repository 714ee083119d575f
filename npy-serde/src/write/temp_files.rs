//! The temporary files of atomic saves: each is created beside its target, named
//! `.<target name>.XXXXXX.tmp`, and locked (std's exclusive file lock) for as long as the
//! save has it open; and the ones that killed saves left behind are removed by the next
//! save to the same target.
//!
//! The lock is what tells a save in progress from a dead one: the kernel releases it when
//! the process that holds it exits, however it exits. A temporary file of our naming that
//! can be locked belongs to no live save and is removed; one that cannot is left alone.
//! Leftovers are looked for on Unix only (elsewhere a file cannot be removed while open,
//! so the check and the removal could not be made safe the same way).

use std::io;
use std::path::Path;

/// The random part of tempfile's names: 6 ASCII letters and digits.
const RANDOM_LEN: usize = 6;
/// The suffix of our temporary files.
const SUFFIX: &str = ".tmp";
/// Attempts to create a temporary file that this save, not a concurrent cleanup, holds.
const CREATE_ATTEMPTS: usize = 16;

/// The name prefix of the temporary files for the target named `target_name`.
pub(crate) fn prefix(target_name: &str) -> String {
    format!(".{target_name}.")
}

/// True when `name` is one of our temporary files for the target whose prefix is `prefix`:
/// `prefix`, 6 letters or digits, `.tmp`.
fn is_ours(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|random| {
            random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Creates a temporary file in `dir` with `builder`, holding its lock. A cleanup in
/// another process may open and remove the file between its creation and the lock; then
/// the file is given up and another is created.
pub(crate) fn create_locked(
    builder: &tempfile::Builder<'_, '_>,
    dir: &Path,
) -> io::Result<tempfile::NamedTempFile> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let temp = builder.tempfile_in(dir)?;
        match try_lock(temp.as_file()) {
            // Locked, and the name is still ours: no cleanup can remove it from now on.
            Ok(true) if is_same_file(temp.as_file(), temp.path()) => return Ok(temp),
            // A cleanup holds it (about to remove it) or has removed it: create another.
            Ok(_) if attempts < CREATE_ATTEMPTS => continue,
            Ok(_) => {
                return Err(io::Error::other(
                    "could not create a temporary file that stays ours: something keeps \
                     removing them",
                ))
            }
            // No locks on this file system: saves work, leftovers stay (see the crate docs).
            Err(_) => return Ok(temp),
        }
    }
}

/// Removes the temporary files of our naming in `dir` (those of the target whose prefix is
/// `prefix`) that no process holds. Best effort: what cannot be opened, locked or removed
/// is left.
pub(crate) fn remove_stale(dir: &Path, prefix: &str) {
    #[cfg(unix)]
    {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_str().is_some_and(|name| is_ours(name, prefix)) {
                continue;
            }
            if !entry.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            let path = entry.path();
            let Ok(file) = std::fs::File::open(&path) else {
                continue;
            };
            // Held while removing, so that the check and the removal see the same owner;
            // released when `file` is closed.
            if try_lock(&file).is_ok_and(|locked| locked) && is_same_file(&file, &path) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, prefix);
}

/// Takes the exclusive lock on `file` without waiting: `Ok(false)` when another open file
/// holds it, an error when the file system has no locks.
fn try_lock(file: &std::fs::File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(error)) => Err(error),
    }
}

/// True when `path` names the open `file` (same device and inode).
#[cfg(unix)]
fn is_same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_same_file(_: &std::fs::File, _: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder(prefix: &str) -> tempfile::Builder<'_, 'static> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix).suffix(SUFFIX);
        builder
    }

    #[test]
    fn names_of_our_temporary_files() {
        let prefix = prefix("a.npy");
        assert!(is_ours(".a.npy.Ab3xZ9.tmp", &prefix));
        for other in [
            ".a.npy.Ab3xZ.tmp",
            ".a.npy.Ab3xZ99.tmp",
            ".a.npy.Ab-xZ9.tmp",
            ".a.npy.Ab3xZ9.tmp.x",
            ".b.npy.Ab3xZ9.tmp",
            ".a.npy.x.Ab3xZ9.tmp",
            "a.npy",
        ] {
            assert!(!is_ours(other, &prefix), "{other}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_unheld_temporary_files_of_the_target_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = prefix("a.npy");
        let held = create_locked(&builder(&prefix), dir.path()).unwrap();
        let dead = builder(&prefix).tempfile_in(dir.path()).unwrap();
        let (dead_file, dead_path) = dead.keep().unwrap();
        drop(dead_file);
        let other = create_locked(&builder(".b.npy."), dir.path()).unwrap();
        let (other_file, other_path) = other.keep().unwrap();
        drop(other_file);
        std::fs::write(dir.path().join("a.npy"), b"target").unwrap();

        remove_stale(dir.path(), &prefix);
        assert!(
            held.path().exists(),
            "a save in progress is never disturbed"
        );
        assert!(!dead_path.exists(), "a dead save's file is removed");
        assert!(other_path.exists(), "another target's file is not ours");
        assert!(dir.path().join("a.npy").exists());
        // Once its save is gone (dropped without removal, as a killed process leaves it),
        // the held one goes too.
        let (held_file, held_path) = held.keep().unwrap();
        remove_stale(dir.path(), &prefix);
        assert!(held_path.exists());
        drop(held_file);
        remove_stale(dir.path(), &prefix);
        assert!(!held_path.exists());
    }
}
