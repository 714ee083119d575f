//! `#[derive(NpyElement)]` without NumPy: written dtypes, round trips, reading by name,
//! layouts, zero-copy, generics and errors. (NumPy interop is in `derive_interop.rs`.)

use bytemuck::{Pod, Zeroable};
use half::f16;
use ndarray::Array2;
use npy_serde::units::{Nanoseconds, Seconds};
use npy_serde::{
    from_bytes, to_bytes, DType, DateTime64, Error, FixedBytes, FixedElement, FixedUnicode,
    NpyElement, TimeDelta64, WriteOptions,
};
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
    let back: Vec<Point> = from_bytes(&to_bytes(&values).unwrap()).unwrap();
    assert_eq!(back, values);
    let mut big = Vec::new();
    npy_serde::write_npy::<_, _>(&mut big, &values).unwrap();
    let mut big = Vec::new();
    npy_serde::NpyWrite::write_npy(
        &values,
        &mut big,
        &WriteOptions::default().with_endian(npy_serde::Endian::Big),
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&big[..128]).contains("('x', '>f8')"));
    let back: Vec<Point> = from_bytes(&big).unwrap();
    assert_eq!(back, values);
    let back: Vec<PodPoint> = from_bytes(&big).unwrap();
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
    assert_eq!(to_bytes(&pods).unwrap(), to_bytes(&values).unwrap());
    let back: Vec<PodPoint> = from_bytes(&to_bytes(&values).unwrap()).unwrap();
    assert_eq!(back, pods);
}
