//! `.npz` archives: [`NpzWriter`] (`np.savez` / `np.savez_compressed`, byte-identical for
//! stored archives), [`NpzReader`] (lazy, defensive reading), [`NpzUpdate`] (add, replace
//! and remove members of an existing archive), the one-call [`savez`] /
//! [`savez_compressed`], and [`load_any`], which tells `.npy` from `.npz` by magic.
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
pub(crate) mod format;
pub(crate) mod parallel;
mod reader;
mod update;
mod writer;

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

pub use reader::{MemberInfo, NpzReader};
pub use update::NpzUpdate;
pub use writer::{NpzStream, NpzWriter};

use crate::array::NpyArray;
use crate::error::{Error, Result};
use crate::header::Header;
use crate::read::ReadOptions;
use crate::write::{NpyWrite, WriteOptions};

/// How members are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// No compression (`np.savez`); members can be memory-mapped.
    Stored,
    /// Deflate at zlib `level` 0–9 (`np.savez_compressed` uses 6).
    Deflate {
        /// 0 (no compression, deflate framing) to 9 (smallest, slowest); above 9 acts as 9.
        level: u32,
    },
}

impl Compression {
    /// NumPy's `savez_compressed` setting: deflate level 6.
    pub const NUMPY_DEFLATE: Compression = Compression::Deflate { level: 6 };
}

/// How an archive is written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NpzOptions {
    /// Stored (default) or deflated members.
    pub compression: Compression,
    /// How each member's `.npy` is written (byte order, format version).
    pub npy: WriteOptions,
}

impl Default for NpzOptions {
    fn default() -> Self {
        NpzOptions {
            compression: Compression::Stored,
            npy: WriteOptions::default(),
        }
    }
}

impl NpzOptions {
    /// Deflate level 6, as `np.savez_compressed`.
    pub fn compressed() -> Self {
        NpzOptions::default().with_compression(Compression::NUMPY_DEFLATE)
    }

    /// Options with another compression.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Options with other `.npy` write options (byte order, version).
    pub fn with_npy_options(mut self, npy: WriteOptions) -> Self {
        self.npy = npy;
        self
    }
}

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

/// An array of any type as a trait object, so arrays of different types can be passed
/// together to [`savez`]. Implemented for everything that is [`NpyWrite`]; not to be
/// implemented directly.
pub trait NpyWriteDyn {
    /// [`NpyWrite::header`].
    fn dyn_header(&self, options: &WriteOptions) -> Result<Header>;
    /// [`NpyWrite::write_data`] into a `dyn Write`.
    fn dyn_write_data(&self, header: &Header, writer: &mut dyn Write) -> Result<()>;
}

impl<A: NpyWrite + ?Sized> NpyWriteDyn for A {
    fn dyn_header(&self, options: &WriteOptions) -> Result<Header> {
        self.header(options)
    }

    fn dyn_write_data(&self, header: &Header, mut writer: &mut dyn Write) -> Result<()> {
        self.write_data(header, &mut writer)
    }
}

impl NpyWrite for dyn NpyWriteDyn + '_ {
    fn header(&self, options: &WriteOptions) -> Result<Header> {
        self.dyn_header(options)
    }

    fn write_data<W: Write>(&self, header: &Header, writer: &mut W) -> Result<()> {
        self.dyn_write_data(header, writer)
    }
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
/// let mut archive = npy_serde::npz::NpzReader::open(dir.path().join("data.npz"))?;
/// assert_eq!(archive.names(), ["features", "labels"]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn savez<P: AsRef<Path>>(path: P, arrays: &[(&str, &dyn NpyWriteDyn)]) -> Result<()> {
    save_all(NpzWriter::create(path)?, arrays)
}

/// [`savez`] with deflated members: `np.savez_compressed(path, **arrays)`.
pub fn savez_compressed<P: AsRef<Path>>(
    path: P,
    arrays: &[(&str, &dyn NpyWriteDyn)],
) -> Result<()> {
    save_all(NpzWriter::create_compressed(path)?, arrays)
}

fn save_all(mut writer: NpzWriter<File>, arrays: &[(&str, &dyn NpyWriteDyn)]) -> Result<()> {
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

/// What [`load_any`] found.
#[derive(Debug)]
pub enum Loaded {
    /// A `.npy` file, loaded.
    Array(NpyArray),
    /// A `.npz` archive, opened (members are read on demand).
    Archive(NpzReader<File>),
}

impl<R: Read + Seek> std::fmt::Debug for NpzReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpzReader")
            .field("path", &self.path())
            .field("members", &self.names())
            .finish_non_exhaustive()
    }
}

/// Opens `path` as NumPy's `np.load` does, by its first bytes: `\x93NUMPY` is loaded as an
/// [`NpyArray`], `PK\x03\x04` / `PK\x05\x06` opened as an archive, anything else refused
/// (NumPy would try it as a pickle, which can run code: never done here).
///
/// ```
/// use npy_serde::npz::{load_any, Loaded};
/// # let dir = tempfile::tempdir()?;
/// npy_serde::save(dir.path().join("a.npy"), &vec![1i16, 2])?;
/// npy_serde::npz::savez(dir.path().join("b.npz"), &[("x", &vec![1.0f32])])?;
/// assert!(matches!(load_any(dir.path().join("a.npy"))?, Loaded::Array(_)));
/// match load_any(dir.path().join("b.npz"))? {
///     Loaded::Archive(archive) => assert_eq!(archive.names(), ["x"]),
///     Loaded::Array(_) => unreachable!(),
/// }
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn load_any<P: AsRef<Path>>(path: P) -> Result<Loaded> {
    load_any_with(path, ReadOptions::default())
}

/// [`load_any`] with read options.
pub fn load_any_with<P: AsRef<Path>>(path: P, options: ReadOptions) -> Result<Loaded> {
    let path = path.as_ref();
    let mut magic = [0u8; 6];
    let got = File::open(path)
        .map_err(Error::from)
        .and_then(|mut file| crate::header::read_up_to(&mut file, &mut magic))
        .map_err(|e| e.in_file(path))?;
    let magic = &magic[..got];
    if magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06") {
        return NpzReader::open_with(path, options).map(Loaded::Archive);
    }
    if magic == crate::header::MAGIC {
        return crate::read::load_with(path, &options).map(Loaded::Array);
    }
    if magic.first() == Some(&0x80) && options.allow_pickle {
        // np.load's last resort: a bare pickle (pickle.dump of an array), read safely.
        return crate::pickle::load_pickled_array(path, &options).map(Loaded::Array);
    }
    let message = if magic.first() == Some(&0x80) {
        "this is a Python pickle (np.save of an object array, or pickle.dump), which can run \
         arbitrary code when loaded: refused"
            .to_string()
    } else {
        format!(
            "neither .npy (\\x93NUMPY) nor .npz (PK\\x03\\x04 or PK\\x05\\x06): the file starts \
             with \"{}\"; NumPy would try it as a pickle, which is refused here",
            crate::error::escape_bytes(magic)
        )
    };
    Err(Error::invalid_data(message).in_file(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// `np.savez(f, a=np.arange(3, dtype='<i8'))`: sha256 from NPY_FORMAT.md H.3.
    #[test]
    fn stored_archive_matches_numpy_reference_sha256() {
        let mut writer = NpzWriter::new(Cursor::new(Vec::new()));
        writer.add("a", &vec![0i64, 1, 2]).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        assert_eq!(bytes.len(), 280);
        assert_eq!(
            sha256_hex(&bytes),
            "cd0db88c81f91fa56b49b4e93fc97eb5266ecd006b1b3882e9f9aeb37d6b4aee"
        );
        let empty = NpzWriter::new(Cursor::new(Vec::new()))
            .finish()
            .unwrap()
            .into_inner();
        assert_eq!(empty, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn names_follow_numpy() {
        assert_eq!(member_name("a/b").unwrap(), "a/b.npy");
        assert_eq!(member_name("x.npy").unwrap(), "x.npy.npy");
        assert!(member_name("a\0b").is_err());
        assert_eq!(strip_npy("x.npy.npy"), "x.npy");
        let mut writer = NpzWriter::new(Cursor::new(Vec::new()));
        writer.add("arr_0", &vec![1u8]).unwrap();
        let err = writer.add_positional(&vec![2u8]).unwrap_err();
        assert!(err.to_string().contains("duplicate"), "{err}");
        // The failed add left the writer usable.
        writer.add("b", &vec![3u8]).unwrap();
        let mut reader = NpzReader::new(writer.finish().unwrap()).unwrap();
        assert_eq!(reader.names(), ["arr_0", "b"]);
        assert_eq!(reader.read::<Vec<u8>>("b.npy").unwrap(), [3]);
    }

    #[test]
    fn compressed_round_trip_across_chunks_and_members() {
        let big: Vec<f64> = (0..600_000).map(|i| (i % 1000) as f64).collect();
        let mut writer = NpzWriter::new_compressed(Cursor::new(Vec::new()));
        for i in 0..5 {
            writer.add(&format!("m{i}"), &big).unwrap();
            writer.add(&format!("s{i}"), &vec![i]).unwrap();
        }
        let archive = writer.finish().unwrap();
        let size = archive.get_ref().len();
        assert!(size < big.len() * 8, "compressed: {size}");
        let mut reader = NpzReader::new(archive).unwrap();
        for i in 0..5 {
            assert!(reader.read::<Vec<f64>>(&format!("m{i}")).unwrap() == big);
            assert_eq!(reader.read::<Vec<i32>>(&format!("s{i}")).unwrap(), [i]);
        }
        assert!(reader.stored_member_range("m0").is_err());
    }

    #[test]
    fn stored_member_range_points_at_the_npy_bytes() {
        let mut prefixed = Cursor::new(b"prefix".to_vec());
        prefixed.set_position(6);
        let mut writer = NpzWriter::new(prefixed);
        writer.add("x", &vec![1u16, 2, 3]).unwrap();
        let archive = writer.finish().unwrap().into_inner();
        let mut reader = NpzReader::new(Cursor::new(archive.clone())).unwrap();
        let range = reader.stored_member_range("x").unwrap();
        let npy = &archive[range.start as usize..range.end as usize];
        assert_eq!(npy, crate::to_bytes(&vec![1u16, 2, 3]).unwrap());
    }

    /// A dependency-free SHA-256, for checking reference archives without Python.
    fn sha256_hex(data: &[u8]) -> String {
        const K: [u32; 64] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
            0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
            0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
            0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
            0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
            0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
            0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
            0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2,
        ];
        let mut h: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut message = data.to_vec();
        message.push(0x80);
        while message.len() % 64 != 56 {
            message.push(0);
        }
        message.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
        for block in message.chunks(64) {
            let mut w = [0u32; 64];
            for (i, word) in block.chunks(4).enumerate() {
                w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let mut v = h;
            for i in 0..64 {
                let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
                let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
                let t1 = v[7]
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(K[i])
                    .wrapping_add(w[i]);
                let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
                let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
                let t2 = s0.wrapping_add(maj);
                v = [
                    t1.wrapping_add(t2),
                    v[0],
                    v[1],
                    v[2],
                    v[3].wrapping_add(t1),
                    v[4],
                    v[5],
                    v[6],
                ];
            }
            for (state, value) in h.iter_mut().zip(v) {
                *state = state.wrapping_add(value);
            }
        }
        h.iter().map(|word| format!("{word:08x}")).collect()
    }
}
