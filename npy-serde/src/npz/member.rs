//! One member's bytes: [`MemberReader`] (never more than the directory declares, CRC
//! checked at the end, typed errors kept), and decoding a whole member into a value.

use std::fs::File;
use std::io::{self, BufReader, Read};

use super::format::{Entry, METHOD_DEFLATED, METHOD_STORED};
use crate::buffer::ReadAt;
use crate::dtype::DType;
use crate::elements::DataReader;
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{self, HeaderInfo};
use crate::options::ReadOptions;
use crate::read::{self as npy_read, NpyRead};

/// The uncompressed bytes of `raw`, a member's data compressed with `method` (stored or
/// deflate, checked by the caller).
pub(super) fn member_source<'a, R: Read + 'a>(method: u16, raw: R) -> Box<dyn Read + 'a> {
    if method == METHOD_STORED {
        Box::new(raw)
    } else {
        Box::new(flate2::bufread::DeflateDecoder::new(
            BufReader::with_capacity(256 * 1024, raw),
        ))
    }
}

/// Decodes a deflated member from its compressed bytes, read whole elsewhere (for
/// inflating on another thread).
pub(super) fn decode_compressed<T: NpyRead>(
    entry: &Entry,
    compressed: &[u8],
    options: &ReadOptions,
) -> Result<T> {
    let member = MemberReader::new(
        member_source(METHOD_DEFLATED, compressed),
        entry.uncompressed_size,
        Some(entry.crc),
    );
    decode_member(member, false, options)
}

/// Decodes stored member `entry`, whose data starts at `data_start` in `file`, as
/// `Reader::read` would (same checks, CRC included), reading at positions of its own so
/// that several threads may share the file.
pub(super) fn decode_stored_at<T: NpyRead>(
    file: &File,
    entry: &Entry,
    data_start: u64,
    options: &ReadOptions,
) -> Result<T> {
    let raw = ReadAt::new(file, data_start).take(entry.compressed_size);
    let member = MemberReader::new(
        member_source(METHOD_STORED, raw),
        entry.uncompressed_size,
        Some(entry.crc),
    );
    decode_member(member, true, options)
}

/// Reads a whole member as `T` from its uncompressed bytes.
pub(super) fn decode_member<T: NpyRead>(
    mut member: MemberReader<'_>,
    stored: bool,
    options: &ReadOptions,
) -> Result<T> {
    // A stored member's bytes are in the file (the directory checks bound them by the
    // next member), so its array can be allocated at once. A deflated member's declared
    // size is bounded only by 1032 times its compressed size: its array must grow as
    // bytes really arrive, or a small archive could ask for gigabytes.
    let result = (|| {
        let info = read_npy_header(&mut member, options.max_header_size)?;
        if info.header.dtype == DType::Object {
            if !options.allow_pickle {
                return Err(ErrorKind::ObjectArray.into());
            }
            // The pickle is what the member holds after the header (bounded by the
            // member's declared size, which inflation checks).
            let mut pickle = Vec::new();
            member.read_to_end(&mut pickle)?;
            let len = Some(pickle.len() as u64);
            let objects = npy_read::read_objects(&mut &pickle[..], len, options)?;
            return T::from_objects(objects);
        }
        if info.header.dtype.has_object() {
            return Err(ErrorKind::ObjectArray.into());
        }
        let data_len = info.header.data_len()?;
        let available = stored.then_some(data_len);
        let mut data = DataReader::new(&mut member, info.data_offset, available);
        let value = T::read_npy_data(&info.header, &mut data)?;
        // Bytes after the data (np.load ignores them) are read through to check the CRC.
        io::copy(&mut member, &mut io::sink())?;
        Ok(value)
    })();
    member.result(result)
}

/// Reads a member's `.npy` header and checks that the member holds its data. Bytes after
/// the data are allowed, as `np.load` allows them (NPY_FORMAT.md A.5); an object array's
/// data is a pickle of any length, so its size is not checked (reading it is refused).
pub(super) fn read_npy_header(member: &mut MemberReader<'_>, max: usize) -> Result<HeaderInfo> {
    let info = header::read_header(member, max)?;
    if info.header.dtype.has_object() {
        return Ok(info);
    }
    let data_len = info.header.data_len()?;
    let needed = info.data_offset.checked_add(data_len);
    if needed.is_none_or(|needed| needed > member.expected_len) {
        return Err(Error::invalid_archive(format!(
            "the .npy header declares {} bytes (header {} + data {data_len}), the archive \
             member holds only {}",
            needed.map_or("over 2^64".to_string(), |n| n.to_string()),
            info.data_offset,
            member.expected_len
        )));
    }
    Ok(info)
}

/// The uncompressed bytes of one member: never more than the directory declares, CRC
/// checked once the end is reached.
pub(crate) struct MemberReader<'a> {
    inner: Box<dyn Read + 'a>,
    pub(super) expected_len: u64,
    /// The CRC-32 to check, unless the inner reader checks it (parallel inflation).
    expected_crc: Option<u32>,
    read: u64,
    crc: crc32fast::Hasher,
    /// The typed error behind an `io::Error` this reader returned.
    failure: Option<Error>,
}

impl<'a> MemberReader<'a> {
    pub(super) fn new(
        inner: Box<dyn Read + 'a>,
        expected_len: u64,
        expected_crc: Option<u32>,
    ) -> Self {
        MemberReader {
            inner,
            expected_len,
            expected_crc,
            read: 0,
            crc: crc32fast::Hasher::new(),
            failure: None,
        }
    }

    fn fail(&mut self, error: Error) -> io::Error {
        let io_error = io::Error::new(io::ErrorKind::InvalidData, error.to_string());
        self.failure = Some(error);
        io_error
    }

    /// `result`, with an I/O error this reader raised replaced by its typed cause.
    pub(super) fn result<T>(mut self, result: Result<T>) -> Result<T> {
        match (result, self.failure.take()) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(failure)) => Err(failure),
            (Err(e), None) => match e.kind() {
                ErrorKind::Io(io) if io.kind() == io::ErrorKind::InvalidInput => Err(
                    Error::invalid_archive(format!("corrupt deflate data: {io}")),
                ),
                _ => Err(e),
            },
        }
    }
}

impl Read for MemberReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failure.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "member unreadable",
            ));
        }
        let left = self.expected_len - self.read;
        // Ask for one byte more than declared at the end, to catch a stream that goes on.
        let want = buf.len().min(
            usize::try_from(left)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        );
        if want == 0 {
            return Ok(0);
        }
        let got = match self.inner.read(&mut buf[..want]).map_err(Error::carried_by) {
            Ok(got) => got,
            Err(Ok(typed)) => return Err(self.fail(typed)),
            Err(Err(e))
                if e.kind() == io::ErrorKind::InvalidInput
                    || e.kind() == io::ErrorKind::InvalidData =>
            {
                return Err(self.fail(Error::invalid_archive(format!("corrupt deflate data: {e}"))))
            }
            Err(Err(e)) => return Err(e),
        };
        if got as u64 > left {
            return Err(self.fail(Error::invalid_archive(format!(
                "the member inflates past its declared size of {} bytes (zip bomb or corrupt \
                 archive); reading stopped there",
                self.expected_len
            ))));
        }
        if got == 0 {
            if left > 0 {
                return Err(self.fail(Error::invalid_archive(format!(
                    "the member ends after {} of its {} declared bytes (truncated or corrupt \
                     archive)",
                    self.read, self.expected_len
                ))));
            }
            return Ok(0);
        }
        self.read += got as u64;
        if let Some(expected_crc) = self.expected_crc {
            self.crc.update(&buf[..got]);
            if self.read == self.expected_len {
                let crc = self.crc.clone().finalize();
                if crc != expected_crc {
                    return Err(self.fail(Error::invalid_archive(format!(
                        "CRC-32 mismatch: the data has {crc:#010x}, the archive says \
                         {expected_crc:#010x} (corrupt archive)"
                    ))));
                }
            }
        }
        Ok(got)
    }
}
