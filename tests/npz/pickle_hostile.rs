//! Hostile pickles against the safe object-array reader: code execution through every
//! route pickle offers (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, `__reduce__`
//! of classes Python itself pickles), memo abuse, deep nesting, exponential sharing, huge
//! declared lengths and truncated streams. Each is refused with its error, nothing runs
//! (a marker file the payloads would create never appears, and Python shows the payload
//! does create it when unpickled for real), and memory stays bounded by the bytes present.

use std::path::Path;

use npy_serde::dtype::DType;
use npy_serde::error::ErrorKind;
use npy_serde::npy::{self, Header};
use npy_serde::pickle::{ObjectArray, Value};
use npy_serde::{npz, NpyArray, ReadOptions};
use test_support::{run_python, temp_dir};

fn allow() -> ReadOptions {
    ReadOptions::default().with_allow_pickle(true)
}

/// A `.npy` whose dtype is `|O` and whose data is `pickle`.
fn npy(pickle: &[u8]) -> Vec<u8> {
    let mut bytes = Header::new(DType::Object, vec![1]).to_bytes().unwrap();
    bytes.extend_from_slice(pickle);
    bytes
}

/// The pickle after the header of `objects` saved as a `.npy`.
fn pickle_of(objects: &ObjectArray) -> Vec<u8> {
    let bytes = npy::to_vec(objects).unwrap();
    let data_offset = npy::read_header(&mut &bytes[..]).unwrap().data_offset;
    bytes[data_offset as usize..].to_vec()
}

/// The pickle of a one-element object array whose element is `item` (the opcodes of one
/// value, without PROTO and STOP): the crate's own pickle of `[12345678]` with `item` in
/// place of the integer's BININT (the crate writes no memo, so `item` may use one).
fn object_array_holding(item: &[u8]) -> Vec<u8> {
    let pickle = pickle_of(&ObjectArray::from_values(vec![Value::Int(12_345_678)]));
    let binint = [b'J', 0x4e, 0x61, 0xbc, 0x00];
    let at = pickle
        .windows(binint.len())
        .position(|w| w == binint)
        .expect("the BININT of 12345678");
    [&pickle[..at], item, &pickle[at + binint.len()..]].concat()
}

/// Reads `pickle` every way the crate offers (as the data of a `.npy` from a slice, a
/// stream and a file, and as a bare pickle file) and returns the slice reader's error
/// message; all must fail.
fn refused(pickle: &[u8], dir: &Path) -> String {
    let bytes = npy(pickle);
    let err = npy::from_slice_with::<ObjectArray>(&bytes, &allow()).expect_err("refused");
    assert!(npy::read_with::<ObjectArray, _>(&mut &bytes[..], &allow()).is_err());
    let path = dir.join("hostile.npy");
    std::fs::write(&path, &bytes).unwrap();
    assert!(npy::load_with::<NpyArray, _>(&path, &allow()).is_err());
    assert!(npy::load_with::<Vec<String>, _>(&path, &allow()).is_err());
    // np.load's last resort: a file holding only a pickle.
    let bare = dir.join("hostile.pkl");
    std::fs::write(&bare, pickle).unwrap();
    assert!(npz::open_any_with(&bare, &allow()).is_err());
    err.to_string()
}

#[test]
fn code_execution_payloads_are_refused_naming_the_global_and_nothing_runs() {
    let dir = temp_dir();
    let marker = dir.path().join("PWNED");
    let script = format!(
        r#"
import pickle, os, sys, numpy as np
marker = {marker:?}
command = 'touch ' + marker
class System:
    def __reduce__(self): return (os.system, (command,))
class Eval:
    def __reduce__(self): return (eval, ("__import__('os').system(" + repr(command) + ")",))
class Popen:
    def __reduce__(self):
        import subprocess
        return (subprocess.Popen, (['touch', marker],))
def obj(v):
    a = np.empty(1, dtype=object); a[0] = v
    return a
payloads = {{}}
for p in (2, 3, 4, 5):
    payloads[f'system_p{{p}}'] = pickle.dumps(obj(System()), protocol=p)
    payloads[f'eval_p{{p}}'] = pickle.dumps(obj(Eval()), protocol=p)
payloads['popen'] = pickle.dumps(obj(Popen()), protocol=4)
payloads['bare_system'] = pickle.dumps(System(), protocol=2)
# Python itself runs them: the marker appears, and is removed again.
assert os.system('true') == 0
pickle.loads(payloads['bare_system']); assert os.path.exists(marker); os.remove(marker)
pickle.loads(payloads['system_p4']); assert os.path.exists(marker); os.remove(marker)
for name, data in payloads.items():
    with open(name + '.pickle', 'wb') as f: f.write(data)
"#
    );
    run_python(&script, dir.path());
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pickle"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 10);
    for path in &names {
        let pickle = std::fs::read(path).unwrap();
        let message = refused(&pickle, dir.path());
        let stem = path.file_stem().unwrap().to_string_lossy();
        let global = if stem.starts_with("eval") {
            "eval is not on the safe reader"
        } else if stem.starts_with("popen") {
            "subprocess.Popen"
        } else {
            "posix.system"
        };
        assert!(message.contains(global), "{stem}: {message}");
        assert!(message.contains("allow-list"), "{stem}: {message}");
        assert!(!marker.exists(), "{stem} ran its payload");
    }

    // Crafted routes to the same globals.
    let crafted: [(&str, &[u8], &str); 9] = [
        (
            "GLOBAL",
            b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x85R.",
            "os.system",
        ),
        (
            "STACK_GLOBAL",
            b"\x80\x04\x8c\x02os\x8c\x06system\x93X\x04\x00\x00\x00true\x85R.",
            "os.system",
        ),
        ("INST", b"(X\x04\x00\x00\x00trueios\nsystem\n.", "os.system"),
        (
            "INST allowed",
            b"(cbuiltins\nlist\nibuiltins\nlist\n.",
            "INST",
        ),
        ("OBJ", b"(cos\nsystem\nX\x04\x00\x00\x00trueo.", "os.system"),
        ("OBJ allowed", b"(cbuiltins\nlist\no.", "OBJ"),
        ("BUILD", b"cos\nsystem\n)Rb.", "os.system"),
        (
            "NEWOBJ",
            b"\x80\x02csubprocess\nPopen\n)\x81.",
            "subprocess.Popen",
        ),
        (
            "getattr",
            b"\x80\x02cbuiltins\ngetattr\ncnumpy\nndarray\nX\x03\x00\x00\x00mro\x86R.",
            "builtins.getattr",
        ),
    ];
    for (what, pickle, expected) in crafted {
        let message = refused(pickle, dir.path());
        assert!(message.contains(expected), "{what}: {message}");
    }
    assert!(!marker.exists());
}

#[test]
fn opcodes_that_reach_outside_the_pickle_or_misuse_allowed_globals_are_refused() {
    let dir = temp_dir();
    let cases: [(&str, &[u8], &str); 16] = [
        ("PERSID", b"P1\n.", "persistent"),
        ("BINPERSID", b"K\x01Q.", "persistent"),
        ("EXT1", b"\x80\x02\x82\x01.", "extension"),
        ("NEXT_BUFFER", b"\x80\x05\x97.", "out-of-band"),
        ("NEWOBJ_EX", b"\x80\x04cbuiltins\nlist\n)}\x92.", "NEWOBJ_EX"),
        ("NEWOBJ on list", b"\x80\x02cbuiltins\nlist\n)\x81.", "NEWOBJ"),
        ("BUILD on a list", b"]}b.", "BUILD on a list"),
        ("REDUCE of a str", b"X\x01\x00\x00\x00a)R.", "calling a str"),
        ("ndarray called", b"cnumpy\nndarray\n)R.", "numpy.ndarray"),
        ("codecs utf-16", b"c_codecs\nencode\nX\x01\x00\x00\x00aX\x06\x00\x00\x00utf-16\x86R.", "latin-1"),
        ("_reconstruct of list", b"cnumpy.core.multiarray\n_reconstruct\ncbuiltins\nlist\n)C\x01b\x87R.", "_reconstruct"),
        ("record dtype", b"cnumpy\ndtype\nX\x02\x00\x00\x00V8\x89\x88\x87R(K\x03X\x01\x00\x00\x00|N(X\x01\x00\x00\x00atN}J\x08\x00\x00\x00K\x01K\x00tb.", "record"),
        ("protocol 6", b"\x80\x06N.", "protocol 6"),
        ("unknown opcode", b"\xff", "unknown opcode 0xff"),
        ("text STRING", b"S'abc'\n.", "protocol 0"),
        ("not an array", b"\x80\x02N.", "not the object array"),
    ];
    for (what, pickle, expected) in cases {
        let message = refused(pickle, dir.path());
        assert!(message.contains(expected), "{what}: {message}");
    }
}

#[test]
fn memo_abuse_deep_nesting_and_exponential_sharing_are_bounded() {
    let dir = temp_dir();
    // GET of a key never stored.
    assert!(refused(b"\x80\x02h\x05.", dir.path()).contains("never stored"));
    assert!(refused(b"\x80\x02j\xff\xff\xff\xff.", dir.path()).contains("never stored"));
    // PUT with nothing on the stack.
    assert!(refused(b"\x80\x02q\x00.", dir.path()).contains("underflow"));
    // A list that contains itself: L = []; L.append(L).
    let message = refused(b"\x80\x02]q\x00h\x00a.", dir.path());
    assert!(message.contains("contains itself"), "{message}");
    // A memo entry refers to the object, as in Python: filled after it was stored.
    let shared = object_array_holding(b"]q\x00K\x01ah\x00\x86");
    let objects: ObjectArray = npy::from_slice_with(&npy(&shared), &allow()).unwrap();
    assert_eq!(
        format!("{:?}", objects.values),
        "[Tuple([List([Int(1)]), List([Int(1)])])]"
    );
    // 100 000 nested lists: refused by depth, with no recursion while reading.
    let mut deep = b"\x80\x02".to_vec();
    deep.extend(std::iter::repeat_n(b']', 100_000));
    deep.extend(std::iter::repeat_n(b'a', 99_999));
    deep.push(b'.');
    assert!(refused(&deep, dir.path()).contains("deeper than"));
    // 100 000 nested MARKs and tuples.
    let mut marks = b"\x80\x02".to_vec();
    marks.extend(std::iter::repeat_n(b'(', 100_000));
    marks.extend(std::iter::repeat_n(b't', 100_000));
    marks.push(b'.');
    assert!(refused(&marks, dir.path()).contains("deeper than"));
    // A billion laughs: each level is a list of ten references to the level below;
    // 40 levels would be 10^40 values if copied.
    let mut laughs = b"\x80\x02X\x03\x00\x00\x00lolq\x00".to_vec();
    for level in 0..40u8 {
        laughs.extend_from_slice(b"](");
        laughs.extend(std::iter::repeat_n([b'h', level], 10).flatten());
        laughs.extend_from_slice(&[b'e', b'q', level + 1]);
    }
    laughs.push(b'.');
    let message = npy::from_slice_with::<ObjectArray>(&npy(&laughs), &allow())
        .unwrap_err()
        .to_string();
    assert!(message.contains("more memory than"), "{message}");
    // One 100 kB bytes object copied by bytes(b) 50 000 times (6 pickle bytes each).
    let mut copies = b"\x80\x02B\xa0\x86\x01\x00".to_vec();
    copies.extend(std::iter::repeat_n(b'x', 100_000));
    copies.extend_from_slice(b"q\x00cbuiltins\nbytes\nq\x01");
    for _ in 0..50_000 {
        copies.extend_from_slice(b"h\x01h\x00\x85R0");
    }
    copies.push(b'.');
    let message = npy::from_slice_with::<ObjectArray>(&npy(&copies), &allow())
        .unwrap_err()
        .to_string();
    assert!(message.contains("copies more than"), "{message}");
}

#[test]
fn huge_declared_lengths_and_truncated_streams_are_refused_without_allocating() {
    let dir = temp_dir();
    let huge: [(&str, Vec<u8>); 8] = [
        (
            "LONG4",
            [
                b"\x80\x02\x8b".as_slice(),
                &[0xff, 0xff, 0xff, 0x7f],
                b"\x01\x02",
            ]
            .concat(),
        ),
        (
            "LONG4 negative",
            [b"\x80\x02\x8b".as_slice(), &[0xff, 0xff, 0xff, 0xff]].concat(),
        ),
        (
            "BINUNICODE8",
            [b"\x80\x04\x8d".as_slice(), &[0xff; 8], b"abc"].concat(),
        ),
        (
            "BINBYTES8",
            [b"\x80\x04\x8e".as_slice(), &[0xff; 7], &[0x7f]].concat(),
        ),
        (
            "BYTEARRAY8",
            [b"\x80\x05\x96".as_slice(), &u64::MAX.to_le_bytes()].concat(),
        ),
        (
            "BINUNICODE",
            [b"\x80\x03X".as_slice(), &[0xff; 4], b"x"].concat(),
        ),
        (
            "BINSTRING",
            [b"\x80\x02T".as_slice(), &[0xff, 0xff, 0xff, 0x7f]].concat(),
        ),
        (
            "FRAME",
            [b"\x80\x04\x95".as_slice(), &[0xff; 8], b"N."].concat(),
        ),
    ];
    for (what, pickle) in &huge {
        let message = refused(pickle, dir.path());
        let expected = if what.ends_with("negative") || *what == "FRAME" {
            ""
        } else {
            "truncated"
        };
        assert!(message.contains(expected), "{what}: {message}");
    }
    // Every prefix of a real object array's pickle fails cleanly, sliced and streamed.
    let objects = ObjectArray::from_ragged(&[vec![1.5f64, 2.5], vec![3.5]]).unwrap();
    let mut full = npy::to_vec(&ObjectArray::from_strings(["a", "héllo"])).unwrap();
    full.extend_from_slice(&npy::to_vec(&objects).unwrap());
    let pickle = pickle_of(&objects);
    for len in 0..pickle.len() {
        let bytes = npy(&pickle[..len]);
        let err = npy::from_slice_with::<ObjectArray>(&bytes, &allow()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Pickle { .. }),
            "{len}: {err}"
        );
        assert!(npy::read_with::<ObjectArray, _>(&mut &bytes[..], &allow()).is_err());
    }
    // Streamed object arrays leave the reader after their STOP: the next array follows.
    let mut reader = &full[..];
    let first: Vec<String> = npy::read_with(&mut reader, &allow()).unwrap();
    let second: Vec<Vec<f64>> = npy::read_with(&mut reader, &allow()).unwrap();
    assert_eq!(first, ["a", "héllo"]);
    assert_eq!(second, [vec![1.5, 2.5], vec![3.5]]);
}
