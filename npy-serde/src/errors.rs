//! The crate's one error type, [`Error`]: what went wrong ([`ErrorKind`]), its coarse
//! [`Category`] for callers that sort failures, where it happened (file, archive member,
//! record field) and the underlying I/O or object-store error as `source()`.
//!
//! Published as `npy_serde::{Error, Result}` and `npy_serde::error::{Category, ErrorKind}`;
//! this module is private so that each has one path.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::magic::FileKind;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading or writing `.npy` / `.npz` data.
///
/// - [`category`](Error::category) sorts it coarsely (corrupt input, a type mismatch, a
///   limit, I/O, …), [`kind`](Error::kind) says exactly what happened;
/// - [`path`](Error::path), [`member`](Error::member) and [`field`](Error::field) say
///   where;
/// - [`source`](StdError::source) is the underlying `io::Error` (or object-store error),
///   so that not-found and permission-denied can be told apart.
///
/// The message names all of it, outermost first:
/// `data.npz: member "weights": truncated data: …`. The error is one pointer wide, as
/// serde_json's is, so a `Result<()>` passes in a register.
///
/// ```
/// use npy_serde::error::{Category, ErrorKind};
///
/// let err = npy_serde::npy::from_slice::<Vec<f32>>(b"not an array").unwrap_err();
/// assert_eq!(err.category(), Category::Format);
/// assert!(matches!(err.kind(), ErrorKind::BadMagic { .. }));
///
/// let missing = npy_serde::npy::load::<Vec<f32>, _>("no/such/file.npy").unwrap_err();
/// assert_eq!(missing.category(), Category::Io);
/// assert_eq!(missing.path().unwrap(), std::path::Path::new("no/such/file.npy"));
/// let io = std::error::Error::source(&missing).unwrap().downcast_ref::<std::io::Error>();
/// assert_eq!(io.unwrap().kind(), std::io::ErrorKind::NotFound);
///
/// assert_eq!(std::mem::size_of::<npy_serde::Result<()>>(), std::mem::size_of::<usize>());
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    path: Option<PathBuf>,
    member: Option<String>,
    field: Option<String>,
    /// The cause from outside this crate that `source()` gives, when the kind does not
    /// hold it itself (an object-store error behind [`ErrorKind::Remote`]).
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// What an [`Error`] is about, coarsely: the part of the work that failed, for callers
/// that sort failures (corrupt input is [`Format`](Category::Format) or
/// [`Archive`](Category::Archive); everything else is not the file's fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The operating system, the reader or the writer failed; `source()` is the
    /// `io::Error`.
    Io,
    /// A stream of arrays ended where the next array would start (not an error for a
    /// reader that reads arrays until the end).
    Eof,
    /// The bytes are not a valid `.npy` (magic, version, header, dtype, truncated data,
    /// undecodable values, a malformed pickle).
    Format,
    /// The bytes are not a valid `.npz` (zip records, sizes, CRC, deflate data).
    Archive,
    /// What was asked for is not there: an archive member, a struct field's member.
    Missing,
    /// The data is valid, but not of a dtype, shape or file kind the Rust type (or call)
    /// can take.
    Mismatch,
    /// A limit that guards against untrusted input was reached (header size, inflated
    /// size, item counts); raise it through [`ReadOptions`](crate::ReadOptions) for
    /// trusted files.
    Limit,
    /// Refused on purpose: object arrays without `allow_pickle`, pickle globals outside
    /// the safe reader's allow-list.
    Refused,
    /// A value that cannot be written as asked (shape and data disagree, a string longer
    /// than its dtype, a name zip cannot hold, …).
    Unwritable,
    /// An object store failed or answered wrongly; `source()` is the store's error.
    Remote,
    /// A serde `Serialize` / `Deserialize` implementation (or the mapping of a Rust value
    /// to archive members) raised it.
    Serde,
}

/// Exactly what went wrong. Where it happened is not part of the kind: see
/// [`Error::path`], [`Error::member`] and [`Error::field`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An I/O error from the underlying reader, writer or file system.
    #[error("I/O error: {0}")]
    Io(#[source] io::Error),

    /// The first bytes are not `\x93NUMPY`, nor another kind of file this crate knows.
    #[error(
        "not a .npy or .npz file: it starts with \"{found}\" (a .npy starts with \"\\x93NUMPY\", \
         an .npz with \"PK\")"
    )]
    BadMagic {
        /// The bytes found where the magic string should be (escaped).
        found: String,
    },

    /// A file of another kind than the call reads: an `.npz` given to a `.npy` reader, a
    /// `.npy` given to an archive reader.
    #[error("this is a {}, not a {}: {}", .found.describe(), .expected.describe(), wrong_kind_hint(*.found))]
    WrongFileKind {
        /// What the call reads.
        expected: FileKind,
        /// What the bytes are.
        found: FileKind,
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
        "header of {len} bytes is larger than the limit of {limit}; if the file is trusted, \
         raise the limit (ReadOptions::with_max_header_size)"
    )]
    HeaderTooLarge {
        /// Header length declared by the file.
        len: u64,
        /// The limit in force.
        limit: u64,
    },

    /// The input ends before the declared header or data.
    #[error(
        "truncated {what}: {expected} bytes expected at byte offset {offset}, only {found} \
         present (file seems not fully written?)"
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

    /// Object arrays (`|O`) hold Python pickles: refused unless
    /// [`ReadOptions::with_allow_pickle`](crate::ReadOptions::with_allow_pickle) turns on
    /// the safe pickle reader, and always where data is accessed in place (maps, row
    /// reads, appends) or is a record field.
    #[error(
        "object arrays ('|O') are not loaded by default: their data is a Python pickle (NumPy \
         refuses them too unless allow_pickle=True); to read them with the safe pickle reader, \
         which runs no code, pass ReadOptions::default().with_allow_pickle(true) (in the npy \
         command: --allow-pickle)"
    )]
    ObjectArray,

    /// A pickle (an object array's data) that is malformed or truncated.
    #[error("pickle at byte {offset} of the data: {message}")]
    Pickle {
        /// Byte offset in the pickle (from the first data byte) of the opcode concerned.
        offset: u64,
        /// What is wrong.
        message: String,
    },

    /// A pickle that the safe reader refuses to run: a global outside its allow-list, or an
    /// opcode that would create class instances or reach outside the pickle.
    #[error("pickle at byte {offset} of the data: {message}")]
    PickleRefused {
        /// Byte offset in the pickle of the opcode concerned.
        offset: u64,
        /// What was refused, by name.
        message: String,
    },

    /// The data's dtype cannot be read as the requested Rust type.
    #[error("dtype mismatch: expected {expected}, found {found}")]
    DtypeMismatch {
        /// What the Rust type accepts, e.g. `'<f4' (float32, f32)`.
        expected: String,
        /// What the data is, with the Rust type that would read it.
        found: String,
    },

    /// The data's shape does not fit the requested Rust type.
    #[error("shape mismatch: expected {expected}, found {}", crate::text::shape_repr(.found))]
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

    /// A deflated member that inflates to more than
    /// [`ReadOptions::max_inflated_size`](crate::ReadOptions::max_inflated_size).
    #[error(
        "the member inflates to {declared} bytes (from {compressed} compressed), more than the \
         limit of {limit}; if the archive is trusted, raise the limit \
         (ReadOptions::with_max_inflated_size)"
    )]
    InflatedTooLarge {
        /// The inflated size the archive declares.
        declared: u64,
        /// The member's compressed size.
        compressed: u64,
        /// The limit in force.
        limit: u64,
    },

    /// More items of a zero-byte dtype (`<U0`, `|S0`, empty records) than are decoded into
    /// Rust values: nothing in the file bounds their count.
    #[error(
        "{count} items of a zero-byte dtype: more than the {limit} read as Rust values, since \
         the file's size does not bound them (NpyArray loads any count)"
    )]
    TooManyItems {
        /// The count the header declares.
        count: usize,
        /// The most that are decoded.
        limit: usize,
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
    /// asked (the `remote` module, feature `object-store`): a missing object, a short or
    /// changed response, a timeout, refused credentials. `source()` is the store's error
    /// when there is one.
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
}

fn wrong_kind_hint(found: FileKind) -> &'static str {
    match found {
        FileKind::Npz => {
            "read it with npz::Reader::open (members by name), npz::open_any, or from_path for \
             a struct"
        }
        FileKind::Npy => "read it with npy::load (typed, or as NpyArray) or npz::open_any",
        FileKind::Pickle => {
            "a bare pickle, which np.load reads only with allow_pickle=True: open it with \
             npz::open_any_with and ReadOptions::with_allow_pickle (the safe reader)"
        }
    }
}

impl ErrorKind {
    /// The kind's [`Category`].
    pub fn category(&self) -> Category {
        match self {
            ErrorKind::Io(_) => Category::Io,
            ErrorKind::NoDataLeft => Category::Eof,
            ErrorKind::BadMagic { .. }
            | ErrorKind::UnsupportedVersion { .. }
            | ErrorKind::Truncated { .. }
            | ErrorKind::InvalidHeader { .. }
            | ErrorKind::InvalidDescr { .. }
            | ErrorKind::Pickle { .. }
            | ErrorKind::InvalidData { .. } => Category::Format,
            ErrorKind::InvalidArchive { .. } => Category::Archive,
            ErrorKind::MissingMember { .. } => Category::Missing,
            ErrorKind::WrongFileKind { .. }
            | ErrorKind::DtypeMismatch { .. }
            | ErrorKind::ShapeMismatch { .. } => Category::Mismatch,
            ErrorKind::HeaderTooLarge { .. }
            | ErrorKind::InflatedTooLarge { .. }
            | ErrorKind::TooManyItems { .. } => Category::Limit,
            ErrorKind::ObjectArray | ErrorKind::PickleRefused { .. } => Category::Refused,
            ErrorKind::Unwritable { .. } => Category::Unwritable,
            ErrorKind::Remote { .. } => Category::Remote,
            ErrorKind::Custom(_) => Category::Serde,
        }
    }
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The kind, owned (the context and source are dropped).
    pub fn into_kind(self) -> ErrorKind {
        self.0.kind
    }

    /// The coarse class of the failure.
    pub fn category(&self) -> Category {
        self.0.kind.category()
    }

    /// The file the error concerns, when it concerns one.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }

    /// The archive member (or serde member path, `encoder/layer0/weight`) the error
    /// concerns, when it concerns one.
    pub fn member(&self) -> Option<&str> {
        self.0.member.as_deref()
    }

    /// The record field the error concerns (`pos`, or `outer.inner` in a nested record),
    /// when it concerns one.
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// `self` naming the file it concerns; an error that names one already keeps it.
    pub(crate) fn in_file(mut self, path: impl Into<PathBuf>) -> Error {
        if self.0.path.is_none() {
            self.0.path = Some(path.into());
        }
        self
    }

    /// `self` naming the member it concerns; an error that names one already keeps it (the
    /// innermost name is the most precise).
    pub(crate) fn in_member(mut self, member: impl Into<String>) -> Error {
        if self.0.member.is_none() {
            self.0.member = Some(member.into());
        }
        self
    }

    /// `self` naming the record field it concerns; a nested field's name is prefixed with
    /// its parent's (`outer.inner`).
    pub(crate) fn in_field(mut self, field: &str) -> Error {
        self.0.field = Some(match self.0.field.take() {
            Some(inner) => format!("{field}.{inner}"),
            None => field.to_string(),
        });
        self
    }

    /// `self` with `source` as the cause that `source()` gives.
    #[cfg_attr(not(feature = "object-store"), allow(dead_code))]
    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Error {
        self.0.source = Some(Box::new(source));
        self
    }

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

    pub(crate) fn custom(message: impl fmt::Display) -> Error {
        ErrorKind::Custom(message.to_string()).into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(Inner {
            kind,
            path: None,
            member: None,
            field: None,
            source: None,
        }))
    }
}

/// I/O errors convert with `?`; an I/O error that carries one of this crate's errors (an
/// inflater's CRC check, a remote fetch, which cross a `Read` implementation) comes back
/// as that error.
impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error::carried_by(error).unwrap_or_else(|error| ErrorKind::Io(error).into())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &self.0.kind);
        if let Some(path) = &self.0.path {
            debug.field("path", path);
        }
        if let Some(member) = &self.0.member {
            debug.field("member", member);
        }
        if let Some(field) = &self.0.field {
            debug.field("field", field);
        }
        debug.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.0.path {
            write!(f, "{}: ", path.display())?;
        }
        if let Some(member) = &self.0.member {
            write!(f, "member {member:?}: ")?;
        }
        if let Some(field) = &self.0.field {
            write!(f, "field {field:?}: ")?;
        }
        fmt::Display::fmt(&self.0.kind, f)
    }
}

impl StdError for Error {
    /// The underlying `io::Error` of an [`ErrorKind::Io`], or the object-store error of an
    /// [`ErrorKind::Remote`].
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.0.source {
            Some(source) => Some(&**source),
            None => self.0.kind.source(),
        }
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::custom(msg)
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::custom(msg)
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
    fn context_is_shown_outermost_first_and_kept_apart() {
        let err = Error::from(ErrorKind::NoDataLeft)
            .in_member("weights")
            .in_file("state.npz");
        assert_eq!(
            err.to_string(),
            "state.npz: member \"weights\": no data left in file: end of input reached where \
             the next array would start"
        );
        assert!(matches!(err.kind(), ErrorKind::NoDataLeft));
        assert_eq!(err.category(), Category::Eof);
        assert_eq!(err.member(), Some("weights"));
        assert_eq!(err.path(), Some(Path::new("state.npz")));
    }

    #[test]
    fn the_innermost_member_and_nested_fields_are_kept() {
        let err = Error::invalid_data("x")
            .in_field("y")
            .in_field("pos")
            .in_member("a/b")
            .in_member("a");
        assert_eq!(err.member(), Some("a/b"));
        assert_eq!(err.field(), Some("pos.y"));
        assert_eq!(
            err.to_string(),
            "member \"a/b\": field \"pos.y\": invalid data: x"
        );
    }

    #[test]
    fn io_errors_are_the_source() {
        let io = io::Error::new(io::ErrorKind::PermissionDenied, "denied");
        let err = Error::from(io).in_member("w").in_file("a.npz");
        assert_eq!(err.to_string(), "a.npz: member \"w\": I/O error: denied");
        let source = err.source().unwrap().downcast_ref::<io::Error>().unwrap();
        assert_eq!(source.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(err.category(), Category::Io);
    }

    #[test]
    fn an_error_carried_through_io_comes_back_as_itself() {
        let ours = Error::invalid_archive("bad CRC").in_member("m");
        let carried = io::Error::other(ours);
        let back = Error::from(carried);
        assert_eq!(back.category(), Category::Archive);
        assert_eq!(back.member(), Some("m"));
    }

    #[test]
    fn results_stay_one_pointer_wide() {
        assert_eq!(size_of::<Result<()>>(), size_of::<usize>());
    }
}
