//! Object arrays (`dtype=object`) without running code: a restricted pickle reader, like
//! PyTorch's `torch.load(weights_only=True)`, for the pickle NumPy writes after an object
//! array's `.npy` header, a writer for the pickles NumPy reads back, and the values they
//! exchange ([`Value`], [`ObjectArray`], [`PickledArray`]).
//!
//! This module is the codec alone: bytes to values and back, knowing only dtypes and
//! headers. The readers of `.npy` and `.npz` data call it when [`ReadOptions`](crate::ReadOptions) allow it,
//! and the conversions of [`ObjectArray`] to typed Rust values live with the typed
//! readers.
//!
//! NumPy stores arrays of Python objects (strings from pandas, ragged lists of arrays,
//! `None`-holed columns) as a pickle and reads them only with `allow_pickle=True`, which
//! runs whatever code the pickle names. This reader interprets the pickle opcodes itself,
//! imports nothing and calls nothing: every global is checked against an allow-list when it
//! is named, and the few allowed "calls" are carried out by Rust code that builds a
//! [`Value`]. Any other global is an [`ErrorKind::Pickle`] naming it
//! (`global os.system is not on the safe reader's allow-list …`).
//!
//! Reading is off by default, as in NumPy: [`ReadOptions::with_allow_pickle`](crate::ReadOptions::with_allow_pickle) turns it on
//! for [`npy::load_with`](crate::npy::load_with), [`npz::Reader::open_with`](crate::npz::Reader::open_with),
//! [`npz::open_any_with`](crate::npz::open_any_with), [`npy::read_with`](crate::npy::read_with)
//! and the serde format ([`SerdeOptions`](crate::SerdeOptions)).
//!
//! ```
//! use npy_serde::pickle::{ObjectArray, Value};
//! use npy_serde::{npy, ReadOptions};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("names.npy");
//!
//! // Writing object arrays is opt-in: strings normally save as NumPy's '<U' dtype.
//! let names = ObjectArray::from_optional_strings(vec![Some("ada".into()), None]);
//! npy::save(&path, &names)?;
//!
//! // Refused by default, like np.load without allow_pickle=True…
//! assert!(npy::load::<Vec<Option<String>>, _>(&path).is_err());
//! // …and read safely with the option.
//! let options = ReadOptions::default().with_allow_pickle(true);
//! let back: Vec<Option<String>> = npy::load_with(&path, &options)?;
//! assert_eq!(back, [Some("ada".to_string()), None]);
//! let objects: ObjectArray = npy::load_with(&path, &options)?;
//! assert_eq!(objects.values[1], Value::None);
//! # Ok::<(), npy_serde::Error>(())
//! ```
//!
//! # Typed loads
//!
//! With the option, `npy::load_with`, `npy::read_with`, [`npz::Reader::read`](crate::npz::Reader::read)
//! and the serde format read object arrays into:
//!
//! | target | from an object array of |
//! |---|---|
//! | [`ObjectArray`], [`NpyArray`](crate::NpyArray) ([`ArrayData::Object`](crate::npy::ArrayData::Object)) | anything the reader builds |
//! | `Vec<T>`, `Array<T, D>` | scalars `T` reads: `str` for `String` and `FixedUnicode`, `bytes` for `Vec<u8>`, numbers (in range) for numeric types; the shape is kept |
//! | `Vec<Option<String>>` | `str` and `None` (and NaN, pandas' missing value) |
//! | `Vec<Vec<T>>` (numeric `T` but `u8`, `bool`, `String`) | NumPy arrays (flattened), lists or tuples: ragged rows |
//! | `Vec<ArrayD<T>>` | NumPy arrays of any shapes, lists or tuples |
//!
//! The same conversions are methods of [`ObjectArray`] ([`to_strings`](ObjectArray::to_strings),
//! [`to_optional_strings`](ObjectArray::to_optional_strings), [`to_ragged`](ObjectArray::to_ragged),
//! [`to_arrays`](ObjectArray::to_arrays), [`to_array`](ObjectArray::to_array)). A nested
//! array ([`Value::Array`]) is a [`PickledArray`], its header and bytes as pickled:
//! `NpyArray::try_from` decodes it.
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

mod globals;
mod reader;
mod value;
mod writer;

use std::io::Read;

pub use reader::MAX_DEPTH;
pub(crate) use value::Unpickled;
pub use value::{ObjectArray, PickleEncoding, PickledArray, PickledData, Value};

use crate::errors::{Error, ErrorKind, Result};

/// Reads one pickle from `reader` with the safe reader, up to its `STOP` opcode.
/// `remaining`, when known, is the number of bytes present: lengths beyond it are refused
/// before anything is allocated. Callers check that reading pickles is allowed.
pub(crate) fn unpickle<R: Read>(
    reader: R,
    remaining: Option<u64>,
    encoding: PickleEncoding,
) -> Result<Unpickled> {
    reader::unpickle(reader, remaining, encoding)
}

/// The object array a pickle holds, or an error naming what it holds instead.
pub(crate) fn expect_objects(unpickled: Unpickled) -> Result<ObjectArray> {
    match unpickled {
        Unpickled::Objects(objects) => Ok(objects),
        Unpickled::Other(value) => Err(Error::from(ErrorKind::Pickle {
            offset: 0,
            message: format!(
                "the pickle holds a {}, not the object array the header declares",
                value.type_name()
            ),
        })),
    }
}

/// The pickle bytes of `objects`, as NumPy writes after an object array's header.
pub(crate) fn write_object_array(objects: &ObjectArray) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    writer::write_object_array(objects, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::Header;
    use num_complex::Complex;

    fn read(pickle: &[u8], encoding: PickleEncoding) -> Result<Value> {
        match unpickle(pickle, Some(pickle.len() as u64), encoding)? {
            Unpickled::Objects(objects) => {
                Ok(Value::Array(Box::new(PickledArray::from_objects(objects))))
            }
            Unpickled::Other(value) => Ok(value),
        }
    }

    fn read_objects(pickle: &[u8]) -> Result<ObjectArray> {
        expect_objects(unpickle(
            pickle,
            Some(pickle.len() as u64),
            PickleEncoding::Ascii,
        )?)
    }

    fn raw(descr: &str, shape: Vec<usize>, bytes: Vec<u8>) -> Box<PickledArray> {
        let header = Header::new(descr.parse().unwrap(), shape);
        Box::new(PickledArray::from_bytes(header, bytes).unwrap())
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
            Value::Array(raw("<u2", vec![2, 1], vec![1, 0, 2, 0])),
            Value::Scalar(raw("|b1", vec![], vec![1])),
        ];
        let objects = ObjectArray::with_shape(values, vec![3, 5]).unwrap();
        let pickle = write_object_array(&objects).unwrap();
        assert_eq!(read_objects(&pickle).unwrap(), objects);
    }

    #[test]
    fn other_byte_orders_are_pickled_native_as_numpy_gives_them_back() {
        let big = raw(">i4", vec![2], vec![0, 0, 0, 1, 0, 0, 0, 2]);
        let objects = ObjectArray::from_values(vec![Value::Array(big)]);
        let back = read_objects(&write_object_array(&objects).unwrap()).unwrap();
        let Value::Array(array) = &back.values[0] else {
            panic!("{back:?}")
        };
        assert_eq!(array.header.dtype, "=i4".parse().unwrap());
        let ints: Vec<u8> = [1i32, 2].iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(array.data, PickledData::Bytes(ints));
    }

    #[test]
    fn python2_strings_follow_the_encoding_choice() {
        // [b'caf\xe9'] as Python 2 wrote it: a list holding one SHORT_BINSTRING.
        let pickle = b"\x80\x02]U\x04caf\xe9a.";
        assert!(read(pickle, PickleEncoding::Ascii).is_err());
        assert_eq!(
            read(pickle, PickleEncoding::Latin1).unwrap(),
            Value::List(vec![Value::Str("café".into())])
        );
        assert_eq!(
            read(pickle, PickleEncoding::Bytes).unwrap(),
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
                let bytes = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
                Value::Array(raw("=f4", vec![len], bytes))
            }),
            any::<i16>().prop_map(|v| Value::Scalar(raw("=i2", vec![], v.to_ne_bytes().to_vec()))),
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
            let back = read_objects(&pickle).unwrap();
            // Compared through the pickle: floats may be NaN.
            proptest::prop_assert_eq!(write_object_array(&back).unwrap(), pickle);
        }
    }

    #[test]
    fn a_disallowed_global_is_refused_by_name_with_its_offset() {
        let err = read(b"\x80\x02cos\nsystem\n.", PickleEncoding::Ascii).unwrap_err();
        assert_eq!(err.category(), crate::errors::Category::Refused);
        match err.into_kind() {
            ErrorKind::PickleRefused { offset, message } => {
                assert_eq!(offset, 2);
                assert!(message.contains("os.system"), "{message}");
            }
            other => panic!("{other}"),
        }
    }
}
