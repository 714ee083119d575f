//! Tests of the `.npy` header: NumPy's exact bytes, growth padding, versions, limits and hostile headers.

use super::*;
use crate::dtype::Endian;

fn header(descr: &str, shape: &[usize], fortran_order: bool) -> Header {
    Header {
        dtype: descr.parse().unwrap(),
        shape: shape.to_vec(),
        fortran_order,
    }
}

#[test]
fn writes_numpy_arange_header_byte_for_byte() {
    let bytes = header("<i8", &[10], false).to_bytes().unwrap();
    let mut expected =
        b"\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (10,), }"
            .to_vec();
    expected.extend(std::iter::repeat_n(b' ', 59));
    expected.push(b'\n');
    assert_eq!(bytes, expected);
    assert_eq!(bytes.len(), 128);
}

#[test]
fn fortran_order_only_for_arrays_that_are_not_also_c_contiguous() {
    for shape in [
        &[][..],
        &[64],
        &[100, 1],
        &[1, 5, 1],
        &[0, 3],
        &[3, 0, 2],
        &[1],
    ] {
        assert!(!numpy_fortran_order(shape, true), "{shape:?}");
    }
    for shape in [&[2, 3][..], &[3, 1, 2]] {
        assert!(numpy_fortran_order(shape, true), "{shape:?}");
        assert!(!numpy_fortran_order(shape, false), "{shape:?}");
    }
}

#[test]
fn more_than_64_dimensions_are_refused_as_numpy_does() {
    let text = |dims: usize, descr: &str| {
        let shape = vec!["1"; dims].join(", ");
        format!("{{'descr': {descr}, 'fortran_order': False, 'shape': ({shape},), }}")
    };
    assert_eq!(read(&v1(&text(64, "'<f8'"))).unwrap().shape.len(), 64);
    for bad in [
        text(65, "'<f8'"),
        text(3000, "'<f8'"),
        text(63, "('<f8', (1, 1))"),
    ] {
        let err = read(&v1(&bad)).unwrap_err().to_string();
        assert!(err.contains("more than the 64"), "{err}");
    }
    assert!(header("<f8", &[1; 65], false).to_bytes().is_err());
}

#[test]
fn zero_d_and_record_header_lengths() {
    assert_eq!(header("<f8", &[], false).to_bytes().unwrap().len(), 128);
    let record = header(
        "[('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))]",
        &[2],
        false,
    );
    let bytes = record.to_bytes().unwrap();
    assert_eq!(bytes.len(), 192);
    assert!(bytes.starts_with(b"\x93NUMPY\x01\x00\xb6\x00{'descr': [('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))], 'fortran_order': False, 'shape': (2,), }"));
}

#[test]
fn growth_padding_keeps_header_length_constant() {
    for fortran in [false, true] {
        let mut n = 1usize;
        loop {
            let shape = if fortran { vec![3, n] } else { vec![n, 3] };
            let h = header("<f8", &shape, fortran);
            if h.data_len().is_err() {
                break;
            }
            let len = h.to_bytes().unwrap().len();
            assert!(len == 128 || len == 192, "{shape:?}: {len}");
            assert_eq!(len, header("<f8", &[1, 3], false).to_bytes().unwrap().len());
            match n.checked_mul(10) {
                Some(next) => n = next,
                None => break,
            }
        }
    }
}

#[test]
fn version_choice_follows_numpy() {
    let latin1 = header("[('é', '<i4')]", &[1], false).to_bytes().unwrap();
    assert_eq!(&latin1[6..8], &[1, 0]);
    assert!(latin1.windows(2).any(|w| w == b"'\xe9"));
    let cjk = header("[('整形', '<i4')]", &[1], false).to_bytes().unwrap();
    assert_eq!(&cjk[6..8], &[3, 0]);
    assert!(cjk.windows(6).any(|w| w == "整形".as_bytes()));
    let many: String = (0..500)
        .map(|i| format!("('{}{i:03}', '<i4')", "x".repeat(147)))
        .collect::<Vec<_>>()
        .join(", ");
    let big = header(&format!("[{many}]"), &[1], false);
    let bytes = big.to_bytes().unwrap();
    assert_eq!(&bytes[6..8], &[2, 0]);
    assert_eq!(bytes.len() % 64, 0);
    assert!(big.to_bytes_with_version(Version::V1).is_err());
    assert!(header("[('整形', '<i4')]", &[1], false)
        .to_bytes_with_version(Version::V2)
        .is_err());
}

#[test]
fn reads_what_it_writes() {
    for h in [
        header("<i8", &[10], false),
        header(">f4", &[3, 5], true),
        header("<U10", &[], false),
        header("[('整形', '<i4')]", &[1], false),
    ] {
        let bytes = h.to_bytes().unwrap();
        let info = read_header(&mut &bytes[..], DEFAULT_MAX_HEADER_SIZE).unwrap();
        assert_eq!(info.header, h);
        assert_eq!(info.data_offset, bytes.len() as u64);
    }
}

fn v1(text: &str) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

fn read(bytes: &[u8]) -> Result<Header> {
    read_header(&mut &bytes[..], DEFAULT_MAX_HEADER_SIZE).map(|info| info.header)
}

#[test]
fn lenient_reading_of_old_and_hand_written_headers() {
    let h = read(&v1(
        "{\"shape\": [2, 3], u'fortran_order': True,\n 'descr': 'f8',}",
    ));
    // A list for the shape is rejected, as NumPy does.
    assert!(h.is_err());
    let h = read(&v1(
        "{\"shape\": (2L, 3L), u'fortran_order': True,\n 'descr': '<f8',}\n",
    ))
    .unwrap();
    assert_eq!(h.shape, [2, 3]);
    assert!(h.fortran_order);
    assert_eq!(h.dtype.endian(), Endian::Little);
    // Old 16-byte alignment, no padding, no final newline.
    assert!(read(&v1("{'descr':'<i4','fortran_order':False,'shape':()}")).is_ok());
}

#[test]
fn shapes_too_big_even_with_a_zero_dimension_are_refused_as_numpy_does() {
    let err = read(&v1(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776)}",
    ))
    .unwrap_err();
    assert!(err.to_string().contains("2^64"), "{err}");
    let empty = read(&v1(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776)}",
    ))
    .unwrap();
    assert_eq!(empty.data_len().unwrap(), 0);
}

#[test]
fn bad_magic_and_versions() {
    for bad in [
        &b"\x92NUMPY\x01\x00"[..],
        b"\x00NUMPY\x01\x00",
        b"\x93numpy\x01\x00",
        b"\x93MATLB\x01\x00",
    ] {
        assert!(
            matches!(
                read(bad).map_err(Error::into_kind),
                Err(ErrorKind::BadMagic { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        read(b"\x93NUMPY\x01").map_err(Error::into_kind),
        Err(ErrorKind::Truncated { .. })
    ));
    assert!(matches!(
        read(b"\x93NUMPY").map_err(Error::into_kind),
        Err(ErrorKind::Truncated { .. })
    ));
    assert!(matches!(
        read(b"").map_err(Error::into_kind),
        Err(ErrorKind::NoDataLeft)
    ));
    for version in [[1u8, 1], [0, 0], [0, 1], [2, 2], [255, 255]] {
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend_from_slice(&version);
        bytes.extend_from_slice(&[0; 8]);
        assert!(
            matches!(
                read(&bytes).map_err(Error::into_kind),
                Err(ErrorKind::UnsupportedVersion { .. })
            ),
            "{version:?}"
        );
    }
}

#[test]
fn bad_headers_say_what_is_wrong() {
    for (text, expected) in [
        ("[1, 2]", "not a dictionary"),
        ("{'descr': '<i4', 'shape': ()}", "correct keys"),
        ("{'descr': '<i4', 'fortran_order': False, 'shape': (), 'x': 1}", "correct keys"),
        ("{'descr': '<i4', 'fortran_order': False, 'shape': 3}", "shape"),
        ("{'descr': '<i4', 'fortran_order': False, 'shape': (2.0,)}", "shape"),
        ("{'descr': '<i4', 'fortran_order': False, 'shape': (-1,)}", "shape"),
        ("{'descr': '<i4', 'fortran_order': 0, 'shape': ()}", "fortran_order"),
        ("{'descr': 'x', 'fortran_order': False, 'shape': ()}", "descr"),
        ("{'descr': '<i4', 'fortran_order': False, 'shape': (2**64,)}", "cannot parse"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}", "2^64"),
        ("{'descr': __import__('os'), 'fortran_order': False, 'shape': ()}", "cannot parse"),
    ] {
        let err = read(&v1(text)).unwrap_err().to_string();
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn header_size_limit_is_checked_before_reading() {
    let text = format!(
        "{{'descr': '<i4', 'fortran_order': False, 'shape': (), }}{}",
        " ".repeat(9945)
    );
    let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
    bytes.extend_from_slice(&(text.len() as u32 + 1).to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'\n');
    assert_eq!(text.len() + 1, 10_001);
    let err = read_header(&mut &bytes[..], 10_000).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::HeaderTooLarge { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("max_header_size"));
    assert!(read_header(&mut &bytes[..], 10_001).is_ok());
    // A declared length far beyond the data is refused before any allocation.
    let mut huge = b"\x93NUMPY\x02\x00".to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        read(&huge).map_err(Error::into_kind),
        Err(ErrorKind::HeaderTooLarge { .. })
    ));
    // And within the limit, a short file is truncated, not a huge allocation.
    assert!(matches!(
        read_header(&mut &huge[..], usize::MAX).map_err(Error::into_kind),
        Err(ErrorKind::Truncated { what: "header", .. })
    ));
}

#[test]
fn headers_whose_data_size_overflows_are_not_written() {
    // Found by tests/properties.rs: such a header was written but could not be read.
    let h = header("|b1", &[1 << 20, (1 << 24) - 1, (1 << 24) - 1], false);
    let err = h.to_bytes().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unwritable { .. }), "{err}");
    assert!(err.to_string().contains("2^64"), "{err}");
    let h = header("<f8", &[1 << 62], false);
    assert!(h.to_bytes_with_version(Version::V1).is_err());
    assert!(header("<f8", &[1 << 60], false).to_bytes().is_ok());
}

#[test]
fn version_3_needs_utf8() {
    let mut bytes = b"\x93NUMPY\x03\x00".to_vec();
    let text = b"{'descr': [('\xff', '<i4')], 'fortran_order': False, 'shape': (), }\n";
    bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
    bytes.extend_from_slice(text);
    let err = read(&bytes).unwrap_err().to_string();
    assert!(err.contains("UTF-8"), "{err}");
}

#[test]
fn subarray_descr_at_top_level_folds_into_the_shape() {
    let h = read(&v1(
        "{'descr': ('<f8', (3,)), 'fortran_order': False, 'shape': (2,)}",
    ))
    .unwrap();
    assert_eq!(h.shape, [2, 3]);
    assert_eq!(h.dtype.to_string(), "'<f8'");
    let nested = read(&v1(
        "{'descr': (('<f8', (5,)), (3,)), 'fortran_order': False, 'shape': (2,)}",
    ))
    .unwrap();
    assert_eq!(nested.shape, [2, 3, 5]);
    assert_eq!(nested.dtype.to_string(), "'<f8'");
}
