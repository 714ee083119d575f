//! [`Update`]: add, replace and remove members of an existing archive. Unchanged members
//! are copied as raw bytes (never decompressed or recompressed), new ones are encoded when
//! added into a temporary spool, and the result replaces the old file atomically.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::format::{self, Entry, DESCRIPTOR_SIG, FLAG_DESCRIPTOR, METHOD_STORED};
use super::reader::{available_list, Reader};
use super::writer::Writer;
use super::{member_name, strip_npy};
use crate::errors::{Error, ErrorKind, Result};
use crate::options::{Compression, WriteOptions};
use crate::write::{temp_file_beside, NpyWrite};

/// Changes to an existing `.npz`, applied by [`commit`](Self::commit).
///
/// NumPy cannot update an archive; this does it without rewriting what does not change:
/// unchanged members are copied byte for byte, replaced members keep their place, added
/// ones go at the end, and the new archive replaces the old file atomically (temporary
/// file in the same directory, synced, renamed). Until then the old file is untouched.
///
/// New members are stored when every existing member is stored (an `np.savez` archive),
/// deflated at level 6 otherwise; [`open_with`](Self::open_with) chooses.
///
/// ```
/// use npy_serde::npz::{savez, Reader, Update};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("state.npz");
/// savez(&path, &[("x", &vec![1.0f64]), ("y", &vec![2u8])])?;
///
/// let mut update = Update::open(&path)?;
/// update.remove("x")?.add("z", &vec![3i32, 4])?.replace("y", &vec![5u8, 6])?;
/// update.commit()?;
///
/// let mut archive = Reader::open(&path)?;
/// assert_eq!(archive.names(), ["y", "z"]);
/// assert_eq!(archive.read::<Vec<u8>>("y")?, [5, 6]);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub struct Update {
    path: PathBuf,
    source: Reader<File>,
    plan: Vec<Planned>,
    options: WriteOptions,
    spool: Option<Writer<File>>,
    spooled: usize,
}

/// One member of the result, in order.
enum Planned {
    /// Source entry `index`, copied raw.
    Keep { index: usize, member: String },
    /// Spool entry `index`, encoded by this update.
    New { index: usize, member: String },
}

impl Planned {
    fn member(&self) -> &str {
        match self {
            Planned::Keep { member, .. } | Planned::New { member, .. } => member,
        }
    }
}

impl Update {
    /// Opens the archive at `path` for changes; new members are compressed as the existing
    /// ones are (stored when all are stored, deflated at level 6 otherwise).
    pub fn open<P: AsRef<Path>>(path: P) -> Result<Self> {
        let path = path.as_ref();
        let source = Reader::open(path)?;
        let all_stored = source.entries().iter().all(|e| e.method == METHOD_STORED);
        let compression = if all_stored {
            Compression::Stored
        } else {
            Compression::NUMPY_DEFLATE
        };
        let options = WriteOptions::default().with_compression(compression);
        Ok(Self::plan(path, source, options))
    }

    /// [`open`](Self::open), writing new members with `options` (compression, byte order,
    /// format version).
    pub fn open_with<P: AsRef<Path>>(path: P, options: &WriteOptions) -> Result<Self> {
        let path = path.as_ref();
        let source = Reader::open(path)?;
        Ok(Self::plan(path, source, options.clone()))
    }

    /// An update of `source` that keeps every member until told otherwise.
    fn plan(path: &Path, source: Reader<File>, options: WriteOptions) -> Update {
        let plan = source
            .entries()
            .iter()
            .enumerate()
            .map(|(index, entry)| Planned::Keep {
                index,
                member: entry.name.clone(),
            })
            .collect();
        Update {
            path: path.to_path_buf(),
            source,
            plan,
            options,
            spool: None,
            spooled: 0,
        }
    }

    /// The member names the archive will have (without `.npy`), in order.
    pub fn names(&self) -> Vec<String> {
        self.plan
            .iter()
            .map(|p| strip_npy(p.member()).to_string())
            .collect()
    }

    /// Position in the plan of `name` (with or without `.npy`), the last if duplicated.
    fn position(&self, name: &str) -> Option<usize> {
        let with_suffix = format!("{name}.npy");
        let exact = self.plan.iter().rposition(|p| p.member() == name);
        exact.or_else(|| self.plan.iter().rposition(|p| p.member() == with_suffix))
    }

    fn missing(&self, name: &str) -> Error {
        Error::from(ErrorKind::MissingMember {
            name: name.to_string(),
            available: available_list(&self.names()),
        })
        .in_file(&self.path)
    }

    /// Encodes `array` as member `member` (the complete zip name) into the spool.
    fn spool_member<A: NpyWrite + ?Sized>(&mut self, member: String, array: &A) -> Result<Planned> {
        if self.spool.is_none() {
            let file = tempfile::tempfile().map_err(|e| Error::from(e).in_file(&self.path))?;
            self.spool = Some(Writer::with_options(file, &self.options)?);
        }
        let spool = self.spool.as_mut().expect("created above");
        spool.forget_name(&member);
        spool.add_member(&member, array)?;
        let index = self.spooled;
        self.spooled += 1;
        Ok(Planned::New { index, member })
    }

    /// Adds a new member `name + ".npy"`; an error if the archive already has a member of
    /// that name (a member named `name` without `.npy`, not written by NumPy, is no clash).
    pub fn add<A: NpyWrite + ?Sized>(&mut self, name: &str, array: &A) -> Result<&mut Self> {
        let member = member_name(name).map_err(|e| e.in_file(&self.path))?;
        if self.plan.iter().any(|p| p.member() == member) {
            return Err(Error::unwritable(format!(
                "member {name:?} already exists (use replace or put)"
            ))
            .in_file(&self.path));
        }
        let planned = self.spool_member(member, array)?;
        self.plan.push(planned);
        Ok(self)
    }

    /// Replaces member `name` (with or without `.npy`) in place, keeping its name exactly
    /// (`data.bin` stays `data.bin`); an error if it is missing.
    pub fn replace<A: NpyWrite + ?Sized>(&mut self, name: &str, array: &A) -> Result<&mut Self> {
        let position = self.position(name).ok_or_else(|| self.missing(name))?;
        let member = self.plan[position].member().to_string();
        let planned = self.spool_member(member, array)?;
        self.plan[position] = planned;
        Ok(self)
    }

    /// Replaces member `name` if present, adds it otherwise.
    pub fn put<A: NpyWrite + ?Sized>(&mut self, name: &str, array: &A) -> Result<&mut Self> {
        if self.position(name).is_some() {
            self.replace(name, array)
        } else {
            self.add(name, array)
        }
    }

    /// Removes member `name` (with or without `.npy`); an error if it is missing.
    pub fn remove(&mut self, name: &str) -> Result<&mut Self> {
        let position = self.position(name).ok_or_else(|| self.missing(name))?;
        self.plan.remove(position);
        Ok(self)
    }

    /// Writes the new archive and moves it over the old file.
    pub fn commit(self) -> Result<()> {
        let path = self.path.clone();
        self.write().map_err(|e| e.in_file(path))
    }

    fn write(mut self) -> Result<()> {
        let (mut spool, spool_entries) = match self.spool.take() {
            Some(spool) => {
                let (file, entries) = spool.finish_members()?;
                (Some(file), entries)
            }
            None => (None, Vec::new()),
        };
        // The new archive keeps the old one's permissions (temp_file_beside copies them).
        let target = crate::write::save_target(&self.path);
        let temp = temp_file_beside(&target)?;
        let mut out = BufWriter::with_capacity(1 << 20, temp.as_file());
        let mut pos = 0u64;
        let mut entries = Vec::with_capacity(self.plan.len());
        for planned in &self.plan {
            let (mut entry, copied) = match planned {
                Planned::Keep { index, .. } => {
                    let entry = self.source.entries()[*index].clone();
                    let copied = copy_source_member(&mut self.source, *index, &mut out)
                        .map_err(|e| e.in_member(strip_npy(&entry.name)))?;
                    (entry, copied)
                }
                Planned::New { index, .. } => {
                    let entry = spool_entries[*index].clone();
                    let spool = spool.as_mut().expect("new members come with a spool");
                    let len = format::LOCAL_HEADER_LEN
                        + entry.name_raw.len() as u64
                        + format::LOCAL_ZIP64_EXTRA_LEN
                        + entry.compressed_size;
                    spool.seek(SeekFrom::Start(entry.local_offset))?;
                    copy_exact(spool, &mut out, len)?;
                    (entry, len)
                }
            };
            entry.local_offset = pos;
            pos += copied;
            entries.push(entry);
        }
        let mut directory = Vec::new();
        for entry in &entries {
            directory.extend_from_slice(&entry.central_record());
        }
        let cd_size = directory.len() as u64;
        directory.extend_from_slice(&format::end_records(entries.len() as u64, pos, cd_size));
        out.write_all(&directory)?;
        out.flush()?;
        drop(out);
        temp.as_file().sync_all()?;
        // Close the old archive before the rename replaces it (required on Windows).
        drop(self.source);
        temp.persist(&target).map_err(|e| ErrorKind::Io(e.error))?;
        crate::write::sync_parent_dir(&target)?;
        Ok(())
    }
}

/// Copies `len` bytes from `from` to `to`; an error if fewer are there.
fn copy_exact<R: Read, W: Write>(from: &mut R, to: &mut W, len: u64) -> Result<()> {
    let copied = io::copy(&mut from.take(len), to)?;
    if copied != len {
        return Err(Error::invalid_archive(format!(
            "{copied} of {len} bytes could be copied (truncated archive)"
        )));
    }
    Ok(())
}

/// Copies source member `index` raw (local header, data, data descriptor if any); returns
/// the bytes copied.
fn copy_source_member<W: Write>(
    source: &mut Reader<File>,
    index: usize,
    out: &mut W,
) -> Result<u64> {
    let entry = source.entries()[index].clone();
    let header_pos = source.base() + entry.local_offset;
    let data_start = source.data_start(index)?;
    let data_end = data_start.saturating_add(entry.compressed_size);
    let descriptor = if entry.flags & FLAG_DESCRIPTOR != 0 {
        descriptor_len(source.reader_mut(), data_end, &entry)?
    } else {
        0
    };
    let len = data_end - header_pos + descriptor;
    let reader = source.reader_mut();
    reader.seek(SeekFrom::Start(header_pos))?;
    copy_exact(reader, out, len)?;
    Ok(len)
}

/// Length of the data descriptor after a member's data: optional signature, CRC, then
/// 4- or 8-byte sizes (recognised by matching the directory's values).
fn descriptor_len(reader: &mut File, data_end: u64, entry: &Entry) -> Result<u64> {
    reader.seek(SeekFrom::Start(data_end))?;
    let mut bytes = [0u8; 24];
    let got = crate::buffer::read_up_to(reader, &mut bytes)?;
    let bytes = &bytes[..got];
    let signed = bytes.len() >= 4 && bytes[..4] == DESCRIPTOR_SIG.to_le_bytes();
    let body = if signed { &bytes[4..] } else { bytes };
    let skip = if signed { 4 } else { 0 };
    let u32_at = |i: usize| {
        body.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |i: usize| {
        body.get(i..i + 8).map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_le_bytes(a)
        })
    };
    if u32_at(0) != Some(entry.crc) {
        return Err(Error::invalid_archive(
            "data descriptor not found after the data",
        ));
    }
    if u32_at(4).map(u64::from) == Some(entry.compressed_size)
        && u32_at(8).map(u64::from) == Some(entry.uncompressed_size)
    {
        return Ok(skip + 12);
    }
    if u64_at(4) == Some(entry.compressed_size) && u64_at(12) == Some(entry.uncompressed_size) {
        return Ok(skip + 20);
    }
    Err(Error::invalid_archive(
        "the data descriptor disagrees with the central directory",
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// An archive as other zip tools write it: raw `data.bin`, NumPy's `x.npy`, raw `y`.
    fn mixed_archive(path: &Path) {
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("data.bin", stored).unwrap();
        zip.write_all(b"\x00\x01raw").unwrap();
        zip.start_file("x.npy", stored).unwrap();
        zip.write_all(&crate::write::to_vec(&vec![1i16, 2]).unwrap())
            .unwrap();
        zip.start_file("y", stored).unwrap();
        zip.write_all(b"not an array").unwrap();
        zip.finish().unwrap();
    }

    #[test]
    fn replace_keeps_names_and_add_clashes_only_on_the_name_it_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.npz");
        mixed_archive(&path);

        let mut update = Update::open(&path).unwrap();
        update.replace("data.bin", &vec![1u8, 2, 3]).unwrap();
        update.replace("x", &vec![7i16]).unwrap();
        // "y.npy" is a new name beside the raw "y"; "x" would write "x.npy" again.
        update.add("y", &vec![0.5f32]).unwrap();
        let Err(err) = update.add("x", &vec![1u8]) else {
            panic!("x.npy was added twice")
        };
        let err = err.to_string();
        assert!(err.contains("already exists"), "{err}");
        update.commit().unwrap();

        let mut archive = Reader::open(&path).unwrap();
        assert_eq!(archive.member_names(), ["data.bin", "x.npy", "y", "y.npy"]);
        assert_eq!(archive.read::<Vec<u8>>("data.bin").unwrap(), [1, 2, 3]);
        assert_eq!(archive.read::<Vec<i16>>("x").unwrap(), [7]);
        assert_eq!(archive.read_raw("y").unwrap(), b"not an array");
        assert_eq!(archive.read::<Vec<f32>>("y.npy").unwrap(), [0.5]);
    }
}
