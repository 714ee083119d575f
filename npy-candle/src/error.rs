//! The adapter's error: npy-serde's (files, dtypes, members), candle's (tensors), or a
//! dtype one side does not have.

use candle_core::DType;

/// What went wrong reading or writing tensors.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing the file (npy-serde's error, with its kind, file and member).
    Npy(npy_serde::Error),
    /// Building or moving a tensor.
    Candle(candle_core::Error),
    /// A tensor was asked for as a type of another dtype.
    WrongDtype {
        /// The dtype of the type asked for.
        expected: DType,
        /// The tensor's.
        found: DType,
    },
    /// A dtype one side has and the other lacks; the message says what to do.
    Unsupported(String),
    /// A layout that cannot be viewed (should not happen; the message says which).
    Layout(String),
}

/// `Result<T, npy_candle::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn no_numpy_dtype(dtype: DType) -> Error {
        Error::Unsupported(format!(
            "candle dtype {dtype:?} has no NumPy dtype (u8, u32, i16, i32, i64, f16, bf16, f32 \
             and f64 do); convert the tensor with to_dtype first"
        ))
    }

    pub(crate) fn no_candle_dtype(member: &str, dtype: &npy_serde::dtype::DType) -> Error {
        let what = if member.is_empty() {
            String::new()
        } else {
            format!("member {member:?}: ")
        };
        Error::Unsupported(format!(
            "{what}{dtype} has no candle dtype of its own: read it with read_tensor_as and a \
             dtype it widens into (bool: none; int8 and uint8: I16, I32, I64, F16, F32 or F64; \
             uint16: U32, I32, I64, F32 or F64; '|V2' holding bfloat16: BF16)"
        ))
    }

    /// The error with `member` named, when it is npy-serde's or candle's.
    pub(crate) fn in_member(self, member: &str) -> Error {
        match self {
            Error::Candle(e) => Error::Candle(e.context(format!("member {member:?}"))),
            Error::Unsupported(message) if !message.starts_with("member") => {
                Error::Unsupported(format!("member {member:?}: {message}"))
            }
            other => other,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Npy(e) => e.fmt(f),
            Error::Candle(e) => e.fmt(f),
            Error::WrongDtype { expected, found } => {
                write!(
                    f,
                    "expected a tensor of dtype {expected:?}, found {found:?}"
                )
            }
            Error::Unsupported(message) | Error::Layout(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Npy(e) => Some(e),
            Error::Candle(e) => Some(e),
            _ => None,
        }
    }
}

impl From<npy_serde::Error> for Error {
    fn from(error: npy_serde::Error) -> Error {
        Error::Npy(error)
    }
}

impl From<candle_core::Error> for Error {
    fn from(error: candle_core::Error) -> Error {
        Error::Candle(error)
    }
}

/// For candle's traits (`SimpleBackend`), which return candle's error.
impl From<Error> for candle_core::Error {
    fn from(error: Error) -> candle_core::Error {
        match error {
            Error::Candle(e) => e,
            other => candle_core::Error::wrap(other),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Error {
        Error::Npy(npy_serde::Error::from(error))
    }
}
