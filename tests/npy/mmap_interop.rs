//! Memory mapping and chunked/appended files against real NumPy: NumPy writes and Rust
//! maps; Rust creates (`w+`) and NumPy reads; both sides change one another's mappings
//! (`mmap_mode='r+'`); a NumPy-written file grows past 10^6 rows by appends and NumPy loads
//! every stage.

use bytemuck::{Pod, Zeroable};
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayView3, ArrayViewD, Ix1, Ix2, Ix3};
use npy_serde::dtype::{DType, Endian, Record};
use npy_serde::error::ErrorKind;
use npy_serde::mmap::{MappedNpy, MappedNpyMut};
use npy_serde::npy::{self, save_chunks, AppendOptions, Appender, Header, RowReader};
use npy_serde::NpyElement;
use test_support::{run_python, temp_dir};

/// A record type written by hand (what `#[derive(NpyElement)]` generates for a
/// `#[repr(C)]` struct): NumPy's `[('x', '<f8'), ('y', '<i4'), ('z', '<f4')]`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
struct Sample {
    x: f64,
    y: i32,
    z: f32,
}

impl NpyElement for Sample {
    fn write_dtype(_: &[Self]) -> DType {
        let native = |dtype: DType| dtype.with_endian(Endian::NATIVE);
        DType::Record(Record::packed([
            (
                "x".to_string(),
                native(DType::Float {
                    size: 8,
                    endian: Endian::NATIVE,
                }),
            ),
            (
                "y".to_string(),
                native(DType::Int {
                    size: 4,
                    endian: Endian::NATIVE,
                }),
            ),
            (
                "z".to_string(),
                native(DType::Float {
                    size: 4,
                    endian: Endian::NATIVE,
                }),
            ),
        ]))
    }

    fn check_readable(dtype: &DType) -> npy_serde::Result<()> {
        if *dtype == Self::write_dtype(&[]) {
            Ok(())
        } else {
            Err(npy_serde::Error::from(ErrorKind::DtypeMismatch {
                expected: Self::write_dtype(&[]).to_string(),
                found: dtype.to_string(),
            }))
        }
    }

    fn decode(
        dtype: &DType,
        bytes: &[u8],
        stride: usize,
        count: usize,
    ) -> npy_serde::Result<Vec<Self>> {
        Self::check_readable(dtype)?;
        Ok((0..count)
            .map(|i| {
                bytemuck::pod_read_unaligned(&bytes[i * stride..i * stride + size_of::<Self>()])
            })
            .collect())
    }

    fn encode<'a, I>(values: I, _: &DType, out: &mut [u8], stride: usize) -> npy_serde::Result<()>
    where
        I: ExactSizeIterator<Item = &'a Self>,
    {
        for (i, value) in values.enumerate() {
            out[i * stride..i * stride + size_of::<Self>()]
                .copy_from_slice(bytemuck::bytes_of(value));
        }
        Ok(())
    }
}

#[test]
fn numpy_writes_rust_maps_without_copying() {
    let dir = temp_dir();
    run_python(
        r#"
import numpy as np
np.save('f4_c.npy', np.arange(600, dtype='<f4').reshape(100, 6))
np.save('f8_f.npy', np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4)))
np.save('i2.npy', np.arange(-50, 50, dtype='<i2'))
np.save('c16.npy', (np.arange(10) + 1j * np.arange(10)[::-1]).astype('<c16'))
np.save('u1_0d.npy', np.array(7, dtype='u1'))
np.save('f2.npy', np.arange(8, dtype='<f2').reshape(2, 4))
np.save('be.npy', np.arange(12, dtype='>f4').reshape(3, 4))
rec = np.zeros(5, dtype=[('x', '<f8'), ('y', '<i4'), ('z', '<f4')])
rec['x'] = np.arange(5) * 1.5; rec['y'] = -np.arange(5); rec['z'] = np.arange(5) / 4
np.save('rec.npy', rec)
np.save('points.npy', np.arange(30, dtype='<f4').reshape(10, 3))
np.savez('stored.npz', image=np.arange(120, dtype='u1').reshape(10, 12), values=np.arange(50, dtype='<f8'))
np.savez_compressed('compressed.npz', image=np.zeros((4, 4), dtype='u1'))
"#,
        dir.path(),
    );
    let open = |name: &str| unsafe { MappedNpy::open(dir.path().join(name)) }.unwrap();

    // The new-user line: a row slice of a 2-D float32 file as an ArrayView2<f32>.
    let map = open("f4_c.npy");
    let rows: ArrayView2<f32> = map.rows(10..12).unwrap();
    assert_eq!(rows.row(1).to_vec(), [66.0, 67.0, 68.0, 69.0, 70.0, 71.0]);
    // No copy: the view points into the mapping.
    assert_eq!(
        rows.as_ptr() as usize,
        map.data_bytes().as_ptr() as usize + 60 * 4
    );
    assert_eq!(map.rows::<f32, Ix2>(99..100).unwrap()[[0, 5]], 599.0);

    let map = open("f8_f.npy");
    let view: ArrayView3<f64> = map.view().unwrap();
    assert!(map.header().fortran_order);
    assert_eq!(view.strides(), [1, 2, 6]);
    let expected =
        ndarray::Array::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 12 + j * 4 + k) as f64);
    assert_eq!(view, expected);
    assert_eq!(map.rows::<f64, Ix3>(1..2).unwrap()[[0, 2, 3]], 23.0);

    let map = open("i2.npy");
    assert_eq!(map.as_slice::<i16>().unwrap()[..3], [-50, -49, -48]);
    let map = open("c16.npy");
    let c = map.view::<num_complex::Complex<f64>, Ix1>().unwrap();
    assert_eq!(c[2], num_complex::Complex::new(2.0, 7.0));
    let map = open("u1_0d.npy");
    assert_eq!(*map.view::<u8, ndarray::Ix0>().unwrap().into_scalar(), 7);
    let map = open("f2.npy");
    let f2: ArrayViewD<half::f16> = map.view().unwrap();
    assert_eq!(f2[[1, 3]], half::f16::from_f32(7.0));

    // Big-endian: the borrowed view is refused with a reason; the copy is explicit.
    let map = open("be.npy");
    let err = map.view::<f32, Ix2>().unwrap_err().to_string();
    assert!(err.contains("'>f4'") && err.contains("byte order"), "{err}");
    let copied = map.view_or_copy::<f32, Ix2>().unwrap();
    assert!(copied.is_owned());
    assert_eq!(copied[[2, 3]], 11.0);
    let loaded: Array2<f32> = map.load_copy().unwrap();
    assert_eq!(loaded, copied);

    // A record array maps as &[Sample] when the layout matches.
    let map = open("rec.npy");
    let samples: &[Sample] = map.as_slice().unwrap();
    assert_eq!(
        samples[3],
        Sample {
            x: 4.5,
            y: -3,
            z: 0.75
        }
    );
    assert!(map.as_slice::<f64>().is_err());
    let as_view: ArrayView1<Sample> = map.view().unwrap();
    assert_eq!(as_view.len(), 5);

    // Stored .npz members map too (NumPy's np.load ignores mmap_mode for archives).
    let npz = dir.path().join("stored.npz");
    let image = unsafe { MappedNpy::open_npz_member(&npz, "image") }.unwrap();
    let view: ArrayView2<u8> = image.view().unwrap();
    assert_eq!(view[[9, 11]], 119);
    let values = unsafe { MappedNpy::open_npz_member(&npz, "values.npy") }.unwrap();
    assert_eq!(values.view_or_copy::<f64, Ix1>().unwrap()[49], 49.0);
    // Zip does not align member data: a misaligned member is refused for borrowing, with
    // the reason, and view_or_copy above copied it.
    if !values.data_bytes().as_ptr().cast::<f64>().is_aligned() {
        let err = values.as_slice::<f64>().unwrap_err().to_string();
        assert!(
            err.contains("zip does not align") && err.contains("\"values\""),
            "{err}"
        );
    } else {
        assert_eq!(values.as_slice::<f64>().unwrap()[49], 49.0);
    }
    let err = unsafe { MappedNpy::open_npz_member(dir.path().join("compressed.npz"), "image") }
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("deflate") || err.contains("compressed"),
        "{err}"
    );
    assert!(
        err.contains("compressed.npz") && err.contains("\"image\""),
        "{err}"
    );

    // A (n, 3) file as points.
    let map = open("points.npy");
    let points: &[[f32; 3]] = map.as_slice().unwrap();
    assert_eq!(points[9], [27.0, 28.0, 29.0]);
}

#[test]
fn rust_creates_numpy_reads_byte_identical_to_open_memmap() {
    let dir = temp_dir();
    let path = dir.path().join("c.npy");
    let mut map = unsafe { MappedNpyMut::create::<f32, _>(&path, &[1000, 7]) }.unwrap();
    for (i, x) in map.as_slice_mut::<f32>().unwrap().iter_mut().enumerate() {
        *x = i as f32 * 0.5;
    }
    map.flush().unwrap();
    drop(map);

    let header = Header {
        dtype: DType::Int {
            size: 8,
            endian: Endian::NATIVE,
        },
        shape: vec![30, 20],
        fortran_order: true,
    };
    let mut map =
        unsafe { MappedNpyMut::create_with_header(dir.path().join("f.npy"), &header) }.unwrap();
    map.view_mut::<i64, Ix2>()
        .unwrap()
        .indexed_iter_mut()
        .for_each(|((i, j), x)| *x = (i * 100 + j) as i64);
    drop(map);

    let mut map =
        unsafe { MappedNpyMut::create::<Sample, _>(dir.path().join("rec.npy"), &[4]) }.unwrap();
    for (i, sample) in map.as_slice_mut::<Sample>().unwrap().iter_mut().enumerate() {
        *sample = Sample {
            x: i as f64,
            y: 10 * i as i32,
            z: -(i as f32),
        };
    }
    drop(map);

    let mut map =
        unsafe { MappedNpyMut::create::<u8, _>(dir.path().join("empty.npy"), &[0, 5]) }.unwrap();
    assert!(map.as_slice_mut::<u8>().unwrap().is_empty());
    drop(map);

    let out = run_python(
        r#"
import io, numpy as np
from numpy.lib.format import open_memmap

def same_as_numpy(name, dtype, shape, fortran_order=False):
    # open_memmap('w+') writes the same header; np.save of the loaded array the same bytes.
    ref = open_memmap('ref_' + name, mode='w+', dtype=dtype, shape=shape, fortran_order=fortran_order)
    del ref
    ours = open(name, 'rb').read()
    theirs = open('ref_' + name, 'rb').read()
    assert len(ours) == len(theirs), (name, len(ours), len(theirs))
    assert ours[:128] == theirs[:128], (name, ours[:128], theirs[:128])
    buf = io.BytesIO(); np.save(buf, np.load(name)); assert buf.getvalue() == ours, name

a = np.load('c.npy')
assert a.dtype == np.float32 and a.shape == (1000, 7)
assert (a.ravel() == np.arange(7000, dtype=np.float32) * 0.5).all()
m = np.load('c.npy', mmap_mode='r')
assert m[999, 6] == 6999 * 0.5
same_as_numpy('c.npy', '<f4', (1000, 7))

f = np.load('f.npy')
assert f.flags.f_contiguous and f.shape == (30, 20)
assert (f == np.arange(30)[:, None] * 100 + np.arange(20)).all()
same_as_numpy('f.npy', '<i8', (30, 20), True)

r = np.load('rec.npy')
assert r.dtype == np.dtype([('x', '<f8'), ('y', '<i4'), ('z', '<f4')]), r.dtype
assert (r['y'] == [0, 10, 20, 30]).all() and r['z'][3] == -3
same_as_numpy('rec.npy', r.dtype, (4,))

e = np.load('empty.npy')
assert e.shape == (0, 5) and e.dtype == np.uint8
print('ok')
"#,
        dir.path(),
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn numpy_and_rust_see_each_others_r_plus_changes() {
    let dir = temp_dir();
    let rust_made = dir.path().join("rust_made.npy");
    let mut map = unsafe { MappedNpyMut::create::<i32, _>(&rust_made, &[4, 4]) }.unwrap();
    map.as_slice_mut::<i32>()
        .unwrap()
        .iter_mut()
        .enumerate()
        .for_each(|(i, x)| *x = i as i32);
    map.flush().unwrap();
    drop(map);
    // A read-only mapping held while NumPy changes the file through its own mapping.
    let watcher = unsafe { MappedNpy::open(&rust_made) }.unwrap();
    assert_eq!(watcher.view::<i32, Ix2>().unwrap()[[2, 1]], 9);

    run_python(
        r#"
import numpy as np
from numpy.lib.format import open_memmap
m = np.load('rust_made.npy', mmap_mode='r+')
assert (m.ravel() == np.arange(16)).all()
m[2, :] = -1
m.flush(); del m
n = open_memmap('numpy_made.npy', mode='w+', dtype='<f8', shape=(3, 5), fortran_order=True)
n[:] = np.arange(15).reshape(3, 5)
n.flush(); del n
"#,
        dir.path(),
    );
    // The mapping made before NumPy ran shows NumPy's writes.
    assert_eq!(watcher.view::<i32, Ix2>().unwrap().row(2).to_vec(), [-1; 4]);
    assert_eq!(watcher.view::<i32, Ix2>().unwrap()[[3, 3]], 15);

    let numpy_made = dir.path().join("numpy_made.npy");
    let mut rw = unsafe { MappedNpyMut::open_rw(&numpy_made) }.unwrap();
    {
        let mut view = rw.view_mut::<f64, Ix2>().unwrap();
        assert_eq!(view.strides(), [1, 3]);
        assert_eq!(view[[2, 4]], 14.0);
        view.column_mut(4).fill(100.0);
    }
    rw.flush().unwrap();
    // Copy-on-write: changes stay in this mapping.
    let mut cow = unsafe { MappedNpyMut::open_copy_on_write(&numpy_made) }.unwrap();
    cow.view_mut::<f64, Ix2>().unwrap().fill(-5.0);
    cow.flush().unwrap();
    assert_eq!(cow.view::<f64, Ix2>().unwrap()[[0, 0]], -5.0);

    run_python(
        r#"
import numpy as np
n = np.load('numpy_made.npy', mmap_mode='r')
expected = np.arange(15, dtype='<f8').reshape(3, 5)
expected[:, 4] = 100
assert (n == expected).all(), n
assert np.isfortran(n)
"#,
        dir.path(),
    );
    drop(rw);
    drop(cow);
}

#[test]
fn numpy_file_grows_past_a_million_rows_by_appends() {
    let dir = temp_dir();
    run_python(
        "import numpy as np\nnp.save('grow.npy', (np.arange(30, dtype='<u2') % 65521).reshape(10, 3))\n",
        dir.path(),
    );
    let path = dir.path().join("grow.npy");
    let header_len = npy::inspect(&path).unwrap().data_offset;
    let mut appender = Appender::<u16>::open(&path).unwrap();
    let mut stages = Vec::new();
    let mut batch = 0usize;
    let mut next_stage = 17;
    while appender.len() <= 1_000_000 {
        // Batches of different sizes (1 row up to 20000).
        let rows = [1, 20_000, 7, 13_331, 999][batch % 5];
        let start = appender.len() * 3;
        let values: Vec<u16> = (start..start + rows * 3)
            .map(|v| (v % 65521) as u16)
            .collect();
        appender.append(&values).unwrap();
        batch += 1;
        if batch == next_stage || appender.len() > 1_000_000 {
            next_stage += 17;
            let stage = format!("stage_{}.npy", stages.len());
            std::fs::copy(&path, dir.path().join(&stage)).unwrap();
            stages.push(format!("('{stage}', {})", appender.len()));
        }
    }
    drop(appender);
    assert!(stages.len() >= 5, "{stages:?}");
    // A crash after the data but before the header: the old header still holds.
    let crashed = dir.path().join("crashed.npy");
    std::fs::copy(dir.path().join("stage_0.npy"), &crashed).unwrap();
    let old_len = npy::inspect(&crashed).unwrap().header.shape[0];
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&crashed)
        .unwrap();
    std::io::Write::write_all(&mut file, &[0xAB; 3 * 2 * 500]).unwrap();
    drop(file);

    let out = run_python(
        &format!(
            r#"
import io, numpy as np
stages = [{stages}] + [('crashed.npy', {old_len})]
for name, rows in stages:
    a = np.load(name)
    assert a.shape == (rows, 3) and a.dtype == np.uint16, (name, a.shape)
    assert (a.ravel() == np.arange(rows * 3) % 65521).all(), name
    if name != 'crashed.npy':
        # Byte-identical to np.save of the same array: header rewritten as NumPy writes it.
        buf = io.BytesIO(); np.save(buf, a)
        assert buf.getvalue() == open(name, 'rb').read(), name
    m = np.load(name, mmap_mode='r')
    assert m.offset == {header_len} and m.shape == (rows, 3)
print(len(stages), a.shape[0])
"#,
            stages = stages.join(", ")
        ),
        dir.path(),
    );
    assert!(out.starts_with(&format!("{} ", stages.len() + 1)), "{out}");

    // The grown file reads in row chunks, and the crashed copy keeps accepting appends
    // once its partial data is discarded.
    let mut reader = RowReader::open(&path).unwrap();
    let rows: Array2<u16> = reader.read_rows(999_990..1_000_000).unwrap();
    assert_eq!(rows[[9, 2]], ((999_999 * 3 + 2) % 65521) as u16);
    assert!(Appender::<u16>::open(&crashed).is_err());
    let options = AppendOptions::default().with_discard_trailing_bytes(true);
    let mut appender = Appender::<u16>::open_with(&crashed, &options).unwrap();
    appender.append(&[1, 2, 3]).unwrap();
    assert_eq!(appender.len(), old_len + 1);
}

#[test]
fn chunked_writes_and_reads_match_numpy() {
    let dir = temp_dir();
    let path = dir.path().join("chunks.npy");
    let rows = 10_000usize;
    let chunks = (0..rows).step_by(1024).map(|start| {
        (start * 4..(start + 1024).min(rows) * 4)
            .map(|v| v as f64 / 8.0)
            .collect::<Vec<f64>>()
    });
    save_chunks(&path, &[rows, 4], chunks).unwrap();
    run_python(
        r#"
import io, numpy as np
a = np.load('chunks.npy')
expected = np.arange(40000, dtype='<f8').reshape(10000, 4) / 8
assert (a == expected).all()
buf = io.BytesIO(); np.save(buf, expected)
assert buf.getvalue() == open('chunks.npy', 'rb').read()
np.save('be_rows.npy', np.arange(40, dtype='>i4').reshape(10, 2, 2))
np.save('fortran.npy', np.asfortranarray(np.ones((3, 3))))
"#,
        dir.path(),
    );
    let mut reader = RowReader::open(dir.path().join("be_rows.npy")).unwrap();
    let rows: ndarray::Array3<i64> = reader.read_rows(8..10).unwrap();
    assert_eq!(rows[[1, 1, 1]], 39);
    let err = RowReader::open(dir.path().join("fortran.npy"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("Fortran"), "{err}");
    let sum: f64 = RowReader::open(&path)
        .unwrap()
        .chunks::<f64, Ix2>(3000)
        .map(|chunk| chunk.unwrap().sum())
        .sum();
    assert_eq!(sum, (0..40_000).map(|v| v as f64 / 8.0).sum::<f64>());
}

/// A derived record type: `#[repr(C)]` makes its dtype describe its memory, so files whose
/// dtype matches map as `&[Particle]` with no copy.
#[derive(npy_serde::NpyElement, Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[npy(pod)]
#[repr(C)]
struct Particle {
    position: [f32; 3],
    mass: f32,
    id: u64,
}

#[test]
fn derived_records_map_both_ways() {
    let dir = temp_dir();
    let mut map =
        unsafe { MappedNpyMut::create::<Particle, _>(dir.path().join("rust.npy"), &[1000]) }
            .unwrap();
    for (i, particle) in map
        .as_slice_mut::<Particle>()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        *particle = Particle {
            position: [i as f32, 0.5, -1.0],
            mass: 2.0,
            id: 1_000_000 + i as u64,
        };
    }
    drop(map);
    run_python(
        r#"
import numpy as np
dt = np.dtype([('position', '<f4', (3,)), ('mass', '<f4'), ('id', '<u8')], align=True)
a = np.load('rust.npy')
assert a.dtype == dt, a.dtype
assert (a['id'] == 1_000_000 + np.arange(1000)).all() and (a['position'][:, 0] == np.arange(1000)).all()
b = np.zeros(50, dtype=dt)
b['id'] = np.arange(50) * 3; b['mass'] = 0.25; b['position'][:, 2] = np.arange(50)
np.save('numpy.npy', b)
np.save('other_order.npy', b[['id', 'mass', 'position']].astype([('id', '<u8'), ('mass', '<f4'), ('position', '<f4', (3,))]))
"#,
        dir.path(),
    );
    let map = unsafe { MappedNpy::open(dir.path().join("numpy.npy")) }.unwrap();
    let particles: &[Particle] = map.as_slice().unwrap();
    assert_eq!(
        particles[49],
        Particle {
            position: [0.0, 0.0, 49.0],
            mass: 0.25,
            id: 147
        }
    );
    // Same fields in another order: not this struct's memory, so no borrow; the copy
    // matches fields by name.
    let map = unsafe { MappedNpy::open(dir.path().join("other_order.npy")) }.unwrap();
    let err = map.as_slice::<Particle>().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::DtypeMismatch { .. }),
        "{err}"
    );
    let copied = map.view_or_copy::<Particle, Ix1>().unwrap();
    assert!(copied.is_owned());
    assert_eq!(copied[49].id, 147);
}
