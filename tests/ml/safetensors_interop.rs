//! npz ⇄ safetensors against the Python `safetensors` package (its NumPy API, no torch):
//! our files load in `safetensors.numpy.load_file` equal to `np.load` of the npz they came
//! from, and the files it writes convert here into members equal to `np.savez` of the same
//! arrays. bf16 has no NumPy dtype in `safetensors.numpy`, so its files are read and
//! written in Python through the format's own header (8-byte length + JSON) and ml_dtypes.

use half::bf16;
use ndarray::{Array2, ShapeBuilder};
use npy_serde::dtype::Endian;
use npy_serde::safetensors::{self as st, METADATA_MEMBER};
use npy_serde::{npz, NpyArray, WriteOptions};
use num_complex::Complex;
use test_support::{python_with_ml, run_python, temp_dir};

/// Every dtype both formats have, in C and Fortran order, little- and big-endian.
fn write_source(path: &std::path::Path, endian: Endian) {
    let options = WriteOptions::default().with_endian(endian);
    let mut writer = npz::Writer::create_with(path, &options).unwrap();
    let grid = |f: fn(usize) -> f64| Array2::from_shape_fn((3, 4), |(i, j)| f(i * 4 + j));
    let wave = grid(|k| k as f64 * 0.75 - 4.0);
    macro_rules! member {
        ($name:literal, $t:ty, $conv:expr) => {{
            let c: Array2<$t> = wave.mapv($conv);
            let f = Array2::from_shape_fn((3, 4).f(), |ij| c[ij]);
            writer.add(concat!($name, "/c"), &c).unwrap();
            writer.add(concat!($name, "/f"), &f).unwrap();
        }};
    }
    member!("bool", bool, |v| v > 0.0);
    member!("i8", i8, |v| (v * 8.0) as i8);
    member!("i16", i16, |v| (v * 1000.0) as i16);
    member!("i32", i32, |v| (v * 1e6) as i32);
    member!("i64", i64, |v| (v * 1e15) as i64);
    member!("u8", u8, |v| (v * 8.0 + 100.0) as u8);
    member!("u16", u16, |v| (v * 1000.0 + 9000.0) as u16);
    member!("u32", u32, |v| (v * 1e6 + 1e8) as u32);
    member!("u64", u64, |v| (v * 1e15 + 1e17) as u64);
    member!("f16", half::f16, half::f16::from_f64);
    member!("bf16", bf16, bf16::from_f64);
    member!("f32", f32, |v| v as f32 / 3.0);
    member!("f64", f64, |v| v / 3.0);
    member!("c64", Complex<f32>, |v| Complex::new(
        v as f32,
        -v as f32 / 7.0
    ));
    writer
        .add(
            METADATA_MEMBER,
            &ndarray::arr0(r#"{"format":"np","epoch":"3"}"#.to_string()),
        )
        .unwrap();
    writer.finish().unwrap();
}

#[test]
fn our_safetensors_load_in_python_equal_to_the_npz() {
    let python = python_with_ml();
    assert!(python.exists());
    let dir = temp_dir();
    for (tag, endian) in [("le", Endian::Little), ("be", Endian::Big)] {
        let npz_path = dir.path().join(format!("{tag}.npz"));
        write_source(&npz_path, endian);
        st::npz_to_safetensors(&npz_path, dir.path().join(format!("{tag}.safetensors"))).unwrap();
    }
    run_python(
        r#"
import json, struct
import numpy as np, ml_dtypes
from safetensors import safe_open

def raw(path):
    # The format itself: u64 header length, JSON header, little-endian C-order data.
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    return header, b[8 + n:]

for tag in ['le', 'be']:
    z = np.load(f'{tag}.npz')
    path = f'{tag}.safetensors'
    header, data = raw(path)
    assert header['__metadata__'] == json.loads(str(z['__metadata__'])), header['__metadata__']
    with safe_open(path, framework='numpy') as f:
        assert f.metadata() == {'format': 'np', 'epoch': '3'}, f.metadata()
    names = [k for k in z.files if k != '__metadata__']
    assert sorted(names) == sorted(k for k in header if k != '__metadata__'), (names, header)
    plain = {k for k in names if not k.startswith('bf16/')}
    # safetensors.numpy has no BF16 (load_file would stop at one): the others through
    # safe_open's NumPy API one by one, bf16 through the header.
    with safe_open(path, framework='numpy') as f:
        for k in plain:
            got = f.get_tensor(k)
            want = z[k]
            assert got.dtype == want.dtype.newbyteorder('<') or got.dtype == want.dtype, (k, got.dtype, want.dtype)
            assert got.shape == want.shape and (got == want).all(), (tag, k, got, want)
    for k in names:
        if not k.startswith('bf16/'):
            continue
        info = header[k]
        assert info['dtype'] == 'BF16', info
        lo, hi = info['data_offsets']
        got = np.frombuffer(data[lo:hi], dtype='<u2').view(ml_dtypes.bfloat16).reshape(info['shape'])
        want = z[k].view(ml_dtypes.bfloat16)
        assert (got.view(np.uint16) == want.view(np.uint16)).all(), (tag, k, got, want)
    assert header['c64/f']['dtype'] == 'C64' and header['f16/c']['dtype'] == 'F16'
"#,
        dir.path(),
    );
}

#[test]
fn python_safetensors_convert_here_equal_to_np_savez() {
    let python = python_with_ml();
    assert!(python.exists());
    let dir = temp_dir();
    run_python(
        r#"
import json, struct
import numpy as np, ml_dtypes
from safetensors.numpy import save_file
w = (np.arange(24).reshape(2, 3, 4) - 11.5) / 3
arrays = {
    'bool': w > 0, 'i8': (w * 8).astype('i1'), 'i16': (w * 900).astype('i2'),
    'i32': (w * 1e6).astype('i4'), 'i64': (w * 1e15).astype('i8'),
    'u8': (w * 8 + 100).astype('u1'), 'u16': (w * 900 + 9000).astype('u2'),
    'u32': (w * 1e6 + 1e8).astype('u4'), 'u64': (w * 1e15 + 1e17).astype('u8'),
    'f16': w.astype('f2'), 'f32': w.astype('f4'), 'f64': w, 'c64': (w + 1j * w).astype('c8'),
    'encoder.layer.0.weight': w.astype('f4')[0], 'scalar': np.array(2.5, 'f4'), 'empty': np.zeros((0, 3), 'f4'),
}
save_file(arrays, 'py.safetensors', metadata={'framework': 'numpy', 'note': 'ünïcode'})
np.savez('py_reference.npz', **arrays)
# bf16: written as the format says (safetensors.numpy has no BF16), with its reference npz.
b = w.astype(ml_dtypes.bfloat16)
header = json.dumps({'b': {'dtype': 'BF16', 'shape': list(b.shape), 'data_offsets': [0, b.nbytes]}}).encode()
header += b' ' * (-len(header) % 8)
open('py_bf16.safetensors', 'wb').write(struct.pack('<Q', len(header)) + header + b.tobytes())
np.savez('py_bf16_reference.npz', b=b)
"#,
        dir.path(),
    );
    let path = |name: &str| dir.path().join(name);
    for (source, reference) in [
        ("py.safetensors", "py_reference.npz"),
        ("py_bf16.safetensors", "py_bf16_reference.npz"),
    ] {
        let converted = path(&format!("{source}.npz"));
        st::safetensors_to_npz(path(source), &converted).unwrap();
        let mut ours = npz::Reader::open(&converted).unwrap();
        let mut theirs = npz::Reader::open(path(reference)).unwrap();
        let mut names = ours.names();
        names.retain(|n| n != METADATA_MEMBER);
        let mut expected = theirs.names();
        names.sort();
        expected.sort();
        assert_eq!(names, expected, "{source}");
        for name in &names {
            let a: NpyArray = ours.read(name).unwrap();
            let b: NpyArray = theirs.read(name).unwrap();
            assert_eq!(a, b, "{source}: {name}");
        }
    }
    let mut ours = npz::Reader::open(path("py.safetensors.npz")).unwrap();
    let meta: ndarray::Array0<String> = ours.read(METADATA_MEMBER).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta.into_scalar()).unwrap();
    assert_eq!(
        meta,
        serde_json::json!({"framework": "numpy", "note": "ünïcode"})
    );
    let b: Array2<bf16> = npz::Reader::open(path("py_bf16.safetensors.npz"))
        .unwrap()
        .read("b")
        .map(|a: ndarray::Array3<bf16>| a.index_axis_move(ndarray::Axis(0), 1))
        .unwrap();
    assert_eq!(b[[0, 0]], bf16::from_f64((12.0 - 11.5) / 3.0));

    // Refused both ways, naming the member and the dtype.
    let strings = path("strings.npz");
    npz::savez(&strings, &[("names", &vec!["a".to_string()])]).unwrap();
    let err = st::npz_to_safetensors(&strings, path("strings.safetensors")).unwrap_err();
    assert!(err.to_string().contains("names"), "{err}");
    assert!(!path("strings.safetensors").exists());
}
