//! Archives (`.npz`) and object arrays: interop with real NumPy both ways, archives with the
//! chunk index and aligned archives read by Python's `zipfile`, object arrays through the safe pickle reader
//! with NumPy, and hostile pickles. One test binary; each module is one former test file.
//! (`tests/npz_hostile.rs` is its own binary: it installs a global allocator.)

mod aligned_interop;
mod npz_index_interop;
mod npz_interop;
mod npz_streaming;
mod pickle_hostile;
mod pickle_interop;
