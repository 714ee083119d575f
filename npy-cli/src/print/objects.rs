//! Object arrays (`dtype=object`, read by the library's safe pickle reader) as NumPy prints
//! them: each element as Python's `repr` (`'a'`, `None`, `3`, `{'k': [1, 2]}`), a list
//! element as `list([1, 2])` (NumPy's `_object_format`), no padding, laid out by the same
//! `_formatArray` as every other array: `['a' None 3]`. Text goes through the library's
//! `text::str_repr` / `bytes_repr`, floats through Python's float `repr`.

use std::fmt::Write as _;

use npy_serde::dtype::DType;
use npy_serde::pickle::{PickledArray, PickledData, Value};
use npy_serde::text::{bytes_repr, str_repr};
use serde_json::Value as Json;

use super::float::{python_float_repr, Fl};
use super::{layout, FormatKind, Formatter, Strided};

/// An object array's values (C order, `shape`) as `print(a)` shows them; `rows` keeps rows
/// `start..end` of the first axis.
pub fn objects_to_string(
    shape: &[usize],
    values: &[Value],
    rows: Option<(usize, usize)>,
) -> String {
    let reprs: Vec<String> = values.iter().map(element_repr).collect();
    if shape.is_empty() {
        // A 0-d array prints `str()` of its one value: text without quotes.
        return match values.first() {
            Some(Value::Str(text)) => text.clone(),
            Some(other) => repr(other),
            None => String::new(),
        };
    }
    let view = index_view(shape, values.len(), rows);
    let formatter = Formatter {
        dtype: DType::Object,
        kind: FormatKind::Object(reprs),
    };
    layout(&view.view(), &formatter)
}

/// The values shown, as JSON (the layout of [`super::to_json`]).
pub fn object_json(shape: &[usize], values: &[Value], rows: Option<(usize, usize)>) -> Json {
    let view = index_view(shape, values.len(), rows);
    let indexed = super::to_json(&view.view(), None);
    replace_indices(indexed, values)
}

/// Element `i`'s index as an 8-byte little-endian integer, so that the byte-based layout
/// code can address object elements.
struct IndexView {
    bytes: Vec<u8>,
    shape: Vec<usize>,
    rows: Option<(usize, usize)>,
}

impl IndexView {
    fn view(&self) -> Strided<'_> {
        let view = Strided::new(&self.bytes, DType::Object, self.shape.clone(), false);
        match self.rows {
            Some((start, end)) if !self.shape.is_empty() => view.rows(start, end),
            _ => view,
        }
    }
}

fn index_view(shape: &[usize], count: usize, rows: Option<(usize, usize)>) -> IndexView {
    let bytes = (0..count as u64).flat_map(u64::to_le_bytes).collect();
    IndexView {
        bytes,
        shape: shape.to_vec(),
        rows,
    }
}

/// The index an object element's bytes hold.
pub(super) fn element_index(elem: &[u8]) -> usize {
    let mut b = [0u8; 8];
    b.copy_from_slice(&elem[..8]);
    u64::from_le_bytes(b) as usize
}

fn replace_indices(value: Json, values: &[Value]) -> Json {
    match value {
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|item| replace_indices(item, values))
                .collect(),
        ),
        Json::String(hex) if hex.len() == 16 => {
            // `elem_json` wrote the index bytes as hex.
            let bytes: Vec<u8> = (0..8)
                .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                .collect();
            values
                .get(element_index(&bytes))
                .map_or(Json::Null, value_json)
        }
        other => other,
    }
}

/// One Python object as JSON: `None` → null, numbers, text, lists and tuples as arrays,
/// dicts as objects (keys as their `str`/`repr`), anything else as its `repr`.
fn value_json(value: &Value) -> Json {
    match value {
        Value::None => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(repr(value))),
        Value::Str(text) => Json::String(text.clone()),
        Value::List(items) | Value::Tuple(items) | Value::Set(items) | Value::FrozenSet(items) => {
            Json::Array(items.iter().map(value_json).collect())
        }
        Value::Dict(pairs) => Json::Object(
            pairs
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::Str(text) => text.clone(),
                        other => repr(other),
                    };
                    (key, value_json(v))
                })
                .collect(),
        ),
        other => Json::String(repr(other)),
    }
}

/// An element as NumPy's `_object_format` writes it: `repr`, lists as `list([..])`.
fn element_repr(value: &Value) -> String {
    match value {
        Value::List(_) => format!("list({})", repr(value)),
        other => repr(other),
    }
}

/// Python's `repr` of a value the safe reader builds.
pub fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::None => out.push_str("None"),
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&python_float_repr(Fl::D(*f))),
        Value::Complex(c) => out.push_str(&complex_repr(c.re, c.im)),
        Value::Str(text) => out.push_str(&str_repr(text)),
        Value::Bytes(bytes) => out.push_str(&bytes_repr(bytes)),
        Value::ByteArray(bytes) => {
            let _ = write!(out, "bytearray({})", bytes_repr(bytes));
        }
        Value::List(items) => write_seq(items, "[", "]", out),
        Value::Tuple(items) if items.len() == 1 => {
            out.push('(');
            write_repr(&items[0], out);
            out.push_str(",)");
        }
        Value::Tuple(items) => write_seq(items, "(", ")", out),
        Value::Dict(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(k, out);
                out.push_str(": ");
                write_repr(v, out);
            }
            out.push('}');
        }
        Value::Set(items) if items.is_empty() => out.push_str("set()"),
        Value::Set(items) => write_seq(items, "{", "}", out),
        Value::FrozenSet(items) if items.is_empty() => out.push_str("frozenset()"),
        Value::FrozenSet(items) => {
            out.push_str("frozenset(");
            write_seq(items, "{", "}", out);
            out.push(')');
        }
        Value::Array(array) => {
            let _ = write!(out, "array({})", array_repr_body(array));
        }
        Value::Scalar(array) => {
            let _ = write!(
                out,
                "np.{}({})",
                scalar_type(&array.header.dtype),
                array_repr_body(array)
            );
        }
        // `Value` is non-exhaustive to the library's future types.
        #[allow(unreachable_patterns)]
        other => out.push_str(other.type_name()),
    }
}

fn write_seq(items: &[Value], open: &str, close: &str, out: &mut String) {
    out.push_str(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(item, out);
    }
    out.push_str(close);
}

/// Python's `repr` of a complex: `2j`, `(1+2j)`, `(-0-1.5j)`; integral parts without `.0`.
fn complex_repr(re: f64, im: f64) -> String {
    let part = |v: f64| {
        let text = python_float_repr(Fl::D(v));
        text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
    };
    let imag = part(im);
    if re == 0.0 && re.is_sign_positive() {
        return format!("{imag}j");
    }
    let sign = if im.is_sign_negative() || im.is_nan() && imag.starts_with('-') {
        ""
    } else {
        "+"
    };
    format!("({}{sign}{imag}j)", part(re))
}

/// NumPy's scalar type name for `np.<name>(…)`.
fn scalar_type(dtype: &DType) -> String {
    match dtype {
        DType::Unicode { .. } => "str_".into(),
        DType::Bytes { .. } => "bytes_".into(),
        DType::Bool => "bool".into(),
        other => other.name(),
    }
}

/// A nested array's or scalar's values: a 1-d or 0-d typed array with NumPy's `repr`
/// separators (`[1.5, 2.5]`), others as `print` shows them.
fn array_repr_body(array: &PickledArray) -> String {
    match &array.data {
        PickledData::Objects(values) => {
            let shape = &array.header.shape;
            let text = objects_to_string(shape, values, None);
            if shape.len() == 1 {
                text.replace(' ', ", ")
            } else {
                text
            }
        }
        PickledData::Bytes(bytes) => {
            let header = &array.header;
            if super::shown_count(&header.shape) > super::MAX_SHOWN {
                return "...".into();
            }
            let view = Strided::new(
                bytes,
                header.dtype.clone(),
                header.shape.clone(),
                header.fortran_order,
            );
            if header.shape.is_empty() {
                let elem = view.elem(&[]);
                let formatter = Formatter::build(&header.dtype, &[elem]);
                return formatter.scalar(elem);
            }
            let text = super::array_to_string(&view);
            if header.shape.len() == 1 {
                // `[1.  2.5]` → `[1. , 2.5]`: NumPy's repr separator is ', '.
                let inner = &text[1..text.len() - 1];
                let words: Vec<&str> = inner.split_whitespace().collect();
                format!("[{}]", words.join(", "))
            } else {
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reprs_follow_python() {
        let list = Value::List(vec![Value::Int(1), Value::Str("x".into())]);
        let dict = Value::Dict(vec![(Value::Str("k".into()), list.clone())]);
        assert_eq!(repr(&dict), "{'k': [1, 'x']}");
        assert_eq!(repr(&Value::Tuple(vec![Value::None])), "(None,)");
        assert_eq!(repr(&Value::Float(0.1)), "0.1");
        assert_eq!(repr(&Value::Float(1e20)), "1e+20");
        assert_eq!(complex_repr(1.0, 2.0), "(1+2j)");
        assert_eq!(complex_repr(0.0, -1.5), "-1.5j");
        assert_eq!(repr(&Value::Set(vec![])), "set()");
        let values = vec![Value::Str("a".into()), Value::None, Value::Int(3)];
        assert_eq!(objects_to_string(&[3], &values, None), "['a' None 3]");
        let nested = vec![list, Value::Bool(true)];
        assert_eq!(
            objects_to_string(&[2], &nested, None),
            "[list([1, 'x']) True]"
        );
    }
}
