//! Single arrays (`.npy`): interop with real NumPy both ways, the conversion matrix of the
//! typed and serde readers, memory maps and chunked files against NumPy, and property
//! tests of the `.npy` core, and the options model checked at every entry point (npy, npz,
//! serde, maps). One test binary; each module is one former test file.
//! (`tests/malformed.rs` is its own binary: it installs a global allocator.)

mod convert_matrix;
mod mmap_interop;
mod npy_interop;
mod options;
mod properties;
