//! Text export for `npy convert x.npy x.csv` / `.tsv`, in `np.savetxt`'s spirit: a 1-d
//! array is one value per line, a 2-d array one row per line, a 1-d record array one
//! record per line under a header line (`# a,b`, savetxt's `header` with `comments='# '`);
//! numbers through a printf format (`--fmt`, default `%.18e` for floats as savetxt's,
//! `%d` for integers and booleans), text and dates as text. Anything else is refused,
//! naming what cannot be written. The file is written atomically (a temporary file in the
//! same directory, renamed).

use std::io::Write;
use std::path::Path;

use npy_serde::dtype::{DType, Field};

use crate::error::{CliError, Result};
use crate::input::{lib, Opened, Spec};
use crate::print::{self, Strided};
use crate::printf::{Cell, Format};

/// How one column's elements become cells.
#[derive(Clone, Copy, PartialEq)]
enum ColumnKind {
    Int,
    Float,
    Text,
    Time,
}

fn column_kind(dtype: &DType) -> Option<ColumnKind> {
    Some(match dtype {
        DType::Bool => ColumnKind::Int,
        DType::Int { size, .. } | DType::UInt { size, .. } if *size <= 8 => ColumnKind::Int,
        DType::Float { size, .. } if *size <= 8 => ColumnKind::Float,
        DType::Unicode { .. } | DType::Bytes { .. } => ColumnKind::Text,
        DType::DateTime { .. } | DType::TimeDelta { .. } => ColumnKind::Time,
        _ => return None,
    })
}

/// A column: which bytes of an element, of which dtype.
struct Column {
    dtype: DType,
    offset: usize,
    kind: ColumnKind,
}

impl Column {
    fn cell(&self, elem: &[u8]) -> Cell {
        let bytes = &elem[self.offset..self.offset + self.dtype.itemsize()];
        match self.kind {
            ColumnKind::Int => Cell::Int(print::int_of(&self.dtype, bytes)),
            ColumnKind::Float => Cell::Float(print::float_of(&self.dtype, bytes)),
            ColumnKind::Text => Cell::Text(print::text_of(&self.dtype, bytes)),
            ColumnKind::Time => Cell::Text(print::time_cell_text(&self.dtype, bytes)),
        }
    }

    fn default_format(&self) -> &'static str {
        match self.kind {
            ColumnKind::Float => "%.18e",
            ColumnKind::Int => "%d",
            ColumnKind::Text | ColumnKind::Time => "%s",
        }
    }
}

/// Options of the text export.
pub struct TextOptions<'a> {
    pub fmt: Option<&'a str>,
    pub delimiter: Option<&'a str>,
}

/// Writes `spec` (a `.npy` or member `member`) to `output` as delimited text; returns the
/// number of lines of data written.
pub fn export(
    spec: &Spec,
    member: Option<&str>,
    output: &Path,
    options: &TextOptions<'_>,
) -> Result<usize> {
    let tsv = output.extension().is_some_and(|e| e == "tsv");
    let delimiter = options.delimiter.unwrap_or(if tsv { "\t" } else { "," });
    let mut opened = Opened::open(&spec.path)?;
    let label = Spec {
        path: spec.path.clone(),
        member: member.map(str::to_string),
    }
    .label();
    let header = opened.header(member)?.header;
    let refuse = |what: String| {
        CliError::new(format!(
            "{label}: cannot be written as text: {what} (text export takes 1-d and 2-d arrays \
             of booleans, integers, floats, strings and dates, and 1-d records of them)"
        ))
    };
    let (columns, names): (Vec<Column>, Vec<String>) = match &header.dtype {
        DType::Record(record) => {
            if header.shape.len() != 1 {
                return Err(refuse(format!(
                    "a record array of {} dimensions",
                    header.shape.len()
                )));
            }
            let columns = record
                .fields
                .iter()
                .map(|f: &Field| {
                    column_kind(&f.dtype)
                        .map(|kind| Column {
                            dtype: f.dtype.clone(),
                            offset: f.offset,
                            kind,
                        })
                        .ok_or_else(|| refuse(format!("field {:?} is {}", f.name, f.dtype.name())))
                })
                .collect::<Result<Vec<_>>>()?;
            let names = record.fields.iter().map(|f| f.name.clone()).collect();
            (columns, names)
        }
        dtype => {
            let kind = column_kind(dtype).ok_or_else(|| refuse(dtype.name()))?;
            if !(1..=2).contains(&header.shape.len()) {
                return Err(refuse(format!(
                    "{} dimensions (shape {})",
                    header.shape.len(),
                    npy_serde::text::shape_repr(&header.shape)
                )));
            }
            let width = header.shape.get(1).copied().unwrap_or(1);
            let columns = (0..width)
                .map(|_| Column {
                    dtype: dtype.clone(),
                    offset: 0,
                    kind,
                })
                .collect();
            (columns, Vec::new())
        }
    };
    // One format for every column, or one specifier per column (savetxt's row format).
    let user = options.fmt.map(Format::parse).transpose()?;
    let formats: Vec<Format> = match &user {
        Some(format) if format.specs() == 1 => vec![format.clone(); columns.len()],
        Some(format) if format.specs() == columns.len() => Vec::new(),
        Some(format) => {
            return Err(CliError::new(format!(
                "--fmt: {} specifiers for {} columns (give one, or one per column)",
                format.specs(),
                columns.len()
            )))
        }
        None => columns
            .iter()
            .map(|c| Format::parse(c.default_format()))
            .collect::<Result<_>>()?,
    };
    let mut reader = opened.reader()?;
    let access = opened.array(reader.as_mut(), member)?;
    let data_len = header.data_len().map_err(lib)?;
    let bytes = access.data.into_bytes(data_len, &label)?;
    let view = Strided::new(
        &bytes,
        header.dtype.clone(),
        header.shape.clone(),
        header.fortran_order,
    );
    let rows = header.shape[0];
    let width = header.shape.get(1).copied().unwrap_or(1);
    let mut text = String::new();
    if !names.is_empty() {
        text.push_str("# ");
        text.push_str(&names.join(delimiter));
        text.push('\n');
    }
    let mut cells = Vec::with_capacity(columns.len());
    for row in 0..rows {
        cells.clear();
        for (index, column) in columns.iter().enumerate() {
            let elem = match (header.shape.len(), names.is_empty()) {
                (2, _) => view.elem(&[row, index]),
                _ => view.elem(&[row]),
            };
            cells.push(column.cell(elem));
        }
        if formats.is_empty() {
            text.push_str(&user.as_ref().expect("a row format").apply(&cells));
        } else {
            for (index, (cell, format)) in cells.iter().zip(&formats).enumerate() {
                if index > 0 {
                    text.push_str(delimiter);
                }
                text.push_str(&format.apply(std::slice::from_ref(cell)));
            }
        }
        text.push('\n');
    }
    debug_assert!(width == columns.len() || !names.is_empty());
    write_atomically(output, text.as_bytes())?;
    Ok(rows)
}

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed over
/// it: a failed export leaves an old file whole.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| CliError::io(path, e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| CliError::io(path, e))?;
    temp.persist(path)
        .map_err(|e| CliError::io(path, e.error))?;
    Ok(())
}
