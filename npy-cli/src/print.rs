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

use npy_serde::dtype::{DType, DateUnit, Endian, Field};
use npy_serde::text::{bytes_repr, str_repr};
use serde_json::Value;

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
fn shown(n: usize, summarise: bool) -> Vec<usize> {
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
    let mut index = Vec::new();
    recurse(view, &formatter, summarise, &mut index, " ", LINE_WIDTH)
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

/// A float of the file's precision (shortest digits depend on it).
#[derive(Clone, Copy)]
enum Fl {
    H(half::f16),
    S(f32),
    D(f64),
}

impl Fl {
    fn from_bytes(bytes: &[u8], big: bool) -> Fl {
        match bytes.len() {
            2 => {
                let b: [u8; 2] = bytes.try_into().unwrap();
                Fl::H(half::f16::from_bits(if big {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                }))
            }
            4 => {
                let b: [u8; 4] = bytes.try_into().unwrap();
                Fl::S(if big {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                })
            }
            _ => {
                let b: [u8; 8] = bytes[..8].try_into().unwrap();
                Fl::D(if big {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                })
            }
        }
    }

    fn f64(self) -> f64 {
        match self {
            Fl::H(v) => f64::from(v),
            Fl::S(v) => f64::from(v),
            Fl::D(v) => v,
        }
    }

    /// The shortest digits that read back to this value: (digits, exponent of the first).
    fn shortest(self) -> (String, i32) {
        let text = match self {
            Fl::D(v) => format!("{:e}", v.abs()),
            Fl::S(v) => format!("{:e}", v.abs()),
            Fl::H(v) => {
                let wide = f32::from(v).abs();
                (0..=5)
                    .map(|p| format!("{wide:.p$e}"))
                    .find(|t| {
                        t.parse::<f32>().is_ok_and(|back| {
                            half::f16::from_f32(back) == half::f16::from_f32(wide)
                        })
                    })
                    .unwrap_or_else(|| format!("{wide:e}"))
            }
        };
        let (digits, exp) = split_scientific(&text);
        // When two shortest candidates are equally near (the value is halfway between
        // them), Rust picks the one away from zero, NumPy's Dragon4 the even one: round
        // the exact value half-to-even at the same length and keep it if it reads back.
        if digits.len() > 1 {
            let even = self.rounded(digits.len() - 1, true);
            if even != text && self.reads_back(&even) {
                return split_scientific(&even);
            }
        }
        (digits, exp)
    }

    /// True when `text` parses to this value in its own precision.
    fn reads_back(self, text: &str) -> bool {
        match self {
            Fl::D(v) => text.parse::<f64>().is_ok_and(|back| back == v.abs()),
            Fl::S(v) => text.parse::<f32>().is_ok_and(|back| back == v.abs()),
            Fl::H(v) => text.parse::<f32>().is_ok_and(|back| {
                half::f16::from_f32(back) == half::f16::from_f32(f32::from(v).abs())
            }),
        }
    }

    /// The exact value rounded to `precision` digits after the point (positional) or
    /// after the first digit (scientific).
    fn rounded(self, precision: usize, scientific: bool) -> String {
        // Rust rounds ties away from zero; NumPy's Dragon4 rounds them to even. Format 40
        // more digits of the exact value (f16 and f32 widen to f64 exactly) and round here:
        // a value whose expansion goes on past them is no tie.
        let value = self.f64().abs();
        let extra = precision + 40;
        let text = if scientific {
            format!("{value:.extra$e}")
        } else {
            format!("{value:.extra$}")
        };
        let (mantissa, exponent) = match text.split_once('e') {
            Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
            None => (text.as_str(), 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let (kept, rest) = frac.split_at(precision.min(frac.len()));
        let rest = rest.as_bytes();
        let mut digits: Vec<u8> = int.bytes().chain(kept.bytes()).collect();
        let round_up = match rest.first() {
            Some(b'6'..=b'9') => true,
            Some(b'5') => {
                rest[1..].iter().any(|&d| d != b'0')
                    || digits.last().is_some_and(|d| (d - b'0') % 2 == 1)
            }
            _ => false,
        };
        let mut int_len = int.len();
        let mut exponent = exponent;
        if round_up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, b'1');
                    int_len += 1;
                    break;
                }
                i -= 1;
                if digits[i] == b'9' {
                    digits[i] = b'0';
                } else {
                    digits[i] += 1;
                    break;
                }
            }
            if scientific && int_len > 1 {
                // 9.99e0 became 10.00e0: one digit before the point, one more exponent.
                digits.pop();
                int_len = 1;
                exponent += 1;
            }
        }
        let digits = String::from_utf8(digits).expect("ASCII digits");
        let (int, frac) = digits.split_at(int_len);
        let body = if precision == 0 {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        };
        if scientific {
            format!("{body}e{exponent}")
        } else {
            body
        }
    }
}

/// Python's `repr` of a float (as `print` shows a NumPy float scalar): shortest digits,
/// positional from 1e-4 up to 1e16 with at least one digit after the point, else
/// scientific with a two-digit exponent.
fn python_float_repr(x: Fl) -> String {
    let v = x.f64();
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let (digits, exp) = x.shortest();
    if (-4..16).contains(&exp) {
        let (int, frac) = if exp >= 0 {
            let split = exp as usize + 1;
            let mut int: String = digits.chars().take(split).collect();
            while int.len() < split {
                int.push('0');
            }
            (int, digits.chars().skip(split).collect::<String>())
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            ("0".to_string(), format!("{zeros}{digits}"))
        };
        let frac = if frac.is_empty() {
            "0".to_string()
        } else {
            frac
        };
        format!("{sign}{int}.{frac}")
    } else {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.unsigned_abs())
    }
}

/// "1.25e-3" → ("125", -3).
fn split_scientific(text: &str) -> (String, i32) {
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exp.parse().unwrap_or(0))
}

/// NumPy's `dragon4_positional(x, precision=8, unique=True, trim='.')`, unpadded:
/// (integer part with sign, fraction digits).
fn positional(x: Fl, sign_plus: bool) -> (String, String) {
    let negative = x.f64().is_sign_negative();
    let (digits, exp) = x.shortest();
    let frac_needed = digits.len() as i64 - 1 - i64::from(exp);
    let (int, frac) = if frac_needed > 8 {
        let text = x.rounded(8, false);
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        (int.to_string(), frac.trim_end_matches('0').to_string())
    } else if exp >= 0 {
        let exp = exp as usize;
        let mut int = digits.chars().take(exp + 1).collect::<String>();
        while int.len() < exp + 1 {
            int.push('0');
        }
        let frac: String = digits.chars().skip(exp + 1).collect();
        (int, frac)
    } else {
        let zeros = "0".repeat((-exp - 1) as usize);
        ("0".to_string(), format!("{zeros}{digits}"))
    };
    let sign = if negative {
        "-"
    } else if sign_plus {
        "+"
    } else {
        ""
    };
    (format!("{sign}{int}"), frac)
}

/// NumPy's `dragon4_scientific(x, precision=8, unique=True, trim='.')`: (integer digit
/// with sign, fraction digits, exponent).
fn scientific(x: Fl, sign_plus: bool, min_digits: usize) -> (String, String, i32) {
    let negative = x.f64().is_sign_negative();
    let (mut digits, mut exp) = x.shortest();
    if digits.len() > 9 {
        (digits, exp) = split_scientific(&x.rounded(8, true));
    } else if digits.len() < min_digits + 1 {
        // NumPy's min_digits: more digits of the exact value, not zeros (they differ for
        // float32 and float16, whose exact values have more digits than they need).
        let text = x.rounded(min_digits, true);
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        digits = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
        exp = exponent.parse().unwrap_or(exp);
    }
    let sign = if negative {
        "-"
    } else if sign_plus {
        "+"
    } else {
        ""
    };
    (
        format!("{sign}{}", &digits[..1]),
        digits[1..].to_string(),
        exp,
    )
}

/// `10 ** min(8, finfo.precision)` for a float of `size` bytes.
fn exp_cutoff(size: usize) -> f64 {
    match size {
        2 => 1e3,
        4 => 1e6,
        _ => 1e8,
    }
}

/// NumPy's `FloatingFormat` in `maxprec` mode, fitted to the values shown.
#[derive(Debug, Clone)]
struct FloatFormat {
    exp_format: bool,
    pad_left: usize,
    pad_right: usize,
    precision: usize,
    exp_size: usize,
    sign_plus: bool,
}

impl FloatFormat {
    /// `cutoff`: magnitude from which NumPy (2.3 and later) switches to scientific
    /// notation, `10 ** min(8, finfo(dtype).precision)`: 1e3 for float16, 1e6 for float32,
    /// 1e8 for float64.
    fn build(values: &[Fl], sign_plus: bool, cutoff: f64) -> FloatFormat {
        let finite: Vec<Fl> = values
            .iter()
            .copied()
            .filter(|v| v.f64().is_finite())
            .collect();
        let abs_non_zero: Vec<f64> = finite
            .iter()
            .map(|v| v.f64().abs())
            .filter(|v| *v != 0.0)
            .collect();
        let mut exp_format = false;
        if !abs_non_zero.is_empty() {
            let max = abs_non_zero.iter().copied().fold(f64::MIN, f64::max);
            let min = abs_non_zero.iter().copied().fold(f64::MAX, f64::min);
            // NumPy compares in the array's own precision (1e-4 as a float16 is
            // 1.0002e-4, and the ratio is a float16 division).
            let (small, ratio) = match values.first() {
                Some(Fl::H(_)) => (
                    f64::from(half::f16::from_f64(1e-4)),
                    f64::from(half::f16::from_f32(max as f32 / min as f32)),
                ),
                Some(Fl::S(_)) => (f64::from(1e-4f32), f64::from(max as f32 / min as f32)),
                _ => (1e-4, max / min),
            };
            exp_format = max >= cutoff || min < small || ratio > 1000.0;
        }
        let mut format = FloatFormat {
            exp_format,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
            sign_plus,
        };
        if finite.is_empty() {
            format.exp_format = false;
        } else if exp_format {
            let parts: Vec<_> = finite
                .iter()
                .map(|&v| scientific(v, sign_plus, 0))
                .collect();
            format.precision = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
            format.exp_size = parts
                .iter()
                .map(|p| p.2.unsigned_abs().to_string().len().max(2))
                .max()
                .unwrap_or(2);
            format.pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
            format.pad_right = format.exp_size + 2 + format.precision;
        } else {
            let parts: Vec<_> = finite.iter().map(|&v| positional(v, sign_plus)).collect();
            format.pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
            format.pad_right = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
        }
        if finite.len() != values.len() {
            let neginf = sign_plus
                || values
                    .iter()
                    .any(|v| v.f64().is_infinite() && v.f64() < 0.0);
            let offset = format.pad_right + 1;
            format.pad_left = format
                .pad_left
                .max(3usize.saturating_sub(offset))
                .max((3 + usize::from(neginf)).saturating_sub(offset));
        }
        format
    }

    fn format(&self, x: Fl) -> String {
        let v = x.f64();
        if !v.is_finite() {
            let text = if v.is_nan() {
                if self.sign_plus { "+nan" } else { "nan" }.to_string()
            } else if v < 0.0 {
                "-inf".to_string()
            } else if self.sign_plus {
                "+inf".to_string()
            } else {
                "inf".to_string()
            };
            let width = self.pad_left + self.pad_right + 1;
            return format!("{text:>width$}");
        }
        if self.exp_format {
            let (int, mut frac, exp) = scientific(x, self.sign_plus, self.precision);
            while frac.len() < self.precision {
                frac.push('0');
            }
            let exp_sign = if exp < 0 { '-' } else { '+' };
            let exp_digits = format!("{:0width$}", exp.unsigned_abs(), width = self.exp_size);
            format!(
                "{int:>pad$}.{frac}e{exp_sign}{exp_digits}",
                pad = self.pad_left
            )
        } else {
            let (int, frac) = positional(x, self.sign_plus);
            format!(
                "{int:>pl$}.{frac:<pr$}",
                pl = self.pad_left,
                pr = self.pad_right
            )
        }
    }
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
fn int_value(dtype: &DType, elem: &[u8]) -> i128 {
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

fn strip_nuls(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

fn decode_unicode(elem: &[u8], big: bool) -> String {
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

/// A datetime's ISO text or a timedelta's count; `None` for NaT.
fn time_text(dtype: &DType, elem: &[u8]) -> Option<String> {
    let raw = i64_value(elem, dtype.endian() == Endian::Big);
    if raw == i64::MIN {
        return None;
    }
    match dtype {
        DType::DateTime { unit, .. } => Some(format!(
            "'{}'",
            iso_datetime(i128::from(raw) * i128::from(unit.multiplier), unit.unit)
        )),
        _ => Some(raw.to_string()),
    }
}

fn i64_value(elem: &[u8], big: bool) -> i64 {
    let b: [u8; 8] = elem[..8].try_into().unwrap();
    if big {
        i64::from_be_bytes(b)
    } else {
        i64::from_le_bytes(b)
    }
}

/// ISO 8601 text of `count` units since 1970-01-01T00:00, at the unit's precision (as
/// `np.datetime_as_string`).
pub fn iso_datetime(count: i128, unit: DateUnit) -> String {
    let (per_second, digits): (i128, usize) = match unit {
        DateUnit::Years => {
            return year_text(1970 + count);
        }
        DateUnit::Months => {
            let year = 1970 + count.div_euclid(12);
            return format!("{}-{:02}", year_text(year), count.rem_euclid(12) + 1);
        }
        DateUnit::Weeks => return date_text(count * 7),
        DateUnit::Days => return date_text(count),
        DateUnit::Hours => {
            let (days, hours) = (count.div_euclid(24), count.rem_euclid(24));
            return format!("{}T{hours:02}", date_text(days));
        }
        DateUnit::Minutes => {
            let (days, minutes) = (count.div_euclid(1440), count.rem_euclid(1440));
            return format!(
                "{}T{:02}:{:02}",
                date_text(days),
                minutes / 60,
                minutes % 60
            );
        }
        DateUnit::Seconds => (1, 0),
        DateUnit::Milliseconds => (1_000, 3),
        DateUnit::Microseconds => (1_000_000, 6),
        DateUnit::Nanoseconds => (1_000_000_000, 9),
        DateUnit::Picoseconds => (1_000_000_000_000, 12),
        DateUnit::Femtoseconds => (1_000_000_000_000_000, 15),
        DateUnit::Attoseconds => (1_000_000_000_000_000_000, 18),
        DateUnit::Generic => return count.to_string(),
    };
    let (seconds, fraction) = (count.div_euclid(per_second), count.rem_euclid(per_second));
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let mut text = format!(
        "{}T{:02}:{:02}:{:02}",
        date_text(days),
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    );
    if digits > 0 {
        text.push_str(&format!(".{fraction:0digits$}"));
    }
    text
}

fn year_text(year: i128) -> String {
    if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    }
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (proleptic Gregorian calendar).
fn date_text(days: i128) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    format!("{}-{month:02}-{day:02}", year_text(year))
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
pub fn record_table(view: &Strided<'_>, fields: &[Field]) -> String {
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
            Some(idx) if idx.len() == 1 => idx[0].to_string(),
            Some(idx) => format!("{idx:?}"),
            None => "...".to_string(),
        }];
        cells.extend(columns.iter().map(|c| c[row].clone()));
        table.add_row(cells);
    }
    crate::table::render(table)
}

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

    #[test]
    fn dates() {
        assert_eq!(iso_datetime(0, DateUnit::Days), "1970-01-01");
        assert_eq!(iso_datetime(18262, DateUnit::Days), "2020-01-01");
        assert_eq!(iso_datetime(-1, DateUnit::Seconds), "1969-12-31T23:59:59");
        assert_eq!(
            iso_datetime(1500, DateUnit::Milliseconds),
            "1970-01-01T00:00:01.500"
        );
        assert_eq!(iso_datetime(13, DateUnit::Months), "1971-02");
    }
}
