//! Aligned archives ([`WriteOptions::with_alignment`]) read by NumPy and Python's `zipfile`
//! unchanged: every member's values equal, `testzip()` clean (CRCs), and each member's data
//! found, by Python's own reading of the local headers, at a multiple of the alignment. One
//! Python process checks the whole matrix: alignments 8, 64 and 4096, a checkpoint written
//! by the checkpoint manager (aligned by default), and a deflated archive (which cannot be
//! aligned: the option is refused with compression) for comparison.

use ndarray::Array2;
use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
use npy_serde::npz::{Compression, Writer};
use npy_serde::WriteOptions;
use num_complex::Complex;
use test_support::{run_python, temp_dir};

/// Writes one archive of every plain dtype (and a few others) with `options`.
fn write_archive(path: &std::path::Path, options: &WriteOptions) {
    let mut writer = Writer::create_with(path, options).unwrap();
    // Names of every length shift each local header differently.
    writer.add("b", &vec![true, false, true]).unwrap();
    writer.add("i1", &vec![-1i8, 2, -3]).unwrap();
    writer.add("u1xx", &vec![1u8, 2, 3]).unwrap();
    writer.add("i2x", &vec![-1i16, 300]).unwrap();
    writer.add("u2", &vec![7u16, 65535]).unwrap();
    writer.add("i4xxxxx", &vec![-3i32, 4]).unwrap();
    writer.add("u4", &vec![1u32 << 31]).unwrap();
    writer.add("i8xx", &vec![i64::MIN, 5]).unwrap();
    writer.add("u8x", &vec![u64::MAX]).unwrap();
    writer.add("f2", &vec![half::f16::from_f32(0.5)]).unwrap();
    writer.add("f4xxxx", &vec![1.5f32, -2.25]).unwrap();
    writer
        .add(
            "f8",
            &Array2::from_shape_fn((3, 5), |(i, j)| i as f64 + j as f64 / 8.0),
        )
        .unwrap();
    writer
        .add("c8x", &vec![Complex::new(1.0f32, -1.0)])
        .unwrap();
    writer
        .add("c16", &vec![Complex::new(0.25f64, 2.0)])
        .unwrap();
    writer
        .add("U", &vec!["héllo".to_string(), "a".into()])
        .unwrap();
    writer.add("nested/key", &vec![1i64, 2, 3]).unwrap();
    writer.finish().unwrap();
}

const EXPECTED: &str = r#"
import io, json, struct, sys, zipfile, numpy as np
expected = {
    'b': np.array([True, False, True]),
    'i1': np.array([-1, 2, -3], dtype='i1'),
    'u1xx': np.array([1, 2, 3], dtype='u1'),
    'i2x': np.array([-1, 300], dtype='i2'),
    'u2': np.array([7, 65535], dtype='u2'),
    'i4xxxxx': np.array([-3, 4], dtype='i4'),
    'u4': np.array([1 << 31], dtype='u4'),
    'i8xx': np.array([-2**63, 5], dtype='i8'),
    'u8x': np.array([2**64 - 1], dtype='u8'),
    'f2': np.array([0.5], dtype='f2'),
    'f4xxxx': np.array([1.5, -2.25], dtype='f4'),
    'f8': np.fromfunction(lambda i, j: i + j / 8.0, (3, 5)),
    'c8x': np.array([1 - 1j], dtype='c8'),
    'c16': np.array([0.25 + 2j], dtype='c16'),
    'U': np.array(['héllo', 'a']),
    'nested/key': np.array([1, 2, 3], dtype='i8'),
}

def data_offset(f, info):
    # Python's own reading of the local header: signature, then name and extra lengths.
    f.seek(info.header_offset)
    local = f.read(30)
    assert local[:4] == b'PK\x03\x04'
    name_len, extra_len = struct.unpack('<HH', local[26:30])
    return info.header_offset + 30 + name_len + extra_len

checked = 0
for name, alignment in json.loads(sys.argv[1]):
    with np.load(name) as z:
        assert sorted(z.files) == sorted(expected), (name, z.files)
        for key, want in expected.items():
            got = z[key]
            assert got.dtype == want.dtype and got.shape == want.shape, (name, key, got.dtype, got.shape)
            assert np.array_equal(got, want), (name, key, got, want)
    with zipfile.ZipFile(name) as zf, open(name, 'rb') as f:
        assert zf.testzip() is None, name
        for info in zf.infolist():
            member = np.load(io.BytesIO(zf.read(info)))
            assert np.array_equal(member, expected[info.filename[:-4]]), (name, info.filename)
            if alignment:
                assert info.compress_type == zipfile.ZIP_STORED
                npy_start = data_offset(f, info)
                f.seek(npy_start)
                head = f.read(10)
                header_len = struct.unpack('<H', head[8:10])[0] if head[6] == 1 else None
                assert npy_start % alignment == 0, (name, info.filename, npy_start, alignment)
                if header_len is not None:
                    assert (npy_start + 10 + header_len) % min(alignment, 64) == 0
            checked += 1
print(checked)
"#;

#[test]
fn numpy_and_zipfile_read_aligned_archives_unchanged() {
    let dir = temp_dir();
    let mut cases: Vec<(String, usize)> = Vec::new();
    for alignment in [8, 64, 4096] {
        let name = format!("aligned_{alignment}.npz");
        write_archive(
            &dir.path().join(&name),
            &WriteOptions::default().with_alignment(alignment),
        );
        cases.push((name, alignment));
    }
    let name = "deflated.npz".to_string();
    write_archive(
        &dir.path().join(&name),
        &WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE),
    );
    cases.push((name, 0));
    // Deflated members cannot be aligned: asking for both is refused.
    let both = WriteOptions::default()
        .with_alignment(64)
        .with_compression(Compression::NUMPY_DEFLATE);
    assert!(Writer::create_with(dir.path().join("x.npz"), &both).is_err());

    let args = format!(
        "[{}]",
        cases
            .iter()
            .map(|(name, alignment)| format!("[\"{name}\", {alignment}]"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let printed = run_python_with_arg(EXPECTED, dir.path(), &args);
    assert_eq!(printed.trim(), (cases.len() * 16).to_string());
}

#[test]
fn numpy_loads_a_checkpoint_and_its_members_are_64_byte_aligned() {
    #[derive(serde::Serialize)]
    struct State {
        step: u64,
        weights: Vec<f32>,
        bias: Vec<f64>,
    }
    let dir = temp_dir();
    let mut manager = CheckpointManager::open(dir.path(), CheckpointOptions::default()).unwrap();
    let state = State {
        step: 7,
        weights: (0..1000).map(|i| i as f32 / 4.0).collect(),
        bias: vec![0.5; 3],
    };
    manager.save(7, &state).unwrap();
    manager.wait().unwrap();
    let script = r#"
import struct, zipfile, numpy as np
name = 'checkpoint_0000000007.npz'
with np.load(name) as z:
    assert int(z['step']) == 7
    assert np.array_equal(z['weights'], np.arange(1000, dtype='f4') / 4)
    assert np.array_equal(z['bias'], np.full(3, 0.5))
with zipfile.ZipFile(name) as zf, open(name, 'rb') as f:
    assert zf.testzip() is None
    for info in zf.infolist():
        f.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack('<HH', f.read(4))
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
print('ok')
"#;
    assert_eq!(run_python(script, dir.path()).trim(), "ok");
}

/// [`run_python`] with one command-line argument (`sys.argv[1]`).
fn run_python_with_arg(script: &str, dir: &std::path::Path, arg: &str) -> String {
    let script = format!("import sys\nsys.argv = ['-c', {arg:?}]\n{script}");
    run_python(&script, dir)
}
