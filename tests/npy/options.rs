//! Every option, through every entry point that takes it, takes effect: the options model
//! promises that no setting is silently ignored. Each test sets one option to a value
//! whose effect can be seen (a limit too small for any file, a byte order, a format
//! version, a compression, a separator) and checks the effect at each entry point.

use std::collections::BTreeMap;
use std::io::Cursor;

use npy_serde::dtype::Endian;
use npy_serde::error::Category;
use npy_serde::mmap::MappedNpy;
use npy_serde::npy::{self, AppendOptions, Appender, RowReader, StreamWriter, Version};
use npy_serde::npz::{self, Compression};
use npy_serde::pickle::{ObjectArray, PickleEncoding, Value};
use npy_serde::{Deserializer, ReadOptions, SerdeOptions, Serializer, WriteOptions};
use serde::{Deserialize, Serialize};

/// What every entry point's result is checked against.
fn category<T>(result: npy_serde::Result<T>) -> Option<Category> {
    result.err().map(|e| e.category())
}

fn tiny_header_limit() -> ReadOptions {
    ReadOptions::default().with_max_header_size(10)
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct State {
    step: i64,
    weights: Vec<f32>,
}

fn state() -> State {
    State {
        step: 3,
        weights: vec![0.5; 1000],
    }
}

/// `ReadOptions::max_header_size` reaches every reader: a limit below any header refuses
/// every file, as a `Limit`.
#[test]
fn the_header_limit_reaches_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let npy_path = dir.path().join("a.npy");
    let npz_path = dir.path().join("a.npz");
    npy::save(&npy_path, &vec![1.0f64; 4]).unwrap();
    npy_serde::to_path(&npz_path, &state()).unwrap();
    let bytes = std::fs::read(&npy_path).unwrap();
    let npz_bytes = std::fs::read(&npz_path).unwrap();
    let tight = tiny_header_limit();
    let serde_tight = SerdeOptions::default().with_read(tight.clone());
    let limit = Some(Category::Limit);

    assert_eq!(
        category(npy::load_with::<Vec<f64>, _>(&npy_path, &tight)),
        limit
    );
    assert_eq!(
        category(npy::read_with::<Vec<f64>, _>(&mut &bytes[..], &tight)),
        limit
    );
    assert_eq!(
        category(npy::from_slice_with::<Vec<f64>>(&bytes, &tight)),
        limit
    );
    assert_eq!(category(npy::inspect_with(&npy_path, &tight)), limit);
    assert_eq!(
        category(npy::read_header_with(&mut &bytes[..], &tight)),
        limit
    );
    assert_eq!(category(RowReader::open_with(&npy_path, &tight)), limit);
    let append = AppendOptions::default().with_read(tight.clone());
    assert_eq!(
        category(Appender::<f64>::open_with(&npy_path, &append)),
        limit
    );
    // SAFETY: the file is this test's own and unchanged while mapped.
    assert_eq!(
        category(unsafe { MappedNpy::open_with(&npy_path, &tight) }),
        limit
    );
    assert_eq!(category(npz::open_any_with(&npy_path, &tight)), limit);

    let mut archive = npz::Reader::open_with(&npz_path, &tight).unwrap();
    assert_eq!(category(archive.read::<Vec<f32>>("weights")), limit);
    let mut archive = npz::Reader::with_options(Cursor::new(&npz_bytes), &tight).unwrap();
    assert_eq!(category(archive.header("weights")), limit);
    assert_eq!(
        category(npy_serde::from_path_with::<State, _>(
            &npz_path,
            &serde_tight
        )),
        limit
    );
    assert_eq!(
        category(npy_serde::from_slice_with::<State>(
            &npz_bytes,
            &serde_tight
        )),
        limit
    );
    assert_eq!(
        category(npy_serde::from_reader_with::<State, _>(
            Cursor::new(&npz_bytes),
            &serde_tight
        )),
        limit
    );
    let mut deserializer = Deserializer::from_path_with(&npz_path, &serde_tight).unwrap();
    assert_eq!(category(State::deserialize(&mut deserializer)), limit);
    let mut deserializer = Deserializer::from_slice_with(&npz_bytes, &serde_tight).unwrap();
    assert_eq!(category(State::deserialize(&mut deserializer)), limit);

    // And the default reads them all.
    assert_eq!(npy::load::<Vec<f64>, _>(&npy_path).unwrap(), [1.0; 4]);
    assert_eq!(
        npy_serde::from_path::<State, _>(&npz_path).unwrap(),
        state()
    );
}

/// `ReadOptions::max_inflated_size` reaches every reader of deflated members.
#[test]
fn the_inflated_size_limit_reaches_every_archive_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deflated.npz");
    let compressed = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    let options = SerdeOptions::default().with_write(compressed);
    npy_serde::to_path_with(&path, &state(), &options).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let tight = ReadOptions::default().with_max_inflated_size(1000);
    let serde_tight = SerdeOptions::default().with_read(tight.clone());
    let limit = Some(Category::Limit);

    let mut archive = npz::Reader::open_with(&path, &tight).unwrap();
    assert_eq!(category(archive.read::<Vec<f32>>("weights")), limit);
    assert_eq!(category(archive.read_many::<Vec<f32>>(&["weights"])), limit);
    assert_eq!(category(archive.read_raw("weights")), limit);
    // The header alone may still be read.
    assert_eq!(archive.header("weights").unwrap().header.shape, [1000]);
    match npz::open_any_with(&path, &tight).unwrap() {
        npz::AnyFile::Npz(mut archive) => {
            assert_eq!(category(archive.read::<Vec<f32>>("weights")), limit)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        category(npy_serde::from_path_with::<State, _>(&path, &serde_tight)),
        limit
    );
    assert_eq!(
        category(npy_serde::from_slice_with::<State>(&bytes, &serde_tight)),
        limit
    );
    assert_eq!(npy_serde::from_path::<State, _>(&path).unwrap(), state());
}

/// The `.npy` of a one-element object array holding a Python 2 `str` (`b'caf\xe9'`), as
/// NumPy under Python 2 wrote it: our own object-array pickle with its `str` opcode
/// replaced by Python 2's `SHORT_BINSTRING`.
fn python2_object_array() -> Vec<u8> {
    let npy = npy::to_vec(&ObjectArray::from_strings(["x"])).unwrap();
    let unicode = b"X\x01\x00\x00\x00x";
    let at = npy
        .windows(unicode.len())
        .position(|w| w == unicode)
        .expect("the pickle holds the string");
    let mut python2 = npy[..at].to_vec();
    python2.extend_from_slice(b"U\x04caf\xe9");
    python2.extend_from_slice(&npy[at + unicode.len()..]);
    python2
}

/// `ReadOptions::allow_pickle` and `pickle_encoding` reach every reader of object arrays.
#[test]
fn the_pickle_options_reach_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let npy_bytes = python2_object_array();
    let npy_path = dir.path().join("objects.npy");
    std::fs::write(&npy_path, &npy_bytes).unwrap();
    // An archive of the same strings, written here (as Python 3 text).
    let npz_path = dir.path().join("objects.npz");
    let latin1 = ReadOptions::default()
        .with_allow_pickle(true)
        .with_pickle_encoding(PickleEncoding::Latin1);
    let objects: ObjectArray = npy::from_slice_with(&npy_bytes, &latin1).unwrap();
    npz::savez(&npz_path, &[("names", &objects)]).unwrap();

    let refused = Some(Category::Refused);
    let allowed = ReadOptions::default().with_allow_pickle(true);
    let bytes = allowed.clone().with_pickle_encoding(PickleEncoding::Bytes);

    // Without the option: refused everywhere.
    assert_eq!(category(npy::load::<Vec<String>, _>(&npy_path)), refused);
    assert_eq!(
        category(npy::from_slice::<Vec<String>>(&npy_bytes)),
        refused
    );
    assert_eq!(
        category(npy::read::<Vec<String>, _>(&mut &npy_bytes[..])),
        refused
    );
    assert_eq!(category(npz::open_any(&npy_path)), refused);
    // With it, ASCII (NumPy's default encoding) refuses a non-ASCII Python 2 str...
    assert_eq!(
        category(npy::load_with::<Vec<String>, _>(&npy_path, &allowed)),
        Some(Category::Format)
    );
    // ... Latin-1 reads it as text, `bytes` as bytes, through every reader.
    let text = |encoding: &ReadOptions| -> Vec<Vec<String>> {
        vec![
            npy::load_with(&npy_path, encoding).unwrap(),
            npy::from_slice_with(&npy_bytes, encoding).unwrap(),
            npy::read_with(&mut &npy_bytes[..], encoding).unwrap(),
            match npz::open_any_with(&npy_path, encoding).unwrap() {
                npz::AnyFile::Npy(array) => array.into_objects().unwrap().to_strings().unwrap(),
                other => panic!("{other:?}"),
            },
        ]
    };
    for strings in text(&latin1) {
        assert_eq!(strings, ["café"]);
    }
    let objects: ObjectArray = npy::load_with(&npy_path, &bytes).unwrap();
    assert_eq!(objects.values, [Value::Bytes(b"caf\xe9".to_vec())]);

    // The archive (its member was rewritten as text): refused without the option, read
    // with it through the reader and the serde format.
    let mut archive = npz::Reader::open(&npz_path).unwrap();
    assert_eq!(category(archive.read::<Vec<String>>("names")), refused);
    let mut archive = npz::Reader::open_with(&npz_path, &allowed).unwrap();
    assert_eq!(archive.read::<Vec<String>>("names").unwrap(), ["café"]);
    #[derive(Deserialize)]
    struct Names {
        names: Vec<String>,
    }
    assert_eq!(
        category(npy_serde::from_path::<Names, _>(&npz_path)),
        refused
    );
    let serde_allowed = SerdeOptions::default().with_read(allowed);
    let names: Names = npy_serde::from_path_with(&npz_path, &serde_allowed).unwrap();
    assert_eq!(names.names, ["café"]);
}

/// The header of `.npy` bytes.
fn header_of(bytes: &[u8]) -> npy::HeaderInfo {
    npy::read_header(&mut &bytes[..]).unwrap()
}

/// The member `name` of the archive in `bytes`, as raw `.npy` bytes.
fn member_of(bytes: &[u8], name: &str) -> Vec<u8> {
    npz::Reader::new(Cursor::new(bytes))
        .unwrap()
        .read_raw(name)
        .unwrap()
}

/// `WriteOptions::endian` and `version` reach every writer, and its compression every
/// archive writer; a `.npy` writer refuses compression rather than ignore it.
#[test]
fn write_options_reach_every_writer() {
    let dir = tempfile::tempdir().unwrap();
    let values = vec![1.5f64, -2.0];
    let options = WriteOptions::default()
        .with_endian(Endian::Big)
        .with_version(Version::V2);
    let check = |bytes: &[u8]| {
        let info = header_of(bytes);
        assert_eq!(info.header.dtype.to_string(), "'>f8'");
        assert_eq!(info.version, Version::V2);
    };

    // Single arrays.
    let path = dir.path().join("a.npy");
    npy::save_with(&path, &values, &options).unwrap();
    check(&std::fs::read(&path).unwrap());
    let mut written = Vec::new();
    npy::write_with(&mut written, &values, &options).unwrap();
    check(&written);
    check(&npy::to_vec_with(&values, &options).unwrap());
    let mut stream = StreamWriter::<f64, _>::with_options(Vec::new(), &[2], &options).unwrap();
    stream.write_chunk(&values).unwrap();
    check(&stream.finish().unwrap());
    // A dynamic array is written in the byte order asked for, too.
    let dynamic: npy_serde::NpyArray = npy::from_slice(&npy::to_vec(&values).unwrap()).unwrap();
    let swapped = npy::to_vec_with(&dynamic, &options).unwrap();
    check(&swapped);
    assert_eq!(npy::from_slice::<Vec<f64>>(&swapped).unwrap(), values);

    // Compression is an archive's setting: asking a `.npy` writer for it is an error.
    let compressed = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    let unwritable = Some(Category::Unwritable);
    assert_eq!(
        category(npy::save_with(&path, &values, &compressed)),
        unwritable
    );
    assert_eq!(category(npy::to_vec_with(&values, &compressed)), unwritable);
    assert_eq!(
        category(npy::write_with(&mut Vec::new(), &values, &compressed)),
        unwritable
    );
    assert_eq!(
        category(StreamWriter::<f64, _>::with_options(
            Vec::new(),
            &[2],
            &compressed
        )),
        unwritable
    );

    // Archives: byte order and version of every member, and compression.
    let all = options
        .clone()
        .with_compression(Compression::Deflate { level: 1 });
    let archive_check = |bytes: &[u8], member: &str| {
        check(&member_of(bytes, member));
        let reader = npz::Reader::new(Cursor::new(bytes)).unwrap();
        assert!(reader.members().iter().all(|m| m.compressed), "deflated");
    };
    let mut writer = npz::Writer::with_options(Cursor::new(Vec::new()), &all).unwrap();
    writer.add("x", &values).unwrap();
    archive_check(&writer.finish().unwrap().into_inner(), "x");
    let path = dir.path().join("a.npz");
    let mut writer = npz::Writer::create_with(&path, &all).unwrap();
    writer.add("x", &values).unwrap();
    writer.finish().unwrap();
    archive_check(&std::fs::read(&path).unwrap(), "x");
    let mut update = npz::Update::open_with(&path, &all).unwrap();
    update.add("y", &values).unwrap();
    update.commit().unwrap();
    archive_check(&std::fs::read(&path).unwrap(), "y");

    // The serde format: its write options and separator.
    let serde_options = SerdeOptions::default()
        .with_write(all.clone())
        .with_separator(".");
    let mut nested = BTreeMap::new();
    nested.insert("inner", BTreeMap::from([("x", values.clone())]));
    let serde_check = |bytes: &[u8]| archive_check(bytes, "inner.x");
    serde_check(&npy_serde::to_vec_with(&nested, &serde_options).unwrap());
    let mut written = Vec::new();
    npy_serde::to_writer_with(&mut written, &nested, &serde_options).unwrap();
    serde_check(&written);
    let path = dir.path().join("serde.npz");
    npy_serde::to_path_with(&path, &nested, &serde_options).unwrap();
    serde_check(&std::fs::read(&path).unwrap());
    let mut serializer = Serializer::with_options(Cursor::new(Vec::new()), &serde_options).unwrap();
    nested.serialize(&mut serializer).unwrap();
    serde_check(&serializer.finish().unwrap().into_inner());
    // The separator also decides how they read back.
    let back: BTreeMap<String, BTreeMap<String, Vec<f64>>> =
        npy_serde::from_path_with(&path, &serde_options).unwrap();
    assert_eq!(back["inner"]["x"], values);
}

/// A separator that cannot work is refused, not ignored.
#[test]
fn an_empty_separator_is_an_error_everywhere() {
    let empty = SerdeOptions::default().with_separator("");
    let value = BTreeMap::from([("x", 1i32)]);
    let serde = Some(Category::Serde);
    assert_eq!(category(npy_serde::to_vec_with(&value, &empty)), serde);
    assert_eq!(
        category(Serializer::with_options(Cursor::new(Vec::new()), &empty)),
        serde
    );
    let bytes = npy_serde::to_vec(&value).unwrap();
    assert_eq!(
        category(npy_serde::from_slice_with::<BTreeMap<String, i32>>(
            &bytes, &empty
        )),
        serde
    );
    assert_eq!(
        category(Deserializer::from_slice_with(&bytes, &empty)),
        serde
    );
}
