//! A candle `Tensor` as a field of a serde checkpoint struct, on npy-serde's bulk path (one
//! member, its bytes written straight from the tensor's memory):
//! `#[serde(with = "npy_candle::serde_tensor")]`. Tensors load on the CPU in their own
//! dtype (serde has no way to pass a device; `.to_device(&device)` after). A bf16 tensor is
//! `|V2` in the file, which is never guessed: mark bf16 fields
//! `#[serde(with = "npy_candle::serde_tensor::bf16")]`.
//!
//! ```
//! use candle_core::{DType, Device, Tensor};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Checkpoint {
//!     step: u64,
//!     #[serde(with = "npy_candle::serde_tensor")]
//!     weight: Tensor,
//!     #[serde(with = "npy_candle::serde_tensor::bf16")]
//!     moments: Tensor,
//! }
//!
//! let device = Device::Cpu;
//! let checkpoint = Checkpoint {
//!     step: 10,
//!     weight: Tensor::ones((2, 3), DType::F32, &device)?.t()?,
//!     moments: Tensor::zeros(4, DType::BF16, &device)?,
//! };
//! let bytes = npy_serde::to_vec(&checkpoint)?;
//! let back: Checkpoint = npy_serde::from_slice(&bytes)?;
//! assert_eq!(back.weight.dims(), [3, 2]);
//! assert_eq!(back.moments.dtype(), DType::BF16);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::{Device, Tensor};
use npy_serde::{Bulk, NpyArray};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{dispatch, tensor_from_npy_array, with_view, Error};

/// Writes `tensor` as one member in its own dtype, from its memory.
pub fn serialize<S: Serializer>(tensor: &Tensor, serializer: S) -> Result<S::Ok, S::Error> {
    let result: crate::Result<Result<S::Ok, S::Error>> = (|| dispatch!(tensor.dtype(), T => with_view::<T, _>(tensor, |view| Bulk(view).serialize(serializer))))(
    );
    result.map_err(serde::ser::Error::custom)?
}

/// Reads a member as a tensor on the CPU in the candle dtype of its own dtype.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tensor, D::Error> {
    let Bulk(array) = Bulk::<NpyArray>::deserialize(deserializer)?;
    tensor_from_npy_array(array, None, &Device::Cpu).map_err(serde::de::Error::custom)
}

pub mod bf16 {
    //! A bf16 tensor field: written as [`serialize`](super::serialize) does (`|V2`), read
    //! from `|V2` as bf16 (the field says so; the file cannot).

    use super::*;

    /// Writes `tensor` as one member in its own dtype, from its memory.
    pub fn serialize<S: Serializer>(tensor: &Tensor, serializer: S) -> Result<S::Ok, S::Error> {
        super::serialize(tensor, serializer)
    }

    /// Reads a `|V2` member as a bf16 tensor on the CPU.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tensor, D::Error> {
        let Bulk(array) = Bulk::<NpyArray>::deserialize(deserializer)?;
        tensor_from_npy_array(array, Some(candle_core::DType::BF16), &Device::Cpu)
            .map_err(|e: Error| serde::de::Error::custom(e))
    }
}
