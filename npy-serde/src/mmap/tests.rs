//! Tests of memory maps: views against loads, byte orders, alignment, npz members, writable maps.

use super::*;
use crate::dtype::{DType, Endian};
use crate::options::WriteOptions;
use crate::write::{save, save_with};
use ndarray::{
    array, s, Array2, Array3, ArrayView1, ArrayView2, Ix1, Ix2, Ix3, IxDyn, ShapeBuilder,
};

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn c_and_fortran_views_match_the_loaded_arrays() {
    let dir = temp();
    let c = Array3::<i32>::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 100 + j * 10 + k) as i32);
    // An F-contiguous array is saved with fortran_order: True.
    let mut f = Array3::<i32>::zeros((2, 3, 4).f());
    f.assign(&c);
    save(dir.path().join("c.npy"), &c).unwrap();
    save(dir.path().join("f.npy"), &f).unwrap();
    let mc = unsafe { MappedNpy::open(dir.path().join("c.npy")) }.unwrap();
    let mf = unsafe { MappedNpy::open(dir.path().join("f.npy")) }.unwrap();
    assert!(mf.header().fortran_order);
    let vc = mc.view::<i32, Ix3>().unwrap();
    let vf = mf.view::<i32, Ix3>().unwrap();
    assert_eq!(vc, c);
    assert_eq!(vf, c);
    assert_eq!(vc.strides(), [12, 4, 1]);
    assert_eq!(vf.strides(), [1, 2, 6]);
    let dynamic = mf.view::<i32, IxDyn>().unwrap();
    assert_eq!(dynamic.shape(), [2, 3, 4]);
    // Memory order of the Fortran file is column-major.
    assert_eq!(&mf.as_slice::<i32>().unwrap()[..3], [0, 100, 10]);
    let rows = mf.rows::<i32, Ix3>(1..2).unwrap();
    assert_eq!(rows, c.slice(s![1..2, .., ..]));
    assert!(mf.rows::<i32, Ix3>(1..3).is_err());
    let err = mc.view::<i32, Ix2>().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ShapeMismatch { .. }),
        "{err}"
    );
}

#[test]
fn foreign_endian_and_other_types_are_errors_with_an_explicit_copy() {
    let dir = temp();
    let path = dir.path().join("big.npy");
    let values = array![[1.0f32, 2.0], [3.0, 4.0]];
    save_with(
        &path,
        &values,
        &WriteOptions::default().with_endian(Endian::Big),
    )
    .unwrap();
    let map = unsafe { MappedNpy::open(&path) }.unwrap();
    let err = map.view::<f32, Ix2>().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::DtypeMismatch { .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .starts_with(&format!("{}: ", path.display())));
    assert!(err.to_string().contains("byte order"), "{err}");
    let copied = map.view_or_copy::<f32, Ix2>().unwrap();
    assert!(copied.is_owned());
    assert_eq!(copied, values);
    let widened: Array2<f64> = map.load_copy().unwrap();
    assert_eq!(widened[[1, 1]], 4.0);
    // Another type: an error naming both dtypes, not a reinterpretation.
    let err = map.as_slice::<u32>().unwrap_err().to_string();
    assert!(err.contains("'>f4'"), "{err}");
}

/// A `.npy` whose data starts 4 bytes off an 8-byte boundary (a header no NumPy
/// writes), so 8-byte items are misaligned in a page-aligned mapping.
fn misaligned_file(path: &Path) {
    let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
    let mut header_len = text.len() + 1;
    while (10 + header_len).is_multiple_of(8) || !(10 + header_len).is_multiple_of(4) {
        header_len += 1;
    }
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header_len as u16).to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes.resize(10 + header_len - 1, b' ');
    bytes.push(b'\n');
    for value in [1.0f64, 2.0, 3.0] {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn misaligned_data_is_an_error_with_an_explicit_copy() {
    let dir = temp();
    let path = dir.path().join("odd.npy");
    misaligned_file(&path);
    let map = unsafe { MappedNpy::open(&path) }.unwrap();
    let err = map.as_slice::<f64>().unwrap_err();
    assert!(err.to_string().contains("not aligned"), "{err}");
    assert_eq!(
        map.view_or_copy::<f64, Ix1>().unwrap().to_vec(),
        [1.0, 2.0, 3.0]
    );
    // Bytes are always aligned.
    assert_eq!(map.data_bytes().len(), 24);
}

#[test]
fn short_files_and_object_arrays_are_refused_at_open() {
    let dir = temp();
    let path = dir.path().join("short.npy");
    let mut bytes = crate::write::to_vec(&vec![1u64; 1000]).unwrap();
    bytes.truncate(bytes.len() - 1);
    std::fs::write(&path, &bytes).unwrap();
    let err = unsafe { MappedNpy::open(&path) }.err().unwrap();
    assert!(matches!(err.kind(), ErrorKind::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("short.npy"), "{err}");
    let header = Header::new(DType::Object, vec![0]);
    std::fs::write(&path, header.to_bytes().unwrap()).unwrap();
    let err = unsafe { MappedNpy::open(&path) }.err().unwrap();
    assert!(matches!(err.kind(), ErrorKind::ObjectArray), "{err}");
}

#[test]
fn read_write_copy_on_write_and_create() {
    let dir = temp();
    let path = dir.path().join("w.npy");
    let mut created = unsafe { MappedNpyMut::create::<u16, _>(&path, &[4, 5]) }.unwrap();
    for (i, x) in created
        .as_slice_mut::<u16>()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        *x = i as u16;
    }
    created.flush().unwrap();
    drop(created);
    let expected = Array2::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as u16);
    assert_eq!(
        crate::read::load::<Array2<u16>, _>(&path).unwrap(),
        expected
    );
    // The header is the one np.save writes.
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes, crate::write::to_vec(&expected).unwrap());

    let mut cow = unsafe { MappedNpyMut::open_copy_on_write(&path) }.unwrap();
    assert!(cow.is_copy_on_write());
    cow.view_mut::<u16, Ix2>().unwrap().fill(9);
    cow.flush().unwrap();
    assert!(cow.release().is_err());
    assert_eq!(cow.view::<u16, Ix2>().unwrap()[[3, 4]], 9);
    drop(cow);
    assert_eq!(
        crate::read::load::<Array2<u16>, _>(&path).unwrap(),
        expected
    );

    let mut rw = unsafe { MappedNpyMut::open_rw(&path) }.unwrap();
    rw.rows_mut::<u16, Ix2>(1..2).unwrap().fill(1000);
    rw.release().unwrap();
    assert_eq!(rw.view::<u16, Ix2>().unwrap()[[1, 4]], 1000);
    let reader = unsafe { MappedNpy::open(&path) }.unwrap();
    // Shared mapping: the reader sees the writer's change.
    assert_eq!(
        reader.view::<u16, Ix2>().unwrap().row(1).to_vec(),
        [1000; 5]
    );
    drop(rw);
    let loaded: Array2<u16> = crate::read::load(&path).unwrap();
    assert_eq!(loaded.row(1).to_vec(), [1000; 5]);
    assert_eq!(loaded.row(2), expected.row(2));
}

#[test]
fn create_with_fortran_header_and_subarray_elements() {
    let dir = temp();
    let path = dir.path().join("f.npy");
    let header = Header {
        dtype: DType::Float {
            size: 8,
            endian: Endian::NATIVE,
        },
        shape: vec![3, 2],
        fortran_order: true,
    };
    let mut map = unsafe { MappedNpyMut::create_with_header(&path, &header) }.unwrap();
    map.view_mut::<f64, Ix2>()
        .unwrap()
        .assign(&array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    assert_eq!(
        map.as_slice::<f64>().unwrap(),
        [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
    );
    drop(map);
    let back: Array2<f64> = crate::read::load(&path).unwrap();
    assert_eq!(back, array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);

    let points = dir.path().join("p.npy");
    let mut map = unsafe { MappedNpyMut::create::<[f32; 3], _>(&points, &[2]) }.unwrap();
    assert_eq!(map.header().shape, [2, 3]);
    map.as_slice_mut::<[f32; 3]>().unwrap()[1] = [1.0, 2.0, 3.0];
    drop(map);
    let map = unsafe { MappedNpy::open(&points) }.unwrap();
    let as_points: ArrayView1<[f32; 3]> = map.view().unwrap();
    assert_eq!(as_points[1], [1.0, 2.0, 3.0]);
    let as_matrix: ArrayView2<f32> = map.view().unwrap();
    assert_eq!(as_matrix.row(1).to_vec(), [1.0, 2.0, 3.0]);
}

#[test]
fn aligned_archives_lend_every_member_without_a_copy() {
    use num_complex::Complex;
    let dir = temp();
    let path = dir.path().join("aligned.npz");
    let options = WriteOptions::default().with_alignment(64);
    let mut writer = crate::npz::Writer::create_with(&path, &options).unwrap();
    // Names of every length shift each local header differently.
    writer.add("a", &vec![1.5f64, 2.5]).unwrap();
    writer.add("bb", &vec![-3i32, 4]).unwrap();
    writer.add("ccc", &vec![7u16, 8]).unwrap();
    writer
        .add("dddd", &vec![Complex::new(1.0f32, -1.0)])
        .unwrap();
    writer
        .add("eeeee", &vec![half::f16::from_f32(0.5)])
        .unwrap();
    writer.add("ffffff", &array![[1u64, 2], [3, 4]]).unwrap();
    // The rest of the plain element types.
    writer.add("g", &vec![-1i8, 2]).unwrap();
    writer.add("hh", &vec![3u8, 4]).unwrap();
    writer.add("iii", &vec![-5i16, 6]).unwrap();
    writer.add("jjjj", &vec![7u32, 8]).unwrap();
    writer.add("kkkkk", &vec![i64::MIN, 9]).unwrap();
    writer.add("llllll", &vec![1.25f32, -2.5]).unwrap();
    writer
        .add("mmmmmmm", &vec![Complex::new(0.5f64, 3.0)])
        .unwrap();
    writer.finish().unwrap();
    let file = std::fs::read(&path).unwrap();
    macro_rules! borrowed {
        ($name:literal, $t:ty, $expected:expr) => {{
            let map = unsafe { MappedNpy::open_npz_member(&path, $name) }.unwrap();
            let values = map.as_slice::<$t>().unwrap();
            assert_eq!(values, $expected);
            assert_eq!(values.as_ptr() as usize % 64, 0, "{} is aligned", $name);
        }};
    }
    borrowed!("a", f64, [1.5, 2.5]);
    borrowed!("bb", i32, [-3, 4]);
    borrowed!("ccc", u16, [7, 8]);
    borrowed!("dddd", Complex<f32>, [Complex::new(1.0, -1.0)]);
    borrowed!("eeeee", half::f16, [half::f16::from_f32(0.5)]);
    borrowed!("ffffff", u64, [1, 2, 3, 4]);
    borrowed!("g", i8, [-1, 2]);
    borrowed!("hh", u8, [3, 4]);
    borrowed!("iii", i16, [-5, 6]);
    borrowed!("jjjj", u32, [7, 8]);
    borrowed!("kkkkk", i64, [i64::MIN, 9]);
    borrowed!("llllll", f32, [1.25, -2.5]);
    borrowed!("mmmmmmm", Complex<f64>, [Complex::new(0.5, 3.0)]);
    // The padding changes only the local headers: the members read as before.
    let mut archive = crate::npz::Reader::new(std::io::Cursor::new(&file)).unwrap();
    assert_eq!(archive.read::<Vec<i32>>("bb").unwrap(), [-3, 4]);
    // Alignment and compression together are refused, not half-applied.
    let both = options.with_compression(crate::npz::Compression::NUMPY_DEFLATE);
    let err = crate::npz::Writer::create_with(dir.path().join("x.npz"), &both)
        .err()
        .unwrap();
    assert!(err.to_string().contains("alignment"), "{err}");
}

#[test]
fn stored_npz_members_map_and_compressed_ones_say_why_not() {
    let dir = temp();
    let path = dir.path().join("a.npz");
    let mut writer = crate::npz::Writer::new(std::fs::File::create(&path).unwrap());
    writer.add("bytes", &vec![1u8, 2, 3]).unwrap();
    writer.add("floats", &array![[1.5f64, 2.5]]).unwrap();
    writer.finish().unwrap();
    let map = unsafe { MappedNpy::open_npz_member(&path, "bytes.npy") }.unwrap();
    assert_eq!(map.as_slice::<u8>().unwrap(), [1, 2, 3]);
    let map = unsafe { MappedNpy::open_npz_member(&path, "floats") }.unwrap();
    assert_eq!(map.header().shape, [1, 2]);
    match map.view::<f64, Ix2>() {
        Ok(view) => assert_eq!(view, array![[1.5, 2.5]]),
        Err(err) => {
            let text = err.to_string();
            assert!(text.contains("zip does not align"), "{err}");
            assert!(
                text.starts_with(&format!("{}: member \"floats\"", path.display())),
                "{text}"
            );
        }
    }
    assert_eq!(map.view_or_copy::<f64, Ix2>().unwrap(), array![[1.5, 2.5]]);
    let err = unsafe { MappedNpy::open_npz_member(&path, "nope") }
        .err()
        .unwrap();
    assert!(
        matches!(err.kind(), ErrorKind::MissingMember { .. }),
        "{err}"
    );

    let compressed = dir.path().join("c.npz");
    let mut writer = crate::npz::Writer::with_options(
        std::fs::File::create(&compressed).unwrap(),
        &WriteOptions::default().with_compression(crate::npz::Compression::NUMPY_DEFLATE),
    )
    .unwrap();
    writer.add("x", &vec![1u8; 10]).unwrap();
    writer.finish().unwrap();
    let err = unsafe { MappedNpy::open_npz_member(&compressed, "x") }
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("compressed") && err.contains("c.npz") && err.contains("\"x\""),
        "{err}"
    );
}

#[test]
fn opening_reads_only_the_header() {
    // A 64 GiB array in a sparse file: opening, viewing and appending touch only the
    // header and the pages asked for.
    let dir = temp();
    let path = dir.path().join("huge.npy");
    let len = 1usize << 33;
    let header = Header::new(
        DType::Float {
            size: 8,
            endian: Endian::NATIVE,
        },
        vec![len],
    );
    let file = std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(&mut &file, &header.to_bytes().unwrap()).unwrap();
    if file.set_len(128 + 8 * len as u64).is_err() {
        return; // no sparse files here
    }
    drop(file);
    let map = unsafe { MappedNpy::open(&path) }.unwrap();
    let values = map.as_slice::<f64>().unwrap();
    assert_eq!(values.len(), len);
    assert_eq!(values[len - 1], 0.0);
    let mut rows = crate::chunked::RowReader::open(&path).unwrap();
    let last: ndarray::Array1<f64> = rows.read_rows(len - 2..len).unwrap();
    assert_eq!(last.to_vec(), [0.0, 0.0]);
    let mut appender = crate::chunked::Appender::<f64>::open(&path).unwrap();
    appender.append(&[1.5]).unwrap();
    drop(map);
    let map = unsafe { MappedNpy::open(&path) }.unwrap();
    assert_eq!(map.as_slice::<f64>().unwrap()[len], 1.5);
}

#[test]
fn access_advice_does_not_change_what_is_read() {
    let dir = temp();
    let path = dir.path().join("a.npy");
    let values: Vec<f64> = (0..300_000).map(|i| i as f64 * 0.25).collect();
    crate::write::save(&path, &values).unwrap();
    let empty = dir.path().join("empty.npy");
    crate::write::save(&empty, &Vec::<u8>::new()).unwrap();
    for access in [
        Access::Normal,
        Access::Random,
        Access::Sequential,
        Access::Populate,
    ] {
        let map = unsafe { MappedNpy::open_for(&path, access) }.unwrap();
        assert_eq!(map.as_slice::<f64>().unwrap(), &values[..], "{access:?}");
        for later in [Access::Random, Access::Populate, Access::Sequential] {
            map.advise(later).unwrap();
            assert_eq!(map.as_slice::<f64>().unwrap(), &values[..]);
        }
        let map = unsafe { MappedNpy::open_for(&empty, access) }.unwrap();
        assert!(map.as_slice::<u8>().unwrap().is_empty());
    }
}

#[test]
fn zero_d_and_empty_arrays_map() {
    let dir = temp();
    let path = dir.path().join("e.npy");
    save(&path, &Vec::<f64>::new()).unwrap();
    let map = unsafe { MappedNpy::open(&path) }.unwrap();
    assert!(map.as_slice::<f64>().unwrap().is_empty());
    assert_eq!(map.view::<f64, Ix1>().unwrap().len(), 0);
    save(&path, &ndarray::arr0(2.5f64)).unwrap();
    let map = unsafe { MappedNpy::open(&path) }.unwrap();
    assert_eq!(map.view::<f64, ndarray::Ix0>().unwrap().into_scalar(), &2.5);
    assert!(map.rows::<f64, ndarray::Ix0>(0..1).is_err());
}
