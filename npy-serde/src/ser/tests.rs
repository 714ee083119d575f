//! The serializer's unit tests: what each kind of field becomes.

use std::collections::BTreeMap;

use half::f16;
use ndarray::{array, Array2, ArrayD};
use serde::Serialize;

use super::*;
use crate::serde_format::shape_text;
use crate::serde_format::test_values::{points, Mode, Point};
use crate::serde_format::MemoryArchive;
use crate::NpyArray;
use num_complex::Complex;

fn members<T: Serialize>(value: &T) -> Result<Vec<(String, NpyArray)>> {
    let mut archive = MemoryArchive::default();
    serialize_members(&mut archive, value, &SerdeOptions::default())?;
    Ok(archive
        .members
        .iter()
        .map(|(name, bytes)| (name.clone(), crate::from_bytes(bytes).unwrap()))
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
        &crate::ArrayData::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
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
