//! The end records and central directory of a zip archive, read defensively: the end
//! record found in the last 64 KiB, zip64 records followed, the directory grown as bytes
//! arrive (never allocated at its declared size), each entry parsed with its zip64 extra,
//! and each member's bytes bounded by where the next one starts.

use std::io::{Read, Seek, SeekFrom};

use super::format::{
    self, Bytes, Entry, CENTRAL_HEADER_LEN, CENTRAL_SIG, EOCD_LEN, EOCD_SIG, LOCAL_HEADER_LEN,
    ZIP64_EOCD_LEN, ZIP64_EOCD_SIG, ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_SIG,
};
use crate::errors::{Error, ErrorKind, Result};
use crate::magic::{FileKind, NPY_MAGIC};

/// What the end records and central directory say.
pub(super) struct Directory {
    pub(super) entries: Vec<Entry>,
    pub(super) base: u64,
    pub(super) limits: Vec<u64>,
}

fn read_exact_at<R: Read + Seek>(
    reader: &mut R,
    pos: u64,
    len: usize,
    what: &str,
) -> Result<Vec<u8>> {
    reader.seek(SeekFrom::Start(pos))?;
    // Grown as the bytes arrive, not allocated at `len`: the length comes from the archive
    // (or, for a remote object, from the size a server claims).
    let mut buf = Vec::with_capacity(len.min(1 << 20));
    reader.take(len as u64).read_to_end(&mut buf)?;
    if buf.len() < len {
        return Err(Error::invalid_archive(format!(
            "{what} is cut short (truncated archive?)"
        )));
    }
    Ok(buf)
}

pub(super) fn read_directory<R: Read + Seek>(reader: &mut R) -> Result<Directory> {
    let file_len = reader.seek(SeekFrom::End(0))?;
    let tail_len = file_len.min((EOCD_LEN + 0xFFFF) as u64) as usize;
    let tail_start = file_len - tail_len as u64;
    let tail = read_exact_at(reader, tail_start, tail_len, "archive end")?;
    let eocd_in_tail = (0..=tail_len.saturating_sub(EOCD_LEN))
        .rev()
        .find(|&i| tail_len >= EOCD_LEN && tail[i..i + 4] == EOCD_SIG.to_le_bytes());
    let Some(eocd_in_tail) = eocd_in_tail else {
        let start = read_exact_at(reader, 0, NPY_MAGIC.len().min(file_len as usize), "start")?;
        return Err(match FileKind::sniff(&start) {
            Some(FileKind::Npz) => Error::invalid_archive(
                "no end of central directory record: the archive is truncated",
            ),
            // Someone handed a `.npy` (or a pickle) where an archive goes: say what reads it.
            Some(found) => Error::from(ErrorKind::WrongFileKind {
                expected: FileKind::Npz,
                found,
            }),
            None => Error::invalid_archive(format!(
                "not a zip archive (no end of central directory record in its {file_len} bytes)"
            )),
        });
    };
    let eocd_pos = tail_start + eocd_in_tail as u64;
    let mut eocd = Bytes::new(&tail[eocd_in_tail..eocd_in_tail + EOCD_LEN], "end record");
    eocd.u32()?;
    let disk = eocd.u16()?;
    let cd_disk = eocd.u16()?;
    eocd.u16()?;
    let mut count = u64::from(eocd.u16()?);
    let mut cd_size = u64::from(eocd.u32()?);
    let mut cd_offset = u64::from(eocd.u32()?);
    if disk != 0 || cd_disk != 0 {
        return Err(Error::invalid_archive(
            "multi-disk archives are not supported",
        ));
    }
    let mut cd_end = eocd_pos;
    let locator_pos = eocd_pos.checked_sub(ZIP64_LOCATOR_LEN as u64);
    if let Some(locator_pos) = locator_pos {
        let locator = read_exact_at(reader, locator_pos, ZIP64_LOCATOR_LEN, "zip64 locator")?;
        if locator[..4] == ZIP64_LOCATOR_SIG.to_le_bytes() {
            let mut fields = Bytes::new(&locator[4..], "zip64 locator");
            fields.u32()?; // The disk holding the record.
            let declared_pos = fields.u64()?;
            let record_pos = zip64_record_pos(reader, declared_pos, locator_pos)?;
            let record = read_exact_at(reader, record_pos, ZIP64_EOCD_LEN, "zip64 end record")?;
            let mut record = Bytes::new(&record, "zip64 end record");
            record.u32()?; // The signature, checked by zip64_record_pos.
                           // Record size, versions, disk numbers, entries on this disk; any extensible
                           // data after the fixed fields is not needed.
            record.take(20)?;
            record.u64()?;
            count = record.u64()?;
            cd_size = record.u64()?;
            cd_offset = record.u64()?;
            cd_end = record_pos;
        }
    }
    let cd_start = cd_end.checked_sub(cd_size).ok_or_else(|| {
        Error::invalid_archive(format!(
            "central directory of {cd_size} bytes does not fit before its end record at byte \
             {cd_end} (truncated or corrupt archive)"
        ))
    })?;
    let base = cd_start.checked_sub(cd_offset).ok_or_else(|| {
        Error::invalid_archive(format!(
            "central directory declared at byte {cd_offset}, found ending at {cd_end} \
             (truncated or corrupt archive)"
        ))
    })?;
    if count > cd_size / CENTRAL_HEADER_LEN as u64 {
        return Err(Error::invalid_archive(format!(
            "{count} members declared, but the central directory has only {cd_size} bytes"
        )));
    }
    let cd = read_exact_at(reader, cd_start, cd_size as usize, "central directory")?;
    let mut bytes = Bytes::new(&cd, "central directory");
    let mut entries = Vec::with_capacity(count as usize);
    for index in 0..count {
        let entry = parse_central_entry(&mut bytes).map_err(|e| {
            Error::invalid_archive(format!(
                "corrupt central directory at entry {index} (byte {}): {}",
                cd_start + bytes.pos() as u64,
                e.kind()
            ))
        })?;
        entries.push(entry);
    }
    if bytes.remaining() != 0 {
        return Err(Error::invalid_archive(format!(
            "central directory has {} bytes after its {count} declared entries",
            bytes.remaining()
        )));
    }
    let limits = member_limits(&entries, base, cd_start)?;
    Ok(Directory {
        entries,
        base,
        limits,
    })
}

/// Where the zip64 end record starts: at the offset the zip64 locator gives (the record
/// may carry extensible data, so it need not end right before the locator), or, when data
/// was prepended to the archive (its offsets then count from the archive's own start, as
/// Python's `zipfile` allows), right before the locator, where writers put a record without
/// extensible data.
fn zip64_record_pos<R: Read + Seek>(
    reader: &mut R,
    declared_pos: u64,
    locator_pos: u64,
) -> Result<u64> {
    let fits = declared_pos
        .checked_add(ZIP64_EOCD_LEN as u64)
        .is_some_and(|end| end <= locator_pos);
    if !fits {
        return Err(Error::invalid_archive(format!(
            "the zip64 locator puts the zip64 end record at byte {declared_pos}, where its \
             {ZIP64_EOCD_LEN} bytes do not fit before the locator at byte {locator_pos} \
             (corrupt archive)"
        )));
    }
    let right_before = locator_pos - ZIP64_EOCD_LEN as u64;
    for pos in [declared_pos, right_before] {
        let signature = read_exact_at(reader, pos, 4, "zip64 end record")?;
        if signature == ZIP64_EOCD_SIG.to_le_bytes() {
            return Ok(pos);
        }
    }
    Err(Error::invalid_archive(format!(
        "zip64 locator present but no zip64 end record at byte {declared_pos} or right \
         before the locator (corrupt archive)"
    )))
}

fn parse_central_entry(bytes: &mut Bytes<'_>) -> Result<Entry> {
    if bytes.u32()? != CENTRAL_SIG {
        return Err(Error::invalid_archive("no central directory signature"));
    }
    let made_by = bytes.u16()?;
    let version_needed = bytes.u16()?;
    let flags = bytes.u16()?;
    let method = bytes.u16()?;
    let time = bytes.u16()?;
    let date = bytes.u16()?;
    let crc = bytes.u32()?;
    let mut compressed_size = u64::from(bytes.u32()?);
    let mut uncompressed_size = u64::from(bytes.u32()?);
    let name_len = bytes.u16()? as usize;
    let extra_len = bytes.u16()? as usize;
    let comment_len = bytes.u16()? as usize;
    bytes.u16()?;
    let internal_attr = bytes.u16()?;
    let external_attr = bytes.u32()?;
    let mut local_offset = u64::from(bytes.u32()?);
    let name_raw = bytes.take(name_len)?.to_vec();
    let extra = bytes.take(extra_len)?;
    let comment = bytes.take(comment_len)?.to_vec();
    let mut other_extra = Vec::new();
    let mut fields = Bytes::new(extra, "extra field");
    while fields.remaining() >= 4 {
        let id = fields.u16()?;
        let len = fields.u16()? as usize;
        let data = fields.take(len)?;
        if id == 1 {
            let mut zip64 = Bytes::new(data, "zip64 extra field");
            if uncompressed_size == u64::from(u32::MAX) {
                uncompressed_size = zip64.u64()?;
            }
            if compressed_size == u64::from(u32::MAX) {
                compressed_size = zip64.u64()?;
            }
            if local_offset == u64::from(u32::MAX) {
                local_offset = zip64.u64()?;
            }
        } else {
            other_extra.extend_from_slice(&extra[fields.pos() - len - 4..fields.pos()]);
        }
    }
    let name = format::decode_name(&name_raw, flags)?;
    Ok(Entry {
        name_raw,
        name,
        made_by,
        version_needed,
        flags,
        method,
        time,
        date,
        crc,
        compressed_size,
        uncompressed_size,
        internal_attr,
        external_attr,
        local_offset,
        other_extra,
        comment,
        local_padding: 0,
        local_alignment: 0,
    })
}

/// Where each member must end (the next local header or the central directory), after
/// checking from the directory alone that no two members overlap.
fn member_limits(entries: &[Entry], base: u64, cd_start: u64) -> Result<Vec<u64>> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].local_offset);
    let mut limits = vec![cd_start; entries.len()];
    for (position, &index) in order.iter().enumerate() {
        let entry = &entries[index];
        let start = base.checked_add(entry.local_offset);
        let min_end = start
            .and_then(|s| s.checked_add(LOCAL_HEADER_LEN + entry.name_raw.len() as u64))
            .and_then(|s| s.checked_add(entry.compressed_size));
        let limit = match order.get(position + 1) {
            Some(&next) => base.saturating_add(entries[next].local_offset),
            None => cd_start,
        };
        let name = super::strip_npy(&entry.name);
        match min_end {
            Some(end) if end <= limit => limits[index] = limit,
            _ if limit == cd_start => {
                return Err(Error::invalid_archive(format!(
                    "{} bytes of data declared at byte {} run past the central directory at \
                     byte {cd_start} (truncated or corrupt archive)",
                    entry.compressed_size, entry.local_offset
                ))
                .in_member(name))
            }
            _ => {
                let other = super::strip_npy(&entries[order[position + 1]].name);
                return Err(Error::invalid_archive(format!(
                    "it overlaps member {other:?} (both claim the bytes at {limit}): a \
                     malformed or hostile archive"
                ))
                .in_member(name));
            }
        }
    }
    Ok(limits)
}
