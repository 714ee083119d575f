//! The serde format's plain-array fast path and deterministic archives, through the public
//! API: plain `Vec` and ndarray fields round-trip in every position, and a value holding
//! hash maps saves to the same bytes in two processes (each seeds its hashers at random, so
//! their maps iterate in different orders).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use half::f16;
use ndarray::{array, Array1, Array2, Array3, ArrayD, IxDyn};
use num_complex::Complex;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Layer {
    weight: Array2<f32>,
    bias: Vec<f32>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Checkpoint {
    step: u64,
    layers: Vec<Layer>,
    optimizer: HashMap<String, Array2<f32>>,
    by_id: HashMap<u32, Vec<f64>>,
    embeddings: Option<Array3<f16>>,
    spectrum: ArrayD<Complex<f64>>,
    masks: BTreeMap<String, Array1<bool>>,
    nested: HashMap<String, HashMap<String, Vec<i16>>>,
}

/// A checkpoint with hash maps of several arrays; the same value in every process.
fn checkpoint() -> Checkpoint {
    let layer = |seed: f32| Layer {
        weight: Array2::from_shape_fn((3, 4), |(i, j)| seed + (i * 4 + j) as f32),
        bias: vec![seed; 4],
    };
    Checkpoint {
        step: 1200,
        layers: vec![layer(0.0), layer(100.0)],
        optimizer: (0..12)
            .map(|i| {
                let moment = Array2::from_elem((2, 3), i as f32 * 0.5);
                (format!("layers.{i}.moment"), moment)
            })
            .collect(),
        by_id: [7, 300, 2, 41, 5000, 9]
            .iter()
            .map(|&id| (id, vec![f64::from(id); 3]))
            .collect(),
        embeddings: Some(Array3::from_elem((2, 2, 2), f16::from_f32(0.25))),
        spectrum: ArrayD::from_shape_fn(IxDyn(&[2, 3]), |index| {
            Complex::new(index[0] as f64, index[1] as f64)
        }),
        masks: BTreeMap::from([
            ("b".to_string(), array![true, false]),
            ("a".to_string(), array![false]),
        ]),
        nested: (0..5)
            .map(|i| {
                let inner = (0..4)
                    .map(|j| (format!("p{j}"), vec![(i * j) as i16; 2]))
                    .collect();
                (format!("group{i}"), inner)
            })
            .collect(),
    }
}

/// Set in the child processes of `hash_maps_save_to_the_same_bytes_in_two_processes`: the
/// path to save the checkpoint to (and, beside it, the order its maps iterate in).
const SAVE_TO: &str = "NPY_SERDE_TEST_SAVE_TO";

/// The order the checkpoint's hash maps iterate in, in this process.
fn iteration_order(value: &Checkpoint) -> String {
    format!(
        "{:?} {:?}",
        value.optimizer.keys().collect::<Vec<_>>(),
        value.by_id.keys().collect::<Vec<_>>()
    )
}

/// Saves the checkpoint in a new process of this test binary.
fn save_in_child(path: &Path) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "serde_fast::hash_maps_save_to_the_same_bytes_in_two_processes",
            "--test-threads=1",
        ])
        .env(SAVE_TO, path)
        .status()
        .unwrap();
    assert!(status.success(), "the child process failed: {status}");
    assert!(path.exists(), "the child process saved nothing");
}

#[test]
fn hash_maps_save_to_the_same_bytes_in_two_processes() {
    if let Some(path) = std::env::var_os(SAVE_TO) {
        let path = Path::new(&path);
        let value = checkpoint();
        npy_serde::to_path(path, &value).unwrap();
        std::fs::write(path.with_extension("order"), iteration_order(&value)).unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.npz");
    let second = dir.path().join("second.npz");
    save_in_child(&first);
    save_in_child(&second);
    // Not vacuous: the two processes iterated the maps in different orders.
    let orders = [&first, &second]
        .map(|path| std::fs::read_to_string(path.with_extension("order")).unwrap());
    assert_ne!(orders[0], orders[1], "both processes hashed alike");
    let bytes = [&first, &second].map(|path| std::fs::read(path).unwrap());
    assert!(bytes[0] == bytes[1], "the two saves differ");
    // And this process, with its own order, writes them too.
    assert!(npy_serde::to_vec(&checkpoint()).unwrap() == bytes[0]);

    let back: Checkpoint = npy_serde::from_path(&first).unwrap();
    assert_eq!(back, checkpoint());
    let names = npy_serde::npz::Reader::open(&first).unwrap().names();
    let optimizer: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("optimizer/"))
        .collect();
    let mut sorted = optimizer.clone();
    sorted.sort();
    assert_eq!(optimizer, sorted, "hash map members in sorted key order");
    let ids: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix("by_id/"))
        .collect();
    assert_eq!(
        ids,
        ["2", "7", "9", "41", "300", "5000"],
        "integer keys by value"
    );
}

#[test]
fn plain_fields_round_trip_with_numpy_layouts_and_widening() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Narrow {
        weight: Array2<f32>,
        ids: Vec<i32>,
        flags: Vec<bool>,
    }
    #[derive(Deserialize, PartialEq, Debug)]
    struct Wide {
        weight: Array2<f64>,
        ids: Vec<i64>,
        flags: ArrayD<bool>,
    }
    let narrow = Narrow {
        // A Fortran-order array: written in C order, as ndarray's own form gives it.
        weight: array![[1.5f32, 2.5, 3.5], [4.5, 5.5, 6.5]].reversed_axes(),
        ids: vec![-3, 0, 70000],
        flags: vec![true, false, true],
    };
    let bytes = npy_serde::to_vec(&narrow).unwrap();
    let back: Narrow = npy_serde::from_slice(&bytes).unwrap();
    assert_eq!(back, narrow);
    assert!(back.weight.is_standard_layout());
    let wide: Wide = npy_serde::from_slice(&bytes).unwrap();
    assert_eq!(wide.weight, narrow.weight.mapv(f64::from));
    assert_eq!(wide.ids, [-3, 0, 70000]);
    assert_eq!(
        wide.flags,
        ArrayD::from_shape_vec(IxDyn(&[3]), narrow.flags).unwrap()
    );

    // Narrowing is refused, naming the member, as before.
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct TooNarrow {
        ids: Vec<i16>,
    }
    let err = npy_serde::from_slice::<TooNarrow>(&bytes).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err.kind(),
            npy_serde::error::ErrorKind::DtypeMismatch { .. }
        ) && text.contains("\"ids\"")
            && text.contains("int32"),
        "{text}"
    );
}

#[test]
fn sorted_hash_maps_write_what_a_btree_map_writes_with_any_options() {
    #[derive(Serialize)]
    struct State<F, S> {
        floats: F,
        names: S,
    }
    let floats: BTreeMap<String, Vec<f32>> = (0..9)
        .map(|i| (format!("k{i}"), vec![i as f32 + 0.5; 3]))
        .collect();
    let names: BTreeMap<u16, Vec<String>> = (0..9)
        .map(|i| (i * 100, vec![format!("n{i}"), "é".repeat(usize::from(i))]))
        .collect();
    let hashed = State {
        floats: floats.clone().into_iter().collect::<HashMap<_, _>>(),
        names: names.clone().into_iter().collect::<HashMap<_, _>>(),
    };
    let ordered = State { floats, names };
    let big_endian = npy_serde::SerdeOptions::default()
        .with_write(npy_serde::WriteOptions::default().with_endian(npy_serde::dtype::Endian::Big));
    for options in [npy_serde::SerdeOptions::default(), big_endian] {
        // Small entries are gathered in memory, then written with the archive's options.
        let from_hash = npy_serde::to_vec_with(&hashed, &options).unwrap();
        let from_btree = npy_serde::to_vec_with(&ordered, &options).unwrap();
        assert!(from_hash == from_btree, "{options:?}");
    }
}
