//! A small model with the ndarray backend: save, load, remap, PyTorch layout, dtypes.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::store::{ModuleSnapshot, ModuleStore};
use npy_serde::ndarray::{array, Array2, ShapeBuilder};
use npy_serde::npz;

use super::*;

#[derive(Module, Debug)]
struct Net {
    fc1: Linear,
    fc2: Linear,
}

fn net() -> Net {
    let device = Default::default();
    Net {
        fc1: LinearConfig::new(3, 4).init(&device),
        fc2: LinearConfig::new(4, 2).init(&device),
    }
}

fn weights(net: &Net) -> Vec<Vec<f32>> {
    [net.fc1.weight.val(), net.fc2.weight.val()]
        .into_iter()
        .map(|t| t.into_data().try_to_vec::<f32>().unwrap())
        .collect()
}

#[test]
fn a_model_saves_by_parameter_path_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.npz");
    let saved = net();
    saved.save_into(&mut NpzStore::new(&path)).unwrap();
    let mut names = npz::Reader::open(&path).unwrap().names();
    names.sort();
    assert_eq!(names, ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]);
    let mut archive = npz::Reader::open(&path).unwrap();
    let w: Array2<f32> = archive.read("fc1.weight").unwrap();
    assert_eq!(w.shape(), [3, 4], "burn's [in, out]");

    let mut loaded = net();
    assert_ne!(weights(&loaded), weights(&saved));
    let result = loaded.load_from(&mut NpzStore::new(&path)).unwrap();
    assert_eq!(result.applied.len(), 4);
    assert_eq!(weights(&loaded), weights(&saved));
}

#[test]
fn pytorch_layout_and_key_remapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("torch.npz");
    let saved = net();
    let mut store = NpzStore::new(&path)
        .pytorch()
        .with_key_remapping(r"^fc(\d)\.", "model.linear$1.")
        .unwrap();
    saved.save_into(&mut store).unwrap();
    let mut archive = npz::Reader::open(&path).unwrap();
    let w: Array2<f32> = archive.read("model.linear1.weight").unwrap();
    assert_eq!(w.shape(), [4, 3], "PyTorch's [out, in]");

    // A state dict NumPy holds with PyTorch's names loads back through the reverse mapping.
    let mut loaded = net();
    let mut store = NpzStore::new(&path)
        .pytorch()
        .with_key_remapping(r"^model\.linear(\d)\.", "fc$1.")
        .unwrap();
    assert_eq!(store.keys().unwrap().len(), 4);
    loaded.load_from(&mut store).unwrap();
    assert_eq!(weights(&loaded), weights(&saved));
}

#[test]
fn members_load_widened_big_endian_and_fortran_into_the_parameter_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numpy.npz");
    let c = array![
        [1.0f32, 2.0, 3.0, 4.0],
        [5.0, 6.0, 7.0, 8.0],
        [9.0, 10.0, 11.0, 12.0]
    ];
    let fortran = Array2::from_shape_fn((3, 4).f(), |ij| c[ij]);
    let options = npy_serde::WriteOptions::default().with_endian(Endian::Big);
    let mut writer = npz::Writer::create_with(&path, &options).unwrap();
    writer
        .add("fc1.weight", &fortran.mapv(f16::from_f32))
        .unwrap();
    writer.add("fc1.bias", &vec![1i8, 2, 3, 4]).unwrap();
    writer.finish().unwrap();
    let mut loaded = net();
    let result = loaded
        .load_from(&mut NpzStore::new(&path).allow_partial(true))
        .unwrap();
    assert_eq!(result.applied.len(), 2);
    assert_eq!(
        loaded
            .fc1
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap(),
        c.iter().copied().collect::<Vec<_>>()
    );
    assert_eq!(
        loaded
            .fc1
            .bias
            .as_ref()
            .unwrap()
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap(),
        [1.0, 2.0, 3.0, 4.0]
    );
    // Without allow_partial, fc2 missing is an error naming it.
    let err = net()
        .load_from(&mut NpzStore::new(&path))
        .unwrap_err()
        .to_string();
    assert!(err.contains("fc2.weight"), "{err}");
    // A narrowing member is refused.
    npz::savez(&path, &[("fc1.bias", &vec![1.0f64, 2.0, 3.0, 4.0])]).unwrap();
    let err = net()
        .load_from(&mut NpzStore::new(&path).allow_partial(true))
        .unwrap_err()
        .to_string();
    assert!(err.contains("float64"), "{err}");
}

#[test]
fn tensor_data_converts_to_and_from_arrays_for_every_dtype() {
    let a = array![[1.5f32, 2.5], [3.5, 4.5]];
    let data = from_array(a.clone());
    assert_eq!(to_array::<f32>(&data).unwrap(), a.clone().into_dyn());
    let t = from_array(a.t().to_owned());
    assert_eq!(to_array::<f32>(&t).unwrap(), a.t().into_dyn());
    let b = from_array(array![bf16::from_f32(1.0)]);
    assert_eq!(b.dtype(), DType::BF16);
    assert_eq!(numpy_dtype(DType::BF16).unwrap().to_string(), "'|V2'");
    assert_eq!(burn_dtype(&"|V2".parse().unwrap()), None);
    for dtype in [
        DType::I8,
        DType::U16,
        DType::U64,
        DType::F16,
        DType::F64,
        DType::Bool(BoolStore::Native),
    ] {
        assert_eq!(burn_dtype(&numpy_dtype(dtype).unwrap()), Some(dtype));
    }
    assert!(numpy_dtype(DType::Flex32).is_none());
}
