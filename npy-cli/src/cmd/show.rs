//! `npy show`: values as NumPy prints them, records as a table. Only the rows asked for are
//! read from a `.npy` or a stored member (they are mapped); a deflated member is inflated
//! whole, since deflate cannot be entered in the middle.

use npy_serde::dtype::{DType, Field};
use serde_json::{json, Value};

use crate::error::{CliError, Result};
use crate::input::{lib, ArrayAccess, Kind, Opened, Spec};
use crate::numeric::numpy_text;
use crate::print::{self, Strided};
use crate::Outcome;

/// Print values as NumPy does (records as a table).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  npy show weights.npy
  npy show checkpoint.npz:encoder/layer0/weight --rows 0:4
  npy show particles.npy --fields id,mass --rows 100:110
  npy show s3://bucket/checkpoint.npz:embeddings --rows 0:5

Arrays of more than 1000 elements are summarised with '...' (3 items at each end of an
axis), as NumPy prints them. Without :MEMBER every member of an archive is shown.

JSON: an array of {\"name\", \"dtype\", \"shape\", \"rows\": [start, end] or null,
\"summarised\", \"values\"}: values nested as the array, \"...\" where summarised, records
as objects, NaN and infinities as strings, datetimes as ISO text. For a URL also
\"fetched\": {\"requests\", \"bytes\"} (the header and the rows asked for only).")]
pub struct Args {
    /// FILE or FILE:MEMBER.
    #[arg(value_name = "FILE[:MEMBER]")]
    spec: String,
    /// Rows (first axis) to show, as START:END (either may be left out).
    #[arg(long, value_name = "A:B")]
    rows: Option<String>,
    /// Record fields to show, comma-separated.
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    fields: Vec<String>,
}

/// `A:B`, `A:`, `:B` or `A` (one row).
pub fn parse_rows(text: &str) -> Result<(usize, usize)> {
    let bad = || CliError::new(format!("--rows {text:?}: expected START:END, e.g. 0:10"));
    let number = |s: &str, default: usize| -> Result<usize> {
        if s.trim().is_empty() {
            Ok(default)
        } else {
            s.trim().parse().map_err(|_| bad())
        }
    };
    match text.split_once(':') {
        Some((a, b)) => Ok((number(a, 0)?, number(b, usize::MAX)?)),
        None => {
            let row = number(text, 0)?;
            Ok((row, row.saturating_add(1)))
        }
    }
}

pub fn run(args: Args, json: bool) -> Result<Outcome> {
    let spec = Spec::parse(&args.spec);
    let rows = args.rows.as_deref().map(parse_rows).transpose()?;
    if spec.is_url() {
        return show_url(&spec, rows, &args.fields, json);
    }
    let mut opened = Opened::open(&spec.path)?;
    let members: Vec<Option<String>> = match (opened.kind, &spec.member) {
        (Kind::Npz, None) => opened.names().into_iter().map(Some).collect(),
        (_, member) => vec![member.clone()],
    };
    let several = members.len() > 1;
    let mut texts = Vec::new();
    let mut values = Vec::new();
    let mut reader = opened.reader()?;
    for member in &members {
        let label = Spec {
            path: spec.path.clone(),
            member: member.clone(),
        }
        .label();
        let header = opened.header(member.as_deref())?;
        let (text, value) = if header.header.dtype.has_object() {
            let name = member.clone().unwrap_or_else(|| opened.npy_name());
            show_objects(&opened, member.as_deref(), &name, rows, &args.fields, 0)?
        } else {
            let access = opened.array(reader.as_mut(), member.as_deref())?;
            show_one(access, &label, rows, &args.fields, 0)?
        };
        if several {
            let name = member.as_deref().unwrap_or_default();
            texts.push(format!("{name}:\n{text}"));
        } else {
            texts.push(text);
        }
        values.push(value);
    }
    if members.is_empty() {
        texts.push(format!(
            "{}: the archive has no members",
            spec.path.display()
        ));
    }
    let text = if json {
        serde_json::to_string_pretty(&Value::Array(values)).expect("JSON of plain values")
    } else {
        texts.join("\n\n")
    };
    Ok(Outcome::ok(text))
}

/// A URL: the `.npy` or the members asked for, fetching only the rows asked for (each
/// member's header, then exactly those rows' bytes; a deflated member up to the last row).
fn show_url(
    spec: &Spec,
    rows: Option<(usize, usize)>,
    fields: &[String],
    json: bool,
) -> Result<Outcome> {
    let url = spec.path.to_string_lossy().into_owned();
    let archive = url.to_ascii_lowercase().ends_with(".npz");
    let members: Vec<Option<String>> = match &spec.member {
        Some(member) => vec![Some(member.clone())],
        None if archive => crate::remote::names(&url)?.into_iter().map(Some).collect(),
        None => vec![None],
    };
    let mut texts = Vec::new();
    let mut values = Vec::new();
    for member in &members {
        let label = Spec {
            path: spec.path.clone(),
            member: member.clone(),
        }
        .label();
        let wanted = rows.map(|(a, b)| (a as u64, b as u64));
        let fetched = crate::remote::read_rows(&url, member.as_deref(), wanted)?;
        let origin = fetched.start as usize;
        let mut opened = Opened::from_bytes(std::path::Path::new(&label), fetched.npy)?;
        let info = opened.header(None)?;
        let rows_fetched = info.header.shape.first().copied().unwrap_or(0);
        let local_rows = if fetched.applied {
            rows.map(|_| (0, rows_fetched))
        } else {
            rows
        };
        let fetched = fetched.fetched;
        let name = member.clone().unwrap_or_else(|| opened.npy_name());
        let (text, mut value) = if info.header.dtype.has_object() {
            show_objects(&opened, None, &name, local_rows, fields, origin)?
        } else {
            let access = opened.array(None, None)?;
            show_one(access, &label, local_rows, fields, origin)?
        };
        value["name"] = json!(name);
        value["fetched"] = fetched;
        if members.len() > 1 {
            texts.push(format!("{name}:\n{text}"));
        } else {
            texts.push(text);
        }
        values.push(value);
    }
    let text = if json {
        serde_json::to_string_pretty(&Value::Array(values)).expect("JSON of plain values")
    } else {
        texts.join("\n\n")
    };
    Ok(Outcome::ok(text))
}

/// An object array, read whole by the library's safe pickle reader (with
/// `--allow-pickle`; refused naming the flag without it), printed as NumPy prints it.
fn show_objects(
    opened: &Opened,
    member: Option<&str>,
    name: &str,
    rows: Option<(usize, usize)>,
    fields: &[String],
    origin: usize,
) -> Result<(String, Value)> {
    let array = opened.load_array(member)?;
    let dtype = numpy_text(array.dtype());
    if !fields.is_empty() {
        return Err(CliError::new(format!(
            "{name}: --fields: the dtype {dtype} has no fields"
        )));
    }
    let Some(objects) = array.into_objects() else {
        return Err(CliError::new(format!(
            "{name}: records with object fields cannot be shown yet (dtype {dtype})"
        )));
    };
    if rows.is_some() && objects.shape.is_empty() {
        return Err(CliError::new(format!(
            "{name}: --rows: a 0-d array has no rows"
        )));
    }
    let text = print::objects_to_string(&objects.shape, &objects.values, rows);
    let first = objects.shape.first().copied().unwrap_or(0);
    let shown: usize = match rows {
        Some((a, b)) => b.min(first).saturating_sub(a.min(first)),
        None => first,
    } * objects.shape.iter().skip(1).product::<usize>();
    let value = json!({
        "name": name,
        "dtype": dtype,
        "shape": objects.shape,
        "rows": rows.map(|(a, b)| vec![origin + a.min(first), origin + b.min(first)]),
        "summarised": shown > print::THRESHOLD,
        "values": print::object_json(&objects.shape, &objects.values, rows),
    });
    Ok((text, value))
}

/// `origin`: the index in the whole array of the data's first row (rows fetched from a URL
/// are the data; their numbers in the output count from `origin`).
fn show_one(
    access: ArrayAccess<'_>,
    label: &str,
    rows: Option<(usize, usize)>,
    fields: &[String],
    origin: usize,
) -> Result<(String, Value)> {
    let header = access.info.header.clone();
    let data_len = header.data_len().map_err(lib)?;
    // A deflated member is inflated only as far as the last row asked for (C order).
    let mut shape = header.shape.clone();
    let mut wanted = data_len;
    if let (Some((_, end)), false, Some(&n)) = (rows, header.fortran_order, shape.first()) {
        let rows_kept = end.min(n);
        let row_bytes = if n == 0 { 0 } else { data_len / n as u64 };
        wanted = row_bytes * rows_kept as u64;
        shape[0] = rows_kept;
    }
    if print::shown_count(&shape) > print::MAX_SHOWN {
        return Err(CliError::new(format!(
            "{label}: shape {:?} would print more than {} elements (zero-size elements); \
             use --rows to choose fewer",
            header.shape,
            print::MAX_SHOWN
        )));
    }
    let bytes = access.data.into_bytes(wanted, label)?;
    let mut view = Strided::new(&bytes, header.dtype.clone(), shape, header.fortran_order);
    if let Some((start, end)) = rows {
        if header.shape.is_empty() {
            return Err(CliError::new(format!(
                "{label}: --rows: a 0-d array has no rows"
            )));
        }
        view = view.rows(start, end);
    }
    let record_fields = match &header.dtype {
        DType::Record(record) => {
            let chosen: Vec<Field> = if fields.is_empty() {
                record.fields.clone()
            } else {
                fields
                    .iter()
                    .map(|name| {
                        record.field(name).cloned().ok_or_else(|| {
                            let names: Vec<&str> =
                                record.fields.iter().map(|f| f.name.as_str()).collect();
                            CliError::new(format!(
                                "{label}: no field {name:?} (fields: {})",
                                names.join(", ")
                            ))
                        })
                    })
                    .collect::<Result<_>>()?
            };
            Some(chosen)
        }
        _ if !fields.is_empty() => {
            return Err(CliError::new(format!(
                "{label}: --fields: the dtype {} has no fields",
                numpy_text(&header.dtype)
            )))
        }
        _ => None,
    };
    let text = match &record_fields {
        Some(fields) if !view.shape.is_empty() => {
            print::record_table(&view, fields, origin + rows.map_or(0, |r| r.0))
        }
        _ => print::array_to_string(&view),
    };
    let value = json!({
        "name": access.name,
        "dtype": numpy_text(&header.dtype),
        "shape": header.shape,
        "rows": rows.map(|(a, b)| {
            let n = header.shape.first().copied().unwrap_or(0);
            vec![origin + a.min(n), origin + b.min(n)]
        }),
        "summarised": view.size() > print::THRESHOLD,
        "values": print::to_json(&view, record_fields.as_deref()),
    });
    Ok((text, value))
}
