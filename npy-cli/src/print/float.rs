//! Floats as NumPy prints them: shortest round-trip digits of the file's precision
//! (Dragon4's ties to even), NumPy's `FloatingFormat` in `maxprec` mode (one layout for
//! the values shown, positional or scientific by NumPy's rule), and Python's float `repr`.

/// A float of the file's precision (shortest digits depend on it).
#[derive(Clone, Copy)]
pub(super) enum Fl {
    H(half::f16),
    S(f32),
    D(f64),
}

impl Fl {
    pub(super) fn from_bytes(bytes: &[u8], big: bool) -> Fl {
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

    pub(super) fn f64(self) -> f64 {
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
pub(super) fn python_float_repr(x: Fl) -> String {
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
pub(super) fn exp_cutoff(size: usize) -> f64 {
    match size {
        2 => 1e3,
        4 => 1e6,
        _ => 1e8,
    }
}

/// NumPy's `FloatingFormat` in `maxprec` mode, fitted to the values shown.
#[derive(Debug, Clone)]
pub(super) struct FloatFormat {
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
    pub(super) fn build(values: &[Fl], sign_plus: bool, cutoff: f64) -> FloatFormat {
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

    pub(super) fn format(&self, x: Fl) -> String {
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
