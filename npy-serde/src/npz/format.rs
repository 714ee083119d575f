//! The zip records an `.npz` is made of, encoded the way Python's `zipfile` writes them
//! for `np.savez` (local headers with a zip64 extra on every member, central directory
//! entries with real sizes when they fit, zip64 end records only when needed) and decoded
//! with every length and offset checked against the bytes present.

use crate::errors::{Error, Result};

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

pub(crate) const LOCAL_HEADER_LEN: u64 = 30;
pub(crate) const CENTRAL_HEADER_LEN: usize = 46;
pub(crate) const EOCD_LEN: usize = 22;
pub(crate) const ZIP64_EOCD_LEN: usize = 56;
pub(crate) const ZIP64_LOCATOR_LEN: usize = 20;

/// Python's `zipfile.ZIP64_LIMIT`: past it, central sizes and offsets go to a zip64 extra.
pub(crate) const ZIP64_LIMIT: u64 = (1 << 31) - 1;
/// Python's `zipfile.ZIP_FILECOUNT_LIMIT`.
pub(crate) const FILE_COUNT_LIMIT: u64 = 0xFFFF;
/// "Version needed" / "made by" version number once zip64 is involved (4.5).
pub(crate) const ZIP64_VERSION: u16 = 45;
/// Made by: Unix (3), version 4.5, as Python writes it on any OS.
pub(crate) const MADE_BY: u16 = (3 << 8) | ZIP64_VERSION;
/// `0o600 << 16`: the permissions Python gives a `ZipInfo` made in memory.
pub(crate) const EXTERNAL_ATTR: u32 = 0o600 << 16;
/// 1980-01-01 in MS-DOS date format; the time is 00:00:00 (0).
pub(crate) const DOS_DATE_1980: u16 = (1 << 5) | 1;
/// General purpose flag: the name is UTF-8.
pub(crate) const FLAG_UTF8: u16 = 0x0800;
/// General purpose flag: sizes and CRC follow the data in a data descriptor.
pub(crate) const FLAG_DESCRIPTOR: u16 = 0x0008;
/// General purpose flag: encrypted.
pub(crate) const FLAG_ENCRYPTED: u16 = 0x0001;

pub(crate) const METHOD_STORED: u16 = 0;
pub(crate) const METHOD_DEFLATED: u16 = 8;

/// Length of the zip64 extra field in a local header: id, size, two u64 sizes.
pub(crate) const LOCAL_ZIP64_EXTRA_LEN: u64 = 20;

/// The name of a compression method, for error messages.
pub(crate) fn method_name(method: u16) -> String {
    match method {
        0 => "stored".into(),
        8 => "deflate".into(),
        9 => "deflate64".into(),
        12 => "bzip2".into(),
        14 => "lzma".into(),
        93 => "zstd".into(),
        95 => "xz".into(),
        other => format!("method {other}"),
    }
}

/// What the central directory says about one member, plus the bytes it keeps that this
/// crate does not interpret (other extra fields, comment), so an update can write it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The name as stored (bytes).
    pub name_raw: Vec<u8>,
    /// The name decoded as Python decodes it (UTF-8 when flagged, else cp437).
    pub name: String,
    pub made_by: u16,
    pub version_needed: u16,
    pub flags: u16,
    pub method: u16,
    pub time: u16,
    pub date: u16,
    pub crc: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub internal_attr: u16,
    pub external_attr: u32,
    /// Offset of the local header, relative to the archive start.
    pub local_offset: u64,
    /// Extra fields other than zip64 (kept as they were).
    pub other_extra: Vec<u8>,
    pub comment: Vec<u8>,
    /// Bytes of alignment padding in the local header only (see [`ALIGNMENT_ID`]); 0 for
    /// NumPy's layout.
    pub local_padding: u16,
    /// The alignment that padding is for (written in it, as `zipalign` does).
    pub local_alignment: u16,
}

/// The extra field ID of alignment padding in a local header: Android's `zipalign`
/// (u16 alignment, then zeros). Zip readers skip it.
pub(crate) const ALIGNMENT_ID: u16 = 0xD935;

/// The smallest alignment padding field: its ID, length and the u16 alignment.
const MIN_PADDING: usize = 6;

/// Bytes of padding that make data which would start at `offset` start at a multiple of
/// `alignment` (a power of two): 0 when it already does, else at least [`MIN_PADDING`].
pub(crate) fn padding_for(offset: u64, alignment: usize) -> u16 {
    let alignment = alignment as u64;
    let mut padding = (alignment - offset % alignment) % alignment;
    while padding != 0 && padding < MIN_PADDING as u64 {
        padding += alignment;
    }
    padding as u16
}

impl Entry {
    /// A member as `np.savez` writes it, before its sizes and CRC are known.
    pub(crate) fn new_numpy(name: &str, method: u16, local_offset: u64) -> Entry {
        Entry {
            name_raw: name.as_bytes().to_vec(),
            name: name.to_string(),
            made_by: MADE_BY,
            version_needed: ZIP64_VERSION,
            flags: if name.is_ascii() { 0 } else { FLAG_UTF8 },
            method,
            time: 0,
            date: DOS_DATE_1980,
            crc: 0,
            compressed_size: 0,
            uncompressed_size: 0,
            internal_attr: 0,
            external_attr: EXTERNAL_ATTR,
            local_offset,
            other_extra: Vec::new(),
            comment: Vec::new(),
            local_padding: 0,
            local_alignment: 0,
        }
    }

    /// Bytes of the local header [`local_header`](Self::local_header) writes.
    pub(crate) fn local_header_len(&self) -> u64 {
        LOCAL_HEADER_LEN
            + self.name_raw.len() as u64
            + LOCAL_ZIP64_EXTRA_LEN
            + u64::from(self.local_padding)
    }

    /// The local header Python writes with `force_zip64=True`: 0xFFFFFFFF sizes and a
    /// zip64 extra holding the real ones.
    pub(crate) fn local_header(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(50 + self.name_raw.len());
        put_u32(&mut out, LOCAL_SIG);
        put_u16(&mut out, self.version_needed.max(ZIP64_VERSION));
        put_u16(&mut out, self.flags);
        put_u16(&mut out, self.method);
        put_u16(&mut out, self.time);
        put_u16(&mut out, self.date);
        put_u32(&mut out, self.crc);
        put_u32(&mut out, u32::MAX);
        put_u32(&mut out, u32::MAX);
        put_u16(&mut out, self.name_raw.len() as u16);
        put_u16(&mut out, LOCAL_ZIP64_EXTRA_LEN as u16 + self.local_padding);
        out.extend_from_slice(&self.name_raw);
        put_u16(&mut out, 1);
        put_u16(&mut out, 16);
        put_u64(&mut out, self.uncompressed_size);
        put_u64(&mut out, self.compressed_size);
        if self.local_padding > 0 {
            let data_len = self.local_padding - 4;
            put_u16(&mut out, ALIGNMENT_ID);
            put_u16(&mut out, data_len);
            put_u16(&mut out, self.local_alignment);
            out.resize(out.len() + usize::from(data_len) - 2, 0);
        }
        out
    }

    /// The data descriptor after a streamed member's data (flag bit 3), as Python's
    /// `zipfile` writes it to an unseekable file: signature, CRC, then compressed and
    /// uncompressed sizes as u64 (the local header always has a zip64 extra, which
    /// makes the sizes 8 bytes).
    pub(crate) fn data_descriptor(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        put_u32(&mut out, DESCRIPTOR_SIG);
        put_u32(&mut out, self.crc);
        put_u64(&mut out, self.compressed_size);
        put_u64(&mut out, self.uncompressed_size);
        out
    }

    /// The central directory record, as Python's `_write_end_record` makes it: real
    /// sizes and offset when they are at most [`ZIP64_LIMIT`], else 0xFFFFFFFF and a zip64
    /// extra (sizes, then offset).
    pub(crate) fn central_record(&self) -> Vec<u8> {
        let mut zip64 = Vec::new();
        let (mut compressed, mut uncompressed, mut offset) = (
            self.compressed_size as u32,
            self.uncompressed_size as u32,
            self.local_offset as u32,
        );
        if self.uncompressed_size > ZIP64_LIMIT || self.compressed_size > ZIP64_LIMIT {
            zip64.push(self.uncompressed_size);
            zip64.push(self.compressed_size);
            compressed = u32::MAX;
            uncompressed = u32::MAX;
        }
        if self.local_offset > ZIP64_LIMIT {
            zip64.push(self.local_offset);
            offset = u32::MAX;
        }
        let mut extra = Vec::new();
        if !zip64.is_empty() {
            put_u16(&mut extra, 1);
            put_u16(&mut extra, 8 * zip64.len() as u16);
            for value in &zip64 {
                put_u64(&mut extra, *value);
            }
        }
        extra.extend_from_slice(&self.other_extra);
        let (made_by, needed) = if zip64.is_empty() {
            (self.made_by, self.version_needed)
        } else {
            (
                (self.made_by & 0xFF00) | (self.made_by & 0xFF).max(ZIP64_VERSION),
                self.version_needed.max(ZIP64_VERSION),
            )
        };
        let mut out = Vec::with_capacity(CENTRAL_HEADER_LEN + self.name_raw.len() + extra.len());
        put_u32(&mut out, CENTRAL_SIG);
        put_u16(&mut out, made_by);
        put_u16(&mut out, needed);
        put_u16(&mut out, self.flags);
        put_u16(&mut out, self.method);
        put_u16(&mut out, self.time);
        put_u16(&mut out, self.date);
        put_u32(&mut out, self.crc);
        put_u32(&mut out, compressed);
        put_u32(&mut out, uncompressed);
        put_u16(&mut out, self.name_raw.len() as u16);
        put_u16(&mut out, extra.len() as u16);
        put_u16(&mut out, self.comment.len() as u16);
        put_u16(&mut out, 0);
        put_u16(&mut out, self.internal_attr);
        put_u32(&mut out, self.external_attr);
        put_u32(&mut out, offset);
        out.extend_from_slice(&self.name_raw);
        out.extend_from_slice(&extra);
        out.extend_from_slice(&self.comment);
        out
    }
}

/// The records after the central directory: zip64 end record and locator when Python
/// writes them (more than 65535 members, or directory offset or size past
/// [`ZIP64_LIMIT`]), then the classic end record. `cd_offset` is relative to the archive
/// start, `cd_end` is where the directory ends (also relative).
pub(crate) fn end_records(count: u64, cd_offset: u64, cd_size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(ZIP64_EOCD_LEN + ZIP64_LOCATOR_LEN + EOCD_LEN);
    let needs_zip64 = count > FILE_COUNT_LIMIT || cd_offset > ZIP64_LIMIT || cd_size > ZIP64_LIMIT;
    if needs_zip64 {
        let zip64_end_offset = cd_offset + cd_size;
        put_u32(&mut out, ZIP64_EOCD_SIG);
        put_u64(&mut out, 44);
        put_u16(&mut out, ZIP64_VERSION);
        put_u16(&mut out, ZIP64_VERSION);
        put_u32(&mut out, 0);
        put_u32(&mut out, 0);
        put_u64(&mut out, count);
        put_u64(&mut out, count);
        put_u64(&mut out, cd_size);
        put_u64(&mut out, cd_offset);
        put_u32(&mut out, ZIP64_LOCATOR_SIG);
        put_u32(&mut out, 0);
        put_u64(&mut out, zip64_end_offset);
        put_u32(&mut out, 1);
    }
    put_u32(&mut out, EOCD_SIG);
    put_u16(&mut out, 0);
    put_u16(&mut out, 0);
    put_u16(&mut out, count.min(FILE_COUNT_LIMIT) as u16);
    put_u16(&mut out, count.min(FILE_COUNT_LIMIT) as u16);
    put_u32(&mut out, cd_size.min(u32::MAX as u64) as u32);
    put_u32(&mut out, cd_offset.min(u32::MAX as u64) as u32);
    put_u16(&mut out, 0);
    out
}

pub(crate) fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub(crate) fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// A bounds-checked little-endian cursor over untrusted bytes: every read past the end is
/// an error naming `what` is being parsed, never a panic.
pub(crate) struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'a str,
}

impl<'a> Bytes<'a> {
    pub(crate) fn new(data: &'a [u8], what: &'a str) -> Self {
        Bytes { data, pos: 0, what }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        if len > self.remaining() {
            return Err(Error::invalid_archive(format!(
                "{} is cut short: {len} bytes needed at byte {}, {} left",
                self.what,
                self.pos,
                self.remaining()
            )));
        }
        let slice = &self.data[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(b);
        Ok(u64::from_le_bytes(array))
    }
}

/// The characters of code page 437 from 0x80 up, which Python's `zipfile` uses for names
/// without the UTF-8 flag.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐\
└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// A member name decoded as Python's `zipfile` decodes it.
pub(crate) fn decode_name(raw: &[u8], flags: u16) -> Result<String> {
    if flags & FLAG_UTF8 != 0 {
        return String::from_utf8(raw.to_vec()).map_err(|e| {
            Error::invalid_archive(format!(
                "member name \"{}\" is flagged UTF-8 but is not (invalid byte at {})",
                crate::errors::escape_bytes(raw),
                e.utf8_error().valid_up_to()
            ))
        });
    }
    if raw.is_ascii() {
        // Checked just above: ASCII is valid UTF-8.
        return Ok(raw.iter().map(|&b| b as char).collect());
    }
    let high: Vec<char> = CP437_HIGH.chars().collect();
    Ok(raw
        .iter()
        .map(|&b| {
            if b < 0x80 {
                b as char
            } else {
                high[(b - 0x80) as usize]
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp437_table_is_complete() {
        assert_eq!(CP437_HIGH.chars().count(), 128);
        assert_eq!(decode_name(b"caf\x82", 0).unwrap(), "café");
        assert_eq!(decode_name("é".as_bytes(), FLAG_UTF8).unwrap(), "é");
        assert!(decode_name(b"\xff", FLAG_UTF8).is_err());
    }

    #[test]
    fn central_record_uses_zip64_extra_only_past_the_limit() {
        let mut entry = Entry::new_numpy("big.npy", METHOD_STORED, 0);
        entry.compressed_size = 5 << 30;
        entry.uncompressed_size = 5 << 30;
        entry.local_offset = 3 << 30;
        let record = entry.central_record();
        let mut bytes = Bytes::new(&record, "test");
        assert_eq!(bytes.u32().unwrap(), CENTRAL_SIG);
        assert_eq!(bytes.u16().unwrap(), MADE_BY);
        assert_eq!(bytes.u16().unwrap(), 45);
        bytes.take(12).unwrap();
        assert_eq!(bytes.u32().unwrap(), u32::MAX);
        assert_eq!(bytes.u32().unwrap(), u32::MAX);
        assert_eq!(bytes.u16().unwrap(), 7);
        assert_eq!(bytes.u16().unwrap(), 28, "zip64 extra: 4 + 3 * 8 bytes");
        bytes.take(6).unwrap();
        assert_eq!(bytes.u32().unwrap(), EXTERNAL_ATTR);
        assert_eq!(bytes.u32().unwrap(), u32::MAX);
        bytes.take(7).unwrap();
        assert_eq!(bytes.u16().unwrap(), 1);
        assert_eq!(bytes.u16().unwrap(), 24);
        assert_eq!(bytes.u64().unwrap(), 5 << 30);
        assert_eq!(bytes.u64().unwrap(), 5 << 30);
        assert_eq!(bytes.u64().unwrap(), 3 << 30);
        assert_eq!(bytes.remaining(), 0);

        // Only the offset is large: the extra holds just the offset.
        entry.compressed_size = 100;
        entry.uncompressed_size = 100;
        let record = entry.central_record();
        assert_eq!(record.len(), CENTRAL_HEADER_LEN + 7 + 12);
        assert_eq!(&record[20..28], &[100, 0, 0, 0, 100, 0, 0, 0]);

        // Small: no extra at all, as Python writes it.
        entry.local_offset = ZIP64_LIMIT;
        assert_eq!(entry.central_record().len(), CENTRAL_HEADER_LEN + 7);
    }

    #[test]
    fn end_records_switch_to_zip64_for_many_members_or_large_offsets() {
        assert_eq!(end_records(65535, 100, 100).len(), EOCD_LEN);
        let records = end_records(70000, 1000, 500);
        assert_eq!(records.len(), ZIP64_EOCD_LEN + ZIP64_LOCATOR_LEN + EOCD_LEN);
        let mut bytes = Bytes::new(&records, "test");
        assert_eq!(bytes.u32().unwrap(), ZIP64_EOCD_SIG);
        assert_eq!(bytes.u64().unwrap(), 44);
        bytes.take(12).unwrap();
        assert_eq!(bytes.u64().unwrap(), 70000);
        assert_eq!(bytes.u64().unwrap(), 70000);
        assert_eq!(bytes.u64().unwrap(), 500);
        assert_eq!(bytes.u64().unwrap(), 1000);
        assert_eq!(bytes.u32().unwrap(), ZIP64_LOCATOR_SIG);
        assert_eq!(bytes.u32().unwrap(), 0);
        assert_eq!(bytes.u64().unwrap(), 1500);
        assert_eq!(bytes.u32().unwrap(), 1);
        assert_eq!(bytes.u32().unwrap(), EOCD_SIG);
        bytes.take(4).unwrap();
        assert_eq!(bytes.u16().unwrap(), 0xFFFF);
        let large_offset = end_records(3, 5 << 30, 200);
        assert_eq!(
            &large_offset[large_offset.len() - 6..large_offset.len() - 2],
            &[0xFF; 4]
        );
    }
}
