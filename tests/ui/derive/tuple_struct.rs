use npy_serde::NpyElement;

#[derive(NpyElement)]
struct Pair(f64, i32);

#[derive(NpyElement)]
struct Unit;

#[derive(NpyElement)]
struct Empty {}

fn main() {}
