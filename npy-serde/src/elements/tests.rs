//! Tests of the element types: byte orders, widening, strings, subarrays, truncated input.

use super::*;

fn round_trip<T: NpyElement + PartialEq + std::fmt::Debug>(values: &[T], dtype: &DType) {
    let mut bytes = Vec::new();
    T::write_values(values, dtype, &mut bytes).unwrap();
    assert_eq!(bytes.len(), values.len() * dtype.itemsize());
    let mut reader = &bytes[..];
    let mut data = DataReader::new(&mut reader, 0, None);
    let back = T::read_values(dtype, values.len(), &mut data).unwrap();
    assert_eq!(back, values);
    let decoded = T::decode(dtype, &bytes, dtype.itemsize(), values.len()).unwrap();
    assert_eq!(decoded, values);
}

#[test]
fn large_reads_come_back_whole() {
    let bytes: Vec<u8> = (0..(5 << 20) + 1).map(|i| i as u8).collect();
    let mut reader = &bytes[..];
    let mut data = DataReader::new(&mut reader, 0, Some(bytes.len() as u64));
    assert_eq!(data.read_bytes(bytes.len(), 1).unwrap(), bytes);
}

#[test]
fn numbers_round_trip_in_both_byte_orders() {
    for endian in [Endian::Little, Endian::Big] {
        round_trip(&[1i16, -2, 300], &i16::dtype().with_endian(endian));
        round_trip(&[1.5f64, -2.25], &f64::dtype().with_endian(endian));
        round_trip(&[f16::from_f32(0.5)], &f16::dtype().with_endian(endian));
        round_trip(
            &[Complex::new(1.0f32, -2.0)],
            &<Complex<f32>>::dtype().with_endian(endian),
        );
        round_trip(&[u64::MAX, 7], &u64::dtype().with_endian(endian));
    }
    round_trip(&[true, false, true], &DType::Bool);
}

#[test]
fn big_endian_bytes_are_big_endian() {
    let mut bytes = Vec::new();
    i32::write_values(&[1, 2], &"'>i4'".parse().unwrap(), &mut bytes).unwrap();
    assert_eq!(bytes, [0, 0, 0, 1, 0, 0, 0, 2]);
}

#[test]
fn widening_is_lossless_and_narrowing_refused() {
    let bytes: Vec<u8> = [1i32, -5].iter().flat_map(|x| x.to_be_bytes()).collect();
    let dtype: DType = ">i4".parse().unwrap();
    assert_eq!(i64::decode(&dtype, &bytes, 4, 2).unwrap(), [1, -5]);
    assert_eq!(f64::decode(&dtype, &bytes, 4, 2).unwrap(), [1.0, -5.0]);
    let err = i16::check_readable(&dtype).unwrap_err().to_string();
    assert!(err.contains("'>i4'") && err.contains("int16"), "{err}");
    assert!(f32::check_readable(&dtype).is_err());
    assert!(u64::check_readable(&"<i1".parse().unwrap()).is_err());
}

#[test]
fn strings_use_the_longest_width_and_strip_nul() {
    let values = vec!["a".to_string(), "héllo".to_string(), String::new()];
    let dtype = String::write_dtype(&values);
    assert_eq!(
        dtype.type_str(),
        format!(
            "{}U5",
            if cfg!(target_endian = "little") {
                '<'
            } else {
                '>'
            }
        )
    );
    round_trip(&values, &dtype);
    round_trip(&values, &dtype.with_endian(Endian::Big));
    let bytes = vec![b"ab".to_vec(), vec![], b"a\0b".to_vec()];
    round_trip(&bytes, &Vec::<u8>::write_dtype(&bytes));
    assert_eq!(
        String::decode(&"|S3".parse().unwrap(), b"ab\0xyz", 3, 2).unwrap(),
        ["ab", "xyz"]
    );
}

#[test]
fn blank_and_empty_string_arrays_get_width_one_like_numpy() {
    let blank = [String::new(), String::new()];
    assert_eq!(String::write_dtype(&blank).itemsize(), 4);
    assert_eq!(String::write_dtype(&[]).itemsize(), 4);
    round_trip(&blank, &String::write_dtype(&blank));
    let empty_bytes = [Vec::new()];
    assert_eq!(
        Vec::<u8>::write_dtype(&empty_bytes),
        DType::Bytes { len: 1 }
    );
    round_trip(&empty_bytes, &Vec::<u8>::write_dtype(&empty_bytes));
}

#[test]
fn invalid_utf32_is_an_error() {
    let bytes = 0xD800u32.to_le_bytes();
    assert!(String::decode(&"<U1".parse().unwrap(), &bytes, 4, 1).is_err());
}

#[test]
fn subarrays_round_trip_strided() {
    let values = [[[1i32, 2], [3, 4]], [[5, 6], [7, 8]]];
    let dtype = <[[i32; 2]; 2]>::dtype();
    assert_eq!(
        dtype.to_descr().unwrap().to_string(),
        format!(
            "('{}i4', (2, 2))",
            if cfg!(target_endian = "little") {
                '<'
            } else {
                '>'
            }
        )
    );
    round_trip(&values, &dtype);
    round_trip(&values, &dtype.with_endian(Endian::Big));
}

#[test]
fn short_input_is_truncated_without_a_big_allocation() {
    let bytes = [0u8; 200];
    let mut reader = &bytes[..];
    let mut data = DataReader::new(&mut reader, 128, None);
    let err = f64::read_values(&f64::dtype(), 100_000_000_000, &mut data).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Truncated { found: 200, .. }),
        "{err}"
    );
    let mut reader = &bytes[..];
    let mut data = DataReader::new(&mut reader, 128, Some(200));
    let err = f64::read_values(&f64::dtype(), 100_000_000_000, &mut data).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Truncated { found: 200, .. }),
        "{err}"
    );
}
