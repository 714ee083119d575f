//! Property tests of the `.npy` core: dtype descrs and headers round-trip through their
//! text, typed arrays of every numeric type round-trip in any shape, order and byte order,
//! the dynamic `NpyArray` saves back byte for byte, and hostile input (arbitrary text and
//! bytes, truncated files) gives errors, never panics.
//!
//! Case counts are kept small enough for CI (a few seconds each); raise them with
//! `PROPTEST_CASES=10000 cargo test --release --test npy properties::` for a deeper
//! search.

use half::f16;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use num_complex::Complex;
use proptest::prelude::*;

use npy_serde::dtype::{DType, Endian, Field, Record};
use npy_serde::element::FixedElement;
use npy_serde::npy::{self, read_header, Header, HeaderInfo};
use npy_serde::{NpyArray, ReadOptions, WriteOptions};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Dtypes

fn order() -> impl Strategy<Value = char> {
    prop_oneof![Just('<'), Just('>')]
}

/// Every plain dtype kind NumPy writes, in both byte orders, parsed from its type string.
fn plain_dtype() -> impl Strategy<Value = DType> {
    let unit = prop_oneof![
        Just(String::new()),
        prop::sample::select(vec![
            "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"
        ])
        .prop_flat_map(|code| {
            prop_oneof![Just(1u32), 2u32..1000].prop_map(move |n| {
                if n == 1 {
                    format!("[{code}]")
                } else {
                    format!("[{n}{code}]")
                }
            })
        }),
    ];
    let text = prop_oneof![
        Just("|b1".to_string()),
        Just("|i1".to_string()),
        Just("|u1".to_string()),
        (
            order(),
            prop::sample::select(vec!["i2", "i4", "i8", "u2", "u4", "u8"])
        )
            .prop_map(|(o, t)| format!("{o}{t}")),
        (order(), prop::sample::select(vec!["f2", "f4", "f8", "f16"]))
            .prop_map(|(o, t)| format!("{o}{t}")),
        (order(), prop::sample::select(vec!["c8", "c16", "c32"]))
            .prop_map(|(o, t)| format!("{o}{t}")),
        (0usize..40).prop_map(|n| format!("|S{n}")),
        (order(), 0usize..40).prop_map(|(o, n)| format!("{o}U{n}")),
        (1usize..40).prop_map(|n| format!("|V{n}")),
        (order(), prop_oneof![Just('M'), Just('m')], unit)
            .prop_map(|(o, kind, unit)| format!("{o}{kind}8{unit}")),
    ];
    text.prop_map(|text| {
        text.parse::<DType>()
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    })
}

/// Field names and titles with the characters that make `repr` work: quotes, backslashes,
/// control characters, non-ASCII.
fn name_text() -> impl Strategy<Value = String> {
    "[a-zA-Z_'\"\\\\ \t\né整\u{1F600}\u{7f}\u{0}]{0,6}"
}

fn subarray_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..4, 1..3)
}

/// A record: nested records, subarray fields, titles, gaps between fields and trailing
/// padding, with field offsets in increasing order as NumPy's list descr requires.
fn record_dtype(inner: BoxedStrategy<DType>) -> impl Strategy<Value = DType> {
    let field = (
        name_text(),
        prop::option::of(name_text()),
        inner,
        prop::option::of(subarray_shape()),
        0usize..4,
    );
    (prop::collection::vec(field, 0..5), 0usize..4).prop_map(|(fields, tail)| {
        let mut offset = 0;
        let fields: Vec<Field> = fields
            .into_iter()
            .enumerate()
            .map(|(i, (name, title, dtype, shape, gap))| {
                // Names must be unique and non-empty (an empty name is padding).
                let name = format!("{name}{i}");
                let title = title.map(|t| format!("{t}#t{i}"));
                let dtype = match shape {
                    Some(shape) if !matches!(dtype, DType::SubArray { .. }) => DType::SubArray {
                        base: Box::new(dtype),
                        shape,
                    },
                    _ => dtype,
                };
                offset += gap;
                let field = Field {
                    name,
                    title,
                    dtype,
                    offset,
                };
                offset += field.dtype.itemsize();
                field
            })
            .collect();
        DType::Record(Record {
            fields,
            itemsize: offset + tail,
        })
    })
}

fn any_dtype() -> impl Strategy<Value = DType> {
    plain_dtype().prop_recursive(3, 24, 5, |inner| record_dtype(inner.boxed()))
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn dtype_descr_text_round_trips(dtype in any_dtype()) {
        let text = dtype.to_string();
        let back: DType = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(&back, &dtype, "{}", text);
        prop_assert_eq!(back.itemsize(), dtype.itemsize());
        // Byte order changes are lossless and reversible on every part.
        let swapped = dtype.with_endian(Endian::Big).with_endian(Endian::Little);
        prop_assert_eq!(swapped.with_endian(Endian::Big), dtype.with_endian(Endian::Big));
    }
}

// ---------------------------------------------------------------------------------------
// Headers

fn header() -> impl Strategy<Value = Header> {
    let shape = prop::collection::vec(
        prop_oneof![0usize..20, Just(1 << 20), Just(usize::MAX >> 40)],
        0..4,
    );
    (any_dtype(), shape, any::<bool>()).prop_map(|(dtype, shape, fortran_order)| Header {
        dtype,
        shape,
        fortran_order,
    })
}

/// The header dict as a person or an old writer might have written it: keys in any order,
/// either quote style for keys, any spacing, an optional trailing comma, lists accepted
/// nowhere NumPy refuses them.
fn hand_written_header_text(
    header: &Header,
    key_order: &[usize],
    double_quotes: bool,
    spacing: &str,
    trailing_comma: bool,
) -> String {
    let shape = match header.shape.as_slice() {
        [one] => format!("({one},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(&format!(",{spacing}"))
        ),
    };
    let q = if double_quotes { '"' } else { '\'' };
    let entries = [
        format!("{q}descr{q}:{spacing}{}", header.dtype),
        format!(
            "{q}fortran_order{q}:{spacing}{}",
            if header.fortran_order {
                "True"
            } else {
                "False"
            }
        ),
        format!("{q}shape{q}:{spacing}{shape}"),
    ];
    let body: Vec<&str> = key_order.iter().map(|&i| entries[i].as_str()).collect();
    let comma = if trailing_comma { "," } else { "" };
    format!(
        "{spacing}{{{spacing}{}{comma}{spacing}}}{spacing}\n",
        body.join(&format!(",{spacing}"))
    )
}

/// The header of `bytes`, read without a limit on its size.
fn read_header_unlimited(bytes: &[u8]) -> npy_serde::Result<HeaderInfo> {
    let options = ReadOptions::default().with_max_header_size(usize::MAX);
    npy::read_header_with(&mut &bytes[..], &options)
}

/// The `fortran_order` flag `np.save` writes for data of `shape` in column-major order when
/// `column_major` is true: `True` only for data that is F-contiguous and not also
/// C-contiguous (data with at most one dimension longer than 1, or no elements, is both).
fn numpy_fortran_order(shape: &[usize], column_major: bool) -> bool {
    let both_orders = shape.contains(&0) || shape.iter().filter(|&&dim| dim > 1).count() <= 1;
    column_major && !both_orders
}

fn with_prefix(text: &[u8], major: u8) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY".to_vec();
    bytes.extend_from_slice(&[major, 0]);
    if major == 1 {
        bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
    } else {
        bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
    }
    bytes.extend_from_slice(text);
    bytes
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn written_headers_read_back(header in header()) {
        let Ok(bytes) = header.to_bytes() else {
            // Only an overflowing data size may be refused.
            prop_assert!(header.data_len().is_err());
            return Ok(());
        };
        prop_assert_eq!(bytes.len() % 64, 0);
        let info = read_header_unlimited(&bytes)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(info.header, header);
        prop_assert_eq!(info.data_offset, bytes.len() as u64);
    }

    #[test]
    fn hand_written_header_text_reads(
        header in header(),
        key_order in Just(vec![0usize, 1, 2]).prop_shuffle(),
        double_quotes in any::<bool>(),
        spacing in "[ \n\t]{0,2}",
        trailing_comma in any::<bool>(),
        major in 1u8..=3,
    ) {
        prop_assume!(header.data_len().is_ok());
        let text = hand_written_header_text(&header, &key_order, double_quotes, &spacing, trailing_comma);
        // Versions 1.0 and 2.0 are latin-1: only headers whose text is latin-1 fit.
        prop_assume!(major == 3 || text.chars().all(|c| (c as u32) < 256));
        // Versions 1.0 and 2.0 store each character as one latin-1 byte.
        let raw: Vec<u8> = if major == 3 {
            text.as_bytes().to_vec()
        } else {
            text.chars().map(|c| c as u32 as u8).collect()
        };
        prop_assume!(major != 1 || raw.len() <= u16::MAX as usize);
        let mut bytes = with_prefix(&raw, major);
        let info = read_header_unlimited(&bytes)
            .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(info.header, header);
        prop_assert_eq!(info.data_offset, bytes.len() as u64);
        bytes.push(b'x');
        let info = read_header_unlimited(&bytes).unwrap();
        prop_assert_eq!(info.data_offset, bytes.len() as u64 - 1);
    }
}

// ---------------------------------------------------------------------------------------
// Typed arrays

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..5, 0..4)
}

/// Writes `values` with `shape` in C or F order and the given byte order, reads the file
/// back as `ArrayD<T>` and as a dynamic `NpyArray`, and checks both.
fn check_typed_round_trip<T>(
    values: Vec<T>,
    shape: Vec<usize>,
    fortran: bool,
    endian: Endian,
) -> Result<(), TestCaseError>
where
    T: FixedElement + Clone + PartialEq + std::fmt::Debug,
{
    let count: usize = shape.iter().product();
    let values: Vec<T> = values.into_iter().cycle().take(count).collect();
    prop_assume!(values.len() == count);
    let array = ArrayD::from_shape_vec(IxDyn(&shape).set_f(fortran), values).unwrap();
    let bytes = npy::to_vec_with(&array, &WriteOptions::default().with_endian(endian)).unwrap();

    let info = read_header(&mut &bytes[..]).unwrap();
    let expect_fortran = shape.len() > 1 && !array.is_standard_layout();
    prop_assert_eq!(info.header.fortran_order, expect_fortran);
    prop_assert_eq!(info.header.dtype.clone(), T::dtype().with_endian(endian));
    prop_assert_eq!(&info.header.shape, &shape);

    let back: ArrayD<T> = npy::from_slice(&bytes).unwrap();
    prop_assert_eq!(&back, &array);
    let streamed: ArrayD<T> = npy::read(&mut &bytes[..]).unwrap();
    prop_assert_eq!(&streamed, &array);
    let flat: Vec<T> = npy::from_slice(&bytes).unwrap();
    prop_assert_eq!(flat, array.iter().cloned().collect::<Vec<_>>());

    let dynamic: NpyArray = npy::from_slice(&bytes).unwrap();
    prop_assert_eq!(npy::to_vec(&dynamic).unwrap(), bytes.clone());
    prop_assert_eq!(dynamic.to_array::<T>().unwrap(), array.clone());

    // A strided view is written in C order and reads back equal.
    if shape.first().is_some_and(|&n| n > 1) {
        let view = array.slice_each_axis(|axis| {
            if axis.axis.index() == 0 {
                ndarray::Slice::new(0, None, 2)
            } else {
                ndarray::Slice::from(..)
            }
        });
        let bytes = npy::to_vec(&view).unwrap();
        let back: ArrayD<T> = npy::from_slice(&bytes).unwrap();
        prop_assert_eq!(back, view.to_owned());
    }
    Ok(())
}

fn endian() -> impl Strategy<Value = Endian> {
    prop_oneof![Just(Endian::Little), Just(Endian::Big)]
}

/// Floats without NaN, so that arrays compare equal; signed zeros, subnormals and
/// infinities included.
fn f64s() -> impl Strategy<Value = f64> {
    prop::num::f64::ANY.prop_filter("not NaN", |x| !x.is_nan())
}

fn f32s() -> impl Strategy<Value = f32> {
    prop::num::f32::ANY.prop_filter("not NaN", |x| !x.is_nan())
}

macro_rules! typed_round_trips {
    ($($name:ident: $t:ty = $values:expr;)*) => {
        proptest! {
            #![proptest_config(config(64))]
            $(
                #[test]
                fn $name(
                    values in prop::collection::vec($values, 1..40),
                    shape in shape(),
                    fortran in any::<bool>(),
                    endian in endian(),
                ) {
                    check_typed_round_trip::<$t>(values, shape, fortran, endian)?;
                }
            )*
        }
    };
}

typed_round_trips! {
    round_trip_bool: bool = any::<bool>();
    round_trip_i8: i8 = any::<i8>();
    round_trip_i16: i16 = any::<i16>();
    round_trip_i32: i32 = any::<i32>();
    round_trip_i64: i64 = any::<i64>();
    round_trip_u8: u8 = any::<u8>();
    round_trip_u16: u16 = any::<u16>();
    round_trip_u32: u32 = any::<u32>();
    round_trip_u64: u64 = any::<u64>();
    round_trip_f16: f16 = any::<u16>().prop_map(f16::from_bits).prop_filter("not NaN", |x| !x.is_nan());
    round_trip_f32: f32 = f32s();
    round_trip_f64: f64 = f64s();
    round_trip_c64: Complex<f32> = (f32s(), f32s()).prop_map(|(re, im)| Complex::new(re, im));
    round_trip_c128: Complex<f64> = (f64s(), f64s()).prop_map(|(re, im)| Complex::new(re, im));
}

proptest! {
    #![proptest_config(config(64))]

    /// Strings: the width written is the longest item's (at least 1), and items come back
    /// without the NUL padding (trailing NULs are lost, as in NumPy).
    #[test]
    fn strings_round_trip(
        strings in prop::collection::vec("[a-zé整\u{1F600} ]{0,8}", 0..20),
        endian in endian(),
    ) {
        let bytes = npy::to_vec_with(&strings, &WriteOptions::default().with_endian(endian)).unwrap();
        let back: Vec<String> = npy::from_slice(&bytes).unwrap();
        prop_assert_eq!(&back, &strings);
        let chars = strings.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        let info = read_header(&mut &bytes[..]).unwrap();
        // NumPy gives empty and all-empty string arrays the width 1.
        prop_assert_eq!(info.header.dtype.itemsize(), 4 * chars.max(1));
        let dynamic: NpyArray = npy::from_slice(&bytes).unwrap();
        prop_assert_eq!(npy::to_vec(&dynamic).unwrap(), bytes);

        let raw: Vec<Vec<u8>> = strings.iter().map(|s| s.as_bytes().to_vec()).collect();
        let bytes = npy::to_vec(&raw).unwrap();
        prop_assert_eq!(npy::from_slice::<Vec<Vec<u8>>>(&bytes).unwrap(), raw);
    }

    /// Any dtype (records included), any small shape, random data bytes: the dynamic
    /// array loads and saves back to the same bytes, but for the `fortran_order` flag of
    /// data that is in C order too (at most one dimension longer than 1, or no elements),
    /// which is written `False`, as np.save writes it.
    #[test]
    fn dynamic_arrays_save_back_byte_for_byte(
        dtype in any_dtype(),
        shape in shape(),
        fortran_order in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let header = Header { dtype, shape, fortran_order };
        let len = header.data_len().unwrap();
        prop_assume!(len <= 1 << 16);
        let mut state = seed | 1;
        let data: Vec<u8> = (0..len).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        }).collect();
        let mut bytes = header.to_bytes().unwrap();
        bytes.extend_from_slice(&data);
        let array: NpyArray = npy::from_slice(&bytes).unwrap();
        let saved_header = Header {
            fortran_order: numpy_fortran_order(&header.shape, fortran_order),
            ..header.clone()
        };
        prop_assert_eq!(array.header(), saved_header.clone());
        let mut expected = saved_header.to_bytes().unwrap();
        expected.extend_from_slice(&data);
        prop_assert_eq!(npy::to_vec(&array).unwrap(), expected);
    }
}

// ---------------------------------------------------------------------------------------
// Hostile input

/// Text close enough to header syntax to get deep into the parsers.
fn header_like_text() -> impl Strategy<Value = String> {
    "[{}()\\[\\],:'\"\\\\ \nuLxTrueFalseNone0-9<>|=!fiuVSUMmbc_.e+\u{e9}\u{6574}-]{0,80}"
}

/// The `.npy` files the truncation test cuts: every kind of data path.
fn valid_file() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (prop::collection::vec(any::<f64>(), 0..10), endian()).prop_map(|(v, e)| {
            npy::to_vec_with(&v, &WriteOptions::default().with_endian(e)).unwrap()
        }),
        prop::collection::vec("[a-z整]{0,4}", 0..6).prop_map(|v| npy::to_vec(&v).unwrap()),
        prop::collection::vec(any::<[i16; 3]>(), 0..5).prop_map(|v| npy::to_vec(&v).unwrap()),
        (any_dtype(), shape(), any::<bool>()).prop_filter_map(
            "data too large",
            |(dtype, shape, fortran_order)| {
                let header = Header {
                    dtype,
                    shape,
                    fortran_order,
                };
                let len = header.data_len().ok().filter(|&len| len <= 4096)?;
                let mut bytes = header.to_bytes().ok()?;
                bytes.resize(bytes.len() + len as usize, 0x41);
                Some(bytes)
            }
        ),
    ]
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn dtype_parser_never_panics(text in prop_oneof![any::<String>(), header_like_text()]) {
        if let Ok(dtype) = text.parse::<DType>() {
            let _ = (dtype.itemsize(), dtype.to_string());
        }
    }

    #[test]
    fn header_reader_never_panics(
        major in 0u8..=4,
        text in prop_oneof![any::<String>(), header_like_text()],
        tail in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = with_prefix(text.as_bytes(), major.max(1));
        bytes[6] = major;
        bytes.extend_from_slice(&tail);
        let _ = read_header(&mut &bytes[..]);
        let _ = npy::from_slice::<NpyArray>(&bytes);
        let _ = npy::from_slice::<Vec<f64>>(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = read_header(&mut &bytes[..]);
        let _ = npy::from_slice::<NpyArray>(&bytes);
        let _ = npy::from_slice::<Vec<String>>(&bytes);
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn every_truncation_is_an_error(bytes in valid_file()) {
        prop_assert!(npy::from_slice::<NpyArray>(&bytes).is_ok());
        for cut in 0..bytes.len() {
            let short = &bytes[..cut];
            prop_assert!(npy::from_slice::<NpyArray>(short).is_err(), "cut at {}", cut);
            prop_assert!(npy::read::<NpyArray, _>(&mut &short[..]).is_err(), "cut at {}", cut);
            let _ = npy::from_slice::<Vec<f64>>(short);
            let _ = npy::from_slice::<Vec<String>>(short);
        }
    }
}
