//! The serde format against real NumPy, both ways: Rust structs saved with
//! `npy_serde::to_path` open in `np.load` with the right names, dtypes, shapes and values;
//! archives made by `np.savez`/`np.savez_compressed` load into Rust structs and maps; and
//! the mismatches a user can hit are errors that name the member. Values of every serde
//! family (`tests/serde_families`) survive NumPy's `np.load` + `np.savez`, and scalars
//! edited in NumPy load back by value.

use std::collections::{BTreeMap, HashMap};

use half::f16;
use ndarray::{array, Array1, Array2, Array3, ArrayD};
use npy_serde::error::ErrorKind;
use npy_serde::npz::Compression;
use npy_serde::{Bulk, SerdeOptions, WriteOptions};
use num_complex::Complex;
use serde::{Deserialize, Serialize};
use test_support::{run_python, temp_dir};

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone, Copy)]
enum Phase {
    Warmup,
    Steady,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Sample {
    x: f32,
    label: i64,
    ok: bool,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Layer {
    weight: Array2<f32>,
    bias: Array1<f32>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Encoder {
    layer0: Layer,
    embedding: Bulk<Array3<f64>>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct State {
    encoder: Encoder,
    step: u64,
    lr: f32,
    name: String,
    tags: Vec<String>,
    phase: Phase,
    losses: Vec<f64>,
    grid: Vec<Vec<i16>>,
    flags: [bool; 3],
    scale: f16,
    spectrum: Vec<Complex<f64>>,
    samples: Vec<Sample>,
    note: Option<String>,
}

fn state() -> State {
    State {
        encoder: Encoder {
            layer0: Layer {
                weight: array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
                bias: array![0.5, -0.5],
            },
            embedding: Bulk(Array3::from_shape_fn((2, 3, 4), |(i, j, k)| {
                (i * 100 + j * 10 + k) as f64
            })),
        },
        step: 1234,
        lr: 0.001,
        name: "résumé".into(),
        tags: vec!["a".into(), "longest".into()],
        phase: Phase::Steady,
        losses: vec![0.9, 0.5, 0.25],
        grid: vec![vec![1, 2, 3], vec![4, 5, 6]],
        flags: [true, false, true],
        scale: f16::from_f32(0.5),
        spectrum: vec![Complex::new(1.0, -1.0), Complex::new(0.0, 2.0)],
        samples: vec![
            Sample {
                x: 1.5,
                label: 3,
                ok: true,
            },
            Sample {
                x: -2.0,
                label: 4,
                ok: false,
            },
        ],
        note: None,
    }
}

#[test]
fn rust_structs_open_in_numpy_with_the_right_members() {
    let dir = temp_dir();
    let value = state();
    npy_serde::to_path(dir.path().join("state.npz"), &value).unwrap();
    let options = SerdeOptions::default()
        .with_write(WriteOptions::default().with_compression(Compression::Deflate { level: 6 }));
    npy_serde::to_path_with(dir.path().join("compressed"), &value, &options).unwrap();
    let out = run_python(
        r#"
import numpy as np
for name in ["state.npz", "compressed.npz"]:
    z = np.load(name)
    assert sorted(z.files) == sorted([
        "encoder/layer0/weight", "encoder/layer0/bias", "encoder/embedding", "step", "lr",
        "name", "tags", "phase", "losses", "grid", "flags", "scale", "spectrum", "samples",
    ]), z.files
    assert z["encoder/layer0/weight"].dtype == np.float32
    assert (z["encoder/layer0/weight"] == [[1, 2, 3], [4, 5, 6]]).all()
    assert z["encoder/layer0/bias"].tolist() == [0.5, -0.5]
    emb = z["encoder/embedding"]
    assert emb.dtype == np.float64 and emb.shape == (2, 3, 4) and emb[1, 2, 3] == 123
    assert z["step"].dtype == np.uint64 and z["step"].shape == () and z["step"] == 1234
    assert z["lr"].dtype == np.float32 and abs(z["lr"] - 0.001) < 1e-9
    assert z["name"].dtype == np.dtype("<U6") and z["name"][()] == "résumé"
    assert z["tags"].dtype == np.dtype("<U7") and z["tags"].tolist() == ["a", "longest"]
    assert z["phase"][()] == "Steady"
    assert z["losses"].tolist() == [0.9, 0.5, 0.25]
    assert z["grid"].dtype == np.int16 and z["grid"].shape == (2, 3)
    assert z["flags"].dtype == np.bool_ and z["flags"].tolist() == [True, False, True]
    assert z["scale"].dtype == np.float16 and z["scale"] == 0.5
    assert z["spectrum"].dtype == np.complex128 and z["spectrum"].tolist() == [1 - 1j, 2j]
    s = z["samples"]
    assert s.dtype == np.dtype([("x", "<f4"), ("label", "<i8"), ("ok", "?")]), s.dtype
    assert s["x"].tolist() == [1.5, -2.0] and s["label"].tolist() == [3, 4]
    assert s["ok"].tolist() == [True, False]
print("ok")
"#,
        dir.path(),
    );
    assert_eq!(out.trim(), "ok");
    // And it all comes back.
    let back: State = npy_serde::from_path(dir.path().join("compressed.npz")).unwrap();
    assert_eq!(back, value);
}

#[test]
fn numpy_archives_load_into_structs_and_maps() {
    let dir = temp_dir();
    run_python(
        r#"
import numpy as np
rng = np.random.default_rng(0)
state_dict = {
    "encoder/layer0/weight": np.arange(6, dtype=np.float32).reshape(2, 3),
    "encoder/layer0/bias": np.array([0.5, -0.5], dtype=np.float32),
    "encoder/embedding": np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4)),
    "lr": np.float32(0.01),
    "name": np.array("run"),
    "tags": np.array(["x", "yy"]),
    "phase": np.array("Warmup"),
    "losses": np.array([1.0, 0.5], dtype=np.float32),   # widened into f64
    "grid": np.array([[1, 2], [3, 4]], dtype=np.int8),  # widened into i16
    "flags": np.array([False, True, False]),
    "scale": np.float16(2.0),
    "spectrum": np.array([1 + 2j], dtype=np.complex64), # widened into Complex<f64>
    "samples": np.array([(1.0, 9, True)], dtype=[("x", "<f4"), ("label", "<i8"), ("ok", "?")]),
    "extra": np.zeros(3),
}
state_dict["step"] = np.array(7, dtype=np.uint32)  # widened into u64
np.savez("state.npz", **state_dict)
np.savez_compressed("flat.npz", **{"layer0.weight": np.ones((2, 2), np.float32),
                                    "layer0.bias": np.zeros(2, np.float32)})
np.savez("dict.npz", **{"enc/w": np.ones((2, 2), np.float32), "enc/b": np.zeros(2, np.float32)})
"#,
        dir.path(),
    );
    let state: State = npy_serde::from_path(dir.path().join("state.npz")).unwrap();
    assert_eq!(
        state.encoder.layer0.weight,
        array![[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    );
    assert_eq!(state.encoder.embedding[[1, 2, 3]], 23.0);
    assert_eq!(state.step, 7);
    assert_eq!((state.name.as_str(), state.phase), ("run", Phase::Warmup));
    assert_eq!(state.tags, ["x", "yy"]);
    assert_eq!(state.losses, [1.0, 0.5]);
    assert_eq!(state.grid, [[1, 2], [3, 4]]);
    assert_eq!(state.flags, [false, true, false]);
    assert_eq!(state.scale, f16::from_f32(2.0));
    assert_eq!(state.spectrum, [Complex::new(1.0, 2.0)]);
    assert_eq!(
        state.samples,
        [Sample {
            x: 1.0,
            label: 9,
            ok: true
        }]
    );
    assert_eq!(state.note, None);

    // A struct reads the members it names and ignores the rest.
    #[derive(Deserialize)]
    struct OnlyEncoder {
        encoder: Encoder,
    }
    let partial: OnlyEncoder = npy_serde::from_path(dir.path().join("state.npz")).unwrap();
    assert_eq!(partial.encoder, state.encoder);

    // State dicts as maps: flat names, nested names as nested maps, or nested names kept
    // whole with a separator they do not contain.
    let flat: HashMap<String, ArrayD<f32>> =
        npy_serde::from_path(dir.path().join("flat.npz")).unwrap();
    assert_eq!(flat["layer0.weight"].shape(), [2, 2]);
    assert_eq!(flat["layer0.bias"].shape(), [2]);
    let nested: HashMap<String, HashMap<String, ArrayD<f32>>> =
        npy_serde::from_path(dir.path().join("dict.npz")).unwrap();
    assert_eq!(nested["enc"]["w"].shape(), [2, 2]);
    let whole: HashMap<String, ArrayD<f32>> = npy_serde::from_path_with(
        dir.path().join("dict.npz"),
        &SerdeOptions::default().with_separator("|"),
    )
    .unwrap();
    assert_eq!(whole["enc/w"].shape(), [2, 2]);
    let err = npy_serde::from_path::<HashMap<String, ArrayD<f32>>, _>(dir.path().join("dict.npz"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("with_separator"), "{err}");
}

/// The flow a new user tries first: derive on a checkpoint struct with nested sub-structs,
/// save, edit an array in NumPy, save there with `np.savez`, load it back into the struct.
#[test]
fn checkpoint_edited_in_numpy_loads_back() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Optimizer {
        momentum: Array2<f32>,
        beta: f32,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Model {
        encoder: Layer,
        decoder: Layer,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Checkpoint {
        epoch: u32,
        model: Model,
        optimizer: Optimizer,
        history: Vec<f32>,
    }
    let layer = |n: usize| Layer {
        weight: Array2::from_shape_fn((n, 2), |(i, j)| (i + j) as f32),
        bias: Array1::zeros(n),
    };
    let mut checkpoint = Checkpoint {
        epoch: 4,
        model: Model {
            encoder: layer(3),
            decoder: layer(2),
        },
        optimizer: Optimizer {
            momentum: Array2::zeros((3, 2)),
            beta: 0.9,
        },
        history: vec![1.0, 0.5],
    };
    let dir = temp_dir();
    npy_serde::to_path(dir.path().join("ckpt.npz"), &checkpoint).unwrap();
    let out = run_python(
        r#"
import numpy as np
with np.load("ckpt.npz") as z:
    arrays = dict(z)
print(sorted(arrays))
arrays["model/decoder/weight"] = arrays["model/decoder/weight"] * 10
arrays["epoch"] = arrays["epoch"] + 1
np.savez("edited.npz", **arrays)
"#,
        dir.path(),
    );
    assert!(
        out.contains("'model/encoder/weight'") && out.contains("'optimizer/beta'"),
        "{out}"
    );
    let edited: Checkpoint = npy_serde::from_path(dir.path().join("edited.npz")).unwrap();
    checkpoint.epoch = 5;
    checkpoint.model.decoder.weight *= 10.0;
    assert_eq!(edited, checkpoint);
}

#[test]
fn mismatches_are_errors_naming_the_member() {
    let dir = temp_dir();
    run_python(
        r#"
import numpy as np
np.savez("model.npz", **{
    "layer0/weight": np.zeros((3,), np.float64),
    "layer0/bias": np.zeros((2,), np.float32),
})
np.savez("wide.npz", **{"layer0/weight": np.zeros((2, 3), np.float64),
                        "layer0/bias": np.zeros((2,), np.float32)})
"#,
        dir.path(),
    );
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Model {
        layer0: Layer,
    }
    // Wrong rank.
    let err = npy_serde::from_path::<Model, _>(dir.path().join("model.npz")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("model.npz") && text.contains("\"layer0/weight\""),
        "{text}"
    );
    assert!(text.contains("expected 2-D array, found (3,)"), "{text}");
    assert!(
        matches!(err.kind(), ErrorKind::ShapeMismatch { .. }),
        "{err:?}"
    );
    // Wrong dtype (float64 does not narrow into f32).
    let err = npy_serde::from_path::<Model, _>(dir.path().join("wide.npz")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("\"layer0/weight\"")
            && text.contains(
                "expected 2-D float32 (f32), found shape (2, 3) '<f8' (float64), which loads \
                 as f64"
            ),
        "{text}"
    );
    assert!(
        matches!(err.kind(), ErrorKind::DtypeMismatch { .. }),
        "{err:?}"
    );
    // Missing member.
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Other {
        layer1: Layer,
    }
    let err = npy_serde::from_path::<Other, _>(dir.path().join("wide.npz")).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MissingMember { name, available }
            if name == "layer1" && available.contains("layer0/weight")),
        "{err}"
    );
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Partial {
        layer0: Partial2,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Partial2 {
        scale: f32,
    }
    let err = npy_serde::from_path::<Partial, _>(dir.path().join("wide.npz")).unwrap_err();
    assert!(err.to_string().contains("\"layer0/scale\""), "{err}");

    // Ragged Vec: nothing is written.
    #[derive(Serialize)]
    struct Ragged {
        ok: Vec<f32>,
        rows: Vec<Vec<f32>>,
    }
    let path = dir.path().join("ragged.npz");
    let err = npy_serde::to_path(
        &path,
        &Ragged {
            ok: vec![1.0],
            rows: vec![vec![1.0], vec![]],
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("\"rows\"") && err.contains("ragged"), "{err}");
    assert!(!path.exists(), "a failed save leaves no file");

    // Top-level scalar, both ways.
    let err = npy_serde::to_vec(&3.5f64).unwrap_err().to_string();
    assert!(err.contains("top-level"), "{err}");
    let bytes = npy_serde::to_vec(&BTreeMap::from([("x".to_string(), 1u8)])).unwrap();
    let err = npy_serde::from_slice::<u8>(&bytes).unwrap_err().to_string();
    assert!(err.contains("top-level"), "{err}");
}

// ---------------------------------------------------------------------------------------
// The round-trip guarantee through NumPy (issue 9)

use super::serde_families;

/// One generated value, saved here, re-saved by NumPy, and compared after loading back.
trait NumpyCase {
    fn family(&self) -> &'static str;
    fn save(&self, path: &std::path::Path);
    /// Loads `path` and compares with the value saved; `Err` says how it differs.
    fn check(&self, path: &std::path::Path) -> Result<(), String>;
}

struct Case<T> {
    family: &'static str,
    value: T,
    options: SerdeOptions,
}

impl<T> NumpyCase for Case<T>
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    fn family(&self) -> &'static str {
        self.family
    }

    fn save(&self, path: &std::path::Path) {
        npy_serde::to_path_with(path, &self.value, &self.options).unwrap_or_else(|e| {
            panic!("{}: save failed: {e}\nvalue: {:?}", self.family, self.value)
        });
    }

    fn check(&self, path: &std::path::Path) -> Result<(), String> {
        match npy_serde::from_path_with::<T, _>(path, &self.options) {
            Ok(back) if back == self.value => Ok(()),
            Ok(back) => Err(format!("loaded {back:?}\n  saved {:?}", self.value)),
            Err(e) => Err(format!("load failed: {e}\n  saved {:?}", self.value)),
        }
    }
}

/// `count` values of `strategy`, the same on every run (a fixed-seed runner).
fn generated<S>(
    runner: &mut proptest::test_runner::TestRunner,
    family: &'static str,
    strategy: S,
    separators: &[&str],
    count: usize,
) -> Vec<Box<dyn NumpyCase>>
where
    S: proptest::strategy::Strategy,
    S::Value: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug + 'static,
{
    use proptest::strategy::ValueTree;
    (0..count)
        .map(|i| {
            let value = strategy.new_tree(runner).unwrap().current();
            let separator = separators[i % separators.len()];
            Box::new(Case {
                family,
                value,
                options: serde_families::options(separator),
            }) as Box<dyn NumpyCase>
        })
        .collect()
}

/// Archives of every family written here, loaded and re-saved by NumPy
/// (`d = dict(np.load(f)); np.savez(f2, **d)`) in one Python process, load back equal.
#[test]
fn generated_values_survive_a_numpy_load_and_resave() {
    use serde_families::*;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let both: &[&str] = &["/", "."];
    let slash: &[&str] = &["/"];
    let mut cases = Vec::new();
    cases.extend(generated(&mut runner, "nested structs", nested(), slash, 3));
    cases.extend(generated(&mut runner, "Vec of layers", model(), slash, 4));
    cases.extend(generated(
        &mut runner,
        "string-keyed maps",
        string_maps(),
        both,
        4,
    ));
    cases.extend(generated(
        &mut runner,
        "integer-keyed maps",
        int_maps(),
        both,
        3,
    ));
    cases.extend(generated(&mut runner, "Bulk", bulks(), both, 3));
    cases.extend(generated(
        &mut runner,
        "arrays rank 0-4",
        arrays(),
        slash,
        4,
    ));
    cases.extend(generated(
        &mut runner,
        "empty maps/Vecs",
        empties(),
        both,
        3,
    ));
    cases.extend(generated(&mut runner, "Option", options_family(), both, 4));
    cases.extend(generated(&mut runner, "f16/complex", numbers(), slash, 3));
    cases.extend(generated(&mut runner, "strings", texts(), slash, 3));
    cases.extend(generated(&mut runner, "records", records(), slash, 3));
    cases.extend(generated(&mut runner, "flatten", flattened(), slash, 2));
    cases.extend(generated(
        &mut runner,
        "flattened map",
        flattened_map(),
        slash,
        2,
    ));
    cases.extend(generated(&mut runner, "default/skip", defaults(), slash, 3));

    let dir = temp_dir();
    for (i, case) in cases.iter().enumerate() {
        case.save(&dir.path().join(format!("case{i}.npz")));
    }
    let out = run_python(
        &format!(
            r#"
import numpy as np
for i in range({count}):
    with np.load(f"case{{i}}.npz") as z:
        d = dict(z)
    np.savez(f"numpy{{i}}.npz", **d)
print({count})
"#,
            count = cases.len()
        ),
        dir.path(),
    );
    assert_eq!(out.trim(), cases.len().to_string());
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            case.check(&dir.path().join(format!("numpy{i}.npz")))
                .err()
                .map(|why| format!("case{i} ({}): {why}", case.family()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} values differ after NumPy's load + savez:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The checkpoint flow: saved here, a scalar edited in NumPy the only way Python can
/// (`d["epoch"] = 4` is an int64, `d["lr"] = 0.001` a float64), loaded back into `u32` and
/// `f32` fields by value.
#[test]
fn scalars_edited_in_numpy_load_by_value() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Checkpoint {
        epoch: u32,
        lr: f32,
        layers: Vec<Layer>,
        optimizer: HashMap<String, Array2<f32>>,
    }
    let mut checkpoint = Checkpoint {
        epoch: 1,
        lr: 0.1,
        layers: vec![
            Layer {
                weight: Array2::from_elem((2, 3), 0.5),
                bias: Array1::zeros(2),
            },
            Layer {
                weight: Array2::from_elem((1, 2), -1.0),
                bias: Array1::ones(1),
            },
        ],
        optimizer: HashMap::new(),
    };
    let dir = temp_dir();
    npy_serde::to_path(dir.path().join("ckpt.npz"), &checkpoint).unwrap();
    let out = run_python(
        r#"
import numpy as np
with np.load("ckpt.npz") as z:
    d = dict(z)
print(sorted(d))
d["epoch"] = 4
d["lr"] = 0.001
np.savez("ckpt.npz", **d)
"#,
        dir.path(),
    );
    assert!(out.contains("'layers/1/weight'"), "{out}");
    let edited: Checkpoint = npy_serde::from_path(dir.path().join("ckpt.npz")).unwrap();
    checkpoint.epoch = 4;
    checkpoint.lr = 0.001;
    assert_eq!(edited, checkpoint);
}
