//! What every command reads with: the `--allow-pickle` setting, the library's read options
//! it gives, and library errors as CLI errors (an object-array refusal names the flag).
//! Below both `input` (local files) and `remote` (URLs), which share it.

use std::sync::OnceLock;

use npy_serde::error::ErrorKind;
use npy_serde::{Error as LibError, ReadOptions};

use crate::error::CliError;

/// `--allow-pickle`, set once by `main` for every command.
static ALLOW_PICKLE: OnceLock<bool> = OnceLock::new();

/// Records `--allow-pickle` (object arrays are read by the library's safe pickle reader,
/// which builds plain values and runs no code).
pub fn set_allow_pickle(allow: bool) {
    let _ = ALLOW_PICKLE.set(allow);
}

/// True when `--allow-pickle` was given.
pub fn allow_pickle() -> bool {
    ALLOW_PICKLE.get().copied().unwrap_or(false)
}

/// The library's read options for this run: its defaults, and `--allow-pickle`.
pub fn read_options() -> ReadOptions {
    ReadOptions::default().with_allow_pickle(allow_pickle())
}

/// A library error as a CLI error (its text names the file and member it knows of). The
/// library's refusal of an object array speaks of its Rust API; here it names the flag.
pub fn lib(e: LibError) -> CliError {
    if matches!(e.kind(), ErrorKind::ObjectArray) {
        let mut place = String::new();
        if let Some(path) = e.path() {
            place.push_str(&format!("{}: ", path.display()));
        }
        if let Some(member) = e.member() {
            place.push_str(&format!("member {member:?}: "));
        }
        return object_refusal(&place);
    }
    CliError::new(e.to_string())
}

/// Object arrays without `--allow-pickle`: what they are and the flag that reads them
/// (with the flag, where a command cannot use them).
pub fn object_refusal(place: &str) -> CliError {
    if allow_pickle() {
        // Read, but this command works on typed data (numbers, bytes) only.
        return CliError::new(format!(
            "{place}an object array (dtype=object: Python objects) cannot be used here: \
             this command reads numbers only"
        ));
    }
    CliError::new(format!(
        "{place}an object array (dtype=object: pickled Python objects), not read by default; \
         pass --allow-pickle to read it with the safe pickle reader (it builds plain values \
         and runs no code)"
    ))
}
