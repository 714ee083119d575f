//! `#[derive(NpyElement)]` against real NumPy, both ways, in one Python run: Rust writes
//! record arrays that NumPy must load and that must be byte-identical to `np.save` of the
//! same records (packed, aligned, nested, subarrays, strings, datetimes, bools, complex,
//! big-endian); NumPy writes record arrays (reordered fields, extra fields, padding, other
//! byte order, widened field types, 2-D shapes) that Rust must read into the structs.

// `is_multiple_of` is newer than the workspace's rust-version (1.85).
#![allow(clippy::manual_is_multiple_of)]

use std::path::Path;

use bytemuck::{Pod, Zeroable};
use half::f16;
use ndarray::Array2;
use npy_serde::dtype::Endian;
use npy_serde::element::units::{Nanoseconds, Seconds};
use npy_serde::element::{DateTime64, FixedBytes, FixedUnicode, TimeDelta64};
use npy_serde::npy::{load, save, save_with};
use npy_serde::{NpyElement, WriteOptions};
use num_complex::Complex;
use test_support::{run_python, temp_dir};

const N: usize = 12;

#[derive(NpyElement, Debug, Clone, PartialEq)]
struct Point {
    x: f64,
    y: i32,
    pos: [f32; 3],
}

#[derive(NpyElement, Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[repr(C)]
#[npy(pod)]
struct PodPoint {
    x: f64,
    y: i32,
    pos: [f32; 3],
}

#[derive(NpyElement, Debug, Clone, PartialEq)]
struct Inner {
    value: Complex<f64>,
    flag: bool,
}

#[derive(NpyElement, Debug, Clone, PartialEq)]
struct Rich {
    id: u16,
    half: f16,
    z: Complex<f32>,
    grid: [[i16; 3]; 2],
    inner: Inner,
    pair: [Inner; 2],
    name: FixedUnicode<6>,
    tag: FixedBytes<4>,
    when: DateTime64<Nanoseconds>,
    took: TimeDelta64<Seconds>,
    ok: bool,
}

#[derive(NpyElement, Debug, Clone, PartialEq)]
#[npy(align)]
struct Aligned {
    a: u8,
    b: i32,
    c: u8,
    d: [f64; 2],
    e: Complex<f32>,
    s: FixedUnicode<3>,
    h: f16,
}

/// The same record as a `#[repr(C)]` struct: its memory is NumPy's `align=True` layout.
#[derive(NpyElement, Debug, Clone, Copy, PartialEq)]
#[repr(C)]
struct CAligned {
    a: u8,
    b: i32,
    c: u8,
    d: [f64; 2],
    e: Complex<f32>,
    s: FixedUnicode<3>,
    h: f16,
}

/// The same fields again, packed: reads the aligned file all the same.
#[derive(NpyElement, Debug, Clone, PartialEq)]
struct PackedFields {
    h: f16,
    s: FixedUnicode<3>,
    a: u8,
    d: [f64; 2],
}

#[derive(NpyElement, Debug, Clone, PartialEq)]
#[npy(align)]
struct AlignedInner {
    a: u8,
    b: f64,
}

#[derive(NpyElement, Debug, Clone, PartialEq)]
#[npy(align)]
struct AlignedOuter {
    c: u8,
    inner: AlignedInner,
}

fn point(i: usize) -> Point {
    Point {
        x: i as f64 * 0.5,
        y: -(i as i32),
        pos: [i as f32, 1.0, -2.5],
    }
}

fn pod_point(i: usize) -> PodPoint {
    let p = point(i);
    PodPoint {
        x: p.x,
        y: p.y,
        pos: p.pos,
    }
}

fn inner(k: usize) -> Inner {
    Inner {
        value: Complex::new(k as f64, 0.0 - k as f64),
        flag: k % 2 == 0,
    }
}

const NAMES: [&str; 4] = ["", "α", "héllo", "sixchr"];

fn rich(i: usize) -> Rich {
    Rich {
        id: (i * 3) as u16,
        half: f16::from_f32(i as f32 / 4.0),
        z: Complex::new(1.5, i as f32),
        grid: [[i as i16, 2, 3], [4, 5, -(i as i16)]],
        inner: inner(i),
        pair: [inner(i + 1), inner(i + 2)],
        name: FixedUnicode::new(NAMES[i % 4]).unwrap(),
        tag: FixedBytes::new(&b"abcd"[..i % 5]).unwrap(),
        when: DateTime64::new(1_700_000_000_000_000_000 + i as i64),
        took: if i == 3 {
            TimeDelta64::NAT
        } else {
            TimeDelta64::new(i as i64)
        },
        ok: i % 3 == 0,
    }
}

fn aligned(i: usize) -> Aligned {
    Aligned {
        a: i as u8,
        b: -(i as i32) * 1000,
        c: 200 + i as u8,
        d: [i as f64, 0.25],
        e: Complex::new(i as f32, 2.0),
        s: FixedUnicode::new(&"xyz"[..i % 4]).unwrap(),
        h: f16::from_f32(i as f32),
    }
}

fn c_aligned(i: usize) -> CAligned {
    let a = aligned(i);
    CAligned {
        a: a.a,
        b: a.b,
        c: a.c,
        d: a.d,
        e: a.e,
        s: a.s,
        h: a.h,
    }
}

fn nested_aligned(i: usize) -> AlignedOuter {
    AlignedOuter {
        c: i as u8,
        inner: AlignedInner {
            a: 7 * i as u8,
            b: i as f64 / 8.0,
        },
    }
}

fn many<T>(make: fn(usize) -> T) -> Vec<T> {
    (0..N).map(make).collect()
}

/// The NumPy side: the same records built in NumPy (`expected[name]`), the files Rust wrote
/// compared with `np.save` of them, and the files Rust will read.
const SCRIPT: &str = r#"
import numpy as np

N = 12
names = ["", "α", "héllo", "sixchr"]

point_dt = np.dtype([('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))])
def points(dt=point_dt, n=N):
    a = np.zeros(n, dt)
    i = np.arange(n)
    a['x'] = i * 0.5
    a['y'] = -i
    a['pos'] = np.stack([i, np.ones(n), np.full(n, -2.5)], axis=1)
    return a

inner_dt = np.dtype([('value', '<c16'), ('flag', '?')])
rich_dt = np.dtype([('id', '<u2'), ('half', '<f2'), ('z', '<c8'), ('grid', '<i2', (2, 3)),
                    ('inner', inner_dt), ('pair', inner_dt, (2,)), ('name', '<U6'),
                    ('tag', 'S4'), ('when', '<M8[ns]'), ('took', '<m8[s]'), ('ok', '?')])
def rich():
    a = np.zeros(N, rich_dt)
    for i in range(N):
        r = a[i]
        r['id'] = i * 3
        r['half'] = i / 4
        r['z'] = complex(1.5, i)
        r['grid'] = [[i, 2, 3], [4, 5, -i]]
        r['inner'] = (complex(i, -i), i % 2 == 0)
        r['pair'] = [(complex(k, -k), k % 2 == 0) for k in (i + 1, i + 2)]
        r['name'] = names[i % 4]
        r['tag'] = b"abcd"[: i % 5]
        r['when'] = np.datetime64(1_700_000_000_000_000_000 + i, 'ns')
        r['took'] = np.timedelta64('NaT') if i == 3 else np.timedelta64(i, 's')
        r['ok'] = i % 3 == 0
    return a

aligned_fields = [('a', 'u1'), ('b', '<i4'), ('c', 'u1'), ('d', '<f8', (2,)), ('e', '<c8'),
                  ('s', '<U3'), ('h', '<f2')]
aligned_dt = np.dtype(aligned_fields, align=True)
def aligned():
    a = np.zeros(N, aligned_dt)
    i = np.arange(N)
    a['a'] = i
    a['b'] = -i * 1000
    a['c'] = 200 + i
    a['d'] = np.stack([i, np.full(N, 0.25)], axis=1)
    a['e'] = i + 2j
    a['s'] = ["xyz"[: k % 4] for k in range(N)]
    a['h'] = i
    return a

ainner_dt = np.dtype([('a', 'u1'), ('b', '<f8')], align=True)
aouter_dt = np.dtype([('c', 'u1'), ('inner', ainner_dt)], align=True)
def nested_aligned():
    a = np.zeros(N, aouter_dt)
    i = np.arange(N)
    a['c'] = i
    a['inner']['a'] = 7 * i
    a['inner']['b'] = i / 8
    return a

expected = {
    'point': points(),
    'pod_point': points(),
    'point_2d': points().reshape(3, 4),
    'rich': rich(),
    'rich_big': rich().astype(rich_dt.newbyteorder('>')),
    'point_big': points().astype(point_dt.newbyteorder('>')),
    'aligned': aligned(),
    'c_aligned': aligned(),
    'nested_aligned': nested_aligned(),
}

# 1. What Rust wrote loads in NumPy and is byte-identical to np.save of the same records.
for name, want in expected.items():
    np.save(f'numpy_{name}.npy', want)
    got = np.load(f'rust_{name}.npy')
    assert got.dtype == want.dtype, (name, got.dtype.descr, want.dtype.descr)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if got.tobytes() != want.tobytes():
        bad = [f for f in want.dtype.names if got[f].tobytes() != want[f].tobytes()]
        raise AssertionError(f'{name}: fields {bad} differ: {[(got[f][:4], want[f][:4]) for f in bad]}')
    with open(f'rust_{name}.npy', 'rb') as f, open(f'numpy_{name}.npy', 'rb') as g:
        ours, theirs = f.read(), g.read()
    assert ours == theirs, (name, ours[:200], theirs[:200])
    print('identical', name)

# 2. Files for Rust to read: other field orders, extra fields, padding, widening, byte order.
reordered_dt = np.dtype([('pos', '>f4', (3,)), ('extra', '<u8'), ('y', '<i2'), ('', 'V3'), ('x', '<f4')])
p = points()
r = np.zeros(N, reordered_dt)
for f in ('pos', 'y', 'x'):
    r[f] = p[f]
r['extra'] = 99
np.save('in_reordered.npy', r)
np.save('in_point_aligned_big.npy', np.zeros(0, np.dtype([('y', '>i4'), ('x', '>f8'), ('pos', '>f4', 3)], align=True)))
# (astype between record dtypes goes by position: copy field by field to go by name.)
def by_name(a, dt):
    out = np.zeros(a.shape, dt)
    for f in a.dtype.names:
        out[f] = a[f]
    return out
np.save('in_point_aligned.npy', by_name(points(), np.dtype([('y', '<i4'), ('x', '<f8'), ('pos', '<f4', 3)], align=True)))
np.save('in_rich_big.npy', expected['rich_big'])
np.save('in_aligned.npy', expected['aligned'])
np.save('in_point_2d.npy', expected['point_2d'])
# Rich with every field in reverse order plus an extra one.
rev = np.dtype([('extra', '<f8')] + [(n, rich_dt.fields[n][0]) for n in reversed(rich_dt.names)])
x = np.zeros(N, rev)
for n in rich_dt.names:
    x[n] = expected['rich'][n]
np.save('in_rich_reversed.npy', x)
np.save('in_nested_aligned.npy', expected['nested_aligned'])
print('written')
"#;

fn write_ours(dir: &Path) {
    let path = |name: &str| dir.join(format!("rust_{name}.npy"));
    save(path("point"), &many(point)).unwrap();
    save(path("pod_point"), &many(pod_point)).unwrap();
    let grid = Array2::from_shape_vec((3, 4), many(point)).unwrap();
    save(path("point_2d"), &grid).unwrap();
    save(path("rich"), &many(rich)).unwrap();
    let big = WriteOptions::default().with_endian(Endian::Big);
    save_with(path("rich_big"), &many(rich), &big).unwrap();
    save_with(path("point_big"), &many(pod_point), &big).unwrap();
    save(path("aligned"), &many(aligned)).unwrap();
    save(path("c_aligned"), &many(c_aligned)).unwrap();
    save(path("nested_aligned"), &many(nested_aligned)).unwrap();
}

#[test]
fn records_interoperate_with_numpy_both_ways() {
    let dir = temp_dir();
    write_ours(dir.path());
    let printed = run_python(SCRIPT, dir.path());
    assert_eq!(printed.matches("identical").count(), 9, "{printed}");
    let path = |name: &str| dir.path().join(format!("{name}.npy"));

    // NumPy's own files of the same records.
    assert_eq!(
        load::<Vec<Point>, _>(path("numpy_point")).unwrap(),
        many(point)
    );
    assert_eq!(
        load::<Vec<PodPoint>, _>(path("numpy_point")).unwrap(),
        many(pod_point)
    );
    assert_eq!(
        load::<Vec<Rich>, _>(path("numpy_rich")).unwrap(),
        many(rich)
    );
    assert_eq!(
        load::<Vec<Aligned>, _>(path("numpy_aligned")).unwrap(),
        many(aligned)
    );
    assert_eq!(
        load::<Vec<CAligned>, _>(path("numpy_c_aligned")).unwrap(),
        many(c_aligned)
    );
    assert_eq!(
        load::<Vec<AlignedOuter>, _>(path("numpy_nested_aligned")).unwrap(),
        many(nested_aligned)
    );
    assert_eq!(
        load::<Vec<PodPoint>, _>(path("numpy_point_big")).unwrap(),
        many(pod_point)
    );

    // Other orders, extra fields, padding, widening (y: i2 -> i32, x: f4 -> f64), byte orders.
    assert_eq!(
        load::<Vec<Point>, _>(path("in_reordered")).unwrap(),
        many(point)
    );
    assert_eq!(
        load::<Vec<PodPoint>, _>(path("in_reordered")).unwrap(),
        many(pod_point)
    );
    assert_eq!(
        load::<Vec<Point>, _>(path("in_point_aligned")).unwrap(),
        many(point)
    );
    assert_eq!(
        load::<Vec<PodPoint>, _>(path("in_point_aligned")).unwrap(),
        many(pod_point)
    );
    assert!(load::<Vec<Point>, _>(path("in_point_aligned_big"))
        .unwrap()
        .is_empty());
    assert_eq!(
        load::<Vec<Rich>, _>(path("in_rich_big")).unwrap(),
        many(rich)
    );
    assert_eq!(
        load::<Vec<Rich>, _>(path("in_rich_reversed")).unwrap(),
        many(rich)
    );
    assert_eq!(
        load::<Vec<AlignedOuter>, _>(path("in_nested_aligned")).unwrap(),
        many(nested_aligned)
    );
    let packed: Vec<PackedFields> = load(path("in_aligned")).unwrap();
    for (i, record) in packed.iter().enumerate() {
        let want = aligned(i);
        assert_eq!(
            (record.h, record.s, record.a, record.d),
            (want.h, want.s, want.a, want.d)
        );
    }
    let grid: Array2<Point> = load(path("in_point_2d")).unwrap();
    assert_eq!(grid, Array2::from_shape_vec((3, 4), many(point)).unwrap());

    // A field NumPy's file lacks is an error naming it and both dtypes.
    let err = load::<Vec<Rich>, _>(path("in_reordered"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"id\"") && err.contains("'<u2'") && err.contains("('extra', '<u8')"),
        "{err}"
    );
}
