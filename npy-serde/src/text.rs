//! How NumPy and Python spell values in text: `repr` of a `str` and of `bytes`, and a shape
//! as a tuple. One copy of each rule: the header writer, error messages and the `npy`
//! command's printing all call these.

use std::fmt::Write as _;

/// Python's `repr` of a `str`: `'a'`, `"it's"`, `'tab\there'`, `'\x00'`; printable
/// non-ASCII characters stay as they are (`'é'`).
///
/// ```
/// use npy_serde::text::str_repr;
///
/// assert_eq!(str_repr("a"), "'a'");
/// assert_eq!(str_repr("it's"), "\"it's\"");
/// assert_eq!(str_repr("tab\there"), "'tab\\there'");
/// assert_eq!(str_repr("é\u{0}"), "'é\\x00'");
/// ```
pub fn str_repr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    write_str_repr(text, &mut out);
    out
}

/// Python's `repr` of `bytes`: `b'ab'`, `b'\x00\xff'`.
///
/// ```
/// assert_eq!(npy_serde::text::bytes_repr(b"a'\0"), "b\"a'\\x00\"");
/// ```
pub fn bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &byte in bytes {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if b == quote => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push(quote as char);
    out
}

/// A shape as Python writes the tuple: `()`, `(3,)`, `(2, 3)`.
///
/// ```
/// use npy_serde::text::shape_repr;
///
/// assert_eq!(shape_repr(&[]), "()");
/// assert_eq!(shape_repr(&[3]), "(3,)");
/// assert_eq!(shape_repr(&[2, 3]), "(2, 3)");
/// ```
pub fn shape_repr(shape: &[usize]) -> String {
    let mut out = String::from("(");
    for (i, dim) in shape.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{dim}");
    }
    if shape.len() == 1 {
        out.push(',');
    }
    out.push(')');
    out
}

/// Python's `repr(str)`: single quotes unless the text has a `'` and no `"`; escapes for
/// the quote, backslash, `\t \n \r`, other control characters and non-printable characters.
pub(crate) fn write_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable` for one character: false for control, format, separator
/// (other than the ASCII space), surrogate, private-use and unassigned characters.
///
/// Python consults the full Unicode database; this covers the categories that occur in
/// practice (controls, the Latin-1 specials, the general punctuation block's format and
/// space characters, private use, noncharacters). Field names outside those are written
/// literally, as Python would for any assigned printable character.
fn is_printable(c: char) -> bool {
    let code = c as u32;
    !matches!(
        code,
        0x00..=0x1f
            | 0x7f..=0xa0
            | 0xad
            | 0x034f
            | 0x061c
            | 0x1680
            | 0x180e
            | 0x2000..=0x200f
            | 0x2028..=0x202f
            | 0x205f..=0x206f
            | 0x3000
            | 0xd800..=0xf8ff
            | 0xfdd0..=0xfdef
            | 0xfeff
            | 0xfff0..=0xfffb
            | 0xfffe..=0xffff
            | 0xe0000..=0xe0fff
            | 0xf0000..=0x10ffff
    ) && (code & 0xfffe) != 0xfffe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reprs_follow_python() {
        assert_eq!(str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(
            str_repr("\u{7f}\u{a0}\u{e9}\u{2028}\u{1F600}"),
            "'\\x7f\\xa0é\\u2028😀'"
        );
        assert_eq!(str_repr("\\"), "'\\\\'");
        assert_eq!(bytes_repr(b""), "b''");
        assert_eq!(bytes_repr(b"\x7f\x80\n"), "b'\\x7f\\x80\\n'");
        assert_eq!(bytes_repr(b"'"), "b\"'\"");
    }
}
