//! Values as NumPy prints them (`print(a)`, i.e. `np.array2string` with its defaults):
//! summarised with `...` beyond 1000 elements keeping 3 edge items per axis, 75-character
//! lines, floats in NumPy's `maxprec` mode (shortest round-trip digits, at most 8 after the
//! point, one layout for the whole array: positional or scientific by NumPy's rule), text
//! quoted as Python `repr` (the library's `text::str_repr` / `bytes_repr`), datetimes as
//! ISO text. Records are a table, one column per field.
//!
//! Written here because no crate reproduces NumPy's printing rules; the layout follows
//! NumPy's documented behaviour (`_formatArray`, `FloatingFormat`) step for step so that the
//! output is the same text.
//!
//! This module owns the layout (`_formatArray`) and the per-dtype formatter; floats are in
//! [`float`], dates in [`time`], the JSON form in [`json`], object arrays in [`objects`].

mod float;
mod json;
mod objects;
mod time;

use npy_serde::dtype::{DType, Endian, Field};
use npy_serde::text::{bytes_repr, str_repr};

use float::{exp_cutoff, python_float_repr, Fl, FloatFormat};
pub use json::to_json;
pub use objects::{object_json, objects_to_string};
pub use time::time_cell_text;
use time::time_text;

/// Python's `str` of a float (`0.1`, `1e+20`, `nan`).
pub fn python_float_text(v: f64) -> String {
    python_float_repr(Fl::D(v))
}

/// A bool or integer element (up to 8 bytes) of `dtype` as an integer.
pub fn int_of(dtype: &DType, elem: &[u8]) -> i128 {
    match dtype {
        DType::Bool => i128::from(elem[0] != 0),
        _ => int_value(dtype, elem),
    }
}

/// A float element (up to 8 bytes) of `dtype` as `f64`.
pub fn float_of(dtype: &DType, elem: &[u8]) -> f64 {
    Fl::from_bytes(elem, dtype.endian() == Endian::Big).f64()
}

/// A text element (`U` or `S`) as text, trailing NULs removed (`S` bytes decoded as UTF-8,
/// invalid sequences replaced).
pub fn text_of(dtype: &DType, elem: &[u8]) -> String {
    match dtype {
        DType::Unicode { endian, .. } => decode_unicode(elem, *endian == Endian::Big),
        _ => String::from_utf8_lossy(strip_nuls(elem)).into_owned(),
    }
}

/// Arrays with more elements than this are summarised (`np.set_printoptions(threshold)`).
pub const THRESHOLD: usize = 1000;
/// Items kept at each end of a summarised axis.
pub const EDGE_ITEMS: usize = 3;
/// Line width.
const LINE_WIDTH: usize = 75;

/// An n-dimensional array over raw bytes: element `idx` is at
/// `offset + sum(idx[k] * strides[k])`.
#[derive(Clone)]
pub struct Strided<'a> {
    pub data: &'a [u8],
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub strides: Vec<usize>,
    pub offset: usize,
}

impl<'a> Strided<'a> {
    /// The array stored in `data` in C or Fortran order.
    pub fn new(data: &'a [u8], dtype: DType, shape: Vec<usize>, fortran: bool) -> Strided<'a> {
        let itemsize = dtype.itemsize();
        let mut strides = vec![0; shape.len()];
        let mut step = itemsize;
        let order: Vec<usize> = if fortran {
            (0..shape.len()).collect()
        } else {
            (0..shape.len()).rev().collect()
        };
        for axis in order {
            strides[axis] = step;
            step = step.saturating_mul(shape[axis]);
        }
        Strided {
            data,
            dtype,
            shape,
            strides,
            offset: 0,
        }
    }

    /// Rows `start..end` of axis 0 (clamped to the array).
    pub fn rows(mut self, start: usize, end: usize) -> Strided<'a> {
        if let Some(&n) = self.shape.first() {
            let end = end.min(n);
            let start = start.min(end);
            self.offset += start * self.strides[0];
            self.shape[0] = end - start;
        }
        self
    }

    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn elem(&self, idx: &[usize]) -> &'a [u8] {
        let at = self.offset
            + idx
                .iter()
                .zip(&self.strides)
                .map(|(i, s)| i * s)
                .sum::<usize>();
        &self.data[at..at + self.dtype.itemsize()]
    }
}

/// The indices shown along an axis of length `n`.
pub(super) fn shown(n: usize, summarise: bool) -> Vec<usize> {
    if summarise && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS).chain(n - EDGE_ITEMS..n).collect()
    } else {
        (0..n).collect()
    }
}

/// More elements than this are not printed: only an array of zero-size elements (`V0`,
/// `S0`) can have them without the file holding their bytes, and printing must not be
/// sized by a header alone.
pub const MAX_SHOWN: usize = 1_000_000;

/// How many elements printing `shape` shows.
pub fn shown_count(shape: &[usize]) -> usize {
    let summarise = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .is_none_or(|n| n > THRESHOLD);
    shape
        .iter()
        .map(|&n| shown(n, summarise).len().max(1))
        .try_fold(1usize, |n, d| n.checked_mul(d))
        .unwrap_or(usize::MAX)
}

/// Every shown index, in C order.
fn shown_indices(shape: &[usize], summarise: bool) -> Vec<Vec<usize>> {
    let mut all = vec![Vec::new()];
    for &n in shape {
        let axis = shown(n, summarise);
        all = all
            .into_iter()
            .flat_map(|prefix| {
                axis.iter().map(move |&i| {
                    let mut next = prefix.clone();
                    next.push(i);
                    next
                })
            })
            .collect();
    }
    all
}

/// The array as `print(a)` shows it (records excepted: see [`record_table`]).
pub fn array_to_string(view: &Strided<'_>) -> String {
    if view.shape.is_empty() {
        let elem = view.elem(&[]);
        return Formatter::build(&view.dtype, &[elem]).scalar(elem);
    }
    if view.size() == 0 {
        return "[]".to_string();
    }
    let summarise = view.size() > THRESHOLD;
    let elems: Vec<&[u8]> = shown_indices(&view.shape, summarise)
        .iter()
        .map(|idx| view.elem(idx))
        .collect();
    let formatter = Formatter::build(&view.dtype, &elems);
    layout(view, &formatter)
}

/// The array of one or more dimensions laid out by `_formatArray`, each element written by
/// `formatter`.
fn layout(view: &Strided<'_>, formatter: &Formatter) -> String {
    if view.size() == 0 {
        return "[]".to_string();
    }
    let summarise = view.size() > THRESHOLD;
    let mut index = Vec::new();
    recurse(view, formatter, summarise, &mut index, " ", LINE_WIDTH)
}

/// NumPy's `_formatArray` recursion, with separator `' '` and hanging indent `' '`.
fn recurse(
    view: &Strided<'_>,
    formatter: &Formatter,
    summarise: bool,
    index: &mut Vec<usize>,
    hanging_indent: &str,
    width: usize,
) -> String {
    let axis = index.len();
    let axes_left = view.shape.len() - axis;
    if axes_left == 0 {
        return formatter.format(view.elem(index));
    }
    let next_indent = format!("{hanging_indent} ");
    let next_width = width.saturating_sub(1);
    let len = view.shape[axis];
    let show_summary = summarise && 2 * EDGE_ITEMS < len;
    let (leading, trailing) = if show_summary {
        (EDGE_ITEMS, EDGE_ITEMS)
    } else {
        (0, len)
    };
    let item = |i: usize, index: &mut Vec<usize>| {
        index.push(i);
        let text = recurse(view, formatter, summarise, index, &next_indent, next_width);
        index.pop();
        text
    };
    let mut s = String::new();
    if axes_left == 1 {
        let elem_width = width.saturating_sub(1);
        let mut line = hanging_indent.to_string();
        for i in 0..leading {
            let word = item(i, index);
            extend_line(&mut s, &mut line, &word, elem_width, hanging_indent);
            line.push(' ');
        }
        if show_summary {
            extend_line(&mut s, &mut line, "...", elem_width, hanging_indent);
            line.push(' ');
        }
        for i in (2..=trailing).rev() {
            let word = item(len - i, index);
            extend_line(&mut s, &mut line, &word, elem_width, hanging_indent);
            line.push(' ');
        }
        let word = item(len - 1, index);
        extend_line(&mut s, &mut line, &word, elem_width, hanging_indent);
        s.push_str(&line);
    } else {
        let line_sep = "\n".repeat(axes_left - 1);
        for i in 0..leading {
            let nested = item(i, index);
            s.push_str(hanging_indent);
            s.push_str(&nested);
            s.push_str(&line_sep);
        }
        if show_summary {
            s.push_str(hanging_indent);
            s.push_str("...");
            s.push_str(&line_sep);
        }
        for i in (2..=trailing).rev() {
            let nested = item(len - i, index);
            s.push_str(hanging_indent);
            s.push_str(&nested);
            s.push_str(&line_sep);
        }
        let nested = item(len - 1, index);
        s.push_str(hanging_indent);
        s.push_str(&nested);
    }
    format!("[{}]", &s[hanging_indent.len()..])
}

/// NumPy's `_extendLine` (multi-line words only occur for subarray fields, shown in tables).
fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, indent: &str) {
    let mut needs_wrap = line.chars().count() + word.chars().count() > width;
    if line.len() <= indent.len() {
        needs_wrap = false;
    }
    if needs_wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        *line = indent.to_string();
    }
    line.push_str(word);
}

/// How one dtype's elements are printed, fitted to the elements shown.
struct Formatter {
    dtype: DType,
    kind: FormatKind,
}

enum FormatKind {
    Bool,
    Int {
        width: usize,
    },
    Float {
        format: FloatFormat,
        big: bool,
    },
    Complex {
        real: FloatFormat,
        imag: FloatFormat,
        big: bool,
    },
    Time {
        width: usize,
    },
    /// Object elements: their reprs, addressed by the index each element's bytes hold.
    Object(Vec<String>),
    Other,
}

impl Formatter {
    fn build(dtype: &DType, elems: &[&[u8]]) -> Formatter {
        let big = dtype.endian() == Endian::Big;
        let kind = match dtype {
            DType::Bool => FormatKind::Bool,
            DType::Int { size, .. } | DType::UInt { size, .. } if *size <= 8 => {
                let width = elems
                    .iter()
                    .map(|e| int_value(dtype, e).to_string().len())
                    .max()
                    .unwrap_or(1);
                FormatKind::Int { width }
            }
            DType::Float { size, .. } if *size <= 8 => {
                let values: Vec<Fl> = elems.iter().map(|e| Fl::from_bytes(e, big)).collect();
                FormatKind::Float {
                    format: FloatFormat::build(&values, false, exp_cutoff(*size)),
                    big,
                }
            }
            DType::Complex { size, .. } if *size <= 16 => {
                let half = size / 2;
                let reals: Vec<Fl> = elems
                    .iter()
                    .map(|e| Fl::from_bytes(&e[..half], big))
                    .collect();
                let imags: Vec<Fl> = elems
                    .iter()
                    .map(|e| Fl::from_bytes(&e[half..], big))
                    .collect();
                FormatKind::Complex {
                    real: FloatFormat::build(&reals, false, exp_cutoff(half)),
                    imag: FloatFormat::build(&imags, true, exp_cutoff(half)),
                    big,
                }
            }
            DType::DateTime { .. } | DType::TimeDelta { .. } => {
                let texts: Vec<Option<String>> =
                    elems.iter().map(|e| time_text(dtype, e)).collect();
                let mut width = texts.iter().flatten().map(|t| t.len()).max().unwrap_or(0);
                if texts.iter().any(Option::is_none) {
                    width = width.max(5);
                }
                FormatKind::Time { width }
            }
            _ => FormatKind::Other,
        };
        Formatter {
            dtype: dtype.clone(),
            kind,
        }
    }

    fn format(&self, elem: &[u8]) -> String {
        match &self.kind {
            FormatKind::Bool => if elem[0] != 0 { " True" } else { "False" }.to_string(),
            FormatKind::Int { width } => format!("{:>width$}", int_value(&self.dtype, elem)),
            FormatKind::Float { format, big } => format.format(Fl::from_bytes(elem, *big)),
            FormatKind::Complex { real, imag, big } => {
                let half = elem.len() / 2;
                let r = real.format(Fl::from_bytes(&elem[..half], *big));
                let i = imag.format(Fl::from_bytes(&elem[half..], *big));
                let end = i.trim_end().len();
                format!("{r}{}j{}", &i[..end], &i[end..])
            }
            FormatKind::Time { width } => {
                let text = time_text(&self.dtype, elem).unwrap_or_else(|| "'NaT'".to_string());
                format!("{text:>width$}")
            }
            FormatKind::Object(reprs) => reprs
                .get(objects::element_index(elem))
                .cloned()
                .unwrap_or_default(),
            FormatKind::Other => other_text(&self.dtype, elem),
        }
    }

    /// A 0-d array's one value.
    fn scalar(&self, elem: &[u8]) -> String {
        match &self.kind {
            FormatKind::Bool => if elem[0] != 0 { "True" } else { "False" }.to_string(),
            FormatKind::Float { big, .. } => python_float_repr(Fl::from_bytes(elem, *big)),
            _ => self.format(elem).trim().to_string(),
        }
    }
}

/// Text, nested and opaque elements (their format needs the dtype).
fn other_text(dtype: &DType, elem: &[u8]) -> String {
    match dtype {
        DType::Bytes { .. } => bytes_repr(strip_nuls(elem)),
        DType::Void { .. } => bytes_repr(elem),
        DType::Unicode { endian, .. } => str_repr(&decode_unicode(elem, *endian == Endian::Big)),
        DType::SubArray { base, shape } if shown_count(shape) <= MAX_SHOWN => {
            let view = Strided::new(elem, (**base).clone(), shape.clone(), false);
            array_to_string(&view)
        }
        DType::Record(record) => {
            let parts: Vec<String> = record
                .fields
                .iter()
                .map(|f| {
                    let bytes = &elem[f.offset..f.offset + f.dtype.itemsize()];
                    Formatter::build(&f.dtype, &[bytes]).scalar(bytes)
                })
                .collect();
            format!("({})", parts.join(", "))
        }
        _ => format!("<{} bytes>", elem.len()),
    }
}

/// Signed or unsigned integer of up to 8 bytes, as i128 (the element carries its size;
/// the byte order comes from the dtype).
pub(super) fn int_value(dtype: &DType, elem: &[u8]) -> i128 {
    let big = dtype.endian() == Endian::Big;
    let signed = matches!(dtype, DType::Int { .. });
    let mut buf = [0u8; 8];
    let n = elem.len().min(8);
    if big {
        buf[8 - n..].copy_from_slice(&elem[..n]);
        buf[..8 - n].fill(if signed && elem[0] & 0x80 != 0 {
            0xff
        } else {
            0
        });
        let raw = u64::from_be_bytes(buf);
        if signed {
            i128::from(raw as i64)
        } else {
            i128::from(raw)
        }
    } else {
        buf[..n].copy_from_slice(&elem[..n]);
        buf[n..].fill(if signed && elem[n - 1] & 0x80 != 0 {
            0xff
        } else {
            0
        });
        let raw = u64::from_le_bytes(buf);
        if signed {
            i128::from(raw as i64)
        } else {
            i128::from(raw)
        }
    }
}

pub(super) fn strip_nuls(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

pub(super) fn decode_unicode(elem: &[u8], big: bool) -> String {
    let mut text: String = elem
        .chunks_exact(4)
        .map(|c| {
            let b: [u8; 4] = c.try_into().unwrap();
            let code = if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
            char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect();
    while text.ends_with('\0') {
        text.pop();
    }
    text
}

/// The multi-index of flat (C-order) position `flat` in `shape`.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for axis in (0..shape.len()).rev() {
        idx[axis] = flat % shape[axis];
        flat /= shape[axis];
    }
    idx
}

/// Records as a table: one row per record shown (the first and last 3 beyond 1000
/// records), one column per field of `fields`, each column printed as NumPy prints that
/// field's array.
///
/// `first_row`: the index of the view's first row in the whole array (`--rows`).
pub fn record_table(view: &Strided<'_>, fields: &[Field], first_row: usize) -> String {
    let size = view.size();
    let flat: Vec<Option<usize>> = if size > THRESHOLD {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((size - EDGE_ITEMS..size).map(Some))
            .collect()
    } else {
        (0..size).map(Some).collect()
    };
    let rows: Vec<Option<Vec<usize>>> = flat
        .iter()
        .map(|f| f.map(|f| unravel(f, &view.shape)))
        .collect();
    let mut columns = Vec::new();
    for field in fields {
        let cells: Vec<&[u8]> = rows
            .iter()
            .flatten()
            .map(|idx| &view.elem(idx)[field.offset..field.offset + field.dtype.itemsize()])
            .collect();
        let formatter = Formatter::build(&field.dtype, &cells);
        let mut texts = cells.iter().map(|c| formatter.format(c));
        let column: Vec<String> = rows
            .iter()
            .map(|r| match r {
                Some(_) => texts.next().unwrap_or_default(),
                None => "...".to_string(),
            })
            .collect();
        columns.push(column);
    }
    let mut table = crate::table::plain();
    let mut header = vec!["index".to_string()];
    header.extend(fields.iter().map(|f| f.name.clone()));
    table.set_header(header);
    for (row, idx) in rows.iter().enumerate() {
        let mut cells = vec![match idx {
            Some(idx) if idx.len() == 1 => (idx[0] + first_row).to_string(),
            Some(idx) => {
                let mut idx = idx.clone();
                idx[0] += first_row;
                format!("{idx:?}")
            }
            None => "...".to_string(),
        }];
        cells.extend(columns.iter().map(|c| c[row].clone()));
        table.add_row(cells);
    }
    crate::table::render(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(values: &[f64]) -> String {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let view = Strided::new(&bytes, "<f8".parse().unwrap(), vec![values.len()], false);
        array_to_string(&view)
    }

    #[test]
    fn floats_print_as_numpy_does() {
        assert_eq!(f64s(&[1.0, 2.5]), "[1.  2.5]");
        assert_eq!(f64s(&[0.1, 0.25, 100.0]), "[  0.1    0.25 100.  ]");
        assert_eq!(f64s(&[1e-5, 1.0]), "[1.e-05 1.e+00]");
        assert_eq!(f64s(&[f64::NAN, 1.0]), "[nan  1.]");
        assert_eq!(f64s(&[1.0 / 3.0]), "[0.33333333]");
        assert_eq!(f64s(&[0.1 + 0.2]), "[0.3]");
    }
}
