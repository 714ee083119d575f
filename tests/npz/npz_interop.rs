//! `.npz` interop with real NumPy, both ways: NumPy's archives (stored, compressed, keyword
//! and positional, empty, keys with '/', records, 70000 members) read here; archives written
//! here loaded by NumPy with equal arrays, stored ones byte-identical to `np.savez`; updates
//! of NumPy- and Rust-made archives loaded by NumPy with unchanged members byte-identical.

use ndarray::{array, Array2, ArrayD};
use npy_serde::dtype::{DType, Endian};
use npy_serde::error::ErrorKind;
use npy_serde::npz::{self, open_any, AnyFile, Compression};
use npy_serde::{npy, NpyArray, WriteOptions};
use test_support::{run_python, temp_dir};

/// The arrays both sides build: keyword ones (NumPy's order), then two positional.
pub(crate) const NUMPY_ARRAYS: &str = r#"
import numpy as np, json, os
rec = np.array([(1, 2.5, b'ab'), (3, -1.0, b'c')], dtype=[('id', '<i4'), ('x', '<f8'), ('tag', 'S2')])
arrays = {
    'f8': np.arange(7) / 8.0,
    'i4_2d': np.arange(12, dtype='<i4').reshape(3, 4),
    'fortran': np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    'bool': np.array([True, False, True]),
    'u': np.array(['a', 'héllo']),
    's': np.array([b'x', b'yz']),
    'c16': np.array([1 + 2j, 0.25 - 0.5j]),
    'scalar': np.array(3.5),
    'empty': np.zeros((0, 3), dtype='>i2'),
    'be': np.arange(3, dtype='>f4'),
    'nested/key': np.arange(2),
    'x.npy': np.arange(1, dtype='<u2'),
    'rec': rec,
    'dt': np.array(['2020-01-01', '1969-12-31'], dtype='M8[D]'),
    'clé': np.array([1, 2], dtype='<i8'),
}
positional = [np.arange(3, dtype=np.uint8), np.ones((2, 2), dtype='<f2')]
everything = dict(arrays)
everything['arr_0'], everything['arr_1'] = positional
"#;

/// Options for `np.savez_compressed`'s archives.
fn compressed_options() -> WriteOptions {
    WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE)
}

fn read_all(archive: &mut npz::Reader<std::fs::File>) -> Vec<(String, NpyArray)> {
    archive
        .names()
        .into_iter()
        .map(|name| {
            let array = archive.read::<NpyArray>(&name).unwrap();
            (name, array)
        })
        .collect()
}

#[test]
fn numpy_archives_read_in_rust() {
    let dir = temp_dir();
    let script = format!(
        "{NUMPY_ARRAYS}
np.savez('stored.npz', *positional, **arrays)
np.savez_compressed('compressed.npz', *positional, **arrays)
np.savez('empty.npz')
np.savez_compressed('empty_compressed.npz')
os.mkdir('single')
for i, (k, v) in enumerate(everything.items()):
    np.save(os.path.join('single', '%d.npy' % i), v)
print(json.dumps(np.load('stored.npz').files))
"
    );
    let files: Vec<String> = parse_json_list(&run_python(&script, dir.path()));
    assert_eq!(files.len(), 17);
    for archive_name in ["stored.npz", "compressed.npz"] {
        let mut archive = npz::Reader::open(dir.path().join(archive_name)).unwrap();
        assert_eq!(archive.names(), files, "{archive_name}");
        assert!(archive.contains("nested/key") && archive.contains("nested/key.npy"));
        assert!(archive.contains("x.npy") && archive.contains("x.npy.npy"));
        for (i, (name, array)) in read_all(&mut archive).into_iter().enumerate() {
            let expected: NpyArray = npy::load(dir.path().join(format!("single/{i}.npy"))).unwrap();
            assert_eq!(array, expected, "{archive_name}: member {name}");
            let header = archive.header(&name).unwrap();
            assert_eq!(header.header, expected.header(), "{name}");
        }
        let matrix: Array2<i32> = archive.read("i4_2d").unwrap();
        assert_eq!(matrix[[2, 3]], 11);
        let fortran: Array2<f64> = archive.read("fortran").unwrap();
        assert_eq!(fortran, array![[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]);
        let widened: Vec<f32> = archive.read("arr_1").unwrap();
        assert_eq!(widened, [1.0; 4]);
        let strings: Vec<String> = archive.read("u").unwrap();
        assert_eq!(strings, ["a", "héllo"]);
        let err = archive.read::<Vec<f64>>("nope").unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MissingMember { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("\"f8\""), "{err}");
        let err = archive.read::<Vec<u8>>("f8").unwrap_err().to_string();
        assert!(
            err.contains("member \"f8\"") && err.contains(archive_name),
            "{err}"
        );
    }
    let mut stored = npz::Reader::open(dir.path().join("stored.npz")).unwrap();
    let range = stored.stored_member_range("f8").unwrap();
    let bytes = std::fs::read(dir.path().join("stored.npz")).unwrap();
    let npy = &bytes[range.start as usize..range.end as usize];
    assert_eq!(npy, std::fs::read(dir.path().join("single/0.npy")).unwrap());
    let mut compressed = npz::Reader::open(dir.path().join("compressed.npz")).unwrap();
    let err = compressed
        .stored_member_range("f8")
        .unwrap_err()
        .to_string();
    assert!(err.contains("deflate"), "{err}");
    for empty in ["empty.npz", "empty_compressed.npz"] {
        let archive = npz::Reader::open(dir.path().join(empty)).unwrap();
        assert!(archive.is_empty() && archive.names().is_empty());
        assert!(matches!(
            open_any(dir.path().join(empty)).unwrap(),
            AnyFile::Npz(_)
        ));
    }
}

/// The arrays of `NUMPY_ARRAYS`, built in Rust (records and datetimes as dynamic arrays).
#[test]
fn numpy_object_members_are_refused_alone() {
    let dir = temp_dir();
    // 'many' pickles to fewer bytes than 1000 eight-byte items: an object member's size
    // says nothing about its shape.
    run_python(
        "import numpy as np
arrays = dict(a=np.array([1, 'x'], dtype=object), b=np.arange(3),
              many=np.array([None] * 1000, dtype=object))
np.savez('obj.npz', **arrays)
np.savez_compressed('obj_compressed.npz', **arrays)
",
        dir.path(),
    );
    for file in ["obj.npz", "obj_compressed.npz"] {
        let mut archive = npz::Reader::open(dir.path().join(file)).unwrap();
        assert_eq!(archive.names(), ["a", "b", "many"]);
        for (name, shape) in [("a", 2), ("many", 1000)] {
            let header = archive.header(name).unwrap().header;
            assert_eq!((header.dtype, header.shape), (DType::Object, vec![shape]));
            let err = archive.read::<NpyArray>(name).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::ObjectArray),
                "{file}: {err}"
            );
            let text = err.to_string();
            assert!(text.contains(&format!("member \"{name}\"")), "{text}");
            let err = archive.read::<Vec<i64>>(name).unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::ObjectArray), "{err}");
        }
        assert_eq!(archive.read::<Vec<i64>>("b").unwrap(), [0, 1, 2]);
    }
}

pub(crate) fn add_rust_arrays<W: std::io::Write>(writer: &mut npz::Writer<W>) {
    let record: DType = "[('id', '<i4'), ('x', '<f8'), ('tag', 'S2')]"
        .parse()
        .unwrap();
    let mut rec_bytes = Vec::new();
    for (id, x, tag) in [(1i32, 2.5f64, *b"ab"), (3, -1.0, *b"c\0")] {
        rec_bytes.extend_from_slice(&id.to_le_bytes());
        rec_bytes.extend_from_slice(&x.to_le_bytes());
        rec_bytes.extend_from_slice(&tag);
    }
    let rec = NpyArray::from_raw(record, vec![2], false, rec_bytes).unwrap();
    let dates: Vec<i64> = vec![18262, -1];
    let dt = NpyArray::from_raw(
        "<M8[D]".parse().unwrap(),
        vec![2],
        false,
        bytemuck::cast_slice(&dates).to_vec(),
    )
    .unwrap();
    let f8: Vec<f64> = (0..7).map(|i| i as f64 / 8.0).collect();
    writer.add("f8", &f8).unwrap();
    let i4 = ndarray::Array::from_iter(0..12i32)
        .into_shape_with_order((3, 4))
        .unwrap();
    writer.add("i4_2d", &i4).unwrap();
    let c = array![[0.0f64, 1.0, 2.0], [3.0, 4.0, 5.0]];
    let transposed = c.t().as_standard_layout().into_owned();
    let fortran = transposed.reversed_axes();
    writer.add("fortran", &fortran.view()).unwrap();
    writer.add("bool", &vec![true, false, true]).unwrap();
    writer
        .add("u", &vec!["a".to_string(), "héllo".to_string()])
        .unwrap();
    writer
        .add("s", &vec![b"x".to_vec(), b"yz".to_vec()])
        .unwrap();
    let c16 = vec![
        num_complex::Complex::new(1.0f64, 2.0),
        num_complex::Complex::new(0.25, -0.5),
    ];
    writer.add("c16", &c16).unwrap();
    writer.add("scalar", &ndarray::arr0(3.5f64)).unwrap();
    let empty = NpyArray::from_raw(">i2".parse().unwrap(), vec![0, 3], false, vec![]).unwrap();
    writer.add("empty", &empty).unwrap();
    let be = NpyArray::from_values(vec![0.0f32, 1.0, 2.0], vec![3])
        .unwrap()
        .with_endian(Endian::Big);
    writer.add("be", &be).unwrap();
    writer.add("nested/key", &vec![0i64, 1]).unwrap();
    writer.add("x.npy", &vec![0u16]).unwrap();
    writer.add("rec", &rec).unwrap();
    writer.add("dt", &dt).unwrap();
    writer.add("clé", &vec![1i64, 2]).unwrap();
    writer.add_positional(&vec![0u8, 1, 2]).unwrap();
    let ones = ArrayD::from_elem(vec![2, 2], half::f16::from_f32(1.0));
    writer.add_positional(&ones).unwrap();
}

#[test]
fn rust_archives_load_in_numpy_and_stored_ones_are_byte_identical() {
    let dir = temp_dir();
    let mut stored = npz::Writer::create(dir.path().join("rust_stored")).unwrap();
    assert_eq!(
        stored.target_path().unwrap(),
        dir.path().join("rust_stored.npz")
    );
    add_rust_arrays(&mut stored);
    stored.finish().unwrap();
    let mut compressed = npz::Writer::create_with(
        dir.path().join("rust_compressed.npz"),
        &compressed_options(),
    )
    .unwrap();
    add_rust_arrays(&mut compressed);
    compressed.finish().unwrap();

    // A big compressible member spanning many parallel chunks, plus a streamed one.
    let big: Vec<f64> = (0..3_000_000).map(|i| ((i % 5000) as f64).sqrt()).collect();
    for (name, compress) in [("big_stored.npz", false), ("big_compressed.npz", true)] {
        let path = dir.path().join(name);
        let mut writer = if compress {
            npz::Writer::create_with(&path, &compressed_options()).unwrap()
        } else {
            npz::Writer::create(&path).unwrap()
        };
        writer.add("big", &big).unwrap();
        let mut rows = writer.stream::<i32>("rows", &[1000, 3]).unwrap();
        for i in 0..1000 {
            rows.write_chunk(&[i, -i, 7]).unwrap();
        }
        rows.finish().unwrap();
        writer.finish().unwrap();
    }
    // The one-call form, heterogeneous arrays.
    npz::savez(
        dir.path().join("one_call.npz"),
        &[("a", &vec![1.0f32, 2.0]), ("b", &array![[1u8, 2], [3, 4]])],
    )
    .unwrap();
    npz::savez_compressed(dir.path().join("empty"), &[]).unwrap();

    let script = format!(
        "{NUMPY_ARRAYS}{RAW_RECORDS}
def same_bytes(ours, theirs):
    a, b = open(ours, 'rb').read(), open(theirs, 'rb').read()
    if a != b:
        ra, rb = raw_records(ours), raw_records(theirs)
        differ = [k for k in rb if ra.get(k) != rb[k]]
        raise AssertionError('%s differs from %s in members %s' % (ours, theirs, differ))
def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b) and \
        a.flags.f_contiguous == b.flags.f_contiguous
np.savez('numpy_stored.npz', *positional, **arrays)
np.savez_compressed('numpy_compressed.npz', *positional, **arrays)
same_bytes('rust_stored.npz', 'numpy_stored.npz')
with np.load('rust_compressed.npz') as f:
    assert f.files == list(everything), f.files
    for k, v in everything.items():
        assert same(f[k], v), (k, f[k], v)
big = np.sqrt((np.arange(3_000_000) % 5000).astype('f8'))
rows = np.stack([np.arange(1000), -np.arange(1000), np.full(1000, 7)], axis=1).astype('<i4')
np.savez('numpy_big_stored.npz', big=big, rows=rows)
np.savez_compressed('numpy_big_compressed.npz', big=big, rows=rows)
same_bytes('big_stored.npz', 'numpy_big_stored.npz')
with np.load('big_compressed.npz') as f:
    assert same(f['big'], big) and same(f['rows'], rows)
for ours, theirs in [('big_compressed.npz', 'numpy_big_compressed.npz'), ('rust_compressed.npz', 'numpy_compressed.npz')]:
    ratio = os.path.getsize(ours) / os.path.getsize(theirs)
    print(ours, os.path.getsize(ours), theirs, os.path.getsize(theirs), ratio)
    assert abs(ratio - 1) <= 0.02, (ours, ratio)
np.savez('numpy_one_call.npz', a=np.array([1, 2], dtype='<f4'), b=np.array([[1, 2], [3, 4]], dtype='u1'))
same_bytes('one_call.npz', 'numpy_one_call.npz')
np.savez_compressed('numpy_empty.npz')
same_bytes('empty.npz', 'numpy_empty.npz')
print('ok')
"
    );
    let out = run_python(&script, dir.path());
    assert!(out.ends_with("ok\n"), "{out}");
    eprintln!("{out}");
}

#[test]
fn seventy_thousand_members_use_zip64_both_ways() {
    const COUNT: usize = 70_000;
    let dir = temp_dir();
    let mut writer = npz::Writer::create(dir.path().join("rust_many.npz")).unwrap();
    let mut compressed =
        npz::Writer::create_with(dir.path().join("rust_many_c.npz"), &compressed_options())
            .unwrap();
    for i in 0..COUNT {
        let value = ndarray::arr0(i as i64);
        writer.add(&format!("m{i}"), &value).unwrap();
        compressed.add(&format!("m{i}"), &value).unwrap();
    }
    writer.finish().unwrap();
    compressed.finish().unwrap();
    let script = format!(
        "
import numpy as np
arrays = {{'m%d' % i: np.array(i, dtype='<i8') for i in range({COUNT})}}
np.savez('numpy_many.npz', **arrays)
assert open('rust_many.npz', 'rb').read() == open('numpy_many.npz', 'rb').read(), 'bytes differ'
with np.load('rust_many_c.npz') as f:
    assert len(f.files) == {COUNT}
    assert f['m0'] == 0 and f['m69999'] == 69999 and f['m12345'] == 12345
print('ok')
"
    );
    assert_eq!(run_python(&script, dir.path()), "ok\n");
    let mut numpy_made = npz::Reader::open(dir.path().join("numpy_many.npz")).unwrap();
    assert_eq!(numpy_made.len(), COUNT);
    let last: ndarray::Array0<i64> = numpy_made.read("m69999").unwrap();
    assert_eq!(last.into_scalar(), 69999);
}

/// (offset, compressed size) -> the raw local record + data of each member, read by Python.
const RAW_RECORDS: &str = r#"
import zipfile
def raw_records(path):
    out = {}
    with zipfile.ZipFile(path) as z, open(path, 'rb') as f:
        for info in z.infolist():
            f.seek(info.header_offset)
            head = f.read(30)
            n = int.from_bytes(head[26:28], 'little') + int.from_bytes(head[28:30], 'little')
            f.seek(info.header_offset)
            out[info.filename] = (f.read(30 + n + info.compress_size), info.CRC)
    return out
"#;

#[test]
fn updates_of_numpy_and_rust_archives_load_in_numpy() {
    let dir = temp_dir();
    let setup = "
import numpy as np, shutil
a = dict(keep1=np.arange(10.0), gone=np.arange(3), swap=np.array([1, 2], dtype='<i4'), keep2=np.eye(3, dtype='<f4'))
np.savez('np_stored.npz', **a)
np.savez_compressed('np_compressed.npz', **a)
for n in ['np_stored', 'np_compressed']:
    shutil.copy(n + '.npz', n + '.orig.npz')
";
    run_python(setup, dir.path());
    // A Rust-made compressed archive of the same content.
    let mut writer =
        npz::Writer::create_with(dir.path().join("rs_compressed.npz"), &compressed_options())
            .unwrap();
    writer
        .add("keep1", &(0..10).map(f64::from).collect::<Vec<_>>())
        .unwrap();
    writer.add("gone", &vec![0i64, 1, 2]).unwrap();
    writer.add("swap", &vec![1i32, 2]).unwrap();
    writer.add("keep2", &Array2::<f32>::eye(3)).unwrap();
    writer.finish().unwrap();
    std::fs::copy(
        dir.path().join("rs_compressed.npz"),
        dir.path().join("rs_compressed.orig.npz"),
    )
    .unwrap();

    for name in ["np_stored", "np_compressed", "rs_compressed"] {
        let path = dir.path().join(format!("{name}.npz"));
        let mut update = npz::Update::open(&path).unwrap();
        update
            .remove("gone")
            .unwrap()
            .replace("swap.npy", &vec![7i32, 8, 9])
            .unwrap()
            .add("new/one", &vec!["x".to_string()])
            .unwrap()
            .put("keep1_copy", &vec![1u8])
            .unwrap();
        assert!(update.add("keep2", &vec![0u8]).is_err());
        assert!(update.remove("missing").is_err());
        assert_eq!(
            update.names(),
            ["keep1", "swap", "keep2", "new/one", "keep1_copy"]
        );
        update.commit().unwrap();
        let mut back = npz::Reader::open(&path).unwrap();
        assert_eq!(back.read::<Vec<i32>>("swap").unwrap(), [7, 8, 9]);
        assert_eq!(back.is_compressed("new/one").unwrap(), name != "np_stored");
    }
    // Remove everything: an empty archive.
    std::fs::copy(
        dir.path().join("np_stored.orig.npz"),
        dir.path().join("all_gone.npz"),
    )
    .unwrap();
    let mut update = npz::Update::open(dir.path().join("all_gone.npz")).unwrap();
    for name in ["keep1", "gone", "swap", "keep2"] {
        update.remove(name).unwrap();
    }
    update.commit().unwrap();

    let script = format!(
        "{RAW_RECORDS}
import numpy as np
for name in ['np_stored', 'np_compressed', 'rs_compressed']:
    with np.load(name + '.npz') as f:
        assert f.files == ['keep1', 'swap', 'keep2', 'new/one', 'keep1_copy'], f.files
        assert np.array_equal(f['keep1'], np.arange(10.0))
        assert np.array_equal(f['keep2'], np.eye(3, dtype='<f4')) and f['keep2'].dtype == '<f4'
        assert np.array_equal(f['swap'], [7, 8, 9]) and f['swap'].dtype == '<i4'
        assert f['new/one'].tolist() == ['x'] and f['keep1_copy'].tolist() == [1]
    old, new = raw_records(name + '.orig.npz'), raw_records(name + '.npz')
    for member in ['keep1.npy', 'keep2.npy']:
        assert old[member] == new[member], (name, member)
    zipfile.ZipFile(name + '.npz').testzip()
with np.load('all_gone.npz') as f:
    assert f.files == []
print('ok')
"
    );
    assert_eq!(run_python(&script, dir.path()), "ok\n");
    // Rust-made stored archives: the update of a savez archive equals np.savez of the result.
    let path = dir.path().join("rs_stored.npz");
    npz::savez(&path, &[("a", &vec![1i16]), ("b", &vec![2i16])]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let mut update = npz::Update::open(&path).unwrap();
    update.add("c", &vec![3i16]).unwrap().remove("a").unwrap();
    update.commit().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o640,
            "the update keeps the file's permissions"
        );
    }
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary files left behind");
    let script = "
import numpy as np
np.savez('expected.npz', b=np.array([2], dtype='<i2'), c=np.array([3], dtype='<i2'))
assert open('expected.npz', 'rb').read() == open('rs_stored.npz', 'rb').read()
print('ok')
";
    assert_eq!(run_python(script, dir.path()), "ok\n");
}

#[test]
fn open_any_tells_npy_npz_and_pickles_apart() {
    let dir = temp_dir();
    let script = "
import numpy as np, pickle
np.save('a.npy', np.arange(4, dtype='<i2'))
np.savez('b.npz', x=np.arange(2))
with open('c.pkl', 'wb') as f:
    pickle.dump([1, 2], f)
np.save('d.npy', np.array([{}, 1], dtype=object), allow_pickle=True)
open('e.txt', 'w').write('hello')
";
    run_python(script, dir.path());
    match open_any(dir.path().join("a.npy")).unwrap() {
        AnyFile::Npy(array) => assert_eq!(array.shape(), [4]),
        other => panic!("a.npy is an array, not {other:?}"),
    }
    match open_any(dir.path().join("b.npz")).unwrap() {
        AnyFile::Npz(mut archive) => {
            assert_eq!(archive.read::<Vec<i64>>("x").unwrap(), [0, 1])
        }
        other => panic!("b.npz is an archive, not {other:?}"),
    }
    let err = open_any(dir.path().join("c.pkl")).unwrap_err().to_string();
    assert!(err.contains("pickle") && err.contains("c.pkl"), "{err}");
    let err = open_any(dir.path().join("d.npy")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ObjectArray), "{err}");
    let err = open_any(dir.path().join("e.txt")).unwrap_err().to_string();
    assert!(
        err.contains("not a .npy or .npz file: it starts with \"hello\""),
        "{err}"
    );
}

/// Members over 4 GiB: zip64 sizes in the local extra and the central directory. Writes
/// and reads ~4.3 GB on disk, so it only runs on request:
/// `cargo test --release --test npz -- --ignored`.
#[test]
#[ignore = "writes a 4.3 GB file"]
fn member_over_four_gib_loads_in_numpy() {
    let dir = temp_dir();
    let path = dir.path().join("huge.npz");
    let rows = (4usize << 30) / 8 / 1024 + 4096;
    let mut writer = npz::Writer::create(&path).unwrap();
    writer.add("small", &vec![1u8, 2, 3]).unwrap();
    let mut stream = writer.stream::<f64>("huge", &[rows, 1024]).unwrap();
    let mut row = vec![0.0f64; 1024];
    for i in 0..rows {
        row[0] = i as f64;
        stream.write_chunk(&row).unwrap();
    }
    stream.finish().unwrap();
    writer.add("after", &vec![9u8]).unwrap();
    writer.finish().unwrap();
    let mut reader = npz::Reader::open(&path).unwrap();
    let range = reader.stored_member_range("huge").unwrap();
    assert!(range.end - range.start > 4 << 30);
    assert_eq!(reader.read::<Vec<u8>>("after").unwrap(), [9]);
    let script = format!(
        "
import numpy as np, zipfile
z = zipfile.ZipFile('huge.npz')
assert [i.filename for i in z.infolist()] == ['small.npy', 'huge.npy', 'after.npy']
with np.load('huge.npz') as f:
    assert f['after'].tolist() == [9]
    huge = f['huge']
    assert huge.shape == ({rows}, 1024) and huge[-1, 0] == {rows} - 1
print('ok')
"
    );
    assert_eq!(run_python(&script, dir.path()), "ok\n");
}

fn parse_json_list(text: &str) -> Vec<String> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split(", ")
        .map(|item| {
            let quoted = item.trim();
            let unquoted = &quoted[1..quoted.len() - 1];
            // json.dumps escapes non-ASCII as \uXXXX.
            let mut out = String::new();
            let mut chars = unquoted.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('u') => {
                            let hex: String = chars.by_ref().take(4).collect();
                            out.push(
                                char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap(),
                            );
                        }
                        Some(other) => out.push(other),
                        None => {}
                    }
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect()
}

/// A second, independent zip reader (the `zip` crate, which checks CRCs) accepts what this
/// writer produces: multi-chunk parallel deflate, UTF-8 names, zip64 extras.
#[test]
fn independent_zip_reader_accepts_our_archives() {
    use std::io::Read;
    let big: Vec<f32> = (0..2_500_000).map(|i| (i % 777) as f32).collect();
    let small = vec![1u8, 2, 3];
    for compressed in [false, true] {
        let mut writer = if compressed {
            npz::Writer::with_options(std::io::Cursor::new(Vec::new()), &compressed_options())
                .unwrap()
        } else {
            npz::Writer::new(std::io::Cursor::new(Vec::new()))
        };
        writer.add("big", &big).unwrap();
        writer.add("clé/é", &small).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let expected = [
            ("big.npy", npy::to_vec(&big).unwrap()),
            ("clé/é.npy", npy::to_vec(&small).unwrap()),
        ];
        for (i, (name, npy)) in expected.iter().enumerate() {
            let mut member = archive.by_index(i).unwrap();
            assert_eq!(member.name().unwrap(), *name);
            let mut content = Vec::new();
            member.read_to_end(&mut content).unwrap();
            assert!(content == *npy, "{name}");
        }
    }
}
