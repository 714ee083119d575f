//! Serializing Rust values into npz archives: one `.npy` member per array-like field.
//!
//! The top-level value is a struct or a map with string keys; each field becomes one member
//! (or, for nested structs and maps, a group of members whose names are joined with the
//! path separator, `/` by default). Members are written as soon as they are complete, so at
//! most one member is buffered at a time, and its buffer is reused for the next.
//!
//! # The mapping
//!
//! | Rust value (its serde form) | npz content |
//! |---|---|
//! | top-level struct or `HashMap<String, _>`/`BTreeMap<String, _>` | the archive; anything else is an error |
//! | nested struct or string-keyed map field `enc` | members `enc/<field>` (separator configurable) |
//! | `ndarray` array, any dimension (serde struct `"Array"` {`v`, `dim`, `data`}) | one member with its shape and dtype |
//! | array through [`serde_array`](crate::serde_array) (`#[serde(with = "npy_serde::serde_array")]`) | one member, bytes moved in one piece (fast path) |
//! | `Vec<T>`, `&[T]`, `[T; N]`, tuples of numbers or bools | 1-D member |
//! | rectangular nesting of those (`Vec<Vec<T>>`, `Vec<[T; 3]>`, any depth) | N-D member; ragged ones are an error naming the member |
//! | bytes (`serde_bytes`) | 1-D `uint8` |
//! | `bool`, integers, floats | 0-d member (`np.array(3)`) |
//! | `half::f16` (newtype struct `"f16"`) | `<f2` |
//! | `num_complex::Complex<f32>` / `<f64>` (a `(re, im)` tuple) | `<c8` / `<c16` |
//! | `String`, `char` / `Vec<String>` | 0-d `<U{len}` / 1-D `<U{longest}` |
//! | unit enum variant / `Vec` of them | string member holding the variant name |
//! | `Option::None` / `Some(x)` | member absent / as `x` |
//! | `Vec` of flat structs of numbers, bools, `f16`, complex | 1-D structured (record) member, packed fields in declaration order |
//! | `()`, unit structs, enum variants with data, `i128`/`u128`, `None` or maps inside arrays, non-string map keys | error |
//!
//! Reading follows the same table backwards (see [`de`](crate::de)): members are found by
//! path, dtypes widen losslessly (`<i4` into `i64`, `<f2` into `f32`), Fortran-order and
//! big-endian members are read in logical order, a missing member is `None` for an
//! `Option` field, the default for a `#[serde(default)]` one and an error naming the path
//! otherwise. A flat map whose names contain `/` (`{"enc/w": …}`) reads as nested maps, or
//! as one flat map with a separator the names do not contain
//! ([`SerdeOptions::with_separator`]).
//!
//! Empty sequences have no element to take a dtype from: they are written as `float64`
//! (what `np.array([])` gives), and read back into any numeric element type.
//!
//! Complex numbers: serde shows `Complex<T>` as a plain `(re, im)` tuple, exactly like
//! `(f32, f32)` or `[f32; 2]`, so the serializer recognises complex values by their Rust
//! type (`num_complex::Complex<f32>` or `<f64>`, as the type parameter of the serialized
//! field or element) rather than by their shape: `[f32; 2]` and `(f32, f32)` stay a
//! dimension of length 2, `Complex<f32>` becomes one `<c8` element. (The type is told by
//! `std::any::type_name`, compared with `Complex<f32>`'s and `Complex<f64>`'s in the same
//! build, and only when a tuple is met.)
//!
//! # Speed
//!
//! ndarray's own serde form hands over an array one element at a time, which costs a few
//! nanoseconds per element on top of the copy. For big arrays use the
//! [`serde_array`](crate::serde_array) adapter: it moves the bytes in one piece, as fast
//! as the npz writer and reader used directly (see `benches/serde.rs`).

use std::io::{Cursor, Seek, Write};
use std::path::Path;

use num_complex::Complex;
use serde::ser::{self, Serialize};

use crate::dtype::{DType, Record};
use crate::element::FixedElement;
use crate::error::{Error, Result};
use crate::header::Header;
use crate::npz::NpzWriter;
use crate::serde_format::{
    in_file, in_member, join_path, shape_text, RawMember, SerdeOptions, WriteMembers, BULK_ARRAY,
    NDARRAY_STRUCT,
};
use crate::write::Shaped;

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
/// let archive = npy_serde::NpzReader::open(&path)?;
/// assert_eq!(archive.names(), ["encoder/weight", "encoder/bias", "step"]);
/// let back: Model = npy_serde::from_path(&path)?;
/// assert_eq!(back, model);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_path<P: AsRef<Path>, T: Serialize + ?Sized>(path: P, value: &T) -> Result<()> {
    to_path_with(path, value, &SerdeOptions::default())
}

/// [`to_path`] with options (compression, path separator).
pub fn to_path_with<P: AsRef<Path>, T: Serialize + ?Sized>(
    path: P,
    value: &T,
    options: &SerdeOptions,
) -> Result<()> {
    let path = path.as_ref();
    let result = NpzWriter::create_with(path, options.npz_options()).and_then(|mut writer| {
        serialize_members(&mut writer, value, options)?;
        writer.finish().map(drop)
    });
    result.map_err(|e| in_file(e, path))
}

/// Writes `value` as an `.npz` archive to `writer` (anything `Write + Seek`: a file, a
/// `Cursor<Vec<u8>>`, or `&mut` either).
pub fn to_writer<W: Write + Seek, T: Serialize + ?Sized>(writer: W, value: &T) -> Result<()> {
    to_writer_with(writer, value, &SerdeOptions::default())
}

/// [`to_writer`] with options (compression, path separator).
pub fn to_writer_with<W: Write + Seek, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
    options: &SerdeOptions,
) -> Result<()> {
    let mut writer = NpzWriter::with_options(writer, options.npz_options());
    serialize_members(&mut writer, value, options)?;
    writer.finish().map(drop)
}

/// The bytes of the `.npz` archive of `value`.
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

/// [`to_vec`] with options (compression, path separator).
pub fn to_vec_with<T: Serialize + ?Sized>(value: &T, options: &SerdeOptions) -> Result<Vec<u8>> {
    let mut cursor = Cursor::new(Vec::new());
    to_writer_with(&mut cursor, value, options)?;
    Ok(cursor.into_inner())
}

/// Serializes `value` into `sink`, one member per array-like field.
pub(crate) fn serialize_members<S, T>(sink: &mut S, value: &T, options: &SerdeOptions) -> Result<()>
where
    S: WriteMembers,
    T: Serialize + ?Sized,
{
    options.check()?;
    let mut root = Root {
        sink,
        separator: options.separator.clone(),
        builder: ArrayBuilder::default(),
    };
    value.serialize(TopLevel { root: &mut root })
}

/// State shared by the whole serialization: where members go and the member buffer.
struct Root<'a, S> {
    sink: &'a mut S,
    separator: String,
    builder: ArrayBuilder,
}

// ---------------------------------------------------------------------------------------
// Element kinds and the member buffer
// ---------------------------------------------------------------------------------------

/// The dtype of the leaves (elements) of a member being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeafKind {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
    C64,
    C128,
    Str,
    Record,
}

impl LeafKind {
    /// The dtype of a fixed-width kind, native byte order.
    fn dtype(self) -> Option<DType> {
        Some(match self {
            LeafKind::Bool => bool::dtype(),
            LeafKind::I8 => i8::dtype(),
            LeafKind::I16 => i16::dtype(),
            LeafKind::I32 => i32::dtype(),
            LeafKind::I64 => i64::dtype(),
            LeafKind::U8 => u8::dtype(),
            LeafKind::U16 => u16::dtype(),
            LeafKind::U32 => u32::dtype(),
            LeafKind::U64 => u64::dtype(),
            LeafKind::F16 => half::f16::dtype(),
            LeafKind::F32 => f32::dtype(),
            LeafKind::F64 => f64::dtype(),
            LeafKind::C64 => Complex::<f32>::dtype(),
            LeafKind::C128 => Complex::<f64>::dtype(),
            LeafKind::Str | LeafKind::Record => return None,
        })
    }

    fn name(self) -> String {
        match self {
            LeafKind::Str => "string".to_string(),
            LeafKind::Record => "struct".to_string(),
            other => crate::serde_format::dtype_name(&other.dtype().expect("fixed kind")),
        }
    }
}

/// How a value whose serde form is ambiguous should be read, from its Rust type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    None,
    Complex32,
    Complex64,
}

/// How to get the hint of a value's type, called only when its serde form is ambiguous
/// (a tuple), so the common case costs nothing per element.
type HintFn = fn() -> Hint;

fn no_hint() -> Hint {
    Hint::None
}

/// The hint for a value of type `T` (references looked through): complex numbers are
/// recognised by type because serde shows them as a plain `(re, im)` tuple.
#[inline]
fn hint_of<T: ?Sized>() -> Hint {
    let name = std::any::type_name::<T>().trim_start_matches('&');
    if name == std::any::type_name::<Complex<f32>>() {
        Hint::Complex32
    } else if name == std::any::type_name::<Complex<f64>>() {
        Hint::Complex64
    } else {
        Hint::None
    }
}

/// One member under construction: the leaves' kind and bytes (native order, C order), and
/// the length seen at each nesting depth, checked to be the same for every row.
#[derive(Default)]
struct ArrayBuilder {
    kind: Option<LeafKind>,
    leaf_depth: usize,
    lens: Vec<Option<usize>>,
    bytes: Vec<u8>,
    strings: Vec<String>,
    /// The fields of record elements, set by the first one.
    record: Vec<(String, LeafKind)>,
}

impl ArrayBuilder {
    /// Empties the builder, keeping its buffers' capacity for the next member.
    fn reset(&mut self) {
        self.kind = None;
        self.leaf_depth = 0;
        self.lens.clear();
        self.bytes.clear();
        self.strings.clear();
        self.record.clear();
    }

    /// Appends one fixed-width leaf.
    #[inline]
    fn push(&mut self, kind: LeafKind, depth: usize, bytes: &[u8]) -> Result<()> {
        if self.kind != Some(kind) || self.leaf_depth != depth {
            self.start_leaf(kind, depth)?;
        }
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn push_str(&mut self, depth: usize, text: String) -> Result<()> {
        if self.kind != Some(LeafKind::Str) || self.leaf_depth != depth {
            self.start_leaf(LeafKind::Str, depth)?;
        }
        self.strings.push(text);
        Ok(())
    }

    /// Checks a leaf of `kind` at `depth` against the leaves so far: the first one sets
    /// the kind and the number of dimensions.
    fn start_leaf(&mut self, kind: LeafKind, depth: usize) -> Result<()> {
        match self.kind {
            None => {
                if self.lens.len() > depth {
                    return Err(ragged(depth));
                }
                self.kind = Some(kind);
                self.leaf_depth = depth;
                Ok(())
            }
            Some(first) if first != kind => Err(Error::unwritable(format!(
                "elements of different types in one array: {} and {}",
                first.name(),
                kind.name()
            ))),
            Some(_) if self.leaf_depth != depth => Err(ragged(depth.min(self.leaf_depth))),
            Some(_) => Ok(()),
        }
    }

    /// Checks that a sequence may start at `depth` (not where elements are).
    fn start_seq(&self, depth: usize) -> Result<()> {
        if self.kind.is_some() && depth >= self.leaf_depth {
            return Err(ragged(self.leaf_depth));
        }
        Ok(())
    }

    /// Records a sequence of `count` items at `depth`: all must have the same length.
    fn end_seq(&mut self, depth: usize, count: usize) -> Result<()> {
        if self.lens.len() <= depth {
            self.lens.resize(depth + 1, None);
        }
        match self.lens[depth] {
            None => self.lens[depth] = Some(count),
            Some(first) if first != count => {
                return Err(Error::unwritable(format!(
                    "ragged nested sequence: rows at depth {depth} have {first} and {count} \
                     items; an array needs rows of equal length"
                )))
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The shape of what was built.
    fn shape(&self) -> Vec<usize> {
        let ndim = match self.kind {
            Some(_) => self.leaf_depth,
            None => self.lens.len(),
        };
        self.lens[..ndim.min(self.lens.len())]
            .iter()
            .map(|len| len.unwrap_or(0))
            .collect()
    }

    /// Writes what was built as member `path`, with `shape` instead of the built one when
    /// given (ndarray's flat data).
    fn write_member<S: WriteMembers>(
        &self,
        sink: &mut S,
        path: &str,
        shape: Option<Vec<usize>>,
    ) -> Result<()> {
        let built = self.shape();
        let shape = match shape {
            None => built,
            Some(shape) => {
                let count: usize = built.iter().product();
                if crate::header::element_count(&shape)? != count || built.len() != 1 {
                    return Err(Error::unwritable(format!(
                        "array of shape {} has {count} elements",
                        shape_text(&shape)
                    )));
                }
                shape
            }
        };
        let dtype = match self.kind {
            Some(LeafKind::Str) => {
                return sink.add_member(path, &Shaped::new(&self.strings, &shape));
            }
            Some(LeafKind::Record) => {
                DType::Record(Record::packed(self.record.iter().map(|(name, kind)| {
                    (name.clone(), kind.dtype().expect("scalar field"))
                })))
            }
            Some(kind) => kind.dtype().expect("fixed kind"),
            // No element to take a dtype from: NumPy's default for `np.array([])`.
            None => f64::dtype(),
        };
        let header = Header::new(dtype, shape);
        sink.add_member(
            path,
            &RawMember {
                header,
                bytes: &self.bytes,
            },
        )
    }
}

fn ragged(depth: usize) -> Error {
    Error::unwritable(format!(
        "ragged nested sequence: some items at depth {depth} are sequences and some are \
         not, or rows differ in nesting"
    ))
}

// ---------------------------------------------------------------------------------------
// Rejections shared by the serializers
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// The top level: a struct or a string-keyed map
// ---------------------------------------------------------------------------------------

struct TopLevel<'r, 'a, S> {
    root: &'r mut Root<'a, S>,
}

impl<S> TopLevel<'_, '_, S> {
    fn reject(self, what: &str) -> Error {
        Error::Custom(format!(
            "the top-level value must be a struct or a map with string keys, found {what}"
        ))
    }
}

impl<'r, 'a, S: WriteMembers> ser::Serializer for TopLevel<'r, 'a, S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = Impossible;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Group<'r, 'a, S>;
    type SerializeStruct = Group<'r, 'a, S>;
    type SerializeStructVariant = Impossible;

    reject!(serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8
        serialize_u16 serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char
        serialize_str serialize_bytes serialize_none serialize_some serialize_unit
        serialize_unit_struct serialize_unit_variant serialize_newtype_variant serialize_seq
        serialize_tuple serialize_tuple_struct serialize_tuple_variant serialize_struct_variant);

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Group<'r, 'a, S>> {
        Ok(Group::new(self.root, String::new()))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Group<'r, 'a, S>> {
        Ok(Group::new(self.root, String::new()))
    }
}

/// A struct or map whose fields become members under `prefix`.
struct Group<'r, 'a, S> {
    root: &'r mut Root<'a, S>,
    prefix: String,
    key: Option<String>,
}

impl<'r, 'a, S: WriteMembers> Group<'r, 'a, S> {
    fn new(root: &'r mut Root<'a, S>, prefix: String) -> Self {
        Group {
            root,
            prefix,
            key: None,
        }
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        let path = join_path(&self.prefix, key, &self.root.separator);
        value.serialize(FieldSerializer {
            root: self.root,
            path,
            hint: hint_of::<T>,
        })
    }
}

impl<S: WriteMembers> ser::SerializeStruct for Group<'_, '_, S> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }

    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl<S: WriteMembers> ser::SerializeMap for Group<'_, '_, S> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let key = match key.serialize(Capture { hint: Hint::None })? {
            Captured::Str(key) => key,
            _ => {
                return Err(Error::Custom(format!(
                    "map keys must be strings (they become member names){}",
                    self.context()
                )))
            }
        };
        // A key containing the separator is kept: it names a deeper member path.
        if key.is_empty() {
            return Err(Error::Custom(format!(
                "an empty map key cannot be a member name{}",
                self.context()
            )));
        }
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error::Custom("map value without a key".into()))?;
        self.field(&key, value)
    }

    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl<S> Group<'_, '_, S> {
    fn context(&self) -> String {
        if self.prefix.is_empty() {
            String::new()
        } else {
            format!(" (in {:?})", self.prefix)
        }
    }
}

// ---------------------------------------------------------------------------------------
// A field: one member, a group, or nothing (None)
// ---------------------------------------------------------------------------------------

struct FieldSerializer<'r, 'a, S> {
    root: &'r mut Root<'a, S>,
    path: String,
    hint: HintFn,
}

impl<'r, 'a, S: WriteMembers> FieldSerializer<'r, 'a, S> {
    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!("{what} has no array form")).in_member(self.path)
    }

    /// Builds the member from the value's elements, then writes it.
    fn build(self, fill: impl FnOnce(ElementSerializer<'_>) -> Result<()>) -> Result<()> {
        let Root { sink, builder, .. } = self.root;
        builder.reset();
        let element = ElementSerializer {
            b: builder,
            depth: 0,
            hint: self.hint,
        };
        fill(element)
            .and_then(|()| builder.write_member(*sink, &self.path, None))
            .map_err(|e| in_member(e, &self.path))
    }

    fn seq(self) -> Result<FieldSeq<'r, S>> {
        let Root { sink, builder, .. } = self.root;
        builder.reset();
        Ok(FieldSeq {
            seq: ElementSeq {
                b: builder,
                depth: 0,
                count: 0,
            },
            sink: *sink,
            path: self.path,
            complex: None,
        })
    }
}

/// Implements the named `Serializer` methods as a member of one element.
macro_rules! build_leaf {
    ($($method:ident($t:ty)),*) => {$(
        fn $method(self, v: $t) -> Result<()> {
            self.build(|e| e.$method(v))
        }
    )*};
}

impl<'r, 'a, S: WriteMembers> ser::Serializer for FieldSerializer<'r, 'a, S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = FieldSeq<'r, S>;
    type SerializeTuple = FieldSeq<'r, S>;
    type SerializeTupleStruct = FieldSeq<'r, S>;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Group<'r, 'a, S>;
    type SerializeStruct = FieldStruct<'r, 'a, S>;
    type SerializeStructVariant = Impossible;

    reject!(serialize_unit serialize_unit_struct serialize_newtype_variant serialize_tuple_variant
        serialize_struct_variant);

    build_leaf!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8])
    );

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.build(|e| e.serialize_unit_variant(name, index, variant))
    }

    fn serialize_none(self) -> Result<()> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(mut self, value: &T) -> Result<()> {
        self.hint = hint_of::<T>;
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        mut self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        match name {
            BULK_ARRAY => {
                let path = self.path.clone();
                let Root { sink, .. } = self.root;
                value
                    .serialize(BulkSerializer {
                        sink: *sink,
                        path: &path,
                    })
                    .map_err(|e| in_member(e, &path))
            }
            "f16" => self.build(|e| e.serialize_newtype_struct(name, value)),
            _ => {
                self.hint = hint_of::<T>;
                value.serialize(self)
            }
        }
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<FieldSeq<'r, S>> {
        self.seq()
    }

    fn serialize_tuple(self, _: usize) -> Result<FieldSeq<'r, S>> {
        if (self.hint)() != Hint::None {
            // A complex scalar field: one 0-d complex member.
            return self.complex_scalar();
        }
        self.seq()
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<FieldSeq<'r, S>> {
        self.seq()
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Group<'r, 'a, S>> {
        Ok(Group::new(self.root, self.path))
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<FieldStruct<'r, 'a, S>> {
        if name == NDARRAY_STRUCT {
            Ok(FieldStruct::Ndarray {
                root: self.root,
                path: self.path,
                dim: None,
                written: false,
            })
        } else {
            Ok(FieldStruct::Group(Group::new(self.root, self.path)))
        }
    }
}

impl<'r, 'a, S: WriteMembers> FieldSerializer<'r, 'a, S> {
    /// A complex scalar field: a 0-d member whose one element is collected as a tuple.
    fn complex_scalar(self) -> Result<FieldSeq<'r, S>> {
        let hint = (self.hint)();
        let mut seq = self.seq()?;
        seq.complex = Some(ComplexParts::new(hint));
        Ok(seq)
    }
}

/// A sequence field: the member's outermost dimension.
struct FieldSeq<'r, S> {
    seq: ElementSeq<'r>,
    sink: &'r mut S,
    path: String,
    complex: Option<ComplexParts>,
}

impl<S: WriteMembers> FieldSeq<'_, S> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let result = match &mut self.complex {
            Some(parts) => parts.add(value),
            None => self.seq.element(value),
        };
        result.map_err(|e| in_member(e, &self.path))
    }

    fn finish(self) -> Result<()> {
        let path = self.path;
        let result = match self.complex {
            Some(parts) => {
                let b = self.seq.b;
                parts
                    .push_into(b, 0)
                    .and_then(|()| b.write_member(self.sink, &path, None))
            }
            None => self
                .seq
                .into_builder()
                .and_then(|b| b.write_member(self.sink, &path, None)),
        };
        result.map_err(|e| in_member(e, &path))
    }
}

sequence_impls!([S: WriteMembers] FieldSeq<'_, S> => (): SerializeSeq::serialize_element,
    SerializeTuple::serialize_element, SerializeTupleStruct::serialize_field);

/// A struct field: a nested group, or an ndarray array (serde struct `"Array"`).
enum FieldStruct<'r, 'a, S> {
    Group(Group<'r, 'a, S>),
    Ndarray {
        root: &'r mut Root<'a, S>,
        path: String,
        dim: Option<Vec<usize>>,
        written: bool,
    },
}

impl<S: WriteMembers> ser::SerializeStruct for FieldStruct<'_, '_, S> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let (root, path, dim, written) = match self {
            FieldStruct::Group(group) => return group.field(key, value),
            FieldStruct::Ndarray {
                root,
                path,
                dim,
                written,
            } => (root, path, dim, written),
        };
        let result = match key {
            "v" => Ok(()),
            "dim" => value
                .serialize(Capture { hint: Hint::None })?
                .as_shape()
                .map(|shape| *dim = Some(shape))
                .ok_or_else(|| Error::unwritable("ndarray dim is not a list of lengths")),
            "data" => {
                let shape = dim
                    .take()
                    .ok_or_else(|| Error::unwritable("ndarray data came before its dim"))?;
                let Root { sink, builder, .. } = &mut **root;
                builder.reset();
                value
                    .serialize(ElementSerializer {
                        b: builder,
                        depth: 0,
                        hint: no_hint,
                    })
                    .and_then(|()| builder.write_member(*sink, path, Some(shape)))
                    .map(|()| *written = true)
            }
            other => Err(Error::unwritable(format!(
                "a struct named Array is taken for an ndarray array (fields v, dim, data), \
                 but it has a field {other:?}"
            ))),
        };
        result.map_err(|e| in_member(e, path))
    }

    fn end(self) -> Result<()> {
        match self {
            FieldStruct::Ndarray {
                written: false,
                path,
                ..
            } => Err(Error::unwritable("ndarray array without data").in_member(path)),
            _ => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Elements: leaves and nested sequences of one member
// ---------------------------------------------------------------------------------------

struct ElementSerializer<'b> {
    b: &'b mut ArrayBuilder,
    depth: usize,
    hint: HintFn,
}

impl ElementSerializer<'_> {
    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!(
            "{what} cannot be an array element (elements are numbers, bools, f16, complex \
             numbers, strings, unit enum variants or flat structs)"
        ))
    }
}

/// Implements number methods of `ElementSerializer` as leaves of their kind.
macro_rules! push_number {
    ($($method:ident($t:ty) => $kind:ident),*) => {$(
        #[inline]
        fn $method(self, v: $t) -> Result<()> {
            self.b.push(LeafKind::$kind, self.depth, &v.to_ne_bytes())
        }
    )*};
}

impl<'b> ser::Serializer for ElementSerializer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ElementSeq<'b>;
    type SerializeTuple = ElementTuple<'b>;
    type SerializeTupleStruct = ElementSeq<'b>;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Impossible;
    type SerializeStruct = RecordSerializer<'b>;
    type SerializeStructVariant = Impossible;

    reject!(serialize_none serialize_unit serialize_unit_struct serialize_newtype_variant
        serialize_tuple_variant serialize_map serialize_struct_variant);

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.b.push(LeafKind::Bool, self.depth, &[v as u8])
    }
    numbers!(push_number);
    fn serialize_i128(self, _: i128) -> Result<()> {
        Err(self.reject("a 128-bit integer"))
    }
    fn serialize_u128(self, _: u128) -> Result<()> {
        Err(self.reject("a 128-bit integer"))
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.b.push_str(self.depth, v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.b.push_str(self.depth, v.to_string())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.b.start_seq(self.depth)?;
        if !v.is_empty() {
            // One check for the whole run of bytes, as for a sequence of `u8`s.
            self.b.push(LeafKind::U8, self.depth + 1, v)?;
        }
        self.b.end_seq(self.depth, v.len())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.b.push_str(self.depth, variant.to_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<()> {
        Err(self.reject("an Option"))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        match name {
            "f16" => match value.serialize(Capture { hint: Hint::None })? {
                Captured::Scalar(scalar) if scalar.kind == LeafKind::U16 => {
                    self.b.push(LeafKind::F16, self.depth, scalar.bytes())
                }
                _ => Err(self.reject("a newtype f16 that does not hold u16 bits")),
            },
            BULK_ARRAY => Err(self.reject("an array (serde_array)")),
            _ => value.serialize(ElementSerializer {
                hint: hint_of::<T>,
                ..self
            }),
        }
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<ElementSeq<'b>> {
        self.b.start_seq(self.depth)?;
        Ok(ElementSeq {
            b: self.b,
            depth: self.depth,
            count: 0,
        })
    }

    fn serialize_tuple(self, _: usize) -> Result<ElementTuple<'b>> {
        if (self.hint)() == Hint::None {
            return self.serialize_seq(None).map(ElementTuple::Seq);
        }
        Ok(ElementTuple::Complex {
            b: self.b,
            depth: self.depth,
            parts: ComplexParts::new((self.hint)()),
        })
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<ElementSeq<'b>> {
        self.serialize_seq(None)
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<RecordSerializer<'b>> {
        if name == NDARRAY_STRUCT {
            return Err(self.reject(
                "an ndarray array inside a sequence (stack the arrays into one array instead)",
            ));
        }
        let defining = self.b.kind.is_none();
        self.b.start_leaf(LeafKind::Record, self.depth)?;
        Ok(RecordSerializer {
            b: self.b,
            index: 0,
            defining,
        })
    }
}

/// A nested sequence at `depth`.
struct ElementSeq<'b> {
    b: &'b mut ArrayBuilder,
    depth: usize,
    count: usize,
}

impl<'b> ElementSeq<'b> {
    #[inline]
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.count += 1;
        value.serialize(ElementSerializer {
            b: self.b,
            depth: self.depth + 1,
            hint: hint_of::<T>,
        })
    }

    /// Ends the sequence, handing back the builder.
    fn into_builder(self) -> Result<&'b mut ArrayBuilder> {
        self.b.end_seq(self.depth, self.count)?;
        Ok(self.b)
    }

    fn finish(self) -> Result<()> {
        self.into_builder().map(drop)
    }
}

sequence_impls!([] ElementSeq<'_> => (): SerializeSeq::serialize_element,
    SerializeTupleStruct::serialize_field);

/// A tuple element: a dimension, or a complex number's `(re, im)`.
enum ElementTuple<'b> {
    Seq(ElementSeq<'b>),
    Complex {
        b: &'b mut ArrayBuilder,
        depth: usize,
        parts: ComplexParts,
    },
}

impl ser::SerializeTuple for ElementTuple<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        match self {
            ElementTuple::Seq(seq) => seq.element(value),
            ElementTuple::Complex { parts, .. } => parts.add(value),
        }
    }
    fn end(self) -> Result<()> {
        match self {
            ElementTuple::Seq(seq) => seq.finish(),
            ElementTuple::Complex { b, depth, parts } => parts.push_into(b, depth),
        }
    }
}

/// The `(re, im)` parts of a complex number being serialized.
struct ComplexParts {
    kind: LeafKind,
    parts: Vec<f64>,
}

impl ComplexParts {
    fn new(hint: Hint) -> Self {
        let kind = match hint {
            Hint::Complex32 => LeafKind::C64,
            _ => LeafKind::C128,
        };
        ComplexParts {
            kind,
            parts: Vec::with_capacity(2),
        }
    }

    fn add<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.add_captured(&value.serialize(Capture { hint: Hint::None })?)
    }

    fn add_captured(&mut self, part: &Captured) -> Result<()> {
        match part {
            Captured::Scalar(scalar) if matches!(scalar.kind, LeafKind::F32 | LeafKind::F64) => {
                self.parts.push(scalar.as_f64());
                Ok(())
            }
            _ => Err(Error::unwritable("complex parts must be floats")),
        }
    }

    /// The complex number made of the two parts.
    fn scalar(&self) -> Result<Scalar> {
        let [re, im] = self.parts[..] else {
            return Err(Error::unwritable(
                "a complex number needs two parts (re, im)",
            ));
        };
        Ok(if self.kind == LeafKind::C64 {
            let value = Complex::new(re as f32, im as f32);
            Scalar::new(self.kind, bytemuck::bytes_of(&value))
        } else {
            Scalar::new(self.kind, bytemuck::bytes_of(&Complex::new(re, im)))
        })
    }

    fn push_into(self, b: &mut ArrayBuilder, depth: usize) -> Result<()> {
        let scalar = self.scalar()?;
        b.push(scalar.kind, depth, scalar.bytes())
    }
}

/// A struct inside a sequence: one record; its fields make the record dtype.
struct RecordSerializer<'b> {
    b: &'b mut ArrayBuilder,
    index: usize,
    defining: bool,
}

impl ser::SerializeStruct for RecordSerializer<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let scalar = match value.serialize(Capture {
            hint: hint_of::<T>(),
        }) {
            Ok(Captured::Scalar(scalar)) => scalar,
            _ => {
                return Err(Error::unwritable(format!(
                    "record field {key:?} must be a number, bool, f16 or complex number"
                )))
            }
        };
        if self.defining {
            self.b.record.push((key.to_string(), scalar.kind));
        } else {
            match self.b.record.get(self.index) {
                Some((name, kind)) if name == key && *kind == scalar.kind => {}
                _ => {
                    return Err(Error::unwritable(format!(
                        "records differ: field {} is {key:?} ({}), not as in the first record",
                        self.index,
                        scalar.kind.name()
                    )))
                }
            }
        }
        self.index += 1;
        self.b.bytes.extend_from_slice(scalar.bytes());
        Ok(())
    }

    fn skip_field(&mut self, key: &'static str) -> Result<()> {
        Err(Error::unwritable(format!(
            "record field {key:?} is skipped; every record must have the same fields"
        )))
    }

    fn end(self) -> Result<()> {
        if self.index != self.b.record.len() || self.b.record.is_empty() {
            return Err(Error::unwritable(
                "records must all have the same, non-empty list of fields",
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Capturing small values: map keys, ndarray dims, record fields, complex parts
// ---------------------------------------------------------------------------------------

/// A scalar's kind and native bytes.
#[derive(Clone, Copy)]
struct Scalar {
    kind: LeafKind,
    bytes: [u8; 16],
}

impl Scalar {
    fn new(kind: LeafKind, bytes: &[u8]) -> Self {
        let mut buffer = [0; 16];
        buffer[..bytes.len()].copy_from_slice(bytes);
        Scalar {
            kind,
            bytes: buffer,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.kind.dtype().map_or(0, |d| d.itemsize())]
    }

    fn as_f64(&self) -> f64 {
        match self.kind {
            LeafKind::F32 => {
                f32::from_ne_bytes(self.bytes[..4].try_into().expect("4 bytes")) as f64
            }
            _ => f64::from_ne_bytes(self.bytes[..8].try_into().expect("8 bytes")),
        }
    }
}

enum Captured {
    Scalar(Scalar),
    Str(String),
    Seq(Vec<Captured>),
}

impl Captured {
    fn as_usize(&self) -> Option<usize> {
        match self {
            Captured::Scalar(s) if s.kind == LeafKind::U64 => {
                usize::try_from(u64::from_ne_bytes(s.bytes[..8].try_into().ok()?)).ok()
            }
            _ => None,
        }
    }

    /// A sequence of lengths.
    fn as_shape(&self) -> Option<Vec<usize>> {
        match self {
            Captured::Seq(items) => items.iter().map(Captured::as_usize).collect(),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Captured::Scalar(s) if s.kind == LeafKind::Bool => Some(s.bytes[0] != 0),
            _ => None,
        }
    }
}

struct Capture {
    hint: Hint,
}

impl Capture {
    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!("expected a number, bool or string, found {what}"))
    }
}

macro_rules! capture_scalar {
    ($($method:ident($t:ty) => $kind:ident),*) => {$(
        fn $method(self, v: $t) -> Result<Captured> {
            Ok(Captured::Scalar(Scalar::new(LeafKind::$kind, &v.to_ne_bytes())))
        }
    )*};
}

impl ser::Serializer for Capture {
    type Ok = Captured;
    type Error = Error;
    type SerializeSeq = CaptureSeq;
    type SerializeTuple = CaptureSeq;
    type SerializeTupleStruct = ser::Impossible<Captured, Error>;
    type SerializeTupleVariant = ser::Impossible<Captured, Error>;
    type SerializeMap = ser::Impossible<Captured, Error>;
    type SerializeStruct = ser::Impossible<Captured, Error>;
    type SerializeStructVariant = ser::Impossible<Captured, Error>;

    numbers!(capture_scalar);

    fn serialize_bool(self, v: bool) -> Result<Captured> {
        Ok(Captured::Scalar(Scalar::new(LeafKind::Bool, &[v as u8])))
    }
    fn serialize_char(self, v: char) -> Result<Captured> {
        Ok(Captured::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Captured> {
        Ok(Captured::Str(v.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Captured> {
        Err(self.reject("bytes"))
    }
    fn serialize_none(self) -> Result<Captured> {
        Err(self.reject("None"))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Captured> {
        value.serialize(Capture {
            hint: hint_of::<T>(),
        })
    }
    fn serialize_unit(self) -> Result<Captured> {
        Err(self.reject("()"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Captured> {
        Err(self.reject("a unit struct"))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Captured> {
        Ok(Captured::Str(variant.to_string()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Captured> {
        let inner = value.serialize(Capture {
            hint: hint_of::<T>(),
        })?;
        match (name, inner) {
            ("f16", Captured::Scalar(s)) if s.kind == LeafKind::U16 => {
                Ok(Captured::Scalar(Scalar::new(LeafKind::F16, s.bytes())))
            }
            (_, inner) => Ok(inner),
        }
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Captured> {
        Err(self.reject("an enum variant with data"))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<CaptureSeq> {
        Ok(CaptureSeq {
            items: Vec::with_capacity(len.unwrap_or(0).min(64)),
            hint: Hint::None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<CaptureSeq> {
        Ok(CaptureSeq {
            items: Vec::with_capacity(len.min(64)),
            hint: self.hint,
        })
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(self.reject("a tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(self.reject("an enum variant with data"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(self.reject("a map"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(self.reject("a struct"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(self.reject("an enum variant with data"))
    }
}

struct CaptureSeq {
    items: Vec<Captured>,
    hint: Hint,
}

impl CaptureSeq {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(Capture {
            hint: hint_of::<T>(),
        })?);
        Ok(())
    }

    fn finish(self) -> Result<Captured> {
        if self.hint == Hint::None {
            return Ok(Captured::Seq(self.items));
        }
        let mut parts = ComplexParts::new(self.hint);
        for item in &self.items {
            parts.add_captured(item)?;
        }
        parts.scalar().map(Captured::Scalar)
    }
}

sequence_impls!([] CaptureSeq => Captured: SerializeSeq::serialize_element,
    SerializeTuple::serialize_element);

// ---------------------------------------------------------------------------------------
// The bulk fast path: (descr, shape, fortran_order, data bytes) in one piece
// ---------------------------------------------------------------------------------------

/// Receives the tuple [`serde_array`](crate::serde_array) serializes and writes the member
/// straight from the borrowed data bytes.
struct BulkSerializer<'r, S> {
    sink: &'r mut S,
    path: &'r str,
}

impl<S> BulkSerializer<'_, S> {
    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!(
            "the private bulk-array name was used for {what}, not by npy_serde::serde_array"
        ))
    }
}

impl<'r, S: WriteMembers> ser::Serializer for BulkSerializer<'r, S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = BulkTuple<'r, S>;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Impossible;
    type SerializeStruct = Impossible;
    type SerializeStructVariant = Impossible;

    reject!(serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8
        serialize_u16 serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char
        serialize_str serialize_bytes serialize_none serialize_some serialize_unit
        serialize_unit_struct serialize_unit_variant serialize_newtype_struct
        serialize_newtype_variant serialize_seq serialize_tuple_struct serialize_tuple_variant
        serialize_map serialize_struct serialize_struct_variant);

    fn serialize_tuple(self, _: usize) -> Result<BulkTuple<'r, S>> {
        Ok(BulkTuple {
            sink: self.sink,
            path: self.path,
            items: Vec::new(),
            written: false,
        })
    }
}

struct BulkTuple<'r, S> {
    sink: &'r mut S,
    path: &'r str,
    items: Vec<Captured>,
    written: bool,
}

impl<S: WriteMembers> ser::SerializeTuple for BulkTuple<'_, S> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        if self.items.len() < 3 {
            self.items
                .push(value.serialize(Capture { hint: Hint::None })?);
            return Ok(());
        }
        let header = match &self.items[..] {
            [Captured::Str(descr), shape @ Captured::Seq(_), fortran] => Header {
                dtype: descr.parse()?,
                shape: shape.as_shape().ok_or_else(|| {
                    Error::unwritable("bulk array shape is not a list of lengths")
                })?,
                fortran_order: fortran
                    .as_bool()
                    .ok_or_else(|| Error::unwritable("bulk array order is not a bool"))?,
            },
            _ => return Err(Error::unwritable("malformed bulk array")),
        };
        value.serialize(BulkBytes {
            sink: self.sink,
            path: self.path,
            header,
        })?;
        self.written = true;
        Ok(())
    }

    fn end(self) -> Result<()> {
        if !self.written {
            return Err(Error::unwritable("bulk array without data"));
        }
        Ok(())
    }
}

/// The data bytes of a bulk array: written as the member as soon as they arrive.
struct BulkBytes<'r, S> {
    sink: &'r mut S,
    path: &'r str,
    header: Header,
}

impl<S> BulkBytes<'_, S> {
    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!("bulk array data must be bytes, found {what}"))
    }
}

impl<S: WriteMembers> ser::Serializer for BulkBytes<'_, S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = Impossible;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Impossible;
    type SerializeStruct = Impossible;
    type SerializeStructVariant = Impossible;

    reject!(serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8
        serialize_u16 serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char
        serialize_str serialize_none serialize_some serialize_unit
        serialize_unit_struct serialize_unit_variant serialize_newtype_struct
        serialize_newtype_variant serialize_seq serialize_tuple serialize_tuple_struct
        serialize_tuple_variant serialize_map serialize_struct serialize_struct_variant);

    fn serialize_bytes(self, bytes: &[u8]) -> Result<()> {
        let needed = self.header.data_len()?;
        if needed != bytes.len() as u64 {
            return Err(Error::unwritable(format!(
                "bulk array of shape {} {} needs {needed} bytes, {} given",
                shape_text(&self.header.shape),
                self.header.dtype,
                bytes.len()
            )));
        }
        self.sink.add_member(
            self.path,
            &RawMember {
                header: self.header,
                bytes,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use half::f16;
    use ndarray::{array, Array2, ArrayD};
    use serde::Serialize;

    use super::*;
    use crate::serde_format::test_values::{points, Mode, Point};
    use crate::serde_format::MemoryArchive;
    use crate::NpyArray;

    fn members<T: Serialize>(value: &T) -> Result<Vec<(String, NpyArray)>> {
        let mut archive = MemoryArchive::default();
        serialize_members(&mut archive, value, &SerdeOptions::default())?;
        Ok(archive
            .members
            .iter()
            .map(|(name, bytes)| (name.clone(), crate::from_bytes(bytes).unwrap()))
            .collect())
    }

    fn describe(members: &[(String, NpyArray)]) -> Vec<String> {
        members
            .iter()
            .map(|(name, a)| format!("{name} {} {}", a.dtype(), shape_text(a.shape())))
            .collect()
    }

    #[derive(Serialize)]
    struct Inner {
        weight: Array2<f32>,
        table: Vec<Vec<i64>>,
    }

    #[derive(Serialize)]
    struct Everything {
        epoch: u32,
        lr: f64,
        done: bool,
        name: String,
        tags: Vec<String>,
        mode: Mode,
        half: f16,
        z: Complex<f32>,
        zs: Vec<Complex<f32>>,
        pairs: Vec<[f32; 2]>,
        points: Vec<Point>,
        inner: Inner,
        missing: Option<Vec<u8>>,
        present: Option<u8>,
        empty: Vec<f32>,
        dynamic: ArrayD<u16>,
    }

    #[test]
    fn every_kind_of_field_becomes_the_member_numpy_would_make() {
        let value = Everything {
            epoch: 3,
            lr: 0.5,
            done: true,
            name: "run".into(),
            tags: vec!["a".into(), "bcd".into()],
            mode: Mode::Train,
            half: f16::from_f32(1.5),
            z: Complex::new(1.0, -1.0),
            zs: vec![Complex::new(0.0, 1.0); 3],
            pairs: vec![[1.0, 2.0]; 4],
            points: points(),
            inner: Inner {
                weight: array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
                table: vec![vec![1, 2], vec![3, 4], vec![5, 6]],
            },
            missing: None,
            present: Some(7),
            empty: vec![],
            dynamic: ArrayD::zeros(vec![2, 1, 3]),
        };
        let members = members(&value).unwrap();
        assert_eq!(
            describe(&members),
            [
                "epoch '<u4' ()",
                "lr '<f8' ()",
                "done '|b1' ()",
                "name '<U3' ()",
                "tags '<U3' (2,)",
                "mode '<U5' ()",
                "half '<f2' ()",
                "z '<c8' ()",
                "zs '<c8' (3,)",
                "pairs '<f4' (4, 2)",
                "points [('x', '<f4'), ('y', '<i2'), ('z', '<c16')] (2,)",
                "inner/weight '<f4' (2, 3)",
                "inner/table '<i8' (3, 2)",
                "present '|u1' ()",
                "empty '<f8' (0,)",
                "dynamic '<u2' (2, 1, 3)",
            ]
        );
        let weight = &members[11].1;
        assert_eq!(
            weight.data(),
            &crate::ArrayData::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        );
    }

    #[test]
    fn maps_with_string_keys_nest_with_the_separator() {
        let mut inner = BTreeMap::new();
        inner.insert("w".to_string(), vec![1u8]);
        let mut outer = BTreeMap::new();
        outer.insert("layer0".to_string(), inner);
        let names: Vec<String> = members(&outer).unwrap().into_iter().map(|m| m.0).collect();
        assert_eq!(names, ["layer0/w"]);

        let mut archive = MemoryArchive::default();
        let options = SerdeOptions::default().with_separator(".");
        serialize_members(&mut archive, &outer, &options).unwrap();
        assert_eq!(archive.members[0].0, "layer0.w");
    }

    #[test]
    fn what_has_no_array_form_is_an_error_naming_the_member() {
        #[derive(Serialize)]
        struct Ragged {
            rows: Vec<Vec<f32>>,
        }
        let err = members(&Ragged {
            rows: vec![vec![1.0, 2.0], vec![3.0]],
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("\"rows\"") && err.to_string().contains("ragged"),
            "{err}"
        );

        let err = members(&5i32).unwrap_err();
        assert!(err.to_string().contains("top-level"), "{err}");
        let err = members(&vec![1.0f32]).unwrap_err();
        assert!(err.to_string().contains("top-level"), "{err}");

        #[derive(Serialize)]
        enum WithData {
            A(u8),
        }
        #[derive(Serialize)]
        struct Holder {
            e: WithData,
        }
        let err = members(&Holder { e: WithData::A(1) }).unwrap_err();
        assert!(err.to_string().contains("\"e\""), "{err}");

        let mut bad_key = BTreeMap::new();
        bad_key.insert(String::new(), 1u8);
        assert!(members(&bad_key).is_err());
    }

    #[test]
    fn bulk_arrays_are_written_from_memory_in_any_layout() {
        #[derive(Serialize)]
        struct Bulk {
            #[serde(with = "crate::serde_array")]
            c: Array2<i32>,
            #[serde(with = "crate::serde_array")]
            f: Array2<i32>,
        }
        let c = array![[1, 2, 3], [4, 5, 6]];
        let members = members(&Bulk {
            c: c.clone(),
            f: c.t().to_owned(),
        })
        .unwrap();
        assert_eq!(describe(&members), ["c '<i4' (2, 3)", "f '<i4' (3, 2)"]);
        assert_eq!(members[1].1.to_array::<i32>().unwrap(), c.t().into_dyn());
    }
}
