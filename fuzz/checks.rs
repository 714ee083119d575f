//! What each fuzz target checks on one input, shared by the libFuzzer targets
//! (`fuzz_targets/*.rs`) and the stable replay of their corpora (`tests/fuzz_replay.rs`).
//! Every check must hold for arbitrary bytes: no panic, no abort, no unbounded allocation.

use npy_serde::header::{read_header, DEFAULT_MAX_HEADER_SIZE};
use npy_serde::pickle::{read_object_array, read_value, write_object_array, ObjectArray};
use npy_serde::{
    from_bytes, read_npy, read_npy_with, to_bytes, DType, Header, NpyArray, PickleEncoding,
    ReadOptions,
};

/// `header::read_header` on arbitrary bytes; a header that reads and can be written
/// reads back unchanged from what is written.
pub fn header(data: &[u8]) {
    let Ok(info) = read_header(&mut &data[..], DEFAULT_MAX_HEADER_SIZE) else {
        return;
    };
    assert!(info.data_offset <= data.len() as u64);
    // Not every header that reads can be written (NumPy's writer is stricter), but one
    // that is written must read back unchanged.
    if let Ok(bytes) = info.header.to_bytes() {
        let again = read_header(&mut &bytes[..], usize::MAX)
            .unwrap_or_else(|e| panic!("written header does not read back: {e}"));
        assert_eq!(again.header, info.header);
        assert_eq!(again.data_offset, bytes.len() as u64);
    }
}

/// A dynamic `NpyArray` from arbitrary bytes: the streaming reader agrees with the
/// byte-slice reader, and an array that loads saves back to bytes that load to the same
/// array.
pub fn npy_array(data: &[u8]) {
    // Arrays are compared through their bytes: float data may hold NaNs.
    let sliced = from_bytes::<NpyArray>(data);
    let streamed = read_npy::<NpyArray, _>(&mut &data[..]);
    let saved = |array: &NpyArray| to_bytes(array).ok();
    match (&sliced, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(saved(a), saved(b)),
        (Err(_), Err(_)) => {}
        _ => panic!("from_bytes and read_npy disagree: {sliced:?} vs {streamed:?}"),
    }
    let Ok(array) = sliced else { return };
    if let Some(bytes) = saved(&array) {
        let back: NpyArray =
            from_bytes(&bytes).unwrap_or_else(|e| panic!("a saved array does not load back: {e}"));
        assert_eq!(back.header(), array.header());
        assert_eq!(saved(&back).as_ref(), Some(&bytes));
    }
}

/// `str::parse::<DType>` on arbitrary text; a parsed dtype whose descr can be written
/// parses back from it unchanged.
pub fn dtype(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dtype) = text.parse::<DType>() else {
        return;
    };
    let _ = (dtype.itemsize(), dtype.alignment(), dtype.type_str());
    let descr = dtype.to_string();
    // Display falls back to Debug for dtypes NumPy cannot describe (overlapping fields).
    if descr.starts_with(['\'', '[', '(']) {
        let back: DType = descr
            .parse()
            .unwrap_or_else(|e| panic!("{descr} (from {text:?}) does not parse back: {e}"));
        assert_eq!(back, dtype, "{descr} from {text:?}");
    }
}

/// Typed reads from arbitrary bytes: the bulk numeric path with its widenings, strings,
/// subarray elements and fixed-rank ndarray targets.
pub fn typed(data: &[u8]) {
    let _ = from_bytes::<Vec<f64>>(data);
    let _ = from_bytes::<Vec<String>>(data);
    let _ = from_bytes::<Vec<Vec<u8>>>(data);
    let _ = from_bytes::<Vec<bool>>(data);
    let _ = from_bytes::<Vec<[i32; 3]>>(data);
    let _ = from_bytes::<ndarray::Array2<i64>>(data);
    let _ = from_bytes::<ndarray::ArrayD<half::f16>>(data);
}

/// The safe pickle reader on arbitrary bytes (an object array's data part): never panics
/// or runs away; the slice reader and the opcode-by-opcode stream reader agree; an object
/// array that reads writes back to a pickle that reads to the same array; the typed
/// conversions never panic.
pub fn pickle(data: &[u8]) {
    let options = ReadOptions::default().with_allow_pickle(true);
    let _ = read_value(
        data,
        &options.clone().with_pickle_encoding(PickleEncoding::Bytes),
    );
    let sliced = read_object_array(data, &options);
    let mut npy = Header::new(DType::Object, vec![0]).to_bytes().unwrap();
    npy.extend_from_slice(data);
    let streamed = read_npy_with::<ObjectArray, _>(&mut &npy[..], &options);
    // Compared through their pickles: floats may be NaN.
    let pickled = |objects: &ObjectArray| write_object_array(objects).ok();
    match (&sliced, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(pickled(a), pickled(b)),
        (Err(_), Err(_)) => {}
        _ => panic!("slice and stream readers disagree: {sliced:?} vs {streamed:?}"),
    }
    let Ok(objects) = sliced else { return };
    let _ = objects.to_strings();
    let _ = objects.to_optional_strings();
    let _ = objects.to_ragged::<f64>();
    let _ = objects.to_arrays::<i32>();
    let _ = objects.to_array::<u8>();
    let _ = objects.to_array::<String>();
    if let Some(bytes) = pickled(&objects) {
        let back = read_object_array(&bytes, &options)
            .unwrap_or_else(|e| panic!("a written pickle does not read back: {e}"));
        assert_eq!(pickled(&back).as_ref(), Some(&bytes));
    }
}

/// One target's check.
#[allow(dead_code)]
pub type Check = fn(&[u8]);

/// The targets by name, as the corpus directories are named.
#[allow(dead_code)]
pub const TARGETS: [(&str, Check); 5] = [
    ("header", header),
    ("npy_array", npy_array),
    ("dtype", dtype),
    ("typed", typed),
    ("pickle", pickle),
];
