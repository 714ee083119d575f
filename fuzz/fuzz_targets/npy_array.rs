//! A dynamic `NpyArray` from arbitrary bytes (see `checks::npy_array`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::npy_array(data));
