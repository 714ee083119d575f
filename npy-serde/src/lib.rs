//! npy-serde: NumPy `.npy` and `.npz` files in Rust.
//!
//! (Crate documentation indexed by task is written once the modules are complete.)

// Modules, one per concern. Each helper adds its own line here.
pub mod array;
pub mod chunked;
pub mod de;
pub mod dtype;
pub mod element;
pub mod error;
pub mod header;
mod literal;
pub mod mmap;
pub mod npz;
pub mod read;
pub mod record;
pub mod ser;
pub mod serde_array;
pub mod serde_format;
pub mod write;

pub use array::{ArrayData, NpyArray};
pub use chunked::{NpyAppender, NpyRowReader};
pub use de::{
    from_path, from_path_with, from_reader, from_reader_with, from_slice, from_slice_with,
};
pub use dtype::{DType, DateUnit, Endian, Field, Record, TimeUnit};
pub use element::{
    units, DataReader, DateTime64, FixedBytes, FixedElement, FixedUnicode, NpyElement, TimeDelta64,
    Unit,
};
pub use error::{Error, Result};
pub use header::{Header, HeaderInfo, Version};
pub use mmap::{MappedNpy, MappedNpyMut};
/// `#[derive(NpyElement)]`: a struct with named fields as a NumPy record dtype.
#[cfg(feature = "derive")]
pub use npy_derive::NpyElement;
pub use npz::{load_any, Loaded, NpzReader, NpzUpdate, NpzWriter};
pub use read::{
    from_bytes, inspect, load, load_with, read_npy, read_npy_with, NpyRead, ReadOptions,
};
pub use ser::{to_path, to_path_with, to_vec, to_vec_with, to_writer, to_writer_with};
pub use serde_format::SerdeOptions;
pub use write::{save, save_with, to_bytes, write_npy, NpyWrite, Shaped, WriteOptions};
