//! The `npy` binary run on files NumPy writes in each test: printing compared with NumPy's
//! own `str(a)`, `stats` / `diff` / `hist` figures with NumPy's, conversions loaded back by
//! NumPy, the human output against snapshot files, and hostile files through every command.
//!
//! Snapshots live in `tests/snapshots/*.txt` and are compared exactly; after a deliberate
//! change of output, rewrite them with `UPDATE_SNAPSHOTS=1 cargo test -p npy-cli` and
//! review the diff.

mod common;

use std::path::Path;

use common::{json, npy, ok, stderr, stdout};
use serde_json::Value;
use test_support::{run_python, temp_dir};

/// Compares `actual` with `tests/snapshots/NAME.txt` (rewritten when UPDATE_SNAPSHOTS is set).
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run UPDATE_SNAPSHOTS=1 cargo test -p npy-cli and review it",
            path.display()
        )
    });
    assert_eq!(
        actual, expected,
        "output differs from snapshot {name} (UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change)"
    );
}

fn close(a: f64, b: f64, what: &str) {
    let tolerance = 1e-9 * a.abs().max(b.abs()).max(1e-300);
    assert!((a - b).abs() <= tolerance, "{what}: npy {a}, NumPy {b}");
}

#[test]
fn show_prints_what_numpy_prints() {
    let dir = temp_dir();
    let cases = run_python(
        r#"
import numpy as np
nan, inf = np.nan, np.inf
cases = {
    'thirds': np.arange(12.).reshape(3, 4) / 3,
    'summarised': np.linspace(0, 1, 5000).reshape(50, 100),
    'halves': np.array([1., 2.5]),
    'spread': np.array([0.1, 0.25, 100.]),
    'tiny': np.array([1e-5, 1.]),
    'nonfinite': np.array([nan, 1., -inf]),
    'large': np.array([1e8, 1.]),
    'negative': np.array([-1.5, 2.25, 3.]),
    'wrapped': np.arange(30.) * 1.123,
    'ints': np.arange(2000),
    'int8': np.arange(-5, 5, dtype='i1'),
    'uint64': np.array([2**64 - 1, 0], dtype='u8'),
    'bigendian': np.arange(6, dtype='>i4').reshape(2, 3),
    'wideints': np.arange(40) * 10**9,
    'bools': np.array([True, False, True]),
    'float32': np.array([0.1, 1/3, 2.5], dtype='f4'),
    'float16': np.array([0.1, 1000., 3.14], dtype='f2'),
    'complex': np.array([1+2j, -0.5-1.5j]),
    'text': np.array(['a', 'bcd', "it's"]),
    'bytes': np.array([b'ab', b'\x01c']),
    'days': np.array(['2020-01-01', '1969-12-31', 'NaT'], dtype='M8[D]'),
    'millis': np.array(['2021-03-04T05:06:07.089'], dtype='M8[ms]'),
    'deltas': np.array([1, -20, 'NaT'], dtype='m8[s]'),
    'cube': np.arange(24).reshape(2, 3, 4),
    'bigcube': np.arange(3000.).reshape(10, 10, 30),
    'fortran': np.asfortranarray(np.arange(6).reshape(2, 3)),
    'scalar_float': np.array(1.5),
    'scalar_one': np.array(1.0),
    'scalar_int': np.array(7),
    'empty': np.zeros((0,)),
    'empty2': np.zeros((2, 0)),
    'f32_ties': np.array([3411187.25, -4028140.25, 1.5e7], dtype='f4'),
    'f32_scaled': np.arange(50, dtype='f4') * np.float32(1234.567),
    'f16_cutoff': np.array([1000., 1.5], dtype='f2'),
    'f16_small': np.array([0.0001, 0.0002, 0.], dtype='f2'),
    'tie8': np.array([0.001953125, 1.0]),
    'complex64': (np.arange(6) * 1.7e6 + 1j * np.arange(6) * 3.3e-2).astype('c8'),
}
for name, a in cases.items():
    np.save(name + '.npy', a)
    open(name + '.txt', 'w').write(str(a))
a = np.linspace(0, 1, 5000).reshape(50, 100)
open('rows.txt', 'w').write(str(a[10:13]))
print(' '.join(cases))
"#,
        dir.path(),
    );
    let mut failures = Vec::new();
    for name in cases.split_whitespace() {
        let expected = std::fs::read_to_string(dir.path().join(format!("{name}.txt"))).unwrap();
        let actual = ok(dir.path(), &["show", &format!("{name}.npy")]);
        if actual.trim_end_matches('\n') != expected {
            failures.push(format!("{name}:\n--- NumPy\n{expected}\n--- npy\n{actual}"));
        }
    }
    let expected = std::fs::read_to_string(dir.path().join("rows.txt")).unwrap();
    let actual = ok(dir.path(), &["show", "summarised.npy", "--rows", "10:13"]);
    if actual.trim_end_matches('\n') != expected {
        failures.push(format!("rows:\n--- NumPy\n{expected}\n--- npy\n{actual}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn stats_diff_and_hist_figures_match_numpy() {
    let dir = temp_dir();
    let expected = run_python(
        r#"
import json, numpy as np
rng = np.random.default_rng(7)
a = rng.normal(3.0, 2.0, size=(300, 70))
b = a + rng.normal(0, 1e-3, size=a.shape)
b[5, 5] = a[5, 5]
withnan = a.copy(); withnan[0, :10] = np.nan
np.save('a.npy', a)
np.save('b.npy', b)
np.savez('run1.npz', w=a.astype('f4'), i=np.arange(-50, 1000, dtype='i4'), n=withnan)
np.savez_compressed('run2.npz', w=b.astype('f4'), i=np.arange(-50, 1000, dtype='i4'), n=withnan)
f4 = a.astype('f4').astype('f8'); f4b = b.astype('f4').astype('f8')
out = {
  'a': [a.min(), a.max(), a.mean(), a.std()],
  'w': [f4.min(), f4.max(), f4.mean(), f4.std()],
  'wb': [f4b.min(), f4b.max(), f4b.mean(), f4b.std()],
  'i': [-50, 999, np.arange(-50, 1000).mean(), np.arange(-50, 1000).std()],
  'n': [np.nanmin(withnan), np.nanmax(withnan), np.nanmean(withnan), np.nanstd(withnan)],
  'maxabs': float(np.abs(a - b).max()),
  'differ_exact': int((a != b).sum()),
  'differ_tol': int((~np.isclose(a, b, rtol=1e-4, atol=1e-4)).sum()),
  'maxabs_w': float(np.abs(f4 - f4b).max()),
  'hist': np.histogram(a, bins=15)[0].tolist(),
  'hist_range': np.histogram(a, bins=4, range=(0, 4))[0].tolist(),
}
print(json.dumps(out))
"#,
        dir.path(),
    );
    let expected: Value = serde_json::from_str(&expected).unwrap();
    let figure = |key: &str, i: usize| expected[key][i].as_f64().unwrap();

    let stats = json(dir.path(), &["stats", "a.npy", "run1.npz", "run2.npz"]);
    let rows = stats.as_array().unwrap();
    let by_name = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {stats}"))
    };
    for (name, key) in [
        ("a.npy", "a"),
        ("run1.npz:w", "w"),
        ("run2.npz:w", "wb"),
        ("run1.npz:i", "i"),
        ("run2.npz:n", "n"),
    ] {
        let row = by_name(name);
        for (i, stat) in ["min", "max", "mean", "std"].iter().enumerate() {
            close(
                row[stat].as_f64().unwrap(),
                figure(key, i),
                &format!("{name} {stat}"),
            );
        }
    }
    assert_eq!(by_name("run1.npz:n")["nan"], 10);
    assert_eq!(by_name("a.npy")["count"], 21000);

    // diff: exact, then with tolerances; exit 1 when different, 0 when equal.
    let output = npy(dir.path(), &["--json", "diff", "a.npy", "b.npy"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let member = &report["members"][0];
    assert_eq!(member["differing"], expected["differ_exact"]);
    close(
        member["max_abs_diff"].as_f64().unwrap(),
        expected["maxabs"].as_f64().unwrap(),
        "max abs diff",
    );
    let output = npy(
        dir.path(),
        &[
            "--json", "diff", "a.npy", "b.npy", "--rtol", "1e-4", "--atol", "1e-4",
        ],
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["members"][0]["differing"], expected["differ_tol"]);
    assert_eq!(
        output.status.code(),
        Some(if expected["differ_tol"] == 0 { 0 } else { 1 })
    );
    assert_eq!(
        npy(dir.path(), &["diff", "a.npy", "a.npy"]).status.code(),
        Some(0)
    );
    // NaN never equals NaN (NumPy's allclose default) unless --equal-nan.
    assert_eq!(
        npy(dir.path(), &["diff", "run1.npz", "run1.npz"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        npy(dir.path(), &["diff", "run1.npz", "run1.npz", "--equal-nan"])
            .status
            .code(),
        Some(0)
    );
    // Stored against deflated archive: w differs, i is equal, n has NaN (unequal unless
    // --equal-nan).
    let report = npy(dir.path(), &["--json", "diff", "run1.npz", "run2.npz"]);
    assert_eq!(report.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&report)).unwrap();
    let status = |name: &str| {
        report["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(status("i")["status"], "equal");
    assert_eq!(status("n")["status"], "different");
    assert_eq!(status("n")["differing"], 10);
    close(
        status("w")["max_abs_diff"].as_f64().unwrap(),
        expected["maxabs_w"].as_f64().unwrap(),
        "max abs diff of w",
    );
    let equal_nan = npy(
        dir.path(),
        &["--json", "diff", "run1.npz:n", "run2.npz:n", "--equal-nan"],
    );
    assert_eq!(equal_nan.status.code(), Some(0), "{}", stdout(&equal_nan));

    // hist: np.histogram's counts.
    let hist = json(dir.path(), &["hist", "a.npy", "--bins", "15"]);
    assert_eq!(hist["counts"], expected["hist"]);
    let hist = json(
        dir.path(),
        &["hist", "a.npy", "--bins", "4", "--range", "0:4"],
    );
    assert_eq!(hist["counts"], expected["hist_range"]);
    let png = ok(
        dir.path(),
        &["hist", "run2.npz:w", "--png", "w.png", "--bins", "30"],
    );
    assert!(png.starts_with("wrote w.png"), "{png}");
    let bytes = std::fs::read(dir.path().join("w.png")).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn convert_writes_what_numpy_loads_and_verify_finds_damage() {
    let dir = temp_dir();
    run_python(
        r#"
import numpy as np
np.savez('ck.npz', **{'enc/w': np.arange(12.).reshape(3, 4), 'enc/b': np.arange(3, dtype='f4'),
                     'names': np.array(['x', 'yz']), 'step': np.int64(9)})
np.save('w.npy', np.arange(6, dtype='>i2').reshape(2, 3))
"#,
        dir.path(),
    );
    ok(
        dir.path(),
        &["convert", "ck.npz", "deflated.npz", "--compress"],
    );
    ok(
        dir.path(),
        &["convert", "deflated.npz", "stored.npz", "--store"],
    );
    ok(
        dir.path(),
        &["convert", "ck.npz", "level9.npz", "--compress=9"],
    );
    ok(
        dir.path(),
        &["convert", "w.npy", "w.npz", "--member", "weights"],
    );
    ok(dir.path(), &["convert", "deflated.npz:enc/w", "encw.npy"]);
    // `-`: the archive streamed to stdout (data descriptors), the summary to stderr.
    let piped = npy(dir.path(), &["convert", "ck.npz", "-"]);
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    assert!(
        stderr(&piped).contains("wrote 4 members"),
        "{}",
        stderr(&piped)
    );
    std::fs::write(dir.path().join("piped.npz"), &piped.stdout).unwrap();
    // Rows of a deflated member (inflated only up to the last row asked for).
    let rows = ok(dir.path(), &["show", "deflated.npz:enc/w", "--rows", "1:2"]);
    assert_eq!(rows, "[[4. 5. 6. 7.]]\n");
    let listing = json(dir.path(), &["ls", "deflated.npz", "stored.npz"]);
    assert!(listing[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["compressed"] == true));
    assert!(listing[1]["members"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["compressed"] == false));
    run_python(
        r#"
import numpy as np, zipfile
ck = np.load('ck.npz')
for name in ['deflated.npz', 'stored.npz', 'level9.npz', 'piped.npz']:
    assert zipfile.ZipFile(name).testzip() is None, name
    other = np.load(name)
    assert other.files == ck.files, (name, other.files)
    for key in ck.files:
        assert np.array_equal(other[key], ck[key]) and other[key].dtype == ck[key].dtype, (name, key)
assert zipfile.ZipFile('deflated.npz').infolist()[0].compress_type == zipfile.ZIP_DEFLATED
assert open('stored.npz', 'rb').read() == open('ck.npz', 'rb').read()
w = np.load('w.npz')
assert w.files == ['weights'] and np.array_equal(w['weights'], np.load('w.npy'))
assert np.array_equal(np.load('encw.npy'), ck['enc/w'])
"#,
        dir.path(),
    );

    let all_ok = npy(
        dir.path(),
        &["verify", "ck.npz", "deflated.npz", "w.npy", "encw.npy"],
    );
    assert_eq!(all_ok.status.code(), Some(0), "{}", stdout(&all_ok));
    // Damage: a flipped data byte in a stored member (only verify reads the CRC of a
    // mapped member), a flipped byte in a deflated one, a truncated .npy.
    let mut stored = std::fs::read(dir.path().join("ck.npz")).unwrap();
    let at = stored.windows(4).position(|w| w == b"\x93NUM").unwrap() + 200;
    stored[at] ^= 0x40;
    std::fs::write(dir.path().join("flipped.npz"), &stored).unwrap();
    let mut deflated = std::fs::read(dir.path().join("deflated.npz")).unwrap();
    deflated[60] ^= 0x55;
    std::fs::write(dir.path().join("flipped_deflated.npz"), &deflated).unwrap();
    let npy_bytes = std::fs::read(dir.path().join("w.npy")).unwrap();
    std::fs::write(
        dir.path().join("short.npy"),
        &npy_bytes[..npy_bytes.len() - 3],
    )
    .unwrap();
    let broken = npy(
        dir.path(),
        &[
            "verify",
            "ck.npz",
            "flipped.npz",
            "flipped_deflated.npz",
            "short.npy",
        ],
    );
    assert_eq!(broken.status.code(), Some(2));
    let text = stdout(&broken);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("ck.npz: ok"), "{text}");
    assert!(
        lines[1].contains("BROKEN") && lines[1].contains("CRC"),
        "{text}"
    );
    assert!(lines[2].contains("BROKEN"), "{text}");
    assert!(lines[3].contains("BROKEN"), "{text}");

    // A failed conversion leaves an existing output whole.
    let before = std::fs::read(dir.path().join("stored.npz")).unwrap();
    let failed = npy(
        dir.path(),
        &["convert", "flipped_deflated.npz", "stored.npz", "--store"],
    );
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(
        std::fs::read(dir.path().join("stored.npz")).unwrap(),
        before
    );
}

#[test]
fn human_output_snapshots() {
    let dir = temp_dir();
    run_python(
        r#"
import numpy as np
x = np.linspace(-1, 1, 101)
np.savez('epoch3.npz', **{'encoder/layer0/weight': np.outer(x[:4], x[:3]).astype('f4'),
                          'encoder/layer0/bias': np.zeros(3, 'f4'),
                          'encoder/layer1/weight': np.eye(3),
                          'head/w': np.arange(6, dtype='i2').reshape(2, 3),
                          'step': np.int64(3),
                          'labels': np.array(['cat', 'dog'])})
np.savez('epoch4.npz', **{'encoder/layer0/weight': np.outer(x[:4], x[:3]).astype('f4') * 1.5,
                          'encoder/layer0/bias': np.zeros(3, 'f4'),
                          'encoder/layer1/weight': np.eye(3, dtype='f4'),
                          'head/w': np.arange(8, dtype='i2').reshape(2, 4),
                          'step': np.int64(4),
                          'extra': np.ones(2)})
np.save('particles.npy', np.array([(1, 1.5, 'proton', [0., 1., 2.]), (2, 0.25, 'e', [3., 4., 5.5])],
        dtype=[('id', '<u4'), ('mass', '<f8'), ('kind', '<U8'), ('pos', '<f4', (3,))]))
x = np.linspace(-1, 1, 1000)
np.save('wave.npy', x * x * x)
"#,
        dir.path(),
    );
    let d = dir.path();
    snapshot("ls", &ok(d, &["ls", "epoch3.npz", "wave.npy"]));
    snapshot("ls_long", &ok(d, &["ls", "-l", "epoch4.npz"]));
    snapshot("show_records", &ok(d, &["show", "particles.npy"]));
    snapshot(
        "show_fields",
        &ok(d, &["show", "particles.npy", "--fields", "kind,mass"]),
    );
    snapshot(
        "show_member",
        &ok(d, &["show", "epoch3.npz:encoder/layer0/weight"]),
    );
    snapshot("stats", &ok(d, &["stats", "epoch3.npz", "wave.npy"]));
    let diff = npy(d, &["diff", "epoch3.npz", "epoch4.npz"]);
    assert_eq!(diff.status.code(), Some(1));
    snapshot("diff", &stdout(&diff));
    snapshot("hist", &ok(d, &["hist", "wave.npy", "--bins", "10"]));
    snapshot("verify", &ok(d, &["verify", "epoch3.npz", "wave.npy"]));
}

#[test]
fn help_has_an_example_for_every_command() {
    let dir = temp_dir();
    for command in ["ls", "show", "stats", "diff", "convert", "verify", "hist"] {
        let help = ok(dir.path(), &[command, "--help"]);
        assert!(
            help.contains("Example") && help.contains(&format!("npy {command} ")),
            "npy {command} --help has no example:\n{help}"
        );
        assert!(
            help.contains("JSON"),
            "npy {command} --help has no JSON schema"
        );
    }
}

/// Files built to be refused: each must make every command fail with status 2 and one
/// line on stderr, never a panic.
fn hostile_files(dir: &Path) -> Vec<(&'static str, bool)> {
    run_python(
        r#"
import numpy as np, struct
np.savez('good.npz', a=np.arange(100.), b=np.arange(10))
np.savez_compressed('goodz.npz', a=np.arange(1000.), b=np.arange(10))
np.save('good.npy', np.arange(1000.))
good = open('good.npz', 'rb').read()
goodz = open('goodz.npz', 'rb').read()
npy = open('good.npy', 'rb').read()
files = {}
files['empty.npy'] = b''
files['text.npy'] = b'hello, world\n'
files['pickle.npy'] = b'\x80\x04\x95' + b'\x00' * 20
files['truncated.npy'] = npy[:300]
files['header_only.npy'] = npy[:128]
header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
header = header + ' ' * (117 - len(header)) + '\n'
files['huge_shape.npy'] = b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode() + b'\x00' * 64
bad = npy.replace(b"'descr'", b"'dscr!'")
files['bad_header.npy'] = bad
files['bad_version.npy'] = b'\x93NUMPY\x09\x00' + npy[8:]
files['long_header.npy'] = b'\x93NUMPY\x02\x00' + struct.pack('<I', 2**31) + b'{' * 100
files['truncated.npz'] = good[:len(good) // 2]
files['cut_directory.npz'] = good[:-30]
# Central directory: the second member's local header offset pointed at the first.
cd = good.rfind(b'PK\x01\x02')
overlap = bytearray(good); overlap[cd + 42:cd + 46] = struct.pack('<I', 0)
files['overlap.npz'] = bytes(overlap)
# A deflated member declaring 4 GiB from a few hundred bytes (zip bomb claim).
bomb = bytearray(goodz)
cd = bomb.find(b'PK\x01\x02')
bomb[cd + 24:cd + 28] = struct.pack('<I', 0xFFFFFFF0)
files['bomb.npz'] = bytes(bomb)
# Zero-size elements: 2**50 of them in no bytes at all (printing must not try).
h = "{'descr': '|V0', 'fortran_order': False, 'shape': (" + '2, ' * 50 + "), }"
h = h + ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\n'
open('zero_size.npy', 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode())
h = h.replace("'fortran_order': False", "'fortran_order': True ")
open('zero_size_f.npy', 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode())
for name, data in files.items():
    open(name, 'wb').write(data)
print(' '.join(files))
"#,
        dir,
    );
    std::fs::create_dir(dir.join("a_directory.npy")).unwrap();
    vec![
        ("empty.npy", false),
        ("text.npy", false),
        ("pickle.npy", false),
        ("truncated.npy", false),
        ("header_only.npy", false),
        ("huge_shape.npy", false),
        ("bad_header.npy", false),
        ("bad_version.npy", false),
        ("long_header.npy", false),
        ("truncated.npz", true),
        ("cut_directory.npz", true),
        ("overlap.npz", true),
        ("bomb.npz", true),
        ("a_directory.npy", false),
    ]
}

#[test]
fn hostile_files_fail_every_command_with_one_line_and_status_2() {
    let dir = temp_dir();
    let d = dir.path();
    let files = hostile_files(d);
    let mut failures = Vec::new();
    for (file, archive) in &files {
        let member = if *archive {
            format!("{file}:a")
        } else {
            file.to_string()
        };
        let runs: Vec<Vec<String>> = vec![
            vec!["ls".into(), file.to_string()],
            vec!["ls".into(), "--json".into(), file.to_string()],
            vec!["show".into(), member.clone()],
            vec!["show".into(), file.to_string()],
            vec!["stats".into(), file.to_string()],
            vec!["stats".into(), member.clone()],
            vec!["diff".into(), file.to_string(), file.to_string()],
            vec!["diff".into(), "good.npy".into(), member.clone()],
            vec!["convert".into(), file.to_string(), "out.npz".into()],
            vec!["convert".into(), member.clone(), "out.npy".into()],
            vec!["convert".into(), member.clone(), "out.csv".into()],
            vec!["--allow-pickle".into(), "show".into(), member.clone()],
            vec!["verify".into(), file.to_string()],
            vec!["hist".into(), member.clone()],
        ];
        for args in runs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = npy(d, &args);
            let err = stderr(&output);
            let status = output.status.code();
            let lines = err.lines().count();
            if status != Some(2)
                || lines != 1
                || err.contains("panicked")
                || err.contains("internal error")
            {
                failures.push(format!(
                    "npy {}: status {status:?}, stderr {err:?}",
                    args.join(" ")
                ));
            }
        }
        assert!(
            !d.join("out.npz").exists()
                && !d.join("out.npy").exists()
                && !d.join("out.csv").exists()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // A header-only array of zero-size elements is valid, but too many to print.
    assert_eq!(npy(d, &["show", "zero_size.npy"]).status.code(), Some(2));
    assert_eq!(
        npy(d, &["--json", "show", "zero_size.npy"]).status.code(),
        Some(2)
    );
    ok(d, &["ls", "zero_size.npy"]);
    ok(d, &["stats", "zero_size.npy"]);
    ok(d, &["verify", "zero_size.npy"]);
    ok(d, &["diff", "zero_size_f.npy", "zero_size_f.npy"]);
}

#[test]
fn convert_goes_to_and_from_safetensors_by_extension() {
    let dir = temp_dir();
    run_python(
        r#"
import numpy as np
np.savez('ck.npz', **{'enc.w': np.arange(12.).reshape(3, 4).T, 'enc.b': np.arange(3, dtype='>f4'),
                     '__metadata__': np.array('{"format": "np"}')})
np.savez('bad.npz', names=np.array(['x']))
"#,
        dir.path(),
    );
    let out = json(dir.path(), &["convert", "ck.npz", "ck.safetensors"]);
    assert_eq!(out["compression"], Value::Null);
    ok(
        dir.path(),
        &["convert", "ck.safetensors", "back.npz", "--compress"],
    );
    run_python(
        r#"
import json, numpy as np
a, b = np.load('ck.npz'), np.load('back.npz')
assert (a['enc.w'] == b['enc.w']).all() and b['enc.w'].flags.c_contiguous
assert (a['enc.b'] == b['enc.b']).all() and b['enc.b'].dtype == '<f4'
assert json.loads(str(b['__metadata__'])) == {'format': 'np'}
"#,
        dir.path(),
    );
    let failed = npy(dir.path(), &["convert", "bad.npz", "bad.safetensors"]);
    assert!(!failed.status.success());
    assert!(stderr(&failed).contains("names"), "{}", stderr(&failed));
    let failed = npy(dir.path(), &["convert", "ck.safetensors", "x.npy"]);
    assert!(stderr(&failed).contains(".npz only"), "{}", stderr(&failed));
}
