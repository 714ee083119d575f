//! Numeric element types as `f64` for `stats`, `diff` and `hist`: which dtypes count as
//! numeric, decoding raw bytes (either byte order, unaligned) into `f64` in bulk, and the
//! readable names `ls` prints next to NumPy's type strings (the library's, with a note on
//! byte order).

use npy_serde::dtype::{DType, Endian};

/// A numeric element type and its byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numeric {
    pub kind: NumKind,
    pub big_endian: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumKind {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
}

impl Numeric {
    /// The numeric view of `dtype`: booleans, integers and floats up to 8 bytes. Complex,
    /// long double, text, dates and records are not numeric here.
    pub fn of(dtype: &DType) -> Option<Numeric> {
        let (kind, endian) = match *dtype {
            DType::Bool => (NumKind::Bool, Endian::NotApplicable),
            DType::Int { size, endian } => (
                match size {
                    1 => NumKind::I8,
                    2 => NumKind::I16,
                    4 => NumKind::I32,
                    8 => NumKind::I64,
                    _ => return None,
                },
                endian,
            ),
            DType::UInt { size, endian } => (
                match size {
                    1 => NumKind::U8,
                    2 => NumKind::U16,
                    4 => NumKind::U32,
                    8 => NumKind::U64,
                    _ => return None,
                },
                endian,
            ),
            DType::Float { size, endian } => (
                match size {
                    2 => NumKind::F16,
                    4 => NumKind::F32,
                    8 => NumKind::F64,
                    _ => return None,
                },
                endian,
            ),
            _ => return None,
        };
        Some(Numeric {
            kind,
            big_endian: endian == Endian::Big,
        })
    }

    pub fn size(self) -> usize {
        match self.kind {
            NumKind::Bool | NumKind::I8 | NumKind::U8 => 1,
            NumKind::I16 | NumKind::U16 | NumKind::F16 => 2,
            NumKind::I32 | NumKind::U32 | NumKind::F32 => 4,
            NumKind::I64 | NumKind::U64 | NumKind::F64 => 8,
        }
    }

    /// Appends the elements of `bytes` (whole elements only) to `out` as `f64`.
    pub fn decode_into(self, bytes: &[u8], out: &mut Vec<f64>) {
        macro_rules! decode {
            ($ty:ty, $n:literal, $conv:expr) => {{
                let conv = $conv;
                let chunks = bytes.chunks_exact($n);
                out.reserve(chunks.len());
                if self.big_endian {
                    out.extend(chunks.map(|c| conv(<$ty>::from_be_bytes(c.try_into().unwrap()))));
                } else {
                    out.extend(chunks.map(|c| conv(<$ty>::from_le_bytes(c.try_into().unwrap()))));
                }
            }};
        }
        match self.kind {
            NumKind::Bool => out.extend(bytes.iter().map(|&b| f64::from(u8::from(b != 0)))),
            NumKind::I8 => out.extend(bytes.iter().map(|&b| f64::from(b as i8))),
            NumKind::U8 => out.extend(bytes.iter().map(|&b| f64::from(b))),
            NumKind::I16 => decode!(i16, 2, f64::from),
            NumKind::U16 => decode!(u16, 2, f64::from),
            NumKind::I32 => decode!(i32, 4, f64::from),
            NumKind::U32 => decode!(u32, 4, f64::from),
            NumKind::I64 => decode!(i64, 8, |v: i64| v as f64),
            NumKind::U64 => decode!(u64, 8, |v: u64| v as f64),
            NumKind::F16 => decode!(u16, 2, |v: u16| f64::from(half::f16::from_bits(v))),
            NumKind::F32 => decode!(f32, 4, f64::from),
            NumKind::F64 => decode!(f64, 8, |v: f64| v),
        }
    }
}

/// A readable name for a dtype: the library's [`DType::name`] (`float32`, `str[10]`,
/// `record{x: float64, y: int32}`), with the byte order when it is not this machine's:
/// `int32 (big-endian)`, and for a record with such fields `record{…} (big-endian fields)`.
pub fn readable_name(dtype: &DType) -> String {
    let name = dtype.name();
    if dtype.is_native_endian() {
        return name;
    }
    let order = match Endian::NATIVE {
        Endian::Little => "big-endian",
        _ => "little-endian",
    };
    match dtype {
        DType::Record(_) => format!("{name} ({order} fields)"),
        _ => format!("{name} ({order})"),
    }
}

/// NumPy's type text for the `ls` dtype column: the type string for plain dtypes, the
/// descr for records.
pub fn numpy_text(dtype: &DType) -> String {
    match dtype {
        DType::Record(_) | DType::SubArray { .. } => dtype.to_string(),
        plain => plain.type_str(),
    }
}

/// Bytes as people read them: `512 B`, `1.5 KiB`, `3.2 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_byte_orders() {
        let le = Numeric::of(&"<i2".parse().unwrap()).unwrap();
        let be = Numeric::of(&">i2".parse().unwrap()).unwrap();
        let mut out = Vec::new();
        le.decode_into(&[1, 0, 0xff, 0xff], &mut out);
        be.decode_into(&[0, 1], &mut out);
        assert_eq!(out, [1.0, -1.0, 1.0]);
        assert!(Numeric::of(&"<c16".parse().unwrap()).is_none());
    }

    #[test]
    fn names_and_sizes() {
        let name = |descr: &str| readable_name(&descr.parse().unwrap());
        assert_eq!(name("<M8[ns]"), "datetime64[ns]");
        let (native, swapped, order) = if cfg!(target_endian = "little") {
            ("<", ">", "big-endian")
        } else {
            (">", "<", "little-endian")
        };
        assert_eq!(name(&format!("{native}f4")), "float32");
        assert_eq!(name(&format!("{swapped}f4")), format!("float32 ({order})"));
        assert_eq!(
            name(&format!("[('a', '{swapped}i4'), ('b', '|u1')]")),
            format!("record{{a: int32, b: uint8}} ({order} fields)")
        );
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
