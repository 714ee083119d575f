//! Interop with the machine-learning side of Python: ml_dtypes' bfloat16 through `np.save`
//! and `np.savez` both ways. One test binary; each module is one concern.

mod bf16_interop;
mod safetensors_interop;
