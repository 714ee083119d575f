//! `npy ls`: what is in a file, from its headers alone. For a `.npy`: dtype, shape, order,
//! format version, header and data sizes. For an `.npz`: the members as a tree grouped by
//! `/`, each with dtype, shape, storage, size on disk and compression ratio (`-l`: offsets
//! and CRCs). Only the archive's directory and each member's `.npy` header are read.

use std::path::Path;

use npy_serde::npy::HeaderInfo;
use npy_serde::npz::MemberInfo;
use npy_serde::text::shape_repr;
use serde_json::{json, Value};

use crate::error::{CliError, Result};
use crate::input::{lib, lib_in, Kind, Opened};
use crate::numeric::{human_bytes, numpy_text, readable_name};
use crate::{table, Outcome};

/// List arrays: dtype, shape and sizes (an .npz's members as a tree).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  npy ls weights.npy
  npy ls -l checkpoint.npz
  npy ls --json a.npy b.npz
  npy ls s3://bucket/checkpoint.npz       (credentials from AWS_* variables)

JSON: an array with one object per file:
  {\"file\", \"format\": \"npy\", \"dtype\", \"type\", \"shape\": [..], \"fortran_order\",
   \"version\": \"1.0\", \"header_bytes\", \"data_bytes\", \"pickled\"}
  {\"file\", \"format\": \"npz\", \"members\": [{\"name\", \"dtype\", \"type\", \"shape\",
   \"fortran_order\", \"pickled\", \"method\", \"compressed\", \"size_on_disk\", \"size\", \"ratio\",
   \"offset\", \"crc32\"}]}
An object array's (\"pickled\": true) data size is its pickle's stored bytes.
For a URL (s3://, gs://, az://, http(s)://, file://) also \"fetched\": {\"requests\", \"bytes\"}:
the directory and the headers only.
A member whose header cannot be read has \"error\" instead of dtype and shape (exit 2).")]
pub struct Args {
    /// .npy or .npz files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Also show each member's offset in the archive and its CRC-32.
    #[arg(short, long)]
    long: bool,
}

pub fn run(args: Args, json: bool) -> Result<Outcome> {
    let mut texts = Vec::new();
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for file in &args.files {
        if crate::remote::is_url(file) {
            // The directory and the headers only: no data is fetched.
            let mut listing = crate::remote::Listing::open(file)?;
            let members = listing.members();
            let (text, mut value) = if members.is_empty() {
                let info = listing.header("")?;
                let data = if info.header.dtype.has_object() {
                    None
                } else {
                    Some(info.header.data_len().map_err(lib)?)
                };
                npy_listing(file, &info, data)
            } else {
                let mut header = |index: usize| listing.header(&members[index].name);
                list_archive(
                    file,
                    &members,
                    &mut header,
                    None,
                    args.long,
                    json,
                    &mut errors,
                )
            };
            if json {
                value["fetched"] = listing.fetched();
            }
            texts.push(text);
            values.push(value);
            continue;
        }
        let mut opened = Opened::open(Path::new(file))?;
        match opened.kind {
            Kind::Npy => {
                let info = opened.header(None)?;
                let header = &info.header;
                let len = std::fs::metadata(file)
                    .map_err(|e| CliError::io(Path::new(file), e))?
                    .len();
                // An object array holds a pickle of any length: its size is the bytes
                // stored after the header, not 8 per element.
                let data_bytes = if header.dtype.has_object() {
                    len.saturating_sub(info.data_offset)
                } else {
                    // A listing must not present a truncated file as whole.
                    info.check_data_present(len)
                        .map_err(|e| lib_in(e, Path::new(file), None))?;
                    header.data_len().map_err(lib)?
                };
                let (text, value) = npy_listing(file, &info, Some(data_bytes));
                texts.push(text);
                values.push(value);
            }
            Kind::Npz => {
                let members = opened.members().to_vec();
                let total = std::fs::metadata(file).map(|m| m.len()).ok();
                // The name as stored (`x.npy`) is found at the first look-up.
                let mut header = |index: usize| {
                    let stored = opened.stored_name(index).to_string();
                    opened.header(Some(&stored))
                };
                let (text, value) = list_archive(
                    file,
                    &members,
                    &mut header,
                    total,
                    args.long,
                    json,
                    &mut errors,
                );
                texts.push(text);
                values.push(value);
            }
        }
    }
    let text = if json {
        serde_json::to_string_pretty(&Value::Array(values)).expect("JSON of plain values")
    } else {
        texts.join("\n\n")
    };
    if errors.is_empty() {
        Ok(Outcome::ok(text))
    } else {
        for error in &errors {
            eprintln!("npy: error: {}", error.one_line());
        }
        Ok(Outcome { text, status: 2 })
    }
}

/// A `.npy`'s listing: its header, and the data's size (`None`: not known without reading
/// it, an object array's pickle in object storage).
fn npy_listing(file: &str, info: &HeaderInfo, data_bytes: Option<u64>) -> (String, Value) {
    let header = &info.header;
    let pickled = header.dtype.has_object();
    let (major, minor) = info.version.numbers();
    let value = json!({
        "file": file,
        "format": "npy",
        "dtype": numpy_text(&header.dtype),
        "type": readable_name(&header.dtype),
        "shape": header.shape,
        "fortran_order": header.fortran_order,
        "version": format!("{major}.{minor}"),
        "header_bytes": info.data_offset,
        "data_bytes": data_bytes,
        "pickled": pickled,
    });
    let mut t = table::plain();
    t.set_header(vec![
        "file", "dtype", "type", "shape", "order", "version", "header", "data",
    ]);
    let data = data_bytes.map_or_else(|| "?".to_string(), human_bytes);
    t.add_row(vec![
        file.to_string(),
        numpy_text(&header.dtype),
        readable_name(&header.dtype),
        shape_repr(&header.shape),
        if header.fortran_order { "F" } else { "C" }.to_string(),
        format!("{major}.{minor}"),
        human_bytes(info.data_offset),
        if pickled {
            format!("{data} pickled")
        } else {
            data
        },
    ]);
    table::align_right(&mut t, &[6, 7]);
    (table::render(t), value)
}

/// One member's line of the listing.
#[derive(serde::Serialize)]
struct MemberRow {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dtype: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shape: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fortran_order: Option<bool>,
    /// An object array: its size is the pickle's, as stored.
    pickled: bool,
    method: String,
    compressed: bool,
    size_on_disk: u64,
    size: u64,
    ratio: f64,
    offset: u64,
    crc32: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// An archive's listing from its directory records, `header(index)` reading member
/// `index`'s `.npy` header; `total`: the file's size, when known.
fn list_archive(
    file: &str,
    members: &[MemberInfo],
    header: &mut dyn FnMut(usize) -> Result<HeaderInfo>,
    total: Option<u64>,
    long: bool,
    json: bool,
    errors: &mut Vec<CliError>,
) -> (String, Value) {
    let mut rows = Vec::with_capacity(members.len());
    for (index, member) in members.iter().enumerate() {
        let member = member.clone();
        let ratio = if member.compressed_size == 0 {
            1.0
        } else {
            member.uncompressed_size as f64 / member.compressed_size as f64
        };
        let mut row = MemberRow {
            name: member.name,
            dtype: None,
            kind: None,
            shape: None,
            fortran_order: None,
            pickled: false,
            method: member.method,
            compressed: member.compressed,
            size_on_disk: member.compressed_size,
            size: member.uncompressed_size,
            ratio,
            offset: member.local_header_offset,
            crc32: format!("{:08x}", member.crc32),
            error: None,
        };
        match header(index) {
            Ok(info) => {
                let header = info.header;
                row.dtype = Some(numpy_text(&header.dtype));
                row.kind = Some(readable_name(&header.dtype));
                row.shape = Some(header.shape);
                row.fortran_order = Some(header.fortran_order);
                row.pickled = header.dtype.has_object();
            }
            Err(error) => {
                row.error = Some(error.to_string());
                errors.push(error);
            }
        }
        rows.push(row);
    }
    if json {
        let value = json!({"file": file, "format": "npz", "members": rows});
        return (String::new(), value);
    }
    let title = format!(
        "{file}: npz archive, {} member{}{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        total.map_or_else(String::new, |t| format!(", {}", human_bytes(t)))
    );
    if rows.is_empty() {
        return (title, Value::Null);
    }
    let mut t = table::plain();
    let mut header = vec!["name", "dtype", "type", "shape", "storage", "size", "ratio"];
    if long {
        header.extend(["offset", "crc32"]);
    }
    t.set_header(header);
    let mut tree = Tree::default();
    for row in rows {
        let (dirs, leaf) = match row.name.rsplit_once('/') {
            Some((dirs, leaf)) => (dirs, leaf),
            None => ("", row.name.as_str()),
        };
        for (depth, dir) in tree.enter(dirs) {
            t.add_row(vec![format!("{}{dir}/", "  ".repeat(depth))]);
        }
        let mut cells = vec![
            format!("{}{leaf}", "  ".repeat(tree.depth())),
            row.dtype.unwrap_or_else(|| "?".into()),
            row.kind.unwrap_or_else(|| "unreadable".into()),
            row.shape.as_deref().map_or("?".into(), shape_repr),
            row.method,
            if row.pickled {
                format!("{} pickled", human_bytes(row.size_on_disk))
            } else {
                human_bytes(row.size_on_disk)
            },
            format!("{:.2}", row.ratio),
        ];
        if long {
            cells.push(row.offset.to_string());
            cells.push(row.crc32);
        }
        t.add_row(cells);
    }
    table::align_right(&mut t, &[5, 6, 7]);
    (format!("{title}\n{}", table::render(t)), Value::Null)
}

/// The directories of the member being listed, to print each group's heading once.
#[derive(Default)]
struct Tree {
    current: Vec<String>,
}

impl Tree {
    /// Moves to directory `dirs` (`a/b`); returns the headings to print (depth, name).
    fn enter(&mut self, dirs: &str) -> Vec<(usize, String)> {
        let parts: Vec<String> = if dirs.is_empty() {
            Vec::new()
        } else {
            dirs.split('/').map(str::to_string).collect()
        };
        let common = self
            .current
            .iter()
            .zip(&parts)
            .take_while(|(a, b)| a == b)
            .count();
        let mut headings = Vec::new();
        // Archive order is kept: a directory that reappears after others is shown again.
        for (depth, part) in parts.iter().enumerate().skip(common) {
            headings.push((depth, part.clone()));
        }
        self.current = parts;
        headings
    }

    fn depth(&self) -> usize {
        self.current.len()
    }
}
