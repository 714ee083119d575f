//! The serde format's round-trip guarantee (issue 9): for every value whose
//! `to_vec` succeeds, `from_slice` returns an equal value.
//!
//! Property tests generate values of a family of types each (nested structs, `Vec`s of
//! structs holding arrays, string- and integer-keyed maps with awkward keys, empty maps and
//! `Vec`s, arrays of rank 0 to 4 with zero-length axes, `Option` at every level, `f16`,
//! complex, strings, records, `flatten`, `default`, `skip_serializing_if`, `Bulk`). The
//! generators only make values the format documents as representable, so every property
//! also asserts that the save succeeds. Floats are generated finite (NaN != NaN).
//!
//! Then one deterministic test per failure listed in the issue.
//!
//! Case counts (see `CASES_*` below) keep the file well under a minute in debug on two
//! cores; raise them with `PROPTEST_CASES` for a deeper search.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::io::{Cursor, Write};

use half::f16;
use ndarray::{Array0, Array1, Array2};
use npy_serde::{
    from_slice, from_slice_with, npy, npz, to_vec, to_vec_with, Bulk, NpyArray, SerdeOptions,
};
use num_complex::Complex;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::serde_families::*;

// ---------------------------------------------------------------------------------------
// Helpers

/// Cases per family. Small structs get more cases than the ones holding several arrays.
const CASES_SMALL: u32 = 256;
const CASES_MEDIUM: u32 = 128;
const CASES_LARGE: u32 = 64;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Saves `value`, which must succeed, loads it back and compares.
fn round_trip<T>(value: &T, options: &SerdeOptions) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let bytes = to_vec_with(value, options)
        .map_err(|e| TestCaseError::fail(format!("save failed: {e}\nvalue: {value:?}")))?;
    let back: T = from_slice_with(&bytes, options).map_err(|e| {
        TestCaseError::fail(format!(
            "load failed: {e}\nvalue: {value:?}\nmembers: {:?}",
            member_names(&bytes)
        ))
    })?;
    prop_assert_eq!(&back, value, "members: {:?}", member_names(&bytes));
    Ok(())
}

/// The guarantee itself, for values the format may refuse: a save that succeeds loads
/// back equal. Returns whether the save succeeded.
fn round_trip_if_saved<T>(value: &T, options: &SerdeOptions) -> Result<bool, TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let Ok(bytes) = to_vec_with(value, options) else {
        return Ok(false);
    };
    let back: T = from_slice_with(&bytes, options).map_err(|e| {
        TestCaseError::fail(format!(
            "saved, then load failed: {e}\nvalue: {value:?}\nmembers: {:?}",
            member_names(&bytes)
        ))
    })?;
    prop_assert_eq!(&back, value, "members: {:?}", member_names(&bytes));
    Ok(true)
}

fn member_names(bytes: &[u8]) -> Vec<String> {
    npz::Reader::new(Cursor::new(bytes))
        .map(|archive| archive.names())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(CASES_LARGE))]

    #[test]
    fn nested_structs_round_trip(value in nested()) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    #[test]
    fn vecs_of_structs_with_arrays_round_trip_as_indexed_groups(value in model()) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    #[test]
    fn string_keyed_maps_round_trip_with_any_keys(value in string_maps(), sep in separator()) {
        round_trip(&value, &options(sep))?;
    }

    #[test]
    fn integer_keyed_maps_round_trip(value in int_maps(), sep in separator()) {
        round_trip(&value, &options(sep))?;
    }

    #[test]
    fn bulk_arrays_round_trip_in_any_position(value in bulks(), sep in separator()) {
        round_trip(&value, &options(sep))?;
    }

    #[test]
    fn arrays_of_rank_0_to_4_round_trip(value in arrays()) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    #[test]
    fn empty_maps_vecs_and_structs_round_trip(value in empties(), sep in separator()) {
        round_trip(&value, &options(sep))?;
    }
}

proptest! {
    #![proptest_config(config(CASES_MEDIUM))]

    #[test]
    fn options_at_every_level_round_trip(value in options_family(), sep in separator()) {
        round_trip(&value, &options(sep))?;
    }

    #[test]
    fn records_round_trip(value in records()) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    #[test]
    fn flatten_round_trips(value in flattened()) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    #[test]
    fn defaults_and_skipped_fields_round_trip(value in defaults()) {
        round_trip(&value, &SerdeOptions::default())?;
    }
}

proptest! {
    #![proptest_config(config(CASES_SMALL))]

    #[test]
    fn top_level_string_maps_round_trip(
        value in prop::collection::btree_map(key(), vec_of(f32s(), 3), 0..5),
        sep in separator(),
    ) {
        round_trip(&value, &options(sep))?;
    }

    #[test]
    fn top_level_integer_maps_round_trip(
        value in prop::collection::btree_map(any::<i64>(), any::<u16>(), 0..5),
    ) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    #[test]
    fn numbers_f16_and_complex_round_trip(value in numbers()) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    #[test]
    fn strings_round_trip(value in texts()) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    #[test]
    fn flattened_maps_round_trip(value in flattened_map()) {
        round_trip(&value, &SerdeOptions::default())?;
    }

    /// `None` map values have no member of their own: saving them must either fail or
    /// come back equal (the guarantee), never lose the key silently.
    #[test]
    fn option_map_values_round_trip_when_saved(
        value in prop::collection::btree_map(key(), proptest::option::of(f64s()), 0..4),
    ) {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct W {
            m: BTreeMap<String, Option<f64>>,
        }
        let value = W { m: value };
        let saved = round_trip_if_saved(&value, &SerdeOptions::default())?;
        if value.m.values().all(Option::is_some) {
            prop_assert!(saved, "a map of Some values must save: {value:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The failures listed in the issue, one test each

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct W<T> {
    x: T,
}

/// An npz with one member `x` holding `array`.
fn archive_with<A: npy::NpyWrite + ?Sized>(array: &A) -> Vec<u8> {
    let mut writer = npz::Writer::new(Cursor::new(Vec::new()));
    writer.add("x", array).unwrap();
    writer.finish().unwrap().into_inner()
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

fn raw_archive(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let npy = raw_npy(descr, shape, data);
    let array: NpyArray = npy::from_slice(&npy).unwrap();
    archive_with(&array)
}

#[test]
fn empty_optimizer_map_round_trips() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Checkpoint {
        epoch: u32,
        optimizer: HashMap<String, Array2<f32>>,
    }
    let value = Checkpoint {
        epoch: 0,
        optimizer: HashMap::new(),
    };
    let bytes = to_vec(&value).unwrap();
    assert_eq!(member_names(&bytes), ["epoch", "optimizer"]);
    let back: Checkpoint = from_slice(&bytes).unwrap();
    assert_eq!(back, value);
}

#[test]
fn keys_holding_the_separator_are_escaped_reversibly() {
    let value = BTreeMap::from([
        ("fc1/weight".to_string(), vec![1.0f32]),
        ("fc1.weight".to_string(), vec![2.0]),
        ("100%".to_string(), vec![3.0]),
    ]);
    let bytes = to_vec(&value).unwrap();
    let mut names = member_names(&bytes);
    names.sort();
    assert_eq!(names, ["100%25", "fc1%2Fweight", "fc1.weight"]);
    assert_eq!(
        from_slice::<BTreeMap<String, Vec<f32>>>(&bytes).unwrap(),
        value
    );

    let dotted = options(".");
    let bytes = to_vec_with(&value, &dotted).unwrap();
    let mut names = member_names(&bytes);
    names.sort();
    assert_eq!(names, ["100%25", "fc1%2Eweight", "fc1/weight"]);
    let back: BTreeMap<String, Vec<f32>> = from_slice_with(&bytes, &dotted).unwrap();
    assert_eq!(back, value);
}

#[test]
fn flattened_structs_round_trip() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Hyper {
        lr: f32,
        betas: Vec<f64>,
        name: String,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Run {
        epoch: u32,
        #[serde(flatten)]
        hyper: Hyper,
        weights: Bulk<Array2<f32>>,
    }
    let value = Run {
        epoch: 3,
        hyper: Hyper {
            lr: 0.5,
            betas: vec![0.9, 0.999],
            name: "adam".into(),
        },
        weights: Bulk(Array2::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f32)),
    };
    let bytes = to_vec(&value).unwrap();
    let mut names = member_names(&bytes);
    names.sort();
    assert_eq!(names, ["betas", "epoch", "lr", "name", "weights"]);
    assert_eq!(from_slice::<Run>(&bytes).unwrap(), value);
}

#[test]
fn complex128_arrays_never_narrow_into_f32_pairs() {
    let bytes = archive_with(&vec![Complex::new(1e300f64, 0.0), Complex::new(1.0, 2.0)]);
    let errors = [
        from_slice::<W<Vec<Complex<f32>>>>(&bytes).map(|w| format!("{:?}", w.x)),
        from_slice::<W<Vec<[f32; 2]>>>(&bytes).map(|w| format!("{:?}", w.x)),
        from_slice::<W<Vec<(f32, f32)>>>(&bytes).map(|w| format!("{:?}", w.x)),
    ];
    for (target, result) in ["Vec<Complex<f32>>", "Vec<[f32; 2]>", "Vec<(f32, f32)>"]
        .iter()
        .zip(errors)
    {
        assert!(result.is_err(), "<c16 into {target} gave {result:?}");
    }
    // The typed reader agrees.
    let npy = npy::to_vec(&vec![Complex::new(1e300f64, 0.0)]).unwrap();
    assert!(npy::from_slice::<Vec<Complex<f32>>>(&npy).is_err());
    // And the values it can hold load into Complex<f64>.
    let wide: W<Vec<Complex<f64>>> = from_slice(&bytes).unwrap();
    assert_eq!(wide.x[0].re, 1e300);
}

/// Runs `test_name` (an `#[ignore]`d test of this file) in a child process with its address
/// space limited to 2 GiB and a 30 s time limit: an abort, a big allocation or a hang fails
/// the calling test instead of taking down the whole test binary.
fn run_bounded(test_name: &str) {
    // The harness names a test by its module path within the test binary.
    let (_binary, module) = module_path!().split_once("::").unwrap();
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 2097152; exec timeout 30 '{}' --exact {module}::{test_name} --ignored --test-threads 1 --nocapture",
            exe.display()
        ))
        .env("NPY_SERDE_BOUNDED_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{test_name} failed in a bounded child process ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "{test_name} did not run in the child process:\n{stdout}"
    );
}

fn huge_zero_width_rows(rows: &str) {
    let bytes = raw_archive("'<f4'", &format!("({rows}, 0)"), &[]);
    assert!(bytes.len() < 400, "{} bytes", bytes.len());
    match from_slice::<W<Vec<Vec<f32>>>>(&bytes) {
        Err(e) => assert!(e.to_string().contains("\"x\""), "{e}"),
        Ok(w) => panic!("{rows} empty rows loaded: {} rows", w.x.len()),
    }
}

#[test]
#[ignore = "run by zero_length_rows_are_bounded in a memory-limited child"]
fn child_zero_length_rows_2_pow_40() {
    huge_zero_width_rows("1099511627776");
}

#[test]
#[ignore = "run by zero_length_rows_are_bounded in a memory-limited child"]
fn child_zero_length_rows_10_pow_15() {
    huge_zero_width_rows("1000000000000000");
}

#[test]
fn zero_length_rows_are_bounded() {
    run_bounded("child_zero_length_rows_2_pow_40");
    run_bounded("child_zero_length_rows_10_pow_15");
}

#[test]
fn vec_of_layers_is_written_as_indexed_groups() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Model {
        layers: Vec<Layer>,
    }
    let layer = |n: usize| Layer {
        weight: Array2::from_elem((n, 2), n as f32),
        bias: Array1::zeros(n),
    };
    let value = Model {
        layers: vec![layer(1), layer(2)],
    };
    let bytes = to_vec(&value).unwrap();
    assert_eq!(
        member_names(&bytes),
        [
            "layers/0/weight",
            "layers/0/bias",
            "layers/1/weight",
            "layers/1/bias"
        ]
    );
    assert_eq!(from_slice::<Model>(&bytes).unwrap(), value);
}

#[test]
fn integer_map_keys_are_decimal_text() {
    let value = W {
        x: HashMap::from([(0u32, vec![1.0f32]), (17, vec![2.0, 3.0])]),
    };
    let bytes = to_vec(&value).unwrap();
    let mut names = member_names(&bytes);
    names.sort();
    assert_eq!(names, ["x/0", "x/17"]);
    assert_eq!(
        from_slice::<W<HashMap<u32, Vec<f32>>>>(&bytes).unwrap(),
        value
    );
    let negative = W {
        x: BTreeMap::from([(-5i64, 1u8)]),
    };
    let bytes = to_vec(&negative).unwrap();
    assert_eq!(member_names(&bytes), ["x/-5"]);
    assert_eq!(
        from_slice::<W<BTreeMap<i64, u8>>>(&bytes).unwrap(),
        negative
    );
}

#[test]
fn zero_d_members_convert_by_value() {
    // An int64 4, as `d["epoch"] = 4; np.savez(f, **d)` writes it.
    let four = archive_with(&Array0::from_elem((), 4i64));
    assert_eq!(from_slice::<W<u32>>(&four).unwrap().x, 4);
    assert_eq!(from_slice::<W<u8>>(&four).unwrap().x, 4);
    assert_eq!(from_slice::<W<i16>>(&four).unwrap().x, 4);
    let big = archive_with(&Array0::from_elem((), 1i64 << 40));
    let err = from_slice::<W<u32>>(&big).unwrap_err().to_string();
    assert!(
        err.contains("1099511627776") && err.contains("\"x\""),
        "{err}"
    );
    let negative = archive_with(&Array0::from_elem((), -1i64));
    let err = from_slice::<W<u64>>(&negative).unwrap_err().to_string();
    assert!(err.contains("-1"), "{err}");
    // A float64 0.001, as `d["lr"] = 0.001` writes it, into f32: the nearest f32.
    let lr = archive_with(&Array0::from_elem((), 0.001f64));
    assert_eq!(from_slice::<W<f32>>(&lr).unwrap().x, 0.001f32);
    // Floats into integers and bools into numbers are refused.
    assert!(from_slice::<W<u32>>(&lr).is_err());
    let flag = archive_with(&Array0::from_elem((), true));
    assert!(from_slice::<W<u8>>(&flag).is_err());
    assert!(from_slice::<W<bool>>(&four).is_err());
    // A float64 too large for f32 must not become infinity.
    let huge = archive_with(&Array0::from_elem((), 1e300f64));
    let result = from_slice::<W<f32>>(&huge);
    assert!(
        result.as_ref().map_or(true, |w| w.x.is_finite()),
        "1e300 into f32 gave {result:?}"
    );
}

#[test]
fn deny_unknown_fields_is_honoured() {
    #[derive(Serialize)]
    struct Written {
        a: u32,
        inner: WrittenInner,
        extra: Vec<f32>,
    }
    #[derive(Serialize)]
    struct WrittenInner {
        b: f32,
        stray: u8,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        a: u32,
        inner: Inner,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        b: f32,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Lenient {
        a: u32,
        inner: StrictInner,
        extra: Vec<f32>,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct StrictInner {
        b: f32,
    }
    let bytes = to_vec(&Written {
        a: 1,
        inner: WrittenInner { b: 2.0, stray: 3 },
        extra: vec![4.0],
    })
    .unwrap();
    let err = from_slice::<Strict>(&bytes).unwrap_err().to_string();
    assert!(err.contains("extra"), "{err}");
    let err = from_slice::<Lenient>(&bytes).unwrap_err().to_string();
    assert!(err.contains("stray"), "{err}");
}

#[test]
fn skip_serializing_if_inside_records() {
    let all_some = W {
        x: vec![
            RecSkip { a: 1.0, b: Some(2) },
            RecSkip { a: 3.0, b: Some(4) },
        ],
    };
    let all_none = W {
        x: vec![RecSkip { a: 1.0, b: None }, RecSkip { a: 3.0, b: None }],
    };
    let mixed = W {
        x: vec![RecSkip { a: 1.0, b: None }, RecSkip { a: 3.0, b: Some(4) }],
    };
    for value in [all_some, all_none, mixed] {
        let bytes = to_vec(&value).unwrap();
        let back: W<Vec<RecSkip>> = from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{e}; members {:?}", member_names(&bytes)));
        assert_eq!(back, value);
    }
}

#[test]
fn records_with_string_fields_write_the_longest_length() {
    let value = W {
        x: vec![
            RecText {
                name: "ab".into(),
                score: 1.0,
                id: 1,
            },
            RecText {
                name: "longest".into(),
                score: 2.0,
                id: 2,
            },
        ],
    };
    let bytes = to_vec(&value).unwrap();
    let mut archive = npz::Reader::new(Cursor::new(&bytes[..])).unwrap();
    let dtype = archive.header("x").unwrap().header.dtype.to_string();
    assert_eq!(dtype, "[('name', '<U7'), ('score', '<f8'), ('id', '<u4')]");
    assert_eq!(from_slice::<W<Vec<RecText>>>(&bytes).unwrap(), value);
}

#[test]
fn byte_strings_load_into_strings() {
    let bytes = raw_archive("'|S3'", "(2,)", b"abcde\0");
    let w: W<Vec<String>> = from_slice(&bytes).unwrap();
    assert_eq!(w.x, ["abc", "de"]);
}

#[test]
fn int8_loads_into_f16() {
    let bytes = archive_with(&vec![-3i8, 0, 100]);
    let w: W<Vec<f16>> = from_slice(&bytes).unwrap();
    assert_eq!(w.x, [-3.0, 0.0, 100.0].map(f16::from_f32));
    let bytes = archive_with(&vec![255u8]);
    let w: W<Vec<f16>> = from_slice(&bytes).unwrap();
    assert_eq!(w.x, [f16::from_f32(255.0)]);
}

#[test]
fn record_subarray_fields_load_into_arrays() {
    #[derive(Deserialize, PartialEq, Debug)]
    struct Particle {
        id: u32,
        pos: [f32; 3],
    }
    let mut data = Vec::new();
    for (id, pos) in [(1u32, [0.5f32, 1.5, 2.5]), (2, [-1.0, 0.0, 1.0])] {
        data.extend_from_slice(&id.to_le_bytes());
        for p in pos {
            data.extend_from_slice(&p.to_le_bytes());
        }
    }
    let bytes = raw_archive("[('id', '<u4'), ('pos', '<f4', (3,))]", "(2,)", &data);
    let w: W<Vec<Particle>> = from_slice(&bytes).unwrap();
    assert_eq!(
        w.x,
        [
            Particle {
                id: 1,
                pos: [0.5, 1.5, 2.5]
            },
            Particle {
                id: 2,
                pos: [-1.0, 0.0, 1.0]
            }
        ]
    );
}

#[test]
fn serde_path_to_error_works_with_the_public_serializer_and_deserializer() {
    #[derive(Serialize)]
    struct Outer {
        ok: u8,
        inner: InnerBad,
    }
    #[derive(Serialize)]
    struct InnerBad {
        values: Vec<Option<f32>>,
    }
    let value = Outer {
        ok: 1,
        inner: InnerBad {
            values: vec![Some(1.0), None],
        },
    };
    let mut ser = npy_serde::Serializer::new(Cursor::new(Vec::new()));
    let err = serde_path_to_error::serialize(&value, &mut ser).unwrap_err();
    assert!(
        err.path().to_string().starts_with("inner.values"),
        "path {} ({})",
        err.path(),
        err.inner()
    );

    // A good value through the same types, then a bad read.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Good {
        layers: Vec<Layer>,
        epoch: u32,
    }
    let good = Good {
        layers: vec![
            Layer {
                weight: Array2::zeros((1, 1)),
                bias: Array1::zeros(1),
            },
            Layer {
                weight: Array2::ones((2, 1)),
                bias: Array1::zeros(2),
            },
        ],
        epoch: 2,
    };
    let mut ser = npy_serde::Serializer::new(Cursor::new(Vec::new()));
    serde_path_to_error::serialize(&good, &mut ser).unwrap();
    let bytes = ser.finish().unwrap().into_inner();
    let mut de = npy_serde::Deserializer::from_slice(&bytes).unwrap();
    let back: Good = serde_path_to_error::deserialize(&mut de).unwrap();
    assert_eq!(back, good);

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct WrongLayer {
        weight: Array2<u8>,
        bias: Array1<f32>,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Wrong {
        layers: Vec<WrongLayer>,
        epoch: u32,
    }
    let mut de = npy_serde::Deserializer::from_slice(&bytes).unwrap();
    let err = serde_path_to_error::deserialize::<_, Wrong>(&mut de).unwrap_err();
    // (ndarray's own serde form may add the index of its data sequence after the field.)
    assert!(
        err.path().to_string().starts_with("layers[0].weight"),
        "path {} ({})",
        err.path(),
        err.inner()
    );
}

#[test]
fn to_writer_needs_only_write() {
    struct WriteOnly(Vec<u8>);
    impl Write for WriteOnly {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Value {
        layers: Vec<Layer>,
        epoch: u32,
        names: Vec<String>,
    }
    let value = Value {
        layers: vec![Layer {
            weight: Array2::from_elem((2, 2), 0.5),
            bias: Array1::zeros(2),
        }],
        epoch: 9,
        names: vec!["a".into(), "bc".into()],
    };
    let mut sink = WriteOnly(Vec::new());
    npy_serde::to_writer(&mut sink, &value).unwrap();
    assert_eq!(from_slice::<Value>(&sink.0).unwrap(), value);
    // The stream is an archive other zip readers accept.
    let mut zip = zip::ZipArchive::new(Cursor::new(&sink.0)).unwrap();
    assert_eq!(zip.len(), 4);
    assert!(zip.by_name("epoch.npy").is_ok());
}

#[test]
fn a_user_struct_named_array_is_a_plain_struct() {
    mod user {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        pub struct Array {
            pub name: String,
            pub values: Vec<f32>,
            pub count: u32,
        }
    }
    let value = W {
        x: user::Array {
            name: "mine".into(),
            values: vec![1.0, 2.0],
            count: 2,
        },
    };
    let bytes = to_vec(&value).unwrap();
    assert_eq!(member_names(&bytes), ["x/name", "x/values", "x/count"]);
    assert_eq!(from_slice::<W<user::Array>>(&bytes).unwrap(), value);
}

#[test]
fn npy_and_npz_mix_ups_say_what_to_use() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("weights.npy");
    npy::save(&npy, &vec![1.0f32, 2.0]).unwrap();
    let err = npy_serde::from_path::<W<Vec<f32>>, _>(&npy)
        .unwrap_err()
        .to_string();
    assert!(err.contains("load"), "{err}");
    let npz = dir.path().join("state.npz");
    npy_serde::to_path(&npz, &W { x: vec![1.0f32] }).unwrap();
    let err = npy::load::<Vec<f32>, _>(&npz).unwrap_err().to_string();
    assert!(
        err.contains("from_path") || err.contains("npz::Reader"),
        "{err}"
    );
}

#[test]
fn vec_of_option_with_none_is_refused_at_save_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.npz");
    let err = npy_serde::to_path(
        &path,
        &W {
            x: vec![Some(1.0f32), None],
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("\"x\""), "{err}");
    assert!(!path.exists());
}

/// NumPy's `U` type strips trailing NULs, so such a string cannot be stored as it is: the
/// save must fail, or the value must still come back equal.
#[test]
fn strings_with_trailing_nul_are_refused_or_kept() {
    for value in [
        W {
            x: "a\0".to_string(),
        },
        W {
            x: "\0".to_string(),
        },
    ] {
        if let Ok(bytes) = to_vec(&value) {
            assert_eq!(from_slice::<W<String>>(&bytes).unwrap(), value);
        }
    }
    let many = W {
        x: vec!["ok".to_string(), "b\0".to_string()],
    };
    if let Ok(bytes) = to_vec(&many) {
        assert_eq!(from_slice::<W<Vec<String>>>(&bytes).unwrap(), many);
    }
}

#[test]
fn some_empty_map_and_none_are_told_apart() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct S {
        a: Option<BTreeMap<String, f32>>,
        b: Option<BTreeMap<String, f32>>,
        c: Option<Nothing>,
    }
    let value = S {
        a: Some(BTreeMap::new()),
        b: None,
        c: Some(Nothing {}),
    };
    let bytes = to_vec(&value).unwrap();
    assert_eq!(member_names(&bytes), ["a", "c"]);
    assert_eq!(from_slice::<S>(&bytes).unwrap(), value);
}

/// Plain ndarray fields inside a flattened struct cannot be told from nested lists (serde
/// buffers them), a documented limitation: the guarantee still holds, so saving them must
/// fail, or they must load back.
#[test]
/// A documented limitation: serde hands flattened fields over as self-describing values,
/// and ndarray's own form cannot be told from nested lists, so a plain ndarray field in a
/// flattened struct fails to load (`Bulk` is the way). It must never load wrong values.
fn plain_arrays_in_flattened_structs_fail_to_load_rather_than_load_wrong() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Inner {
        weight: Array2<f32>,
        lr: f32,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Outer {
        id: u32,
        #[serde(flatten)]
        inner: Inner,
    }
    for shape in [(2, 2), (0, 2)] {
        let value = Outer {
            id: 1,
            inner: Inner {
                weight: Array2::from_elem(shape, 3.0),
                lr: 0.5,
            },
        };
        if let Ok(bytes) = to_vec(&value) {
            let back = from_slice::<Outer>(&bytes);
            assert!(
                back.as_ref().map_or(true, |back| *back == value),
                "shape {shape:?}: saved as {:?}, then loaded {back:?}",
                member_names(&bytes)
            );
        }
    }
}

/// A value that cannot be represented fails the save through a `Write`-only sink too.
/// Members are streamed, so what went out stays out, but it never has a central
/// directory: no reader takes it for an archive.
#[test]
fn a_failed_save_to_a_stream_leaves_no_readable_archive() {
    #[derive(Serialize)]
    struct Value {
        first: Vec<f32>,
        second: Vec<Option<f32>>,
    }
    let value = Value {
        first: vec![1.0; 1000],
        second: vec![Some(1.0), None],
    };
    let mut sink = Vec::new();
    let err = npy_serde::to_writer(&mut sink, &value).unwrap_err();
    assert!(err.to_string().contains("\"second\""), "{err}");
    assert!(
        !sink.windows(4).any(|w| w == b"PK\x05\x06"),
        "an end record"
    );
    assert!(npy_serde::from_slice::<BTreeMap<String, Vec<f32>>>(&sink).is_err());
}

#[test]
fn bool_and_char_keys_round_trip_as_text() {
    let chars = W {
        x: BTreeMap::from([('a', 1u8), ('/', 2), ('é', 3), ('%', 4)]),
    };
    let bytes = to_vec(&chars).unwrap();
    assert_eq!(from_slice::<W<BTreeMap<char, u8>>>(&bytes).unwrap(), chars);
    let bools = W {
        x: BTreeMap::from([(false, vec![1.0f64]), (true, vec![])]),
    };
    let bytes = to_vec(&bools).unwrap();
    assert_eq!(
        from_slice::<W<BTreeMap<bool, Vec<f64>>>>(&bytes).unwrap(),
        bools
    );
}

/// The bulk path reads what NumPy writes (Fortran order, big-endian) and follows the same
/// conversion table as the typed reader: lossless widening, no narrowing.
#[test]
fn bulk_reads_any_layout_and_follows_the_conversion_table() {
    // A 2x3 float32 array [[0, 1, 2], [3, 4, 5]] stored big-endian in Fortran order.
    let mut data = Vec::new();
    for value in [0.0f32, 3.0, 1.0, 4.0, 2.0, 5.0] {
        data.extend_from_slice(&value.to_be_bytes());
    }
    let npy = raw_npy("'>f4'", "(2, 3)", &data).replace_fortran();
    let expected: Array2<f32> = npy::from_slice(&npy).unwrap();
    assert_eq!(expected[[1, 2]], 5.0);
    let bytes = archive_with(&npy::from_slice::<NpyArray>(&npy).unwrap());
    let bulk: W<Bulk<Array2<f32>>> = from_slice(&bytes).unwrap();
    assert_eq!(bulk.x.0, expected);
    let plain: W<Array2<f32>> = from_slice(&bytes).unwrap();
    assert_eq!(plain.x, expected);
    let wide: W<Bulk<Array2<f64>>> = from_slice(&bytes).unwrap();
    assert_eq!(wide.x.0, expected.mapv(f64::from));
    // Narrowing is refused, as by the typed reader.
    let doubles = archive_with(&Array2::<f64>::zeros((2, 2)));
    assert!(from_slice::<W<Bulk<Array2<f32>>>>(&doubles).is_err());
    let ints = archive_with(&Array2::<i64>::zeros((2, 2)));
    assert!(from_slice::<W<Bulk<Array2<i32>>>>(&ints).is_err());
    let small = archive_with(&Array2::<i16>::from_elem((2, 2), -7));
    let widened: W<Bulk<Array2<i64>>> = from_slice(&small).unwrap();
    assert_eq!(widened.x.0, Array2::from_elem((2, 2), -7i64));
}

trait ReplaceFortran {
    fn replace_fortran(self) -> Self;
}

impl ReplaceFortran for Vec<u8> {
    /// The same `.npy` with `'fortran_order': True` (same length, so the padding holds).
    fn replace_fortran(mut self) -> Vec<u8> {
        let from = b"'fortran_order': False, ";
        let to = b"'fortran_order': True,  ";
        let at = self
            .windows(from.len())
            .position(|w| w == from)
            .expect("a header written by raw_npy");
        self[at..at + to.len()].copy_from_slice(to);
        self
    }
}

/// Structs without fields: a `Vec` of them has no element to take a dtype from.
#[test]
fn vecs_of_empty_structs_are_refused_at_save_or_round_trip() {
    for value in [
        W { x: vec![] },
        W {
            x: vec![Nothing {}],
        },
        W {
            x: vec![Nothing {}, Nothing {}],
        },
    ] {
        if let Ok(bytes) = to_vec(&value) {
            let back = from_slice::<W<Vec<Nothing>>>(&bytes);
            assert!(
                back.as_ref().is_ok_and(|back| *back == value),
                "{value:?} saved as {:?}, then loaded {back:?}",
                member_names(&bytes)
            );
        }
    }
}

/// A `Vec` whose elements are `Vec`s of groups is itself a `Vec` of groups: indexed groups
/// of indexed groups.
#[test]
fn vecs_of_vecs_of_layers_are_nested_indexed_groups() {
    let layer = |n: usize| Layer {
        weight: Array2::from_elem((n, 1), n as f32),
        bias: Array1::zeros(n),
    };
    let value = W {
        x: vec![vec![layer(1)], vec![], vec![layer(2), layer(3)]],
    };
    let bytes = to_vec(&value).unwrap_or_else(|e| panic!("{e}"));
    let names = member_names(&bytes);
    assert!(names.contains(&"x/2/1/weight".to_string()), "{names:?}");
    assert_eq!(from_slice::<W<Vec<Vec<Layer>>>>(&bytes).unwrap(), value);
}

#[test]
fn errors_name_the_member_path() {
    #[derive(Serialize)]
    struct Written {
        layers: Vec<WrittenLayer>,
        by_id: BTreeMap<String, f32>,
    }
    #[derive(Serialize)]
    struct WrittenLayer {
        weight: Array2<f64>,
    }
    let bytes = to_vec(&Written {
        layers: vec![
            WrittenLayer {
                weight: Array2::zeros((1, 1)),
            },
            WrittenLayer {
                weight: Array2::zeros((2, 1)),
            },
        ],
        by_id: BTreeMap::from([("7".to_string(), 1.0), ("x/y".to_string(), 2.0)]),
    })
    .unwrap();

    // A dtype that does not narrow, inside an indexed group.
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct ReadLayers {
        layers: Vec<ReadLayer>,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct ReadLayer {
        weight: Array2<f32>,
    }
    let err = from_slice::<ReadLayers>(&bytes).unwrap_err().to_string();
    assert!(err.contains("\"layers/0/weight\""), "{err}");

    // A key that is not an integer, read into an integer-keyed map.
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct ReadIds {
        by_id: BTreeMap<u32, f32>,
    }
    let err = from_slice::<ReadIds>(&bytes).unwrap_err().to_string();
    assert!(err.contains("x/y") || err.contains("x%2Fy"), "{err}");
}
