//! Opening what the user names: `FILE` or `FILE:MEMBER`, a `.npy` or an `.npz` told apart by
//! magic (as `np.load` does), and access to one array's header and data bytes.
//!
//! Files are memory-mapped, so `show` and `stats` touch only the pages they read and the
//! archive's directory and member headers are read without the data (which makes `ls` on a
//! 100,000-member archive fast). Deflated members cannot be mapped: they are inflated as a
//! stream. As with every mapping, a file truncated by another process while mapped is
//! undefined behaviour; `verify` reads with plain reads instead, for downloads still being
//! written.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use npy_serde::error::ErrorKind;
use npy_serde::npy::{self, HeaderInfo};
use npy_serde::npz::{self, FileKind, MemberInfo};
use npy_serde::{Error as LibError, NpyArray};

use crate::error::{CliError, Result};

pub use crate::reading::{allow_pickle, lib, object_refusal, read_options, set_allow_pickle};

/// A file name with an optional member: `FILE` or `FILE:MEMBER`.
#[derive(Debug, Clone)]
pub struct Spec {
    pub path: PathBuf,
    pub member: Option<String>,
}

impl Spec {
    /// Splits `text` at the last `:` whose left part is an existing file; a path that exists
    /// whole (even with a `:` in it) is taken as it is.
    pub fn parse(text: &str) -> Spec {
        if crate::remote::is_url(text) {
            let (url, member) = crate::remote::split_member(text);
            return Spec {
                path: PathBuf::from(url),
                member,
            };
        }
        let whole = Path::new(text);
        if whole.exists() {
            return Spec {
                path: whole.to_path_buf(),
                member: None,
            };
        }
        let mut split_at = text.len();
        while let Some(colon) = text[..split_at].rfind(':') {
            let (path, member) = (&text[..colon], &text[colon + 1..]);
            if !path.is_empty() && Path::new(path).is_file() {
                return Spec {
                    path: PathBuf::from(path),
                    member: Some(member.to_string()),
                };
            }
            split_at = colon;
        }
        Spec {
            path: whole.to_path_buf(),
            member: None,
        }
    }

    /// True when the file is a URL (read through the library's `remote` module).
    pub fn is_url(&self) -> bool {
        self.path.to_str().is_some_and(crate::remote::is_url)
    }

    /// `FILE` or `FILE:MEMBER`, for messages and output.
    pub fn label(&self) -> String {
        match &self.member {
            Some(member) => format!("{}:{member}", self.path.display()),
            None => self.path.display().to_string(),
        }
    }
}

/// The file's bytes: a read-only map, or (for what cannot be mapped, such as an empty file
/// or a pipe) a copy.
enum FileBytes {
    Map(memmap2::Mmap),
    Copy(Vec<u8>),
}

/// Shared file bytes that `Cursor` can read (an archive reader per thread).
#[derive(Clone)]
pub struct SharedBytes(Arc<FileBytes>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        match &*self.0 {
            FileBytes::Map(map) => map,
            FileBytes::Copy(bytes) => bytes,
        }
    }
}

fn map_file(path: &Path) -> Result<SharedBytes> {
    let mut file = File::open(path).map_err(|e| CliError::io(path, e))?;
    let len = file.metadata().map_err(|e| CliError::io(path, e))?.len();
    if len > 0 {
        // SAFETY: the file is only read; the module docs say what a concurrent truncation
        // does. A failed map (special files) falls back to reading.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            return Ok(SharedBytes(Arc::new(FileBytes::Map(map))));
        }
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| CliError::io(path, e))?;
    Ok(SharedBytes(Arc::new(FileBytes::Copy(bytes))))
}

/// What a file is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Npy,
    Npz,
}

/// Tells `.npy` from `.npz` by magic (the library's [`FileKind::sniff`], as `np.load`
/// does); anything else is an error.
pub fn sniff(path: &Path, first: &[u8]) -> Result<Kind> {
    let what = match FileKind::sniff(first) {
        Some(FileKind::Npy) => return Ok(Kind::Npy),
        Some(FileKind::Npz) => return Ok(Kind::Npz),
        Some(FileKind::Pickle) => "it is a Python pickle, which is never loaded (it can run code)",
        _ if first.is_empty() => "the file is empty",
        _ => "it starts with neither \\x93NUMPY (.npy) nor PK (.npz)",
    };
    Err(CliError::new(format!(
        "{}: not a .npy or .npz file: {what}",
        path.display()
    )))
}

/// An opened `.npy` or `.npz`.
pub struct Opened {
    pub path: PathBuf,
    bytes: SharedBytes,
    pub kind: Kind,
    /// The archive's directory (`.npz` only).
    archive: Option<npz::Reader<Cursor<SharedBytes>>>,
    /// The directory records, and their index by name (with `.npy` and without).
    member_list: Vec<MemberInfo>,
    /// Built on first use (`ls` never needs it).
    infos: OnceLock<HashMap<String, usize>>,
    stored_names: Vec<String>,
}

/// One array: its header and where its data is.
pub struct ArrayAccess<'a> {
    /// The member name, or the file name for a `.npy`.
    pub name: String,
    pub info: HeaderInfo,
    pub data: Data<'a>,
}

/// An array's data bytes: in memory (mapped) or a stream (a deflated member).
pub enum Data<'a> {
    Slice(&'a [u8]),
    /// The data of a deflated member, inflated as it is read: `len` bytes (the header's
    /// data length; the library's member reader reports a member that ends before).
    Stream {
        reader: Box<dyn Read + 'a>,
        len: u64,
    },
}

impl<'a> Data<'a> {
    /// The first `len` bytes of the data in memory: the mapped slice, or the stream read
    /// that far (growing as bytes arrive, never sized by the header alone).
    pub fn into_bytes(self, len: u64, label: &str) -> Result<std::borrow::Cow<'a, [u8]>> {
        match self {
            Data::Slice(slice) => Ok(std::borrow::Cow::Borrowed(slice)),
            Data::Stream { reader, .. } => {
                let mut bytes = Vec::new();
                reader
                    .take(len)
                    .read_to_end(&mut bytes)
                    .map_err(|e| CliError::new(format!("{label}: {e}")))?;
                if (bytes.len() as u64) < len {
                    return Err(CliError::new(format!(
                        "{label}: the data ends after {} of {len} bytes",
                        bytes.len()
                    )));
                }
                Ok(std::borrow::Cow::Owned(bytes))
            }
        }
    }
}

impl Opened {
    /// Opens a file (mapped) or a URL (fetched whole: see [`crate::remote`]).
    pub fn open(path: &Path) -> Result<Opened> {
        let bytes = match path.to_str() {
            Some(url) if crate::remote::is_url(url) => {
                SharedBytes(Arc::new(FileBytes::Copy(crate::remote::fetch(url)?)))
            }
            _ => map_file(path)?,
        };
        Opened::from_shared(path, bytes)
    }

    /// A `.npy` or `.npz` already in memory, named `path` in messages.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Opened> {
        Opened::from_shared(path, SharedBytes(Arc::new(FileBytes::Copy(bytes))))
    }

    fn from_shared(path: &Path, bytes: SharedBytes) -> Result<Opened> {
        let first = &bytes.as_ref()[..bytes.as_ref().len().min(8)];
        let kind = sniff(path, first)?;
        let archive = match kind {
            Kind::Npz => Some(
                npz::Reader::new(Cursor::new(bytes.clone())).map_err(|e| lib_in(e, path, None))?,
            ),
            Kind::Npy => None,
        };
        let member_list = archive.as_ref().map(|a| a.members()).unwrap_or_default();
        let stored_names = archive
            .as_ref()
            .map(|a| a.member_names())
            .unwrap_or_default();
        Ok(Opened {
            path: path.to_path_buf(),
            bytes,
            kind,
            archive,
            member_list,
            infos: OnceLock::new(),
            stored_names,
        })
    }

    /// Member names in archive order (`.npz`), empty for `.npy`.
    pub fn names(&self) -> Vec<String> {
        self.archive.as_ref().map(|a| a.names()).unwrap_or_default()
    }

    /// The archive's directory records (`.npz`), empty for `.npy`.
    pub fn members(&self) -> &[MemberInfo] {
        &self.member_list
    }

    /// Member `index`'s name as stored in the archive (`x.npy`).
    pub fn stored_name(&self, index: usize) -> &str {
        &self.stored_names[index]
    }

    /// A second reader of the same archive, for another thread.
    pub fn reader(&self) -> Result<Option<npz::Reader<Cursor<SharedBytes>>>> {
        match self.kind {
            Kind::Npz => npz::Reader::new(Cursor::new(self.bytes.clone()))
                .map(Some)
                .map_err(|e| lib_in(e, &self.path, None)),
            Kind::Npy => Ok(None),
        }
    }

    /// The display name of the `.npy` itself (its file name).
    pub fn npy_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    /// The header of a `.npy`, or of member `name` of an archive, without the data.
    pub fn header(&mut self, member: Option<&str>) -> Result<HeaderInfo> {
        match (self.kind, member) {
            (Kind::Npy, None) => {
                npy::read_header(&mut self.bytes.as_ref()).map_err(|e| lib_in(e, &self.path, None))
            }
            (Kind::Npy, Some(m)) => Err(self.not_an_archive(m)),
            (Kind::Npz, None) => Err(CliError::new(format!(
                "{}: an .npz archive: name a member as FILE:MEMBER",
                self.path.display()
            ))),
            (Kind::Npz, Some(m)) => self
                .archive
                .as_mut()
                .expect("npz")
                .header(m)
                .map_err(|e| lib_in(e, &self.path, None)),
        }
    }

    fn not_an_archive(&self, member: &str) -> CliError {
        CliError::new(format!(
            "{}: a .npy file has no members (asked for {member:?})",
            self.path.display()
        ))
    }

    /// Header and data of the `.npy` (`member` None), or of member `member` of the archive
    /// read through `reader` (from [`reader`](Self::reader): one per thread).
    pub fn array<'r>(
        &'r self,
        reader: Option<&'r mut npz::Reader<Cursor<SharedBytes>>>,
        member: Option<&str>,
    ) -> Result<ArrayAccess<'r>> {
        match (reader, member) {
            (None, None) if self.kind == Kind::Npy => {
                let (info, data) = header_and_data(self.bytes.as_ref())
                    .map_err(|e| lib_in(e, &self.path, None))?;
                Ok(ArrayAccess {
                    name: self.npy_name(),
                    info,
                    data: Data::Slice(data),
                })
            }
            (_, Some(m)) if self.kind == Kind::Npy => Err(self.not_an_archive(m)),
            (Some(reader), Some(member)) => self.member_array(reader, member),
            _ => Err(CliError::new(format!(
                "{}: an .npz archive: name a member as FILE:MEMBER",
                self.path.display()
            ))),
        }
    }

    /// The whole array (`.npy`, or member `member`) decoded by the library with
    /// [`read_options`]: how object arrays are read (the safe pickle reader, with
    /// `--allow-pickle`; refused naming the flag without it).
    pub fn load_array(&self, member: Option<&str>) -> Result<NpyArray> {
        let options = read_options();
        match (self.kind, member) {
            (Kind::Npy, None) => npy::from_slice_with(self.bytes.as_ref(), &options)
                .map_err(|e| lib_in(e, &self.path, None)),
            (Kind::Npy, Some(m)) => Err(self.not_an_archive(m)),
            (Kind::Npz, None) => Err(CliError::new(format!(
                "{}: an .npz archive: name a member as FILE:MEMBER",
                self.path.display()
            ))),
            (Kind::Npz, Some(m)) => {
                let name = self.member_info(m).map_or(m, |info| info.name.as_str());
                npz::Reader::with_options(Cursor::new(self.bytes.clone()), &options)
                    .and_then(|mut archive| archive.read(m))
                    .map_err(|e| lib_in(e, &self.path, Some(name)))
            }
        }
    }

    /// The directory record of member `member` (with or without `.npy`; the last of
    /// duplicates, as lookups by name find).
    pub fn member_info(&self, member: &str) -> Option<&MemberInfo> {
        let stripped = member.strip_suffix(".npy").unwrap_or(member);
        let infos = self.infos.get_or_init(|| {
            let mut infos = HashMap::with_capacity(self.member_list.len() * 2);
            for (index, (info, stored)) in
                self.member_list.iter().zip(&self.stored_names).enumerate()
            {
                infos.insert(info.name.clone(), index);
                infos.insert(stored.clone(), index);
            }
            infos
        });
        infos
            .get(member)
            .or_else(|| infos.get(stripped))
            .map(|&index| &self.member_list[index])
    }

    fn member_array<'r>(
        &'r self,
        reader: &'r mut npz::Reader<Cursor<SharedBytes>>,
        member: &str,
    ) -> Result<ArrayAccess<'r>> {
        let path = &self.path;
        let Some(info) = self.member_info(member) else {
            // The library's error lists the members there are.
            return Err(match reader.header(member) {
                Err(e) => lib_in(e, path, None),
                Ok(_) => CliError::new(format!("{}: no member {member:?}", path.display())),
            });
        };
        let name = info.name.as_str();
        let wrap = |e: LibError| lib_in(e, path, Some(name));
        if !info.compressed {
            let range = reader
                .stored_member_range(member)
                .map_err(|e| lib_in(e, path, None))?;
            let all = self.bytes.as_ref();
            let npy_bytes = usize::try_from(range.start)
                .ok()
                .zip(usize::try_from(range.end).ok())
                .and_then(|(s, e)| all.get(s..e))
                .ok_or_else(|| {
                    CliError::new(format!(
                        "{}: member {name:?}: the member's bytes run past the end of the file",
                        path.display()
                    ))
                })?;
            let (header, data) = header_and_data(npy_bytes).map_err(wrap)?;
            return Ok(ArrayAccess {
                name: info.name.clone(),
                info: header,
                data: Data::Slice(data),
            });
        }
        let mut stream = reader
            .member_reader(member)
            .map_err(|e| lib_in(e, path, None))?;
        let header = npy::read_header(&mut stream).map_err(wrap)?;
        header
            .check_data_present(info.uncompressed_size)
            .map_err(wrap)?;
        let data_len = header.header.data_len().map_err(wrap)?;
        Ok(ArrayAccess {
            name: info.name.clone(),
            info: header,
            data: Data::Stream {
                reader: Box::new(stream.take(data_len)),
                len: data_len,
            },
        })
    }
}

/// Header and data bytes of a whole `.npy` in memory: the library's header reader, and
/// the data at its `data_offset`, checked to be all there.
fn header_and_data(bytes: &[u8]) -> npy_serde::Result<(HeaderInfo, &[u8])> {
    let info = npy::read_header(&mut &bytes[..])?;
    info.check_data_present(bytes.len() as u64)?;
    let start = info.data_offset as usize;
    let len = info.header.data_len()? as usize;
    Ok((info, &bytes[start..start + len]))
}

/// A library error as a CLI error naming `path`, and `member` when given, unless the
/// error names them already: `FILE: member "M": …`, as the error's own text puts them.
pub fn lib_in(e: LibError, path: &Path, member: Option<&str>) -> CliError {
    if e.path().is_some() {
        return lib(e);
    }
    if matches!(e.kind(), ErrorKind::ObjectArray) {
        let place = match member.or(e.member()) {
            Some(member) => format!("{}: member {member:?}: ", path.display()),
            None => format!("{}: ", path.display()),
        };
        return object_refusal(&place);
    }
    match member {
        Some(member) if e.member().is_none() => {
            CliError::new(format!("{}: member {member:?}: {e}", path.display()))
        }
        _ => CliError::new(format!("{}: {e}", path.display())),
    }
}
