//! The Python literal subset that `.npy` headers are written in: a safe, bounded parser
//! (NumPy itself uses `ast.literal_eval`) and the `repr` formatting NumPy's writer uses.
//!
//! Nothing is ever evaluated: names other than `True`/`False`/`None`, calls and operators
//! are syntax errors. Nesting is limited to [`MAX_DEPTH`] so a hostile header cannot
//! exhaust the stack. Written by hand because no crate parses Python literals with these
//! bounds and this exact error reporting.

use std::fmt::Write as _;

/// Deepest nesting of brackets accepted. Real headers nest records a few levels at most.
pub const MAX_DEPTH: usize = 64;

/// A parsed Python literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PyValue {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    None,
    Tuple(Vec<PyValue>),
    List(Vec<PyValue>),
    Dict(Vec<(PyValue, PyValue)>),
}

impl PyValue {
    /// The items of a tuple or list.
    pub(crate) fn as_sequence(&self) -> Option<&[PyValue]> {
        match self {
            PyValue::Tuple(items) | PyValue::List(items) => Some(items),
            _ => None,
        }
    }
}

/// Formats the value as Python's `repr` does.
impl std::fmt::Display for PyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        write_repr(self, &mut out);
        f.write_str(&out)
    }
}

/// A syntax error with its byte offset in the header text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at byte {} of the header text",
            self.message, self.offset
        )
    }
}

/// Parses one Python literal that makes up the whole of `text` (surrounding whitespace
/// allowed). `allow_long_suffix` accepts Python 2's `2L` integers (headers v1.0/v2.0).
pub(crate) fn parse(text: &str, allow_long_suffix: bool) -> Result<PyValue, SyntaxError> {
    let mut parser = Parser {
        text: text.as_bytes(),
        source: text,
        pos: 0,
        depth: 0,
        allow_long_suffix,
    };
    let value = parser.value()?;
    parser.skip_space();
    if parser.pos != parser.text.len() {
        return Err(parser.error("unexpected text after the literal"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a [u8],
    source: &'a str,
    pos: usize,
    depth: usize,
    allow_long_suffix: bool,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => self.pos += 1,
                // A backslash-newline continues a line in Python source.
                Some(b'\\') if matches!(self.text.get(self.pos + 1), Some(b'\n')) => self.pos += 2,
                // A comment runs to the end of the line.
                Some(b'#') => {
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn value(&mut self) -> Result<PyValue, SyntaxError> {
        self.skip_space();
        match self.peek() {
            None => Err(self.error("unexpected end of text, expected a value")),
            Some(b'{') => self.nested(|p| p.dict()),
            Some(b'[') => self.nested(|p| p.sequence(b']').map(|(items, _)| PyValue::List(items))),
            Some(b'(') => self.nested(|p| p.parenthesized()),
            Some(b'\'' | b'"') => self.string(),
            Some(b'-' | b'+' | b'.' | b'0'..=b'9') => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.word(),
            Some(_) => {
                let c = self.source[self.pos..].chars().next().unwrap_or('?');
                Err(self.error(format!("unexpected character {c:?}")))
            }
        }
    }

    fn nested(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<PyValue, SyntaxError>,
    ) -> Result<PyValue, SyntaxError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    /// Items up to `close`, separated by commas, a trailing comma allowed. Returns the items
    /// and whether a comma followed the last one. The opening bracket is at `pos`.
    fn sequence(&mut self, close: u8) -> Result<(Vec<PyValue>, bool), SyntaxError> {
        self.pos += 1;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok((items, trailing_comma));
            }
            if !items.is_empty() && !trailing_comma {
                return Err(self.error(format!("expected ',' or '{}'", close as char)));
            }
            items.push(self.value()?);
            self.skip_space();
            trailing_comma = self.peek() == Some(b',');
            if trailing_comma {
                self.pos += 1;
            }
        }
    }

    /// `()` and `(x,)` are tuples; `(x)` is just `x`.
    fn parenthesized(&mut self) -> Result<PyValue, SyntaxError> {
        let (mut items, trailing_comma) = self.sequence(b')')?;
        if items.len() == 1 && !trailing_comma {
            return Ok(items.pop().expect("one item"));
        }
        Ok(PyValue::Tuple(items))
    }

    fn dict(&mut self) -> Result<PyValue, SyntaxError> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(PyValue::Dict(entries));
            }
            let key = self.value()?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after a dict key"));
            }
            self.pos += 1;
            let value = self.value()?;
            // A repeated key keeps its first place and takes the last value, as in Python.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.error("expected ',' or '}' in a dict")),
            }
        }
    }

    fn word(&mut self) -> Result<PyValue, SyntaxError> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.pos += 1;
        }
        let word = &self.source[start..self.pos];
        match word {
            "True" => Ok(PyValue::Bool(true)),
            "False" => Ok(PyValue::Bool(false)),
            "None" => Ok(PyValue::None),
            "u" | "U" if matches!(self.peek(), Some(b'\'' | b'"')) => self.string(),
            _ => {
                self.pos = start;
                Err(self.error(format!(
                    "the name {word:?} is not a literal (headers are never evaluated)"
                )))
            }
        }
    }

    fn number(&mut self) -> Result<PyValue, SyntaxError> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        if let Some(radix) = self.radix_prefix() {
            return self.radix_integer(start, radix);
        }
        let mut is_float = false;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' | b'_' => {}
                b'.' => is_float = true,
                b'e' | b'E' => {
                    is_float = true;
                    if matches!(self.text.get(self.pos + 1), Some(b'-' | b'+')) {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
            self.pos += 1;
        }
        let literal: String = self.source[start..self.pos]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        if is_float {
            return literal
                .parse::<f64>()
                .map(PyValue::Float)
                .map_err(|_| SyntaxError {
                    offset: start,
                    message: format!("invalid number {literal:?}"),
                });
        }
        if self.allow_long_suffix && matches!(self.peek(), Some(b'L' | b'l')) {
            self.pos += 1;
        }
        if matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric()) {
            return Err(self.error("invalid character in a number"));
        }
        let digits = literal.trim_start_matches(['-', '+']);
        if digits.len() > 1 && digits.starts_with('0') && digits.bytes().any(|d| d != b'0') {
            return Err(SyntaxError {
                offset: start,
                message: format!("leading zeros in the integer {literal:?}"),
            });
        }
        literal
            .parse::<i128>()
            .map(PyValue::Int)
            .map_err(|_| SyntaxError {
                offset: start,
                message: if digits.is_empty() {
                    "a sign without a number".to_string()
                } else {
                    format!("integer {literal} is too large")
                },
            })
    }

    /// The radix of a `0x`, `0o` or `0b` prefix at the current position.
    fn radix_prefix(&self) -> Option<u32> {
        if self.peek() != Some(b'0') {
            return None;
        }
        match self.text.get(self.pos + 1).map(u8::to_ascii_lowercase) {
            Some(b'x') => Some(16),
            Some(b'o') => Some(8),
            Some(b'b') => Some(2),
            _ => None,
        }
    }

    /// An integer written with a radix prefix (`0x2`, `-0o17`, `0b1_0`); `start` is where
    /// its sign, if any, stands.
    fn radix_integer(&mut self, start: usize, radix: u32) -> Result<PyValue, SyntaxError> {
        let negative = self.text[start] == b'-';
        self.pos += 2;
        let digits_start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.pos += 1;
        }
        let digits: String = self.source[digits_start..self.pos]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        let error = |message: String| SyntaxError {
            offset: start,
            message,
        };
        let magnitude = i128::from_str_radix(&digits, radix).map_err(|e| {
            error(match e.kind() {
                std::num::IntErrorKind::PosOverflow => {
                    format!("integer {} is too large", &self.source[start..self.pos])
                }
                _ => format!("invalid number {:?}", &self.source[start..self.pos]),
            })
        })?;
        Ok(PyValue::Int(if negative { -magnitude } else { magnitude }))
    }

    fn string(&mut self) -> Result<PyValue, SyntaxError> {
        let start = self.pos;
        let quote = self.text[self.pos];
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.source[self.pos..];
            let Some(c) = rest.chars().next() else {
                self.pos = start;
                return Err(self.error("unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '\\' => self.escape(&mut out)?,
                '\n' => {
                    self.pos = start;
                    return Err(self.error("unterminated string (newline inside)"));
                }
                c if c as u32 == quote as u32 => return Ok(PyValue::Str(out)),
                c => out.push(c),
            }
        }
    }

    /// One escape sequence after a backslash, as Python's string literals define them.
    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let Some(c) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        self.pos += 1;
        let simple = match c {
            b'\n' => return Ok(()),
            b'\\' => '\\',
            b'\'' => '\'',
            b'"' => '"',
            b'a' => '\x07',
            b'b' => '\x08',
            b'f' => '\x0c',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'v' => '\x0b',
            b'x' => return self.hex_escape(2, out),
            b'u' => return self.hex_escape(4, out),
            b'U' => return self.hex_escape(8, out),
            b'0'..=b'7' => {
                let mut code = u32::from(c - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            code = code * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                char::from_u32(code).expect("octal escapes are below 0o777")
            }
            // Python keeps unknown escapes as they are.
            _ => {
                out.push('\\');
                self.pos -= 1;
                return Ok(());
            }
        };
        out.push(simple);
        Ok(())
    }

    fn hex_escape(&mut self, digits: usize, out: &mut String) -> Result<(), SyntaxError> {
        let hex = self
            .text
            .get(self.pos..self.pos + digits)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.error(format!("expected {digits} hex digits in an escape")))?;
        let code =
            u32::from_str_radix(std::str::from_utf8(hex).expect("ascii"), 16).expect("hex digits");
        let c = char::from_u32(code)
            .ok_or_else(|| self.error(format!("\\U{code:08x} is not a Unicode scalar value")))?;
        self.pos += digits;
        out.push(c);
        Ok(())
    }
}

/// Appends Python's `repr` of `value` to `out`.
pub(crate) fn write_repr(value: &PyValue, out: &mut String) {
    match value {
        PyValue::Str(s) => crate::text::write_str_repr(s, out),
        PyValue::Int(n) => {
            let _ = write!(out, "{n}");
        }
        PyValue::Float(x) => {
            let _ = write!(out, "{x:?}");
        }
        PyValue::Bool(true) => out.push_str("True"),
        PyValue::Bool(false) => out.push_str("False"),
        PyValue::None => out.push_str("None"),
        PyValue::Tuple(items) => {
            out.push('(');
            write_items(items, out);
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        PyValue::List(items) => {
            out.push('[');
            write_items(items, out);
            out.push(']');
        }
        PyValue::Dict(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(key, out);
                out.push_str(": ");
                write_repr(value, out);
            }
            out.push('}');
        }
    }
}

fn write_items(items: &[PyValue], out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(item, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> PyValue {
        parse(text, false).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn s(text: &str) -> PyValue {
        PyValue::Str(text.to_string())
    }

    #[test]
    fn comments_and_repeated_keys_as_python_reads_them() {
        assert_eq!(
            p("{'a': 1, # first\n 'b': 2, 'a': 3}  # done"),
            PyValue::Dict(vec![(s("a"), PyValue::Int(3)), (s("b"), PyValue::Int(2))])
        );
        assert_eq!(p("'#'"), s("#"));
    }

    #[test]
    fn parses_a_numpy_header() {
        let value = p("{'descr': '<i8', 'fortran_order': False, 'shape': (10,), }   ");
        assert_eq!(
            value,
            PyValue::Dict(vec![
                (s("descr"), s("<i8")),
                (s("fortran_order"), PyValue::Bool(false)),
                (s("shape"), PyValue::Tuple(vec![PyValue::Int(10)])),
            ])
        );
    }

    #[test]
    fn tuples_parentheses_and_lists() {
        assert_eq!(p("()"), PyValue::Tuple(vec![]));
        assert_eq!(p("(5)"), PyValue::Int(5));
        assert_eq!(p("(5,)"), PyValue::Tuple(vec![PyValue::Int(5)]));
        assert_eq!(
            p("( 3 ,\n 5 )"),
            PyValue::Tuple(vec![PyValue::Int(3), PyValue::Int(5)])
        );
        assert_eq!(
            p("[1, 2,]"),
            PyValue::List(vec![PyValue::Int(1), PyValue::Int(2)])
        );
        assert!(parse("(,)", false).is_err());
        assert!(parse("(1 2)", false).is_err());
    }

    #[test]
    fn strings_quotes_prefixes_and_escapes() {
        assert_eq!(p("\"a'b\""), s("a'b"));
        assert_eq!(p("u'x'"), s("x"));
        assert_eq!(p(r"'\x41\u00e9\U0001F600\n\\\''"), s("Aé😀\n\\'"));
        assert_eq!(p(r"'\101'"), s("A"));
        assert!(parse("'abc", false).is_err());
        assert!(parse("'a\nb'", false).is_err());
        assert!(parse(r"'\ud800'", false).is_err());
    }

    #[test]
    fn numbers_and_long_suffix() {
        assert_eq!(p("-3"), PyValue::Int(-3));
        assert_eq!(p("2.0"), PyValue::Float(2.0));
        assert!(parse("(2L,)", false).is_err());
        assert_eq!(
            parse("(2L, 3l)", true).unwrap(),
            PyValue::Tuple(vec![PyValue::Int(2), PyValue::Int(3)])
        );
        assert!(parse("99999999999999999999999999999999999999999", false)
            .unwrap_err()
            .message
            .contains("too large"));
        assert!(parse("012", false).is_err());
        assert_eq!(p("0x1F"), PyValue::Int(31));
        assert_eq!(p("-0o17"), PyValue::Int(-15));
        assert_eq!(p("0b1_0"), PyValue::Int(2));
        assert!(parse("0x", false).is_err());
        assert!(parse("0xfg", false).is_err());
        assert!(parse("0x1ffffffffffffffffffffffffffffffff", false)
            .unwrap_err()
            .message
            .contains("too large"));
        assert_eq!(p("00"), PyValue::Int(0));
    }

    #[test]
    fn nothing_is_evaluated() {
        for text in [
            "__import__('os')",
            "np.float64",
            "1 + 1",
            "{'a': f(1)}",
            "lambda: 0",
            "Ellipsis",
        ] {
            assert!(parse(text, false).is_err(), "{text}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(100_000);
        let err = parse(&deep, false).unwrap_err();
        assert!(err.message.contains("nesting"), "{}", err.message);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok, false).is_ok());
    }

    #[test]
    fn repr_matches_python() {
        let cases = [
            (s("<f8"), "'<f8'"),
            (s("it's"), "\"it's\""),
            (s("both ' and \""), "'both \\' and \"'"),
            (s("tab\there\u{1}"), "'tab\\there\\x01'"),
            (s("é ÿ 整形"), "'é ÿ 整形'"),
            (
                s("\u{a0}\u{ad}\u{200b}\u{e000}"),
                "'\\xa0\\xad\\u200b\\ue000'",
            ),
            (PyValue::Tuple(vec![]), "()"),
            (PyValue::Tuple(vec![PyValue::Int(5)]), "(5,)"),
            (
                PyValue::Tuple(vec![PyValue::Int(3), PyValue::Int(5)]),
                "(3, 5)",
            ),
            (
                PyValue::List(vec![PyValue::Tuple(vec![s("x"), s("<f8")])]),
                "[('x', '<f8')]",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(value.to_string(), expected);
            assert_eq!(p(expected), value, "re-parsing {expected}");
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn py_value() -> impl Strategy<Value = PyValue> {
            let leaf = prop_oneof![
                any::<String>().prop_map(PyValue::Str),
                "['\"\\\\a\t\n\r\u{0}\u{7f}\u{a0}\u{ad}\u{2028}\u{e000}\u{ffff}é]{0,6}"
                    .prop_map(PyValue::Str),
                any::<i128>().prop_map(PyValue::Int),
                prop::num::f64::NORMAL.prop_map(PyValue::Float),
                any::<bool>().prop_map(PyValue::Bool),
                Just(PyValue::None),
            ];
            leaf.prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(PyValue::Tuple),
                    prop::collection::vec(inner.clone(), 0..4).prop_map(PyValue::List),
                    // Distinct keys: a repeated key keeps only its last value, as in Python.
                    prop::collection::btree_map(any::<String>(), inner, 0..4).prop_map(|map| {
                        PyValue::Dict(map.into_iter().map(|(k, v)| (PyValue::Str(k), v)).collect())
                    }),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn repr_parses_back(value in py_value()) {
                let text = value.to_string();
                let back = parse(&text, false).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
                prop_assert_eq!(back, value, "{}", text);
            }

            #[test]
            fn parser_never_panics(text in prop_oneof![
                any::<String>(),
                "[{}()\\[\\],:'\"\\\\ \nuLxbrTrueFalseNone0-9._e+-]{0,60}",
            ], long in any::<bool>()) {
                let _ = parse(&text, long);
            }

            #[test]
            fn nesting_is_bounded(depth in 0usize..200, open in prop_oneof![Just('('), Just('['), Just('{')]) {
                let close = match open { '(' => ')', '[' => ']', _ => '}' };
                let text: String = std::iter::repeat_n(open, depth)
                    .chain(std::iter::repeat_n(close, depth))
                    .collect();
                let result = parse(&text, false);
                if depth > MAX_DEPTH {
                    prop_assert!(result.is_err());
                }
            }
        }
    }
}
