//! The serializer's unit tests: what each kind of field becomes.

use std::collections::BTreeMap;

use half::f16;
use ndarray::{array, Array2, ArrayD};
use serde::Serialize;

use super::*;
use crate::array::NpyArray;
use crate::elements::FixedElement;
use crate::serde_format::shape_text;
use crate::serde_format::test_values::{points, Mode, Point};
use crate::serde_format::MemoryArchive;
use num_complex::Complex;

fn members<T: Serialize>(value: &T) -> Result<Vec<(String, NpyArray)>> {
    let mut archive = MemoryArchive::default();
    serialize_members(&mut archive, value, &SerdeOptions::default())?;
    Ok(archive
        .members
        .iter()
        .map(|(name, bytes)| (name.clone(), crate::read::from_slice(bytes).unwrap()))
        .collect())
}

fn describe(members: &[(String, NpyArray)]) -> Vec<String> {
    members
        .iter()
        .map(|(name, a)| format!("{name} {} {}", a.dtype(), shape_text(a.shape())))
        .collect()
}

#[derive(Serialize)]
struct Inner {
    weight: Array2<f32>,
    table: Vec<Vec<i64>>,
}

#[derive(Serialize)]
struct Everything {
    epoch: u32,
    lr: f64,
    done: bool,
    name: String,
    tags: Vec<String>,
    mode: Mode,
    half: f16,
    z: Complex<f32>,
    zs: Vec<Complex<f32>>,
    pairs: Vec<[f32; 2]>,
    points: Vec<Point>,
    inner: Inner,
    missing: Option<Vec<u8>>,
    present: Option<u8>,
    empty: Vec<f32>,
    dynamic: ArrayD<u16>,
}

#[test]
fn every_kind_of_field_becomes_the_member_numpy_would_make() {
    let value = Everything {
        epoch: 3,
        lr: 0.5,
        done: true,
        name: "run".into(),
        tags: vec!["a".into(), "bcd".into()],
        mode: Mode::Train,
        half: f16::from_f32(1.5),
        z: Complex::new(1.0, -1.0),
        zs: vec![Complex::new(0.0, 1.0); 3],
        pairs: vec![[1.0, 2.0]; 4],
        points: points(),
        inner: Inner {
            weight: array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
            table: vec![vec![1, 2], vec![3, 4], vec![5, 6]],
        },
        missing: None,
        present: Some(7),
        empty: vec![],
        dynamic: ArrayD::zeros(vec![2, 1, 3]),
    };
    let members = members(&value).unwrap();
    assert_eq!(
        describe(&members),
        [
            "epoch '<u4' ()",
            "lr '<f8' ()",
            "done '|b1' ()",
            "name '<U3' ()",
            "tags '<U3' (2,)",
            "mode '<U5' ()",
            "half '<f2' ()",
            "z '<c8' ()",
            "zs '<c8' (3,)",
            "pairs '<f4' (4, 2)",
            "points [('x', '<f4'), ('y', '<i2'), ('z', '<c16')] (2,)",
            "inner/weight '<f4' (2, 3)",
            "inner/table '<i8' (3, 2)",
            "present '|u1' ()",
            "empty '<f8' (0,)",
            "dynamic '<u2' (2, 1, 3)",
        ]
    );
    let weight = &members[11].1;
    assert_eq!(
        weight.data(),
        &crate::array::ArrayData::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    );
}

#[test]
fn maps_with_string_keys_nest_with_the_separator() {
    let mut inner = BTreeMap::new();
    inner.insert("w".to_string(), vec![1u8]);
    let mut outer = BTreeMap::new();
    outer.insert("layer0".to_string(), inner);
    let names: Vec<String> = members(&outer).unwrap().into_iter().map(|m| m.0).collect();
    assert_eq!(names, ["layer0/w"]);

    let mut archive = MemoryArchive::default();
    let options = SerdeOptions::default().with_separator(".");
    serialize_members(&mut archive, &outer, &options).unwrap();
    assert_eq!(archive.members[0].0, "layer0.w");
}

#[test]
fn what_has_no_array_form_is_an_error_naming_the_member() {
    #[derive(Serialize)]
    struct Ragged {
        rows: Vec<Vec<f32>>,
    }
    let err = members(&Ragged {
        rows: vec![vec![1.0, 2.0], vec![3.0]],
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("\"rows\"") && err.to_string().contains("ragged"),
        "{err}"
    );

    let err = members(&5i32).unwrap_err();
    assert!(err.to_string().contains("top-level"), "{err}");
    let err = members(&vec![1.0f32]).unwrap_err();
    assert!(err.to_string().contains("top-level"), "{err}");

    #[derive(Serialize)]
    enum WithData {
        A(u8),
    }
    #[derive(Serialize)]
    struct Holder {
        e: WithData,
    }
    let err = members(&Holder { e: WithData::A(1) }).unwrap_err();
    assert!(err.to_string().contains("\"e\""), "{err}");

    let mut bad_key = BTreeMap::new();
    bad_key.insert(String::new(), 1u8);
    // The empty key is a member name like any other (np.load shows it as "").
    assert_eq!(members(&bad_key).unwrap()[0].0, "");
}

#[test]
fn bulk_arrays_are_written_from_memory_in_any_layout() {
    #[derive(Serialize)]
    struct Bulk {
        #[serde(with = "crate::serde_array")]
        c: Array2<i32>,
        #[serde(with = "crate::serde_array")]
        f: Array2<i32>,
    }
    let c = array![[1, 2, 3], [4, 5, 6]];
    let members = members(&Bulk {
        c: c.clone(),
        f: c.t().to_owned(),
    })
    .unwrap();
    assert_eq!(describe(&members), ["c '<i4' (2, 3)", "f '<i4' (3, 2)"]);
    assert_eq!(members[1].1.to_array::<i32>().unwrap(), c.t().into_dyn());
}

/// Round trips through the whole format: `to_npz_vec` then `from_npz_slice`.
fn round_trip<T>(value: &T) -> T
where
    T: Serialize + serde::de::DeserializeOwned,
{
    let bytes = crate::ser::to_vec(value).unwrap();
    crate::de::from_slice(&bytes).unwrap()
}

fn names_of(bytes: &[u8]) -> Vec<String> {
    crate::npz::Reader::new(std::io::Cursor::new(bytes))
        .unwrap()
        .names()
}

#[test]
fn checkpoint_shapes_round_trip() {
    use serde::Deserialize;
    use std::collections::HashMap;

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    struct Layer {
        weight: Array2<f32>,
        bias: Vec<f32>,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    struct Model {
        layers: Vec<Layer>,
        optimizer: HashMap<String, Array2<f32>>,
        by_step: HashMap<u32, f64>,
        epoch: u32,
    }
    let layer = Layer {
        weight: array![[1.0, 2.0], [3.0, 4.0]],
        bias: vec![0.5, -0.5],
    };
    let mut model = Model {
        layers: vec![layer.clone(), layer],
        optimizer: HashMap::new(),
        by_step: HashMap::new(),
        epoch: 1,
    };
    let bytes = crate::ser::to_vec(&model).unwrap();
    let names = names_of(&bytes);
    assert!(names.contains(&"layers/0/weight".to_string()), "{names:?}");
    assert!(names.contains(&"layers/1/bias".to_string()), "{names:?}");
    assert!(names.contains(&"optimizer".to_string()), "{names:?}");
    assert_eq!(round_trip(&model), model);

    model
        .optimizer
        .insert("fc1/weight".into(), Array2::zeros((1, 2)));
    model.optimizer.insert("".into(), Array2::ones((2, 1)));
    model.optimizer.insert("50%".into(), Array2::ones((1, 1)));
    model.by_step.insert(7, 0.25);
    assert_eq!(round_trip(&model), model);
    let dotted = SerdeOptions::default().with_separator(".");
    let bytes = crate::ser::to_vec_with(&model, &dotted).unwrap();
    let back: Model = crate::de::from_slice_with(&bytes, &dotted).unwrap();
    assert_eq!(back, model);
}

#[test]
fn options_records_and_empty_things_round_trip() {
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    struct Row {
        name: String,
        score: f32,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        note: Option<String>,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone, Default)]
    struct Empty {}
    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    struct All {
        rows: Vec<Row>,
        uneven: Vec<Row>,
        empty: Empty,
        maybe_empty: Option<BTreeMap<String, f32>>,
        nothing: Option<BTreeMap<String, f32>>,
        empties: Vec<Empty>,
        z: Complex<f64>,
        zs: Vec<Complex<f32>>,
        h: f16,
    }
    let row = |name: &str, note: Option<&str>| Row {
        name: name.into(),
        score: 1.5,
        note: note.map(String::from),
    };
    let value = All {
        rows: vec![row("a", None), row("longer", None)],
        uneven: vec![row("a", None), row("b", Some("n"))],
        empty: Empty {},
        maybe_empty: Some(BTreeMap::new()),
        nothing: None,
        empties: vec![Empty {}, Empty {}],
        z: Complex::new(1e300, -1.0),
        zs: vec![Complex::new(1.0, 2.0)],
        h: f16::from_f32(0.5),
    };
    let bytes = crate::ser::to_vec(&value).unwrap();
    let names = names_of(&bytes);
    assert!(names.contains(&"rows".to_string()), "{names:?}");
    assert!(names.contains(&"uneven/1/note".to_string()), "{names:?}");
    let rows: NpyArray = crate::npz::Reader::new(std::io::Cursor::new(&bytes[..]))
        .unwrap()
        .read("rows")
        .unwrap();
    assert!(
        rows.dtype().to_string().contains("'<U6'"),
        "{}",
        rows.dtype()
    );
    assert_eq!(round_trip(&value), value);
}

#[test]
fn conversions_follow_the_one_table() {
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Narrow {
        #[allow(dead_code)]
        z: Vec<Complex<f32>>,
    }
    #[derive(Deserialize, Debug)]
    struct Pairs {
        #[allow(dead_code)]
        z: Vec<[f32; 2]>,
    }
    #[derive(Serialize)]
    struct Wide {
        z: Vec<Complex<f64>>,
    }
    let bytes = crate::ser::to_vec(&Wide {
        z: vec![Complex::new(1e300, 0.0)],
    })
    .unwrap();
    let err = crate::de::from_slice::<Narrow>(&bytes)
        .unwrap_err()
        .to_string();
    assert!(err.contains("float64") && err.contains("\"z\""), "{err}");
    assert!(crate::de::from_slice::<Pairs>(&bytes).is_err());

    // 0-d members convert by value, as Python writes scalars (int64, float64).
    #[derive(Serialize)]
    struct FromPython {
        epoch: i64,
        lr: f64,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct State {
        epoch: u32,
        lr: f32,
    }
    let bytes = crate::ser::to_vec(&FromPython {
        epoch: 4,
        lr: 0.001,
    })
    .unwrap();
    let state: State = crate::de::from_slice(&bytes).unwrap();
    assert_eq!(
        state,
        State {
            epoch: 4,
            lr: 0.001
        }
    );
    let bytes = crate::ser::to_vec(&FromPython {
        epoch: 1 << 40,
        lr: 0.0,
    })
    .unwrap();
    let err = crate::de::from_slice::<State>(&bytes)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("1099511627776") && err.contains("epoch"),
        "{err}"
    );
}

#[test]
fn struct_attributes_work() {
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Inner {
        a: Vec<f32>,
        b: u8,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Outer {
        #[serde(flatten)]
        inner: Inner,
        c: String,
    }
    let value = Outer {
        inner: Inner {
            a: vec![1.0, 2.0],
            b: 3,
        },
        c: "x".into(),
    };
    assert_eq!(round_trip(&value), value);

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[allow(dead_code)]
        c: String,
    }
    let bytes = crate::ser::to_vec(&value).unwrap();
    let err = crate::de::from_slice::<Strict>(&bytes)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field"), "{err}");
}

#[test]
fn empty_rows_are_bounded_by_the_bytes_present() {
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Rows {
        #[allow(dead_code)]
        x: Vec<Vec<f32>>,
    }
    #[derive(Deserialize, Debug)]
    struct Grid {
        x: ndarray::Array2<f32>,
    }
    for shape in [vec![1 << 40, 0], vec![1_000_000_000_000_000, 0]] {
        let header = crate::header::Header::new(f32::dtype(), shape.clone());
        let mut writer = crate::npz::Writer::new(std::io::Cursor::new(Vec::new()));
        writer
            .add("x", &crate::serde_format::RawMember { header, bytes: &[] })
            .unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        let err = crate::de::from_slice::<Rows>(&bytes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty rows"), "{err}");
        let grid: Grid = crate::de::from_slice(&bytes).unwrap();
        assert_eq!(grid.x.shape(), shape);
    }
}

#[test]
fn bulk_arrays_work_inside_flattened_structs() {
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Inner {
        w: crate::Bulk<Array2<i32>>,
        b: Vec<f32>,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Outer {
        #[serde(flatten)]
        inner: Inner,
        step: u64,
    }
    let value = Outer {
        inner: Inner {
            w: crate::Bulk(array![[1, 2], [3, 4]]),
            b: vec![0.5],
        },
        step: 3,
    };
    assert_eq!(round_trip(&value), value);
}

// ---------------------------------------------------------------------------------------
// Plain `Vec` and ndarray values: written in one piece, as the element path wrote them
// ---------------------------------------------------------------------------------------

/// A value serialized by forwarding to the inner one: its type is hidden from the
/// serializer, so the element path writes it, as it wrote every plain array before.
#[derive(Clone)]
struct Hidden<T>(T);

impl<T: Serialize> Serialize for Hidden<T> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[derive(Serialize)]
struct Field<T> {
    x: T,
}

/// The members (names and `.npy` bytes) of `value`, or the error message.
fn member_bytes<T: Serialize>(value: &T) -> std::result::Result<Vec<(String, Vec<u8>)>, String> {
    let mut archive = MemoryArchive::default();
    serialize_members(&mut archive, value, &SerdeOptions::default()).map_err(|e| e.to_string())?;
    Ok(archive.members)
}

/// Plain arrays written in one piece by this thread so far.
fn typed_writes() -> usize {
    plain::WRITTEN.with(|written| written.get())
}

fn check_same_as_element_path<T: Serialize>(value: T) {
    let typed = member_bytes(&Field { x: &value });
    let element = member_bytes(&Field { x: Hidden(&value) });
    assert_eq!(typed, element, "{}", std::any::type_name::<T>());
}

/// A sample value of each element type, numbered.
trait Sample: Sized {
    fn sample(i: usize) -> Self;
}

macro_rules! sample_by_cast {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn sample(i: usize) -> Self {
                i as $t
            }
        }
    )*};
}
sample_by_cast!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl Sample for bool {
    fn sample(i: usize) -> Self {
        i.is_multiple_of(3)
    }
}

impl Sample for f16 {
    fn sample(i: usize) -> Self {
        f16::from_f32(i as f32 + 0.5)
    }
}

impl Sample for half::bf16 {
    fn sample(i: usize) -> Self {
        half::bf16::from_f32(i as f32)
    }
}

impl Sample for Complex<f32> {
    fn sample(i: usize) -> Self {
        Complex::new(i as f32, -0.5)
    }
}

impl Sample for Complex<f64> {
    fn sample(i: usize) -> Self {
        Complex::new(i as f64, 0.25)
    }
}

/// Vectors and arrays of `E` of every rank and layout, empty ones included.
fn check_element_type<E: crate::serde_array::BulkElement + Sample + Serialize + Clone>() {
    use ndarray::{s, Array, Array0, Array1, Array3, IxDyn};
    let values = |n: usize| (0..n).map(E::sample).collect::<Vec<E>>();
    check_same_as_element_path(values(0));
    check_same_as_element_path(values(1));
    check_same_as_element_path(values(5));
    check_same_as_element_path(Array0::from_elem((), E::sample(7)));
    check_same_as_element_path(Array1::from(values(0)));
    check_same_as_element_path(Array1::from(values(4)));
    let c_order = Array2::from_shape_vec((2, 3), values(6)).unwrap();
    check_same_as_element_path(c_order.clone());
    check_same_as_element_path(c_order.clone().reversed_axes());
    check_same_as_element_path(c_order.slice(s![.., ..;2]).to_owned());
    check_same_as_element_path(c_order.clone().into_shared());
    check_same_as_element_path(c_order.clone().reversed_axes().into_shared());
    let mut strided = Array3::from_shape_vec((2, 3, 4), values(24)).unwrap();
    strided.slice_collapse(s![.., ..;-2, 1..]);
    check_same_as_element_path(strided);
    check_same_as_element_path(Array2::<E>::from_shape_vec((0, 3), vec![]).unwrap());
    check_same_as_element_path(Array::from_shape_vec(IxDyn(&[2, 1, 3]), values(6)).unwrap());
    check_same_as_element_path(Array::from_shape_vec(IxDyn(&[]), values(1)).unwrap());
}

#[test]
fn plain_arrays_are_written_exactly_as_the_element_path_wrote_them() {
    let before = typed_writes();
    macro_rules! each_element {
        ($($e:ty),*) => {$( check_element_type::<$e>(); )*};
    }
    crate::serde_array::bulk_element_types!(each_element);
    // 12 of the 16 values of each of the 15 element types are not empty.
    assert_eq!(typed_writes() - before, 15 * 12);
}

/// A plain array in every position a member-level value can be in.
#[derive(Serialize)]
struct Positions<A> {
    field: A,
    some: Option<A>,
    newtype: Newtype<A>,
    map: BTreeMap<String, A>,
    hashed: std::collections::HashMap<u32, A>,
    indexed: Vec<A>,
    nested: Nested<A>,
}

#[derive(Serialize)]
struct Newtype<A>(A);

#[derive(Serialize)]
struct Nested<A> {
    inner: Option<Newtype<A>>,
}

fn positions<A: Clone>(array: A) -> Positions<A> {
    Positions {
        field: array.clone(),
        some: Some(array.clone()),
        newtype: Newtype(array.clone()),
        map: BTreeMap::from([("a".to_string(), array.clone())]),
        hashed: std::collections::HashMap::from([(1, array.clone()), (10, array.clone())]),
        indexed: vec![array.clone(), array.clone()],
        nested: Nested {
            inner: Some(Newtype(array)),
        },
    }
}

#[test]
fn plain_arrays_in_every_position_are_written_in_one_piece() {
    let array = array![[1.5f32, 2.5], [3.5, 4.5]];
    let before = typed_writes();
    let typed = member_bytes(&positions(array.clone())).unwrap();
    assert_eq!(typed_writes() - before, 9, "one typed write per array");
    let before = typed_writes();
    let element = member_bytes(&positions(Hidden(array.clone()))).unwrap();
    assert_eq!(typed_writes(), before);
    assert_eq!(typed, element);

    // At the top level too, in a map of either kind.
    let sorted = BTreeMap::from([("w".to_string(), array.clone())]);
    let hashed = std::collections::HashMap::from([("w".to_string(), array.clone())]);
    let before = typed_writes();
    assert_eq!(member_bytes(&sorted), member_bytes(&hashed));
    assert_eq!(typed_writes() - before, 2);
}

// ---------------------------------------------------------------------------------------
// Hash maps: sorted key order, in bounded memory
// ---------------------------------------------------------------------------------------

fn names(members: &[(String, Vec<u8>)]) -> Vec<&str> {
    members.iter().map(|(name, _)| name.as_str()).collect()
}

#[test]
fn hash_maps_are_written_in_sorted_key_order() {
    use std::collections::HashMap;

    #[derive(Serialize)]
    struct State {
        by_name: HashMap<String, Vec<f32>>,
        by_id: HashMap<u32, Vec<u8>>,
        by_flag: HashMap<bool, Hidden<u8>>,
        kept: BTreeMap<u32, u8>,
        nested: HashMap<String, HashMap<String, u8>>,
        empty: HashMap<String, u8>,
    }
    let state = State {
        by_name: ["b", "a/c", "a", "c", "é", ""]
            .iter()
            .map(|key| (key.to_string(), vec![1.0f32; key.len()]))
            .collect(),
        by_id: [10, 2, 1, 30]
            .iter()
            .map(|&id| (id, vec![id as u8]))
            .collect(),
        by_flag: HashMap::from([(true, Hidden(1)), (false, Hidden(0))]),
        kept: BTreeMap::from([(10, 1), (2, 2)]),
        nested: HashMap::from([
            (
                "y".to_string(),
                HashMap::from([("2".to_string(), 2), ("1".to_string(), 1)]),
            ),
            ("x".to_string(), HashMap::new()),
        ]),
        empty: HashMap::new(),
    };
    let members = member_bytes(&state).unwrap();
    assert_eq!(
        names(&members),
        [
            "by_name/",
            "by_name/a",
            "by_name/a%2Fc",
            "by_name/b",
            "by_name/c",
            "by_name/é",
            "by_id/1",
            "by_id/2",
            "by_id/10",
            "by_id/30",
            "by_flag/false",
            "by_flag/true",
            "kept/2",
            "kept/10",
            "nested/x",
            "nested/y/1",
            "nested/y/2",
            "empty",
        ]
    );
    // The top level too.
    let top: HashMap<String, u8> = [("b", 1), ("a", 2), ("c", 3)]
        .iter()
        .map(|(key, value)| (key.to_string(), *value))
        .collect();
    assert_eq!(names(&member_bytes(&top).unwrap()), ["a", "b", "c"]);
}

#[test]
fn hash_maps_are_written_in_order_through_windows_of_a_budget() {
    use std::collections::HashMap;

    // 12 entries of 400 bytes and 2 of 4000, against windows of 1000 bytes, entries alone
    // from 14 * 200 bytes: windows of two small entries, gathered and written in order,
    // and the big ones one at a time.
    let mut map: HashMap<String, Vec<f32>> = (0..12)
        .map(|i| (format!("k{i:02}"), vec![i as f32; 100]))
        .collect();
    map.insert("k05b".to_string(), vec![0.5; 1000]);
    map.insert("zz".to_string(), vec![9.0; 1000]);
    let mut archive = MemoryArchive::default();
    let options = SerdeOptions::default();
    let mut root = Root::new(&mut archive, &options.separator);
    let budget = map_order::Budget {
        window_bytes: 1000,
        pass_bytes_per_entry: 200,
    };
    let written =
        map_order::write_sorted_map_within::<_, _, group::MapValue>(&mut root, "m", &map, budget)
            .unwrap();
    assert!(written);
    let mut expected: Vec<String> = map.keys().map(|key| format!("m/{key}")).collect();
    expected.sort();
    assert_eq!(names(&archive.members), expected);
    // Each member is what the map's entry writes alone.
    for (name, bytes) in &archive.members {
        let key = name.strip_prefix("m/").unwrap();
        assert_eq!(bytes, &crate::write::to_vec(&map[key]).unwrap(), "{name}");
    }

    // A key with no text form: nothing is written, the ordinary path says what is wrong.
    #[derive(Serialize, PartialEq, Eq, Hash)]
    struct Key {
        a: u8,
    }
    let bad = Field {
        x: HashMap::from([(Key { a: 1 }, 1u8)]),
    };
    let err = member_bytes(&bad).unwrap_err();
    assert!(err.contains("map keys must be strings"), "{err}");
}
