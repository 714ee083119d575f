//! The options model: [`ReadOptions`] (limits on untrusted input, object arrays) and
//! [`WriteOptions`] (byte order, format version, compression). Every reader and writer
//! takes one of them by reference through its `_with` entry point, and the serde format's
//! [`SerdeOptions`](crate::SerdeOptions) is made of one of each. A setting that a call
//! cannot apply is an error, never silently ignored.

use crate::dtype::Endian;
use crate::errors::{Error, Result};
use crate::header::{Version, ARRAY_ALIGN, DEFAULT_MAX_HEADER_SIZE};

/// The largest member alignment asked for (a page).
const MAX_ALIGNMENT: usize = 4096;
use crate::pickle::PickleEncoding;

/// How files are read: the limits that guard against untrusted input (listed together in
/// the crate docs' [Limits](crate#limits)) and whether object arrays are read.
///
/// ```
/// use npy_serde::ReadOptions;
///
/// let trusted = ReadOptions::default()
///     .with_max_header_size(1 << 20)
///     .with_allow_pickle(true);
/// assert!(trusted.allow_pickle);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Longest header text accepted, in characters (NumPy's `max_header_size`, default
    /// [`DEFAULT_MAX_HEADER_SIZE`](Self::DEFAULT_MAX_HEADER_SIZE)). Raise it only for
    /// trusted files: NumPy writes larger headers only for dtypes with thousands of fields.
    pub max_header_size: usize,
    /// Read object arrays (`|O`) with the safe pickle reader ([`pickle`](crate::pickle)),
    /// which runs no code and builds only allow-listed types (default `false`, as NumPy's
    /// `allow_pickle`).
    pub allow_pickle: bool,
    /// How Python 2 strings in object arrays are read (NumPy's `encoding`, default ASCII).
    pub pickle_encoding: PickleEncoding,
    /// Largest size a deflated `.npz` member may declare for its inflated bytes (default
    /// [`DEFAULT_MAX_INFLATED_SIZE`](Self::DEFAULT_MAX_INFLATED_SIZE), 1 GiB): deflate
    /// expands up to 1032 to 1, so without it a 1 MB archive could make a reader inflate a
    /// gigabyte. Stored members and `.npy` files are bounded by their own bytes and are not
    /// limited. `u64::MAX` lifts it.
    pub max_inflated_size: u64,
}

impl ReadOptions {
    /// NumPy's default `max_header_size`: 10000 characters.
    pub const DEFAULT_MAX_HEADER_SIZE: usize = DEFAULT_MAX_HEADER_SIZE;

    /// The default inflated-size limit of a deflated member: 1 GiB.
    pub const DEFAULT_MAX_INFLATED_SIZE: u64 = 1 << 30;

    /// Options with another header size limit.
    pub fn with_max_header_size(mut self, max_header_size: usize) -> Self {
        self.max_header_size = max_header_size;
        self
    }

    /// Options that read (`true`) or refuse object arrays.
    pub fn with_allow_pickle(mut self, allow_pickle: bool) -> Self {
        self.allow_pickle = allow_pickle;
        self
    }

    /// Options that read Python 2 strings in object arrays as `encoding` says.
    pub fn with_pickle_encoding(mut self, encoding: PickleEncoding) -> Self {
        self.pickle_encoding = encoding;
        self
    }

    /// Options with another limit on the inflated size of a deflated `.npz` member.
    pub fn with_max_inflated_size(mut self, max_inflated_size: u64) -> Self {
        self.max_inflated_size = max_inflated_size;
        self
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_header_size: Self::DEFAULT_MAX_HEADER_SIZE,
            allow_pickle: false,
            pickle_encoding: PickleEncoding::default(),
            max_inflated_size: Self::DEFAULT_MAX_INFLATED_SIZE,
        }
    }
}

/// How `.npz` members are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// No compression (`np.savez`, the default); members can be memory-mapped.
    #[default]
    Stored,
    /// Deflate at zlib `level` 0–9 (`np.savez_compressed` uses 6), on every core.
    Deflate {
        /// 0 (no compression, deflate framing) to 9 (smallest, slowest); above 9 acts as 9.
        level: u32,
    },
}

impl Compression {
    /// NumPy's `savez_compressed` setting: deflate level 6.
    pub const NUMPY_DEFLATE: Compression = Compression::Deflate { level: 6 };
}

/// How arrays and archives are written.
///
/// ```
/// use npy_serde::npz::Compression;
/// use npy_serde::WriteOptions;
///
/// let options = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
/// assert_eq!(options.compression, Compression::Deflate { level: 6 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// Byte order of the data. `None` (the default) writes typed arrays in the machine's
    /// order, as NumPy does, and an [`NpyArray`](crate::NpyArray) in the order it holds;
    /// `Some(Endian::Big)` writes `>` dtypes on any machine.
    pub endian: Option<Endian>,
    /// The format version; `None` chooses as NumPy does (1.0, else 2.0, else 3.0).
    pub version: Option<Version>,
    /// How archive members are compressed ([`Compression::Stored`] by default). A `.npy`
    /// file cannot be compressed: asking for it there is an error.
    pub compression: Compression,
    /// Where each stored archive member's array data starts in the file: at a multiple of
    /// this many bytes (a power of two up to 4096), so that a map of the archive lends
    /// typed views of it without a copy ([`mmap::MappedNpy::open_npz_member`]). The local
    /// header of each member gets a padding extra field (as Android's `zipalign` pads
    /// them), which NumPy and `zipfile` skip. `None` (the default) writes NumPy's exact
    /// bytes. Deflated members cannot be mapped, so asking for both is an error; a `.npy`
    /// file's data is already 64-byte aligned (any divisor of 64 is accepted there).
    ///
    /// [`mmap::MappedNpy::open_npz_member`]: crate::mmap::MappedNpy::open_npz_member
    pub alignment: Option<usize>,
    /// Whether a save to a path is flushed to disk before it returns (`fsync` of the file
    /// and of its directory; default `true`). Either way the save is atomic for other
    /// processes (a temporary file renamed over the target), and a process killed during
    /// it leaves the old file. With `false`, as with `np.save`, a power loss or an
    /// operating-system crash soon after may lose the save: the faster choice for files
    /// that can be made again.
    pub sync: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            endian: None,
            version: None,
            compression: Compression::Stored,
            alignment: None,
            sync: true,
        }
    }
}

impl WriteOptions {
    /// Options with the data in `endian` byte order.
    pub fn with_endian(mut self, endian: Endian) -> Self {
        self.endian = Some(endian);
        self
    }

    /// Options with a fixed format version.
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = Some(version);
        self
    }

    /// Options with another compression of archive members.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Options that start each stored member's array data at a multiple of `bytes` in the
    /// file (see [`alignment`](Self::alignment)).
    pub fn with_alignment(mut self, bytes: usize) -> Self {
        self.alignment = Some(bytes);
        self
    }

    /// Options that flush saves to disk before returning (`true`, the default) or leave it
    /// to the operating system (`false`, as `np.save` does).
    pub fn with_sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// The byte order typed arrays are written in.
    pub(crate) fn endian_or_native(&self) -> Endian {
        self.endian.unwrap_or(Endian::NATIVE)
    }

    /// The options an archive's member is written with: the archive's, less what only
    /// the archive applies (compression).
    pub(crate) fn for_member(&self) -> WriteOptions {
        WriteOptions {
            compression: Compression::Stored,
            alignment: None,
            ..self.clone()
        }
    }

    /// Refuses settings that only archives have, for a write of one `.npy`.
    pub(crate) fn check_npy(&self) -> Result<()> {
        if self.compression != Compression::Stored {
            return Err(Error::unwritable(
                "a .npy file cannot be compressed (compression is an .npz archive setting): \
                 write an archive with npz::savez_compressed or npz::Writer, or leave \
                 WriteOptions::compression at Stored",
            ));
        }
        if let Some(alignment) = self.alignment {
            if alignment == 0 || !ARRAY_ALIGN.is_multiple_of(alignment) {
                return Err(Error::unwritable(format!(
                    "a .npy file's data starts at a multiple of {ARRAY_ALIGN} bytes; an \
                     alignment of {alignment} applies only to archive members"
                )));
            }
        }
        Ok(())
    }

    /// Refuses settings an archive cannot honour together: alignment is for stored members
    /// (the ones a map can lend), and must be a power of two up to 4096.
    pub(crate) fn check_npz(&self) -> Result<()> {
        let Some(alignment) = self.alignment else {
            return Ok(());
        };
        if !alignment.is_power_of_two() || alignment > MAX_ALIGNMENT {
            return Err(Error::unwritable(format!(
                "member alignment {alignment} is not a power of two up to {MAX_ALIGNMENT}"
            )));
        }
        if self.compression != Compression::Stored {
            return Err(Error::unwritable(
                "member alignment is for stored members (they can be mapped); deflated ones \
                 cannot be mapped: choose one of alignment and compression",
            ));
        }
        Ok(())
    }
}
