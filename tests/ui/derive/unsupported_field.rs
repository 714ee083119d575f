use npy_serde::NpyElement;

// Types that can never be fixed-width are rejected by the derive, all at once.
#[derive(NpyElement)]
struct Row {
    name: String,
    values: Vec<f32>,
    label: &'static str,
    pair: (f64, f64),
    maybe: Option<f64>,
    ok: f64,
}

fn main() {}
