//! `#[derive(NpyElement)]` without NumPy: written dtypes, round trips, reading by name,
//! layouts, zero-copy, generics and errors. (NumPy interop is in `derive_interop.rs`.)

// `is_multiple_of` is newer than the workspace's rust-version (1.85).
#![allow(clippy::manual_is_multiple_of)]

use bytemuck::{Pod, Zeroable};
use half::f16;
use ndarray::Array2;
use npy_serde::dtype::{DType, Endian};
use npy_serde::element::units::{Nanoseconds, Seconds};
use npy_serde::element::{DateTime64, FixedBytes, FixedElement, FixedUnicode, TimeDelta64};
use npy_serde::error::ErrorKind;
use npy_serde::{npy, Error, NpyElement, WriteOptions};
use num_complex::Complex;

#[derive(NpyElement, Debug, Clone, PartialEq)]
struct Point {
    x: f64,
    y: i32,
    pos: [f32; 3],
}

#[derive(NpyElement, Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[npy(pod)]
#[repr(C)]
struct PodPoint {
    x: f64,
    y: i32,
    pos: [f32; 3],
}

fn native(text: &str) -> String {
    if cfg!(target_endian = "little") {
        text.to_string()
    } else {
        text.replace('<', ">")
    }
}

fn points(n: usize) -> Vec<Point> {
    (0..n)
        .map(|i| Point {
            x: i as f64 * 0.5,
            y: -(i as i32),
            pos: [i as f32, 1.0, -2.5],
        })
        .collect()
}

#[test]
fn packed_dtype_is_what_numpy_writes() {
    assert_eq!(
        Point::dtype().to_string(),
        native("[('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))]")
    );
    assert_eq!(PodPoint::dtype(), Point::dtype());
    assert_eq!(Point::dtype().itemsize(), 24);
}

#[test]
fn round_trip_packed_and_big_endian() {
    let values = points(1000);
    let back: Vec<Point> = npy::from_slice(&npy::to_vec(&values).unwrap()).unwrap();
    assert_eq!(back, values);
    let big = npy::to_vec_with(&values, &WriteOptions::default().with_endian(Endian::Big)).unwrap();
    assert!(String::from_utf8_lossy(&big[..128]).contains("('x', '>f8')"));
    let back: Vec<Point> = npy::from_slice(&big).unwrap();
    assert_eq!(back, values);
    let back: Vec<PodPoint> = npy::from_slice(&big).unwrap();
    assert_eq!(back[7].pos, values[7].pos);
}

#[test]
fn pod_layout_is_bulk_and_identical_to_the_plain_one() {
    let values = points(100);
    let pods: Vec<PodPoint> = values
        .iter()
        .map(|p| PodPoint {
            x: p.x,
            y: p.y,
            pos: p.pos,
        })
        .collect();
    assert_eq!(npy::to_vec(&pods).unwrap(), npy::to_vec(&values).unwrap());
    let back: Vec<PodPoint> = npy::from_slice(&npy::to_vec(&values).unwrap()).unwrap();
    assert_eq!(back, pods);
}

#[derive(NpyElement, Debug, Clone, PartialEq)]
struct Inner {
    value: Complex<f64>,
    flag: bool,
}

#[derive(NpyElement, Debug, Clone, PartialEq)]
struct Everything {
    #[npy(rename = "type")]
    kind: u8,
    half: f16,
    small: Complex<f32>,
    grid: [[i16; 3]; 2],
    inner: Inner,
    inners: [Inner; 2],
    name: FixedUnicode<5>,
    tag: FixedBytes<3>,
    when: DateTime64<Nanoseconds>,
    took: TimeDelta64<Seconds>,
    r#ok: bool,
}

fn everything(i: usize) -> Everything {
    let inner = |k: usize| Inner {
        value: Complex::new(k as f64, -(k as f64)),
        flag: k % 2 == 0,
    };
    Everything {
        kind: i as u8,
        half: f16::from_f32(i as f32 / 4.0),
        small: Complex::new(1.5, i as f32),
        grid: [[i as i16, 2, 3], [4, 5, -(i as i16)]],
        inner: inner(i),
        inners: [inner(i + 1), inner(i + 2)],
        name: FixedUnicode::new(["", "α", "héllo"][i % 3]).unwrap(),
        tag: FixedBytes::new(&b"abc"[..i % 4]).unwrap(),
        when: DateTime64::new(1_700_000_000_000_000_000 + i as i64),
        took: if i == 3 {
            TimeDelta64::NAT
        } else {
            TimeDelta64::new(i as i64)
        },
        ok: i % 3 == 0,
    }
}

#[test]
fn every_field_kind_round_trips_in_both_byte_orders() {
    assert_eq!(
        Everything::dtype().to_string(),
        native(
            "[('type', '|u1'), ('half', '<f2'), ('small', '<c8'), ('grid', '<i2', (2, 3)), \
             ('inner', [('value', '<c16'), ('flag', '|b1')]), \
             ('inners', [('value', '<c16'), ('flag', '|b1')], (2,)), ('name', '<U5'), \
             ('tag', '|S3'), ('when', '<M8[ns]'), ('took', '<m8[s]'), ('ok', '|b1')]"
        )
    );
    let values: Vec<Everything> = (0..10).map(everything).collect();
    for endian in [Endian::Little, Endian::Big] {
        let bytes =
            npy::to_vec_with(&values, &WriteOptions::default().with_endian(endian)).unwrap();
        let back: Vec<Everything> = npy::from_slice(&bytes).unwrap();
        assert_eq!(back, values);
    }
    let array = ndarray::Array1::from(values.clone());
    let back: ndarray::Array1<Everything> = npy::from_slice(&npy::to_vec(&array).unwrap()).unwrap();
    assert_eq!(back, array);
    let matrix = Array2::from_shape_vec((2, 5), values).unwrap();
    let back: Array2<Everything> = npy::from_slice(&npy::to_vec(&matrix).unwrap()).unwrap();
    assert_eq!(back, matrix);
}

/// The `.npy` bytes of `records` written with the given record dtype text.
fn npy_with(dtype: &str, count: usize, data: &[u8]) -> Vec<u8> {
    let dtype: DType = dtype.parse().unwrap();
    assert_eq!(data.len(), count * dtype.itemsize());
    let mut bytes = npy::Header::new(dtype, vec![count]).to_bytes().unwrap();
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn fields_are_matched_by_name_with_extras_padding_and_widening() {
    // y (big-endian i2, widened to i32), padding, an extra field, pos, x as f4 (widened).
    let dtype = "[('y', '>i2'), ('', '|V2'), ('extra', '<u8'), ('pos', '>f4', (3,)), ('x', '<f4')]";
    let mut data = Vec::new();
    for i in 0..3i16 {
        data.extend_from_slice(&(-i).to_be_bytes());
        data.extend_from_slice(&[0xAA, 0xBB]);
        data.extend_from_slice(&99u64.to_le_bytes());
        for v in [i as f32, 1.0, -2.5] {
            data.extend_from_slice(&v.to_be_bytes());
        }
        data.extend_from_slice(&(i as f32 * 0.5).to_le_bytes());
    }
    let bytes = npy_with(dtype, 3, &data);
    let back: Vec<Point> = npy::from_slice(&bytes).unwrap();
    assert_eq!(back, points(3));
    let back: Vec<PodPoint> = npy::from_slice(&bytes).unwrap();
    assert_eq!(back[2].pos, [2.0, 1.0, -2.5]);
}

fn mismatch(result: Result<impl std::fmt::Debug, Error>) -> (String, String, String) {
    let err = result.unwrap_err();
    let field = err.field().unwrap_or_default().to_string();
    match err.into_kind() {
        ErrorKind::DtypeMismatch { expected, found } => (field, expected, found),
        other => panic!("expected a dtype mismatch, got {other}"),
    }
}

#[test]
fn missing_and_lossy_fields_are_errors_naming_field_and_dtypes() {
    let no_y = npy_with("[('x', '<f8'), ('pos', '<f4', (3,))]", 0, &[]);
    let (field, expected, found) = mismatch(npy::from_slice::<Vec<Point>>(&no_y));
    assert_eq!(field, "y");
    assert!(
        expected.contains("'y'") || expected.contains("\"y\""),
        "{expected}"
    );
    assert!(expected.contains("i4"), "{expected}");
    assert!(found.contains("('pos', '<f4', (3,))"), "{found}");

    let lossy = npy_with("[('x', '<f8'), ('y', '<i8'), ('pos', '<f4', (3,))]", 0, &[]);
    let (field, expected, found) = mismatch(npy::from_slice::<Vec<Point>>(&lossy));
    assert_eq!(field, "y");
    assert_eq!(
        (expected.as_str(), found.as_str()),
        ("int32 (i32)", "'<i8' (int64), which loads as i64")
    );

    let short_pos = npy_with("[('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (2,))]", 0, &[]);
    assert_eq!(mismatch(npy::from_slice::<Vec<Point>>(&short_pos)).0, "pos");

    let nested = Everything::dtype()
        .to_string()
        .replace("('flag', '|b1')]), ", "('flag', '|u1')]), ");
    let bytes = npy_with(&nested, 0, &[]);
    let (field, _, found) = mismatch(npy::from_slice::<Vec<Everything>>(&bytes));
    assert_eq!(field, "inner.flag");
    assert_eq!(found, "'|u1' (uint8), which loads as u8");

    let plain = npy::to_vec(&vec![1.0f64]).unwrap();
    let (field, expected, _) = mismatch(npy::from_slice::<Vec<Point>>(&plain));
    assert_eq!(field, "");
    assert!(expected.contains("record"), "{expected}");

    // A truncated file is an error, not a panic.
    let mut bytes = npy::to_vec(&points(10)).unwrap();
    bytes.truncate(bytes.len() - 5);
    assert!(matches!(
        npy::from_slice::<Vec<Point>>(&bytes).unwrap_err().kind(),
        ErrorKind::Truncated { .. }
    ));
    let mut bytes = npy::to_vec(&points(10)).unwrap();
    bytes.truncate(bytes.len() - 5);
    assert!(npy::read::<Vec<PodPoint>, _>(&mut &bytes[..]).is_err());
}

#[derive(NpyElement, Debug, Clone, PartialEq)]
#[npy(align)]
struct Aligned {
    a: u8,
    b: i32,
    c: u8,
    d: [f64; 2],
}

#[derive(NpyElement, Debug, Clone, Copy, PartialEq)]
#[repr(C)]
struct ReprC {
    a: u8,
    b: i32,
    c: u8,
    d: [f64; 2],
}

#[derive(NpyElement, Debug, Clone, Copy, PartialEq)]
#[repr(C)]
#[npy(packed)]
struct ReprCPacked {
    a: u8,
    b: i32,
}

#[test]
fn aligned_and_repr_c_layouts() {
    let aligned = native(
        "[('a', '|u1'), ('', '|V3'), ('b', '<i4'), ('c', '|u1'), ('', '|V7'), ('d', '<f8', (2,))]",
    );
    assert_eq!(Aligned::dtype().to_string(), aligned);
    assert_eq!(Aligned::dtype().itemsize(), 32);
    // A repr(C) struct describes its own memory, which is NumPy's align=True layout here.
    assert_eq!(ReprC::dtype(), Aligned::dtype());
    assert_eq!(ReprC::dtype().itemsize(), size_of::<ReprC>());
    assert_eq!(
        ReprCPacked::dtype().to_string(),
        "[('a', '|u1'), ('b', '<i4')]".replace(
            '<',
            if cfg!(target_endian = "little") {
                "<"
            } else {
                ">"
            }
        )
    );

    let values: Vec<Aligned> = (0..5)
        .map(|i| Aligned {
            a: i,
            b: -(i as i32),
            c: 200 + i,
            d: [i as f64, 0.25],
        })
        .collect();
    let bytes = npy::to_vec(&values).unwrap();
    // Padding is written as zeros, as NumPy's zero-initialised arrays hold.
    assert_eq!(&bytes[bytes.len() - 32..][1..4], [0, 0, 0]);
    assert_eq!(npy::from_slice::<Vec<Aligned>>(&bytes).unwrap(), values);
    // The aligned file reads into the packed-by-default layouts, and back.
    let as_repr: Vec<ReprC> = npy::from_slice(&bytes).unwrap();
    assert_eq!(as_repr[4].d, [4.0, 0.25]);
    let packed: Vec<ReprCPacked> = npy::from_slice(&bytes).unwrap();
    assert_eq!(packed[3], ReprCPacked { a: 3, b: -3 });
    let (field, _, _) = mismatch(npy::from_slice::<Vec<Aligned>>(
        &npy::to_vec(&packed).unwrap(),
    ));
    assert_eq!(field, "c");
}

#[derive(NpyElement, Debug, Clone, Copy, PartialEq)]
struct Generic<T, U: npy_serde::element::Unit, const N: usize> {
    value: T,
    many: [T; N],
    at: DateTime64<U>,
}

#[derive(NpyElement, Debug, Clone, Copy, PartialEq)]
#[repr(C)]
#[npy(pod)]
struct PodGeneric<const N: usize> {
    values: [f32; N],
}

// SAFETY: repr(C) around one [f32; N]: no padding, every bit pattern valid.
// (bytemuck's derive refuses generic structs.)
unsafe impl<const N: usize> Zeroable for PodGeneric<N> {}
unsafe impl<const N: usize> Pod for PodGeneric<N> {}

#[test]
fn generic_structs() {
    type G = Generic<i16, Seconds, 2>;
    assert_eq!(
        G::dtype().to_string(),
        native("[('value', '<i2'), ('many', '<i2', (2,)), ('at', '<M8[s]')]")
    );
    let values = vec![G {
        value: 3,
        many: [4, 5],
        at: DateTime64::new(6),
    }];
    assert_eq!(
        npy::from_slice::<Vec<G>>(&npy::to_vec(&values).unwrap()).unwrap(),
        values
    );
    // Widening through a type parameter: i16 data read as i64.
    let wide: Vec<Generic<i64, Seconds, 2>> =
        npy::from_slice(&npy::to_vec(&values).unwrap()).unwrap();
    assert_eq!(wide[0].many, [4, 5]);
    let pods = vec![PodGeneric { values: [1.0, 2.0] }];
    assert_eq!(
        npy::from_slice::<Vec<PodGeneric<2>>>(&npy::to_vec(&pods).unwrap()).unwrap(),
        pods
    );
}

mod reexport {
    pub use npy_serde as renamed;
}

#[derive(npy_serde::NpyElement, Debug, Clone, PartialEq)]
#[npy(crate = "reexport::renamed")]
struct ThroughReexport {
    v: u16,
}

#[test]
fn crate_path_attribute() {
    let values = vec![ThroughReexport { v: 7 }];
    let back: Vec<ThroughReexport> = npy::from_slice(&npy::to_vec(&values).unwrap()).unwrap();
    assert_eq!(back, values);
}

#[test]
fn zero_copy_applies_exactly_when_the_file_is_the_struct_memory() {
    // The derive runtime's own check (not public API: `__private` is what generated code
    // calls).
    use npy_serde::__private::matches_memory;
    let layout = [(0, 8), (8, 4), (12, 12)];
    assert!(matches_memory::<PodPoint>(&PodPoint::dtype(), &layout));
    let swapped = PodPoint::dtype().with_endian(Endian::NATIVE.swapped());
    assert!(!matches_memory::<PodPoint>(&swapped, &layout));
    let reordered: DType = native("[('y', '<i4'), ('x', '<f8'), ('pos', '<f4', (3,))]")
        .parse()
        .unwrap();
    assert!(!matches_memory::<PodPoint>(&reordered, &layout));
    // What the mmap helper compares: the written dtype equals the file's parsed dtype.
    let parsed: DType = PodPoint::dtype().to_string().parse().unwrap();
    assert_eq!(parsed, PodPoint::write_dtype(&[]));
    let parsed: DType = ReprC::dtype().to_string().parse().unwrap();
    assert_eq!(parsed, ReprC::write_dtype(&[]));
}

mod visibility {
    //! A public record whose field types are private: the generated bounds must not warn.
    #[derive(npy_serde::NpyElement, Debug, Clone, PartialEq)]
    struct Hidden {
        a: u8,
    }

    #[derive(npy_serde::NpyElement, Debug, Clone, PartialEq)]
    pub struct Public {
        hidden: Hidden,
    }

    #[test]
    fn private_field_types() {
        let values = vec![Public {
            hidden: Hidden { a: 3 },
        }];
        let back: Vec<Public> =
            npy_serde::npy::from_slice(&npy_serde::npy::to_vec(&values).unwrap()).unwrap();
        assert_eq!(back, values);
    }
}
