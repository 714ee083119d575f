//! The generated code uses fully qualified paths only: it compiles without the prelude and
//! next to items named like the prelude's and like its own locals.
#![no_implicit_prelude]

#[allow(dead_code, non_camel_case_types, non_upper_case_globals)]
mod shadows {
    pub struct Vec;
    pub struct Some;
    pub struct None;
    pub struct Ok;
    pub struct Err;
    pub struct Result;
    pub struct Option;
    pub struct Iterator;
    pub trait FixedElement {}
    pub const records: u8 = 0;
    pub const plan: u8 = 0;
    pub const values: u8 = 0;
    pub const dtype: u8 = 0;
    pub const count: u8 = 0;
}
#[allow(unused_imports)]
use shadows::*;

#[derive(
    ::npy_serde::NpyElement, ::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq,
)]
struct Point<T> {
    x: T,
    r#type: [f32; 2],
    #[npy(rename = "flag")]
    ok: bool,
}

#[derive(
    ::npy_serde::NpyElement,
    ::core::fmt::Debug,
    ::core::clone::Clone,
    ::core::marker::Copy,
    ::core::cmp::PartialEq,
    ::bytemuck::Pod,
    ::bytemuck::Zeroable,
)]
#[repr(C)]
#[npy(pod)]
struct Packed {
    a: f64,
    b: [i32; 2],
}

#[test]
fn derives_without_the_prelude() {
    let points = ::std::vec![Point {
        x: 1.5f64,
        r#type: [2.0, 3.0],
        ok: true,
    }];
    let bytes = ::npy_serde::npy::to_vec(&points).unwrap();
    let back: ::std::vec::Vec<Point<f64>> = ::npy_serde::npy::from_slice(&bytes).unwrap();
    ::std::assert_eq!(back, points);
    let text = ::std::string::ToString::to_string(
        &<Point<f64> as ::npy_serde::element::FixedElement>::dtype(),
    );
    ::std::assert!(text.contains("('type', "), "{}", text);
    ::std::assert!(text.contains("('flag', '|b1')"), "{}", text);

    let packed = ::std::vec![Packed { a: 1.0, b: [2, 3] }];
    let back: ::std::vec::Vec<Packed> =
        ::npy_serde::npy::from_slice(&::npy_serde::npy::to_vec(&packed).unwrap()).unwrap();
    ::std::assert_eq!(back, packed);
}
