//! Object arrays (`dtype=object`) without running code: a restricted pickle reader, like
//! PyTorch's `torch.load(weights_only=True)`, for the pickle NumPy writes after an object
//! array's `.npy` header, and a writer for the pickles NumPy reads back.
//!
//! NumPy stores arrays of Python objects (strings from pandas, ragged lists of arrays,
//! `None`-holed columns) as a pickle and reads them only with `allow_pickle=True`, which
//! runs whatever code the pickle names. This reader interprets the pickle opcodes itself,
//! imports nothing and calls nothing: every global is checked against an allow-list when it
//! is named, and the few allowed "calls" are carried out by Rust code that builds a
//! [`Value`]. Any other global is an [`ErrorKind::Pickle`] naming it
//! (`global os.system is not on the safe reader's allow-list …`).
//!
//! Reading is off by default, as in NumPy: [`ReadOptions::with_allow_pickle`] turns it on
//! for [`load_with`](crate::load_with), [`NpzReader::open_with`](crate::NpzReader::open_with),
//! [`load_any_with`](crate::npz::load_any_with) and [`read_npy_with`](crate::read_npy_with).
//!
//! ```
//! use npy_serde::pickle::{ObjectArray, Value};
//! use npy_serde::ReadOptions;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("names.npy");
//!
//! // Writing object arrays is opt-in: strings normally save as NumPy's '<U' dtype.
//! let names = ObjectArray::from_optional_strings(vec![Some("ada".into()), None]);
//! npy_serde::save(&path, &names)?;
//!
//! // Refused by default, like np.load without allow_pickle=True…
//! assert!(npy_serde::load::<Vec<Option<String>>, _>(&path).is_err());
//! // …and read safely with the option.
//! let options = ReadOptions::default().with_allow_pickle(true);
//! let back: Vec<Option<String>> = npy_serde::load_with(&path, &options)?;
//! assert_eq!(back, [Some("ada".to_string()), None]);
//! let objects: ObjectArray = npy_serde::load_with(&path, &options)?;
//! assert_eq!(objects.values[1], Value::None);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Typed loads
//!
//! With the option, `load_with`, `read_npy_with` and [`NpzReader::read`](crate::NpzReader::read)
//! read object arrays into:
//!
//! | target | from an object array of |
//! |---|---|
//! | [`ObjectArray`], [`NpyArray`](crate::NpyArray) ([`ArrayData::Object`](crate::ArrayData::Object)) | anything the reader builds |
//! | `Vec<T>`, `Array<T, D>` | scalars `T` reads: `str` for `String` and `FixedUnicode`, `bytes` for `Vec<u8>`, numbers (in range) for numeric types; the shape is kept |
//! | `Vec<Option<String>>` | `str` and `None` (and NaN, pandas' missing value) |
//! | `Vec<Vec<T>>` (numeric `T` but `u8`, `bool`, `String`) | NumPy arrays (flattened), lists or tuples: ragged rows |
//! | `Vec<ArrayD<T>>` | NumPy arrays of any shapes, lists or tuples |
//!
//! The same conversions are methods of [`ObjectArray`] ([`to_strings`](ObjectArray::to_strings),
//! [`to_optional_strings`](ObjectArray::to_optional_strings), [`to_ragged`](ObjectArray::to_ragged),
//! [`to_arrays`](ObjectArray::to_arrays), [`to_array`](ObjectArray::to_array)); other readers
//! of `.npy` data (the serde format) call [`read_object_array`] on an object member's data
//! and then one of them.
//!
//! # The allow-list
//!
//! | global | builds |
//! |---|---|
//! | `numpy.core.multiarray._reconstruct`, `numpy._core.multiarray._reconstruct` (and `numpy.core._internal._reconstruct` of NumPy < 1.0) with `numpy.ndarray` | an array, from its `BUILD` state (shape, dtype, order, raw bytes or a list of objects) |
//! | `numpy.core.numeric._frombuffer`, `numpy._core.numeric._frombuffer` | an array from a buffer (protocol 5) |
//! | `numpy.dtype` | a dtype: bool, integers, floats, complex, `U`, `S`, `V`, `M8`/`m8`, `O` (no records or subarrays) |
//! | `numpy.core.multiarray.scalar`, `numpy._core.multiarray.scalar` | a NumPy scalar ([`Value::Scalar`]) |
//! | `builtins` (`__builtin__` in Python 2) `str`, `bytes`, `bytearray`, `int`, `float`, `complex`, `bool`, `list`, `tuple`, `dict`, `set`, `frozenset` | that type, from the arguments pickle gives it |
//! | `_codecs.encode` with the `latin1` codec | `bytes` (how Python 3 writes `bytes` in protocol 2) |
//!
//! `None`, `True`/`False`, ints, floats, strings, bytes, lists, tuples, dicts and sets need
//! no global: they have opcodes of their own.
//!
//! # Opcodes
//!
//! All of protocols 2 to 5 and the binary ones of 0 and 1 run: `PROTO`, `FRAME`, `STOP`,
//! `MARK`, `POP`, `POP_MARK`, `DUP`, `NONE`, `NEWTRUE`, `NEWFALSE`, `INT`, `BININT`,
//! `BININT1`, `BININT2`, `LONG`, `LONG1`, `LONG4`, `FLOAT`, `BINFLOAT`, `BINSTRING`,
//! `SHORT_BINSTRING` (Python 2 `str`, see [`PickleEncoding`]), `BINUNICODE`,
//! `SHORT_BINUNICODE`, `BINUNICODE8`, `BINBYTES`, `SHORT_BINBYTES`, `BINBYTES8`,
//! `BYTEARRAY8`, `READONLY_BUFFER`, `EMPTY_TUPLE`, `TUPLE`, `TUPLE1`–`TUPLE3`, `EMPTY_LIST`,
//! `LIST`, `APPEND`, `APPENDS`, `EMPTY_DICT`, `DICT`, `SETITEM`, `SETITEMS`, `EMPTY_SET`,
//! `ADDITEMS`, `FROZENSET`, `GET`, `BINGET`, `LONG_BINGET`, `PUT`, `BINPUT`, `LONG_BINPUT`,
//! `MEMOIZE`, `GLOBAL`, `STACK_GLOBAL`, `REDUCE` and `BUILD` (for allowed globals only), and
//! `NEWOBJ` (for immutable builtins). Refused with an error: `INST`, `OBJ`, `NEWOBJ_EX`
//! (class instances), `PERSID`, `BINPERSID` (outside references), `EXT1`/`EXT2`/`EXT4`
//! (the copyreg registry), `NEXT_BUFFER` (out-of-band data), and protocol 0's text
//! `STRING`/`UNICODE`, which NumPy never writes for object arrays.
//!
//! # Bounded by the bytes present
//!
//! Every length (`BINUNICODE8`, `LONG4`, `BINBYTES8`, …) is checked against the bytes that
//! remain before anything is allocated. Objects are held in an arena while the opcodes run
//! (memory proportional to the opcodes), and the memo refers to objects rather than
//! copying them, so a list memoized empty and filled later is read filled, as Python reads
//! it. When the result is built, shared references are copied into each place: nesting is
//! limited to [`MAX_DEPTH`] levels (an object that contains itself is refused), and the
//! values may take at most 64 bytes per pickle byte plus 64 MiB.
//!
//! # Why not serde-pickle
//!
//! [serde-pickle](https://crates.io/crates/serde-pickle) reads pickles into its own `Value`
//! but resolves only a fixed handful of globals (`set`, `frozenset`, `bytearray`, `list`,
//! `int`, `encode`) and either errors or substitutes `None` for all others; `REDUCE` and
//! `BUILD` of other globals (all of NumPy's array reconstruction) cannot be seen or
//! customised from outside it, and its memo copies values rather than referring to them.
//! An allow-list on top of it would have no way to build arrays, dtypes or scalars, so the
//! opcode loop is written here ([`reader`](self)): about 700 lines that make no calls, with
//! the allow-list in one function.
//!
//! # Writing
//!
//! Object arrays are written only when asked for: save an [`ObjectArray`] (built with
//! [`ObjectArray::from_strings`], [`from_optional_strings`](ObjectArray::from_optional_strings),
//! [`from_ragged`](ObjectArray::from_ragged), [`from_arrays`](ObjectArray::from_arrays) or
//! from [`Value`]s) or an [`NpyArray`](crate::NpyArray) holding one. The pickle (protocol 3,
//! `numpy.core.multiarray._reconstruct`) loads in NumPy 1.x and 2.x with
//! `allow_pickle=True`.

mod convert;
mod reader;
mod value;
mod writer;

use std::io::Read;

pub use reader::MAX_DEPTH;
pub use value::{ObjectArray, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::read::ReadOptions;

/// How Python 2 `str` objects in a pickle are read: NumPy's `encoding` argument of
/// `np.load` (only pickles written by Python 2 have them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PickleEncoding {
    /// As text, which must be ASCII (NumPy's default, `encoding='ASCII'`).
    #[default]
    Ascii,
    /// As text, each byte one character (`encoding='latin1'`): what NumPy recommends for
    /// Python 2 files holding numeric arrays, and right for Latin-1 text.
    Latin1,
    /// As [`Value::Bytes`] (`encoding='bytes'`).
    Bytes,
}

/// Reads the pickle of an object array (the data part of a `.npy` whose dtype is `|O`)
/// with the safe reader. `options.allow_pickle` must be set, as for every object-array
/// read; `options.pickle_encoding` says how Python 2 strings are read.
///
/// ```
/// use npy_serde::pickle::{self, ObjectArray};
/// use npy_serde::ReadOptions;
///
/// let bytes = npy_serde::to_bytes(&ObjectArray::from_strings(["a", "b"]))?;
/// let data_offset = npy_serde::header::read_header(&mut &bytes[..], 10_000)?.data_offset;
/// let options = ReadOptions::default().with_allow_pickle(true);
/// let objects = pickle::read_object_array(&bytes[data_offset as usize..], &options)?;
/// assert_eq!(objects.to_strings()?, ["a", "b"]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn read_object_array(bytes: &[u8], options: &ReadOptions) -> Result<ObjectArray> {
    read_objects(&mut &bytes[..], Some(bytes.len() as u64), options)
}

/// Reads any value a pickle holds with the safe reader (not only an object array): a
/// NumPy array pickled with `pickle.dump`, a list, a dict. Needs `options.allow_pickle`.
pub fn read_value(bytes: &[u8], options: &ReadOptions) -> Result<Value> {
    if !options.allow_pickle {
        return Err(Error::from(ErrorKind::ObjectArray));
    }
    match reader::unpickle(bytes, Some(bytes.len() as u64), options.pickle_encoding)? {
        reader::Unpickled::Objects(objects) => Ok(Value::Array(Box::new(
            crate::NpyArray::from_objects(objects),
        ))),
        reader::Unpickled::Other(value) => Ok(value),
    }
}

/// Reads an object array's pickle from `reader`. `available`, when known, is the number of
/// bytes present (they are read in one piece); otherwise the pickle is read opcode by
/// opcode and `reader` is left after its `STOP`.
pub(crate) fn read_objects<R: Read>(
    reader: &mut R,
    available: Option<u64>,
    options: &ReadOptions,
) -> Result<ObjectArray> {
    if !options.allow_pickle {
        return Err(Error::from(ErrorKind::ObjectArray));
    }
    let unpickled = match available {
        Some(len) => {
            let mut bytes = Vec::new();
            reader.take(len).read_to_end(&mut bytes)?;
            reader::unpickle(
                &bytes[..],
                Some(bytes.len() as u64),
                options.pickle_encoding,
            )?
        }
        None => reader::unpickle(reader, None, options.pickle_encoding)?,
    };
    match unpickled {
        reader::Unpickled::Objects(objects) => Ok(objects),
        reader::Unpickled::Other(value) => Err(Error::from(ErrorKind::Pickle {
            offset: 0,
            message: format!(
                "the pickle holds a {}, not the object array the header declares",
                value.type_name()
            ),
        })),
    }
}

/// A file holding only a pickle of a NumPy array (`pickle.dump(array, f)`, which `np.load`
/// reads with `allow_pickle=True`), read with the safe reader.
pub(crate) fn load_pickled_array(
    path: &std::path::Path,
    options: &ReadOptions,
) -> Result<crate::NpyArray> {
    let read = || -> Result<crate::NpyArray> {
        let bytes = std::fs::read(path)?;
        match read_value(&bytes, options)? {
            Value::Array(array) => Ok(*array),
            other => Err(Error::from(ErrorKind::Pickle {
                offset: 0,
                message: format!(
                    "the pickle holds a {}, not a NumPy array",
                    other.type_name()
                ),
            })),
        }
    };
    read().map_err(|e| e.in_file(path))
}

/// The pickle bytes of `objects`, as NumPy writes after an object array's header.
pub fn write_object_array(objects: &ObjectArray) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    writer::write_object_array(objects, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NpyArray;
    use num_complex::Complex;

    fn allow() -> ReadOptions {
        ReadOptions::default().with_allow_pickle(true)
    }

    #[test]
    fn every_value_type_writes_and_reads_back() {
        let values = vec![
            Value::None,
            Value::Bool(true),
            Value::Int(-7),
            Value::Int(i64::MIN),
            Value::BigInt("340282366920938463463374607431768211457".parse().unwrap()),
            Value::Float(0.1),
            Value::Complex(Complex::new(-1.0, 0.5)),
            Value::Str("ünï".into()),
            Value::Bytes(vec![1, 2]),
            Value::ByteArray(vec![]),
            Value::List(vec![Value::Tuple(vec![]), Value::Dict(vec![])]),
            Value::Set(vec![Value::Int(1)]),
            Value::FrozenSet(vec![]),
            Value::Array(Box::new(
                NpyArray::from_values(vec![1u16, 2], vec![2, 1]).unwrap(),
            )),
            Value::Scalar(Box::new(NpyArray::from_values(vec![true], vec![]).unwrap())),
        ];
        let objects = ObjectArray::with_shape(values, vec![3, 5]).unwrap();
        let pickle = write_object_array(&objects).unwrap();
        assert_eq!(read_object_array(&pickle, &allow()).unwrap(), objects);
    }

    #[test]
    fn reading_needs_the_option() {
        let pickle = write_object_array(&ObjectArray::from_strings(["a"])).unwrap();
        let err = read_object_array(&pickle, &ReadOptions::default()).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::ObjectArray), "{err}");
        assert!(read_value(&pickle, &ReadOptions::default()).is_err());
    }

    #[test]
    fn python2_strings_follow_the_encoding_choice() {
        // [b'caf\xe9'] as Python 2 wrote it: a list holding one SHORT_BINSTRING.
        let pickle = b"\x80\x02]U\x04caf\xe9a.";
        let read = |encoding| read_value(pickle, &allow().with_pickle_encoding(encoding));
        assert!(read(PickleEncoding::Ascii).is_err());
        assert_eq!(
            read(PickleEncoding::Latin1).unwrap(),
            Value::List(vec![Value::Str("café".into())])
        );
        assert_eq!(
            read(PickleEncoding::Bytes).unwrap(),
            Value::List(vec![Value::Bytes(b"caf\xe9".to_vec())])
        );
    }

    /// Arbitrary values: scalars of every kind, nested containers, nested arrays.
    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::None),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<i128>().prop_map(|i| Value::BigInt(i.into())),
            (-300i128..300).prop_map(|i| Value::BigInt(i.into())),
            any::<f64>().prop_map(Value::Float),
            (any::<f64>(), any::<f64>()).prop_map(|(re, im)| Value::Complex(Complex::new(re, im))),
            ".{0,8}".prop_map(Value::Str),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::ByteArray),
            proptest::collection::vec(any::<f32>(), 0..4).prop_map(|v| {
                let len = v.len();
                Value::Array(Box::new(NpyArray::from_values(v, vec![len]).unwrap()))
            }),
            any::<i16>().prop_map(|v| {
                Value::Scalar(Box::new(NpyArray::from_values(vec![v], vec![]).unwrap()))
            }),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Tuple),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Set),
                proptest::collection::vec((inner.clone(), inner), 0..3).prop_map(Value::Dict),
            ]
        })
    }

    proptest::proptest! {
        /// Whatever the writer writes, the reader reads back to the same pickle.
        #[test]
        fn written_values_read_back(values in proptest::collection::vec(any_value(), 0..6)) {
            let objects = ObjectArray::from_values(values);
            let pickle = write_object_array(&objects).unwrap();
            let back = read_object_array(&pickle, &allow()).unwrap();
            // Compared through the pickle: floats may be NaN.
            proptest::prop_assert_eq!(write_object_array(&back).unwrap(), pickle);
        }
    }

    #[test]
    fn a_disallowed_global_is_named_with_its_offset() {
        let err = read_value(b"\x80\x02cos\nsystem\n.", &allow()).unwrap_err();
        match err.into_kind() {
            ErrorKind::Pickle { offset, message } => {
                assert_eq!(offset, 2);
                assert!(message.contains("os.system"), "{message}");
            }
            other => panic!("{other}"),
        }
    }
}
