//! The record types both record benchmarks (`records.rs`, `sweep.rs`) read and write:
//! `{x: f64, y: i32, pos: [f32; 3]}` as a derived record, as a `#[npy(pod)]` one, as npyz
//! sees it, and reordered with an extra field. Each bench uses some of them.
#![allow(dead_code)]

use bytemuck::{Pod, Zeroable};
use npy_serde::NpyElement;

#[derive(NpyElement, Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: i32,
    pub pos: [f32; 3],
}

#[derive(NpyElement, Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
#[repr(C)]
#[npy(pod)]
pub struct PodPoint {
    pub x: f64,
    pub y: i32,
    pub pos: [f32; 3],
}

#[derive(
    npyz::Deserialize, npyz::Serialize, npyz::AutoSerialize, Clone, Copy, Debug, PartialEq,
)]
pub struct NpyzPoint {
    pub x: f64,
    pub y: i32,
    pub pos: [f32; 3],
}

/// The same fields in another order, with an extra one.
#[derive(NpyElement, Clone, Copy)]
pub struct Reordered {
    pub pos: [f32; 3],
    pub extra: u32,
    pub y: i32,
    pub x: f64,
}
