//! Streamed archives ([`npz::Writer::streaming`], [`npy_serde::to_writer`]): members
//! followed by data descriptors, written to a non-seekable output. Stored ones are
//! byte-identical to `np.savez` writing to an unseekable file (what Python's `zipfile`
//! does there); stored and compressed ones load in NumPy and pass `zipfile`'s CRC check.

use std::collections::BTreeMap;

use npy_serde::npz::{self, Compression};
use npy_serde::{Bulk, WriteOptions};
use test_support::{run_python, temp_dir};

use super::npz_interop::{add_rust_arrays, NUMPY_ARRAYS};

/// A `Write` that cannot seek, like a pipe.
struct Pipe(std::fs::File);

impl std::io::Write for Pipe {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn pipe_to(path: &std::path::Path) -> Pipe {
    Pipe(std::fs::File::create(path).unwrap())
}

#[test]
fn streamed_archives_match_numpy_on_an_unseekable_file_and_load() {
    let dir = temp_dir();
    let compressed = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    for (name, options) in [
        ("stream_stored.npz", WriteOptions::default()),
        ("stream_compressed.npz", compressed.clone()),
    ] {
        let mut writer =
            npz::Writer::streaming_with(pipe_to(&dir.path().join(name)), &options).unwrap();
        assert!(writer.is_streaming());
        add_rust_arrays(&mut writer);
        writer.finish().unwrap();
    }
    // Several deflate chunks and a chunk-by-chunk member, streamed.
    let big: Vec<f64> = (0..3_000_000).map(|i| ((i % 5000) as f64).sqrt()).collect();
    for (name, options) in [
        ("big_stored.npz", WriteOptions::default()),
        ("big_compressed.npz", compressed.clone()),
        (
            "big_aligned.npz",
            WriteOptions::default().with_alignment(64),
        ),
    ] {
        let mut writer =
            npz::Writer::streaming_with(pipe_to(&dir.path().join(name)), &options).unwrap();
        writer.add("big", &big).unwrap();
        let mut rows = writer.stream::<i32>("rows", &[1000, 3]).unwrap();
        for i in 0..1000 {
            rows.write_chunk(&[i, -i, 7]).unwrap();
        }
        rows.finish().unwrap();
        writer.finish().unwrap();
    }
    // The serde format through `to_writer`, stored and compressed.
    let mut state = BTreeMap::new();
    state.insert("weight", Bulk(ndarray::Array1::from(big.clone())));
    state.insert("bias", Bulk(ndarray::Array1::from(vec![0.5f64; 3])));
    npy_serde::to_writer(pipe_to(&dir.path().join("serde.npz")), &state).unwrap();
    let serde_compressed = npy_serde::SerdeOptions::default().with_write(compressed);
    npy_serde::to_writer_with(
        pipe_to(&dir.path().join("serde_compressed.npz")),
        &state,
        &serde_compressed,
    )
    .unwrap();

    let script = format!(
        "{NUMPY_ARRAYS}
import zipfile
class Unseekable:
    def __init__(self, f): self.f = f
    def write(self, b): return self.f.write(b)
    def flush(self): self.f.flush()
    def read(self, *a): raise OSError('write-only')
def savez_unseekable(path, *args, **kw):
    with open(path, 'wb') as f:
        np.savez(Unseekable(f), *args, **kw)
def check(path, expected):
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None, path
        assert all(i.flag_bits & 8 for i in z.infolist()), path
    with np.load(path) as f:
        assert f.files == list(expected), (path, f.files)
        for k, v in expected.items():
            assert f[k].dtype == v.dtype and np.array_equal(f[k], v), (path, k)
savez_unseekable('numpy_unseekable.npz', *positional, **arrays)
assert open('stream_stored.npz', 'rb').read() == open('numpy_unseekable.npz', 'rb').read()
check('stream_stored.npz', everything)
check('stream_compressed.npz', everything)
big = np.sqrt((np.arange(3_000_000) % 5000).astype('f8'))
rows = np.stack([np.arange(1000), -np.arange(1000), np.full(1000, 7)], axis=1).astype('<i4')
savez_unseekable('numpy_big.npz', big=big, rows=rows)
assert open('big_stored.npz', 'rb').read() == open('numpy_big.npz', 'rb').read()
for path in ['big_stored.npz', 'big_compressed.npz', 'big_aligned.npz']:
    check(path, dict(big=big, rows=rows))
for path in ['serde.npz', 'serde_compressed.npz']:
    check(path, dict(bias=np.full(3, 0.5), weight=big))
print('ok', np.__version__)
"
    );
    let out = run_python(&script, dir.path());
    assert!(out.starts_with("ok"), "{out}");
}
