//! NumPy `.npy` and `.npz` files in Rust: typed and dynamic arrays, npz archives, a serde
//! data format that maps a struct of arrays to an archive, record dtypes through a derive,
//! and memory-mapped arrays.
//!
//! NumPy is the reference: every file NumPy writes loads (object arrays with
//! [`ReadOptions::allow_pickle`], as with NumPy's `allow_pickle=True`), and every file written here loads in NumPy, byte-identical
//! to `np.save` / `np.savez` where NumPy is deterministic (not compressed archives). The
//! tests check this against real NumPy in both directions.
//!
//! # By task
//!
//! | I want to… | use |
//! |---|---|
//! | [save an array](#save-and-load-arrays) | [`save`], [`save_with`], [`write_npy`], [`to_bytes`] |
//! | [load an array](#save-and-load-arrays) | [`load`], [`load_with`], [`read_npy`], [`from_bytes`] |
//! | look at a header without the data | [`inspect`], [`header::read_header`] |
//! | load a file whose dtype I don't know | [`NpyArray`] |
//! | [save or load several arrays (`.npz`)](#npz-archives) | [`npz::savez`], [`NpzWriter`], [`NpzReader`], [`NpzUpdate`], [`load_any`] |
//! | [save a struct of arrays (serde)](#serde-a-struct-of-arrays-as-an-npz) | [`to_path`], [`from_path`], [`Bulk`], [`SerdeOptions`] |
//! | serde in memory, on streams, or driven by hand | [`to_npz_vec`], [`from_npz_slice`], [`to_npz_writer`], [`from_npz_reader`], [`Serializer`], [`Deserializer`] |
//! | know which Rust type reads which dtype | [the conversion table](convert#the-table) |
//! | [use NumPy record arrays (`derive`)](#record-dtypes-derive) | `#[derive(NpyElement)]`, [`record`] |
//! | read or write object arrays (`dtype=object`) safely | [`pickle`], [`ObjectArray`], [`ReadOptions::with_allow_pickle`] |
//! | [work with arrays bigger than memory](#memory-mapped-and-chunked-arrays) | [`MappedNpy`], [`MappedNpyMut`], [`NpyRowReader`], [`NpyAppender`], [`write::NpyStreamWriter`] |
//! | read `.npy` / `.npz` lazily from S3, GCS, Azure or HTTP, or write them there (feature `object-store`) | `remote::RemoteNpz`, `remote::RemoteNpy`, `remote::blocking::from_url`, `remote::blocking::to_url` (the `remote` module) |
//! | look into, compare or convert files from the shell | the `npy` command (`npy-cli/`: `ls`, `show`, `stats`, `diff`, `convert`, `verify`, `hist`; see the README's "Command line" section) |
//!
//! This crate speaks ndarray 0.17 and re-exports it ([`ndarray`], with [`half`] and
//! [`num_complex`]), so `use npy_serde::ndarray;` needs no version pinned by hand.
//!
//! Module map: [`dtype`] (the dtype model), [`convert`] (which Rust type reads which
//! dtype), [`header`] (the `.npy` header), [`element`]
//! (Rust element types), [`read`] / [`write`](mod@write) (`.npy` I/O), [`array`](mod@array) (dynamic arrays),
//! [`npz`] (archives), [`ser`] / [`de`] (serde), [`record`] (derive runtime), [`mmap`] /
//! [`chunked`] (large arrays), [`pickle`] (object arrays), `remote` (object storage,
//! feature `object-store`), [`error`].
//!
//! # Save and load arrays
//!
//! `Vec<T>`, slices, [`Shaped`] slices and ndarray arrays of any dimension and layout save;
//! `Vec<T>` (any shape, C order), `Array<T, D>` and [`NpyArray`] load. Element types:
//! `bool`, `i8`–`i64`, `u8`–`u64`, `f16`, `f32`, `f64`, `Complex<f32/f64>`, `String`
//! (`U`), `Vec<u8>` (`S`), [`FixedUnicode`], [`FixedBytes`], [`DateTime64`],
//! [`TimeDelta64`], `[T; N]`, and derived records. A file's own dtype loads in either byte
//! order, as do lossless widenings (`<i4` into `i64`); narrowing is an error naming both
//! dtypes and the Rust type that would load the file. One table decides, for typed loads,
//! [`NpyArray::to_array`], records and serde alike: [`convert`](convert#the-table).
//!
//! ```
//! use ndarray::{array, Array2};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("matrix.npy");
//!
//! let matrix = array![[1.0f64, 2.0], [3.0, 4.0]];
//! npy_serde::save(&path, &matrix)?; // atomic: temp file + rename
//! let back: Array2<f64> = npy_serde::load(&path)?;
//! assert_eq!(back, matrix);
//!
//! let info = npy_serde::inspect(&path)?;
//! assert_eq!(info.header.dtype.to_string(), "'<f8'");
//!
//! // Any dtype, known only at run time, saved back byte for byte.
//! let any: npy_serde::NpyArray = npy_serde::load(&path)?;
//! assert_eq!(any.shape(), [2, 2]);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # npz archives
//!
//! [`npz::savez`] writes several arrays in one call, byte-identical to `np.savez`;
//! [`npz::savez_compressed`] deflates on every core. [`NpzWriter`] adds members one by
//! one (or streams one in chunks), [`NpzReader`] reads them lazily by name, and
//! [`NpzUpdate`] adds, replaces and removes members of an existing archive, copying the
//! others raw, which NumPy cannot do.
//!
//! ```
//! use npy_serde::{npz, NpzReader};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("data.npz");
//!
//! let features = ndarray::array![[0.5f32, 1.5], [2.5, 3.5]];
//! let labels = vec![1i64, 0];
//! npz::savez(&path, &[("features", &features), ("labels", &labels)])?;
//!
//! let mut archive = NpzReader::open(&path)?;
//! assert_eq!(archive.names(), ["features", "labels"]);
//! let labels_back: Vec<i64> = archive.read("labels")?;
//! assert_eq!(labels_back, labels);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # serde: a struct of arrays as an npz
//!
//! Derive `Serialize` / `Deserialize` and each field becomes one `.npy` member that
//! `np.load` sees by name; nested structs and maps become `/`-joined paths
//! (`encoder/layer0/weight`), a `Vec` of layers becomes `layers/0/…`, `layers/1/…`. The
//! full mapping is a table in [`ser`]. A value that saves loads back equal (except plain
//! ndarray fields in a flattened struct, see [Limitations](#limitations)), and an
//! archive edited in NumPy (`d = dict(np.load(f)); d["epoch"] = 4; np.savez(f, **d)`)
//! loads too: 0-d members convert by value. Object members (pandas' string columns, ragged
//! lists) load into `Vec<String>`, `Vec<Option<String>>`, `Vec<Vec<f64>>` or
//! `Vec<ArrayD<T>>` with [`SerdeOptions::with_allow_pickle`], through the safe pickle
//! reader. Plain ndarray fields work as they are;
//! [`Bulk`] (or [`serde_array`] on a field) moves big arrays' bytes in one piece.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("checkpoint.npz");
//!
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct Checkpoint {
//!     epoch: u32,
//!     weights: npy_serde::Bulk<ndarray::Array2<f32>>,
//!     losses: Vec<f64>,
//! }
//!
//! let weights = npy_serde::Bulk(ndarray::Array2::ones((2, 3)));
//! let checkpoint = Checkpoint { epoch: 3, weights, losses: vec![0.5, 0.25] };
//! npy_serde::to_path(&path, &checkpoint)?; // members epoch, weights, losses
//! let resumed: Checkpoint = npy_serde::from_path(&path)?;
//! assert_eq!(resumed, checkpoint);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Record dtypes (derive)
//!
//! With the `derive` feature, `#[derive(NpyElement)]` makes a struct the element type of a
//! NumPy structured array. Fields are matched by name when reading, so files with other
//! field orders, extra fields, padding or the other byte order load; `#[repr(C)]` plus
//! `#[npy(pod)]` structs whose layout equals the file's load with one bulk copy and map
//! without any. See [`record`] for the layout rules.
//!
//! ```
//! # #[cfg(feature = "derive")] {
//! use npy_serde::{FixedUnicode, NpyElement};
//!
//! #[derive(NpyElement, Clone, Debug, PartialEq)]
//! struct Particle {
//!     id: u32,
//!     kind: FixedUnicode<8>,
//!     mass: f64,
//!     pos: [f32; 3],
//! }
//!
//! let table = vec![Particle { id: 1, kind: FixedUnicode::new("proton")?, mass: 1.0, pos: [0.0; 3] }];
//! let bytes = npy_serde::to_bytes(&table)?;
//! let header = npy_serde::header::read_header(&mut &bytes[..], 10_000)?.header;
//! assert_eq!(
//!     header.dtype.to_string(),
//!     "[('id', '<u4'), ('kind', '<U8'), ('mass', '<f8'), ('pos', '<f4', (3,))]"
//! );
//! let back: Vec<Particle> = npy_serde::from_bytes(&bytes)?;
//! assert_eq!(back, table);
//! # }
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Memory-mapped and chunked arrays
//!
//! [`MappedNpy`] maps a `.npy` (or a stored `.npz` member, which NumPy cannot map) and
//! lends ndarray views of it with no copy; [`MappedNpyMut`] is NumPy's `r+`, `c` and `w+`
//! (create a file larger than memory and fill it in place). Without mapping,
//! [`NpyRowReader`] reads a row range with one seek and one read, [`NpyAppender`] grows a
//! file in place (NumPy ≥ 1.24's header growth padding), and [`write::NpyStreamWriter`] /
//! [`chunked::save_chunks`] write an array from chunks.
//!
//! ```
//! use ndarray::ArrayView2;
//! use npy_serde::MappedNpy;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("big.npy");
//! # npy_serde::save(&path, &ndarray::Array2::<f32>::zeros((100, 8)))?;
//!
//! // SAFETY: nothing changes or truncates the file while it is mapped.
//! let map = unsafe { MappedNpy::open(&path)? };
//! let rows: ArrayView2<f32> = map.rows(10..20)?;
//! assert_eq!(rows.shape(), [10, 8]);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Safety of untrusted files
//!
//! Headers are parsed by a small Python-literal parser that never evaluates anything, with
//! NumPy's `max_header_size` (10000 characters by default) checked before the header is
//! read and a nesting limit. Shapes are multiplied with overflow checks, and memory is only
//! allocated for bytes that are really there: a 200-byte file declaring 10^11 elements fails
//! with [`ErrorKind::Truncated`]. Archives are checked (CRC, sizes, overlaps) and
//! inflation stops at the size the member's header declares. Object arrays (`|O`,
//! pickles) are refused unless [`ReadOptions::allow_pickle`] is set, and then read by a
//! restricted pickle reader ([`pickle`]) that imports and calls nothing: it builds NumPy
//! arrays, dtypes and scalars and builtin values from an allow-list, refuses any other
//! global by name, and bounds lengths, nesting and shared references by the bytes present.
//! Every error is an [`Error`] naming what is wrong and where; none panics. Saves to a
//! path are atomic (temporary file in the same directory, fsync, rename; see
//! [What a crash leaves](#what-a-crash-leaves)). The limits are listed in [Limits](#limits).
//!
//! # Limits
//!
//! Every limit on untrusted input, in one place. The work and memory of any read are
//! bounded by the bytes present, whatever a header declares; these bound the rest.
//!
//! | limit | default | set with | why |
//! |---|---|---|---|
//! | header text length | 10000 characters ([`header::DEFAULT_MAX_HEADER_SIZE`]) | [`ReadOptions::max_header_size`], [`SerdeOptions::max_header_size`], [`chunked::AppendOptions::max_header_size`] | NumPy's `max_header_size`: checked before the header is read |
//! | dimensions of an array | 64 ([`header::MAX_DIMS`]) | fixed | NumPy's `NPY_MAXDIMS` (32 before NumPy 2.0): no NumPy could load more |
//! | nesting of the header literal | 64 levels | fixed | the header parser's recursion |
//! | data size | 2^64 bytes, zero-length axes counted as 1 | fixed | NumPy's "array is too big" rule: every partial product of a shape fits a `usize` |
//! | inflated size of a deflated `.npz` member | 1 GiB ([`read::DEFAULT_MAX_INFLATED_SIZE`]) | [`ReadOptions::max_inflated_size`], [`SerdeOptions::max_inflated_size`] | deflate expands up to 1032:1, so a 1 MB archive could otherwise make a reader inflate a gigabyte; the member's header can still be read |
//! | inflation ratio of a deflated member | 1032:1 | fixed | the most deflate can produce: a member declaring more is corrupt |
//! | object arrays (`\|O`) | refused | [`ReadOptions::allow_pickle`], [`SerdeOptions::with_allow_pickle`] (the safe reader) | their data is a pickle, which could run code; the safe reader builds only an allow-list of types |
//! | pickle nesting, shared references | 200 levels; 64 bytes per pickle byte + 64 MiB | fixed | the safe pickle reader's bounds ([`pickle`]) |
//!
//! Memory grows only as bytes arrive: a header declaring 10^11 elements over 200 bytes
//! fails with [`ErrorKind::Truncated`] before any large allocation, a deflated member's array
//! grows as it inflates, and axes of length zero (`(10**15, 0)`, which NumPy accepts) cost
//! nothing ([`NpyRowReader::chunks`] gives them as one chunk).
//!
//! # What a crash leaves
//!
//! A process killed during [`save`], [`to_path`], [`npz::savez`], [`NpzWriter::create`] or
//! [`NpzUpdate::commit`] leaves the old file whole (or no file, if there was none): the new
//! content goes to a temporary file `.<name>.XXXXXX.tmp` beside the target, renamed over it
//! only once complete and synced. The temporary file of a killed save stays behind; the
//! next save to the same path, by any process using this crate, removes it. Each save
//! holds an exclusive lock (`flock`) on its temporary file while writing it, and removes
//! only temporary files of its own naming that no process holds, so a save in progress in
//! another process is never disturbed; finding them costs one listing of the directory per
//! save. (On platforms without `flock`, and on file systems
//! where it fails, leftovers are not removed: delete `.<name>.*.tmp` files by hand when no
//! save is running.) An [`NpyAppender`] killed during an append leaves the old array: its
//! header is rewritten only after the new data is synced, and the partial data after it is
//! cut off by the next [`NpyAppender::open_with`] with
//! [`discard_trailing_bytes`](chunked::AppendOptions::discard_trailing_bytes).
//!
//! # Limitations
//!
//! - Object arrays (`|O`) load only through the safe pickle reader ([`pickle`]): Python
//!   objects outside its allow-list (class instances, pandas objects) are refused; record
//!   dtypes with object fields, maps, row reads and appends of object arrays are not
//!   supported. Writing them is opt-in ([`ObjectArray`]); the serde format does not read
//!   or write them yet.
//! - Long doubles (`f16`/`c32` in NumPy's spelling, 16 bytes) and `V` data are kept as raw
//!   bytes: they load and save through [`NpyArray`] but have no Rust element type.
//! - Typed datetimes ([`DateTime64`]) need the file's unit with multiplier 1; others
//!   (`[10ms]`) load through [`NpyArray`].
//! - `savez_compressed` output is valid deflate but its bytes differ from NumPy's (zlib-rs,
//!   not zlib); sizes are within 2%. Stored archives are byte-identical.
//! - `.npz` members written by `np.savez` are rarely aligned, so mapping them borrows only
//!   one-byte types; other types are copied ([`MappedNpy::view_or_copy`]).
//! - serde: plain ndarray fields pass through serde one element at a time (use [`Bulk`]
//!   for big arrays); enum variants with data, `i128`, float map keys and `None` inside a
//!   `Vec` are refused at save. Inside `#[serde(flatten)]`, members reach serde through
//!   `deserialize_any` (serde buffers flattened fields), so flattened scalars, strings,
//!   `Vec`s, nested structs and [`Bulk`] arrays load, but plain ndarray fields do not
//!   (ndarray's own form cannot be told from nested lists; they fail to load, never load
//!   wrong): wrap arrays of flattened structs in [`Bulk`]. Nested lists hold no lengths
//!   after an empty first axis, so a flattened empty `(0, 2)` array loads as `(0, 0)`.
//!   `None` as a map value or `Vec` element, and strings ending in NUL (NumPy strips
//!   them), are refused at save. Complex
//!   numbers are told from 2-tuples by their Rust type (serde shows both as `(re, im)`).
//! - `to_npz_writer` assembles the archive in memory before writing it (a zip member's
//!   header holds its size and CRC); [`to_path`] streams member by member.
//! - Derived records: named-field structs of fixed-width fields only (no `String`/`Vec`
//!   fields, tuple structs, enums or `#[repr(packed)]`).
//! - Object storage (feature `object-store`, off by default: it brings tokio and an HTTP
//!   client): a row range of a deflated member is read by inflating the member from its
//!   start; writes assemble the archive in memory before uploading it; the blocking API
//!   cannot be called from inside an async runtime. See the `remote` module's docs.
//! - Mapping constructors are `unsafe`: a file changed or truncated by another process while
//!   mapped is undefined behaviour, as with any `mmap`.

pub mod array;
pub mod chunked;
pub mod convert;
pub mod de;
pub mod dtype;
pub mod element;
pub mod error;
pub mod header;
mod literal;
pub mod mmap;
pub mod npz;
pub mod pickle;
pub mod read;
pub mod record;
#[cfg(feature = "object-store")]
pub mod remote;
pub mod ser;
pub mod serde_array;
pub mod serde_format;
pub mod write;

pub use array::{ArrayData, NpyArray};
pub use chunked::{NpyAppender, NpyRowReader};
pub use de::{
    from_npz_reader, from_npz_reader_with, from_npz_slice, from_npz_slice_with, from_path,
    from_path_with, Deserializer,
};
pub use dtype::{DType, DateUnit, Endian, Field, Record, TimeUnit};
pub use element::{
    units, DataReader, DateTime64, FixedBytes, FixedElement, FixedUnicode, NpyElement, TimeDelta64,
    Unit,
};
pub use error::{Error, ErrorKind, Result};
pub use header::{Header, HeaderInfo, Version};
pub use mmap::{MappedNpy, MappedNpyMut};
/// `#[derive(NpyElement)]`: a struct with named fields as a NumPy record dtype.
#[cfg(feature = "derive")]
pub use npy_derive::NpyElement;
pub use npz::{load_any, Loaded, NpzReader, NpzUpdate, NpzWriter};
pub use pickle::{ObjectArray, PickleEncoding};
pub use read::{
    from_bytes, inspect, load, load_with, read_npy, read_npy_with, NpyRead, ReadOptions,
};
pub use ser::{
    to_npz_vec, to_npz_vec_with, to_npz_writer, to_npz_writer_with, to_path, to_path_with,
    Serializer,
};
pub use serde_array::Bulk;
pub use serde_format::SerdeOptions;

/// `f16`, for `float16` data.
pub use half;
/// The ndarray this crate speaks (0.17): use it through here so that versions match (an
/// array of another ndarray version is a different type, and `NpyWrite is not
/// implemented` for it).
pub use ndarray;
/// `Complex<f32>` / `Complex<f64>`, for `complex64` / `complex128` data.
pub use num_complex;
pub use write::{save, save_with, to_bytes, write_npy, NpyWrite, Shaped, WriteOptions};
