//! The crate's one error type: every failure, from a bad magic string to a serde field
//! mismatch, is a variant of [`Error`] that says what is wrong and where (file, member,
//! field, byte offset).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading or writing `.npy` / `.npz` data: a boxed
/// [`ErrorKind`], so that a `Result<()>` is one pointer wide (as serde_json's error is)
/// and results pass in registers on hot paths.
///
/// Errors about a particular file or archive member are wrapped in [`ErrorKind::InFile`]
/// or [`ErrorKind::InMember`], so the message reads like
/// `data.npz: member "weights": truncated data: …`. Match on [`Error::root`] (the cause,
/// context removed) or [`Error::kind`].
///
/// ```
/// use npy_serde::{Error, ErrorKind};
///
/// let err = npy_serde::from_bytes::<Vec<f32>>(b"not an array").unwrap_err();
/// assert!(matches!(err.root(), ErrorKind::BadMagic { .. }));
/// assert_eq!(std::mem::size_of::<npy_serde::Result<()>>(), std::mem::size_of::<usize>());
/// ```
pub struct Error(Box<ErrorKind>);

impl Error {
    /// What went wrong, with its context (file, member) as the outer kinds.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// The kind, owned.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {}

/// The kinds of [`Error`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An I/O error from the underlying reader, writer or file system.
    #[error("I/O error: {0}")]
    Io(io::Error),

    /// The first bytes are not `\x93NUMPY`.
    #[error(
        "not a .npy file: the magic string is \"{found}\", expected \"\\x93NUMPY\"{}",
        magic_hint(found)
    )]
    BadMagic {
        /// The bytes found where the magic string should be (escaped).
        found: String,
    },

    /// A format version other than 1.0, 2.0 or 3.0.
    #[error("unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)")]
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },

    /// The header is larger than the configured limit (NumPy's `max_header_size`).
    #[error(
        "header of {len} bytes is larger than the limit of {limit}; \
         if the file is trusted, raise the limit (ReadOptions::max_header_size)"
    )]
    HeaderTooLarge {
        /// Header length declared by the file.
        len: u64,
        /// The limit in force.
        limit: u64,
    },

    /// The input ends before the declared header or data.
    #[error(
        "truncated {what}: {expected} bytes expected at byte offset {offset}, \
         only {found} present (file seems not fully written?)"
    )]
    Truncated {
        /// What was being read: "header", "data", …
        what: &'static str,
        /// Byte offset (from the start of the .npy data) where that part starts.
        offset: u64,
        /// Bytes the header declares.
        expected: u64,
        /// Bytes actually present.
        found: u64,
    },

    /// A stream holds no further array: end of input reached before a magic string.
    #[error("no data left in file: end of input reached where the next array would start")]
    NoDataLeft,

    /// The header text is not a valid header: syntax error, wrong keys, bad shape, ….
    #[error("invalid header: {message}")]
    InvalidHeader {
        /// What is wrong, with the byte offset in the header text where it applies.
        message: String,
    },

    /// A dtype description (`descr`) that is malformed or names no known dtype.
    #[error("invalid dtype description: {message}")]
    InvalidDescr {
        /// What is wrong.
        message: String,
    },

    /// Object arrays (`|O`) hold Python pickles; they are refused unless
    /// [`ReadOptions::allow_pickle`](crate::ReadOptions::allow_pickle) turns on the safe
    /// pickle reader ([`pickle`](crate::pickle)), and always where data is accessed in place
    /// (maps, row reads, appends) or is a record field.
    #[error(
        "object arrays ('|O') are not loaded by default: their data is a Python pickle (NumPy \
         refuses them too unless allow_pickle=True); to read them with the safe pickle reader, \
         which runs no code, pass ReadOptions::default().with_allow_pickle(true)"
    )]
    ObjectArray,

    /// A pickle (an object array's data) that the safe reader refuses: a global outside the
    /// allow-list, an opcode it does not run, or malformed or truncated bytes.
    #[error("pickle at byte {offset} of the data: {message}")]
    Pickle {
        /// Byte offset in the pickle (from the first data byte) of the opcode concerned.
        offset: u64,
        /// What is wrong.
        message: String,
    },

    /// The file's dtype cannot be read as the requested Rust type.
    #[error("dtype mismatch{}: expected {expected}, found {found}", field_suffix(.field))]
    DtypeMismatch {
        /// The dtype(s) the Rust type accepts.
        expected: String,
        /// The dtype in the file.
        found: String,
        /// The record field concerned, if any.
        field: Option<String>,
    },

    /// The file's shape does not fit the requested Rust type.
    #[error("shape mismatch: expected {expected}, found {found:?}")]
    ShapeMismatch {
        /// What the Rust type accepts, e.g. "2 dimensions".
        expected: String,
        /// The shape in the file.
        found: Vec<usize>,
    },

    /// Data bytes that cannot be decoded (e.g. an invalid UTF-32 code point).
    #[error("invalid data: {message}")]
    InvalidData {
        /// What is wrong.
        message: String,
    },

    /// An array or value that cannot be written as asked.
    #[error("cannot write: {message}")]
    Unwritable {
        /// What is wrong.
        message: String,
    },

    /// A malformed or unsupported zip archive (`.npz`).
    #[error("invalid .npz archive: {message}")]
    InvalidArchive {
        /// What is wrong.
        message: String,
    },

    /// A member name that is not in the archive.
    #[error("no member named {name:?} in the archive (members: {available})")]
    MissingMember {
        /// The name asked for.
        name: String,
        /// The names present, comma-separated (cut short when long).
        available: String,
    },

    /// An object store request failed, or answered with something other than what was
    /// asked (the `remote` module, feature `object-store`): a missing object,
    /// a short or changed response, a timeout, refused credentials.
    #[error("{location}: {message}")]
    Remote {
        /// The object (its URL, or the store and path), without any query string.
        location: String,
        /// What happened, and what to do about it.
        message: String,
    },

    /// A serde error raised by a `Serialize` / `Deserialize` implementation or by the
    /// mapping between Rust values and archive members.
    #[error("{0}")]
    Custom(String),

    /// An error inside a particular archive member (or serde member path).
    #[error("member {member:?}: {inner}")]
    InMember {
        /// Member name or serde path (`encoder/layer0/weight`).
        member: String,
        /// The underlying error. Its text is part of this one's, so it is not also
        /// reported as `source()` (an error chain would print it twice).
        inner: Error,
    },

    /// An error concerning a particular file.
    #[error("{}: {inner}", .path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// The underlying error. Its text is part of this one's, so it is not also
        /// reported as `source()` (an error chain would print it twice).
        inner: Error,
    },
}

/// What a file with the wrong magic string probably is, and what reads it.
fn magic_hint(found: &str) -> &'static str {
    if found.starts_with("PK") {
        "; this is a zip archive (.npz): read it with NpzReader, load_any or, for a struct, \
         from_path"
    } else {
        ""
    }
}

/// I/O errors convert with `?`; their text is part of the message, so `source()` is
/// `None` (an error chain would print it twice). Match [`ErrorKind::Io`] to get it.
impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        // An error of this crate that crossed a `Read` implementation inside an I/O error
        // (an inflater's CRC check, a remote fetch) comes back as itself.
        Error::carried_by(error).unwrap_or_else(|error| ErrorKind::Io(error).into())
    }
}

fn field_suffix(field: &Option<String>) -> String {
    match field {
        Some(name) => format!(" in field {name:?}"),
        None => String::new(),
    }
}

impl Error {
    /// The error of this crate that `error` carries (one that crossed a `Read`
    /// implementation inside an I/O error), or `error` itself when it carries none.
    pub(crate) fn carried_by(error: io::Error) -> std::result::Result<Error, io::Error> {
        let carries_ours = error
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<Error>().is_some());
        if !carries_ours {
            return Err(error);
        }
        match error.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(ours)) => Ok(*ours),
            _ => Err(io::Error::other("unreachable: checked above")),
        }
    }

    /// The innermost error, with the file and member context removed.
    pub fn root(&self) -> &ErrorKind {
        match self.kind() {
            ErrorKind::InMember { inner, .. } | ErrorKind::InFile { inner, .. } => inner.root(),
            other => other,
        }
    }

    /// Wraps `self` with the member (or serde path) it concerns.
    pub fn in_member(self, member: impl Into<String>) -> Error {
        ErrorKind::InMember {
            member: member.into(),
            inner: self,
        }
        .into()
    }

    /// Wraps `self` with the file it concerns.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        ErrorKind::InFile {
            path: path.into(),
            inner: self,
        }
        .into()
    }

    pub(crate) fn invalid_header(message: impl fmt::Display) -> Error {
        ErrorKind::InvalidHeader {
            message: message.to_string(),
        }
        .into()
    }

    pub(crate) fn invalid_descr(message: impl fmt::Display) -> Error {
        ErrorKind::InvalidDescr {
            message: message.to_string(),
        }
        .into()
    }

    pub(crate) fn invalid_data(message: impl fmt::Display) -> Error {
        ErrorKind::InvalidData {
            message: message.to_string(),
        }
        .into()
    }

    pub(crate) fn unwritable(message: impl fmt::Display) -> Error {
        ErrorKind::Unwritable {
            message: message.to_string(),
        }
        .into()
    }

    pub(crate) fn invalid_archive(message: impl fmt::Display) -> Error {
        ErrorKind::InvalidArchive {
            message: message.to_string(),
        }
        .into()
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ErrorKind::Custom(msg.to_string()).into()
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ErrorKind::Custom(msg.to_string()).into()
    }

    /// A struct field with no member: the serde deserializer adds the member path and the
    /// names that are there.
    fn missing_field(field: &'static str) -> Self {
        Error::from(ErrorKind::MissingMember {
            name: field.to_string(),
            available: String::new(),
        })
    }
}

/// Escapes bytes for an error message (`\x93NUMPY` style).
pub(crate) fn escape_bytes(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_shown_outermost_first_and_root_unwraps_it() {
        let err = Error::from(ErrorKind::NoDataLeft)
            .in_member("weights")
            .in_file("state.npz");
        assert_eq!(
            err.to_string(),
            "state.npz: member \"weights\": no data left in file: end of input reached where \
             the next array would start"
        );
        assert!(matches!(err.root(), ErrorKind::NoDataLeft));
    }

    #[test]
    fn dtype_mismatch_names_the_field() {
        let err = ErrorKind::DtypeMismatch {
            expected: "'<f8'".into(),
            found: "'<i4'".into(),
            field: Some("x".into()),
        };
        assert_eq!(
            err.to_string(),
            "dtype mismatch in field \"x\": expected '<f8', found '<i4'"
        );
    }

    #[test]
    fn an_error_chain_prints_each_text_once() {
        let io = io::Error::new(io::ErrorKind::NotFound, "gone");
        let err = Error::from(io).in_member("w").in_file("a.npz");
        assert_eq!(err.to_string(), "a.npz: member \"w\": I/O error: gone");
        // The context wrappers and the I/O variant carry their cause in their own text.
        assert!(std::error::Error::source(&err).is_none());
        assert!(matches!(err.root(), ErrorKind::Io(_)));
    }
}
