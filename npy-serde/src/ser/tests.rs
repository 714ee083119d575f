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
