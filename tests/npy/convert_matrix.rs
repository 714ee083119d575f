//! One conversion model (issue 9): every dtype the crate reads × every Rust element type,
//! through the typed reader (`npy::from_slice::<Vec<T>>` of a `.npy`) and the serde reader
//! (`from_slice::<W<T>>` of an npz whose member `x` is the same `.npy`). Both accept
//! with equal values, or both refuse.
//!
//! 0-d members are the one place the serde reader differs on purpose: it converts them by
//! value, as serde_json does for numbers (an `int64` 4 into `u32`, a `float64` into `f32`;
//! out of range, float into integer and bool into number are refused). Those cells are
//! checked against that rule; cells the rule does not cover (strings, dates, records) must
//! again agree with the typed reader.
//!
//! Each test walks its whole matrix and, on failure, prints every disagreement in one
//! table rather than stopping at the first.

use std::fmt::Debug;
use std::io::Cursor;

use half::f16;
use npy_serde::{from_slice, npy, npz, NpyArray, NpyElement};
use num_complex::Complex;
use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Deserialize, Debug)]
struct W<T> {
    x: T,
}

/// A value as the file holds it, by meaning.
#[derive(Clone, Debug)]
enum Val {
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(f64, f64),
    Text(String),
    Bytes(Vec<u8>),
    /// A datetime or timedelta count (`M8`/`m8`).
    Time(i64),
    /// A record `(a: <i4, b: <f8)`.
    Rec(i32, f64),
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Bool,
    Int { size: usize, signed: bool },
    Float { size: usize },
    Complex { size: usize },
    Unicode(usize),
    ByteStr(usize),
    Time,
    Rec,
}

struct DtypeCase {
    descr: String,
    kind: Kind,
    big_endian: bool,
}

impl DtypeCase {
    fn encode(&self, value: &Val) -> Vec<u8> {
        let ordered = |mut le: Vec<u8>| {
            if self.big_endian {
                le.reverse();
            }
            le
        };
        match (self.kind, value) {
            (Kind::Bool, Val::Bool(b)) => vec![*b as u8],
            (Kind::Int { size, .. }, Val::Int(i)) => ordered(i.to_le_bytes()[..size].to_vec()),
            (Kind::Float { size }, Val::Float(x)) => ordered(float_bytes(*x, size)),
            (Kind::Complex { size }, Val::Complex(re, im)) => {
                let mut bytes = ordered(float_bytes(*re, size / 2));
                bytes.extend(ordered(float_bytes(*im, size / 2)));
                bytes
            }
            (Kind::Unicode(n), Val::Text(s)) => {
                let mut chars: Vec<u32> = s.chars().map(u32::from).collect();
                chars.resize(n, 0);
                chars
                    .iter()
                    .flat_map(|c| {
                        if self.big_endian {
                            c.to_be_bytes()
                        } else {
                            c.to_le_bytes()
                        }
                    })
                    .collect()
            }
            (Kind::ByteStr(n), Val::Bytes(b)) => {
                let mut bytes = b.clone();
                bytes.resize(n, 0);
                bytes
            }
            (Kind::Time, Val::Time(t)) => ordered(t.to_le_bytes().to_vec()),
            (Kind::Rec, Val::Rec(a, b)) => {
                let mut bytes = a.to_le_bytes().to_vec();
                bytes.extend(b.to_le_bytes());
                bytes
            }
            (kind, value) => panic!("test bug: {value:?} as {kind:?}"),
        }
    }

    /// Three values for the array cases, and the 0-d values (small and out-of-range ones).
    fn values(&self) -> (Vec<Val>, Vec<Val>) {
        match self.kind {
            Kind::Bool => (
                vec![Val::Bool(true), Val::Bool(false), Val::Bool(true)],
                vec![Val::Bool(true)],
            ),
            Kind::Int { size, signed } => {
                let bits = size as u32 * 8;
                let (min, max) = if signed {
                    (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
                } else {
                    (0, (1i128 << bits) - 1)
                };
                let mut zero_d = vec![Val::Int(4), Val::Int(max)];
                if signed {
                    zero_d.push(Val::Int(min));
                }
                (vec![Val::Int(1), Val::Int(0), Val::Int(max)], zero_d)
            }
            Kind::Float { size } => {
                let big = match size {
                    2 => 65504.0,
                    4 => 3.0e38,
                    _ => 1e300,
                };
                (
                    vec![Val::Float(1.5), Val::Float(-0.0), Val::Float(big)],
                    vec![Val::Float(0.5), Val::Float(0.001), Val::Float(big)],
                )
            }
            Kind::Complex { size } => {
                let big = if size == 8 { 3.0e38 } else { 1e300 };
                (
                    vec![
                        Val::Complex(1.0, 2.0),
                        Val::Complex(0.0, 0.0),
                        Val::Complex(big, -1.5),
                    ],
                    vec![Val::Complex(0.5, 0.0), Val::Complex(big, 1.0)],
                )
            }
            Kind::Unicode(_) => (
                vec![
                    Val::Text("abc".into()),
                    Val::Text("é".into()),
                    Val::Text(String::new()),
                ],
                vec![Val::Text("hé".into())],
            ),
            Kind::ByteStr(_) => (
                vec![
                    Val::Bytes(b"abc".to_vec()),
                    Val::Bytes(b"d".to_vec()),
                    Val::Bytes(Vec::new()),
                ],
                vec![Val::Bytes(b"xy".to_vec())],
            ),
            Kind::Time => (
                vec![Val::Time(0), Val::Time(86_400), Val::Time(-1)],
                vec![Val::Time(4)],
            ),
            Kind::Rec => (
                vec![Val::Rec(1, 0.5), Val::Rec(-2, 1e300), Val::Rec(3, 0.0)],
                vec![Val::Rec(4, 0.25)],
            ),
        }
    }

    /// `value` as the file holds it: floats rounded to the dtype's precision.
    fn stored(&self, value: &Val) -> Val {
        let round = |x: f64, size: usize| match size {
            2 => f16::from_f64(x).to_f64(),
            4 => x as f32 as f64,
            _ => x,
        };
        match (self.kind, value) {
            (Kind::Float { size }, Val::Float(x)) => Val::Float(round(*x, size)),
            (Kind::Complex { size }, Val::Complex(re, im)) => {
                Val::Complex(round(*re, size / 2), round(*im, size / 2))
            }
            _ => value.clone(),
        }
    }

    fn npy(&self, shape: &str, values: &[Val]) -> Vec<u8> {
        let data: Vec<u8> = values.iter().flat_map(|v| self.encode(v)).collect();
        raw_npy(&self.descr, shape, &data)
    }
}

fn float_bytes(x: f64, size: usize) -> Vec<u8> {
    match size {
        2 => f16::from_f64(x).to_le_bytes().to_vec(),
        4 => (x as f32).to_le_bytes().to_vec(),
        _ => x.to_le_bytes().to_vec(),
    }
}

/// A `.npy` file's bytes from a header dict's `descr` and `shape` texts and raw data.
fn raw_npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

/// An npz with one member `x` holding the `.npy` bytes as they are.
fn npz_of(npy: &[u8]) -> Vec<u8> {
    let array: NpyArray = npy::from_slice(npy).expect("the test's .npy parses");
    let mut writer = npz::Writer::new(Cursor::new(Vec::new()));
    writer.add("x", &array).unwrap();
    writer.finish().unwrap().into_inner()
}

fn dtype_cases() -> Vec<DtypeCase> {
    let mut cases = vec![
        DtypeCase {
            descr: "'|b1'".into(),
            kind: Kind::Bool,
            big_endian: false,
        },
        DtypeCase {
            descr: "'|i1'".into(),
            kind: Kind::Int {
                size: 1,
                signed: true,
            },
            big_endian: false,
        },
        DtypeCase {
            descr: "'|u1'".into(),
            kind: Kind::Int {
                size: 1,
                signed: false,
            },
            big_endian: false,
        },
    ];
    for order in ['<', '>'] {
        let big_endian = order == '>';
        for size in [2, 4, 8] {
            for (code, signed) in [('i', true), ('u', false)] {
                cases.push(DtypeCase {
                    descr: format!("'{order}{code}{size}'"),
                    kind: Kind::Int { size, signed },
                    big_endian,
                });
            }
        }
        for size in [2, 4, 8] {
            cases.push(DtypeCase {
                descr: format!("'{order}f{size}'"),
                kind: Kind::Float { size },
                big_endian,
            });
        }
        for size in [8, 16] {
            cases.push(DtypeCase {
                descr: format!("'{order}c{size}'"),
                kind: Kind::Complex { size },
                big_endian,
            });
        }
        cases.push(DtypeCase {
            descr: format!("'{order}U3'"),
            kind: Kind::Unicode(3),
            big_endian,
        });
    }
    cases.extend([
        DtypeCase {
            descr: "'|S3'".into(),
            kind: Kind::ByteStr(3),
            big_endian: false,
        },
        DtypeCase {
            descr: "'<M8[s]'".into(),
            kind: Kind::Time,
            big_endian: false,
        },
        DtypeCase {
            descr: "'<m8[s]'".into(),
            kind: Kind::Time,
            big_endian: false,
        },
        DtypeCase {
            descr: "[('a', '<i4'), ('b', '<f8')]".into(),
            kind: Kind::Rec,
            big_endian: false,
        },
    ]);
    cases
}

/// What the by-value rule for 0-d members says a value becomes in `Self`.
enum Expect<T> {
    Value(T),
    Refused,
    /// Not covered by the rule: the serde reader must agree with the typed reader.
    Unspecified,
}

trait Target: NpyElement + Clone + DeserializeOwned + PartialEq + Debug + 'static {
    const NAME: &'static str;
    fn by_value(value: &Val) -> Expect<Self>;
}

impl Target for bool {
    const NAME: &'static str = "bool";
    fn by_value(value: &Val) -> Expect<bool> {
        match value {
            Val::Bool(b) => Expect::Value(*b),
            Val::Int(_) | Val::Float(_) | Val::Complex(..) | Val::Text(_) | Val::Bytes(_) => {
                Expect::Refused
            }
            Val::Time(_) | Val::Rec(..) => Expect::Unspecified,
        }
    }
}

macro_rules! int_targets {
    ($($t:ty),*) => {$(
        impl Target for $t {
            const NAME: &'static str = stringify!($t);
            fn by_value(value: &Val) -> Expect<$t> {
                match value {
                    Val::Int(i) => match <$t>::try_from(*i) {
                        Ok(v) => Expect::Value(v),
                        Err(_) => Expect::Refused,
                    },
                    Val::Bool(_) | Val::Float(_) | Val::Complex(..) | Val::Text(_)
                    | Val::Bytes(_) => Expect::Refused,
                    Val::Time(_) | Val::Rec(..) => Expect::Unspecified,
                }
            }
        }
    )*};
}
int_targets!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Floats: integers and floats load to the nearest value; one beyond the type's range
/// must not become infinity.
macro_rules! float_targets {
    ($($t:ty => $from_f64:expr, $to_f64:expr);*) => {$(
        impl Target for $t {
            const NAME: &'static str = stringify!($t);
            fn by_value(value: &Val) -> Expect<$t> {
                let from_f64: fn(f64) -> $t = $from_f64;
                let to_f64: fn($t) -> f64 = $to_f64;
                match value {
                    // Integers to the nearest float, as serde_json does.
                    Val::Int(i) => {
                        let v = from_f64(*i as f64);
                        if to_f64(v).is_finite() {
                            Expect::Value(v)
                        } else {
                            Expect::Refused
                        }
                    }
                    Val::Float(x) => {
                        let v = from_f64(*x);
                        if to_f64(v).is_finite() {
                            Expect::Value(v)
                        } else {
                            Expect::Refused
                        }
                    }
                    Val::Bool(_) | Val::Complex(..) | Val::Text(_) | Val::Bytes(_) => {
                        Expect::Refused
                    }
                    Val::Time(_) | Val::Rec(..) => Expect::Unspecified,
                }
            }
        }
    )*};
}
float_targets!(
    f16 => f16::from_f64, f16::to_f64;
    f32 => |x| x as f32, |x| x as f64;
    f64 => |x| x, |x| x
);

macro_rules! complex_targets {
    ($($t:ty),*) => {$(
        impl Target for Complex<$t> {
            const NAME: &'static str = concat!("Complex<", stringify!($t), ">");
            fn by_value(value: &Val) -> Expect<Complex<$t>> {
                match value {
                    // Each part to the nearest, never to infinity.
                    Val::Complex(re, im) => {
                        let v = Complex::new(*re as $t, *im as $t);
                        if v.re.is_finite() && v.im.is_finite() {
                            Expect::Value(v)
                        } else {
                            Expect::Refused
                        }
                    }
                    Val::Bool(_) | Val::Text(_) | Val::Bytes(_) => Expect::Refused,
                    _ => Expect::Unspecified,
                }
            }
        }
    )*};
}
complex_targets!(f32, f64);

impl Target for String {
    const NAME: &'static str = "String";
    fn by_value(value: &Val) -> Expect<String> {
        match value {
            Val::Text(s) => Expect::Value(s.clone()),
            Val::Bytes(b) => match String::from_utf8(b.clone()) {
                Ok(s) => Expect::Value(s),
                Err(_) => Expect::Refused,
            },
            Val::Bool(_) | Val::Int(_) | Val::Float(_) | Val::Complex(..) => Expect::Refused,
            Val::Time(_) | Val::Rec(..) => Expect::Unspecified,
        }
    }
}

impl Target for Vec<u8> {
    const NAME: &'static str = "Vec<u8>";
    fn by_value(value: &Val) -> Expect<Vec<u8>> {
        match value {
            Val::Bytes(b) => Expect::Value(b.clone()),
            Val::Bool(_) | Val::Int(_) | Val::Float(_) | Val::Complex(..) => Expect::Refused,
            _ => Expect::Unspecified,
        }
    }
}

fn outcome<T: Debug>(result: &Result<T, npy_serde::Error>) -> String {
    match result {
        Ok(value) => {
            let mut text = format!("ok {value:?}");
            truncate(&mut text, 70);
            text
        }
        Err(e) => {
            let mut text = format!("refused: {e}");
            truncate(&mut text, 110);
            text
        }
    }
}

fn truncate(text: &mut String, max: usize) {
    if let Some((cut, _)) = text.char_indices().nth(max) {
        text.truncate(cut);
        text.push('…');
    }
}

fn same<T: PartialEq>(a: &Result<T, npy_serde::Error>, b: &Result<T, npy_serde::Error>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a == b,
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

/// One cell of the array matrix: a 1-D member of three values.
fn array_cell<T: Target>(case: &DtypeCase, cells: &mut usize, disagreements: &mut Vec<String>) {
    let (values, _) = case.values();
    let npy = case.npy("(3,)", &values);
    let typed = npy::from_slice::<Vec<T>>(&npy);
    let serde = from_slice::<W<Vec<T>>>(&npz_of(&npy)).map(|w| w.x);
    *cells += 1;
    if !same(&typed, &serde) {
        disagreements.push(format!(
            "{:<32} {:<13} typed {}\n{:47} serde {}",
            case.descr,
            T::NAME,
            outcome(&typed),
            "",
            outcome(&serde)
        ));
    }
}

/// One value of the 0-d matrix: the by-value rule where it applies, else the typed reader.
fn zero_d_cell<T: Target>(
    case: &DtypeCase,
    value: &Val,
    cells: &mut usize,
    disagreements: &mut Vec<String>,
) {
    let npy = case.npy("()", std::slice::from_ref(value));
    let serde = from_slice::<W<T>>(&npz_of(&npy)).map(|w| w.x);
    *cells += 1;
    let (expected, agrees) = match T::by_value(&case.stored(value)) {
        Expect::Value(v) => (
            format!("ok {v:?} (by value)"),
            serde.as_ref().is_ok_and(|s| *s == v),
        ),
        Expect::Refused => ("refused (by value)".to_string(), serde.is_err()),
        Expect::Unspecified => {
            let typed = npy::from_slice::<Vec<T>>(&npy);
            let typed_one = match typed {
                Ok(mut v) if v.len() == 1 => Ok(v.remove(0)),
                Ok(v) => panic!("a 0-d .npy read as {} values", v.len()),
                Err(e) => Err(e),
            };
            (
                format!("typed {}", outcome(&typed_one)),
                same(&typed_one, &serde),
            )
        }
    };
    if !agrees {
        disagreements.push(format!(
            "{:<32} {:<24} {:<13} expected {expected}\n{:71} serde {}",
            case.descr,
            format!("{value:?}"),
            T::NAME,
            "",
            outcome(&serde)
        ));
    }
}

macro_rules! for_each_target {
    ($f:ident, $($arg:expr),*) => {
        $f::<bool>($($arg),*);
        $f::<i8>($($arg),*);
        $f::<i16>($($arg),*);
        $f::<i32>($($arg),*);
        $f::<i64>($($arg),*);
        $f::<u8>($($arg),*);
        $f::<u16>($($arg),*);
        $f::<u32>($($arg),*);
        $f::<u64>($($arg),*);
        $f::<f16>($($arg),*);
        $f::<f32>($($arg),*);
        $f::<f64>($($arg),*);
        $f::<Complex<f32>>($($arg),*);
        $f::<Complex<f64>>($($arg),*);
        $f::<String>($($arg),*);
        $f::<Vec<u8>>($($arg),*);
    };
}

#[test]
fn typed_and_serde_readers_agree_on_every_array_cell() {
    let mut cells = 0;
    let mut disagreements = Vec::new();
    for case in dtype_cases() {
        for_each_target!(array_cell, &case, &mut cells, &mut disagreements);
    }
    assert!(
        disagreements.is_empty(),
        "{} of {cells} cells (dtype x Rust type, 1-D member of 3) disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn zero_d_members_convert_by_value() {
    let mut cells = 0;
    let mut disagreements = Vec::new();
    for case in dtype_cases() {
        let (_, zero_d) = case.values();
        for value in &zero_d {
            for_each_target!(zero_d_cell, &case, value, &mut cells, &mut disagreements);
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {cells} cells (dtype value x Rust type, 0-d member) disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
