use npy_serde::NpyElement;

#[derive(NpyElement)]
#[npy(align, align)]
#[npy(packed)]
struct Point {
    #[npy(rename = "a", rename = "b")]
    x: f64,
    #[npy(rename = "x")]
    y: f64,
    x2: f64,
    #[npy(rename = "x2")]
    z: f64,
    #[npy(rename = "")]
    w: f64,
}

#[derive(NpyElement)]
#[npy(pod)]
struct NotReprC {
    x: f64,
}

#[derive(NpyElement)]
#[npy(crate = "not a path")]
struct BadCrate {
    x: f64,
}

fn main() {}

#[derive(NpyElement)]
#[repr(C, packed)]
struct ReprPacked {
    a: u8,
    b: f64,
}
