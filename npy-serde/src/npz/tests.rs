//! Tests that drive the archive's parts together: writer, reader, inflater, names.

/// What `np.savez_compressed` asks for.
fn compressed() -> crate::options::WriteOptions {
    crate::options::WriteOptions::default()
        .with_compression(crate::options::Compression::NUMPY_DEFLATE)
}

/// The archive functions: names, savez, reference bytes.
mod archive {
    use super::compressed;
    use crate::npz::*;
    use crate::npz::{member_name, strip_npy};
    use std::io::Cursor;

    /// `np.savez(f, a=np.arange(3, dtype='<i8'))`: sha256 from NPY_FORMAT.md H.3.
    #[test]
    fn stored_archive_matches_numpy_reference_sha256() {
        let mut writer = Writer::new(Cursor::new(Vec::new()));
        writer.add("a", &vec![0i64, 1, 2]).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        assert_eq!(bytes.len(), 280);
        assert_eq!(
            sha256_hex(&bytes),
            "cd0db88c81f91fa56b49b4e93fc97eb5266ecd006b1b3882e9f9aeb37d6b4aee"
        );
        let empty = Writer::new(Cursor::new(Vec::new()))
            .finish()
            .unwrap()
            .into_inner();
        assert_eq!(empty, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn names_follow_numpy() {
        assert_eq!(member_name("a/b").unwrap(), "a/b.npy");
        assert_eq!(member_name("x.npy").unwrap(), "x.npy.npy");
        assert!(member_name("a\0b").is_err());
        assert_eq!(strip_npy("x.npy.npy"), "x.npy");
        let mut writer = Writer::new(Cursor::new(Vec::new()));
        writer.add("arr_0", &vec![1u8]).unwrap();
        let err = writer.add_positional(&vec![2u8]).unwrap_err();
        assert!(err.to_string().contains("duplicate"), "{err}");
        // The failed add left the writer usable.
        writer.add("b", &vec![3u8]).unwrap();
        let mut reader = Reader::new(writer.finish().unwrap()).unwrap();
        assert_eq!(reader.names(), ["arr_0", "b"]);
        assert_eq!(reader.read::<Vec<u8>>("b.npy").unwrap(), [3]);
    }

    #[test]
    fn compressed_round_trip_across_chunks_and_members() {
        let big: Vec<f64> = (0..600_000).map(|i| (i % 1000) as f64).collect();
        let mut writer = Writer::with_options(Cursor::new(Vec::new()), &compressed()).unwrap();
        for i in 0..5 {
            writer.add(&format!("m{i}"), &big).unwrap();
            writer.add(&format!("s{i}"), &vec![i]).unwrap();
        }
        let archive = writer.finish().unwrap();
        let size = archive.get_ref().len();
        assert!(size < big.len() * 8, "compressed: {size}");
        let mut reader = Reader::new(archive).unwrap();
        for i in 0..5 {
            assert!(reader.read::<Vec<f64>>(&format!("m{i}")).unwrap() == big);
            assert_eq!(reader.read::<Vec<i32>>(&format!("s{i}")).unwrap(), [i]);
        }
        assert!(reader.stored_member_range("m0").is_err());
    }

    #[test]
    fn stored_member_range_points_at_the_npy_bytes() {
        let mut prefixed = Cursor::new(b"prefix".to_vec());
        prefixed.set_position(6);
        let mut writer = Writer::new(prefixed);
        writer.add("x", &vec![1u16, 2, 3]).unwrap();
        let archive = writer.finish().unwrap().into_inner();
        let mut reader = Reader::new(Cursor::new(archive.clone())).unwrap();
        let range = reader.stored_member_range("x").unwrap();
        let npy = &archive[range.start as usize..range.end as usize];
        assert_eq!(npy, crate::write::to_vec(&vec![1u16, 2, 3]).unwrap());
    }

    /// A dependency-free SHA-256, for checking reference archives without Python.
    fn sha256_hex(data: &[u8]) -> String {
        const K: [u32; 64] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
            0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
            0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
            0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
            0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
            0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
            0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
            0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2,
        ];
        let mut h: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut message = data.to_vec();
        message.push(0x80);
        while message.len() % 64 != 56 {
            message.push(0);
        }
        message.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
        for block in message.chunks(64) {
            let mut w = [0u32; 64];
            for (i, word) in block.chunks(4).enumerate() {
                w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let mut v = h;
            for i in 0..64 {
                let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
                let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
                let t1 = v[7]
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(K[i])
                    .wrapping_add(w[i]);
                let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
                let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
                let t2 = s0.wrapping_add(maj);
                v = [
                    t1.wrapping_add(t2),
                    v[0],
                    v[1],
                    v[2],
                    v[3].wrapping_add(t1),
                    v[4],
                    v[5],
                    v[6],
                ];
            }
            for (state, value) in h.iter_mut().zip(v) {
                *state = state.wrapping_add(value);
            }
        }
        h.iter().map(|word| format!("{word:08x}")).collect()
    }
}

/// Parallel inflation through the chunk index, and reading several members at once.
mod inflate {
    use super::compressed;
    use crate::npz::deflate::CHUNK_LEN;
    use crate::npz::inflate::*;
    use crate::npz::{Reader, Writer};
    use crate::options::WriteOptions;
    use std::io::{Cursor, Read};

    /// Values that compress to about a third: the archive keeps several segments.
    fn values(len: usize, seed: u64) -> Vec<u32> {
        (0..len as u64)
            .map(|i| ((i * 2_654_435_761 + seed) >> 7) as u32 & 0x3FFF)
            .collect()
    }

    /// An archive with a large indexed member between two small ones.
    fn indexed_archive() -> (Vec<u8>, Vec<u32>) {
        let big = values(5 * SEGMENT_LEN / 4 / 2 + 123, 1); // 2.5 segments
        let mut writer = Writer::with_options(Cursor::new(Vec::new()), &compressed()).unwrap();
        writer.add("small", &vec![1u8, 2, 3]).unwrap();
        writer.add("big", &big).unwrap();
        writer.add("after", &vec![0.5f64; 10]).unwrap();
        (writer.finish().unwrap().into_inner(), big)
    }

    /// Where the chunk index's data starts in `archive` (after its ID and length).
    fn index_position(archive: &[u8]) -> usize {
        let id = INDEX_ID.to_le_bytes();
        let at = archive
            .windows(5)
            .rposition(|w| w[..2] == id && w[4] == 1)
            .expect("an index");
        at + 4
    }

    /// The archive with its index renamed to an unknown ID: read serially.
    fn without_index(archive: &[u8]) -> Vec<u8> {
        let mut plain = archive.to_vec();
        let at = index_position(archive) - 4;
        plain[at..at + 2].copy_from_slice(&0xFFFFu16.to_le_bytes());
        plain
    }

    fn read_big(archive: &[u8]) -> std::result::Result<Vec<u32>, String> {
        let mut reader = Reader::new(Cursor::new(archive)).map_err(|e| e.to_string())?;
        reader.read::<Vec<u32>>("big").map_err(|e| e.to_string())
    }

    #[test]
    fn writer_indexes_large_compressed_members_only() {
        let (archive, big) = indexed_archive();
        let reader = Reader::new(Cursor::new(&archive[..])).unwrap();
        let entries = reader.entries();
        assert!(entries[0].other_extra.is_empty() && entries[2].other_extra.is_empty());
        let index = ChunkIndex::find(
            &entries[1].other_extra,
            entries[1].compressed_size,
            entries[1].uncompressed_size,
        )
        .expect("a usable index");
        assert_eq!(index.offsets.len(), 2);
        assert_eq!(read_big(&archive).unwrap(), big);
        // Independent segments cost little: within 0.5% of a single stream.
        let single = super::super::deflate::compress_chunk(
            6,
            &[],
            &crate::write::to_vec(&big).unwrap(),
            true,
        )
        .unwrap();
        let overhead = entries[1].compressed_size as f64 / single.deflated.len() as f64 - 1.0;
        assert!(overhead < 0.005, "{overhead}");
        // Stored archives carry no index.
        let mut writer =
            Writer::with_options(Cursor::new(Vec::new()), &WriteOptions::default()).unwrap();
        writer.add("big", &big).unwrap();
        let stored = writer.finish().unwrap().into_inner();
        assert!(
            !stored.windows(2).any(|w| w == INDEX_ID.to_le_bytes()) || {
                let reader = Reader::new(Cursor::new(&stored[..])).unwrap();
                reader.entries()[0].other_extra.is_empty()
            }
        );
    }

    #[test]
    fn intact_members_inflate_in_parallel_without_hand_over() {
        let (archive, big) = indexed_archive();
        let reader = Reader::new(Cursor::new(&archive[..])).unwrap();
        let entry = reader.entries()[1].clone();
        let index = ChunkIndex::find(
            &entry.other_extra,
            entry.compressed_size,
            entry.uncompressed_size,
        )
        .unwrap();
        let start = entry.local_offset as usize + 30 + entry.name_raw.len() + 20;
        let compressed = &archive[start..start + entry.compressed_size as usize];
        let mut inflater = ParallelInflater::new(
            compressed,
            index,
            entry.compressed_size,
            entry.uncompressed_size,
            entry.crc,
            2,
        );
        let mut out = Vec::new();
        inflater.read_to_end(&mut out).unwrap();
        assert!(matches!(inflater.mode, Mode::Done), "handed over to serial");
        assert_eq!(out.len() as u64, entry.uncompressed_size);
        assert_eq!(
            &out[out.len() - big.len() * 4..],
            bytemuck::cast_slice::<u32, u8>(&big)
        );
    }

    #[test]
    fn parallel_equals_serial_on_good_and_hostile_indexes() {
        let (archive, big) = indexed_archive();
        let at = index_position(&archive);
        let offsets_at = at + 9;
        let offset = |archive: &[u8], i: usize| {
            let b = &archive[offsets_at + 8 * i..offsets_at + 8 * i + 8];
            u64::from_le_bytes(b.try_into().unwrap())
        };
        let mut cases: Vec<(&str, Vec<u8>)> = vec![("intact", archive.clone())];
        // The count says one more offset than the field holds (a cut-short index).
        let mut longer = archive.clone();
        longer[at + 5] += 1;
        cases.push(("count past the data", longer));
        // An offset outside the member.
        let mut outside = archive.clone();
        outside[offsets_at + 8..offsets_at + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        cases.push(("offset outside the member", outside));
        // Offsets inside the member but not at segment starts: the second segment fails
        // its checks and serial inflation takes over there.
        for shift in [1i64, -1, 7] {
            let mut shifted = archive.clone();
            let moved = (offset(&archive, 1) as i64 + shift) as u64;
            shifted[offsets_at + 8..offsets_at + 16].copy_from_slice(&moved.to_le_bytes());
            cases.push(("offset off a segment start", shifted));
        }
        // Offsets swapped: not increasing.
        let mut swapped = archive.clone();
        let (first, second) = (offset(&archive, 0), offset(&archive, 1));
        swapped[offsets_at..offsets_at + 8].copy_from_slice(&second.to_le_bytes());
        swapped[offsets_at + 8..offsets_at + 16].copy_from_slice(&first.to_le_bytes());
        cases.push(("offsets swapped", swapped));
        // The central directory's CRC of "big" is wrong.
        let mut wrong_crc = archive.clone();
        let reader = Reader::new(Cursor::new(&archive[..])).unwrap();
        let crc = reader.entries()[1].crc.to_le_bytes();
        let cd_crc = archive
            .windows(4)
            .rposition(|w| w == crc)
            .expect("the CRC in the directory");
        wrong_crc[cd_crc] ^= 1;
        cases.push(("wrong CRC", wrong_crc));
        // Corrupt deflate data in the third segment.
        let data_start = reader.entries()[1].local_offset as usize + 30 + "big.npy".len() + 20;
        let mut corrupt = archive.clone();
        let in_third = data_start + offset(&archive, 1) as usize + 100;
        corrupt[in_third] ^= 0x55;
        cases.push(("corrupt third segment", corrupt));
        // Truncated: the archive ends inside the member (no directory: both fail alike).
        for (what, case) in &cases {
            let parallel = read_big(case);
            let serial = read_big(&without_index(case));
            assert_eq!(parallel, serial, "{what}");
            if *what == "intact" || what.starts_with("offset") || what.starts_with("count") {
                assert_eq!(parallel.as_ref().unwrap(), &big, "{what}");
            }
        }
        assert!(read_big(&cases[cases.len() - 2].1)
            .unwrap_err()
            .contains("CRC-32 mismatch"));
    }

    /// Member "big" of `archive` read whole, in reads of `sizes` bytes (cycled), so that
    /// both the window and the in-place paths of the parallel inflater run.
    fn read_big_in_pieces(archive: &[u8], sizes: &[usize]) -> std::result::Result<Vec<u8>, String> {
        let mut reader = Reader::new(Cursor::new(archive)).map_err(|e| e.to_string())?;
        let mut member = reader.open_member(1, true).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for &size in sizes.iter().cycle() {
            let mut buf = vec![0u8; size];
            match member.read(&mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
        unreachable!("cycle never ends")
    }

    #[test]
    fn reads_of_any_size_give_the_serial_result() {
        let (archive, _) = indexed_archive();
        let at = index_position(&archive) + 9;
        let mut shifted = archive.clone();
        let second = u64::from_le_bytes(archive[at + 8..at + 16].try_into().unwrap());
        shifted[at + 8..at + 16].copy_from_slice(&(second + 1).to_le_bytes());
        let serial = read_big_in_pieces(&without_index(&archive), &[1 << 20]).unwrap();
        let pieces: [&[usize]; 4] = [
            &[8192],
            &[4 * SEGMENT_LEN],
            &[100, 2 * SEGMENT_LEN + 5, SEGMENT_LEN - 1],
            &[SEGMENT_LEN / 3, 3 * SEGMENT_LEN],
        ];
        for case in [&archive, &shifted] {
            for sizes in pieces {
                assert_eq!(
                    read_big_in_pieces(case, sizes).unwrap(),
                    serial,
                    "{sizes:?}"
                );
            }
        }
    }

    #[test]
    fn read_many_equals_reading_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.npz");
        let mut writer = Writer::create_with(&path, &compressed()).unwrap();
        let mut names = Vec::new();
        for i in 0..12 {
            let name = format!("m{i}");
            writer.add(&name, &values(1000 * i + 1, i as u64)).unwrap();
            names.push(name);
        }
        writer.finish().unwrap();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut reader = Reader::open(&path).unwrap();
        let together: Vec<Vec<u32>> = reader.read_many(&names).unwrap();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(together[i], reader.read::<Vec<u32>>(name).unwrap());
        }
        // Order as asked, repeats allowed; the first error (in that order) is returned.
        let picked: Vec<Vec<u32>> = reader.read_many(&["m3", "m1", "m3"]).unwrap();
        assert_eq!(picked[0], picked[2]);
        assert_eq!(picked[1], values(1001, 1));
        let err = reader.read_many::<Vec<u32>>(&["m1", "nope"]).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let err = reader.read_many::<Vec<u8>>(&["m2", "m5"]).unwrap_err();
        assert!(err.to_string().contains("member \"m2\""), "{err}");
    }

    #[test]
    fn read_many_reads_stored_members_of_a_file_as_read_does() {
        // Stored members of an archive opened by path go to worker threads that read the
        // file at their own offsets: same values, same checks, same errors as `read`.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stored.npz");
        let names: Vec<String> = (0..9).map(|i| format!("s{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let big_endian = crate::WriteOptions::default().with_endian(crate::dtype::Endian::Big);
        let mut together = Vec::new();
        // Native and big-endian (converted by the workers).
        for options in [crate::WriteOptions::default(), big_endian] {
            let mut writer = Writer::create_with(&path, &options).unwrap();
            for (i, name) in names.iter().enumerate() {
                writer.add(name, &values(70_000 * i + 3, i as u64)).unwrap();
            }
            writer.finish().unwrap();
            let mut reader = Reader::open(&path).unwrap();
            together = reader.read_many::<Vec<u32>>(&names).unwrap();
            let dynamic: Vec<crate::NpyArray> = reader.read_many(&names).unwrap();
            for (i, name) in names.iter().enumerate() {
                assert_eq!(
                    together[i],
                    reader.read::<Vec<u32>>(name).unwrap(),
                    "{name}"
                );
                let array = dynamic[i].to_array::<u32>().unwrap();
                assert_eq!(array.iter().copied().collect::<Vec<_>>(), together[i]);
            }
        }

        // A flipped byte in the data of s5: the CRC check names the member and the file.
        let mut reader = Reader::open(&path).unwrap();
        let offset = reader.stored_member_range("s5").unwrap().end - 10;
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[offset as usize] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let mut reader = Reader::open(&path).unwrap();
        let err = reader.read_many::<Vec<u32>>(&names).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("CRC-32 mismatch") && text.contains("member \"s5\""),
            "{text}"
        );
        assert!(text.contains("stored.npz"), "{text}");
        assert_eq!(err.member(), Some("s5"));
        // The members before it still read, through the workers.
        let first: Vec<Vec<u32>> = reader.read_many(&names[..5]).unwrap();
        assert_eq!(first, together[..5]);

        // A member whose .npy header declares more data than the member holds.
        let mut writer = Writer::create(&path).unwrap();
        for name in &names[..3] {
            writer.add(name, &values(1000, 1)).unwrap();
        }
        writer.finish().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let shape = bytes.windows(7).position(|w| w == b"(1000,)").unwrap();
        bytes[shape..shape + 7].copy_from_slice(b"(9000,)");
        std::fs::write(&path, &bytes).unwrap();
        let mut reader = Reader::open(&path).unwrap();
        let err = reader.read_many::<Vec<u32>>(&names[..3]).unwrap_err();
        assert_eq!(err.member(), Some("s0"), "{err}");
        assert!(err.to_string().contains("holds only"), "{err}");
    }

    #[test]
    fn index_round_trips_and_thins_out_when_too_long() {
        let offsets: Vec<u64> = (1..10).map(|i| i * 1000).collect();
        let extra = ChunkIndex::extra_field(SEGMENT_LEN as u64, offsets.clone());
        let total = 10 * SEGMENT_LEN as u64 - 5;
        let index = ChunkIndex::find(&extra, 10_000, total).unwrap();
        assert_eq!(index.offsets, offsets);
        // Wrong declared size: the index does not fit it and is ignored.
        assert!(ChunkIndex::find(&extra, 10_000, total * 2).is_none());
        assert!(ChunkIndex::find(&extra, 9_000, total).is_none());
        assert!(ChunkIndex::find(&extra[..extra.len() - 1], 10_000, total).is_none());

        let many: Vec<u64> = (1..20_000).map(|i| i * 100).collect();
        let extra = ChunkIndex::extra_field(CHUNK_LEN as u64, many);
        assert!(extra.len() <= MAX_INDEX_DATA + 4);
        let index = ChunkIndex::find(&extra, 20_000 * 100, 20_000 * CHUNK_LEN as u64).unwrap();
        assert_eq!(index.segment_len, 4 * CHUNK_LEN as u64);
        assert_eq!(index.offsets[0], 400);
    }
}

/// The writer: failures mid-member, versions, compression settings.
mod writer {
    use super::compressed;
    use std::io::{Cursor, Seek, SeekFrom, Write};

    use crate::errors::{Error, Result};
    use crate::header::Version;
    use crate::npz::Reader;
    use crate::npz::{Compression, Writer};
    use crate::options::WriteOptions;
    use crate::write::NpyWrite;

    /// A cursor whose one write crossing byte `fail_at` writes part of its bytes, then
    /// fails; later writes succeed (a disk that was briefly full).
    struct FailOnce {
        inner: Cursor<Vec<u8>>,
        fail_at: u64,
        failed: bool,
    }

    impl FailOnce {
        fn new(fail_at: u64) -> Self {
            FailOnce {
                inner: Cursor::new(Vec::new()),
                fail_at,
                failed: false,
            }
        }
    }

    impl Write for FailOnce {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let end = self.inner.position() + bytes.len() as u64;
            if !self.failed && end > self.fail_at {
                let part = (self.fail_at - self.inner.position().min(self.fail_at)) as usize;
                if part > 0 {
                    // A short write; the next one (write_all's retry) fails.
                    return self.inner.write(&bytes[..part]);
                }
                self.failed = true;
                return Err(std::io::Error::other("disk full (simulated)"));
            }
            self.inner.write(bytes)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Seek for FailOnce {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    fn assert_earlier_failure<T>(result: Result<T>) {
        let Err(err) = result else {
            panic!("a call succeeded after a failure")
        };
        assert!(err.to_string().contains("earlier failure"), "{err}");
    }

    #[test]
    fn io_error_in_a_streamed_member_fails_every_later_call() {
        for options in [WriteOptions::default(), compressed()] {
            // Incompressible values, so deflated chunks are as big as the input.
            let values: Vec<f64> = (0..1u64 << 18)
                .map(|i| f64::from_bits(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
                .collect();
            let mut writer = Writer::with_options(FailOnce::new(1 << 20), &options).unwrap();
            writer.add("before", &vec![1u8, 2]).unwrap();
            let mut stream = writer.stream::<f64>("a", &[3 << 18]).unwrap();
            // The failure surfaces while chunks go out (stored: at once; deflated: when
            // the compressed chunks are written, at the latest at finish).
            let mut failed = false;
            for _ in 0..3 {
                match stream.write_chunk(&values) {
                    Ok(()) if !failed => {}
                    Ok(()) => panic!("write_chunk succeeded after a failure"),
                    Err(e) => {
                        assert!(!failed || e.to_string().contains("earlier failure"), "{e}");
                        failed = true;
                    }
                }
            }
            match stream.finish() {
                Ok(()) => assert!(!failed, "finish succeeded after a failure"),
                Err(_) => failed = true,
            }
            if failed {
                assert_earlier_failure(writer.add("b", &vec![1u8]));
                assert_earlier_failure(writer.stream::<u8>("c", &[1]).map(|_| ()));
                assert_earlier_failure(writer.finish());
            } else {
                // Deflated: everything was queued; the failure comes when it goes out.
                assert!(writer.finish().is_err(), "{options:?}");
            }
        }
    }

    #[test]
    fn io_error_in_an_added_member_fails_finish() {
        let mut writer = Writer::new(FailOnce::new(1 << 20));
        assert!(writer.add("a", &vec![0.5f64; 1 << 18]).is_err());
        assert_earlier_failure(writer.add("b", &vec![1u8]));
        assert_earlier_failure(writer.finish());
    }

    /// An array whose data fails half-way, after some bytes were written.
    struct FailsHalfway;

    impl NpyWrite for FailsHalfway {
        fn header(&self, options: &WriteOptions) -> Result<crate::header::Header> {
            vec![0u8; 100].header(options)
        }

        fn write_data<Out: Write>(
            &self,
            _header: &crate::header::Header,
            writer: &mut Out,
        ) -> Result<()> {
            writer.write_all(&[7u8; 50])?;
            Err(Error::unwritable("the second half cannot be encoded"))
        }
    }

    #[test]
    fn failed_path_writer_never_creates_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.npz");
        for deflated in [false, true] {
            let mut writer = if deflated {
                Writer::create_with(&path, &compressed()).unwrap()
            } else {
                Writer::create(&path).unwrap()
            };
            writer.add("fine", &vec![1i32, 2]).unwrap();
            let err = writer.add("broken", &FailsHalfway).unwrap_err();
            assert!(err.to_string().contains("member \"broken\""), "{err}");
            assert_earlier_failure(writer.finish());
            assert!(!path.exists());
            let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
            assert_eq!(leftovers, 0, "the temporary file is removed");
        }
    }

    #[test]
    fn stream_errors_found_before_writing_leave_the_writer_usable() {
        let v1 = WriteOptions::default().with_version(Version::V1);
        for options in [v1.clone(), v1.with_compression(Compression::NUMPY_DEFLATE)] {
            let mut writer = Writer::with_options(Cursor::new(Vec::new()), &options).unwrap();
            // 30000 axes of length 1: a header of 90 kB, more than version 1.0 can hold.
            let err = writer
                .stream::<f32>("wide", &[1; 30000])
                .map(|_| ())
                .unwrap_err();
            assert!(err.to_string().contains("member \"wide\""), "{err}");
            let mut stream = writer.stream::<u8>("s", &[3]).unwrap();
            assert!(
                stream.write_chunk(&[1, 2, 3, 4]).is_err(),
                "too many elements"
            );
            stream.write_chunk(&[1, 2, 3]).unwrap();
            stream.finish().unwrap();
            writer.add("ok", &vec![5u8]).unwrap();
            let mut archive = Reader::new(writer.finish().unwrap()).unwrap();
            assert_eq!(archive.names(), ["s", "ok"]);
            assert_eq!(archive.read::<Vec<u8>>("s").unwrap(), [1, 2, 3]);
        }
    }
}
