//! A checkpoint's snapshot: the serde format's members encoded as `.npy` bytes into one
//! in-memory buffer (a copy at memory speed, no CRC, no compression, no I/O), and the
//! archive written from it later, on the background thread, by the same
//! [`Writer`](crate::npz::Writer) that [`to_path`](crate::to_path) uses.

use std::io::Write;

use serde::Serialize;

use crate::errors::Result;
use crate::npz::Writer;
use crate::options::WriteOptions;
use crate::serde_format::{SerdeOptions, WriteMembers};
use crate::write::NpyWrite;

/// The members of one value, encoded: their names and `.npy` bytes, each member in a
/// buffer of its exact size. The buffers are reused by the next snapshot (already in
/// memory: no page faults), so a steady-state snapshot is a plain copy.
#[derive(Default)]
pub(crate) struct Snapshot {
    members: Vec<(String, Vec<u8>)>,
    /// Buffers of the previous snapshot, for this one.
    spare: Vec<Vec<u8>>,
    /// The options each member is encoded with (the archive's, less what only the
    /// archive applies).
    member_options: WriteOptions,
}

impl Snapshot {
    /// Encodes `value`'s members, replacing what the snapshot held. On error the snapshot
    /// is left empty (and reusable).
    pub(crate) fn take<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        options: &SerdeOptions,
    ) -> Result<()> {
        self.recycle();
        self.member_options = options.write.for_member();
        let result = crate::ser::serialize_members(self, value, options);
        if result.is_err() {
            self.recycle();
        }
        result
    }

    /// Moves the members' buffers to the spare ones, emptied, in member order.
    fn recycle(&mut self) {
        let old = self.members.drain(..).map(|(_, mut bytes)| {
            bytes.clear();
            bytes
        });
        let mut spare: Vec<Vec<u8>> = old.collect();
        spare.append(&mut self.spare);
        self.spare = spare;
    }

    /// An empty buffer for `len` bytes: the first spare one large enough (the members come
    /// in the same order each time), else a new one. (No huge-page advice here: with the
    /// kernel's `defrag=madvise`, a fresh 1 GiB snapshot then stalled in compaction, 5.2 s
    /// against 0.87 s without it, measured on the shared machine.)
    fn buffer(&mut self, len: usize) -> Vec<u8> {
        match self.spare.iter().position(|b| b.capacity() >= len) {
            Some(i) => self.spare.remove(i),
            None => Vec::with_capacity(len),
        }
    }

    /// Bytes held (the members' `.npy` files).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.members.iter().map(|(_, bytes)| bytes.len()).sum()
    }

    /// Writes the archive of the snapshot's members into `writer` (whose options say how:
    /// compression, alignment) and finishes it.
    pub(crate) fn write_archive<W: Write>(&self, mut writer: Writer<W>) -> Result<W> {
        for (name, bytes) in &self.members {
            writer.add_encoded(name, bytes)?;
        }
        writer.finish()
    }
}

impl WriteMembers for Snapshot {
    fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()> {
        // Names the archive would refuse are refused now, not on the background thread.
        crate::npz::member_name(path)?;
        let encoded = (|| {
            let header = array.header(&self.member_options)?;
            let header_bytes = crate::write::header_bytes(&header, &self.member_options)?;
            let data_len = usize::try_from(header.data_len()?).unwrap_or(0);
            let mut bytes = self.buffer(header_bytes.len().saturating_add(data_len));
            bytes.extend_from_slice(&header_bytes);
            match array.write_data(&header, &mut bytes) {
                Ok(()) => Ok(bytes),
                Err(e) => {
                    bytes.clear();
                    self.spare.push(bytes);
                    Err(e)
                }
            }
        })();
        match encoded {
            Ok(bytes) => {
                self.members.push((path.to_string(), bytes));
                Ok(())
            }
            Err(e) => Err(e.in_member(path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_snapshot_writes_the_archive_to_path_writes() {
        let mut value = BTreeMap::new();
        value.insert("a".to_string(), vec![1.0f32, 2.0]);
        value.insert("b".to_string(), vec![3.0f32; 1000]);
        for options in [
            SerdeOptions::default(),
            SerdeOptions::default().with_write(WriteOptions::default().with_alignment(64)),
            SerdeOptions::default().with_write(
                WriteOptions::default().with_compression(crate::npz::Compression::NUMPY_DEFLATE),
            ),
        ] {
            let mut snapshot = Snapshot::default();
            snapshot.take(&value, &options).unwrap();
            let writer =
                Writer::with_options(std::io::Cursor::new(Vec::new()), &options.write).unwrap();
            let archive = snapshot.write_archive(writer).unwrap().into_inner();
            assert_eq!(archive, crate::ser::to_vec_with(&value, &options).unwrap());
        }
    }

    #[test]
    fn a_failed_snapshot_is_left_empty_and_reusable() {
        #[derive(serde::Serialize)]
        struct Bad {
            fine: Vec<f32>,
            bad: Vec<Option<f32>>,
        }
        let mut snapshot = Snapshot::default();
        let bad = Bad {
            fine: vec![1.0; 10],
            bad: vec![None],
        };
        assert!(snapshot.take(&bad, &SerdeOptions::default()).is_err());
        assert_eq!(snapshot.len(), 0);
        let mut good = BTreeMap::new();
        good.insert("x", vec![1u8]);
        snapshot.take(&good, &SerdeOptions::default()).unwrap();
        assert_eq!(snapshot.members.len(), 1);
    }
}
