//! Text export (`npy convert x.npy x.csv`): NumPy's `np.loadtxt` / `np.genfromtxt` read
//! every file back equal within the precision of its `--fmt`; what text cannot hold is
//! refused, naming it.

use crate::common::{npy, ok, stderr};
use test_support::{run_python, temp_dir};

#[test]
fn numpy_reads_the_text_back() {
    let dir = temp_dir();
    let d = dir.path();
    run_python(
        r#"
import numpy as np
rng = np.random.default_rng(3)
np.save('f8.npy', rng.standard_normal((5, 4)) * 1e3)
np.save('f8_fortran.npy', np.asfortranarray(rng.standard_normal((3, 6))))
np.save('f4.npy', rng.standard_normal(7).astype('f4'))
np.save('nonfinite.npy', np.array([np.nan, np.inf, -np.inf, 1.5]))
np.save('i8.npy', np.arange(-6, 6, dtype='i8').reshape(3, 4) * 10**15)
np.save('u1_big.npy', np.arange(5, dtype='>u2'))
np.save('bools.npy', np.array([True, False, True]))
np.save('records.npy', np.array([(1, 2.5, 'ab', '2020-01-02'), (-3, -0.125, 'xyz', 'NaT')],
        dtype=[('id', 'i4'), ('x', '<f8'), ('name', 'U5'), ('day', 'M8[D]')]))
np.save('words.npy', np.array(['alpha', 'beta']))
np.savez('archive.npz', w=np.arange(6.).reshape(2, 3) / 7, other=np.zeros(2))
np.save('complex.npy', np.array([1 + 2j]))
np.save('cube.npy', np.zeros((2, 2, 2)))
np.save('scalar.npy', np.array(1.5))
np.save('subarray.npy', np.zeros(2, dtype=[('v', 'f8', (3,))]))
np.save('objects.npy', np.array(['a', None], dtype=object), allow_pickle=True)
"#,
        d,
    );
    // (input, output, extra arguments)
    let cases: &[(&str, &str, &[&str])] = &[
        ("f8.npy", "f8.csv", &[]),
        ("f8.npy", "f8_g.csv", &["--fmt", "%.6g"]),
        (
            "f8.npy",
            "f8_semi.csv",
            &["--fmt", "%.3f", "--delimiter", ";"],
        ),
        ("f8_fortran.npy", "f8_fortran.tsv", &[]),
        ("f4.npy", "f4.csv", &["--fmt", "%10.4e"]),
        ("nonfinite.npy", "nonfinite.csv", &[]),
        ("i8.npy", "i8.csv", &[]),
        ("u1_big.npy", "u1_big.csv", &["--fmt", "%05d"]),
        ("bools.npy", "bools.csv", &[]),
        ("records.npy", "records.csv", &[]),
        (
            "records.npy",
            "records_row.tsv",
            &["--fmt", "%d\t%.2f\t%s\t%s"],
        ),
        ("words.npy", "words.csv", &[]),
        ("archive.npz:w", "member.csv", &[]),
        (
            "archive.npz",
            "member_flag.csv",
            &["--member", "w", "--fmt", "%.4f"],
        ),
    ];
    for (input, output, extra) in cases {
        let mut args = vec!["convert", *input, *output];
        args.extend_from_slice(extra);
        ok(d, &args);
    }
    run_python(
        r#"
import numpy as np
def check(name, got, want, atol=0.0, rtol=0.0):
    assert got.shape == want.shape, (name, got.shape, want.shape)
    assert np.allclose(got, want, atol=atol, rtol=rtol, equal_nan=True), (name, got, want)
f8 = np.load('f8.npy')
check('f8', np.loadtxt('f8.csv', delimiter=','), f8)  # %.18e: exact
check('f8_g', np.loadtxt('f8_g.csv', delimiter=','), f8, rtol=5e-6)
check('f8_semi', np.loadtxt('f8_semi.csv', delimiter=';'), f8, atol=5e-4)
check('fortran', np.loadtxt('f8_fortran.tsv', delimiter='\t'), np.load('f8_fortran.npy'))
check('f4', np.loadtxt('f4.csv', delimiter=','), np.load('f4.npy').astype('f8'), rtol=5e-4)
check('nonfinite', np.loadtxt('nonfinite.csv', delimiter=','), np.load('nonfinite.npy'))
i8 = np.loadtxt('i8.csv', delimiter=',', dtype='i8')
assert (i8 == np.load('i8.npy')).all()
assert open('u1_big.csv').read() == '00000\n00001\n00002\n00003\n00004\n'
assert (np.loadtxt('bools.csv', dtype=int) == [1, 0, 1]).all()
rec = np.load('records.npy')
for name, delimiter in [('records.csv', ','), ('records_row.tsv', '\t')]:
    assert open(name).readline() == '# ' + delimiter.join(rec.dtype.names) + '\n'
    back = np.genfromtxt(name, delimiter=delimiter, dtype=None, encoding='utf-8')
    assert [int(r[0]) for r in back] == [1, -3], (name, back)
    tol = 5e-3 if 'row' in name else 0
    assert np.allclose([float(r[1]) for r in back], rec['x'], atol=tol), back
    assert [str(r[2]) for r in back] == ['ab', 'xyz'], back
    assert [str(r[3]) for r in back] == ['2020-01-02', 'NaT'], back
    dates = np.array([str(r[3]) for r in back], dtype='M8[D]')
    assert np.array_equal(dates, rec['day'], equal_nan=True)
assert list(np.loadtxt('words.csv', dtype=str)) == ['alpha', 'beta']
w = np.load('archive.npz')['w']
check('member', np.loadtxt('member.csv', delimiter=','), w)
check('member_flag', np.loadtxt('member_flag.csv', delimiter=','), w, atol=5e-5)
print('ok')
"#,
        d,
    );
    // What text cannot hold is refused, naming it, and nothing is written.
    for (input, named) in [
        ("complex.npy", "complex128"),
        ("cube.npy", "3 dimensions"),
        ("scalar.npy", "0 dimensions"),
        ("subarray.npy", "field \"v\""),
        ("archive.npz", "2 members"),
        ("objects.npy", "object (pickle)"),
    ] {
        let output = npy(d, &["convert", input, "refused.csv"]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{input}: {err}");
        assert!(err.contains(named), "{input}: {err}");
        assert!(!d.join("refused.csv").exists());
    }
    let err = stderr(&npy(d, &["convert", "f8.npy", "x.csv", "--fmt", "%q"]));
    assert!(err.contains("--fmt") && err.contains("%q"), "{err}");
    let err = stderr(&npy(d, &["convert", "f8.npy", "x.npz", "--fmt", "%d"]));
    assert!(err.contains("text output"), "{err}");
}
