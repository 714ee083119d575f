//! URLs in place of files (`s3://`, `gs://`, `az://`, `http(s)://`, `file://`), read
//! through the library's `remote` module (feature `remote`, on by default): its stores, with
//! credentials and endpoints from the environment as the cloud SDKs read them
//! (`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`, `GOOGLE_APPLICATION_CREDENTIALS`, …).
//!
//! Reads are lazy where the command allows: `ls` fetches an archive's directory and each
//! member's `.npy` header (never the data), `show --rows` fetches those rows. Commands that
//! read every byte (`stats`, `diff`, `verify`, `hist`) fetch the object whole, then work on
//! it as on a file.

use crate::error::{CliError, Result};

/// The schemes taken as URLs.
const SCHEMES: [&str; 9] = [
    "s3://", "gs://", "az://", "abfs://", "abfss://", "azure://", "http://", "https://", "file://",
];

/// True when `text` is a URL rather than a file name.
pub fn is_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    SCHEMES.iter().any(|scheme| lower.starts_with(scheme))
}

/// `URL` or `URL:MEMBER`: the member follows the last `.npz:` (a URL's own `:` come before
/// it: the scheme, a port).
pub fn split_member(text: &str) -> (String, Option<String>) {
    match text.rfind(".npz:") {
        Some(at) => (text[..at + 4].to_string(), Some(text[at + 5..].to_string())),
        None => (text.to_string(), None),
    }
}

#[cfg(feature = "remote")]
mod enabled {
    use std::ops::Range;

    use npy_serde::npy::HeaderInfo;
    use npy_serde::npz::MemberInfo;
    use npy_serde::remote::blocking::{RemoteNpy, RemoteNpz};
    use npy_serde::remote::object_store::ObjectStoreExt;
    use npy_serde::remote::{store_for_url, RemoteOptions};
    use npy_serde::{NpyArray, SerdeOptions};

    use super::*;
    use crate::reading::{lib, read_options};

    /// The library's remote options: defaults, and this run's read options.
    fn options() -> RemoteOptions {
        RemoteOptions::default().with_serde(SerdeOptions::default().with_read(read_options()))
    }

    /// The whole object's bytes (one GET).
    pub fn fetch(url: &str) -> Result<Vec<u8>> {
        let (store, path) = store_for_url(url, &options()).map_err(lib)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::new(format!("{url}: starting the I/O runtime: {e}")))?;
        runtime
            .block_on(async {
                let got = store.get(&path).await?;
                got.bytes().await
            })
            .map(|bytes| bytes.to_vec())
            .map_err(|e| CliError::new(format!("{url}: {e}")))
    }

    /// Requests sent and bytes received by one reader: `{"requests", "bytes"}`.
    fn fetched_json(stats: npy_serde::remote::RequestStats) -> serde_json::Value {
        serde_json::json!({"requests": stats.requests, "bytes": stats.bytes})
    }

    /// What `ls` needs of a remote file, read lazily.
    pub enum Listing {
        /// A `.npy`: its header (one request).
        Npy {
            header: HeaderInfo,
            fetched: serde_json::Value,
        },
        /// An archive: its directory (one or two requests); headers on demand.
        Npz { archive: Box<RemoteNpz> },
    }

    impl Listing {
        /// Opens `url` as an archive when it ends in `.npz`, else as a `.npy`.
        pub fn open(url: &str) -> Result<Listing> {
            if url.to_ascii_lowercase().ends_with(".npz") {
                let archive = RemoteNpz::open_url_with(url, &options()).map_err(lib)?;
                return Ok(Listing::Npz {
                    archive: Box::new(archive),
                });
            }
            let file = RemoteNpy::open_url_with(url, &options()).map_err(lib)?;
            Ok(Listing::Npy {
                header: file.header().clone(),
                fetched: fetched_json(file.stats()),
            })
        }

        /// The archive's members (empty for a `.npy`).
        pub fn members(&self) -> Vec<MemberInfo> {
            match self {
                Listing::Npz { archive } => archive.members().to_vec(),
                Listing::Npy { .. } => Vec::new(),
            }
        }

        /// What was fetched so far: `{"requests", "bytes"}`.
        pub fn fetched(&self) -> serde_json::Value {
            match self {
                Listing::Npz { archive } => fetched_json(archive.stats()),
                Listing::Npy { fetched, .. } => fetched.clone(),
            }
        }

        /// Member `name`'s `.npy` header (one small request).
        pub fn header(&mut self, name: &str) -> Result<HeaderInfo> {
            match self {
                Listing::Npz { archive } => archive.header(name).map_err(lib),
                Listing::Npy { header, .. } => Ok(header.clone()),
            }
        }
    }

    /// What [`read_rows`] fetched: a `.npy` in memory, the index of its first row in the
    /// whole array, whether the rows were applied (an object array comes whole), and
    /// `{"requests", "bytes"}`.
    pub struct Rows {
        pub npy: Vec<u8>,
        pub start: u64,
        pub applied: bool,
        pub fetched: serde_json::Value,
    }

    /// Rows `rows` (all when `None`; clamped to the array) of the `.npy` at `url` or of
    /// member `member` of the archive there: the header is fetched, then only those rows'
    /// bytes. Object arrays (with `--allow-pickle`) are fetched whole: the library's remote
    /// readers read typed data only, and a pickle has no rows to seek to.
    pub fn read_rows(url: &str, member: Option<&str>, rows: Option<(u64, u64)>) -> Result<Rows> {
        let clamp = |shape: &[usize]| -> Option<Range<u64>> {
            let (start, end) = rows?;
            let n = *shape.first()? as u64;
            let end = end.min(n);
            Some(start.min(end)..end)
        };
        let (array, start, fetched): (NpyArray, u64, _) = match member {
            Some(member) => {
                let mut archive = RemoteNpz::open_url_with(url, &options()).map_err(lib)?;
                let header = archive.header(member).map_err(lib)?;
                if header.header.dtype.has_object() {
                    return whole_object(url, Some(member));
                }
                let (array, start) = match clamp(&header.header.shape) {
                    Some(range) => {
                        let start = range.start;
                        (archive.read_rows(member, range).map_err(lib)?, start)
                    }
                    None => (archive.read(member).map_err(lib)?, 0),
                };
                (array, start, fetched_json(archive.stats()))
            }
            None => {
                let mut file = RemoteNpy::open_url_with(url, &options()).map_err(lib)?;
                let header = file.header().header.clone();
                if header.dtype.has_object() {
                    return whole_object(url, None);
                }
                let (array, start) = match clamp(&header.shape) {
                    Some(range) => {
                        let start = range.start;
                        (file.read_rows(range).map_err(lib)?, start)
                    }
                    None => (file.read().map_err(lib)?, 0),
                };
                (array, start, fetched_json(file.stats()))
            }
        };
        let npy = npy_serde::npy::to_vec(&array).map_err(lib)?;
        Ok(Rows {
            npy,
            start,
            applied: true,
            fetched,
        })
    }

    /// An object array: the object fetched whole, decoded by the safe pickle reader (with
    /// `--allow-pickle`; refused naming the flag without it).
    fn whole_object(url: &str, member: Option<&str>) -> Result<Rows> {
        if !crate::reading::allow_pickle() {
            let place = match member {
                Some(member) => format!("{url}: member {member:?}: "),
                None => format!("{url}: "),
            };
            return Err(crate::reading::object_refusal(&place));
        }
        let bytes = fetch(url)?;
        let fetched = serde_json::json!({"requests": 1, "bytes": bytes.len()});
        let npy = match member {
            None => bytes,
            Some(member) => {
                let mut archive = npy_serde::npz::Reader::with_options(
                    std::io::Cursor::new(bytes),
                    &read_options(),
                )
                .map_err(lib)?;
                let array: NpyArray = archive.read(member).map_err(lib)?;
                npy_serde::npy::to_vec(&array).map_err(lib)?
            }
        };
        Ok(Rows {
            npy,
            start: 0,
            applied: false,
            fetched,
        })
    }

    /// The member names of the archive at `url` (its directory only).
    pub fn names(url: &str) -> Result<Vec<String>> {
        let archive = RemoteNpz::open_url_with(url, &options()).map_err(lib)?;
        Ok(archive.names())
    }
}

#[cfg(feature = "remote")]
pub use enabled::*;

/// A build without the `remote` feature: every URL is an error saying so.
#[cfg(not(feature = "remote"))]
mod disabled {
    use npy_serde::npy::HeaderInfo;
    use npy_serde::npz::MemberInfo;

    use super::*;

    fn unsupported(url: &str) -> CliError {
        CliError::new(format!(
            "{url}: this npy was built without URL support (cargo feature \"remote\")"
        ))
    }

    pub fn fetch(url: &str) -> Result<Vec<u8>> {
        Err(unsupported(url))
    }

    pub enum Listing {}

    impl Listing {
        pub fn open(url: &str) -> Result<Listing> {
            Err(unsupported(url))
        }

        pub fn members(&self) -> Vec<MemberInfo> {
            match *self {}
        }

        pub fn header(&mut self, _: &str) -> Result<HeaderInfo> {
            match *self {}
        }

        pub fn fetched(&self) -> serde_json::Value {
            match *self {}
        }
    }

    pub struct Rows {
        pub npy: Vec<u8>,
        pub start: u64,
        pub applied: bool,
        pub fetched: serde_json::Value,
    }

    pub fn read_rows(url: &str, _: Option<&str>, _: Option<(u64, u64)>) -> Result<Rows> {
        Err(unsupported(url))
    }

    pub fn names(url: &str) -> Result<Vec<String>> {
        Err(unsupported(url))
    }
}

#[cfg(not(feature = "remote"))]
pub use disabled::*;
