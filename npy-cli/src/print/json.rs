//! The values `npy show --json` prints: nested arrays, `"..."` where an axis is summarised,
//! records as objects, NaN and infinities as strings, datetimes as ISO text.

use npy_serde::dtype::{DType, Endian, Field};
use serde_json::Value;

use super::float::Fl;
use super::time::{i64_value, time_text};
use super::{
    decode_unicode, int_value, shown, shown_count, strip_nuls, Strided, MAX_SHOWN, THRESHOLD,
};

/// The values shown, as JSON: nested arrays, with the string `"..."` where an axis is
/// summarised; records are objects.
pub fn to_json(view: &Strided<'_>, fields: Option<&[Field]>) -> Value {
    let summarise = view.size() > THRESHOLD;
    let mut index = Vec::new();
    json_recurse(view, fields, summarise, &mut index)
}

fn json_recurse(
    view: &Strided<'_>,
    fields: Option<&[Field]>,
    summarise: bool,
    index: &mut Vec<usize>,
) -> Value {
    if index.len() == view.shape.len() {
        let elem = view.elem(index);
        return match (fields, &view.dtype) {
            (Some(fields), DType::Record(_)) => {
                let mut object = serde_json::Map::new();
                for f in fields {
                    let bytes = &elem[f.offset..f.offset + f.dtype.itemsize()];
                    object.insert(f.name.clone(), elem_json(&f.dtype, bytes));
                }
                Value::Object(object)
            }
            _ => elem_json(&view.dtype, elem),
        };
    }
    let len = view.shape[index.len()];
    let axis = shown(len, summarise);
    let mut out = Vec::new();
    for (k, &i) in axis.iter().enumerate() {
        if k > 0 && i != axis[k - 1] + 1 {
            out.push(Value::String("...".into()));
        }
        index.push(i);
        out.push(json_recurse(view, fields, summarise, index));
        index.pop();
    }
    Value::Array(out)
}

fn float_json(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or_else(|| {
            Value::String(if v.is_nan() {
                "nan".into()
            } else if v > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            })
        })
}

/// One element as JSON: numbers (NaN and infinities as strings), `[re, im]` for complex,
/// text, ISO datetimes, objects for records, arrays for subarrays.
pub fn elem_json(dtype: &DType, elem: &[u8]) -> Value {
    let big = dtype.endian() == Endian::Big;
    match dtype {
        DType::Bool => Value::Bool(elem[0] != 0),
        DType::Int { size, .. } | DType::UInt { size, .. } if *size <= 8 => {
            let v = int_value(dtype, elem);
            if let Ok(v) = i64::try_from(v) {
                Value::from(v)
            } else {
                Value::from(v as u64)
            }
        }
        DType::Float { size, .. } if *size <= 8 => float_json(Fl::from_bytes(elem, big).f64()),
        DType::Complex { size, .. } if *size <= 16 => {
            let half = size / 2;
            Value::Array(vec![
                float_json(Fl::from_bytes(&elem[..half], big).f64()),
                float_json(Fl::from_bytes(&elem[half..], big).f64()),
            ])
        }
        DType::Unicode { .. } => Value::String(decode_unicode(elem, big)),
        DType::Bytes { .. } => Value::String(String::from_utf8_lossy(strip_nuls(elem)).into()),
        DType::DateTime { .. } => match time_text(dtype, elem) {
            Some(t) => Value::String(t.trim_matches('\'').to_string()),
            None => Value::String("NaT".into()),
        },
        DType::TimeDelta { .. } => {
            let raw = i64_value(elem, big);
            if raw == i64::MIN {
                Value::String("NaT".into())
            } else {
                Value::from(raw)
            }
        }
        DType::Record(record) => {
            let mut object = serde_json::Map::new();
            for f in &record.fields {
                let bytes = &elem[f.offset..f.offset + f.dtype.itemsize()];
                object.insert(f.name.clone(), elem_json(&f.dtype, bytes));
            }
            Value::Object(object)
        }
        DType::SubArray { base, shape } if shown_count(shape) <= MAX_SHOWN => {
            let view = Strided::new(elem, (**base).clone(), shape.clone(), false);
            to_json(&view, None)
        }
        _ => Value::String(elem.iter().map(|b| format!("{b:02x}")).collect()),
    }
}
