//! printf-style formats for text export (`npy convert x.npy x.csv --fmt '%.6g'`), the subset
//! `np.savetxt` passes to Python's `%` operator: `%[flags][width][.precision]conversion`
//! with flags `-+ 0#` and conversions `d i u e E f F g G s x X o`, plus `%%` and literal
//! text around the specifier.

use crate::error::{CliError, Result};

/// One value to format.
#[derive(Debug, Clone)]
pub enum Cell {
    Int(i128),
    Float(f64),
    Text(String),
}

/// A parsed format: literal text and specifiers, in order.
#[derive(Debug, Clone)]
pub struct Format {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Spec(Spec),
}

#[derive(Debug, Clone, Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
    conversion: char,
}

impl Format {
    /// Parses `text`; an error names what is wrong.
    pub fn parse(text: &str) -> Result<Format> {
        let bad = |why: &str| CliError::new(format!("--fmt {text:?}: {why}"));
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                literal.push('%');
                continue;
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            let mut spec = Spec::default();
            while let Some(&flag) = chars.peek() {
                match flag {
                    '-' => spec.left = true,
                    '+' => spec.plus = true,
                    ' ' => spec.space = true,
                    '0' => spec.zero = true,
                    '#' => spec.alt = true,
                    _ => break,
                }
                chars.next();
            }
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            spec.width = if digits.is_empty() {
                0
            } else {
                digits.parse().map_err(|_| bad("the width is too large"))?
            };
            if chars.peek() == Some(&'.') {
                chars.next();
                let mut digits = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(d);
                    chars.next();
                }
                let precision: usize = if digits.is_empty() {
                    0
                } else {
                    digits
                        .parse()
                        .map_err(|_| bad("the precision is too large"))?
                };
                if precision > 100 {
                    return Err(bad("precision above 100"));
                }
                spec.precision = Some(precision);
            }
            if spec.width > 1000 {
                return Err(bad("width above 1000"));
            }
            spec.conversion = match chars.next() {
                Some(
                    c @ ('d' | 'i' | 'u' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 's' | 'x' | 'X'
                    | 'o'),
                ) => c,
                Some(other) => {
                    return Err(bad(&format!(
                        "unknown conversion '%{other}' (use d, e, f, g, s, x or o)"
                    )))
                }
                None => return Err(bad("a '%' without a conversion")),
            };
            parts.push(Part::Spec(spec));
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Format { parts })
    }

    /// How many values the format takes.
    pub fn specs(&self) -> usize {
        self.parts
            .iter()
            .filter(|p| matches!(p, Part::Spec(_)))
            .count()
    }

    /// The text of `cells` (as many as [`specs`](Self::specs)).
    pub fn apply(&self, cells: &[Cell]) -> String {
        let mut out = String::new();
        let mut next = cells.iter();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Spec(spec) => {
                    if let Some(cell) = next.next() {
                        out.push_str(&spec.format(cell));
                    }
                }
            }
        }
        out
    }
}

impl Spec {
    fn format(&self, cell: &Cell) -> String {
        let body = match (self.conversion, cell) {
            // Text is written as text, whatever the conversion.
            (_, Cell::Text(text)) => return self.pad(String::new(), text.clone(), false),
            ('s', Cell::Int(i)) => return self.pad(String::new(), i.to_string(), false),
            ('s', Cell::Float(f)) => {
                return self.pad(String::new(), crate::print::python_float_text(*f), false)
            }
            ('d' | 'i' | 'u', _) | ('x' | 'X' | 'o', _) => {
                let value = match cell {
                    Cell::Int(i) => *i,
                    // Python's `'%d' % 1.7` truncates; NaN and infinities cannot.
                    Cell::Float(f) if f.is_finite() => f.trunc() as i128,
                    Cell::Float(f) => return self.float_special(*f),
                    Cell::Text(_) => unreachable!(),
                };
                let digits = match self.conversion {
                    'x' => format!("{:x}", value.unsigned_abs()),
                    'X' => format!("{:X}", value.unsigned_abs()),
                    'o' => format!("{:o}", value.unsigned_abs()),
                    _ => value.unsigned_abs().to_string(),
                };
                let digits = match (self.alt, self.conversion) {
                    (true, 'x') => format!("0x{digits}"),
                    (true, 'X') => format!("0X{digits}"),
                    (true, 'o') => format!("0o{digits}"),
                    _ => digits,
                };
                return self.pad(self.sign(value < 0), digits, true);
            }
            (_, Cell::Int(i)) => *i as f64,
            (_, Cell::Float(f)) => *f,
        };
        if !body.is_finite() {
            return self.float_special(body);
        }
        let precision = self.precision.unwrap_or(6);
        let magnitude = body.abs();
        let digits = match self.conversion {
            'e' | 'E' => exp_text(magnitude, precision, self.conversion == 'E'),
            'f' | 'F' => format!("{magnitude:.precision$}"),
            _ => general(magnitude, precision, self.alt, self.conversion == 'G'),
        };
        self.pad(self.sign(body.is_sign_negative()), digits, true)
    }

    fn sign(&self, negative: bool) -> String {
        if negative {
            "-".into()
        } else if self.plus {
            "+".into()
        } else if self.space {
            " ".into()
        } else {
            String::new()
        }
    }

    fn float_special(&self, v: f64) -> String {
        let text = if v.is_nan() { "nan" } else { "inf" };
        let text = if self.conversion.is_ascii_uppercase() {
            text.to_uppercase()
        } else {
            text.to_string()
        };
        self.pad(self.sign(v < 0.0), text, false)
    }

    /// Sign and digits padded to the width: left-justified, zero-filled after the sign, or
    /// right-justified.
    fn pad(&self, sign: String, digits: String, numeric: bool) -> String {
        let len = sign.chars().count() + digits.chars().count();
        let fill = self.width.saturating_sub(len);
        if self.left {
            format!("{sign}{digits}{}", " ".repeat(fill))
        } else if self.zero && numeric {
            format!("{sign}{}{digits}", "0".repeat(fill))
        } else {
            format!("{}{sign}{digits}", " ".repeat(fill))
        }
    }
}

/// C's `%.Pe` of a non-negative value: `1.500000e+00`.
fn exp_text(v: f64, precision: usize, upper: bool) -> String {
    let text = format!("{v:.precision$e}");
    let (mantissa, exp) = text.split_once('e').expect("Rust's {:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}{e}{sign}{:02}", exp.unsigned_abs())
}

/// C's `%.Pg`: scientific when the exponent is below -4 or not below the precision,
/// positional otherwise; trailing zeros removed unless `#`.
fn general(v: f64, precision: usize, alt: bool, upper: bool) -> String {
    let p = precision.max(1);
    let exp = if v == 0.0 {
        0
    } else {
        // The exponent after rounding to P significant digits.
        let text = format!("{v:.prec$e}", prec = p - 1);
        text.split_once('e')
            .and_then(|(_, e)| e.parse::<i32>().ok())
            .unwrap_or(0)
    };
    let mut text = if exp < -4 || exp >= p as i32 {
        exp_text(v, p - 1, upper)
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        format!("{v:.decimals$}")
    };
    if !alt {
        let (mantissa, tail) = match text.find(['e', 'E']) {
            Some(at) => text.split_at(at),
            None => (text.as_str(), ""),
        };
        if mantissa.contains('.') {
            let trimmed = mantissa.trim_end_matches('0').trim_end_matches('.');
            text = format!("{trimmed}{tail}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, cell: Cell) -> String {
        Format::parse(fmt).unwrap().apply(&[cell])
    }

    #[test]
    fn formats_as_python_percent_does() {
        assert_eq!(f("%.18e", Cell::Float(0.1)), "1.000000000000000056e-01");
        assert_eq!(f("%d", Cell::Int(-42)), "-42");
        assert_eq!(f("%5d", Cell::Int(42)), "   42");
        assert_eq!(f("%-5d|", Cell::Int(42)), "42   |");
        assert_eq!(f("%05.1f", Cell::Float(-2.25)), "-02.2");
        assert_eq!(f("%g", Cell::Float(0.0001)), "0.0001");
        assert_eq!(f("%g", Cell::Float(1e-5)), "1e-05");
        assert_eq!(f("%.3g", Cell::Float(1234.5)), "1.23e+03");
        assert_eq!(f("%g", Cell::Float(100.0)), "100");
        assert_eq!(f("%+.2e", Cell::Float(12345.0)), "+1.23e+04");
        assert_eq!(f("%x", Cell::Int(255)), "ff");
        assert_eq!(f("%d", Cell::Float(1.7)), "1");
        assert_eq!(f("%.3f", Cell::Float(f64::NAN)), "nan");
        assert_eq!(f("%s", Cell::Float(0.5)), "0.5");
        assert_eq!(f("%10s", Cell::Text("ab".into())), "        ab");
        assert_eq!(f("[%d%%]", Cell::Int(5)), "[5%]");
        assert!(Format::parse("%q").is_err());
        assert!(Format::parse("%").is_err());
    }
}
