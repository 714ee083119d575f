//! npy-serde: NumPy `.npy` and `.npz` files in Rust.

pub mod dtype;
pub mod error;
pub mod header;
mod literal;

pub use dtype::{DType, DateUnit, Endian, Field, Record, TimeUnit};
pub use error::{Error, Result};
pub use header::{Header, HeaderInfo, Version};
pub mod element;
pub use element::{
    units, DataReader, DateTime64, FixedBytes, FixedElement, FixedUnicode, NpyElement,
    TimeDelta64, Unit,
};
pub mod array;
pub mod read;
pub mod write;
pub use array::{ArrayData, NpyArray};
pub use read::{from_bytes, inspect, load, load_with, read_npy, read_npy_with, NpyRead, ReadOptions};
pub use write::{save, save_with, to_bytes, write_npy, NpyWrite, Shaped, WriteOptions};
