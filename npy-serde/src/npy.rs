//! Single arrays: one `.npy` file, NumPy's `np.save` / `np.load`.
//!
//! | to … | from a path | from a reader | from bytes |
//! |---|---|---|---|
//! | write an array | [`save`] | [`write`](fn@write) | [`to_vec`] |
//! | read an array | [`load`] | [`read`] | [`from_slice`] |
//! | read the header alone | [`inspect`] | [`read_header`] | [`read_header`] on `&mut &bytes[..]` |
//! | read a range of rows | [`RowReader`] | | |
//! | write from chunks | [`save_chunks`] | [`StreamWriter`] | [`StreamWriter`] over a `Vec` |
//! | append rows in place | [`Appender`] | | |
//!
//! Each has a `_with` form taking [`ReadOptions`](crate::ReadOptions) or
//! [`WriteOptions`](crate::WriteOptions). What can be saved is [`NpyWrite`] (slices,
//! `Vec`, ndarray arrays of any layout, [`Shaped`] slices, [`NpyArray`](crate::NpyArray),
//! object arrays); what can be loaded is [`NpyRead`] (`Vec<T>`, ndarray arrays,
//! `NpyArray`, object-array types). Memory maps are in [`mmap`](crate::mmap), archives in
//! [`npz`](crate::npz).
//!
//! ```
//! use ndarray::{array, Array2};
//! use npy_serde::npy;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("matrix.npy");
//!
//! let matrix = array![[1.0f64, 2.0], [3.0, 4.0]];
//! npy::save(&path, &matrix)?; // atomic: temp file + rename; np.save's bytes
//! let back: Array2<f64> = npy::load(&path)?;
//! assert_eq!(back, matrix);
//! assert_eq!(npy::inspect(&path)?.header.dtype.to_string(), "'<f8'");
//! # Ok::<(), npy_serde::Error>(())
//! ```

pub use crate::array::ArrayData;
pub use crate::chunked::{save_chunks, AppendOptions, Appender, RowReader};
pub use crate::header::{Header, HeaderInfo, Version};
pub use crate::read::{
    from_slice, from_slice_with, inspect, inspect_with, load, load_with, read, read_header,
    read_header_with, read_with, NpyRead,
};
pub use crate::write::{
    save, save_with, to_vec, to_vec_with, write, write_with, NpyWrite, NpyWriteDyn, Shaped,
    StreamWriter,
};
