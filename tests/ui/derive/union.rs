use npy_serde::NpyElement;

#[derive(NpyElement)]
#[repr(C)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
