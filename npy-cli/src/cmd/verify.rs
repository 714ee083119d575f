//! `npy verify`: reads every header and every byte with plain reads (no maps, so a file
//! still being written cannot fault), checks sizes and, for archives, the directory, each
//! member's `.npy` header and its CRC-32. One line per file; exit status 2 when any file is
//! broken or unreadable. Memory is bounded: members are streamed, not loaded. Object arrays
//! are decoded by the library's safe pickle reader with `--allow-pickle` (refused, naming
//! the flag, without it). Large inputs show a progress bar when stderr is a terminal.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use npy_serde::{npy, npz};
use serde_json::json;

use crate::error::{CliError, Result};
use crate::input::{allow_pickle, lib_in, object_refusal, read_options, sniff, Kind};
use crate::Outcome;

/// Check files completely: headers, sizes, CRCs (exit 2 if any is broken).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  npy verify downloads/*.npz
  npy verify --json model.npz | jq .ok

Prints one line per file: 'ok' with what was checked, or 'BROKEN' with the first problem
(naming the member). Exit status 0 when all are intact, 2 otherwise.

JSON: an array of {\"file\", \"ok\", \"format\", \"arrays\", \"bytes\", \"error\" (null when ok)}")]
pub struct Args {
    /// .npy or .npz files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

/// Counts the bytes read through it on the progress bar.
struct Counted<'a, R> {
    inner: R,
    bar: Option<&'a indicatif::ProgressBar>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}

/// Bytes to check: a file read with plain reads, or an object fetched whole from a URL.
trait Source: Read + io::Seek {}
impl<T: Read + io::Seek> Source for T {}

/// Opens `path` (a file or a URL) for reading from its start, with its length.
fn open_source(path: &Path) -> Result<(Box<dyn Source>, u64)> {
    if let Some(url) = path.to_str().filter(|p| crate::remote::is_url(p)) {
        let bytes = crate::remote::fetch(url)?;
        let len = bytes.len() as u64;
        return Ok((Box::new(io::Cursor::new(bytes)), len));
    }
    let file = File::open(path).map_err(|e| CliError::io(path, e))?;
    let len = file.metadata().map_err(|e| CliError::io(path, e))?.len();
    Ok((Box::new(BufReader::with_capacity(1 << 20, file)), len))
}

/// What a successful check covered: (format, arrays, data bytes read).
fn check(path: &Path, bar: Option<&indicatif::ProgressBar>) -> Result<(&'static str, usize, u64)> {
    let (mut source, total) = open_source(path)?;
    let mut first = Vec::new();
    (&mut source)
        .take(8)
        .read_to_end(&mut first)
        .and_then(|_| source.rewind())
        .map_err(|e| CliError::io(path, e))?;
    match sniff(path, &first)? {
        Kind::Npy => {
            let mut reader = source;
            let info = npy::read_header(&mut reader).map_err(|e| lib_in(e, path, None))?;
            if info.header.dtype.has_object() {
                if !allow_pickle() {
                    return Err(object_refusal(&format!("{}: ", path.display())));
                }
                // The whole pickle, parsed by the safe reader.
                reader.rewind().map_err(|e| CliError::io(path, e))?;
                npy::read_with::<npy_serde::NpyArray, _>(&mut reader, &read_options())
                    .map_err(|e| lib_in(e, path, None))?;
                if let Some(bar) = bar {
                    bar.inc(total);
                }
                return Ok(("npy", 1, total - info.data_offset));
            }
            info.check_data_present(total)
                .map_err(|e| lib_in(e, path, None))?;
            if let Some(bar) = bar {
                bar.inc(info.data_offset);
            }
            let data_len = info.header.data_len().map_err(|e| lib_in(e, path, None))?;
            let mut counted = Counted {
                inner: reader.take(data_len),
                bar,
            };
            let copied =
                io::copy(&mut counted, &mut io::sink()).map_err(|e| CliError::io(path, e))?;
            if copied < data_len {
                return Err(CliError::new(format!(
                    "{}: the data ends after {copied} of {data_len} bytes (truncated)",
                    path.display()
                )));
            }
            Ok(("npy", 1, data_len))
        }
        Kind::Npz => {
            let mut archive = npz::Reader::with_options(source, &read_options())
                .map_err(|e| lib_in(e, path, None))?;
            let names = archive.names();
            if let Some(bar) = bar {
                // The bar counts inflated bytes: the members' sizes, not the file's.
                let inflated: u64 = archive.members().iter().map(|m| m.uncompressed_size).sum();
                let length = bar.length().unwrap_or(0);
                bar.set_length((length + inflated).saturating_sub(total));
            }
            let mut total = 0;
            for name in &names {
                let info = archive
                    .header(name)
                    .map_err(|e| lib_in(e, path, Some(name.as_str())))?;
                if info.header.dtype.has_object() && !allow_pickle() {
                    return Err(object_refusal(&format!(
                        "{}: member {name:?}: ",
                        path.display()
                    )));
                }
                {
                    let member = archive
                        .member_reader(name)
                        .map_err(|e| lib_in(e, path, Some(name.as_str())))?;
                    let mut counted = Counted { inner: member, bar };
                    total += io::copy(&mut counted, &mut io::sink()).map_err(|e| {
                        CliError::new(format!("{}: member {name:?}: {e}", path.display()))
                    })?;
                }
                if info.header.dtype.has_object() {
                    // The pickle, parsed by the safe reader (bytes and CRC checked above).
                    archive
                        .read::<npy_serde::NpyArray>(name)
                        .map_err(|e| lib_in(e, path, Some(name.as_str())))?;
                }
            }
            Ok(("npz", names.len(), total))
        }
    }
}

pub fn run(args: Args, json: bool) -> Result<Outcome> {
    let mut lines = Vec::new();
    let mut values = Vec::new();
    let mut broken = 0;
    let total: u64 = args
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = crate::progress::bar(total, "verify");
    for file in &args.files {
        match check(Path::new(file), bar.as_ref()) {
            Ok((format, arrays, bytes)) => {
                lines.push(format!(
                    "{file}: ok ({format}, {arrays} array{}, {} checked)",
                    if arrays == 1 { "" } else { "s" },
                    crate::numeric::human_bytes(bytes)
                ));
                values.push(json!({"file": file, "ok": true, "format": format,
                    "arrays": arrays, "bytes": bytes, "error": null}));
            }
            Err(error) => {
                broken += 1;
                let message = error.one_line();
                // The line starts with the file already.
                let message = message
                    .strip_prefix(&format!("{file}: "))
                    .map(str::to_string)
                    .unwrap_or(message);
                lines.push(format!("{file}: BROKEN: {message}"));
                values.push(json!({"file": file, "ok": false, "format": null,
                    "arrays": null, "bytes": null, "error": message}));
            }
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let text = if json {
        serde_json::to_string_pretty(&values).expect("JSON of plain values")
    } else {
        lines.join("\n")
    };
    if broken > 0 {
        eprintln!(
            "npy: error: {broken} of {} file{} broken",
            args.files.len(),
            if args.files.len() == 1 { "" } else { "s" }
        );
    }
    Ok(Outcome {
        text,
        status: if broken > 0 { 2 } else { 0 },
    })
}
