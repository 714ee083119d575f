//! `.npz` archives: [`Writer`] (`np.savez` / `np.savez_compressed`, byte-identical for
//! stored archives), [`Reader`] (lazy, defensive reading), [`Update`] (add, replace and
//! remove members of an existing archive), the one-call [`savez`] / [`savez_compressed`],
//! and [`open_any`], which opens a `.npy` or an `.npz` by what its first bytes are
//! ([`FileKind`]).
//!
//! ```
//! use npy_serde::npz;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("data.npz");
//!
//! let features = ndarray::array![[0.5f32, 1.5], [2.5, 3.5]];
//! let labels = vec![1i64, 0];
//! npz::savez(&path, &[("features", &features), ("labels", &labels)])?;
//!
//! let mut archive = npz::Reader::open(&path)?;
//! assert_eq!(archive.names(), ["features", "labels"]);
//! let labels_back: Vec<i64> = archive.read("labels")?;
//! assert_eq!(labels_back, labels);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Why this module writes and reads zip records itself
//!
//! Deflate is zlib-rs through flate2, the backend the `zip` crate uses. The zip records
//! themselves (a few hundred lines in `npz/format.rs`) are this module's own, because the
//! `zip` crate (9.4) cannot produce or expose what `.npz` needs:
//! - byte identity with `np.savez`: the crate writes 0xFFFFFFFF sizes plus a zip64 extra in
//!   the central directory and external attributes 0x81800000 where Python writes real
//!   sizes, no extra and 0x01800000; the archive bytes then differ (measured: the H.3
//!   reference archive's sha256 is only reproduced by this writer);
//! - parallel compression: members are deflated as independent chunks on several threads
//!   and the chunks concatenated (pigz style); the crate has no way to write deflate data
//!   compressed elsewhere with a CRC combined from the chunks';
//! - update without recompression: unchanged members are copied as raw local records and
//!   their central directory records written back with only the offset changed, which
//!   needs the raw records the crate does not expose;
//! - defence: overlapping members are detected from the directory alone, inflation stops at
//!   the declared size, and every error names the member.
//!
//! # Naming
//!
//! Member `name` is stored as `name + ".npy"`, as NumPy does, with no cleaning: `/` is
//! kept (`"a/b"` is `a/b.npy`), `"x.npy"` becomes `x.npy.npy`. Positional arrays are
//! `arr_0`, `arr_1`, …. Duplicates and NUL characters are refused before anything is
//! written. Reading strips one `.npy` and looks names up with or without it.

mod deflate;
mod directory;
pub(crate) mod format;
mod inflate;
mod many;
mod member;
mod reader;
mod update;
mod writer;

use std::fs::File;
use std::io::Read;
use std::path::Path;

pub use crate::magic::FileKind;
pub use crate::options::Compression;
pub use reader::{MemberInfo, Reader};
pub use update::Update;
pub use writer::{Stream, Writer};

use crate::array::NpyArray;
use crate::buffer::read_up_to;
use crate::errors::{escape_bytes, Error, ErrorKind, Result};
use crate::magic::SNIFF_LEN;
use crate::options::{ReadOptions, WriteOptions};
use crate::write::NpyWriteDyn;

/// The member name for array `name`: `name + ".npy"`; NUL and over-long names refused.
pub(crate) fn member_name(name: &str) -> Result<String> {
    if name.contains('\0') {
        return Err(Error::unwritable(format!(
            "member name {name:?} contains a NUL character, which zip names cannot hold"
        )));
    }
    let member = format!("{name}.npy");
    if member.len() > usize::from(u16::MAX) {
        return Err(Error::unwritable(format!(
            "member name of {} bytes is longer than zip allows (65535)",
            member.len()
        )));
    }
    Ok(member)
}

/// `name` without one trailing `.npy` (NumPy's `NpzFile.files`).
pub(crate) fn strip_npy(name: &str) -> &str {
    name.strip_suffix(".npy").unwrap_or(name)
}

/// Saves named arrays of any types to a stored archive at `path` (`.npz` appended when the
/// name has no extension), atomically: `np.savez(path, **arrays)`, byte for byte.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("data");
/// let features = ndarray::array![[0.5f32, 1.5], [2.5, 3.5]];
/// let labels = vec![0u8, 1];
/// npy_serde::npz::savez(&path, &[("features", &features), ("labels", &labels)])?;
///
/// let archive = npy_serde::npz::Reader::open(dir.path().join("data.npz"))?;
/// assert_eq!(archive.names(), ["features", "labels"]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn savez<P: AsRef<Path>>(path: P, arrays: &[(&str, &dyn NpyWriteDyn)]) -> Result<()> {
    save_all(Writer::create(path)?, arrays)
}

/// [`savez`] with deflated members: `np.savez_compressed(path, **arrays)`, on every core.
/// (Any other compression: [`Writer::create_with`].)
pub fn savez_compressed<P: AsRef<Path>>(
    path: P,
    arrays: &[(&str, &dyn NpyWriteDyn)],
) -> Result<()> {
    let options = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    save_all(Writer::create_with(path, &options)?, arrays)
}

fn save_all(mut writer: Writer<File>, arrays: &[(&str, &dyn NpyWriteDyn)]) -> Result<()> {
    let target = writer.target_path().map(Path::to_path_buf);
    let result = (|| {
        // Duplicates are refused before anything is written, as np.savez does.
        let mut seen = std::collections::HashSet::new();
        for (name, _) in arrays {
            if !seen.insert(*name) {
                return Err(Error::unwritable(format!("duplicate member name {name:?}")));
            }
            member_name(name)?;
        }
        for (name, array) in arrays {
            writer.add(name, *array)?;
        }
        Ok(())
    })();
    match (result, target) {
        (Ok(()), _) => writer.finish().map(drop),
        (Err(e), Some(path)) => Err(e.in_file(path)),
        (Err(e), None) => Err(e),
    }
}

/// What [`open_any`] found.
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyFile {
    /// A `.npy` file, loaded (or, with `allow_pickle`, a bare pickle of a NumPy array).
    Npy(NpyArray),
    /// A `.npz` archive, opened (members are read on demand).
    Npz(Reader<File>),
}

impl<R: Read + std::io::Seek> std::fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.path())
            .field("members", &self.names())
            .finish_non_exhaustive()
    }
}

/// Opens `path` as NumPy's `np.load` does, by its first bytes ([`FileKind::sniff`]):
/// `\x93NUMPY` is loaded as an [`NpyArray`], `PK\x03\x04` / `PK\x05\x06` opened as an
/// archive, anything else refused (NumPy would try it as a pickle, which can run code: here
/// only the safe pickle reader may, with [`ReadOptions::with_allow_pickle`]).
///
/// ```
/// use npy_serde::npz::{self, AnyFile};
/// # let dir = tempfile::tempdir()?;
/// npy_serde::npy::save(dir.path().join("a.npy"), &vec![1i16, 2])?;
/// npz::savez(dir.path().join("b.npz"), &[("x", &vec![1.0f32])])?;
/// assert!(matches!(npz::open_any(dir.path().join("a.npy"))?, AnyFile::Npy(_)));
/// match npz::open_any(dir.path().join("b.npz"))? {
///     AnyFile::Npz(archive) => assert_eq!(archive.names(), ["x"]),
///     _ => unreachable!(),
/// }
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn open_any<P: AsRef<Path>>(path: P) -> Result<AnyFile> {
    open_any_with(path, &ReadOptions::default())
}

/// [`open_any`] with read options (limits, object arrays, bare pickles).
pub fn open_any_with<P: AsRef<Path>>(path: P, options: &ReadOptions) -> Result<AnyFile> {
    let path = path.as_ref();
    let mut magic = [0u8; SNIFF_LEN];
    let got = File::open(path)
        .map_err(Error::from)
        .and_then(|mut file| Ok(read_up_to(&mut file, &mut magic)?))
        .map_err(|e| e.in_file(path))?;
    let magic = &magic[..got];
    match FileKind::sniff(magic) {
        Some(FileKind::Npz) => Reader::open_with(path, options).map(AnyFile::Npz),
        Some(FileKind::Npy) => crate::read::load_with(path, options).map(AnyFile::Npy),
        // np.load's last resort: a bare pickle (pickle.dump of an array), read safely.
        Some(FileKind::Pickle) => crate::read::load_pickled_array(path, options)
            .and_then(|array| NpyArray::try_from(array).map_err(|e| e.in_file(path)))
            .map(AnyFile::Npy),
        None => Err(Error::from(ErrorKind::BadMagic {
            found: escape_bytes(magic),
        })
        .in_file(path)),
    }
}

#[cfg(test)]
mod tests;
