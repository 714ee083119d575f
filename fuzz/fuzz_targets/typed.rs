//! Typed reads (`Vec<f64>`, `Vec<String>`, …) from arbitrary bytes (see `checks::typed`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::typed(data));
