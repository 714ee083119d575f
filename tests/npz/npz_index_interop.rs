//! Archives carrying the chunk index (a private zip extra field in the central directory)
//! read unchanged by Python's `zipfile` and by `np.load`: one Python process checks them.

use npy_serde::npz::{self, Compression};
use npy_serde::{npy, WriteOptions};
use test_support::{run_python, temp_dir};

#[test]
fn zipfile_and_numpy_read_indexed_archives_unchanged() {
    let dir = temp_dir();
    // 2.5 segments of 4 MiB: the big member carries an index of two offsets.
    let big: Vec<u32> = (0..2_621_440u64 + 77)
        .map(|i| ((i * 2_654_435_761) >> 7) as u32 & 0x3FFF)
        .collect();
    let small = vec![1.5f64, -2.0, 3.25];
    npy::save(dir.path().join("big.npy"), &big).unwrap();
    npy::save(dir.path().join("small.npy"), &small).unwrap();
    let compressed = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    let mut writer = npz::Writer::create_with(dir.path().join("indexed.npz"), &compressed).unwrap();
    writer.add("small", &small).unwrap();
    writer.add("big", &big).unwrap();
    writer.add("after", &small).unwrap();
    writer.finish().unwrap();

    let out = run_python(
        r#"
import io, zipfile, numpy as np
with zipfile.ZipFile('indexed.npz') as z:
    assert z.testzip() is None, 'CRC or data error'
    infos = {i.filename: i for i in z.infolist()}
    assert list(infos) == ['small.npy', 'big.npy', 'after.npy'], list(infos)
    # The index is in the central directory's extra field, ignored by zipfile.
    assert infos['big.npy'].extra[:2] == b'np', infos['big.npy'].extra[:8]
    assert infos['small.npy'].extra == b''
    big = np.load(io.BytesIO(z.read('big.npy')))
with np.load('indexed.npz') as f:
    assert f.files == ['small', 'big', 'after'], f.files
    assert np.array_equal(f['big'], np.load('big.npy')) and np.array_equal(big, f['big'])
    assert np.array_equal(f['small'], np.load('small.npy'))
    assert np.array_equal(f['after'], np.load('small.npy'))
print('ok', len(big))
"#,
        dir.path(),
    );
    assert_eq!(out.trim(), format!("ok {}", big.len()));
}
