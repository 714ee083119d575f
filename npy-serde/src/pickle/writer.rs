//! Writes an [`ObjectArray`] as the pickle NumPy loads with `allow_pickle=True`: protocol 3
//! (Python ≥ 3.0), with the array reconstructed through `numpy.core.multiarray._reconstruct`,
//! the name both NumPy 1.x and 2.x resolve, no memo and no framing. Nested NumPy arrays
//! and scalars use the same state tuples NumPy's own `__reduce__` produces.

use super::value::{ObjectArray, PickledArray, PickledData, Value};
use crate::dtype::{DType, Endian};
use crate::errors::{Error, Result};

const MARK: u8 = b'(';

/// Appends the pickle of `objects` (ending with `STOP`) to `out`.
pub(crate) fn write_object_array(objects: &ObjectArray, out: &mut Vec<u8>) -> Result<()> {
    out.extend_from_slice(&[0x80, 3]);
    object_array(objects, out)?;
    out.push(b'.');
    Ok(())
}

fn global(module: &str, name: &str, out: &mut Vec<u8>) {
    out.push(b'c');
    out.extend_from_slice(module.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(name.as_bytes());
    out.push(b'\n');
}

fn int(value: i64, out: &mut Vec<u8>) {
    match i32::try_from(value) {
        Ok(small) => {
            out.push(b'J');
            out.extend_from_slice(&small.to_le_bytes());
        }
        Err(_) => long(&num_bigint::BigInt::from(value), out),
    }
}

fn long(value: &num_bigint::BigInt, out: &mut Vec<u8>) {
    let bytes = value.to_signed_bytes_le();
    match u8::try_from(bytes.len()) {
        Ok(len) => out.extend_from_slice(&[0x8a, len]),
        Err(_) => {
            out.push(0x8b);
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        }
    }
    out.extend_from_slice(&bytes);
}

fn text(value: &str, out: &mut Vec<u8>) -> Result<()> {
    let len = u32::try_from(value.len())
        .map_err(|_| Error::unwritable("a string of 4 GiB or more in an object array"))?;
    out.push(b'X');
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(value.as_bytes());
    Ok(())
}

fn bytes(value: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let len = u32::try_from(value.len())
        .map_err(|_| Error::unwritable("bytes of 4 GiB or more in an object array"))?;
    out.push(b'B');
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(value);
    Ok(())
}

fn tuple_of_ints(values: &[usize], out: &mut Vec<u8>) {
    out.push(MARK);
    for &value in values {
        int(value as i64, out);
    }
    out.push(b't');
}

/// `numpy.dtype(name, False, True)` with its state, as `dtype.__reduce__` gives them.
fn dtype(dtype: &DType, out: &mut Vec<u8>) -> Result<()> {
    let type_str = dtype.type_str();
    let endian = match dtype.endian() {
        Endian::Little => "<",
        Endian::Big => ">",
        Endian::NotApplicable => "|",
    };
    // "<f8" → "f8", "<M8[ns]" → "M8"; U's name counts characters, its elsize bytes.
    let name = type_str[1..]
        .split('[')
        .next()
        .unwrap_or_default()
        .to_string();
    let (elsize, alignment, flags): (i64, i64, i64) = match dtype {
        DType::Object => (-1, -1, 63),
        DType::Unicode { .. } => (dtype.itemsize() as i64, 4, 8),
        DType::Bytes { .. } | DType::Void { .. } => (dtype.itemsize() as i64, 1, 0),
        DType::Record(_) | DType::SubArray { .. } => {
            return Err(Error::unwritable(
                "record and subarray dtypes inside object arrays cannot be written",
            ))
        }
        _ => (-1, -1, 0),
    };
    global("numpy", "dtype", out);
    text(&name, out)?;
    out.extend_from_slice(&[0x89, 0x88, 0x87, b'R']);
    out.push(MARK);
    let datetime_unit = match dtype {
        DType::DateTime { .. } | DType::TimeDelta { .. } => {
            Some(type_str[type_str.find('[').unwrap_or(0)..].to_string())
        }
        _ => None,
    };
    int(if datetime_unit.is_some() { 4 } else { 3 }, out);
    text(endian, out)?;
    out.extend_from_slice(b"NNN");
    int(elsize, out);
    int(alignment, out);
    int(flags, out);
    if let Some(unit) = datetime_unit {
        // "[10ms]" → (None, (b'ms', 10, 1, 1))
        let unit = unit.trim_matches(['[', ']']);
        let digits = unit.bytes().take_while(u8::is_ascii_digit).count();
        let count = unit[..digits].parse::<i64>().unwrap_or(1);
        out.push(b'N');
        out.push(MARK);
        bytes(&unit.as_bytes()[digits..], out)?;
        int(count, out);
        int(1, out);
        int(1, out);
        out.push(b't');
        out.push(0x86);
    }
    out.push(b't');
    out.push(b'b');
    Ok(())
}

/// `_reconstruct(ndarray, (0,), b'b')` then `BUILD` with `(1, shape, dtype, fortran, data)`.
fn array_start(out: &mut Vec<u8>) {
    global("numpy.core.multiarray", "_reconstruct", out);
    global("numpy", "ndarray", out);
    int(0, out);
    out.push(0x85);
    out.extend_from_slice(&[b'C', 1, b'b']);
    out.extend_from_slice(&[0x87, b'R']);
}

fn object_array(objects: &ObjectArray, out: &mut Vec<u8>) -> Result<()> {
    array_start(out);
    out.push(MARK);
    int(1, out);
    tuple_of_ints(&objects.shape, out);
    dtype(&DType::Object, out)?;
    out.push(if objects.fortran_order { 0x88 } else { 0x89 });
    list(&objects.values, out)?;
    out.extend_from_slice(b"tb");
    Ok(())
}

fn list(values: &[Value], out: &mut Vec<u8>) -> Result<()> {
    out.push(b']');
    if !values.is_empty() {
        out.push(MARK);
        for item in values {
            value(item, out)?;
        }
        out.push(b'e');
    }
    Ok(())
}

fn pickled_array(array: &PickledArray, out: &mut Vec<u8>) -> Result<()> {
    let header = &array.header;
    let data = match &array.data {
        PickledData::Objects(values) => {
            let objects = ObjectArray {
                shape: header.shape.clone(),
                fortran_order: header.fortran_order,
                values: values.clone(),
            };
            return object_array(&objects, out);
        }
        PickledData::Bytes(data) => data,
    };
    // NumPy's `_reconstruct` swaps data of the other byte order to native order when it
    // loads it, so such arrays are written native: what NumPy (and this reader) get back.
    let (array_dtype, swapped) = native_order(&header.dtype, data);
    array_start(out);
    out.push(MARK);
    int(1, out);
    tuple_of_ints(&header.shape, out);
    dtype(&array_dtype, out)?;
    out.push(if header.fortran_order { 0x88 } else { 0x89 });
    bytes(swapped.as_deref().unwrap_or(data), out)?;
    out.extend_from_slice(b"tb");
    Ok(())
}

/// `dtype` in native byte order, with `data` swapped to it when it was not (`None`: as is).
fn native_order(dtype: &DType, data: &[u8]) -> (DType, Option<Vec<u8>>) {
    if dtype.is_native_endian() {
        return (dtype.clone(), None);
    }
    let mut swapped = data.to_vec();
    dtype.reorder_bytes(Endian::NATIVE, &mut swapped);
    (dtype.with_endian(Endian::NATIVE), Some(swapped))
}

fn value(item: &Value, out: &mut Vec<u8>) -> Result<()> {
    match item {
        Value::None => out.push(b'N'),
        Value::Bool(true) => out.push(0x88),
        Value::Bool(false) => out.push(0x89),
        Value::Int(value) => int(*value, out),
        // Small values as the reader gives them back: one pickle per value.
        Value::BigInt(value) => match num_traits::ToPrimitive::to_i64(value) {
            Some(small) => int(small, out),
            None => long(value, out),
        },
        Value::Float(value) => {
            out.push(b'G');
            out.extend_from_slice(&value.to_be_bytes());
        }
        Value::Complex(value) => {
            global("builtins", "complex", out);
            out.push(b'G');
            out.extend_from_slice(&value.re.to_be_bytes());
            out.push(b'G');
            out.extend_from_slice(&value.im.to_be_bytes());
            out.extend_from_slice(&[0x86, b'R']);
        }
        Value::Str(value) => text(value, out)?,
        Value::Bytes(value) => bytes(value, out)?,
        Value::ByteArray(value) => {
            global("builtins", "bytearray", out);
            bytes(value, out)?;
            out.extend_from_slice(&[0x85, b'R']);
        }
        Value::List(values) => list(values, out)?,
        Value::Tuple(values) => {
            out.push(MARK);
            for item in values {
                value(item, out)?;
            }
            out.push(b't');
        }
        Value::Dict(pairs) => {
            out.push(b'}');
            if !pairs.is_empty() {
                out.push(MARK);
                for (key, item) in pairs {
                    value(key, out)?;
                    value(item, out)?;
                }
                out.push(b'u');
            }
        }
        Value::Set(values) | Value::FrozenSet(values) => {
            let name = if matches!(item, Value::Set(_)) {
                "set"
            } else {
                "frozenset"
            };
            global("builtins", name, out);
            list(values, out)?;
            out.extend_from_slice(&[0x85, b'R']);
        }
        Value::Array(array) => pickled_array(array, out)?,
        Value::Scalar(array) => {
            let PickledData::Bytes(data) = &array.data else {
                return Err(Error::unwritable(
                    "a NumPy scalar cannot be an object array",
                ));
            };
            if !array.header.shape.is_empty() {
                return Err(Error::unwritable("a NumPy scalar must be a 0-d array"));
            }
            let (scalar_dtype, swapped) = native_order(&array.header.dtype, data);
            global("numpy.core.multiarray", "scalar", out);
            dtype(&scalar_dtype, out)?;
            bytes(swapped.as_deref().unwrap_or(data), out)?;
            out.extend_from_slice(&[0x86, b'R']);
        }
    }
    Ok(())
}
