//! NumPy `.npy` and `.npz` files in Rust: a serde data format that maps a struct of arrays
//! to an archive (one member per field), single arrays and archives of any dtype, record
//! dtypes through a derive, and memory-mapped arrays.
//!
//! NumPy is the reference: every file NumPy writes loads (object arrays with
//! [`ReadOptions::with_allow_pickle`], as with NumPy's `allow_pickle=True`), and every file
//! written here loads in NumPy, byte-identical to `np.save` / `np.savez` where NumPy is
//! deterministic (not compressed archives). The tests check this against real NumPy in
//! both directions.
//!
//! # By task
//!
//! | I want to… | use |
//! |---|---|
//! | [save or load a struct of arrays (serde, `.npz`)](#serde-a-struct-of-arrays-as-an-npz) | [`to_path`] / [`from_path`] |
//! | … in memory, or on a stream | [`to_vec`] / [`from_slice`], [`to_writer`] / [`from_reader`] |
//! | … driving serde myself (`serde_path_to_error`, several values) | [`Serializer`], [`Deserializer`] |
//! | save training checkpoints in the background, keep the last *k*, resume from the latest | [`checkpoint::CheckpointManager`] |
//! | [save or load one array (`.npy`)](#one-array-npy) | [`npy::save`] / [`npy::load`] |
//! | look at a `.npy` header without the data | [`npy::inspect`] |
//! | load a file whose dtype I don't know | [`NpyArray`] |
//! | [save or load several arrays (`.npz`)](#several-arrays-npz) | [`npz::savez`] / [`npz::Reader`] |
//! | add, replace or remove members of an archive | [`npz::Update`] |
//! | open a file that may be `.npy` or `.npz` | [`npz::open_any`] |
//! | know which Rust type reads which dtype | [the table](element#which-rust-type-reads-which-dtype) |
//! | [use NumPy record arrays (derive)](#record-dtypes-derive) | `#[derive(NpyElement)]` |
//! | read or write object arrays (`dtype=object`) safely | [`pickle`], [`ReadOptions::with_allow_pickle`] |
//! | [work with arrays bigger than memory](#bigger-than-memory) | [`mmap::MappedNpy`], [`npy::RowReader`], [`npy::Appender`], [`npy::StreamWriter`] |
//! | handle errors by kind | [`Error::category`], [`error::Category`] |
//! | read `.npy` / `.npz` lazily from S3, GCS, Azure or HTTP (feature `object-store`) | `remote::blocking::from_url`, `remote::blocking::RemoteNpz` (the `remote` module) |
//! | look into, compare or convert files from the shell | the `npy` command (`npy-cli/`; see the README's "Command line") |
//!
//! Options: [`ReadOptions`] (limits on untrusted input, object arrays), [`WriteOptions`]
//! (compression, byte order, format version) and [`SerdeOptions`] (one of each, plus the
//! path separator). Every `_with` function takes one of them by reference.
//!
//! This crate speaks ndarray 0.17 and re-exports it ([`ndarray`], with [`half`] and
//! [`num_complex`]), so `use npy_serde::ndarray;` needs no version pinned by hand.
//!
//! # serde: a struct of arrays as an npz
//!
//! Derive `Serialize` / `Deserialize` and each field becomes one `.npy` member that
//! `np.load` sees by name; nested structs and maps become `/`-joined paths
//! (`encoder/layer0/weight`), a `Vec` of layers becomes `layers/0/…`, `layers/1/…`. A
//! value that saves loads back equal (except plain ndarray fields in a flattened struct,
//! see [Limitations](#limitations)), and an archive edited in NumPy
//! (`d = dict(np.load(f)); d["epoch"] = 4; np.savez(f, **d)`) loads too: 0-d members
//! convert by value. Object members (pandas' string columns, ragged lists) load into
//! `Vec<String>`, `Vec<Option<String>>`, `Vec<Vec<f64>>` or `Vec<ArrayD<T>>` when the
//! options' [`ReadOptions`] allow pickles, through the safe pickle reader. Plain `Vec<T>`,
//! `Array<T, D>` and `ArcArray<T, D>` fields of numbers, bools, `f16` or complex numbers
//! move in one piece, as fast as the [`npz`] reader and writer used directly; [`Bulk`] does
//! so for any array in any position (views, flattened structs). A `HashMap` is written in
//! sorted key order, so the same value saves to the same bytes in every process.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("checkpoint.npz");
//!
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct Checkpoint {
//!     epoch: u32,
//!     weights: ndarray::Array2<f32>,
//!     losses: Vec<f64>,
//! }
//!
//! let checkpoint = Checkpoint { epoch: 3, weights: ndarray::Array2::ones((2, 3)), losses: vec![0.5] };
//! npy_serde::to_path(&path, &checkpoint)?; // members epoch, weights, losses
//! let resumed: Checkpoint = npy_serde::from_path(&path)?;
//! assert_eq!(resumed, checkpoint);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # One array (`.npy`)
//!
//! `Vec<T>`, slices, [`npy::Shaped`] slices and ndarray arrays of any dimension and layout
//! save; `Vec<T>` (any shape, C order), `Array<T, D>` and [`NpyArray`] load. A file's own
//! dtype loads in either byte order, as do lossless widenings (`<i4` into `i64`);
//! narrowing is an error naming both dtypes and the Rust type that would load the file.
//! See the [`npy`] module for readers, writers, headers and streams.
//!
//! ```
//! use ndarray::{array, Array2};
//! use npy_serde::npy;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("matrix.npy");
//!
//! let matrix = array![[1.0f64, 2.0], [3.0, 4.0]];
//! npy::save(&path, &matrix)?; // atomic: temp file + rename
//! let back: Array2<f64> = npy::load(&path)?;
//! assert_eq!(back, matrix);
//!
//! // Any dtype, known only at run time, saved back byte for byte.
//! let any: npy_serde::NpyArray = npy::load(&path)?;
//! assert_eq!(any.shape(), [2, 2]);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Several arrays (`.npz`)
//!
//! [`npz::savez`] writes several arrays in one call, byte-identical to `np.savez`;
//! [`npz::savez_compressed`] deflates on every core. [`npz::Writer`] adds members one by
//! one (or streams one in chunks), [`npz::Reader`] reads them lazily by name, and
//! [`npz::Update`] adds, replaces and removes members of an existing archive, copying
//! the others raw, which NumPy cannot do.
//!
//! ```
//! use npy_serde::npz;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("data.npz");
//!
//! let features = ndarray::array![[0.5f32, 1.5], [2.5, 3.5]];
//! npz::savez(&path, &[("features", &features), ("labels", &vec![1i64, 0])])?;
//! let mut archive = npz::Reader::open(&path)?;
//! assert_eq!(archive.names(), ["features", "labels"]);
//! let labels: Vec<i64> = archive.read("labels")?;
//! assert_eq!(labels, [1, 0]);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Record dtypes (derive)
//!
//! With the `derive` feature, `#[derive(NpyElement)]` makes a struct the element type of a
//! NumPy structured array. Fields are matched by name when reading, so files with other
//! field orders, extra fields, padding or the other byte order load; `#[repr(C)]` plus
//! `#[npy(pod)]` structs whose layout equals the file's load with one bulk copy and map
//! without any. Attributes: `#[npy(rename = "…")]`, `#[npy(align)]`, `#[npy(packed)]`,
//! `#[npy(pod)]`, `#[npy(crate = "…")]`.
//!
//! ```
//! # #[cfg(feature = "derive")] {
//! use npy_serde::element::FixedUnicode;
//! use npy_serde::{npy, NpyElement};
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
//! let bytes = npy::to_vec(&table)?;
//! let header = npy::read_header(&mut &bytes[..])?.header;
//! assert_eq!(
//!     header.dtype.to_string(),
//!     "[('id', '<u4'), ('kind', '<U8'), ('mass', '<f8'), ('pos', '<f4', (3,))]"
//! );
//! let back: Vec<Particle> = npy::from_slice(&bytes)?;
//! assert_eq!(back, table);
//! # }
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Bigger than memory
//!
//! [`mmap::MappedNpy`] maps a `.npy` (or a stored `.npz` member, which NumPy cannot map)
//! and lends ndarray views of it with no copy; [`mmap::MappedNpyMut`] is NumPy's `r+`,
//! `c` and `w+` (create a file larger than memory and fill it in place). Without mapping,
//! [`npy::RowReader`] reads a row range with one seek and one read, [`npy::Appender`]
//! grows a file in place (NumPy ≥ 1.24's header growth padding), and
//! [`npy::StreamWriter`] / [`npy::save_chunks`] write an array from chunks.
//!
//! ```
//! use ndarray::ArrayView2;
//! use npy_serde::mmap::MappedNpy;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("big.npy");
//! # npy_serde::npy::save(&path, &ndarray::Array2::<f32>::zeros((100, 8)))?;
//!
//! // SAFETY: nothing changes or truncates the file while it is mapped.
//! let map = unsafe { MappedNpy::open(&path)? };
//! let rows: ArrayView2<f32> = map.rows(10..20)?;
//! assert_eq!(rows.shape(), [10, 8]);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Errors
//!
//! Every function returns this crate's [`Error`]: [`Error::category`] sorts it (corrupt
//! input is [`Format`](error::Category::Format) or [`Archive`](error::Category::Archive),
//! then [`Mismatch`](error::Category::Mismatch), [`Limit`](error::Category::Limit),
//! [`Io`](error::Category::Io), …), [`Error::kind`] says exactly what happened,
//! [`Error::path`], [`Error::member`] and [`Error::field`] say where, and `source()` is the
//! underlying I/O or object-store error.
//!
//! ```
//! use npy_serde::error::Category;
//!
//! let err = npy_serde::from_slice::<std::collections::BTreeMap<String, f32>>(b"junk").unwrap_err();
//! assert_eq!(err.category(), Category::Archive);
//! ```
//!
//! # Safety of untrusted files
//!
//! Headers are parsed by a small Python-literal parser that never evaluates anything, with
//! NumPy's `max_header_size` (10000 characters by default) checked before the header is
//! read and a nesting limit. Shapes are multiplied with overflow checks, and memory is only
//! allocated for bytes that are really there: a 200-byte file declaring 10^11 elements fails
//! with [`ErrorKind::Truncated`](error::ErrorKind::Truncated). Archives are checked (CRC,
//! sizes, overlaps) and inflation stops at the size the member's header declares. Object
//! arrays (`|O`, pickles) are refused unless [`ReadOptions::with_allow_pickle`] is set,
//! and then read by a restricted pickle reader ([`pickle`]) that imports and calls
//! nothing: it builds NumPy arrays, dtypes and scalars and builtin values from an
//! allow-list, refuses any other global by name, and bounds lengths, nesting and shared
//! references by the bytes present. Every error is an [`Error`] naming what is wrong and
//! where; none panics. Saves to a path are atomic (temporary file in the same directory,
//! fsync, rename; see [What a crash leaves](#what-a-crash-leaves)). The limits are listed
//! in [Limits](#limits).
//!
//! # Limits
//!
//! Every limit on untrusted input, in one place. The work and memory of any read are
//! bounded by the bytes present, whatever a header declares; these bound the rest.
//!
//! | limit | default | set with | why |
//! |---|---|---|---|
//! | header text length | 10000 characters ([`ReadOptions::DEFAULT_MAX_HEADER_SIZE`]) | [`ReadOptions::with_max_header_size`] | NumPy's `max_header_size`: checked before the header is read |
//! | dimensions of an array | 64 ([`npy::Header::MAX_DIMS`]) | fixed | NumPy's `NPY_MAXDIMS` (32 before NumPy 2.0): no NumPy could load more |
//! | nesting of the header literal | 64 levels | fixed | the header parser's recursion |
//! | data size | 2^64 bytes, zero-length axes counted as 1 | fixed | NumPy's "array is too big" rule: every partial product of a shape fits a `usize` |
//! | inflated size of a deflated `.npz` member | 1 GiB ([`ReadOptions::DEFAULT_MAX_INFLATED_SIZE`]) | [`ReadOptions::with_max_inflated_size`] | deflate expands up to 1032:1, so a 1 MB archive could otherwise make a reader inflate a gigabyte; the member's header can still be read |
//! | inflation ratio of a deflated member | 1032:1 | fixed | the most deflate can produce: a member declaring more is corrupt |
//! | items of a zero-byte dtype decoded into Rust values | 65536 | fixed | nothing in the file bounds their count ([`NpyArray`] loads any) |
//! | object arrays (`\|O`) | refused | [`ReadOptions::with_allow_pickle`] (the safe reader) | their data is a pickle, which could run code; the safe reader builds only an allow-list of types |
//! | pickle nesting, shared references | 200 levels ([`pickle::MAX_DEPTH`]); 64 bytes per pickle byte + 64 MiB | fixed | the safe pickle reader's bounds ([`pickle`]) |
//!
//! Memory grows only as bytes arrive: a header declaring 10^11 elements over 200 bytes
//! fails with [`ErrorKind::Truncated`](error::ErrorKind::Truncated) before any large
//! allocation, a deflated member's array grows as it inflates, and axes of length zero
//! (`(10**15, 0)`, which NumPy accepts) cost nothing.
//!
//! # What a crash leaves
//!
//! A process killed during [`npy::save`], [`to_path`], [`npz::savez`],
//! [`npz::Writer::create`] or [`npz::Update::commit`] leaves the old file whole (or no
//! file, if there was none): the new content goes to a temporary file `.<name>.XXXXXX.tmp`
//! beside the target, renamed over it only once complete and synced. The temporary file of
//! a killed save stays behind; the next save to the same path, by any process using this
//! crate, removes it ([`checkpoint::CheckpointManager`] removes those of its checkpoints
//! when it opens the directory, and lists only complete checkpoints). Each save holds an exclusive lock on its temporary file while
//! writing it (std's file locks), and removes only temporary files of its own naming that
//! no process holds, so a save in progress in another process is never disturbed; finding
//! them costs one listing of the directory per save. (On file systems without locks,
//! leftovers are not removed: delete `.<name>.*.tmp` files by hand when no save is
//! running.) An [`npy::Appender`] killed during an append leaves the old array: its header
//! is rewritten only after the new data is synced, and the partial data after it is cut
//! off by the next [`npy::Appender::open_with`] with
//! [`with_discard_trailing_bytes`](npy::AppendOptions::with_discard_trailing_bytes).
//!
//! # Limitations
//!
//! - Object arrays (`|O`) load only through the safe pickle reader ([`pickle`]): Python
//!   objects outside its allow-list (class instances, pandas objects) are refused; record
//!   dtypes with object fields, maps, row reads and appends of object arrays are not
//!   supported. Writing them is opt-in ([`pickle::ObjectArray`]); the serde format reads
//!   them (with the option) but never writes them: Rust strings save as NumPy's `<U`.
//! - Long doubles (`f16`/`c32` in NumPy's spelling, 16 bytes) and `V` data are kept as raw
//!   bytes: they load and save through [`NpyArray`] but have no Rust element type.
//! - Typed datetimes ([`element::DateTime64`]) need the file's unit with multiplier 1;
//!   others (`[10ms]`) load through [`NpyArray`].
//! - `savez_compressed` output is valid deflate but its bytes differ from NumPy's (zlib-rs,
//!   not zlib); sizes are within 2%. Stored archives are byte-identical.
//! - `.npz` members written by `np.savez` are rarely aligned, so mapping them borrows only
//!   one-byte types; other types are copied ([`mmap::MappedNpy::view_or_copy`]). Archives
//!   written with [`WriteOptions::with_alignment`] map every plain type without a copy.
//! - serde: enum variants with data, `i128`, float map keys and `None` inside a `Vec` are
//!   refused at save. Inside `#[serde(flatten)]`, members reach serde through
//!   `deserialize_any` (serde buffers flattened fields), so flattened scalars, strings,
//!   `Vec`s, nested structs and [`Bulk`] arrays load, but plain ndarray fields do not
//!   (ndarray's own form cannot be told from nested lists; they fail to load, never load
//!   wrong): wrap arrays of flattened structs in [`Bulk`]. Nested lists hold no lengths
//!   after an empty first axis, so a flattened empty `(0, 2)` array loads as `(0, 0)`.
//!   Strings ending in NUL (NumPy strips them) are refused at save. Complex numbers are
//!   told from 2-tuples by their Rust type (serde shows both as `(re, im)`).
//! - [`to_writer`] streams members with zip data descriptors (a non-seekable output cannot
//!   have its headers patched), as Python's `zipfile` writes to a pipe: NumPy reads them,
//!   but the bytes are those of `np.savez` on an unseekable file, not on a file; write to a
//!   file ([`to_path`]) or [`to_vec`] for `np.savez`'s exact bytes.
//! - Derived records: named-field structs of fixed-width fields only (no `String`/`Vec`
//!   fields, tuple structs, enums or `#[repr(packed)]`).
//! - Object storage (feature `object-store`, off by default: it brings tokio and an HTTP
//!   client): a row range of a deflated member is read by inflating the member from its
//!   start; a large member read whole is fetched in 32 MiB pieces one after the other
//!   (bounded memory, not parallel requests); the async `remote::to_store` on a
//!   single-threaded tokio runtime builds the archive in memory before uploading it; the
//!   blocking API cannot be called from inside an async runtime. See the `remote` module's
//!   docs.
//! - Mapping constructors are `unsafe`: a file changed or truncated by another process
//!   while mapped is undefined behaviour, as with any `mmap`.

#![deny(missing_docs)]

// The layers, from the bottom up (imports point down): see each module's first comment.
mod buffer;
pub mod dtype;
mod errors;
mod header;
mod literal;
mod magic;
pub mod text;
mod threads;

mod convert;
mod elements;
mod options;
pub mod pickle;

mod array;
mod objects;
mod read;
mod write;

mod chunked;
pub mod mmap;
pub mod npy;
pub mod npz;
mod record;
#[cfg(feature = "safetensors")]
pub mod safetensors;

mod de;
mod ser;
mod serde_array;
mod serde_format;

pub mod checkpoint;
#[cfg(feature = "object-store")]
pub mod remote;

pub use array::NpyArray;
pub use de::{
    from_path, from_path_with, from_reader, from_reader_with, from_slice, from_slice_with,
    Deserializer,
};
pub use elements::NpyElement;
pub use errors::{Error, Result};
/// `#[derive(NpyElement)]`: a struct with named fields as a NumPy record dtype.
#[cfg(feature = "derive")]
pub use npy_derive::NpyElement;
pub use options::{ReadOptions, WriteOptions};
pub use ser::{to_path, to_path_with, to_vec, to_vec_with, to_writer, to_writer_with, Serializer};
pub use serde_array::Bulk;
pub use serde_format::SerdeOptions;

/// `f16`, for `float16` data, and `bf16`, for ml_dtypes' `bfloat16` (`|V2`) data.
pub use half;
/// The ndarray this crate speaks (0.17): use it through here so that versions match (an
/// array of another ndarray version is a different type, and `NpyWrite is not
/// implemented` for it).
pub use ndarray;
/// `Complex<f32>` / `Complex<f64>`, for `complex64` / `complex128` data.
pub use num_complex;

pub mod error {
    //! What went wrong: the [`Category`] of an [`Error`](crate::Error) and its exact
    //! [`ErrorKind`].
    pub use crate::errors::{Category, ErrorKind};
}

pub mod element {
    //! Rust types for NumPy element types, and which dtypes each reads.
    //!
    //! [`NpyElement`](crate::NpyElement) (at the crate root, with its derive) is implemented
    //! for `bool`, `i8`–`i64`, `u8`–`u64`, `f16`, `bf16`, `f32`, `f64`, `Complex<f32>`,
    //! `Complex<f64>`, `String` (`U`), `Vec<u8>` (`S`), the fixed-width [`FixedUnicode`] and
    //! [`FixedBytes`], the datetimes [`DateTime64`] and [`TimeDelta64`] (with a [`Unit`]
    //! from [`units`]), `[T; N]` (a subarray) and derived records. [`FixedElement`] marks
    //! those whose dtype does not depend on the values (record fields must be), and
    //! [`BulkElement`] those whose memory is their dtype's bytes (what [`Bulk`](crate::Bulk)
    //! writes in one piece).
    //!
    //! # Which Rust type reads which dtype
    //!
    //! One table decides, for typed loads, [`NpyArray::to_array`](crate::NpyArray::to_array),
    //! derived records and the serde format alike. Any byte order reads. Arrays never narrow;
    //! 0-d values through serde convert by value.
    //!
    //! | Rust element | reads these dtypes as arrays (exact, then widened) |
    //! |---|---|
    //! | `bool` | `bool` |
    //! | `i8` / `i16` / `i32` / `i64` | `int` of that size; narrower `int`; `uint` narrower than the target |
    //! | `u8` / `u16` / `u32` / `u64` | `uint` of that size; narrower `uint` |
    //! | `f16` | `float16`; `int8`, `uint8` |
    //! | `bf16` | `\|V2` (ml_dtypes' `bfloat16`), only when `bf16` is asked for |
    //! | `f32` | `float32`; `float16`, 8- and 16-bit integers |
    //! | `f64` | `float64`; `float32`, `float16`, integers of up to 32 bits |
    //! | `Complex<f32>` | `complex64` |
    //! | `Complex<f64>` | `complex128`; `complex64` |
    //! | `String` | `U` (UTF-32); `S` (must be UTF-8) |
    //! | `Vec<u8>` | `S` |
    //!
    //! Through serde, `[f32; 2]` and `(f32, f32)` read a complex element as its two parts,
    //! with the parts' own rules (`complex128` parts are `float64`, so they do not narrow into
    //! `f32`). A 0-d member read into a number converts by value, as `serde_json` does for
    //! numbers: an `int64` holding 4 loads into `u32`, one holding 2⁴⁰ is an error naming the
    //! value; floats load into `f32` rounded to nearest; floats never load into integers and
    //! `bool` never into numbers. This is what an archive edited in NumPy needs: Python has no
    //! way to write a 0-d `uint32`, `np.savez(f, epoch=4)` writes `int64`.
    //!
    //! A refusal's error names both dtypes and the Rust type that would load the file's dtype:
    //! `expected int32 (i32), found '<i8' (int64), which loads as i64`.
    //!
    //! # bfloat16
    //!
    //! NumPy has no bfloat16. [`half::bf16`] is written as ml_dtypes'
    //! `bfloat16` goes through `np.save`: two-byte void items (`|V2`; `np.save` spells it
    //! `'<V2'`, the same dtype, since void has no byte order) holding the bits in the
    //! machine's byte order. In NumPy, `np.load(f).view(ml_dtypes.bfloat16)` gives the values
    //! back. Reading, `|V2` data is bf16 only when the Rust type asks for `bf16`: nothing in
    //! the file says so, so nothing else guesses it ([`NpyArray`](crate::NpyArray) keeps it as
    //! raw void bytes, and no other type reads it).
    //!
    //! ```
    //! use npy_serde::half::bf16;
    //! use npy_serde::npy;
    //!
    //! let weights = vec![bf16::from_f32(0.5), bf16::from_f32(-2.0)];
    //! let bytes = npy::to_vec(&weights)?;
    //! assert_eq!(npy::read_header(&mut &bytes[..])?.header.dtype.to_string(), "'|V2'");
    //! let back: Vec<bf16> = npy::from_slice(&bytes)?;
    //! assert_eq!(back, weights);
    //! assert!(npy::from_slice::<Vec<f32>>(&bytes).is_err()); // never guessed
    //! # Ok::<(), npy_serde::Error>(())
    //! ```
    pub use crate::elements::{
        units, DateTime64, FixedBytes, FixedElement, FixedUnicode, TimeDelta64, Unit,
    };
    pub use crate::serde_array::BulkElement;
}

/// The runtime of `#[derive(NpyElement)]` and other items generated code needs; not part
/// of the public API (no stability promise).
#[doc(hidden)]
pub mod __private {
    pub use crate::dtype::DType;
    pub use crate::elements::{DataReader, FixedElement, NpyElement};
    pub use crate::errors::Result;
    pub use crate::record::*;
}
