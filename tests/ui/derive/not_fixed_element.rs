use npy_serde::NpyElement;

struct Opaque;

// Other types are checked by the compiler, with the error on the field's type.
#[derive(NpyElement)]
struct Row {
    size: usize,
    opaque: [Opaque; 2],
}

fn main() {}
