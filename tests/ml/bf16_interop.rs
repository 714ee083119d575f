//! bf16 against ml_dtypes: what we write loads in NumPy and views as `ml_dtypes.bfloat16`
//! with the same bits, and what NumPy writes from ml_dtypes arrays (`'<V2'`) loads here as
//! `bf16` — in `.npy`, `.npz`, serde fields, Fortran order and strided views. One Python
//! process checks our files and writes its own.

use std::collections::BTreeMap;

use half::bf16;
use ndarray::{Array1, Array2, ArrayD, ShapeBuilder};
use npy_serde::mmap::MappedNpy;
use npy_serde::{npy, npz, Bulk, NpyArray};
use serde::{Deserialize, Serialize};
use test_support::{python_with_ml, run_python, temp_dir};

/// Bit patterns that matter: zeros, one, a subnormal, the largest finite, infinities, NaN.
const BITS: [u16; 10] = [
    0x0000, 0x8000, 0x3F80, 0xBFC0, 0x0001, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x4049,
];

fn values() -> Vec<bf16> {
    BITS.iter().map(|&b| bf16::from_bits(b)).collect()
}

fn bits(values: impl IntoIterator<Item = bf16>) -> Vec<u16> {
    values.into_iter().map(bf16::to_bits).collect()
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Checkpoint {
    lr: bf16,
    flat: Vec<bf16>,
    matrix: Array2<bf16>,
    bulk: Bulk<ArrayD<bf16>>,
    by_name: BTreeMap<String, Vec<bf16>>,
}

#[test]
fn bf16_round_trips_with_ml_dtypes_both_ways() {
    let python = python_with_ml();
    assert!(python.exists());
    let dir = temp_dir();
    let path = |name: &str| dir.path().join(name);
    let flat = values();
    let matrix = Array2::from_shape_vec((2, 5), flat.clone()).unwrap();
    let fortran = Array2::from_shape_fn((2, 5).f(), |(i, j)| matrix[[i, j]]);

    npy::save(path("ours_flat.npy"), &flat).unwrap();
    npy::save(path("ours_fortran.npy"), &fortran).unwrap();
    npy::save(
        path("ours_strided.npy"),
        &matrix.slice(ndarray::s![.., ..;2]),
    )
    .unwrap();
    npz::savez_compressed(path("ours.npz"), &[("m", &matrix), ("f", &fortran)]).unwrap();
    let checkpoint = Checkpoint {
        lr: bf16::from_f32(0.001),
        flat: flat.clone(),
        matrix: matrix.clone(),
        bulk: Bulk(matrix.clone().into_dyn()),
        by_name: BTreeMap::from([("w".to_string(), flat.clone())]),
    };
    npy_serde::to_path(path("ours_serde.npz"), &checkpoint).unwrap();

    let script = format!(
        r#"
import numpy as np, ml_dtypes
bits = np.array({BITS:?}, dtype=np.uint16)
vals = bits.view(ml_dtypes.bfloat16)
m = vals.reshape(2, 5)
def same(a, b, what):
    a = np.asarray(a)
    assert a.dtype == np.dtype('V2'), (what, a.dtype)
    a = a.view(ml_dtypes.bfloat16)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    assert (a.view(np.uint16) == b.view(np.uint16)).all(), (what, a, b)
same(np.load('ours_flat.npy'), vals, 'flat')
same(np.load('ours_fortran.npy'), np.asfortranarray(m), 'fortran')
assert np.load('ours_fortran.npy').flags.f_contiguous
same(np.load('ours_strided.npy'), m[:, ::2], 'strided')
z = np.load('ours.npz')
same(z['m'], m, 'npz m'); same(z['f'], m, 'npz f')
s = np.load('ours_serde.npz')
same(s['flat'], vals, 'serde flat'); same(s['matrix'], m, 'serde matrix')
same(s['bulk'], m, 'serde bulk'); same(s['by_name/w'], vals, 'serde map')
assert s['lr'].shape == () and s['lr'].view(ml_dtypes.bfloat16) == ml_dtypes.bfloat16(0.001)
# NumPy's side: ml_dtypes arrays through np.save / np.savez ('<V2' headers).
np.save('py_flat.npy', vals)
np.save('py_fortran.npy', np.asfortranarray(m))
np.savez('py.npz', m=m, f=np.asfortranarray(m), s=m[:, ::2], lr=ml_dtypes.bfloat16(0.001))
np.savez_compressed('py_compressed.npz', m=m)
print(open('py_flat.npy', 'rb').read(64))
"#
    );
    let printed = run_python(&script, dir.path());
    assert!(printed.contains("'descr': '<V2'"), "{printed}");

    let expect = bits(flat.clone());
    let back: Vec<bf16> = npy::load(path("py_flat.npy")).unwrap();
    assert_eq!(bits(back), expect);
    let back: Array2<bf16> = npy::load(path("py_fortran.npy")).unwrap();
    assert_eq!(bits(back.iter().copied()), bits(matrix.iter().copied()));
    assert!(back.t().is_standard_layout());
    let mut archive = npz::Reader::open(path("py.npz")).unwrap();
    for name in ["m", "f"] {
        let m: Array2<bf16> = archive.read(name).unwrap();
        assert_eq!(
            bits(m.iter().copied()),
            bits(matrix.iter().copied()),
            "{name}"
        );
    }
    let s: Array2<bf16> = archive.read("s").unwrap();
    assert_eq!(
        bits(s.iter().copied()),
        bits(matrix.slice(ndarray::s![.., ..;2]).iter().copied())
    );
    let mut compressed = npz::Reader::open(path("py_compressed.npz")).unwrap();
    let m: Array2<bf16> = compressed.read("m").unwrap();
    assert_eq!(bits(m.iter().copied()), bits(matrix.iter().copied()));

    // Our serde checkpoint reads back; NaN is in the values, so compare bits.
    let resumed: Checkpoint = npy_serde::from_path(path("ours_serde.npz")).unwrap();
    assert_eq!(resumed.lr, checkpoint.lr);
    assert_eq!(bits(resumed.flat), expect);
    assert_eq!(
        bits(resumed.bulk.0.iter().copied()),
        bits(matrix.iter().copied())
    );

    // A 0-d bf16 that NumPy wrote loads through serde into bf16 (and only bf16).
    #[derive(Deserialize)]
    struct Lr {
        lr: bf16,
    }
    let lr: Lr = npy_serde::from_path(path("py.npz")).unwrap();
    assert_eq!(lr.lr, bf16::from_f32(0.001));

    // Void is never guessed: f32 refuses it, NpyArray keeps it raw and converts on request.
    let err = npy::load::<Vec<f32>, _>(path("py_flat.npy")).unwrap_err();
    assert!(err.to_string().contains("bf16"), "{err}");
    let any: NpyArray = npy::load(path("py_flat.npy")).unwrap();
    assert_eq!(any.dtype().to_string(), "'|V2'");
    let typed: Array1<bf16> = any
        .to_array::<bf16>()
        .unwrap()
        .into_dimensionality()
        .unwrap();
    assert_eq!(bits(typed), expect);

    // A map borrows bf16 data in place.
    let map = unsafe { MappedNpy::open(path("py_flat.npy")) }.unwrap();
    assert_eq!(
        bits(map.as_slice::<bf16>().unwrap().iter().copied()),
        expect
    );
}
