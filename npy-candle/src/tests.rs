//! Round trips through npz for every dtype and layout, widening and refusals, `VarMap`s
//! and the `VarBuilder` backend, against candle's own readers where they work.

use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::{VarBuilder, VarMap};
use npy_serde::dtype::Endian;
use npy_serde::ndarray::{array, Array2, ShapeBuilder};
use npy_serde::npz::{self, Compression};
use npy_serde::WriteOptions;

use super::*;

fn same(a: &Tensor, b: &Tensor) {
    assert_eq!(a.dtype(), b.dtype());
    assert_eq!(a.dims(), b.dims());
    let (a, b) = (
        a.to_dtype(DType::F64).unwrap(),
        b.to_dtype(DType::F64).unwrap(),
    );
    assert_eq!(
        a.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
        b.flatten_all().unwrap().to_vec1::<f64>().unwrap()
    );
}

#[test]
fn every_dtype_and_layout_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::Cpu;
    let base = Tensor::arange(0u32, 24, &device)
        .unwrap()
        .reshape((2, 3, 4))
        .unwrap();
    let mut tensors = Vec::new();
    for dtype in DTYPES {
        let t = base.to_dtype(dtype).unwrap();
        tensors.push((format!("{dtype:?}/c"), t.clone()));
        tensors.push((format!("{dtype:?}/t"), t.t().unwrap()));
        tensors.push((format!("{dtype:?}/slice"), t.i((.., 1.., ..3)).unwrap()));
        tensors.push((format!("{dtype:?}/permuted"), t.permute((2, 0, 1)).unwrap()));
        tensors.push((format!("{dtype:?}/scalar"), t.i((1, 2, 3)).unwrap()));
    }
    for compression in [Compression::Stored, Compression::NUMPY_DEFLATE] {
        let path = dir.path().join("all.npz");
        let refs: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
        save_with(
            &path,
            &refs,
            &WriteOptions::default().with_compression(compression),
        )
        .unwrap();
        let mut archive = npz::Reader::open(&path).unwrap();
        for (name, tensor) in &tensors {
            let back = if tensor.dtype() == DType::BF16 {
                assert!(
                    read_tensor(&mut archive, name, &device).is_err(),
                    "|V2 is not guessed"
                );
                read_tensor_as(&mut archive, name, DType::BF16, &device).unwrap()
            } else {
                read_tensor(&mut archive, name, &device).unwrap()
            };
            same(&back, tensor);
        }
        // The backend: directory once, deflated members inflated at open.
        let backend = NpzBackend::open(&path).unwrap();
        for (name, tensor) in &tensors {
            same(
                &backend.load(name, tensor.dtype(), &device).unwrap(),
                tensor,
            );
        }
        // load(): own dtypes only, so without the bf16 members.
        let plain = dir.path().join("plain.npz");
        let refs: Vec<(&str, &Tensor)> = refs
            .into_iter()
            .filter(|(_, t)| t.dtype() != DType::BF16)
            .collect();
        save_with(
            &plain,
            &refs,
            &WriteOptions::default().with_compression(compression),
        )
        .unwrap();
        let all = load(&plain, &device).unwrap();
        assert_eq!(all.len(), refs.len());
        for ((name, back), (expected_name, tensor)) in all.iter().zip(&refs) {
            assert_eq!(name, expected_name);
            same(back, tensor);
        }
    }
}

#[test]
fn transposed_tensors_are_fortran_members_and_come_back_without_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npz");
    let device = Device::Cpu;
    let m = Tensor::arange(0f32, 6.0, &device)
        .unwrap()
        .reshape((2, 3))
        .unwrap();
    save(&path, &[("t", &m.t().unwrap())]).unwrap();
    let mut archive = npz::Reader::open(&path).unwrap();
    assert!(archive.header("t").unwrap().header.fortran_order);
    let back = read_tensor(&mut archive, "t", &device).unwrap();
    assert!(!back.is_contiguous() && back.t().unwrap().is_contiguous());
    same(&back, &m.t().unwrap());
}

#[test]
fn big_endian_and_fortran_members_load_and_widen_only_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numpy.npz");
    let options = WriteOptions::default().with_endian(Endian::Big);
    let mut writer = npz::Writer::create_with(&path, &options).unwrap();
    let c = array![[1.5f32, 2.5, 3.5], [4.5, 5.5, 6.5]];
    let f = Array2::from_shape_fn((2, 3).f(), |ij| c[ij]);
    writer.add("c", &c).unwrap();
    writer.add("f", &f).unwrap();
    writer.add("i8", &vec![-3i8, 4]).unwrap();
    writer.add("u16", &vec![65535u16, 1]).unwrap();
    writer.add("flags", &vec![true, false]).unwrap();
    writer.finish().unwrap();
    let device = Device::Cpu;
    let mut archive = npz::Reader::open(&path).unwrap();
    let expected = vec![vec![1.5f32, 2.5, 3.5], vec![4.5, 5.5, 6.5]];
    for name in ["c", "f"] {
        let t = read_tensor(&mut archive, name, &device).unwrap();
        assert_eq!(t.to_vec2::<f32>().unwrap(), expected, "{name}");
        let wide = read_tensor_as(&mut archive, name, DType::F64, &device).unwrap();
        assert_eq!(wide.dtype(), DType::F64);
        let err = read_tensor_as(&mut archive, name, DType::F16, &device).unwrap_err();
        assert!(err.to_string().contains("float32"), "{err}");
    }
    let err = read_tensor(&mut archive, "i8", &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("I16"), "{err}");
    let t = read_tensor_as(&mut archive, "i8", DType::I16, &device).unwrap();
    assert_eq!(t.to_vec1::<i16>().unwrap(), [-3, 4]);
    let t = read_tensor_as(&mut archive, "u16", DType::U32, &device).unwrap();
    assert_eq!(t.to_vec1::<u32>().unwrap(), [65535, 1]);
    assert!(read_tensor_as(&mut archive, "u16", DType::I16, &device).is_err());
    assert!(read_tensor_as(&mut archive, "flags", DType::U8, &device).is_err());
    // candle's own reader refuses these members (big-endian).
    assert!(Tensor::read_npz(&path).is_err());
}

#[test]
fn varmaps_save_by_name_and_load_into_their_dtypes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vars.npz");
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let _ = candle_nn::linear(3, 2, vb.pp("fc1")).unwrap();
    let _ = candle_nn::linear(2, 1, vb.pp("fc2")).unwrap();
    varmap::save(&varmap, &path).unwrap();
    assert_eq!(
        npz::Reader::open(&path).unwrap().names(),
        ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]
    );
    let mut fresh = VarMap::new();
    let vb = VarBuilder::from_varmap(&fresh, DType::F32, &device);
    let _ = candle_nn::linear(3, 2, vb.pp("fc1")).unwrap();
    let _ = candle_nn::linear(2, 1, vb.pp("fc2")).unwrap();
    varmap::load(&mut fresh, &path).unwrap();
    let (old, new) = (varmap.data().lock().unwrap(), fresh.data().lock().unwrap());
    for (name, var) in old.iter() {
        same(new[name].as_tensor(), var.as_tensor());
    }
    drop((old, new));
    // A variable the file lacks is an error naming it.
    let mut more = VarMap::new();
    let vb = VarBuilder::from_varmap(&more, DType::F32, &device);
    let _ = candle_nn::linear(3, 2, vb.pp("fc3")).unwrap();
    let err = varmap::load(&mut more, &path).unwrap_err().to_string();
    assert!(err.contains("fc3"), "{err}");
}

#[test]
fn the_backend_checks_shapes_and_casts_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.npz");
    let device = Device::Cpu;
    let w = Tensor::ones((2, 3), DType::F32, &device).unwrap();
    save(&path, &[("w", &w)]).unwrap();
    let vb = var_builder(&path, DType::F32, &device).unwrap();
    assert!(vb.get((3, 2), "w").is_err());
    assert!(vb.contains_tensor("w") && !vb.contains_tensor("v"));
    let bf16_vb = var_builder(&path, DType::BF16, &device).unwrap();
    assert!(
        bf16_vb.get((2, 3), "w").is_err(),
        "f32 does not narrow into bf16"
    );
    let cast = NpzBackend::open(&path)
        .unwrap()
        .with_cast(true)
        .into_var_builder(DType::BF16, &device);
    assert_eq!(cast.get((2, 3), "w").unwrap().dtype(), DType::BF16);
}

#[test]
fn tensors_convert_to_and_from_arrays() {
    let device = Device::Cpu;
    let a = array![[1i64, 2, 3], [4, 5, 6]];
    let t = from_array(a.clone(), &device).unwrap();
    assert_eq!(to_array::<i64>(&t).unwrap(), a.clone().into_dyn());
    assert_eq!(to_array::<i64>(&t.t().unwrap()).unwrap(), a.t().into_dyn());
    assert!(matches!(to_array::<f32>(&t), Err(Error::WrongDtype { .. })));
    let f = Array2::from_shape_fn((2, 3).f(), |ij| a[ij]);
    let t = from_array(f, &device).unwrap();
    assert_eq!(t.to_vec2::<i64>().unwrap(), [[1, 2, 3], [4, 5, 6]]);
    let broadcast = Tensor::new(&[1f32, 2.0], &device)
        .unwrap()
        .broadcast_as((3, 2))
        .unwrap();
    assert_eq!(to_array::<f32>(&broadcast).unwrap().shape(), [3, 2]);
}

#[test]
fn the_backend_reads_ahead_in_order_and_any_order_loads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.npz");
    let device = Device::Cpu;
    // 40 members, more than one read-ahead batch on any machine with up to 2 cores, and
    // a big-endian one among them (converted by the batch's workers).
    let tensors: Vec<(String, Tensor)> = (0..40)
        .map(|i| {
            let t = Tensor::arange(i as f32, i as f32 + 300.0, &device)
                .unwrap()
                .reshape((3, 100))
                .unwrap();
            (format!("layer{i:02}.weight"), t)
        })
        .collect();
    let refs: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    save(&path, &refs).unwrap();
    let orders: [Vec<usize>; 3] = [
        (0..40).collect(),                       // archive order: read ahead
        (0..40).rev().collect(),                 // reversed: never in order
        (0..40).map(|i| (i * 7) % 40).collect(), // scattered, with runs of one
    ];
    for order in &orders {
        let vb = var_builder(&path, DType::F32, &device).unwrap();
        for &i in order {
            let (name, tensor) = &tensors[i];
            same(&vb.get((3, 100), name).unwrap(), tensor);
        }
        // Asked twice: the backend does not cache, it reads again.
        same(&vb.get((3, 100), &tensors[5].0).unwrap(), &tensors[5].1);
    }
    // Half-way through in order, then a jump back: what was read ahead and not asked for
    // is dropped, and every member still loads.
    let vb = var_builder(&path, DType::F32, &device).unwrap();
    for i in (0..20).chain(0..40) {
        same(&vb.get((3, 100), &tensors[i].0).unwrap(), &tensors[i].1);
    }

    // A damaged member inside a batch: the batch's error is dropped, the member's own
    // read reports it (naming it), and the members around it load.
    let range = npz::Reader::open(&path)
        .unwrap()
        .stored_member_range("layer09.weight")
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[range.end as usize - 4] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let vb = var_builder(&path, DType::F32, &device).unwrap();
    for (i, (name, tensor)) in tensors.iter().enumerate() {
        let got = vb.get((3, 100), name);
        if i == 9 {
            let text = got.unwrap_err().to_string();
            assert!(
                text.contains("layer09.weight") && text.contains("CRC"),
                "{text}"
            );
        } else {
            same(&got.unwrap(), tensor);
        }
    }
}
