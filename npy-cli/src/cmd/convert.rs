//! `npy convert`: `.npz` stored ⇄ deflated, `.npy` → a member of an `.npz`, a member →
//! `.npy`, `.npz` ⇄ `.safetensors` (the library's `safetensors` module). Writes go through the library's path writers, which are atomic (temporary file
//! in the same directory, synced, renamed), so a failed conversion leaves any old output
//! whole; deflate runs on every core (the library's parallel compression). Members are
//! converted one at a time: memory holds one member, not the archive (a progress bar counts
//! them on a terminal). A `.csv` / `.tsv`
//! output is text ([`super::export`]). Object arrays are read with `--allow-pickle` only.

use std::path::Path;

use npy_serde::npz::{self, Compression};
use npy_serde::{npy, NpyArray, WriteOptions};
use serde_json::json;

use crate::error::{CliError, Result};
use crate::input::{lib, lib_in, sniff, Kind, Spec};
use crate::Outcome;

/// Convert between .npy and .npz, stored and deflated.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  npy convert checkpoint.npz small.npz --compress        (deflate level 6, as np.savez_compressed)
  npy convert small.npz plain.npz --store                (stored: members can be mapped)
  npy convert weights.npy weights.npz --member w
  npy convert checkpoint.npz:encoder/w w.npy
  npy convert x.npy x.csv --fmt %.6g                     (text, as np.savetxt)
  npy convert table.npz:records records.tsv
  npy convert checkpoint.npz - | ssh host 'cat > c.npz'   (an archive streamed to stdout)
  npy convert model.safetensors model.npz                (bf16 becomes '|V2', as ml_dtypes saves it)
  npy convert checkpoint.npz model.safetensors           (__metadata__ member -> safetensors metadata)

The output's kind comes from its extension (.npy, .npz, .csv, .tsv or .safetensors; a
.safetensors file converts to and from a whole .npz); '-' streams an .npz to stdout (members
followed by zip data descriptors; the summary goes to stderr). Text takes 1-d and
2-d arrays of booleans, integers, floats, strings and dates (one row per line), and 1-d
records (one column per field, under a '# a,b' header line); --fmt is a printf format,
one specifier for every column or one per column (default %.18e for floats, %d for
integers), --delimiter defaults to ',' (.csv) or a tab (.tsv). Without --compress or --store an
archive keeps the input's compression (deflated if any input member is).

JSON: {\"input\", \"output\", \"members\": [names], \"compression\": \"stored\" | \"deflate-N\" |
null for .npy, \"bytes\": size of the output}")]
pub struct Args {
    /// FILE or FILE:MEMBER.
    #[arg(value_name = "IN")]
    input: String,
    /// The .npy or .npz to write.
    #[arg(value_name = "OUT")]
    output: String,
    /// Deflate members (level 0-9, default 6).
    #[arg(long, value_name = "LEVEL", num_args = 0..=1, default_missing_value = "6",
          conflicts_with = "store", value_parser = clap::value_parser!(u32).range(0..=9))]
    compress: Option<u32>,
    /// Store members uncompressed (np.savez).
    #[arg(long)]
    store: bool,
    /// The member to read (archive input) or to write (.npy into an archive).
    #[arg(long, value_name = "NAME")]
    member: Option<String>,
    /// Text output: a printf format for each value (or one specifier per column).
    #[arg(long, value_name = "FMT", allow_hyphen_values = true)]
    fmt: Option<String>,
    /// Text output: the column separator (default ',' for .csv, tab for .tsv).
    #[arg(long, value_name = "TEXT")]
    delimiter: Option<String>,
}

fn first_bytes(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut first = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(8).read_to_end(&mut first))
        .map_err(|e| CliError::io(path, e))?;
    Ok(first)
}

pub fn run(args: Args, json: bool) -> Result<Outcome> {
    let spec = Spec::parse(&args.input);
    let output = Path::new(&args.output);
    let is_safetensors = |path: &Path| path.extension().is_some_and(|e| e == "safetensors");
    if is_safetensors(&spec.path) || is_safetensors(output) {
        let whole = spec.member.is_none() && args.member.is_none();
        return safetensors(&args, whole, &spec.path, output, json);
    }
    let kind = sniff(&spec.path, &first_bytes(&spec.path)?)?;
    let member = spec.member.clone().or(args.member.clone());
    if args.output == "-" {
        return to_stdout(&args, &spec, kind, member);
    }
    let out_kind = match output.extension().and_then(|e| e.to_str()) {
        Some("npy") => Kind::Npy,
        Some("npz") => Kind::Npz,
        Some("csv" | "tsv") => return text(&args, &spec, kind, member, output, json),
        _ => {
            return Err(CliError::new(format!(
                "{}: the output must end in .npy, .npz, .csv or .tsv",
                output.display()
            )))
        }
    };
    if args.fmt.is_some() || args.delimiter.is_some() {
        return Err(CliError::new(
            "--fmt and --delimiter apply to text output (.csv, .tsv) only",
        ));
    }
    let options = crate::input::read_options();
    let mut written = Vec::new();
    let mut compression_text = None;
    match (kind, out_kind) {
        (Kind::Npy, Kind::Npy) => {
            let array: NpyArray = npy::load_with(&spec.path, &options).map_err(lib)?;
            npy::save(output, &array).map_err(lib)?;
        }
        (Kind::Npz, Kind::Npy) => {
            let mut archive = npz::Reader::open_with(&spec.path, &options).map_err(lib)?;
            let name = match member {
                Some(name) => name,
                None if archive.len() == 1 => archive.names().remove(0),
                None => {
                    return Err(CliError::new(format!(
                        "{}: the archive has {} members: name one with --member NAME or \
                         FILE:MEMBER",
                        spec.path.display(),
                        archive.len()
                    )))
                }
            };
            let array: NpyArray = archive.read(&name).map_err(lib)?;
            npy::save(output, &array).map_err(lib)?;
            written.push(name);
        }
        (Kind::Npy, Kind::Npz) => {
            let name = member.unwrap_or_else(|| {
                spec.path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "arr_0".into())
            });
            let compression = choose(&args, false);
            compression_text = Some(describe(compression));
            let array: NpyArray = npy::load_with(&spec.path, &options).map_err(lib)?;
            let options = WriteOptions::default().with_compression(compression);
            let mut writer = npz::Writer::create_with(output, &options).map_err(lib)?;
            writer
                .add(&name, &array)
                .map_err(|e| lib_in(e, output, Some(name.as_str())))?;
            writer.finish().map_err(lib)?;
            written.push(name);
        }
        (Kind::Npz, Kind::Npz) => {
            let mut archive = npz::Reader::open_with(&spec.path, &options).map_err(lib)?;
            let any_compressed = archive.members().iter().any(|m| m.compressed);
            let compression = choose(&args, any_compressed);
            compression_text = Some(describe(compression));
            let names = match member {
                Some(name) => vec![name],
                None => archive.names(),
            };
            let options = WriteOptions::default().with_compression(compression);
            let mut writer = npz::Writer::create_with(output, &options).map_err(lib)?;
            let sizes: std::collections::HashMap<String, u64> = archive
                .members()
                .into_iter()
                .map(|m| (m.name, m.uncompressed_size))
                .collect();
            let bar =
                crate::progress::bar(names.iter().filter_map(|n| sizes.get(n)).sum(), "convert");
            for name in &names {
                let array: NpyArray = archive.read(name).map_err(lib)?;
                writer
                    .add(name, &array)
                    .map_err(|e| lib_in(e, output, Some(name.as_str())))?;
                if let Some(bar) = &bar {
                    bar.inc(sizes.get(name).copied().unwrap_or(0));
                }
            }
            writer.finish().map_err(lib)?;
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            written = names;
        }
    }
    Ok(report(&args, output, written, compression_text, json))
}

/// `.safetensors` to `.npz` or back, all members, through the library.
fn safetensors(
    args: &Args,
    whole: bool,
    input: &Path,
    output: &Path,
    json: bool,
) -> Result<Outcome> {
    use npy_serde::safetensors as st;
    if !whole {
        return Err(CliError::new(
            "a .safetensors file converts to and from a whole .npz: no --member or FILE:MEMBER",
        ));
    }
    let ext = |path: &Path| path.extension().and_then(|e| e.to_str()).map(str::to_owned);
    let mut compression_text = None;
    match (ext(input).as_deref(), ext(output).as_deref()) {
        (Some("safetensors"), Some("npz")) => {
            let compression = choose(args, false);
            compression_text = Some(describe(compression));
            let options = WriteOptions::default().with_compression(compression);
            st::safetensors_to_npz_with(input, output, &options).map_err(lib)?;
        }
        (Some("npz"), Some("safetensors")) => st::npz_to_safetensors(input, output).map_err(lib)?,
        _ => {
            return Err(CliError::new(format!(
                "{} -> {}: safetensors converts to and from .npz only (.safetensors -> .npz, \
                 .npz -> .safetensors)",
                input.display(),
                output.display()
            )))
        }
    }
    let npz_side = if compression_text.is_some() {
        output
    } else {
        input
    };
    let written = npz::Reader::open(npz_side).map_err(lib)?.names();
    Ok(report(args, output, written, compression_text, json))
}

/// What a conversion says it did.
fn report(
    args: &Args,
    output: &Path,
    written: Vec<String>,
    compression_text: Option<String>,
    json: bool,
) -> Outcome {
    let bytes = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    let text = if json {
        serde_json::to_string_pretty(&json!({
            "input": args.input, "output": args.output, "members": written,
            "compression": compression_text, "bytes": bytes,
        }))
        .expect("JSON of plain values")
    } else {
        let members = |n: usize| format!("{n} member{}", if n == 1 { "" } else { "s" });
        let what = match (&compression_text, written.len()) {
            (Some(c), n) => format!("{} ({c})", members(n)),
            (None, n) if output.extension().is_some_and(|e| e == "safetensors") => members(n),
            (None, _) => "1 array".to_string(),
        };
        format!(
            "wrote {} ({what}, {})",
            output.display(),
            crate::numeric::human_bytes(bytes)
        )
    };
    Outcome::ok(text)
}

/// The text export: one array (a `.npy`, or the member named or the only one).
fn text(
    args: &Args,
    spec: &Spec,
    kind: Kind,
    member: Option<String>,
    output: &Path,
    json: bool,
) -> Result<Outcome> {
    let member = match (kind, member) {
        (Kind::Npz, None) => {
            let archive = npz::Reader::open(&spec.path).map_err(lib)?;
            if archive.len() != 1 {
                return Err(CliError::new(format!(
                    "{}: the archive has {} members: name one with --member NAME or \
                     FILE:MEMBER",
                    spec.path.display(),
                    archive.len()
                )));
            }
            archive.names().into_iter().next()
        }
        (_, member) => member,
    };
    let options = super::export::TextOptions {
        fmt: args.fmt.as_deref(),
        delimiter: args.delimiter.as_deref(),
    };
    let lines = super::export::export(spec, member.as_deref(), output, &options)?;
    let bytes = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    let text = if json {
        serde_json::to_string_pretty(&json!({
            "input": args.input, "output": args.output, "members": member.into_iter().collect::<Vec<_>>(),
            "compression": null, "bytes": bytes, "lines": lines,
        }))
        .expect("JSON of plain values")
    } else {
        format!(
            "wrote {} ({lines} line{} of text, {})",
            output.display(),
            if lines == 1 { "" } else { "s" },
            crate::numeric::human_bytes(bytes)
        )
    };
    Ok(Outcome::ok(text))
}

fn choose(args: &Args, default_compressed: bool) -> Compression {
    match (args.compress, args.store) {
        (Some(level), _) => Compression::Deflate { level },
        (None, true) => Compression::Stored,
        (None, false) if default_compressed => Compression::NUMPY_DEFLATE,
        (None, false) => Compression::Stored,
    }
}

fn describe(compression: Compression) -> String {
    match compression {
        Compression::Deflate { level } => format!("deflate-{level}"),
        _ => "stored".to_string(),
    }
}

/// `npy convert IN -`: the members of IN (all, or the one named) streamed as an `.npz` to
/// stdout, one at a time; the summary goes to stderr, as stdout carries the archive.
fn to_stdout(args: &Args, spec: &Spec, kind: Kind, member: Option<String>) -> Result<Outcome> {
    use std::io::Write;
    let options = crate::input::read_options();
    let stdout = std::io::stdout().lock();
    let (mut archive, names, compression) = match kind {
        Kind::Npz => {
            let archive = npz::Reader::open_with(&spec.path, &options).map_err(lib)?;
            let any_compressed = archive.members().iter().any(|m| m.compressed);
            let names = member.map_or_else(|| archive.names(), |name| vec![name]);
            (Some(archive), names, choose(args, any_compressed))
        }
        Kind::Npy => {
            let name = member.unwrap_or_else(|| {
                spec.path
                    .file_stem()
                    .map_or_else(|| "arr_0".into(), |s| s.to_string_lossy().into_owned())
            });
            (None, vec![name], choose(args, false))
        }
    };
    let write_options = WriteOptions::default().with_compression(compression);
    let mut writer = npz::Writer::streaming_with(stdout, &write_options).map_err(lib)?;
    let stdout_path = Path::new("<stdout>");
    for name in &names {
        let array: NpyArray = match &mut archive {
            Some(archive) => archive.read(name).map_err(lib)?,
            None => npy::load_with(&spec.path, &options).map_err(lib)?,
        };
        writer
            .add(name, &array)
            .map_err(|e| lib_in(e, stdout_path, Some(name.as_str())))?;
    }
    writer
        .finish()
        .and_then(|mut out| out.flush().map_err(Into::into))
        .map_err(|e| lib_in(e, stdout_path, None))?;
    eprintln!(
        "wrote {} member{} ({}) to stdout",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        describe(compression)
    );
    Ok(Outcome::ok(String::new()))
}
