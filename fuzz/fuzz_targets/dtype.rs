//! `str::parse::<DType>` on arbitrary text (see `checks::dtype`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::dtype(data));
