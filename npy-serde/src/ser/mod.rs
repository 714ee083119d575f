//! Serializing Rust values into npz archives: one `.npy` member per array-like field.
//!
//! The top-level value is a struct or a map; each field becomes one member (or, for nested
//! structs, maps and sequences of them, a group of members whose names are joined with the
//! path separator, `/` by default). Members are written as soon as they are complete, so at
//! most one member is buffered at a time, and its buffer is reused for the next.
//!
//! The module is split by concern, each file importing only the ones listed after it:
//! [`group`](self) maps structs, maps and sequences of them to member paths (keys, the
//! separator, empty groups, indexed elements); `bulk` writes
//! [`serde_array`](crate::serde_array) / [`Bulk`](crate::Bulk) arrays straight from memory;
//! `map_order` writes hash maps in sorted key order (their values through `group`'s entry
//! point, handed to it); `plain` recognises plain `Vec` and ndarray values by type and
//! writes them from memory; `element` takes the elements of one
//! member as serde hands them over (numbers, strings, records, nested sequences);
//! `builder` gathers them into one member and writes it; `capture` reads small values whole
//! (keys, shapes, record fields, complex parts); `leaf` holds the vocabulary all of them
//! share (leaf kinds, type hints, scalars).
//!
//! # The mapping
//!
//! | Rust value (its serde form) | npz content |
//! |---|---|
//! | top-level struct or map | the archive; anything else is an error |
//! | nested struct or map field `enc` | members `enc/<field>` (separator configurable) |
//! | empty map or struct, or one whose fields are all `None`/skipped | one empty member at its path (`np.array([])`), read back as the empty group |
//! | map keys: strings, integers (as decimal text), `bool`, `char` | path components; `%` and the separator's characters are percent-encoded (`fc1/weight` → `fc1%2Fweight`), so every key comes back unchanged |
//! | `ndarray` array, any dimension (a struct of `v`, `dim`, `data`) | one member with its shape and dtype |
//! | [`Bulk`](crate::Bulk) or [`serde_array`](crate::serde_array) array | one member, bytes moved in one piece (fast path), in any position |
//! | `Vec<T>`, `&[T]`, `[T; N]`, tuples of numbers or bools | 1-D member |
//! | rectangular nesting of those (`Vec<Vec<T>>`, `Vec<[T; 3]>`, any depth) | N-D member; ragged ones are an error naming the member |
//! | bytes (`serde_bytes`) | 1-D `uint8` |
//! | `bool`, integers, floats | 0-d member (`np.array(3)`) |
//! | `half::f16` (newtype struct `"f16"`) | `<f2` |
//! | `half::bf16` (newtype struct `"bf16"`) | `\|V2` (ml_dtypes' `bfloat16` in `np.save`) |
//! | `num_complex::Complex<f32>` / `<f64>` (a `(re, im)` tuple) | `<c8` / `<c16` |
//! | `String`, `char` / `Vec<String>` | 0-d `<U{len}` / 1-D `<U{longest}` |
//! | unit enum variant / `Vec` of them | string member holding the variant name |
//! | `Option::None` / `Some(x)` | member absent / as `x` |
//! | `Vec` of flat structs (numbers, bools, `f16`, complex, strings, unit variants) | 1-D structured (record) member, packed fields in declaration order, strings as `<U{longest}` |
//! | `Vec` of anything else: structs holding arrays, maps, ndarray arrays, [`Bulk`](crate::Bulk), records whose fields differ (`skip_serializing_if`, `Option`) | indexed groups: `layers/0/weight`, `layers/1/weight`, … |
//! | an empty `Vec` | an empty `float64` member (what `np.array([])` gives), read back into any element type |
//! | `()`, unit structs, enum variants with data, `i128`/`u128`, `None` inside a sequence, float map keys | error naming the path; nothing is written by [`to_path`] |
//!
//! Reading follows the same table backwards (see [`de`](crate::de)), with the conversion
//! rules of [`convert`](crate::convert): members are found by path, dtypes widen losslessly
//! (`<i4` into `i64`), 0-d members convert by value (`np.savez(f, epoch=4)` writes `int64`,
//! which loads into `epoch: u32`), Fortran-order and big-endian members are read in logical
//! order, a missing member is `None` for an `Option` field, the default for a
//! `#[serde(default)]` one and an error naming the path otherwise. Object members
//! (`dtype=object`) load when [`SerdeOptions::with_allow_pickle`] is set: each Python value
//! as what it is (`str`, `int`, `list`, `None`, a NumPy array).
//!
//! Every value this serializer writes loads back equal through [`from_path`](crate::from_path)
//! (`tests/serde_roundtrip.rs` checks it on generated values); a value that cannot be
//! represented is an error at save time. The one exception: plain ndarray fields inside
//! `#[serde(flatten)]` save but fail to load (serde hands flattened fields over as nested
//! lists, which ndarray's form cannot be told from); wrap them in [`Bulk`](crate::Bulk).
//!
//! Complex numbers: serde shows `Complex<T>` as a plain `(re, im)` tuple, exactly like
//! `(f32, f32)` or `[f32; 2]`, so the serializer recognises complex values by their Rust
//! type (`num_complex::Complex<f32>` or `<f64>`, as the type parameter of the serialized
//! field or element) rather than by their shape: `[f32; 2]` and `(f32, f32)` stay a
//! dimension of length 2, `Complex<f32>` becomes one `<c8` element. (No structural check
//! can tell them apart; the type is told by `std::any::type_name`, compared with
//! `Complex<f32>`'s and `Complex<f64>`'s in the same build, and only when a tuple is met.)
//!
//! # Speed
//!
//! Serde hands a `Vec` or an ndarray array over one element at a time, which costs a few
//! nanoseconds per element on top of the copy. So wherever a member-level value is handed
//! over (a field, an `Option`, a newtype, a map value, an element of indexed groups), its
//! type is checked: a `Vec<E>` or `ndarray::Array<E, D>` of numbers, bools, `f16` or
//! complex numbers (or a reference to one) is written from its memory in one piece, and
//! read back through the npz reader's typed path, with the same bytes, conversions and
//! errors as element by element, as fast as the npz writer and reader used directly (see
//! `benches/serde.rs`). Values whose type serde does not show (fields of a
//! `#[serde(flatten)]` struct, a wrapper with a `Serialize` impl of its own) go element by
//! element; [`Bulk`](crate::Bulk) moves any array in one piece there too, views and shared
//! arrays included.
//!
//! # Determinism
//!
//! Saving the same value gives the same bytes, in any process: a `HashMap` (std's or
//! hashbrown's) is written in sorted key order (integer and bool keys by value, others by
//! text), since its own order changes with every process's random hasher; other maps
//! (`BTreeMap`, `IndexMap`) keep their order. Sorting does not hold the map's arrays in
//! memory: it serializes the map once for its keys, then once per window of entries of at
//! most 64 MiB together, each value once (see `map_order`). Exceptions: a `HashMap`
//! handed to [`Serializer`] itself as the top-level value comes without its type and is
//! written in its own order (wrap it in a struct, or use [`to_path`]), and so are the
//! entries of a `#[serde(flatten)]` `HashMap` field (serde hands them over one by one,
//! without the map); the elements of a `HashSet` (a sequence to serde) are written in its
//! order.

use std::io::{Cursor, Seek, Write};
use std::path::Path;

use serde::ser::{self, Serialize};

use crate::errors::{Error, Result};
use crate::header::Header;
use crate::npz::Writer;
use crate::serde_format::{in_member, RawMember, SerdeOptions, WriteMembers};
use crate::write::NpyWrite;

/// Implements the named `Serializer` methods as errors from `self.reject(what)`.
macro_rules! reject {
    ($($method:ident)*) => { $( reject!(@ $method); )* };
    (@ serialize_bool) => { fn serialize_bool(self, _: bool) -> Result<()> { Err(self.reject("a bool")) } };
    (@ serialize_i8) => { fn serialize_i8(self, _: i8) -> Result<()> { Err(self.reject("an integer")) } };
    (@ serialize_i16) => { fn serialize_i16(self, _: i16) -> Result<()> { Err(self.reject("an integer")) } };
    (@ serialize_i32) => { fn serialize_i32(self, _: i32) -> Result<()> { Err(self.reject("an integer")) } };
    (@ serialize_i64) => { fn serialize_i64(self, _: i64) -> Result<()> { Err(self.reject("an integer")) } };
    (@ serialize_u8) => { fn serialize_u8(self, _: u8) -> Result<()> { Err(self.reject("an integer")) } };
    (@ serialize_u16) => { fn serialize_u16(self, _: u16) -> Result<()> { Err(self.reject("an integer")) } };
    (@ serialize_u32) => { fn serialize_u32(self, _: u32) -> Result<()> { Err(self.reject("an integer")) } };
    (@ serialize_u64) => { fn serialize_u64(self, _: u64) -> Result<()> { Err(self.reject("an integer")) } };
    (@ serialize_f32) => { fn serialize_f32(self, _: f32) -> Result<()> { Err(self.reject("a float")) } };
    (@ serialize_f64) => { fn serialize_f64(self, _: f64) -> Result<()> { Err(self.reject("a float")) } };
    (@ serialize_char) => { fn serialize_char(self, _: char) -> Result<()> { Err(self.reject("a char")) } };
    (@ serialize_str) => { fn serialize_str(self, _: &str) -> Result<()> { Err(self.reject("a string")) } };
    (@ serialize_bytes) => { fn serialize_bytes(self, _: &[u8]) -> Result<()> { Err(self.reject("bytes")) } };
    (@ serialize_none) => { fn serialize_none(self) -> Result<()> { Err(self.reject("None")) } };
    (@ serialize_some) => {
        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<()> { Err(self.reject("an Option")) }
    };
    (@ serialize_unit) => { fn serialize_unit(self) -> Result<()> { Err(self.reject("()")) } };
    (@ serialize_unit_struct) => {
        fn serialize_unit_struct(self, name: &'static str) -> Result<()> {
            Err(self.reject(&format!("unit struct {name}")))
        }
    };
    (@ serialize_unit_variant) => {
        fn serialize_unit_variant(self, name: &'static str, _: u32, variant: &'static str) -> Result<()> {
            Err(self.reject(&format!("enum variant {name}::{variant}")))
        }
    };
    (@ serialize_newtype_struct) => {
        fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, _: &T) -> Result<()> {
            Err(self.reject(&format!("newtype struct {name}")))
        }
    };
    (@ serialize_newtype_variant) => {
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self, name: &'static str, _: u32, variant: &'static str, _: &T,
        ) -> Result<()> {
            Err(self.reject(&format!("enum variant with data {name}::{variant}")))
        }
    };
    (@ serialize_seq) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> { Err(self.reject("a sequence")) }
    };
    (@ serialize_tuple) => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> { Err(self.reject("a tuple")) }
    };
    (@ serialize_tuple_struct) => {
        fn serialize_tuple_struct(self, name: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
            Err(self.reject(&format!("tuple struct {name}")))
        }
    };
    (@ serialize_tuple_variant) => { reject!(@variant serialize_tuple_variant SerializeTupleVariant); };
    (@ serialize_map) => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> { Err(self.reject("a map")) }
    };
    (@ serialize_struct) => {
        fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self::SerializeStruct> {
            Err(self.reject(&format!("struct {name}")))
        }
    };
    (@ serialize_struct_variant) => { reject!(@variant serialize_struct_variant SerializeStructVariant); };
    (@variant $method:ident $state:ident) => {
        fn $method(
            self, name: &'static str, _: u32, variant: &'static str, _: usize,
        ) -> Result<Self::$state> {
            Err(self.reject(&format!("enum variant with data {name}::{variant}")))
        }
    };
}

/// Implements serde's sequence-like traits for a type (impl generics in brackets) by
/// forwarding each item to its `element` method and the end to its `finish`.
macro_rules! sequence_impls {
    ([$($generics:tt)*] $ty:ty => $ok:ty:) => {};
    ([$($generics:tt)*] $ty:ty => $ok:ty: , $($rest:tt)*) => {
        sequence_impls!([$($generics)*] $ty => $ok: $($rest)*);
    };
    ([$($generics:tt)*] $ty:ty => $ok:ty: $trait:ident::$method:ident $($rest:tt)*) => {
        impl<$($generics)*> ser::$trait for $ty {
            type Ok = $ok;
            type Error = Error;
            #[inline]
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
                self.element(value)
            }
            fn end(self) -> Result<$ok> {
                self.finish()
            }
        }
        sequence_impls!([$($generics)*] $ty => $ok: $($rest)*);
    };
}

/// Calls `$then!` with serde's number methods, their types and the leaf kinds they make.
macro_rules! numbers {
    ($then:ident) => {
        $then!(serialize_i8(i8) => I8, serialize_i16(i16) => I16, serialize_i32(i32) => I32,
            serialize_i64(i64) => I64, serialize_u8(u8) => U8, serialize_u16(u16) => U16,
            serialize_u32(u32) => U32, serialize_u64(u64) => U64, serialize_f32(f32) => F32,
            serialize_f64(f64) => F64);
    };
}

type Impossible = ser::Impossible<(), Error>;

/// The `Serializer` methods of the top level (shared by [`TopLevel`] and the public
/// [`Serializer`]): structs and maps become the archive's groups, anything else is an
/// error.
macro_rules! top_level_impls {
    () => {
        fn serialize_bool(self, _: bool) -> Result<()> {
            Err(top_level_error("a bool"))
        }
        fn serialize_i8(self, _: i8) -> Result<()> {
            Err(top_level_error("an integer"))
        }
        fn serialize_i16(self, _: i16) -> Result<()> {
            Err(top_level_error("an integer"))
        }
        fn serialize_i32(self, _: i32) -> Result<()> {
            Err(top_level_error("an integer"))
        }
        fn serialize_i64(self, _: i64) -> Result<()> {
            Err(top_level_error("an integer"))
        }
        fn serialize_u8(self, _: u8) -> Result<()> {
            Err(top_level_error("an integer"))
        }
        fn serialize_u16(self, _: u16) -> Result<()> {
            Err(top_level_error("an integer"))
        }
        fn serialize_u32(self, _: u32) -> Result<()> {
            Err(top_level_error("an integer"))
        }
        fn serialize_u64(self, _: u64) -> Result<()> {
            Err(top_level_error("an integer"))
        }
        fn serialize_f32(self, _: f32) -> Result<()> {
            Err(top_level_error("a float"))
        }
        fn serialize_f64(self, _: f64) -> Result<()> {
            Err(top_level_error("a float"))
        }
        fn serialize_char(self, _: char) -> Result<()> {
            Err(top_level_error("a char"))
        }
        fn serialize_str(self, _: &str) -> Result<()> {
            Err(top_level_error("a string"))
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<()> {
            Err(top_level_error("bytes"))
        }
        fn serialize_none(self) -> Result<()> {
            Err(top_level_error("None"))
        }
        fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
            value.serialize(self)
        }
        fn serialize_unit(self) -> Result<()> {
            Err(top_level_error("()"))
        }
        fn serialize_unit_struct(self, name: &'static str) -> Result<()> {
            Err(top_level_error(&format!("unit struct {name}")))
        }
        fn serialize_unit_variant(
            self,
            name: &'static str,
            _: u32,
            variant: &'static str,
        ) -> Result<()> {
            Err(top_level_error(&format!("enum variant {name}::{variant}")))
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            value: &T,
        ) -> Result<()> {
            value.serialize(self)
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            name: &'static str,
            _: u32,
            variant: &'static str,
            _: &T,
        ) -> Result<()> {
            Err(top_level_error(&format!("enum variant {name}::{variant}")))
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Impossible> {
            Err(top_level_error("a sequence"))
        }
        fn serialize_tuple(self, _: usize) -> Result<Impossible> {
            Err(top_level_error("a tuple"))
        }
        fn serialize_tuple_struct(self, name: &'static str, _: usize) -> Result<Impossible> {
            Err(top_level_error(&format!("tuple struct {name}")))
        }
        fn serialize_tuple_variant(
            self,
            name: &'static str,
            _: u32,
            variant: &'static str,
            _: usize,
        ) -> Result<Impossible> {
            Err(top_level_error(&format!("enum variant {name}::{variant}")))
        }
        fn serialize_struct_variant(
            self,
            name: &'static str,
            _: u32,
            variant: &'static str,
            _: usize,
        ) -> Result<Impossible> {
            Err(top_level_error(&format!("enum variant {name}::{variant}")))
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
            Ok(self.into_group())
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
            Ok(self.into_group())
        }
    };
}

/// The group a top-level struct or map writes into.
trait IntoGroup<'r, S> {
    fn into_group(self) -> Group<'r, S>;
}

mod builder;
mod bulk;
mod capture;
mod element;
mod group;
mod leaf;
mod map_order;
mod plain;

use builder::ArrayBuilder;
use group::Group;

/// Saves `value` as an `.npz` archive at `path`, one member per array-like field.
///
/// `.npz` is appended when the file name has no extension, as `np.savez` does. The save
/// is atomic: the archive is written to a temporary file beside `path` and renamed over
/// it only when complete, so a failed save (an I/O error, or a field that cannot be
/// stored) leaves any previous file untouched.
///
/// ```
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, PartialEq, Debug)]
/// struct Encoder { weight: ndarray::Array2<f32>, bias: Vec<f32> }
///
/// #[derive(Serialize, Deserialize, PartialEq, Debug)]
/// struct Model { encoder: Encoder, step: u64 }
///
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("model.npz");
/// let model = Model {
///     encoder: Encoder { weight: ndarray::Array2::eye(3), bias: vec![0.0; 3] },
///     step: 10,
/// };
/// npy_serde::to_path(&path, &model)?;
/// // NumPy sees members "encoder/weight", "encoder/bias" and "step".
/// let archive = npy_serde::npz::Reader::open(&path)?;
/// assert_eq!(archive.names(), ["encoder/weight", "encoder/bias", "step"]);
/// let back: Model = npy_serde::from_path(&path)?;
/// assert_eq!(back, model);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_path<P: AsRef<Path>, T: Serialize + ?Sized>(path: P, value: &T) -> Result<()> {
    to_path_with(path, value, &SerdeOptions::default())
}

/// [`to_path`] with options (compression, byte order, path separator).
pub fn to_path_with<P: AsRef<Path>, T: Serialize + ?Sized>(
    path: P,
    value: &T,
    options: &SerdeOptions,
) -> Result<()> {
    let path = path.as_ref();
    let result = Writer::create_with(path, &options.write).and_then(|mut writer| {
        serialize_members(&mut writer, value, options)?;
        writer.finish().map(drop)
    });
    result.map_err(|e| e.in_file(path))
}

/// Writes `value` as an `.npz` archive to `writer`, which needs only [`Write`]: stdout, a
/// socket or a pipe work. Members are streamed as they are produced (each followed by a
/// zip data descriptor, as Python's `zipfile` writes to an unseekable file; see
/// [`npz::Writer::streaming`](crate::npz::Writer::streaming)), so memory stays bounded
/// whatever the archive size: beyond the value itself, at most one member being encoded
/// and the writer's buffers. NumPy reads the result; for `np.savez`'s exact bytes, write
/// to a file ([`to_path`]) or to [`to_vec`].
///
/// A save that fails part-way (a field that cannot be stored, an I/O error) leaves what
/// was already written: an archive without its central directory, which NumPy and
/// `zipfile` refuse to open. Where a reader must see the old content or the new, write to
/// a temporary name and rename, as [`to_path`] does.
///
/// ```
/// let mut state = std::collections::BTreeMap::new();
/// state.insert("bias", vec![0.5f32, 0.25]);
/// let mut out: Vec<u8> = Vec::new();
/// npy_serde::to_writer(&mut out, &state)?;
/// let back: std::collections::BTreeMap<String, Vec<f32>> = npy_serde::from_slice(&out)?;
/// assert_eq!(back["bias"], [0.5, 0.25]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn to_writer<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> Result<()> {
    to_writer_with(writer, value, &SerdeOptions::default())
}

/// [`to_writer`] with options (compression, byte order, path separator).
pub fn to_writer_with<W: Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
    options: &SerdeOptions,
) -> Result<()> {
    options.check()?;
    let mut archive = Writer::streaming_with(writer, &options.write)?;
    serialize_members(&mut archive, value, options)?;
    archive.finish()?.flush()?;
    Ok(())
}

/// The bytes of the `.npz` archive of `value` (the in-memory counterpart of
/// [`to_path`]).
///
/// ```
/// use std::collections::BTreeMap;
///
/// let mut state: BTreeMap<String, Vec<f32>> = BTreeMap::new();
/// state.insert("bias".into(), vec![0.1, 0.2]);
/// let bytes = npy_serde::to_vec(&state)?;
/// let back: BTreeMap<String, Vec<f32>> = npy_serde::from_slice(&bytes)?;
/// assert_eq!(back, state);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    to_vec_with(value, &SerdeOptions::default())
}

/// [`to_vec`] with options (compression, byte order, path separator).
pub fn to_vec_with<T: Serialize + ?Sized>(value: &T, options: &SerdeOptions) -> Result<Vec<u8>> {
    let mut writer = Writer::with_options(Cursor::new(Vec::new()), &options.write)?;
    serialize_members(&mut writer, value, options)?;
    Ok(writer.finish()?.into_inner())
}

/// The serde `Serializer` of the npz format, for callers that drive serde themselves
/// (`serde_path_to_error`, several values in one archive): `&mut Serializer` is the serde
/// serializer, each value serialized adds its members, and [`finish`](Self::finish)
/// writes the archive's directory.
///
/// ```
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Step { loss: f32 }
/// #[derive(Serialize)]
/// struct Epoch { epoch: u32 }
///
/// let mut serializer = npy_serde::Serializer::new(std::io::Cursor::new(Vec::new()));
/// Step { loss: 0.5 }.serialize(&mut serializer)?;
/// Epoch { epoch: 3 }.serialize(&mut serializer)?;
/// let bytes = serializer.finish()?.into_inner();
/// let names = npy_serde::npz::Reader::new(std::io::Cursor::new(bytes))?.names();
/// assert_eq!(names, ["loss", "epoch"]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub struct Serializer<W: Write + Seek> {
    root: Root<Writer<W>>,
}

impl<W: Write + Seek> Serializer<W> {
    /// A serializer writing an archive into `writer` (stored members, `/` separator).
    pub fn new(writer: W) -> Self {
        Serializer {
            root: Root::new(Writer::new(writer), "/"),
        }
    }

    /// A serializer writing an archive into `writer` with `options` (compression, byte
    /// order, path separator).
    pub fn with_options(writer: W, options: &SerdeOptions) -> Result<Self> {
        options.check()?;
        Ok(Serializer {
            root: Root::new(
                Writer::with_options(writer, &options.write)?,
                &options.separator,
            ),
        })
    }

    /// Writes the archive's central directory and returns the writer.
    pub fn finish(self) -> Result<W> {
        self.root.sink.finish()
    }
}

impl<'s, W: Write + Seek> IntoGroup<'s, Writer<W>> for &'s mut Serializer<W> {
    fn into_group(self) -> Group<'s, Writer<W>> {
        Group::top(&mut self.root)
    }
}

impl<'s, W: Write + Seek> ser::Serializer for &'s mut Serializer<W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = Impossible;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Group<'s, Writer<W>>;
    type SerializeStruct = Group<'s, Writer<W>>;
    type SerializeStructVariant = Impossible;

    top_level_impls!();
}

/// Serializes `value` into `sink`, one member per array-like field.
pub(crate) fn serialize_members<S, T>(sink: &mut S, value: &T, options: &SerdeOptions) -> Result<()>
where
    S: WriteMembers,
    T: Serialize + ?Sized,
{
    options.check()?;
    let mut root = Root::new(sink, &options.separator);
    if group::write_top_level_map(&mut root, value)? {
        return Ok(());
    }
    value.serialize(TopLevel { root: &mut root })
}

/// State shared by the whole serialization: where members go, how paths are joined, the
/// member buffer, and how many members were written (to tell an empty group).
pub(crate) struct Root<S> {
    sink: S,
    separator: String,
    builder: ArrayBuilder,
    written: usize,
}

impl<S: WriteMembers> Root<S> {
    fn new(sink: S, separator: &str) -> Self {
        Root {
            sink,
            separator: separator.to_string(),
            builder: ArrayBuilder::default(),
            written: 0,
        }
    }
}

/// The member sink of a [`Root`], counting what goes through it.
struct Counted<'s, S> {
    sink: &'s mut S,
    written: &'s mut usize,
}

impl<S: WriteMembers> WriteMembers for Counted<'_, S> {
    fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()> {
        self.sink.add_member(path, array)?;
        *self.written += 1;
        Ok(())
    }
}

impl<S: WriteMembers> Root<S> {
    /// Writes the member of an empty group at `path`: shape `(0,)` float64, what
    /// `np.array([])` gives, so that an empty map or struct reads back.
    fn write_empty_member(&mut self, path: &str) -> Result<()> {
        let header = Header::new(<f64 as crate::elements::FixedElement>::dtype(), vec![0]);
        let (mut sink, _) = self.parts();
        sink.add_member(path, &RawMember { header, bytes: &[] })
            .map_err(|e| in_member(e, path))
    }

    /// The sink and the member buffer, borrowed apart.
    fn parts(&mut self) -> (Counted<'_, S>, &mut ArrayBuilder) {
        (
            Counted {
                sink: &mut self.sink,
                written: &mut self.written,
            },
            &mut self.builder,
        )
    }
}

/// The top level: a struct or a map.
struct TopLevel<'r, S> {
    root: &'r mut Root<S>,
}

fn top_level_error(what: &str) -> Error {
    Error::custom(format!(
        "the top-level value must be a struct or a map (its fields become members), found {what}"
    ))
}

impl<'r, S: WriteMembers> IntoGroup<'r, S> for TopLevel<'r, S> {
    fn into_group(self) -> Group<'r, S> {
        Group::top(self.root)
    }
}

impl<'r, S: WriteMembers> ser::Serializer for TopLevel<'r, S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = Impossible;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Group<'r, S>;
    type SerializeStruct = Group<'r, S>;
    type SerializeStructVariant = Impossible;

    top_level_impls!();
}

#[cfg(test)]
mod tests;
