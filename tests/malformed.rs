//! Malformed `.npy` input (NPY_FORMAT.md J and issue 2 "Bad input"): every case gives its
//! typed error with a message that says what is wrong and where, never a panic, a hang or
//! an allocation sized by the header. Good files still read through a reader that hands
//! out a random 1..n bytes at a time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{array, Array2};
use npy_serde::dtype::{DType, Endian};
use npy_serde::error::ErrorKind;
use npy_serde::npy::{self, load, read_header, Header, Version};
use npy_serde::{Error, NpyArray, ReadOptions, WriteOptions};

/// Records the largest single allocation, to prove that no allocation follows a header's
/// declared size.
struct LargestAllocation;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// A `.npy` with `text` as its header dict, padded as NumPy pads, then `data`.
fn npy(version: (u8, u8), text: &str, data: &[u8]) -> Vec<u8> {
    let encoded: Vec<u8> = if version.0 == 3 {
        text.as_bytes().to_vec()
    } else {
        text.chars().map(|c| c as u32 as u8).collect()
    };
    let prefix = if version.0 == 1 { 10 } else { 12 };
    let padded = (prefix + encoded.len() + 1).next_multiple_of(64) - prefix;
    let mut bytes = b"\x93NUMPY".to_vec();
    bytes.extend([version.0, version.1]);
    if version.0 == 1 {
        bytes.extend((padded as u16).to_le_bytes());
    } else {
        bytes.extend((padded as u32).to_le_bytes());
    }
    bytes.extend(&encoded);
    bytes.resize(prefix + padded - 1, b' ');
    bytes.push(b'\n');
    bytes.extend(data);
    bytes
}

fn v1(text: &str) -> Vec<u8> {
    npy((1, 0), text, &[0; 64])
}

/// A good file: a 2x3 `<i4` array.
fn good() -> Vec<u8> {
    npy::to_vec(&array![[1i32, 2, 3], [4, 5, 6]]).unwrap()
}

/// Reads `bytes` in the three ways a file is read (slice, stream, path) and checks that
/// each gives the same error, which `check` accepts; the path error names the file.
fn expect_error(bytes: &[u8], check: impl Fn(&ErrorKind) -> bool) -> String {
    let from_slice = npy::from_slice::<NpyArray>(bytes).unwrap_err();
    assert!(
        check(from_slice.kind()),
        "npy::from_slice gave {from_slice:?}"
    );
    let from_stream = npy::read::<NpyArray, _>(&mut &bytes[..]).unwrap_err();
    assert!(check(from_stream.kind()), "npy::read gave {from_stream:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.npy");
    std::fs::write(&path, bytes).unwrap();
    let from_file = load::<NpyArray, _>(&path).unwrap_err();
    assert_eq!(from_file.path(), Some(path.as_path()), "{from_file:?}");
    assert!(check(from_file.kind()), "load gave {from_file:?}");
    let message = from_file.to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    message
}

#[test]
fn bad_magic_strings() {
    let rest = &good()[8..];
    for magic in [
        &b"\x92NUMPY\x01\x00"[..],
        b"\x00NUMPY\x01\x00",
        b"\x93numpy\x01\x00",
        b"\x93MATLB\x01\x00",
    ] {
        let mut bytes = magic.to_vec();
        bytes.extend(rest);
        let message = expect_error(&bytes, |e| matches!(e, ErrorKind::BadMagic { .. }));
        let shown = magic[..6].escape_ascii().to_string();
        assert!(
            message.contains(&format!(
                "not a .npy or .npz file: it starts with \"{shown}\""
            )),
            "{message}"
        );
        // Alone, too.
        expect_error(magic, |e| matches!(e, ErrorKind::BadMagic { .. }));
    }
    // A correct magic string that stops before the version or length.
    for short in [
        &b"\x93NUMPY\x01"[..],
        b"\x93NUMPY",
        b"\x93NUMPY\x01\x00\x76",
    ] {
        let message = expect_error(short, |e| matches!(e, ErrorKind::Truncated { .. }));
        assert!(message.contains("truncated header"), "{message}");
    }
    // Shorter than the magic string, and empty.
    expect_error(b"\x93NU", |e| matches!(e, ErrorKind::BadMagic { .. }));
    let message = expect_error(b"", |e| matches!(e, ErrorKind::NoDataLeft));
    assert!(message.contains("no data left"), "{message}");
}

#[test]
fn bad_versions() {
    let good = good();
    for version in [[1u8, 1], [0, 0], [0, 1], [2, 2], [255, 255]] {
        let mut bytes = good.clone();
        bytes[6..8].copy_from_slice(&version);
        let message = expect_error(&bytes, |e| {
            matches!(e, ErrorKind::UnsupportedVersion { major, minor }
                if [*major, *minor] == version)
        });
        assert!(
            message.contains(&format!("version {}.{}", version[0], version[1])),
            "{message}"
        );
    }
}

/// Bad header dicts, in NumPy's order of checks, each with a phrase its message must hold.
#[test]
fn bad_header_dicts() {
    let cases: &[(&str, &str)] = &[
        // Not a dict.
        ("['descr', '<i4']", "not a dictionary"),
        ("'<i4'", "not a dictionary"),
        ("42", "not a dictionary"),
        // Missing or extra keys.
        (
            "{'descr': '<i4', 'shape': (2,)}",
            "does not contain the correct keys",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False}",
            "does not contain the correct keys",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
            "does not contain the correct keys",
        ),
        ("{}", "does not contain the correct keys"),
        // Shapes: not a tuple, negative, float, too large.
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': [2]}",
            "shape is not a tuple",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': 2}",
            "shape is not a tuple",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': (-1,)}",
            "non-negative",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2.0,)}",
            "non-negative integers: (2.0,)",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': ('2',)}",
            "shape is not a tuple",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
            "2^64",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}",
            "2^64",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': (100000000000000000000,)}",
            "shape is not a tuple",
        ),
        // fortran_order not a bool.
        (
            "{'descr': '<i4', 'fortran_order': 'False', 'shape': (2,)}",
            "fortran_order is not a valid bool",
        ),
        (
            "{'descr': '<i4', 'fortran_order': 0, 'shape': (2,)}",
            "fortran_order is not a valid bool",
        ),
        // Bad descrs.
        (
            "{'descr': 'x', 'fortran_order': False, 'shape': (2,)}",
            "descr is not a valid dtype descriptor: 'x'",
        ),
        (
            "{'descr': '<i3', 'fortran_order': False, 'shape': (2,)}",
            "'<i3'",
        ),
        (
            "{'descr': 42, 'fortran_order': False, 'shape': (2,)}",
            "descr is not a valid dtype descriptor",
        ),
        (
            "{'descr': [('a',)], 'fortran_order': False, 'shape': (2,)}",
            "descr is not a valid dtype descriptor",
        ),
        // Nothing is evaluated.
        (
            "{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,)}",
            "never evaluated",
        ),
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': (1+1,)}",
            "cannot parse the header",
        ),
        // Syntax: the byte offset is given.
        (
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2,)",
            "at byte",
        ),
        ("{'descr': '<i4' 'fortran_order': False}", "at byte"),
    ];
    for (text, phrase) in cases {
        let message = expect_error(&v1(text), |e| matches!(e, ErrorKind::InvalidHeader { .. }));
        assert!(message.contains(phrase), "{text}: {message}");
    }
}

#[test]
fn deep_nesting_is_refused_without_recursing_forever() {
    for depth in [65, 1000, 4000] {
        let descr = format!("{}'<i4'{}", "[".repeat(depth), "]".repeat(depth));
        let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (2,)}}");
        let bytes = npy((2, 0), &text, &[0; 8]);
        let message = expect_error(&bytes, |e| matches!(e, ErrorKind::InvalidHeader { .. }));
        assert!(message.contains("nesting deeper than"), "{message}");
    }
    // The same through nested records, which parse but nest too deep.
    let mut descr = "'<i4'".to_string();
    for _ in 0..100 {
        descr = format!("[('a', {descr})]");
    }
    let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (2,)}}");
    expect_error(&npy((1, 0), &text, &[0; 8]), |e| {
        matches!(e, ErrorKind::InvalidHeader { .. })
    });
}

#[test]
fn version_3_headers_must_be_utf8_and_have_no_long_suffix() {
    let mut bytes = npy(
        (3, 0),
        "{'descr': [('\u{e9}', '<i4')], 'fortran_order': False, 'shape': (1,)}",
        &[0; 4],
    );
    // Turn the UTF-8 'é' (C3 A9) into a lone latin-1 byte followed by 'x'.
    let at = bytes.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
    bytes[at] = 0xE9;
    bytes[at + 1] = b'x';
    let message = expect_error(&bytes, |e| matches!(e, ErrorKind::InvalidHeader { .. }));
    assert!(
        message.contains("UTF-8") && message.contains(&format!("offset {at}")),
        "{message}"
    );
    let long = "{'descr': '<i4', 'fortran_order': False, 'shape': (1L,)}";
    expect_error(&npy((3, 0), long, &[0; 4]), |e| {
        matches!(e, ErrorKind::InvalidHeader { .. })
    });
    let ok: Vec<i32> = npy::from_slice(&npy((1, 0), long, &[7, 0, 0, 0])).unwrap();
    assert_eq!(ok, [7]);
}

#[test]
fn header_length_beyond_the_file_and_truncated_headers() {
    let good = good();
    // Declared header length longer than the file.
    let mut bytes = good[..100].to_vec();
    bytes[8..10].copy_from_slice(&5000u16.to_le_bytes());
    let message = expect_error(&bytes, |e| {
        matches!(
            e,
            ErrorKind::Truncated {
                what: "header",
                offset: 10,
                expected: 5000,
                found: 90
            }
        )
    });
    assert!(message.contains("byte offset 10"), "{message}");
    // Cut at every length: inside the magic string, the header, then the data.
    for len in 1..good.len() {
        let err = npy::from_slice::<NpyArray>(&good[..len]).unwrap_err();
        let expected = match len {
            1..6 => matches!(err.kind(), ErrorKind::BadMagic { .. }),
            6..128 => {
                matches!(err.kind(), ErrorKind::Truncated { what, .. } if what.starts_with("header"))
            }
            _ => matches!(err.kind(), ErrorKind::Truncated { what: "data", .. }),
        };
        assert!(expected, "cut at {len}: {err:?}");
    }
    // A u32 header length of 4 GiB is refused before anything is read or allocated.
    let mut huge = b"\x93NUMPY\x02\x00".to_vec();
    huge.extend(u32::MAX.to_le_bytes());
    huge.extend(b"{'descr'");
    let message = expect_error(
        &huge,
        |e| matches!(e, ErrorKind::HeaderTooLarge { len, limit: 10_000 } if *len == u64::from(u32::MAX)),
    );
    assert!(message.contains("max_header_size"), "{message}");
}

#[test]
fn max_header_size_counts_characters_like_numpy() {
    // A version 2.0 header of exactly `total` characters, padding and newline included.
    let header_of = |total: usize, version: (u8, u8), name: &str| {
        let text =
            format!("{{'descr': [('{name}', '<i4')], 'fortran_order': False, 'shape': (1,), }}");
        let chars = text.chars().count();
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend([version.0, version.1]);
        let len_bytes = text.len() + (total - chars);
        bytes.extend((len_bytes as u32).to_le_bytes());
        bytes.extend(text.as_bytes());
        bytes.extend(std::iter::repeat_n(b' ', total - chars - 1));
        bytes.push(b'\n');
        bytes.extend([1, 0, 0, 0]);
        bytes
    };
    let at_limit: NpyArray = npy::from_slice(&header_of(10_000, (2, 0), "a")).unwrap();
    assert_eq!(at_limit.shape(), [1]);
    let message = expect_error(&header_of(10_001, (2, 0), "a"), |e| {
        matches!(
            e,
            ErrorKind::HeaderTooLarge {
                len: 10_001,
                limit: 10_000
            }
        )
    });
    assert!(
        message.contains("ReadOptions::with_max_header_size"),
        "{message}"
    );
    let raised = ReadOptions::default().with_max_header_size(10_001);
    let over: NpyArray = npy::read_with(&mut &header_of(10_001, (2, 0), "a")[..], &raised).unwrap();
    assert_eq!(over.shape(), [1]);
    // Version 3.0 counts characters, not bytes: 10000 characters of up to 4 bytes pass.
    let wide = header_of(10_000, (3, 0), "整形🎉");
    assert!(wide.len() > 10_000 + 16);
    npy::from_slice::<NpyArray>(&wide).unwrap();
    expect_error(&header_of(10_001, (3, 0), "整形🎉"), |e| {
        matches!(e, ErrorKind::HeaderTooLarge { len: 10_001, .. })
    });
}

#[test]
fn truncated_data_one_byte_short() {
    for bytes in [
        good(),
        npy::to_vec(&vec!["abc".to_string(), "de".to_string()]).unwrap(),
        npy::to_vec(&array![[1.5f64, 2.5], [3.5, 4.5]].t()).unwrap(),
        npy::to_vec_with(
            &vec![1u16, 2, 3],
            &WriteOptions::default().with_endian(Endian::Big),
        )
        .unwrap(),
    ] {
        let data_offset = read_header(&mut &bytes[..]).unwrap().data_offset;
        let expected = bytes.len() as u64 - data_offset;
        let cut = &bytes[..bytes.len() - 1];
        let message = expect_error(cut, |e| {
            matches!(e, ErrorKind::Truncated { what: "data", offset, expected: x, found }
                if *offset == data_offset && *x == expected && *found == expected - 1)
        });
        assert!(
            message.contains("truncated data")
                && message.contains(&format!("byte offset {data_offset}"))
                && message.contains("not fully written"),
            "{message}"
        );
        // Typed reads give the same error.
        let err = npy::from_slice::<Vec<f64>>(cut).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::Truncated { .. } | ErrorKind::DtypeMismatch { .. }
            ),
            "{err}"
        );
    }
}

/// The 200-byte file of the issue: a header declaring 10^11 float64s (745 GiB) over 72
/// bytes of data. Every way of reading it fails with Truncated after reading what is there.
#[test]
fn huge_declared_shape_over_a_small_file_allocates_nothing_big() {
    let mut bytes = Header::new("<f8".parse().unwrap(), vec![100_000_000_000])
        .to_bytes()
        .unwrap();
    bytes.resize(200, 0);
    assert_eq!(bytes.len(), 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("liar.npy");
    std::fs::write(&path, &bytes).unwrap();
    let is_truncated = |e: &Error| {
        matches!(
            e.kind(),
            ErrorKind::Truncated {
                what: "data",
                offset: 128,
                expected: 800_000_000_000,
                found: 72
            }
        )
    };
    let before = LARGEST.load(Ordering::Relaxed);
    assert!(is_truncated(
        &npy::from_slice::<Vec<f64>>(&bytes).unwrap_err()
    ));
    assert!(is_truncated(
        &npy::from_slice::<NpyArray>(&bytes).unwrap_err()
    ));
    assert!(is_truncated(&load::<Vec<f64>, _>(&path).unwrap_err()));
    assert!(is_truncated(
        &load::<ndarray::ArrayD<f64>, _>(&path).unwrap_err()
    ));
    assert!(is_truncated(&load::<NpyArray, _>(&path).unwrap_err()));
    // A stream of unknown length: read in bounded chunks until it runs out.
    assert!(is_truncated(
        &npy::read::<Vec<f64>, _>(&mut &bytes[..]).unwrap_err()
    ));
    assert!(is_truncated(
        &npy::read::<NpyArray, _>(&mut std::fs::File::open(&path).unwrap()).unwrap_err()
    ));
    // The same for strings, records and a huge itemsize (a shape the writer accepts: data
    // of more than 2^64 bytes cannot be written at all).
    for (descr, len) in [
        ("<U10", 100_000_000_000 / 8),
        ("[('x', '<f8'), ('y', '|S3')]", 100_000_000_000 / 8),
        ("|S1000000000000", 1000),
        ("|b1", 100_000_000_000 / 8),
    ] {
        let header = Header::new(descr.parse().unwrap(), vec![len]);
        let mut bytes = header.to_bytes().unwrap();
        bytes.extend([0; 72]);
        for err in [
            npy::from_slice::<NpyArray>(&bytes).unwrap_err(),
            npy::read::<NpyArray, _>(&mut &bytes[..]).unwrap_err(),
        ] {
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::Truncated { found: 72, .. } | ErrorKind::InvalidHeader { .. }
                ),
                "{descr}: {err}"
            );
        }
    }
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest.max(before) < 64 << 20,
        "an allocation of {largest} bytes was made"
    );
}

/// A reader that returns a pseudo-random 1..=max bytes per call.
struct Dribble<'a> {
    bytes: &'a [u8],
    state: u64,
    max: usize,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.state = self
            .state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let want = 1 + (self.state >> 33) as usize % self.max;
        let n = want.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn good_files_read_through_a_reader_that_returns_a_few_bytes_at_a_time() {
    let matrix: Array2<f64> = Array2::from_shape_fn((40, 30), |(i, j)| (i * 30 + j) as f64);
    let big = WriteOptions::default().with_endian(Endian::Big);
    let record = NpyArray::from_raw(
        "[('x', '>f8'), ('pad', '|V3'), ('s', '<U2')]"
            .parse()
            .unwrap(),
        vec![3],
        false,
        (0..3 * 19)
            .map(|i| if i % 19 >= 11 { 0 } else { i as u8 })
            .collect(),
    )
    .unwrap();
    let v3 = NpyArray::from_raw(
        "[('整形', '<i4')]".parse().unwrap(),
        vec![2],
        false,
        vec![1, 0, 0, 0, 2, 0, 0, 0],
    )
    .unwrap();
    let mut stream = Vec::new();
    npy::write(&mut stream, &matrix).unwrap();
    npy::write(&mut stream, &matrix.t()).unwrap();
    npy::write_with(&mut stream, &vec![1i32, -2, 3], &big).unwrap();
    npy::write(&mut stream, &vec!["héllo".to_string(), String::new()]).unwrap();
    npy::write(&mut stream, &record).unwrap();
    npy::write(&mut stream, &v3).unwrap();
    for (seed, max) in [(1, 1), (2, 2), (3, 7), (4, 64), (5, 1000), (6, 100_000)] {
        let mut reader = Dribble {
            bytes: &stream,
            state: seed,
            max,
        };
        let a: Array2<f64> = npy::read(&mut reader).unwrap();
        assert_eq!(a, matrix);
        let b: Array2<f64> = npy::read(&mut reader).unwrap();
        assert_eq!(b, matrix.t());
        let c: Vec<i64> = npy::read(&mut reader).unwrap();
        assert_eq!(c, [1, -2, 3]);
        let d: Vec<String> = npy::read(&mut reader).unwrap();
        assert_eq!(d, ["héllo", ""]);
        let e: NpyArray = npy::read(&mut reader).unwrap();
        assert_eq!(e, record);
        let f: NpyArray = npy::read(&mut reader).unwrap();
        assert_eq!(f, v3);
        let end = npy::read::<NpyArray, _>(&mut reader).unwrap_err();
        assert!(matches!(end.kind(), ErrorKind::NoDataLeft), "{end}");
    }
    // Headers alone, too, in every version.
    let header = read_header(&mut Dribble {
        bytes: &npy::to_vec(&v3).unwrap(),
        state: 9,
        max: 3,
    })
    .unwrap();
    assert_eq!(header.version, Version::V3);
    assert_eq!(header.header.dtype, *v3.dtype());
}

#[test]
fn unknown_descrs_parsed_alone_say_what_is_wrong() {
    for (descr, phrase) in [
        ("x", "\"x\""),
        ("<i3", "<i3"),
        ("<M8[fortnight]", "fortnight"),
    ] {
        let err = descr.parse::<DType>().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidDescr { .. }),
            "{descr}: {err:?}"
        );
        assert!(err.to_string().contains(phrase), "{descr}: {err}");
    }
}
