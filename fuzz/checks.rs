//! What each fuzz target checks on one input, shared by the libFuzzer targets
//! (`fuzz_targets/*.rs`) and the stable replay of their corpora (`tests/fuzz_replay.rs`).
//! Every check must hold for arbitrary bytes: no panic, no abort, no unbounded allocation.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use npy_serde::dtype::DType;
use npy_serde::element::{FixedBytes, FixedElement, FixedUnicode};
use npy_serde::mmap::MappedNpy;
use npy_serde::npy::{
    from_slice, read, read_header, read_header_with, read_with, to_vec, AppendOptions, Appender,
    Header, RowReader,
};
use npy_serde::npz::{open_any, AnyFile, Reader as NpzReader, Update as NpzUpdate};
use npy_serde::pickle::{ObjectArray, PickleEncoding};
use npy_serde::{NpyArray, NpyElement, ReadOptions};
use serde::Deserialize;

/// `npy::read_header` on arbitrary bytes; a header that reads and can be written reads
/// back unchanged from what is written.
pub fn header(data: &[u8]) {
    let Ok(info) = read_header(&mut &data[..]) else {
        return;
    };
    assert!(info.data_offset <= data.len() as u64);
    // Not every header that reads can be written (NumPy's writer is stricter), but one
    // that is written must read back unchanged.
    if let Ok(bytes) = info.header.to_bytes() {
        let unlimited = ReadOptions::default().with_max_header_size(usize::MAX);
        let again = read_header_with(&mut &bytes[..], &unlimited)
            .unwrap_or_else(|e| panic!("written header does not read back: {e}"));
        assert_eq!(again.header, info.header);
        assert_eq!(again.data_offset, bytes.len() as u64);
    }
}

/// A dynamic `NpyArray` from arbitrary bytes: the streaming reader agrees with the
/// byte-slice reader, and an array that loads saves back to bytes that load to the same
/// array.
pub fn npy_array(data: &[u8]) {
    // Arrays are compared through their bytes: float data may hold NaNs.
    let sliced = from_slice::<NpyArray>(data);
    let streamed = read::<NpyArray, _>(&mut &data[..]);
    let saved = |array: &NpyArray| to_vec(array).ok();
    match (&sliced, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(saved(a), saved(b)),
        (Err(_), Err(_)) => {}
        _ => panic!("from_slice and read disagree: {sliced:?} vs {streamed:?}"),
    }
    let Ok(array) = sliced else { return };
    if let Some(bytes) = saved(&array) {
        let back: NpyArray =
            from_slice(&bytes).unwrap_or_else(|e| panic!("a saved array does not load back: {e}"));
        assert_eq!(back.header(), array.header());
        assert_eq!(saved(&back).as_ref(), Some(&bytes));
    }
}

/// `str::parse::<DType>` on arbitrary text; a parsed dtype whose descr can be written
/// parses back from it unchanged.
pub fn dtype(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dtype) = text.parse::<DType>() else {
        return;
    };
    let _ = (dtype.itemsize(), dtype.alignment(), dtype.type_str());
    let descr = dtype.to_string();
    // Display falls back to Debug for dtypes NumPy cannot describe (overlapping fields).
    if descr.starts_with(['\'', '[', '(']) {
        let back: DType = descr
            .parse()
            .unwrap_or_else(|e| panic!("{descr} (from {text:?}) does not parse back: {e}"));
        assert_eq!(back, dtype, "{descr} from {text:?}");
    }
}

/// Typed reads from arbitrary bytes: the bulk numeric path with its widenings, strings,
/// subarray elements and fixed-rank ndarray targets.
pub fn typed(data: &[u8]) {
    let _ = from_slice::<Vec<f64>>(data);
    let _ = from_slice::<Vec<String>>(data);
    let _ = from_slice::<Vec<Vec<u8>>>(data);
    let _ = from_slice::<Vec<bool>>(data);
    let _ = from_slice::<Vec<[i32; 3]>>(data);
    let _ = from_slice::<ndarray::Array2<i64>>(data);
    let _ = from_slice::<ndarray::ArrayD<half::f16>>(data);
}

/// The safe pickle reader on arbitrary bytes (an object array's data part, after an
/// object header): never panics or runs away; the slice reader (all bytes known) and the
/// opcode-by-opcode stream reader agree; an object array that reads writes back to a
/// pickle that reads to the same array; the typed conversions never panic.
pub fn pickle(data: &[u8]) {
    let options = ReadOptions::default().with_allow_pickle(true);
    let mut npy = Header::new(DType::Object, vec![0]).to_bytes().unwrap();
    npy.extend_from_slice(data);
    let bytes_encoding = options.clone().with_pickle_encoding(PickleEncoding::Bytes);
    let _ = npy_serde::npy::from_slice_with::<ObjectArray>(&npy, &bytes_encoding);
    let sliced = npy_serde::npy::from_slice_with::<ObjectArray>(&npy, &options);
    let streamed = read_with::<ObjectArray, _>(&mut &npy[..], &options);
    // Compared through their `.npy` bytes (header and pickle): floats may be NaN.
    let pickled = |objects: &ObjectArray| to_vec(objects).ok();
    match (&sliced, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(pickled(a), pickled(b)),
        (Err(_), Err(_)) => {}
        _ => panic!("slice and stream readers disagree: {sliced:?} vs {streamed:?}"),
    }
    let Ok(objects) = sliced else { return };
    let _ = objects.to_strings();
    let _ = objects.to_optional_strings();
    let _ = objects.to_ragged::<f64>();
    let _ = objects.to_arrays::<i32>();
    let _ = objects.to_array::<u8>();
    let _ = objects.to_array::<String>();
    if let Some(bytes) = pickled(&objects) {
        let back = npy_serde::npy::from_slice_with::<ObjectArray>(&bytes, &options)
            .unwrap_or_else(|e| panic!("a written pickle does not read back: {e}"));
        assert_eq!(pickled(&back).as_ref(), Some(&bytes));
    }
}

/// A scratch file per thread for the targets whose API takes a path: in `/dev/shm` when
/// there is one (no disk I/O, cheap fsyncs), else the system's temporary directory.
fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    thread_local! {
        static DIR: tempfile::TempDir = {
            let shm = Path::new("/dev/shm");
            if shm.is_dir() {
                tempfile::tempdir_in(shm).or_else(|_| tempfile::tempdir())
            } else {
                tempfile::tempdir()
            }
            .expect("a scratch directory")
        };
    }
    let path = DIR.with(|dir| dir.path().join(name));
    std::fs::write(&path, data).expect("writing the scratch file");
    path
}

/// `data` with the CRC-32 of every stored member recomputed (in its local header and its
/// central record), so that mutated member bytes get past the CRC check and reach the
/// `.npy` and serde layers; `None` when nothing changed or the records are unusable.
pub fn with_fixed_crcs(data: &[u8]) -> Option<Vec<u8>> {
    let u16_at = |at: usize| {
        data.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut fixed = data.to_vec();
    let mut at = 0;
    while let Some(found) = data[at..].windows(4).position(|w| w == b"PK\x01\x02") {
        let central = at + found;
        at = central + 4;
        if u16_at(central + 10)? != 0 {
            continue;
        }
        let size = u32_at(central + 20)? as usize;
        let local = u32_at(central + 42)? as usize;
        if data.get(local..local + 4) != Some(b"PK\x03\x04") {
            continue;
        }
        let start = local + 30 + u16_at(local + 26)? as usize + u16_at(local + 28)? as usize;
        let Some(member) = data.get(start..start.checked_add(size)?) else {
            continue;
        };
        let crc = crc32fast::hash(member).to_le_bytes();
        fixed[central + 16..central + 20].copy_from_slice(&crc);
        fixed[local + 14..local + 18].copy_from_slice(&crc);
    }
    (fixed != data).then_some(fixed)
}

/// Runs `check` on `data`, then on `data` with its stored members' CRCs fixed.
fn with_and_without_crc_fix(data: &[u8], check: impl Fn(&[u8])) {
    check(data);
    if let Some(fixed) = with_fixed_crcs(data) {
        check(&fixed);
    }
}

/// Reads every member of an archive every way the reader offers.
fn read_all_members<R: std::io::Read + std::io::Seek>(archive: &mut NpzReader<R>) {
    let names = archive.names();
    for name in names.iter().take(64) {
        let _ = archive.is_compressed(name);
        let _ = archive.header(name);
        let _ = archive.stored_member_range(name);
        let raw = archive.read_raw(name);
        let array = archive.read::<NpyArray>(name);
        // A member whose raw bytes are a loadable `.npy` loads the same through the reader.
        if let (Ok(raw), Ok(array)) = (&raw, &array) {
            let direct: NpyArray = from_slice(raw).unwrap_or_else(|e| {
                panic!("member {name} reads through the archive but not from its bytes: {e}")
            });
            assert_eq!(direct.header(), array.header());
        }
        let _ = archive.read::<Vec<f64>>(name);
        let _ = archive.read::<ndarray::ArrayD<i32>>(name);
    }
}

/// The zip reader (`npz::Reader`): directory, lookup by name, stored and deflated members.
pub fn npz_reader(data: &[u8]) {
    with_and_without_crc_fix(data, npz_reader_once);
}

fn npz_reader_once(data: &[u8]) {
    let Ok(mut archive) = NpzReader::new(Cursor::new(data)) else {
        return;
    };
    assert!(
        archive.len() <= data.len() / 46,
        "more members than directory records fit"
    );
    for probe in ["", "x", "x.npy", "../x", "a/b"] {
        let _ = archive.contains(probe);
        let _ = archive.read::<NpyArray>(probe);
    }
    read_all_members(&mut archive);
}

/// `npz::open_any` on a file of arbitrary bytes (`.npy`, `.npz` or neither).
pub fn load_any_file(data: &[u8]) {
    with_and_without_crc_fix(data, load_any_once);
}

fn load_any_once(data: &[u8]) {
    let path = scratch_file("load_any", data);
    match open_any(&path) {
        Ok(AnyFile::Npy(array)) => {
            let direct: NpyArray = from_slice(data).expect("open_any loaded it");
            assert_eq!(direct.header(), array.header());
        }
        Ok(AnyFile::Npz(mut archive)) => read_all_members(&mut archive),
        Ok(_) | Err(_) => {}
    }
}

/// A nested group of a checkpoint.
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
pub struct Layer {
    pub weight: ndarray::Array2<f32>,
    pub bias: Vec<f32>,
    pub moments: npy_serde::Bulk<ndarray::ArrayD<f64>>,
}

/// A representative training checkpoint: scalars, nested groups, ragged rows, strings,
/// optional members and string-keyed maps.
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
pub struct Checkpoint {
    pub epoch: u32,
    pub name: String,
    pub encoder: Layer,
    pub layers: BTreeMap<String, Layer>,
    pub history: Vec<Vec<f64>>,
    pub tags: Vec<String>,
    pub best: Option<f64>,
    pub schedule: Option<Vec<f32>>,
    pub flags: (bool, u8),
}

/// A dataset as NumPy users save one: features, labels and string metadata.
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
pub struct Dataset {
    pub features: ndarray::Array2<f64>,
    pub labels: Vec<i64>,
    pub meta: Vec<String>,
    pub weights: Option<ndarray::Array1<f32>>,
    pub splits: BTreeMap<String, Vec<u32>>,
}

/// serde: `from_slice` (npz bytes to a value) into the checkpoint and dataset structs.
pub fn serde(data: &[u8]) {
    with_and_without_crc_fix(data, |data| {
        let _ = npy_serde::from_slice::<Checkpoint>(data);
        let _ = npy_serde::from_slice::<Dataset>(data);
        let _ = npy_serde::from_slice::<BTreeMap<String, Vec<f64>>>(data);
    });
}

/// A nested record field.
#[derive(NpyElement, Debug, Clone, PartialEq)]
pub struct Inner {
    pub value: f64,
    pub flag: bool,
}

/// Derived records: nested, subarray and string fields (files may order them otherwise).
#[derive(NpyElement, Debug, Clone, PartialEq)]
pub struct Particle {
    pub id: u32,
    pub kind: FixedUnicode<8>,
    pub tag: FixedBytes<4>,
    pub mass: f64,
    pub pos: [f32; 3],
    pub grid: [[i16; 2]; 2],
    pub inner: Inner,
    pub charge: i8,
}

/// A plain-old-data record, read with one bulk copy when the file's layout is its memory.
#[derive(NpyElement, Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
#[npy(pod)]
#[repr(C)]
pub struct PodPoint {
    pub x: f64,
    pub y: i32,
    pub pos: [f32; 3],
}

/// Derived record types from arbitrary bytes; records that load save back and load again.
pub fn record(data: &[u8]) {
    if let Ok(particles) = from_slice::<Vec<Particle>>(data) {
        let bytes = to_vec(&particles).expect("loaded records save");
        let back: Vec<Particle> = from_slice(&bytes).expect("saved records load");
        assert_eq!(back.len(), particles.len());
    }
    let _ = from_slice::<Vec<Inner>>(data);
    let _ = from_slice::<ndarray::Array2<Particle>>(data);
    let _ = from_slice::<Vec<PodPoint>>(data);
    let _ = from_slice::<Vec<[PodPoint; 2]>>(data);
}

/// `npz::Update` on an arbitrary archive: add, replace and remove members, commit; a
/// committed archive opens and holds what the plan said.
pub fn npz_update(data: &[u8]) {
    with_and_without_crc_fix(data, npz_update_once);
}

fn npz_update_once(data: &[u8]) {
    let path = scratch_file("update.npz", data);
    let Ok(mut update) = NpzUpdate::open(&path) else {
        return;
    };
    let names = update.names();
    let mut planned = names.clone();
    if let Some(first) = names.first() {
        if update.remove(first).is_ok() {
            planned.retain(|n| n != first);
        }
    }
    if let Some(last) = names.last() {
        let _ = update.replace(last, &vec![1.5f64, 2.5]);
    }
    if update.put("fuzz_added", &vec![7i32; 3]).is_ok()
        && !planned.iter().any(|n| n == "fuzz_added")
    {
        planned.push("fuzz_added".to_string());
    }
    if update.commit().is_err() {
        return;
    }
    let mut archive = NpzReader::open(&path).expect("a committed archive opens");
    let added: Vec<i32> = archive.read("fuzz_added").expect("the added member reads");
    assert_eq!(added, [7, 7, 7]);
    let _ = planned;
}

/// `MappedNpy::open` on arbitrary bytes and `open_npz_member` on each member: views agree
/// with the copying loader.
pub fn mmap(data: &[u8]) {
    let path = scratch_file("map.npy", data);
    // SAFETY: the scratch file is private to this thread and unchanged while mapped.
    if let Ok(map) = unsafe { MappedNpy::open(&path) } {
        mapped_views(&map);
        let copied: NpyArray = from_slice(data).expect("a mapped file loads");
        assert_eq!(copied.header(), *map.header());
    }
    let Ok(archive) = NpzReader::new(Cursor::new(data)) else {
        return;
    };
    for name in archive.names().iter().take(16) {
        // SAFETY: as above.
        if let Ok(map) = unsafe { MappedNpy::open_npz_member(&path, name) } {
            mapped_views(&map);
        }
    }
}

fn mapped_views(map: &MappedNpy) {
    let _ = map.data_bytes().len();
    let _ = map.view::<u8, ndarray::IxDyn>();
    let _ = map.view_or_copy::<f64, ndarray::IxDyn>();
    let _ = map.view_or_copy::<i16, ndarray::Ix2>();
    if let Ok(rows) = map.rows::<u8, ndarray::IxDyn>(0..1) {
        assert!(rows.len() <= map.data_bytes().len());
    }
    let _ = map.load_copy::<NpyArray>();
}

/// `npy::RowReader` on arbitrary bytes: row reads and chunks, bounded by the bytes present.
pub fn row_reader(data: &[u8]) {
    let path = scratch_file("rows.npy", data);
    let Ok(mut reader) = RowReader::open(&path) else {
        return;
    };
    let rows = reader.rows();
    let _ = reader.read_rows::<f64, ndarray::IxDyn>(0..rows.min(3));
    let _ = reader.read_rows::<u8, ndarray::IxDyn>(rows.saturating_sub(2)..rows);
    // Work is bounded by the bytes present, whatever the shape says.
    let limit = data.len() + 2;
    let mut chunks = 0;
    for chunk in reader.chunks::<u8, ndarray::IxDyn>(1) {
        chunks += 1;
        assert!(
            chunks <= limit,
            "more chunks than bytes in the file (rows {rows})"
        );
        if chunk.is_err() {
            break;
        }
    }
    for chunk in reader.chunks::<f32, ndarray::IxDyn>(1000).take(limit) {
        let _ = chunk;
    }
}

/// `npy::Appender` over an arbitrary file (header rewrite and trailing bytes allowed): one
/// append, after which the file loads with one more slice.
pub fn appender(data: &[u8]) {
    append_one::<f64>(data, 1.5);
    append_one::<u8>(data, 7);
    append_one::<[i32; 2]>(data, [1, 2]);
}

fn append_one<T>(data: &[u8], value: T)
where
    T: FixedElement + Clone,
{
    let path = scratch_file("append.npy", data);
    let options = AppendOptions::default()
        .with_rewrite_header_if_needed(true)
        .with_discard_trailing_bytes(true);
    let Ok(mut appender) = Appender::<T>::open_with(&path, &options) else {
        return;
    };
    let before = appender.len();
    let slice = appender.items_per_slice();
    if slice == 0 || slice > 4096 {
        return;
    }
    if appender.append(&vec![value; slice]).is_err() {
        return;
    }
    assert_eq!(appender.len(), before + 1);
    drop(appender);
    let info = npy_serde::npy::inspect(&path).expect("an appended file reads");
    let loaded: NpyArray = npy_serde::npy::load(&path).expect("an appended file loads");
    assert_eq!(loaded.header(), info.header);
}

/// One target's check.
#[allow(dead_code)]
pub type Check = fn(&[u8]);

/// `safetensors::add_safetensors` on arbitrary bytes: an error, or an archive whose
/// members read back and convert to safetensors again.
pub fn safetensors(data: &[u8]) {
    let mut writer = npy_serde::npz::Writer::new(Cursor::new(Vec::new()));
    if npy_serde::safetensors::add_safetensors(data, &mut writer).is_err() {
        return;
    }
    let bytes = writer.finish().expect("an archive in memory").into_inner();
    let mut archive = NpzReader::new(Cursor::new(bytes)).expect("our own archive");
    read_all_members(&mut archive);
    let _ = npy_serde::safetensors::to_safetensors(&mut archive);
}

/// The targets by name, as the corpus directories are named.
#[allow(dead_code)]
pub const TARGETS: [(&str, Check); 14] = [
    ("header", header),
    ("npy_array", npy_array),
    ("dtype", dtype),
    ("typed", typed),
    ("pickle", pickle),
    ("npz_reader", npz_reader),
    ("load_any", load_any_file),
    ("serde", serde),
    ("record", record),
    ("npz_update", npz_update),
    ("mmap", mmap),
    ("row_reader", row_reader),
    ("appender", appender),
    ("safetensors", safetensors),
];
