//! The serde format: its round-trip guarantee (property tests over the value families of
//! `serde_families`), its plain-array fast path and deterministic archives (`serde_fast`),
//! and interop with real NumPy both ways. One test binary; each module is
//! one former test file. (`tests/serde_zero_rows.rs` is its own binary: it installs a
//! global allocator.)

mod serde_families;
mod serde_fast;
mod serde_interop;
mod serde_roundtrip;
