//! Tests of the dtype model: every descr NumPy writes, other spellings, records, padding, byte orders.

use super::*;
use crate::errors::ErrorKind;

fn dt(text: &str) -> DType {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn every_plain_descr_numpy_writes_round_trips() {
    for text in [
        "<i8",
        ">i8",
        "|b1",
        "|i1",
        "|u1",
        "<u2",
        ">u4",
        "<f2",
        "<f4",
        ">f8",
        "<f16",
        "<c8",
        "<c16",
        ">c32",
        "<U10",
        ">U3",
        "|S5",
        "|S0",
        "|V16",
        "|O",
        "<M8",
        "<M8[ns]",
        "<M8[D]",
        "<M8[10ms]",
        ">M8[ns]",
        "<m8",
        "<m8[s]",
        "<M8[Y]",
        "<m8[as]",
        "<U0",
    ] {
        let quoted = format!("'{text}'");
        assert_eq!(dt(text).to_string(), quoted, "{text}");
        assert_eq!(dt(&quoted).to_string(), quoted, "{text}");
        assert_eq!(dt(text).type_str(), text);
    }
}

#[test]
fn other_spellings_read_as_numpy_reads_them() {
    let native = Endian::NATIVE.as_char();
    for (text, expected) in [
        ("f8", format!("{native}f8")),
        ("float64", format!("{native}f8")),
        ("=i4", format!("{native}i4")),
        ("|i4", format!("{native}i4")),
        ("i", format!("{native}i4")),
        ("<i1", "|i1".to_string()),
        ("?", "|b1".to_string()),
        ("|O8", "|O".to_string()),
        ("|O4", "|O".to_string()),
        ("a3", "|S3".to_string()),
        ("d", format!("{native}f8")),
    ] {
        assert_eq!(dt(text).type_str(), expected, "{text}");
    }
}

#[test]
fn bad_type_strings_are_errors() {
    for text in [
        "x", "<i3", "<f3", "", "<", "<M8[xs]", "<M8[ns", "<i4[ns]", "<b2", "S-1",
    ] {
        assert!(text.parse::<DType>().is_err(), "{text:?}");
    }
    assert!("'<U99999999999999999999'".parse::<DType>().is_err());
}

#[test]
fn type_strings_without_a_type_code_are_errors() {
    // Found by fuzzing (fuzz/regressions/header): `'<[M18m0é]'` panicked.
    for text in ["<[M18m0é]", "<[]", "|[ns]", "[]x[]", "'<[ns]'", "'[]'"] {
        let err = text.parse::<DType>().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidDescr { .. }),
            "{text}: {err}"
        );
    }
}

#[test]
fn records_round_trip_with_subarrays_titles_and_nesting() {
    for text in [
        "[('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))]",
        "[('x', '<i4', (2,)), ('y', '<f8', (2, 2)), ('z', '|u1')]",
        "[('x', '>i4', (2,)), ('Info', [('value', '>c16'), ('y2', '>f8')])]",
        "[(('title', 'name'), '<f8')]",
        "[('a', '|i1'), ('', '|V3'), ('b', '<i4'), ('c', '|i1'), ('', '|V3')]",
        "[('c', [('d', '<i4')], (2,))]",
    ] {
        assert_eq!(dt(text).to_string(), text);
    }
}

#[test]
fn padding_is_dropped_on_read_and_written_back() {
    let dtype = dt("[('a', '|i1'), ('', '|V3'), ('b', '<i4'), ('c', '|i1'), ('', '|V3')]");
    let DType::Record(record) = &dtype else {
        panic!("record expected")
    };
    let layout: Vec<_> = record
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.offset))
        .collect();
    assert_eq!(layout, [("a", 0), ("b", 4), ("c", 8)]);
    assert_eq!(record.itemsize, 12);
}

#[test]
fn aligned_layout_matches_numpy_align_true() {
    let record = Record::aligned([
        ("a".to_string(), dt("|i1")),
        ("b".to_string(), dt("<i4")),
        ("c".to_string(), dt("|i1")),
    ]);
    assert_eq!(
        DType::Record(record).to_string(),
        "[('a', '|i1'), ('', '|V3'), ('b', '<i4'), ('c', '|i1'), ('', '|V3')]"
    );
}

#[test]
fn nested_subarrays_stay_nested_and_empty_records_keep_their_size() {
    let nested = dt("[('c', ('<f8', (5,)), (2,))]");
    assert_eq!(nested.to_string(), "[('c', ('<f8', (5,)), (2,))]");
    assert_eq!(nested.itemsize(), 80);
    let DType::Record(record) = &nested else {
        panic!("a record")
    };
    assert_eq!(
        record.fields[0].dtype,
        DType::SubArray {
            base: Box::new(dt("('<f8', (5,))")),
            shape: vec![2],
        }
    );
    // The size limit applies to the whole nest: 2^40 bytes inside, 2^41 outside.
    assert!("[('c', ('<f8', (137438953472,)), (2,))]"
        .parse::<DType>()
        .is_err());
    let empty = dt("[('', '|V8')]");
    assert_eq!(empty.itemsize(), 8);
    assert_eq!(empty.to_string(), "[('', '|V8')]");
}

#[test]
fn overlapping_fields_cannot_be_written() {
    let record = Record {
        fields: vec![Field::new("a", dt("<i4"), 0), Field::new("b", dt("<i4"), 2)],
        itemsize: 8,
    };
    assert!(DType::Record(record).to_descr().is_err());
}

#[test]
fn bad_records_are_errors() {
    for text in [
        "[('a',)]",
        "[(1, '<i4')]",
        "[('a', '<i4'), ('a', '<f8')]",
        "[('a', '<i4', (-1,))]",
        "[('a', '<i4', (2.0,))]",
        "[('a', 'zz')]",
        "[('a', '<f8', (1000000000000, 1000000000000))]",
        "{'a': 1}",
    ] {
        assert!(text.parse::<DType>().is_err(), "{text}");
    }
}

#[test]
fn byte_order_helpers() {
    let record = dt("[('x', '<f8'), ('s', '|S2'), ('u', '<u2', (2,))]");
    let big = record.with_endian(Endian::Big);
    assert_eq!(
        big.to_string(),
        "[('x', '>f8'), ('s', '|S2'), ('u', '>u2', (2,))]"
    );
    assert_eq!(
        big.is_native_endian(),
        Endian::NATIVE == Endian::Big,
        "big-endian record"
    );
    assert!(dt("|S3").is_native_endian());
    assert!(dt("[('o', '|O')]").has_object());
}
