//! The safe pickle reader of object arrays on arbitrary bytes (see `checks::pickle`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::pickle(data));
