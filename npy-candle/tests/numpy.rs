//! candle tensors against real NumPy (with ml_dtypes for bf16), one Python process each
//! way: what NumPy writes (deflated, big-endian, Fortran order, int8, bfloat16) loads as
//! tensors, including what candle's own reader refuses, and what we write from tensors
//! (strided, bf16) loads in NumPy equal.

use candle_core::{DType, Device, IndexOp, Tensor};
use npy_serde::npz;
use test_support::{python_with_ml, run_python, temp_dir};

#[test]
fn numpy_files_load_as_tensors_and_ours_load_in_numpy() {
    let python = python_with_ml();
    assert!(python.exists());
    let dir = temp_dir();
    run_python(
        r#"
import numpy as np, ml_dtypes
m = np.arange(12, dtype='f4').reshape(3, 4) / 4
np.savez_compressed('numpy.npz', c=m, f=np.asfortranarray(m), be=m.astype('>f4'),
                    i8=np.array([-3, 4], 'i1'), bf=m.astype(ml_dtypes.bfloat16))
np.savez('stored.npz', f=np.asfortranarray(m), be=m.astype('>i8'))
"#,
        dir.path(),
    );
    let device = Device::Cpu;
    let expected: Vec<Vec<f32>> = (0..3)
        .map(|i| (0..4).map(|j| (i * 4 + j) as f32 / 4.0).collect())
        .collect();
    let mut archive = npz::Reader::open(dir.path().join("numpy.npz")).unwrap();
    for name in ["c", "f", "be"] {
        let t = npy_candle::read_tensor(&mut archive, name, &device).unwrap();
        assert_eq!(t.to_vec2::<f32>().unwrap(), expected, "{name}");
    }
    let i8 = npy_candle::read_tensor_as(&mut archive, "i8", DType::I64, &device).unwrap();
    assert_eq!(i8.to_vec1::<i64>().unwrap(), [-3, 4]);
    let bf = npy_candle::read_tensor_as(&mut archive, "bf", DType::BF16, &device).unwrap();
    let bf = bf.to_dtype(DType::F32).unwrap().to_vec2::<f32>().unwrap();
    assert_eq!(bf, expected);
    // The VarBuilder backend over the same (deflated) archive.
    let vb = npy_candle::var_builder(dir.path().join("numpy.npz"), DType::F32, &device).unwrap();
    assert_eq!(
        vb.get((3, 4), "f").unwrap().to_vec2::<f32>().unwrap(),
        expected
    );
    // candle's own reader refuses both archives (deflate; big-endian, Fortran order).
    assert!(Tensor::read_npz(dir.path().join("numpy.npz")).is_err());
    assert!(Tensor::read_npz(dir.path().join("stored.npz")).is_err());
    let stored = npy_candle::load(dir.path().join("stored.npz"), &device).unwrap();
    assert_eq!(stored[0].1.to_vec2::<f32>().unwrap(), expected);
    assert_eq!(stored[1].1.dtype(), DType::I64);

    let m = Tensor::arange(0f32, 12.0, &device)
        .unwrap()
        .reshape((3, 4))
        .unwrap();
    let m = (m / 4.0).unwrap();
    let strided = m.i((.., 1..3)).unwrap();
    npy_candle::save(
        dir.path().join("ours.npz"),
        &[
            ("m", &m),
            ("t", &m.t().unwrap()),
            ("strided", &strided),
            ("bf", &m.to_dtype(DType::BF16).unwrap()),
            ("u32", &Tensor::new(&[7u32, 8], &device).unwrap()),
        ],
    )
    .unwrap();
    run_python(
        r#"
import numpy as np, ml_dtypes
m = np.arange(12, dtype='f4').reshape(3, 4) / 4
z = np.load('ours.npz')
assert (z['m'] == m).all() and z['m'].dtype == '<f4'
assert (z['t'] == m.T).all() and z['t'].flags.f_contiguous
assert (z['strided'] == m[:, 1:3]).all()
assert z['bf'].dtype == np.dtype('V2')
assert (z['bf'].view(ml_dtypes.bfloat16).astype('f4') == m).all()
assert (z['u32'] == [7, 8]).all() and z['u32'].dtype == '<u4'
"#,
        dir.path(),
    );
}
