//! Object arrays (`dtype=object`, a pickle after the header) with real NumPy, both ways,
//! through the safe pickle reader: NumPy's object arrays of every Python type the reader
//! builds, from pickle protocols 2–5 and Python-2-style pickles with NumPy's three
//! `encoding` choices, in `.npy` and inside `.npz` (stored and compressed), load here to
//! the values NumPy loads; object arrays written here load in NumPy with
//! `allow_pickle=True` to the same values; typed loads; refusal by default.
//!
//! Values are compared through one canonical text both sides print (floats by their bits,
//! text and bytes in hex, sets sorted).

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayD};
use npy_serde::error::ErrorKind;
use npy_serde::npy::{self, ArrayData};
use npy_serde::npz::{self, AnyFile};
use npy_serde::pickle::{ObjectArray, PickleEncoding, PickledArray, Value};
use npy_serde::{NpyArray, ReadOptions};
use test_support::{run_python, temp_dir};

/// The Python side of the canonical text.
const CANON_PY: &str = r#"
import numpy as np, struct, pickle, io, os, sys
def shape(a): return '(' + ','.join(map(str, a.shape)) + ')'
def fnc(a): return 'F' if (a.flags.f_contiguous and not a.flags.c_contiguous) else 'C'
def canon(v):
    if isinstance(v, np.ndarray):
        if v.dtype == object:
            return 'ndo:' + shape(v) + ':' + fnc(v) + '[' + ','.join(canon(x) for x in v.reshape(-1)) + ']'
        return 'nd:' + v.dtype.str + ':' + shape(v) + ':' + fnc(v) + ':' + v.tobytes(order='F' if fnc(v) == 'F' else 'C').hex()
    if isinstance(v, np.generic):
        return 'sc:' + v.dtype.str + ':' + v.tobytes().hex()
    if v is None: return 'N'
    if isinstance(v, type): return 'type:' + v.__name__
    if isinstance(v, bool): return 'T' if v else 'F'
    if isinstance(v, int): return 'i:' + str(v)
    if isinstance(v, float): return 'f:' + struct.pack('>d', v).hex()
    if isinstance(v, complex): return 'c:' + struct.pack('>d', v.real).hex() + struct.pack('>d', v.imag).hex()
    if isinstance(v, str): return 's:' + v.encode('utf-8').hex()
    if isinstance(v, bytes): return 'b:' + v.hex()
    if isinstance(v, bytearray): return 'ba:' + bytes(v).hex()
    if isinstance(v, list): return 'L[' + ','.join(map(canon, v)) + ']'
    if isinstance(v, tuple): return 'T[' + ','.join(map(canon, v)) + ']'
    if isinstance(v, dict): return 'D[' + ','.join(canon(k) + '=' + canon(x) for k, x in v.items()) + ']'
    if isinstance(v, frozenset): return 'FS[' + ','.join(sorted(map(canon, v))) + ']'
    if isinstance(v, set): return 'S[' + ','.join(sorted(map(canon, v))) + ']'
    raise TypeError(type(v))
"#;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn shape(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("({})", dims.join(","))
}

fn order(fortran: bool) -> &'static str {
    if fortran {
        "F"
    } else {
        "C"
    }
}

fn join(values: &[Value]) -> String {
    values.iter().map(canon).collect::<Vec<_>>().join(",")
}

fn sorted(values: &[Value]) -> String {
    let mut items: Vec<String> = values.iter().map(canon).collect();
    items.sort();
    items.join(",")
}

/// The Rust side of the canonical text.
fn canon(value: &Value) -> String {
    match value {
        Value::None => "N".into(),
        Value::Bool(b) => if *b { "T" } else { "F" }.into(),
        Value::Int(i) => format!("i:{i}"),
        Value::BigInt(i) => format!("i:{i}"),
        Value::Float(f) => format!("f:{}", hex(&f.to_be_bytes())),
        Value::Complex(c) => format!("c:{}{}", hex(&c.re.to_be_bytes()), hex(&c.im.to_be_bytes())),
        Value::Str(s) => format!("s:{}", hex(s.as_bytes())),
        Value::Bytes(b) => format!("b:{}", hex(b)),
        Value::ByteArray(b) => format!("ba:{}", hex(b)),
        Value::List(items) => format!("L[{}]", join(items)),
        Value::Tuple(items) => format!("T[{}]", join(items)),
        Value::Dict(pairs) => format!(
            "D[{}]",
            pairs
                .iter()
                .map(|(k, v)| format!("{}={}", canon(k), canon(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Set(items) => format!("S[{}]", sorted(items)),
        Value::FrozenSet(items) => format!("FS[{}]", sorted(items)),
        Value::Array(array) => canon_array(&decoded(array)),
        Value::Scalar(array) => {
            let array = decoded(array);
            format!(
                "sc:{}:{}",
                array.dtype().type_str(),
                hex(&array.data_bytes().unwrap())
            )
        }
    }
}

/// A NumPy array or scalar inside an object array, decoded.
fn decoded(array: &PickledArray) -> NpyArray {
    NpyArray::try_from(array.clone()).unwrap()
}

fn canon_array(array: &NpyArray) -> String {
    match array.data() {
        ArrayData::Object(values) => format!(
            "ndo:{}:{}[{}]",
            shape(array.shape()),
            order(array.fortran_order()),
            join(values)
        ),
        _ => format!(
            "nd:{}:{}:{}:{}",
            array.dtype().type_str(),
            shape(array.shape()),
            order(array.fortran_order()),
            hex(&array.data_bytes().unwrap())
        ),
    }
}

fn canon_objects(objects: &ObjectArray) -> String {
    canon_array(&NpyArray::from_objects(objects.clone()))
}

/// `name\tcanonical` lines into a map.
fn lines(output: &str) -> BTreeMap<String, String> {
    output
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect()
}

fn allow() -> ReadOptions {
    ReadOptions::default().with_allow_pickle(true)
}

/// NumPy's object arrays: every type, shapes, orders; protocols 2–5.
const CASES_PY: &str = r#"
def obj(vals, shp=None):
    a = np.empty(len(vals), dtype=object); a[:] = vals
    return a.reshape(shp) if shp is not None else a
shared = ['shared', 1]
cases = {
    'str': obj(['a', 'héllo wörld', '☃ snow', '', 'x' * 300, '\U0001F600']),
    'bytes': obj([b'', b'\x00\xff', b'abc' * 100]),
    'int': obj([0, -1, 255, 2**31, -2**31 - 1, 2**63 - 1, 2**64, -2**70, 10**40]),
    'float': obj([0.0, -0.0, 1.5, float('inf'), float('nan'), 1e-310]),
    'complex': obj([1 + 2j, complex(0, -0.0)]),
    'bool_none': obj([True, False, None]),
    'containers': obj([[1, [2, 'a']], (1, (2,)), (), {'k': [1], 2: None}, {1, 2}, frozenset(['a']), bytearray(b'ba'), []]),
    'shared': obj([shared, shared, 'x', 'x']),
    'ragged': obj([np.array([1.0, 2.0]), np.arange(3, dtype='>i4'), np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.array(['ab', 'c']), np.array([b'q'], dtype='S2'), np.array([True]), np.zeros(0, dtype='<f2'), np.array(['2020-01-01'], dtype='M8[D]'), np.array([1 + 1j], dtype='<c8')]),
    'scalars': obj([np.float64(2.5), np.int64(-3), np.uint8(7), np.float32(0.5), np.str_('s'), np.bool_(True), np.complex64(1j), np.bytes_(b'by')]),
    'nested_obj': obj([obj(['inner', 1]), None]),
    'nd': obj(list('abcdef'), (2, 3)),
    'fortran': np.asfortranarray(obj(list(range(6)), (2, 3))),
    'fortran3': np.asfortranarray(obj([str(i) for i in range(24)], (2, 3, 4))),
    'zero_d': obj([{'a': 1}]).reshape(()),
    'empty': obj([]),
    'empty2': np.empty((0, 3), dtype=object),
}
"#;

#[test]
fn numpy_object_arrays_load_to_numpy_values_for_every_protocol() {
    let dir = temp_dir();
    let script = format!(
        "{CANON_PY}{CASES_PY}{}",
        r#"
from numpy.lib import format as fmt
for name, a in cases.items():
    for p in (2, 3, 4, 5):
        path = f'{name}_p{p}.npy'
        with open(path, 'wb') as f:
            fmt.write_array_header_1_0(f, fmt.header_data_from_array_1_0(a))
            pickle.dump(a, f, protocol=p)
        back = np.load(path, allow_pickle=True)
        print(f'{path}\t{canon(back)}')
    np.save(f'{name}_save.npy', a, allow_pickle=True)
    print(f'{name}_save.npy\t{canon(np.load(name + "_save.npy", allow_pickle=True))}')
np.savez('stored.npz', **cases)
np.savez_compressed('deflated.npz', **cases)
stored = np.load('stored.npz', allow_pickle=True)
for name, a in cases.items():
    assert canon(np.load('deflated.npz', allow_pickle=True)[name]) == canon(stored[name])
    print(f'npz:{name}\t{canon(stored[name])}')
"#
    );
    let expected = lines(&run_python(&script, dir.path()));
    let mut checked = 0;
    for (name, want) in &expected {
        if let Some(member) = name.strip_prefix("npz:") {
            for archive in ["stored.npz", "deflated.npz"] {
                let mut reader =
                    npz::Reader::open_with(dir.path().join(archive), &allow()).unwrap();
                let objects: ObjectArray = reader
                    .read(member)
                    .unwrap_or_else(|e| panic!("{archive}/{member}: {e}"));
                assert_eq!(&canon_objects(&objects), want, "{archive}/{member}");
                checked += 1;
            }
            continue;
        }
        let path = dir.path().join(name);
        let objects: ObjectArray =
            npy::load_with(&path, &allow()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&canon_objects(&objects), want, "{name}");
        // The dynamic array holds the same values and saves back to a pickle that reads
        // back the same; except that, as in NumPy, `_reconstruct` turns arrays of the other
        // byte order (kept by protocol 5's `_frombuffer`) native.
        let array: NpyArray = npy::load_with(&path, &allow()).unwrap();
        assert_eq!(canon_array(&array), *want, "{name} as NpyArray");
        if name == "ragged_p5.npy" {
            checked += 1;
            continue;
        }
        let again: ObjectArray =
            npy::read_with(&mut &npy::to_vec(&array).unwrap()[..], &allow()).unwrap();
        assert_eq!(&canon_objects(&again), want, "{name} saved back");
        checked += 1;
    }
    assert_eq!(checked, 17 * 5 + 17 * 2);
}

/// Python 2 wrote `str` as BINSTRING / SHORT_BINSTRING and named `__builtin__` and
/// `numpy.core.multiarray`; NumPy's `encoding` decides what such strings become.
#[test]
fn python2_pickles_follow_numpys_encoding_choices() {
    let dir = temp_dir();
    let script = format!(
        "{CANON_PY}{}",
        r#"
from numpy.lib import format as fmt
class Py2(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)
    def save_py2str(self, obj):
        n = len(obj)
        self.write((b'U' + bytes([n]) if n < 256 else b'T' + n.to_bytes(4, 'little')) + obj)
        self.memoize(obj)
    dispatch[bytes] = save_py2str
def obj(vals):
    a = np.empty(len(vals), dtype=object); a[:] = vals
    return a
cases = {
    'ascii': obj([b'abc', u'uni\u2603', 7, None, [b'x', {b'k': 1.5}], {1, 2}]),
    'latin': obj([b'caf\xe9', b'\xff\x00']),
    'ragged': obj([np.array([1.0, 2.0]), np.arange(3, dtype='<i8'), np.array([0.5], dtype='>f4')]),
}
for name, a in cases.items():
    buffer = io.BytesIO()
    Py2(buffer, protocol=2, fix_imports=True).dump(a)
    data = buffer.getvalue().replace(b'numpy._core.', b'numpy.core.')
    assert b'__builtin__' in data or name != 'ascii'
    path = f'py2_{name}.npy'
    with open(path, 'wb') as f:
        fmt.write_array_header_1_0(f, fmt.header_data_from_array_1_0(a))
        f.write(data)
    for enc in ('ASCII', 'latin1', 'bytes'):
        try:
            print(f'{path}:{enc}\t{canon(np.load(path, allow_pickle=True, encoding=enc))}')
        except Exception:
            print(f'{path}:{enc}\tERR')
"#
    );
    let expected = lines(&run_python(&script, dir.path()));
    assert_eq!(expected.len(), 9);
    for (key, want) in &expected {
        let (name, encoding) = key.split_once(':').unwrap();
        let encoding = match encoding {
            "ASCII" => PickleEncoding::Ascii,
            "latin1" => PickleEncoding::Latin1,
            _ => PickleEncoding::Bytes,
        };
        let options = allow().with_pickle_encoding(encoding);
        let loaded = npy::load_with::<ObjectArray, _>(dir.path().join(name), &options);
        match (want.as_str(), loaded) {
            ("ERR", Err(err)) => assert!(err.to_string().contains("Latin1"), "{err}"),
            // NumPy's ASCII choice fails on the raw bytes of numeric arrays too; the safe
            // reader takes array data as bytes whatever the choice.
            ("ERR", Ok(_)) => assert!(key.starts_with("py2_ragged"), "{key}"),
            (want, Ok(objects)) => assert_eq!(canon_objects(&objects), want, "{key}"),
            (_, Err(err)) => panic!("{key}: {err}"),
        }
    }
}

#[test]
fn typed_loads_of_object_arrays() {
    let dir = temp_dir();
    run_python(
        r#"
import numpy as np
def obj(vals, shp=None):
    a = np.empty(len(vals), dtype=object); a[:] = vals
    return a.reshape(shp) if shp is not None else a
np.save('names.npy', obj(['ada', 'grâce', np.str_('np')]))
np.save('holes.npy', obj(['a', None, float('nan')]))
np.save('ragged.npy', obj([np.array([1.0, 2.0]), np.array([3.0]), [4, 5.5], (6,)]))
np.save('ragged_i.npy', obj([np.arange(3, dtype='>i2'), np.array([], dtype='<i8')]))
np.save('ints.npy', obj([1, 2, 3, 4, 5, 6], (2, 3)))
np.save('grid.npy', obj([np.zeros((2, 2)), np.ones(3)]))
np.save('fortran_names.npy', np.asfortranarray(obj(list('abcdef'), (2, 3))))
np.savez('mixed.npz', names=obj(['x', 'y']), plain=np.arange(3.0))
import pickle
with open('bare.pkl', 'wb') as f: pickle.dump(np.arange(4, dtype='<i2').reshape(2, 2), f)
"#,
        dir.path(),
    );
    let path = |name: &str| dir.path().join(name);
    let names: Vec<String> = npy::load_with(path("names.npy"), &allow()).unwrap();
    assert_eq!(names, ["ada", "grâce", "np"]);
    let holes: Vec<Option<String>> = npy::load_with(path("holes.npy"), &allow()).unwrap();
    assert_eq!(holes, [Some("a".to_string()), None, None]);
    let ragged: Vec<Vec<f64>> = npy::load_with(path("ragged.npy"), &allow()).unwrap();
    assert_eq!(
        ragged,
        [vec![1.0, 2.0], vec![3.0], vec![4.0, 5.5], vec![6.0]]
    );
    let ragged: Vec<Vec<i64>> = npy::load_with(path("ragged_i.npy"), &allow()).unwrap();
    assert_eq!(ragged, [vec![0, 1, 2], vec![]]);
    // Narrowing is an error, as for plain arrays.
    let err = npy::load_with::<Vec<Vec<i8>>, _>(path("ragged_i.npy"), &allow()).unwrap_err();
    assert!(err.to_string().contains("element 0"), "{err}");
    let ints: Array2<i32> = npy::load_with(path("ints.npy"), &allow()).unwrap();
    assert_eq!(ints, ndarray::array![[1, 2, 3], [4, 5, 6]]);
    let letters: Array2<String> = npy::load_with(path("fortran_names.npy"), &allow()).unwrap();
    assert_eq!(
        letters,
        ndarray::array![["a", "b", "c"], ["d", "e", "f"]].mapv(String::from)
    );
    let letters: Vec<String> = npy::load_with(path("fortran_names.npy"), &allow()).unwrap();
    assert_eq!(letters, ["a", "b", "c", "d", "e", "f"]);
    let flat: Vec<u8> = npy::load_with(path("ints.npy"), &allow()).unwrap();
    assert_eq!(flat, [1, 2, 3, 4, 5, 6]);
    assert!(npy::load_with::<Vec<ArrayD<f32>>, _>(path("grid.npy"), &allow()).is_err());
    let grid: Vec<ArrayD<f64>> = npy::load_with(path("grid.npy"), &allow()).unwrap();
    assert_eq!(grid[0].shape(), [2, 2]);
    assert_eq!(grid[1].as_slice().unwrap(), [1.0, 1.0, 1.0]);
    // Wrong element types name the element and the type.
    let err = npy::load_with::<Vec<String>, _>(path("holes.npy"), &allow()).unwrap_err();
    assert!(err.to_string().contains("element 1 is a NoneType"), "{err}");
    // A plain array does not load as a ragged or object type that cannot hold it…
    let plain = path("plain.npy");
    npy::save(&plain, &vec![1.0f64, 2.0]).unwrap();
    assert!(npy::load::<ObjectArray, _>(&plain).is_err());
    // …but strings and matrices load as optional strings and rows.
    npy::save(&plain, &ndarray::array![[1.0f64, 2.0], [3.0, 4.0]]).unwrap();
    let rows: Vec<Vec<f64>> = npy::load(&plain).unwrap();
    assert_eq!(rows, [[1.0, 2.0], [3.0, 4.0]]);
    // Archives and open_any take the same option.
    let mut archive = npz::Reader::open_with(path("mixed.npz"), &allow()).unwrap();
    let names: Vec<String> = archive.read("names").unwrap();
    assert_eq!(names, ["x", "y"]);
    match npz::open_any_with(path("names.npy"), &allow()).unwrap() {
        AnyFile::Npy(array) => assert_eq!(array.shape(), [3]),
        other => panic!("an array, not {other:?}"),
    }
    // A bare pickle of an array (np.load's last resort), only with the option.
    assert!(npz::open_any(path("bare.pkl")).is_err());
    match npz::open_any_with(path("bare.pkl"), &allow()).unwrap() {
        AnyFile::Npy(array) => {
            assert_eq!(
                array.to_array::<i16>().unwrap(),
                ndarray::array![[0, 1], [2, 3]].into_dyn()
            )
        }
        other => panic!("an array, not {other:?}"),
    }
}

#[test]
fn object_arrays_are_refused_by_default_with_the_option_named() {
    let dir = temp_dir();
    run_python(
        "import numpy as np\nnp.save('o.npy', np.array(['a', None], dtype=object))\nnp.savez('o.npz', o=np.array([1, None], dtype=object))",
        dir.path(),
    );
    let err = npy::load::<Vec<String>, _>(dir.path().join("o.npy")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ObjectArray), "{err}");
    assert!(err.to_string().contains("with_allow_pickle(true)"), "{err}");
    let err = npy::load::<NpyArray, _>(dir.path().join("o.npy")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ObjectArray), "{err}");
    let mut archive = npz::Reader::open(dir.path().join("o.npz")).unwrap();
    let err = archive.read::<NpyArray>("o").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ObjectArray), "{err}");
}

/// A typed array as an object array holds it: its header and data bytes.
fn pickled(array: NpyArray) -> PickledArray {
    PickledArray::from_bytes(array.header(), array.data_bytes().unwrap()).unwrap()
}

/// Everything the writer writes, as NumPy loads it.
fn written_cases() -> Vec<(&'static str, ObjectArray)> {
    use num_complex::Complex;
    let big: num_bigint::BigInt = "-123456789012345678901234567890".parse().unwrap();
    let every_type = vec![
        Value::None,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int(-5),
        Value::Int(i64::MAX),
        Value::BigInt(big),
        Value::Float(-0.25),
        Value::Float(f64::NAN),
        Value::Complex(Complex::new(1.0, -2.0)),
        Value::Str("héllo ☃".into()),
        Value::Bytes(vec![0, 255]),
        Value::ByteArray(b"ba".to_vec()),
        Value::List(vec![Value::Int(1), Value::List(vec![])]),
        Value::Tuple(vec![Value::Str("t".into())]),
        Value::Tuple(vec![]),
        Value::Dict(vec![(Value::Str("k".into()), Value::Int(2))]),
        Value::Set(vec![Value::Int(1), Value::Int(2)]),
        Value::FrozenSet(vec![Value::Str("f".into())]),
        Value::Array(Box::new(pickled(
            NpyArray::from_values(vec!["ab".to_string(), "c".into()], vec![2]).unwrap(),
        ))),
        Value::Array(Box::new(pickled(
            NpyArray::from_raw(
                "<M8[ms]".parse().unwrap(),
                vec![1],
                false,
                7i64.to_le_bytes().to_vec(),
            )
            .unwrap(),
        ))),
        Value::Scalar(Box::new(pickled(
            NpyArray::from_values(vec![2.5f64], vec![]).unwrap(),
        ))),
        Value::Array(Box::new(PickledArray::from_objects(
            ObjectArray::from_strings(["in"]),
        ))),
    ];
    let mut fortran = ObjectArray::with_shape(
        (0..6).map(|i| Value::Str(i.to_string())).collect(),
        vec![2, 3],
    )
    .unwrap();
    fortran.fortran_order = true;
    let matrix = ndarray::Array2::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f64);
    vec![
        (
            "strings",
            ObjectArray::from_strings(["a", "", "naïve ☃ 😀", "x"]),
        ),
        (
            "optional",
            ObjectArray::from_optional_strings(vec![Some("a".into()), None]),
        ),
        (
            "ragged_f32",
            ObjectArray::from_ragged(&[vec![1.5f32, 2.0], vec![], vec![3.0]]).unwrap(),
        ),
        (
            "ragged_i64",
            ObjectArray::from_ragged(&[vec![1i64, -2], vec![3]]).unwrap(),
        ),
        (
            "arrays",
            ObjectArray::from_arrays(&[
                matrix.clone().into_dyn(),
                matrix.t().to_owned().into_dyn(),
            ])
            .unwrap(),
        ),
        ("every_type", ObjectArray::from_values(every_type)),
        ("fortran", fortran),
        (
            "zero_d",
            ObjectArray::with_shape(vec![Value::Str("only".into())], vec![]).unwrap(),
        ),
        ("empty", ObjectArray::from_values(vec![])),
    ]
}

#[test]
fn object_arrays_written_here_load_in_numpy_with_the_same_values() {
    let dir = temp_dir();
    let cases = written_cases();
    let mut archive =
        npz::Writer::new(std::fs::File::create(dir.path().join("written.npz")).unwrap());
    for (name, objects) in &cases {
        npy::save(dir.path().join(format!("{name}.npy")), objects).unwrap();
        archive.add(name, objects).unwrap();
        // And it reads back here.
        let back: ObjectArray =
            npy::load_with(dir.path().join(format!("{name}.npy")), &allow()).unwrap();
        assert_eq!(canon_objects(&back), canon_objects(objects), "{name}");
    }
    archive.finish().unwrap();
    let script = format!(
        "{CANON_PY}{}",
        r#"
import warnings
warnings.simplefilter('error')
names = sys.argv[1:] if len(sys.argv) > 1 else None
archive = np.load('written.npz', allow_pickle=True)
for path in sorted(os.listdir('.')):
    if path.endswith('.npy'):
        a = np.load(path, allow_pickle=True)
        assert a.dtype == object, path
        print(f'{path[:-4]}\t{canon(a)}')
        assert canon(archive[path[:-4]]) == canon(a), path
"#
    );
    let loaded = lines(&run_python(&script, dir.path()));
    assert_eq!(loaded.len(), cases.len());
    for (name, objects) in &cases {
        assert_eq!(loaded[*name], canon_objects(objects), "{name}");
    }
}

/// The pickle written for NumPy 1.26 (`numpy.core.multiarray`, which NumPy 2 still
/// resolves) is what `_reconstruct` is named in both; NumPy 1.26 itself is checked when
/// NPY_SERDE_PYTHON_126 names a python with numpy<2.
#[test]
fn written_pickles_name_the_reconstruct_both_numpy_versions_resolve() {
    let bytes = npy::to_vec(&ObjectArray::from_strings(["a"])).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("numpy.core.multiarray\n_reconstruct\n"));
    assert!(!text.contains("numpy._core"));
    let Some(python) = std::env::var_os("NPY_SERDE_PYTHON_126") else {
        return;
    };
    let dir = temp_dir();
    for (name, objects) in written_cases() {
        npy::save(dir.path().join(format!("{name}.npy")), &objects).unwrap();
    }
    let script = format!(
        "{CANON_PY}{}",
        r#"
assert np.__version__.startswith('1.'), np.__version__
for path in sorted(os.listdir('.')):
    a = np.load(path, allow_pickle=True)
    print(f'{path[:-4]}\t{canon(a)}')
"#
    );
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let loaded = lines(&String::from_utf8_lossy(&output.stdout));
    for (name, objects) in written_cases() {
        assert_eq!(loaded[name], canon_objects(&objects), "{name} in NumPy 1.x");
    }
}

/// NumPy's own test data: object arrays written by Python 2 (protocol 2, one naming NumPy
/// < 1.0's `_reconstruct`) and Python 3, in `.npy` and `.npz`, as shipped in NumPy's
/// wheel. They hold the class `range` besides strings, bytes and `None`, so the safe
/// reader refuses them, naming that global; NumPy's ASCII choice fails on their Python 2
/// strings, and so does this reader (or refuses the class first).
#[test]
fn numpys_own_object_array_test_files_load_as_numpy_loads_them() {
    let dir = temp_dir();
    let script = format!(
        "{CANON_PY}{}",
        r#"
import numpy.lib.tests
data = os.path.join(os.path.dirname(numpy.lib.tests.__file__), 'data')
for name in sorted(os.listdir(data)):
    if 'objarr' not in name:
        continue
    path = os.path.join(data, name)
    for enc in ('ASCII', 'latin1', 'bytes'):
        try:
            loaded = np.load(path, allow_pickle=True, encoding=enc)
            if name.endswith('.npz'):
                for member in loaded.files:
                    print(f'{path}|{member}|{enc}\t{canon(loaded[member])}')
            else:
                print(f'{path}||{enc}\t{canon(loaded)}')
        except Exception as e:
            print(f'{path}||{enc}\tERR')
"#
    );
    let expected = lines(&run_python(&script, dir.path()));
    assert!(expected.len() >= 9, "{expected:?}");
    for (key, want) in &expected {
        let mut parts = key.split('|');
        let (path, member, encoding) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let encoding = match encoding {
            "ASCII" => PickleEncoding::Ascii,
            "latin1" => PickleEncoding::Latin1,
            _ => PickleEncoding::Bytes,
        };
        let options = allow().with_pickle_encoding(encoding);
        let loaded = if member.is_empty() {
            npy::load_with::<ObjectArray, _>(path, &options)
        } else {
            npz::Reader::open_with(path, &options)
                .and_then(|mut archive| archive.read::<ObjectArray>(member))
        };
        match (want.as_str(), loaded) {
            ("ERR", Err(_)) => {}
            // The files hold the class `range` (`xrange`): not on the allow-list.
            (want, Err(err)) if want.contains("type:") => {
                let message = err.to_string();
                assert!(
                    message.contains("range is not on the safe reader's allow-list"),
                    "{key}: {message}"
                );
            }
            (want, Ok(objects)) if want != "ERR" => {
                assert_eq!(canon_objects(&objects), want, "{key}")
            }
            (want, loaded) => panic!("{key}: NumPy gives {want}, here {loaded:?}"),
        }
    }
}
