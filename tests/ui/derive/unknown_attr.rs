use npy_serde::NpyElement;

// Every unknown key is reported, in one compile.
#[derive(NpyElement)]
#[npy(aligned, rename = "point")]
struct Point {
    #[npy(name = "x_coordinate")]
    x: f64,
    #[npy(align)]
    y: f64,
    #[npy(rename = "zz", skip)]
    z: f64,
}

fn main() {}
