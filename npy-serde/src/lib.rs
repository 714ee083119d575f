//! npy-serde: NumPy `.npy` and `.npz` files in Rust.

pub mod dtype;
pub mod error;
pub mod header;
mod literal;

pub use dtype::{DType, DateUnit, Endian, Field, Record, TimeUnit};
pub use error::{Error, Result};
pub use header::{Header, HeaderInfo, Version};
