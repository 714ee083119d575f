use npy_serde::NpyElement;

#[derive(NpyElement)]
enum Shape {
    Circle { radius: f64 },
    Square { side: f64 },
}

fn main() {}
