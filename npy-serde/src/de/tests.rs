//! The deserializer's unit tests.

use std::collections::{BTreeMap, HashMap};

use half::f16;
use ndarray::{array, Array1, Array2, ArrayD};
use num_complex::Complex;
use serde::{Deserialize, Serialize};

use super::*;
use crate::elements::NpyElement;
use crate::errors::ErrorKind;
use crate::serde_format::test_values::{points, Mode, Point};
use crate::serde_format::MemoryArchive;

/// An archive holding `arrays` as members.
fn archive(arrays: &[(&str, Vec<u8>)]) -> MemoryArchive {
    MemoryArchive {
        members: arrays
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.clone()))
            .collect(),
    }
}

fn npy<A: crate::write::NpyWrite + ?Sized>(array: &A) -> Vec<u8> {
    crate::write::to_vec(array).unwrap()
}

fn load<T: DeserializeOwned>(archive: MemoryArchive) -> Result<T> {
    deserialize_members(archive, &SerdeOptions::default())
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Layer {
    weight: Array2<f32>,
    #[serde(with = "crate::serde_array")]
    bias: Array1<f64>,
    table: Vec<Vec<i64>>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Everything {
    epoch: u32,
    lr: f64,
    done: bool,
    name: String,
    tags: Vec<String>,
    mode: Mode,
    modes: Vec<Mode>,
    half: f16,
    halves: Vec<f16>,
    z: Complex<f32>,
    zs: Vec<Complex<f64>>,
    pairs: Vec<[f32; 2]>,
    points: Vec<Point>,
    layers: BTreeMap<String, Layer>,
    missing: Option<Vec<u8>>,
    present: Option<u8>,
    empty: Vec<i32>,
    dynamic: ArrayD<u16>,
    #[serde(rename = "renamed_field")]
    renamed: i8,
}

fn everything() -> Everything {
    let layer = |k: f32| Layer {
        weight: array![[1.0, 2.0, 3.0], [4.0, 5.0, k]],
        bias: array![0.5, -0.5],
        table: vec![vec![1, 2], vec![3, 4]],
    };
    Everything {
        epoch: 3,
        lr: 0.5,
        done: true,
        name: "run ü".into(),
        tags: vec!["a".into(), "bcd".into()],
        mode: Mode::Eval,
        modes: vec![Mode::Train, Mode::Eval],
        half: f16::from_f32(1.5),
        halves: vec![f16::from_f32(-2.0), f16::from_f32(0.25)],
        z: Complex::new(1.0, -1.0),
        zs: vec![Complex::new(0.0, 1.0); 3],
        pairs: vec![[1.0, 2.0]; 4],
        points: points(),
        layers: [
            ("enc".to_string(), layer(6.0)),
            ("dec".to_string(), layer(7.0)),
        ]
        .into_iter()
        .collect(),
        missing: None,
        present: Some(7),
        empty: vec![],
        dynamic: ArrayD::from_shape_vec(vec![2, 1, 3], (0..6).collect()).unwrap(),
        renamed: -4,
    }
}

#[test]
fn every_kind_of_field_round_trips() {
    let value = everything();
    let bytes = crate::ser::to_vec(&value).unwrap();
    let back: Everything = crate::de::from_slice(&bytes).unwrap();
    assert_eq!(back, value);
    let compressed = crate::ser::to_vec_with(
        &value,
        &SerdeOptions::default().with_write(
            crate::options::WriteOptions::default()
                .with_compression(crate::npz::Compression::Deflate { level: 1 }),
        ),
    )
    .unwrap();
    assert_eq!(
        crate::de::from_slice::<Everything>(&compressed).unwrap(),
        value
    );
}

#[test]
fn members_are_found_by_path_in_any_order_with_widening_and_defaults() {
    #[derive(Deserialize, Debug)]
    struct Target {
        b: Vec<i64>,
        a: Array2<f64>,
        #[serde(default)]
        defaulted: Vec<u8>,
        optional: Option<f32>,
        #[serde(skip)]
        skipped: u8,
        nested: HashMap<String, Vec<f32>>,
    }
    let archive = archive(&[
        ("a", npy(&array![[1.0f32, 2.0]])),
        ("nested/x", npy(&vec![f16::from_f32(0.5)])),
        ("unused", npy(&vec![1u8])),
        ("b", npy(&vec![1i32, -2])),
        ("nested/y", npy(&vec![2.5f32])),
    ]);
    let target: Target = load(archive).unwrap();
    assert_eq!(target.b, [1, -2]);
    assert_eq!(target.a, array![[1.0, 2.0]]);
    assert!(target.defaulted.is_empty() && target.optional.is_none() && target.skipped == 0);
    assert_eq!(target.nested["x"], [0.5]);
    assert_eq!(target.nested["y"], [2.5]);
}

#[test]
fn fortran_and_big_endian_members_read_in_logical_order() {
    #[derive(Deserialize)]
    struct Target {
        f: Array2<i32>,
        rows: Vec<Vec<i32>>,
        big: Vec<f64>,
    }
    let c = array![[1, 2, 3], [4, 5, 6]];
    let big = crate::array::NpyArray::from_values(vec![1.5f64, -2.0], vec![2])
        .unwrap()
        .with_endian(crate::dtype::Endian::Big);
    let archive = archive(&[
        ("f", npy(&c.t())),
        ("rows", npy(&c.t())),
        ("big", npy(&big)),
    ]);
    let target: Target = load(archive).unwrap();
    assert_eq!(target.f, c.t());
    assert_eq!(target.rows, [[1, 4], [2, 5], [3, 6]]);
    assert_eq!(target.big, [1.5, -2.0]);
}

#[test]
fn mismatches_are_errors_naming_the_member_shape_and_dtype() {
    #[derive(Deserialize, Debug)]
    struct Encoder {
        #[allow(dead_code)]
        weight: Array2<f32>,
    }
    #[derive(Deserialize, Debug)]
    struct Model {
        #[allow(dead_code)]
        encoder: Encoder,
    }
    let err =
        load::<Model>(archive(&[("encoder/weight", npy(&vec![1.0f64, 2.0, 3.0]))])).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("member \"encoder/weight\""), "{text}");
    assert!(text.contains("expected 2-D array, found (3,)"), "{text}");

    let err = load::<Model>(archive(&[("encoder/weight", npy(&array![[1.0f64]]))]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "expected 2-D float32 (f32), found shape (1, 1) '<f8' (float64), which loads as f64"
        ),
        "{err}"
    );

    let err = load::<Model>(archive(&[("encoder/bias", npy(&vec![1.0f32]))])).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MissingMember { name, available }
            if name == "encoder/weight" && available == "encoder/bias"),
        "{err}"
    );

    #[derive(Deserialize, Debug)]
    struct Narrow {
        #[allow(dead_code)]
        x: Vec<i16>,
    }
    let err = load::<Narrow>(archive(&[("x", npy(&vec![1i32]))]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"x\"") && err.contains("int16") && err.contains("int32"),
        "{err}"
    );

    let err = load::<Narrow>(archive(&[("x", npy(&array![[1i16]]))]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected 1-D int16, found (1, 1)"), "{err}");

    let err = load::<f64>(archive(&[])).unwrap_err().to_string();
    assert!(err.contains("top-level"), "{err}");
}

#[test]
fn options_set_the_separator_and_the_header_limit() {
    let value = everything();
    let dotted = SerdeOptions::default().with_separator(".");
    let bytes = crate::ser::to_vec_with(&value, &dotted).unwrap();
    let names = crate::npz::Reader::new(std::io::Cursor::new(&bytes))
        .unwrap()
        .names();
    assert!(
        names.contains(&"layers.enc.weight".to_string()),
        "{names:?}"
    );
    let back: Everything = crate::de::from_slice_with(&bytes, &dotted).unwrap();
    assert_eq!(back, value);

    let tiny = SerdeOptions::default()
        .with_read(crate::options::ReadOptions::default().with_max_header_size(10));
    let err = crate::de::from_slice_with::<Everything>(&bytes, &tiny).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::HeaderTooLarge { .. }),
        "{err}"
    );
    assert!(err.to_string().starts_with("member \""), "{err}");
}

#[test]
fn empty_members_read_into_any_numeric_type() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Empty {
        a: Vec<u8>,
        b: Array2<f32>,
        #[serde(with = "crate::serde_array")]
        c: Array1<i16>,
    }
    let value = Empty {
        a: vec![],
        b: Array2::zeros((0, 3)),
        c: Array1::zeros(0),
    };
    let back: Empty = crate::de::from_slice(&crate::ser::to_vec(&value).unwrap()).unwrap();
    assert_eq!(back, value);
}

#[test]
fn empty_members_with_huge_other_dimensions_do_not_overflow() {
    #[derive(Deserialize, Debug)]
    struct Cube {
        #[allow(dead_code)]
        cube: Vec<Vec<Vec<f32>>>,
    }
    // (0, 2^40, 2^40) itself is refused by the header, as NumPy refuses it.
    let header = crate::header::Header::new(f32::write_dtype(&[]), vec![0, 1 << 30, 1 << 30]);
    for fortran_order in [false, true] {
        let header = crate::header::Header {
            fortran_order,
            ..header.clone()
        };
        let member = header.to_bytes().unwrap();
        let result = load::<Cube>(archive(&[("cube", member)]));
        assert!(result.is_ok(), "{result:?}");
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Nested {
        rows: Vec<Vec<i32>>,
        flags: Vec<bool>,
        names: Vec<String>,
    }

    proptest! {
        /// Rectangular nestings round-trip; ragged ones are refused naming the member.
        #[test]
        fn nested_sequences_round_trip_or_are_refused_as_ragged(
            rows in proptest::collection::vec(proptest::collection::vec(any::<i32>(), 0..4), 0..5),
            flags in proptest::collection::vec(any::<bool>(), 0..6),
            names in proptest::collection::vec("[a-zé]{0,6}", 0..4),
        ) {
            let value = Nested { rows, flags, names };
            let rectangular = value.rows.windows(2).all(|w| w[0].len() == w[1].len());
            match crate::ser::to_vec(&value) {
                Ok(bytes) => {
                    prop_assert!(rectangular);
                    let back: Nested = crate::de::from_slice(&bytes).unwrap();
                    // Empty rows lose nothing but their (absent) elements.
                    prop_assert_eq!(back, value);
                }
                Err(err) => {
                    prop_assert!(!rectangular);
                    prop_assert!(err.to_string().contains("\"rows\""), "{}", err);
                }
            }
        }
    }
}

#[test]
fn object_members_load_through_the_safe_pickle_reader() {
    use crate::pickle::ObjectArray;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Table {
        names: Vec<String>,
        notes: Vec<Option<String>>,
        ragged: Vec<Vec<f64>>,
        arrays: Vec<ArrayD<i32>>,
        column: Array1<String>,
    }
    let arrays = [
        ndarray::arr1(&[1i32, 2]).into_dyn(),
        ndarray::arr2(&[[3i32], [4]]).into_dyn(),
    ];
    let mut writer = crate::npz::Writer::new(std::io::Cursor::new(Vec::new()));
    let names = ObjectArray::from_strings(["a", "héllo"]);
    writer.add("names", &names).unwrap();
    let notes = ObjectArray::from_optional_strings([Some("x".to_string()), None]);
    writer.add("notes", &notes).unwrap();
    let ragged = ObjectArray::from_ragged(&[vec![1.5f64, 2.5], vec![]]).unwrap();
    writer.add("ragged", &ragged).unwrap();
    writer
        .add("arrays", &ObjectArray::from_arrays(&arrays).unwrap())
        .unwrap();
    writer.add("column", &names).unwrap();
    let bytes = writer.finish().unwrap().into_inner();

    let err = crate::de::from_slice::<Table>(&bytes)
        .unwrap_err()
        .to_string();
    assert!(err.contains("allow_pickle"), "{err}");
    let options = SerdeOptions::default()
        .with_read(crate::options::ReadOptions::default().with_allow_pickle(true));
    let table: Table = crate::de::from_slice_with(&bytes, &options).unwrap();
    assert_eq!(table.names, ["a", "héllo"]);
    assert_eq!(table.notes, [Some("x".to_string()), None]);
    assert_eq!(table.ragged, [vec![1.5, 2.5], vec![]]);
    assert_eq!(table.arrays, arrays);
    assert_eq!(table.column.to_vec(), ["a", "héllo"]);
}

// ---------------------------------------------------------------------------------------
// Plain `Vec` and ndarray values: the typed read gives what the element path gives
// ---------------------------------------------------------------------------------------

/// A `Vec<E>` or `Array<E, D>` deserialized with a visitor of its own making, which the
/// typed read never replaces: the element path, as every plain array took it before.
#[derive(Debug)]
struct Hidden<T>(T);

impl<'de, E: Deserialize<'de>> Deserialize<'de> for Hidden<Vec<E>> {
    fn deserialize<D: de::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Elements<E>(std::marker::PhantomData<E>);
        impl<'de, E: Deserialize<'de>> Visitor<'de> for Elements<E> {
            type Value = Vec<E>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Vec<E>, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = seq.next_element()? {
                    values.push(value);
                }
                Ok(values)
            }
        }
        deserializer
            .deserialize_seq(Elements(std::marker::PhantomData))
            .map(Hidden)
    }
}

impl<'de, E, Dim> Deserialize<'de> for Hidden<ndarray::Array<E, Dim>>
where
    E: Deserialize<'de>,
    Dim: ndarray::Dimension + Deserialize<'de>,
{
    /// ndarray's own visitor, rewritten: version, dim, then the data as a `Vec`.
    fn deserialize<D: de::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Parts<E, Dim>(std::marker::PhantomData<(E, Dim)>);
        impl<'de, E, Dim> Visitor<'de> for Parts<E, Dim>
        where
            E: Deserialize<'de>,
            Dim: ndarray::Dimension + Deserialize<'de>,
        {
            type Value = ndarray::Array<E, Dim>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("ndarray's (v, dim, data)")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                use de::Error as _;
                let missing = || A::Error::custom("a part is missing");
                let version: u8 = seq.next_element()?.ok_or_else(missing)?;
                assert_eq!(version, 1);
                let dim: Dim = seq.next_element()?.ok_or_else(missing)?;
                let data: Vec<E> = seq.next_element()?.ok_or_else(missing)?;
                ndarray::Array::from_shape_vec(dim, data).map_err(A::Error::custom)
            }
        }
        deserializer
            .deserialize_struct(
                "Array",
                &["v", "dim", "data"],
                Parts(std::marker::PhantomData),
            )
            .map(Hidden)
    }
}

#[derive(Deserialize)]
struct Field<T> {
    x: T,
}

/// Plain arrays read in one piece by this thread so far.
fn typed_reads() -> usize {
    plain::READ.with(|read| read.get())
}

/// Reads member `x` of `archive` as `T` and through the element path: the values (with
/// their layout, which ndarray's `Debug` shows) or the error messages must be the same.
fn check_same_as_element_path<T>(archive: &dyn Fn() -> MemoryArchive, member: &str)
where
    T: DeserializeOwned + std::fmt::Debug,
    Hidden<T>: DeserializeOwned,
{
    let typed = load::<Field<T>>(archive()).map(|field| field.x);
    let element = load::<Field<Hidden<T>>>(archive()).map(|field| field.x.0);
    let shown = |result: Result<T>| match result {
        Ok(value) => format!("{value:?}"),
        Err(error) => format!("error: {error}"),
    };
    assert_eq!(
        shown(typed),
        shown(element),
        "{member} into {}",
        std::any::type_name::<T>()
    );
}

/// Checks every plain array type against the element path on `archive`'s member `x`.
fn check_every_plain_type(archive: &dyn Fn() -> MemoryArchive, member: &str) {
    macro_rules! each_element {
        ($($e:ty),*) => {$(
            check_same_as_element_path::<Vec<$e>>(archive, member);
            check_same_as_element_path::<ndarray::Array0<$e>>(archive, member);
            check_same_as_element_path::<ndarray::Array1<$e>>(archive, member);
            check_same_as_element_path::<ndarray::Array2<$e>>(archive, member);
            check_same_as_element_path::<ndarray::Array3<$e>>(archive, member);
            check_same_as_element_path::<ndarray::ArrayD<$e>>(archive, member);
        )*};
    }
    crate::serde_array::bulk_element_types!(each_element);
}

/// The data of `n` elements of each kind of dtype, numbered from one (so that widening and
/// refusals both show), in `endian` byte order.
fn sample_data(n: usize, endian: crate::dtype::Endian) -> Vec<crate::array::NpyArray> {
    fn of<T: NpyElement>(values: Vec<T>) -> crate::array::NpyArray {
        let len = values.len();
        crate::array::NpyArray::from_values(values, vec![len]).unwrap()
    }
    let numbers = || (1..=n).map(|i| i as i64);
    vec![
        of(numbers().map(|i| i % 2 == 0).collect()),
        of(numbers().map(|i| -(i as i8)).collect()),
        of(numbers().map(|i| i as i16).collect()),
        of(numbers().map(|i| -(i as i32)).collect()),
        of(numbers().collect::<Vec<i64>>()),
        of(numbers().map(|i| i as u8).collect()),
        of(numbers().map(|i| i as u16).collect()),
        of(numbers().map(|i| i as u32).collect()),
        of(numbers().map(|i| i as u64).collect()),
        of(numbers().map(|i| f16::from_f32(i as f32 + 0.5)).collect()),
        of(numbers().map(|i| i as f32 / 3.0).collect()),
        of(numbers().map(|i| i as f64 / 3.0).collect()),
        of(numbers().map(|i| Complex::new(i as f32, -0.5)).collect()),
        of(numbers().map(|i| Complex::new(i as f64, 0.25)).collect()),
        of(numbers().map(|i| format!("s{i}")).collect()),
        of(numbers().map(|i| format!("b{i}").into_bytes()).collect()),
    ]
    .into_iter()
    .map(|array| array.with_endian(endian))
    .collect()
}

#[test]
fn plain_arrays_read_exactly_as_the_element_path_reads_them() {
    let reads_before = typed_reads();
    let shapes: [(&[usize], bool); 9] = [
        (&[], false),
        (&[0], false),
        (&[6], false),
        (&[6], true),
        (&[2, 3], false),
        (&[2, 3], true),
        (&[0, 3], false),
        (&[1, 2, 3], true),
        (&[3, 1, 2], false),
    ];
    let swapped = if cfg!(target_endian = "little") {
        crate::dtype::Endian::Big
    } else {
        crate::dtype::Endian::Little
    };
    let mut members = 0;
    for (shape, fortran_order) in shapes {
        let count = shape.iter().product();
        for endian in [crate::dtype::Endian::NATIVE, swapped] {
            for data in sample_data(count, endian) {
                let header = crate::header::Header {
                    dtype: data.dtype().clone(),
                    shape: shape.to_vec(),
                    fortran_order,
                };
                let mut bytes = header.to_bytes().unwrap();
                bytes.extend(data.data_bytes().unwrap());
                let member = format!("{} {shape:?} fortran {fortran_order}", header.dtype);
                check_every_plain_type(&|| archive(&[("x", bytes.clone())]), &member);
                members += 1;
            }
        }
    }
    // Not vacuous: most members fit some plain type (every numeric dtype of 1-3
    // dimensions and elements fits several).
    let reads = typed_reads() - reads_before;
    assert!(reads > 1000, "{reads} typed reads of {members} members");
}

#[test]
fn plain_arrays_of_object_members_and_groups_keep_the_element_path() {
    let options = SerdeOptions::default()
        .with_read(crate::options::ReadOptions::default().with_allow_pickle(true));
    let mut writer = crate::npz::Writer::new(std::io::Cursor::new(Vec::new()));
    let ragged = crate::pickle::ObjectArray::from_ragged(&[vec![1.5f64, 2.5], vec![]]).unwrap();
    writer.add("ragged", &ragged).unwrap();
    writer.add("group/a", &vec![1.0f64]).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    macro_rules! same {
        ($t:ty, $member:literal) => {{
            #[derive(Deserialize)]
            struct Typed {
                #[serde(rename = $member)]
                x: $t,
            }
            #[derive(Deserialize)]
            struct Element {
                #[serde(rename = $member)]
                x: Hidden<$t>,
            }
            let typed = crate::de::from_slice_with::<Typed>(&bytes, &options).map(|v| v.x);
            let element = crate::de::from_slice_with::<Element>(&bytes, &options).map(|v| v.x.0);
            assert_eq!(
                format!("{:?}", typed.map_err(|e| e.to_string())),
                format!("{:?}", element.map_err(|e| e.to_string())),
                "{} from {}",
                stringify!($t),
                $member
            );
        }};
    }
    same!(Vec<f64>, "ragged");
    same!(ndarray::Array1<f64>, "ragged");
    same!(ndarray::ArrayD<f64>, "ragged");
    same!(Vec<f64>, "group");
    same!(ndarray::Array2<f64>, "group");
}

/// A plain array in every position a member-level value can be in.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Positions<A> {
    field: A,
    some: Option<A>,
    newtype: Newtype<A>,
    map: BTreeMap<String, A>,
    hashed: HashMap<u32, A>,
    indexed: Vec<A>,
    nested: Field2<A>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Newtype<A>(A);

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Field2<A> {
    inner: Option<Newtype<A>>,
}

fn positions<A: Clone>(array: A) -> Positions<A> {
    Positions {
        field: array.clone(),
        some: Some(array.clone()),
        newtype: Newtype(array.clone()),
        map: BTreeMap::from([("a".to_string(), array.clone())]),
        hashed: HashMap::from([(1, array.clone()), (10, array.clone())]),
        indexed: vec![array.clone(), array.clone()],
        nested: Field2 {
            inner: Some(Newtype(array)),
        },
    }
}

#[test]
fn plain_arrays_in_every_position_are_read_in_one_piece() {
    let value = positions(array![[1.5f32, 2.5], [3.5, 4.5]].reversed_axes());
    let bytes = crate::ser::to_vec(&value).unwrap();
    let before = typed_reads();
    let back: Positions<Array2<f32>> = crate::de::from_slice(&bytes).unwrap();
    assert_eq!(typed_reads() - before, 9, "one typed read per array");
    assert_eq!(back, value);
    assert!(
        back.field.is_standard_layout(),
        "C order, as from the element path"
    );

    let vecs = positions(vec![1u16, 2, 3]);
    let bytes = crate::ser::to_vec(&vecs).unwrap();
    let before = typed_reads();
    let back: Positions<Vec<u16>> = crate::de::from_slice(&bytes).unwrap();
    // `indexed` (a `Vec` of `Vec`s) is one 2-D member, read element by element.
    assert_eq!(typed_reads() - before, 7);
    assert_eq!(back, vecs);
}

#[test]
fn newtypes_of_empty_maps_and_bulk_arrays_read_back() {
    // A newtype's inner value is read at the same path as any other value (it once went
    // to the member's element deserializer, which could read neither).
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Value {
        empty: Newtype<BTreeMap<String, Vec<f32>>>,
        bulk: Newtype<crate::Bulk<Array2<i32>>>,
    }
    let value = Value {
        empty: Newtype(BTreeMap::new()),
        bulk: Newtype(crate::Bulk(array![[1, 2], [3, 4]])),
    };
    let bytes = crate::ser::to_vec(&value).unwrap();
    assert_eq!(crate::de::from_slice::<Value>(&bytes).unwrap(), value);
}

#[test]
fn shared_arrays_are_read_in_one_piece() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Shared {
        x: ndarray::ArcArray2<f32>,
        y: ndarray::ArcArray<i64, ndarray::IxDyn>,
    }
    let x = ndarray::array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let value = Shared {
        // Fortran order: read back in C order, as ndarray's own form gives it.
        x: x.reversed_axes().into_shared(),
        y: ndarray::ArcArray::from_shape_vec(ndarray::IxDyn(&[3]), vec![1i64, 2, 3]).unwrap(),
    };
    let bytes = crate::ser::to_vec(&value).unwrap();
    let before = typed_reads();
    let back: Shared = crate::de::from_slice(&bytes).unwrap();
    assert_eq!(typed_reads() - before, 2, "one typed read per array");
    assert_eq!(back, value);
    assert!(back.x.is_standard_layout());
}
