//! `npy verify`: reads every header and every byte with plain reads (no maps, so a file
//! still being written cannot fault), checks sizes and, for archives, the directory, each
//! member's `.npy` header and its CRC-32. One line per file; exit status 2 when any file is
//! broken or unreadable. Memory is bounded: members are streamed, not loaded.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use npy_serde::{npy, npz};
use serde_json::json;

use crate::error::{CliError, Result};
use crate::input::{lib, lib_in, sniff, Kind};
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

/// What a successful check covered: (format, arrays, data bytes read).
fn check(path: &Path) -> Result<(&'static str, usize, u64)> {
    let mut first = Vec::new();
    File::open(path)
        .and_then(|f| f.take(8).read_to_end(&mut first))
        .map_err(|e| CliError::io(path, e))?;
    match sniff(path, &first)? {
        Kind::Npy => {
            let file = File::open(path).map_err(|e| CliError::io(path, e))?;
            let total = file.metadata().map_err(|e| CliError::io(path, e))?.len();
            let mut reader = BufReader::with_capacity(1 << 20, file);
            let info = npy::read_header(&mut reader).map_err(|e| lib_in(e, path, None))?;
            info.check_data_present(total)
                .map_err(|e| lib_in(e, path, None))?;
            let data_len = info.header.data_len().map_err(|e| lib_in(e, path, None))?;
            let copied = io::copy(&mut reader.take(data_len), &mut io::sink())
                .map_err(|e| CliError::io(path, e))?;
            if copied < data_len {
                return Err(CliError::new(format!(
                    "{}: the data ends after {copied} of {data_len} bytes (truncated)",
                    path.display()
                )));
            }
            Ok(("npy", 1, data_len))
        }
        Kind::Npz => {
            let mut archive = npz::Reader::open(path).map_err(lib)?;
            let names = archive.names();
            let mut total = 0;
            for name in &names {
                let info = archive.header(name).map_err(lib)?;
                if info.header.dtype.has_object() {
                    return Err(CliError::new(format!(
                        "{}: member {name:?}: an object array (pickled Python objects), \
                         which is never loaded",
                        path.display()
                    )));
                }
                let mut member = archive.member_reader(name).map_err(lib)?;
                total += io::copy(&mut member, &mut io::sink()).map_err(|e| {
                    CliError::new(format!("{}: member {name:?}: {e}", path.display()))
                })?;
            }
            Ok(("npz", names.len(), total))
        }
    }
}

pub fn run(args: Args, json: bool) -> Result<Outcome> {
    let mut lines = Vec::new();
    let mut values = Vec::new();
    let mut broken = 0;
    for file in &args.files {
        match check(Path::new(file)) {
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
