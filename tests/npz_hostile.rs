//! Hostile and broken `.npz` archives: zip bombs, CRC mismatches, truncation, corrupt and
//! overlapping directories, broken `.npy` headers inside good archives, not-a-zip, header
//! size caps, unsupported methods, and random corruption (never a panic). Pure Rust: the
//! archives are crafted here with a minimal zip builder.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Cursor, Write};

use npy_serde::dtype::DType;
use npy_serde::error::ErrorKind;
use npy_serde::npy::{self, Header, NpyWrite};
use npy_serde::npz::{self, Compression, FileKind};
use npy_serde::{NpyArray, ReadOptions, WriteOptions};
use proptest::prelude::*;

/// Records the largest single allocation of each thread, to prove that no allocation
/// follows an archive's declared sizes (per thread: tests run side by side).
struct LargestAllocation;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    // `try_with`: allocations made while the thread's locals are torn down are not counted.
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// One member of a crafted archive: what its records declare and the bytes stored.
struct Member {
    name: &'static str,
    method: u16,
    stored: Vec<u8>,
    crc: u32,
    declared_size: u32,
}

impl Member {
    fn stored(name: &'static str, content: &[u8]) -> Member {
        Member {
            name,
            method: 0,
            stored: content.to_vec(),
            crc: crc32fast::hash(content),
            declared_size: content.len() as u32,
        }
    }

    fn deflated(name: &'static str, content: &[u8]) -> Member {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        encoder.write_all(content).unwrap();
        Member {
            name,
            method: 8,
            stored: encoder.finish().unwrap(),
            crc: crc32fast::hash(content),
            declared_size: content.len() as u32,
        }
    }
}

/// A plain (non-zip64) archive of `members`; `central_offsets` overrides where each
/// central record says its local header is.
fn build_zip(members: &[Member], central_offsets: Option<&[u32]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for m in members {
        offsets.push(out.len() as u32);
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&m.method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0x21, 0]);
        out.extend_from_slice(&m.crc.to_le_bytes());
        out.extend_from_slice(&(m.stored.len() as u32).to_le_bytes());
        out.extend_from_slice(&m.declared_size.to_le_bytes());
        out.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(m.name.as_bytes());
        out.extend_from_slice(&m.stored);
    }
    let cd_start = out.len() as u32;
    for (i, m) in members.iter().enumerate() {
        out.extend_from_slice(b"PK\x01\x02");
        out.extend_from_slice(&[20, 3, 20, 0, 0, 0]);
        out.extend_from_slice(&m.method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0x21, 0]);
        out.extend_from_slice(&m.crc.to_le_bytes());
        out.extend_from_slice(&(m.stored.len() as u32).to_le_bytes());
        out.extend_from_slice(&m.declared_size.to_le_bytes());
        out.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&0x0180_0000u32.to_le_bytes());
        let offset = central_offsets.map_or(offsets[i], |o| o[i]);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(m.name.as_bytes());
    }
    let cd_size = out.len() as u32 - cd_start;
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn npy_of<A: NpyWrite + ?Sized>(array: &A) -> Vec<u8> {
    npy::to_vec(array).unwrap()
}

fn open(bytes: Vec<u8>) -> npz::Reader<Cursor<Vec<u8>>> {
    npz::Reader::new(Cursor::new(bytes)).unwrap()
}

fn open_with(bytes: Vec<u8>, options: &ReadOptions) -> npz::Reader<Cursor<Vec<u8>>> {
    npz::Reader::with_options(Cursor::new(bytes), options).unwrap()
}

/// A writer of a deflated archive in memory (`np.savez_compressed`'s compression).
fn compressed_writer() -> npz::Writer<Cursor<Vec<u8>>> {
    let options = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    npz::Writer::with_options(Cursor::new(Vec::new()), &options).expect("deflate options are valid")
}

/// A deflate stream of the `.npy` header of 64 float64 followed by `zeros_mib` MiB of
/// zeros, made from one compressed MiB repeated (a sync-flushed block of zeros decodes to
/// zeros wherever it is placed), so crafting it costs nothing.
fn bomb_stream(header: &[u8], zeros_mib: usize) -> Vec<u8> {
    let mut head = flate2::Compress::new(flate2::Compression::new(6), false);
    let mut stream = Vec::with_capacity(1 << 20);
    head.compress_vec(header, &mut stream, flate2::FlushCompress::Sync)
        .unwrap();
    let mut zeros = flate2::Compress::new(flate2::Compression::new(9), false);
    let mut block = Vec::with_capacity(1 << 20);
    zeros
        .compress_vec(&vec![0u8; 1 << 20], &mut block, flate2::FlushCompress::Sync)
        .unwrap();
    for _ in 0..zeros_mib {
        stream.extend_from_slice(&block);
    }
    stream.extend_from_slice(&[0x03, 0x00]); // final empty fixed-Huffman block
    stream
}

#[test]
fn zip_bomb_member_stops_at_the_declared_size() {
    let npy = npy_of(&vec![0.0f64; 64]);
    let header = &npy[..128];
    let stream = bomb_stream(header, 512);
    assert!(stream.len() < 600 * 1024, "{} bytes", stream.len());
    // Directory and npy header agree on 640 bytes; the stream inflates to 512 MiB.
    let bomb = Member {
        name: "bomb.npy",
        method: 8,
        stored: stream.clone(),
        crc: crc32fast::hash(&npy),
        declared_size: npy.len() as u32,
    };
    let good = Member::stored("good.npy", &npy_of(&vec![1u8, 2]));
    let mut archive = open(build_zip(&[bomb, good], None));
    let err = archive.read::<Vec<f64>>("bomb").unwrap_err();
    assert!(err.to_string().contains("inflates past"), "{err}");
    assert!(err.to_string().contains("member \"bomb\""), "{err}");
    let err = archive.read_raw("bomb").unwrap_err();
    assert!(err.to_string().contains("inflates past"), "{err}");
    assert_eq!(archive.read::<Vec<u8>>("good").unwrap(), [1, 2]);

    // The directory claims fewer bytes than the npy header needs (640).
    let liar = Member {
        name: "liar.npy",
        method: 8,
        stored: stream,
        crc: 0,
        declared_size: 600,
    };
    let mut archive = open(build_zip(&[liar], None));
    let err = archive.read::<NpyArray>("liar").unwrap_err().to_string();
    assert!(
        err.contains("the .npy header declares 640 bytes") && err.contains("holds only 600"),
        "{err}"
    );

    // The directory claims 4 MiB, the npy header 512 bytes of data: the bytes after the
    // data are read through for the CRC, and inflation still stops at the claim.
    let liar = Member {
        name: "liar.npy",
        method: 8,
        stored: bomb_stream(header, 8),
        crc: 0,
        declared_size: 4 << 20,
    };
    let mut archive = open(build_zip(&[liar], None));
    let err = archive.read::<NpyArray>("liar").unwrap_err().to_string();
    assert!(err.contains("inflates past"), "{err}");

    // A claim deflate cannot produce from so few bytes is refused before inflating.
    let tiny = Member {
        name: "tiny.npy",
        method: 8,
        stored: vec![0x03, 0x00],
        crc: 0,
        declared_size: 100 << 20,
    };
    let mut archive = open(build_zip(&[tiny], None));
    let err = archive.read::<Vec<f64>>("tiny").unwrap_err().to_string();
    assert!(err.contains("more than deflate can produce"), "{err}");
}

#[test]
fn deflated_member_declaring_gigabytes_allocates_only_what_arrives() {
    // Directory and .npy header agree on 4 GiB - 1 bytes of float64 (the most a plain zip
    // size field holds), over a deflate stream of 1000 bytes padded to the 4 MB that make
    // such a claim plausible (deflate expands at most about 1032 times).
    let header_len = 128u64;
    let count = (u64::from(u32::MAX) - header_len) / 8;
    let header = Header {
        dtype: "<f8".parse().unwrap(),
        shape: vec![count as usize],
        fortran_order: false,
    }
    .to_bytes()
    .unwrap();
    assert_eq!(header.len() as u64, header_len);
    let declared = header_len + 8 * count;
    let mut content = header.clone();
    content.extend_from_slice(&[0u8; 1000]);
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(&content).unwrap();
    let mut stream = encoder.finish().unwrap();
    stream.resize((declared / 1032 + 1) as usize, 0);
    let liar = Member {
        name: "huge.npy",
        method: 8,
        stored: stream,
        crc: 0,
        declared_size: declared as u32,
    };
    let bytes = build_zip(&[liar], None);
    // The default cap on inflated sizes refuses it before inflating anything; past the cap
    // (a trusted archive), memory still grows only as bytes arrive.
    let err = open(bytes.clone()).read::<Vec<f64>>("huge").unwrap_err();
    assert!(err.to_string().contains("max_inflated_size"), "{err}");
    let trusted = ReadOptions::default().with_max_inflated_size(u64::MAX);
    let mut archive = open_with(bytes, &trusted);
    assert_eq!(
        archive.header("huge").unwrap().header.shape,
        [count as usize]
    );

    LARGEST.with(|largest| largest.set(0));
    let errors = [
        archive.read::<Vec<f64>>("huge").unwrap_err(),
        archive.read::<NpyArray>("huge").unwrap_err(),
        archive.read::<ndarray::Array1<f64>>("huge").unwrap_err(),
    ];
    let largest = LARGEST.with(Cell::get);
    assert!(
        largest < 64 << 20,
        "an allocation of {largest} bytes was made"
    );
    for err in errors {
        assert!(
            matches!(err.kind(), ErrorKind::InvalidArchive { .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("member \"huge\"") && text.contains("ends after 1128 of its"),
            "{text}"
        );
    }
}

#[test]
fn bytes_after_the_data_are_ignored_but_crc_checked() {
    let mut npy = npy_of(&vec![1.5f32, -2.0]);
    npy.extend_from_slice(b"trailing bytes np.load ignores");
    for deflated in [false, true] {
        let make = if deflated {
            Member::deflated
        } else {
            Member::stored
        };
        let mut bad = make("bad.npy", &npy);
        bad.crc ^= 1;
        let mut archive = open(build_zip(&[make("x.npy", &npy), bad], None));
        assert_eq!(archive.read::<Vec<f32>>("x").unwrap(), [1.5, -2.0]);
        assert_eq!(archive.read::<NpyArray>("x").unwrap().shape(), [2]);
        assert_eq!(archive.header("x").unwrap().header.shape, [2]);
        assert_eq!(archive.read_raw("x").unwrap(), npy);
        let err = archive.read::<Vec<f32>>("bad").unwrap_err().to_string();
        assert!(
            err.contains("CRC-32 mismatch") && err.contains("member \"bad\""),
            "{err}"
        );
    }
}

#[test]
fn crc_mismatch_names_the_member() {
    for compressed in [false, true] {
        let mut writer = if compressed {
            compressed_writer()
        } else {
            npz::Writer::new(Cursor::new(Vec::new()))
        };
        writer.add("ok", &vec![5i32; 10]).unwrap();
        writer.add("bad", &vec![7i32; 1000]).unwrap();
        let mut bytes = writer.finish().unwrap().into_inner();
        if compressed {
            // Keep the deflate stream valid: change the stored CRC (local and central).
            let crc = crc32fast::hash(&npy_of(&vec![7i32; 1000])).to_le_bytes();
            let positions: Vec<usize> = bytes
                .windows(4)
                .enumerate()
                .filter(|(_, w)| *w == crc)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(positions.len(), 2);
            for i in positions {
                bytes[i] ^= 0xFF;
            }
        } else {
            let npy = npy_of(&vec![7i32; 1000]);
            let at = bytes
                .windows(npy.len())
                .position(|w| w == npy.as_slice())
                .unwrap();
            bytes[at + 500] ^= 1;
        }
        let mut archive = open(bytes);
        assert_eq!(archive.read::<Vec<i32>>("ok").unwrap(), [5; 10]);
        let err = archive.read::<Vec<i32>>("bad").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("CRC-32 mismatch") && text.contains("\"bad\""),
            "{text}"
        );
        assert!(matches!(err.kind(), ErrorKind::InvalidArchive { .. }));
        assert!(archive.read_raw("bad").is_err());
        // The header alone can still be inspected.
        assert_eq!(archive.header("bad").unwrap().header.shape, [1000]);
    }
}

#[test]
fn truncated_archives_are_errors_at_every_length() {
    let mut writer = compressed_writer();
    writer.add("a", &vec![1.5f64; 100]).unwrap();
    writer.add("b", &vec![2u8; 300]).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    for len in 0..bytes.len() {
        let cut = bytes[..len].to_vec();
        match npz::Reader::new(Cursor::new(cut)) {
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains("truncated") || text.contains("not a zip"),
                    "{len}: {text}"
                );
            }
            Ok(mut archive) => {
                // Only a cut inside the end record's comment area could leave a directory.
                let a = archive.read::<Vec<f64>>("a");
                let b = archive.read::<Vec<u8>>("b");
                assert!(a.is_err() || b.is_err(), "{len}");
            }
        }
    }
    let err = npz::Reader::new(Cursor::new(bytes[..bytes.len() / 2].to_vec())).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn broken_npy_header_inside_a_good_archive() {
    let mut broken = npy_of(&vec![1u16, 2]);
    broken[10..17].copy_from_slice(b"{'desc:");
    let members = [
        Member::stored("fine.npy", &npy_of(&vec![3u16])),
        Member::deflated("broken.npy", &broken),
        Member::stored("notes.txt", b"not an array"),
    ];
    let mut archive = open(build_zip(&members, None));
    assert_eq!(archive.names(), ["fine", "broken", "notes.txt"]);
    let err = archive.read::<NpyArray>("broken").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidHeader { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("member \"broken\""), "{err}");
    assert!(archive.header("broken").is_err());
    let err = archive.read::<NpyArray>("notes.txt").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::BadMagic { .. }), "{err}");
    assert_eq!(archive.read_raw("notes.txt").unwrap(), b"not an array");
    assert_eq!(archive.read::<Vec<u16>>("fine").unwrap(), [3]);
}

#[test]
fn an_archive_read_as_npy_says_what_reads_it_and_other_magic_is_escaped_once() {
    let mut writer = npz::Writer::new(Cursor::new(Vec::new()));
    writer.add("a", &vec![1u8]).unwrap();
    let archive = writer.finish().unwrap().into_inner();
    let err = npy::from_slice::<NpyArray>(&archive).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::WrongFileKind {
                expected: FileKind::Npy,
                found: FileKind::Npz
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "this is a .npz archive, not a .npy file: read it with npz::Reader::open (members by \
         name), npz::open_any, or from_path for a struct"
    );
    // A zip record that does not start an archive is shown as it is, escaped once.
    let directory = archive.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let err = npy::from_slice::<NpyArray>(&archive[directory..]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::BadMagic { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        r#"not a .npy or .npz file: it starts with "PK\x01\x02-\x03" (a .npy starts with "\x93NUMPY", an .npz with "PK")"#
    );
}

#[test]
fn header_size_cap_reaches_every_member() {
    let fields: Vec<String> = (0..800).map(|i| format!("('field{i}', '<i1')")).collect();
    let dtype: DType = format!("[{}]", fields.join(", ")).parse().unwrap();
    let wide = NpyArray::from_raw(dtype, vec![1], false, vec![0; 800]).unwrap();
    let mut writer = compressed_writer();
    writer.add("wide", &wide).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let mut archive = open(bytes.clone());
    let err = archive.read::<NpyArray>("wide").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::HeaderTooLarge { .. }),
        "{err}"
    );
    assert!(archive.header("wide").is_err());
    let mut trusted = open_with(bytes, &ReadOptions::default().with_max_header_size(100_000));
    assert_eq!(trusted.read::<NpyArray>("wide").unwrap(), wide);
}

#[test]
fn not_a_zip_corrupt_directory_and_overlapping_members() {
    for junk in [&b""[..], b"hello world"] {
        let err = npz::Reader::new(Cursor::new(junk.to_vec())).unwrap_err();
        assert!(err.to_string().contains("not a zip archive"), "{err}");
    }
    // A .npy given as an archive: the error says what it is and what reads it.
    let npy_file = [0x93, b'N', b'U', b'M', b'P', b'Y', 1, 0];
    let err = npz::Reader::new(Cursor::new(npy_file.to_vec())).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::WrongFileKind {
                expected: FileKind::Npz,
                found: FileKind::Npy
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("this is a .npy file, not a .npz archive: read it with npy::load"),
        "{err}"
    );
    let good = build_zip(
        &[
            Member::stored("a.npy", &npy_of(&vec![1u8])),
            Member::stored("b.npy", &npy_of(&vec![2u8])),
        ],
        None,
    );
    // Corrupt the second central record's signature.
    let mut corrupt = good.clone();
    let cd = corrupt
        .windows(4)
        .rposition(|w| w == b"PK\x01\x02")
        .unwrap();
    corrupt[cd + 3] = 9;
    let err = npz::Reader::new(Cursor::new(corrupt))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("corrupt central directory at entry 1"),
        "{err}"
    );

    // Both central records point at the first local header.
    let members = [
        Member::stored("a.npy", &npy_of(&vec![1u8])),
        Member::stored("b.npy", &npy_of(&vec![2u8])),
    ];
    let overlapping = build_zip(&members, Some(&[0, 0]));
    let err = npz::Reader::new(Cursor::new(overlapping))
        .unwrap_err()
        .to_string();
    assert!(err.contains("overlaps") && err.contains("member"), "{err}");

    // A member declared larger than the space before the directory.
    let mut big = Member::stored("a.npy", &npy_of(&vec![1u8]));
    big.declared_size = 5000;
    let mut bytes = build_zip(&[big], None);
    let cd = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bytes[cd + 20..cd + 24].copy_from_slice(&5000u32.to_le_bytes());
    let err = npz::Reader::new(Cursor::new(bytes))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("member \"a\"") && err.contains("run past"),
        "{err}"
    );
}

#[test]
fn unsupported_methods_and_encryption_are_named() {
    let mut member = Member::stored("x.npy", &npy_of(&vec![1u8]));
    member.method = 12;
    let mut archive = open(build_zip(&[member], None));
    let err = archive.read::<Vec<u8>>("x").unwrap_err().to_string();
    assert!(
        err.contains("bzip2") && err.contains("member \"x\""),
        "{err}"
    );
    let err = archive.stored_member_range("x").unwrap_err().to_string();
    assert!(err.contains("bzip2"), "{err}");
}

fn sample_archive() -> Vec<u8> {
    let mut writer = npz::Writer::new(Cursor::new(Vec::new()));
    writer.add("s", &vec![1.0f32, 2.0, 3.0]).unwrap();
    writer.add("t", &vec!["ab".to_string()]).unwrap();
    let mut bytes = writer.finish().unwrap().into_inner();
    let mut compressed = compressed_writer();
    compressed.add("c", &vec![7i64; 50]).unwrap();
    // Two archives back to back: the reader sees the second, with a prefix.
    bytes.extend_from_slice(&compressed.finish().unwrap().into_inner());
    bytes
}

/// Reads everything it can; returns normally whatever the bytes are.
fn read_everything(bytes: Vec<u8>) {
    let Ok(mut archive) = npz::Reader::new(Cursor::new(bytes)) else {
        return;
    };
    for name in archive.names() {
        let _ = archive.header(&name);
        let _ = archive.read::<NpyArray>(&name);
        let _ = archive.read_raw(&name);
        let _ = archive.stored_member_range(&name);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_corruption_never_panics(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = sample_archive();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            let len = cut.index(bytes.len());
            bytes.truncate(len);
        }
        read_everything(bytes);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut with_end = bytes.clone();
        with_end.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\0\0\0\0\0\0");
        read_everything(bytes);
        read_everything(with_end);
    }
}

#[test]
fn prefixed_archive_is_read_like_python_reads_it() {
    let bytes = sample_archive();
    let mut archive = open(bytes);
    assert_eq!(archive.names(), ["c"]);
    assert_eq!(archive.read::<Vec<i64>>("c").unwrap(), [7; 50]);
}

/// Runs `f` and returns its value with the largest single allocation it made.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|largest| largest.set(0));
    let value = f();
    (value, LARGEST.with(Cell::get))
}

/// Offsets of every occurrence of a 4-byte signature.
fn signatures(bytes: &[u8], signature: &[u8; 4]) -> Vec<usize> {
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == signature)
        .map(|(i, _)| i)
        .collect()
}

/// Sets the general-purpose flags of every member, in its local header and central record.
fn set_flags(bytes: &mut [u8], flags: u16) {
    for at in signatures(bytes, b"PK\x03\x04") {
        bytes[at + 6..at + 8].copy_from_slice(&flags.to_le_bytes());
    }
    for at in signatures(bytes, b"PK\x01\x02") {
        bytes[at + 8..at + 10].copy_from_slice(&flags.to_le_bytes());
    }
}

#[test]
fn zip_corpus_encrypted_and_other_methods_are_refused_by_name() {
    let npy = npy_of(&vec![1.5f64; 8]);
    let mut encrypted = build_zip(&[Member::stored("x.npy", &npy)], None);
    set_flags(&mut encrypted, 0x0001);
    let (errors, largest) = largest_allocation(|| {
        let mut archive = open(encrypted);
        [
            archive.read::<Vec<f64>>("x").unwrap_err(),
            archive.read_raw("x").unwrap_err(),
            archive.stored_member_range("x").unwrap_err(),
        ]
    });
    for err in errors {
        let text = err.to_string();
        assert!(
            text.contains("encrypted") && text.contains("member \"x\""),
            "{text}"
        );
    }
    assert!(largest < 64 << 10, "{largest}");
    for (method, name) in [
        (12u16, "bzip2"),
        (14, "lzma"),
        (93, "zstd"),
        (9, "deflate64"),
    ] {
        let mut member = Member::stored("x.npy", &npy);
        member.method = method;
        let (err, largest) = largest_allocation(|| {
            open(build_zip(&[member], None))
                .read::<NpyArray>("x")
                .unwrap_err()
        });
        assert!(
            matches!(err.kind(), ErrorKind::InvalidArchive { .. }),
            "{err}"
        );
        assert!(err.to_string().contains(name), "{err}");
        assert!(largest < 64 << 10, "{largest}");
    }
}

#[test]
fn zip_corpus_data_descriptors_are_read_from_the_directory() {
    // As streaming zip writers make them: flag 3, zero CRC and sizes in the local header,
    // then a signed data descriptor after the data; the central directory has the values.
    let npy = npy_of(&vec![3i32, 4, 5]);
    let crc = crc32fast::hash(&npy);
    let mut out = Vec::new();
    out.extend_from_slice(b"PK\x03\x04\x14\x00\x08\x00\x00\x00\x00\x00\x21\x00");
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(&5u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(b"x.npy");
    out.extend_from_slice(&npy);
    out.extend_from_slice(b"PK\x07\x08");
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(npy.len() as u32).to_le_bytes());
    out.extend_from_slice(&(npy.len() as u32).to_le_bytes());
    let cd_start = out.len() as u32;
    out.extend_from_slice(b"PK\x01\x02\x14\x03\x14\x00\x08\x00\x00\x00\x00\x00\x21\x00");
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(npy.len() as u32).to_le_bytes());
    out.extend_from_slice(&(npy.len() as u32).to_le_bytes());
    out.extend_from_slice(&5u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&0x0180_0000u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(b"x.npy");
    let cd_size = out.len() as u32 - cd_start;
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\x00\x01\x00");
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    let (values, largest) = largest_allocation(|| open(out.clone()).read::<Vec<i32>>("x"));
    assert_eq!(values.unwrap(), [3, 4, 5]);
    assert!(largest < 64 << 10, "{largest}");
    // The same with a wrong CRC in the directory: the mismatch is found.
    let mut bad = out;
    let cd = signatures(&bad, b"PK\x01\x02")[0];
    bad[cd + 16] ^= 1;
    let err = open(bad).read::<Vec<i32>>("x").unwrap_err().to_string();
    assert!(err.contains("CRC-32 mismatch"), "{err}");
}

#[test]
fn zip_corpus_names_are_only_names() {
    // `../` and absolute names are keys, never paths: nothing is written anywhere.
    let npy = npy_of(&vec![1u8, 2]);
    let members = [
        Member::stored("../../outside.npy", &npy),
        Member::stored("/abs/path.npy", &npy),
        Member::stored("dup.npy", &npy_of(&vec![1u8])),
        Member::stored("dup.npy", &npy_of(&vec![2u8])),
    ];
    let ((names, values), largest) = largest_allocation(|| {
        let mut archive = open(build_zip(&members, None));
        let names = archive.names();
        let values = [
            archive.read::<Vec<u8>>("../../outside").unwrap(),
            archive.read::<Vec<u8>>("/abs/path.npy").unwrap(),
            // As Python's zipfile: the last of duplicate names wins.
            archive.read::<Vec<u8>>("dup").unwrap(),
        ];
        (names, values)
    });
    assert_eq!(names, ["../../outside", "/abs/path", "dup", "dup"]);
    assert_eq!(values, [vec![1, 2], vec![1, 2], vec![2]]);
    assert!(largest < 64 << 10, "{largest}");
}

#[test]
fn zip_corpus_local_and_central_names_that_differ_are_refused() {
    let mut bytes = build_zip(&[Member::stored("a.npy", &npy_of(&vec![1u8]))], None);
    let local = signatures(&bytes, b"PK\x03\x04")[0];
    bytes[local + 30] = b'b';
    let (err, largest) = largest_allocation(|| open(bytes).read::<Vec<u8>>("a").unwrap_err());
    let text = err.to_string();
    assert!(
        text.contains("the local header names \"b.npy\", the central directory \"a.npy\""),
        "{text}"
    );
    assert!(largest < 64 << 10, "{largest}");
}

#[test]
fn zip_corpus_prefixed_archive_memory_is_bounded() {
    // 1 MiB of junk (a self-extractor stub, a script) before an archive.
    let mut bytes = vec![0x7fu8; 1 << 20];
    bytes.extend_from_slice(&build_zip(
        &[Member::deflated("x.npy", &npy_of(&vec![2.5f32; 100]))],
        None,
    ));
    let (values, largest) = largest_allocation(|| open(bytes).read::<Vec<f32>>("x"));
    assert_eq!(values.unwrap(), [2.5; 100]);
    assert!(largest < 512 << 10, "{largest}");
}

#[test]
fn zip_corpus_100000_tiny_members() {
    // More members than a plain end record counts: a zip64 end record, as Python writes.
    const COUNT: usize = 100_000;
    let npy = npy_of(&vec![7u8]);
    let crc = crc32fast::hash(&npy);
    let mut out = Vec::with_capacity(COUNT * 200);
    let mut offsets = Vec::with_capacity(COUNT);
    let name = |i: usize| format!("m{i:06}.npy");
    for i in 0..COUNT {
        offsets.push(out.len() as u32);
        out.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00");
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(npy.len() as u32).to_le_bytes());
        out.extend_from_slice(&(npy.len() as u32).to_le_bytes());
        out.extend_from_slice(&11u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name(i).as_bytes());
        out.extend_from_slice(&npy);
    }
    let cd_start = out.len() as u64;
    for (i, offset) in offsets.iter().enumerate() {
        out.extend_from_slice(b"PK\x01\x02\x2d\x03\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00");
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(npy.len() as u32).to_le_bytes());
        out.extend_from_slice(&(npy.len() as u32).to_le_bytes());
        out.extend_from_slice(&11u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&0x0180_0000u32.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(name(i).as_bytes());
    }
    let cd_size = out.len() as u64 - cd_start;
    let zip64_end = out.len() as u64;
    out.extend_from_slice(b"PK\x06\x06");
    out.extend_from_slice(&44u64.to_le_bytes());
    out.extend_from_slice(&[0x2d, 0x03, 0x2d, 0x00]);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&(COUNT as u64).to_le_bytes());
    out.extend_from_slice(&(COUNT as u64).to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(b"PK\x06\x07\0\0\0\0");
    out.extend_from_slice(&zip64_end.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");
    out.extend_from_slice(&0u16.to_le_bytes());
    let archive_len = out.len();

    let ((count, values), largest) = largest_allocation(|| {
        let mut archive = open(out);
        let values: Vec<Vec<u8>> = ["m000000", "m050000", "m099999"]
            .iter()
            .map(|name| archive.read(name).unwrap())
            .collect();
        (archive.names().len(), values)
    });
    assert_eq!(count, COUNT);
    assert_eq!(values, [[7], [7], [7]]);
    // The directory is held once, in memory proportional to it: nothing bigger than the
    // archive itself is allocated at once.
    assert!(largest < archive_len, "{largest} of {archive_len}");
}

#[test]
fn zero_length_axes_and_too_many_dimensions_inside_archives() {
    // (10**15, 0) is a valid NumPy shape with no data: every reader gets it at no cost.
    let empty_rows = Header::new("<f8".parse().unwrap(), vec![1_000_000_000_000_000, 0])
        .to_bytes()
        .unwrap();
    let mut dims = b"\x93NUMPY\x01\x00".to_vec();
    let text = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}), }}\n",
        vec!["1"; 3000].join(", ")
    );
    dims.extend_from_slice(&(text.len() as u16).to_le_bytes());
    dims.extend_from_slice(text.as_bytes());
    dims.extend_from_slice(&[0; 8]);
    let members = [
        Member::stored("rows.npy", &empty_rows),
        Member::deflated("rows_deflated.npy", &empty_rows),
        Member::stored("dims.npy", &dims),
    ];
    let (_, largest) = largest_allocation(|| {
        let mut archive = open(build_zip(&members, None));
        for name in ["rows", "rows_deflated"] {
            let any: NpyArray = archive.read(name).unwrap();
            assert_eq!(any.shape(), [1_000_000_000_000_000, 0]);
            let typed: ndarray::Array2<f64> = archive.read(name).unwrap();
            assert_eq!(typed.shape(), [1_000_000_000_000_000, 0]);
            assert!(archive.read::<Vec<f64>>(name).unwrap().is_empty());
        }
        let err = archive.read::<NpyArray>("dims").unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidHeader { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("3000 dimensions"), "{err}");
    });
    // The inflater's 256 KiB input buffer is the largest allocation.
    assert!(largest <= 256 << 10, "{largest}");
}

#[test]
fn inflated_size_cap_refuses_big_members_with_a_clear_error() {
    // 8 MiB of zeros deflate to a few KiB: a legitimate member, refused past the cap and
    // read with a raised one. Its header can always be read.
    let npy = npy_of(&vec![0u8; 8 << 20]);
    let member = Member::deflated("big.npy", &npy);
    assert!(member.stored.len() < 64 << 10);
    let bytes = build_zip(&[member], None);
    let capped = ReadOptions::default().with_max_inflated_size(1 << 20);
    let (err, largest) = largest_allocation(|| {
        let mut archive = open_with(bytes.clone(), &capped);
        assert_eq!(archive.header("big").unwrap().header.shape, [8 << 20]);
        archive.read::<Vec<u8>>("big").unwrap_err()
    });
    let text = err.to_string();
    assert!(
        text.contains("max_inflated_size") && text.contains("member \"big\""),
        "{text}"
    );
    assert!(largest < 1 << 20, "{largest}");
    let mut archive = open(bytes);
    assert_eq!(archive.read::<Vec<u8>>("big").unwrap().len(), 8 << 20);
}
