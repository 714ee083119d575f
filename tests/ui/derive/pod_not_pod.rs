use npy_serde::NpyElement;

// `pod` needs the struct to be bytemuck::Pod; a bool field cannot be.
#[derive(NpyElement, Clone, Copy)]
#[repr(C)]
#[npy(pod)]
struct Flags {
    on: bool,
    value: u8,
}

fn main() {}
