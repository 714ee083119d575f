//! `npy diff`: what `h5diff` does for `.npy` / `.npz`: members only in one input, dtype
//! and shape changes, and for comparable members the number of elements that differ and the
//! largest absolute and relative differences. Equal means within NumPy's `isclose` rule
//! `|a - b| <= atol + rtol * |b|` for every element (exact by default); exit status 0 when
//! equal, 1 when different, 2 on error.
//!
//! Numeric members (bool, integers, floats) are compared as `f64`, so `<f4` against `<f8`
//! is compared by value (and reported as a dtype change); other dtypes are compared
//! element by element as bytes and must have the same dtype. Data is streamed in chunks,
//! so memory stays bounded whatever the member sizes. Object arrays (with `--allow-pickle`)
//! are decoded by the library's safe pickle reader and compared value by value.

use std::io::Read;

use npy_serde::npy::ArrayData;
use npy_serde::text::shape_repr;
use serde_json::{json, Value};

use crate::cmd::stats::human_number;
use crate::error::{CliError, Result};
use crate::input::{lib, ArrayAccess, Data, Kind, Opened, Spec};
use crate::numeric::Numeric;
use crate::print::Strided;
use crate::{table, Outcome};

/// Elements compared per chunk.
const CHUNK_ELEMS: usize = 64 * 1024;

/// Compare two files or members (exit 0 equal, 1 different, 2 error).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  npy diff epoch3.npz epoch4.npz
  npy diff a.npy b.npy --rtol 1e-5 --atol 1e-8      (np.allclose's tolerances)
  npy diff run1.npz:weights run2.npz:weights --json

Two archives are compared member by member; a .npy or FILE:MEMBER is compared with the
other side as one array. The default tolerance is exact (rtol 0, atol 0); NaN never
equals NaN unless --equal-nan.

JSON: {\"a\", \"b\", \"rtol\", \"atol\", \"equal\", \"only_in_a\": [..], \"only_in_b\": [..],
\"members\": [{\"name\", \"status\": \"equal\" | \"different\" | \"shape_changed\" |
\"dtype_changed\", \"dtype_a\", \"dtype_b\", \"shape_a\", \"shape_b\", \"count\",
\"differing\", \"max_abs_diff\", \"max_rel_diff\"}]}")]
pub struct Args {
    /// First input: FILE or FILE:MEMBER.
    #[arg(value_name = "A")]
    a: String,
    /// Second input: FILE or FILE:MEMBER.
    #[arg(value_name = "B")]
    b: String,
    /// Relative tolerance.
    #[arg(long, default_value_t = 0.0)]
    rtol: f64,
    /// Absolute tolerance.
    #[arg(long, default_value_t = 0.0)]
    atol: f64,
    /// Count NaN in the same place in both as equal.
    #[arg(long)]
    equal_nan: bool,
}

/// How one pair of arrays compares.
#[derive(Debug, Default)]
pub struct Comparison {
    pub count: u64,
    pub differing: u64,
    pub max_abs: Option<f64>,
    pub max_rel: Option<f64>,
}

struct Tolerance {
    rtol: f64,
    atol: f64,
    equal_nan: bool,
}

impl Tolerance {
    fn compare(&self, a: &[f64], b: &[f64], out: &mut Comparison) {
        for (&x, &y) in a.iter().zip(b) {
            out.count += 1;
            if x.is_nan() || y.is_nan() {
                if !(self.equal_nan && x.is_nan() && y.is_nan()) {
                    out.differing += 1;
                }
                continue;
            }
            if x.is_infinite() || y.is_infinite() {
                if x != y {
                    out.differing += 1;
                }
                continue;
            }
            let diff = (x - y).abs();
            if diff > self.atol + self.rtol * y.abs() {
                out.differing += 1;
            }
            out.max_abs = Some(out.max_abs.map_or(diff, |m| m.max(diff)));
            let rel = if diff == 0.0 { 0.0 } else { diff / y.abs() };
            out.max_rel = Some(out.max_rel.map_or(rel, |m| m.max(rel)));
        }
    }
}

/// An array's data in C order, chunk by chunk.
struct Source<'a> {
    data: SourceData<'a>,
    pos: usize,
    label: String,
}

enum SourceData<'a> {
    Borrowed(Data<'a>),
    /// A Fortran-order array reordered to C order.
    Owned(Vec<u8>),
}

impl Source<'_> {
    /// Up to `len` next bytes (fewer only at the end), copied into `buffer`.
    fn next(&mut self, len: usize, buffer: &mut Vec<u8>) -> Result<usize> {
        buffer.resize(len, 0);
        let slice: &[u8] = match &mut self.data {
            SourceData::Owned(bytes) => bytes,
            SourceData::Borrowed(Data::Slice(slice)) => slice,
            SourceData::Borrowed(Data::Stream { reader, len: total }) => {
                let got = total.saturating_sub(self.pos as u64).min(len as u64) as usize;
                reader
                    .read_exact(&mut buffer[..got])
                    .map_err(|e| CliError::new(format!("{}: {e}", self.label)))?;
                self.pos += got;
                return Ok(got);
            }
        };
        let end = (self.pos + len).min(slice.len());
        let got = end - self.pos;
        buffer[..got].copy_from_slice(&slice[self.pos..end]);
        self.pos = end;
        Ok(got)
    }
}

/// The data of `access` as a C-order source (a Fortran-order array of 2 or more
/// dimensions is read whole and reordered).
fn c_order<'a>(access: ArrayAccess<'a>, label: &str) -> Result<Source<'a>> {
    let header = &access.info.header;
    // Zero-size elements have no bytes to reorder (however many the header declares).
    if !header.fortran_order || header.shape.len() < 2 || header.dtype.itemsize() == 0 {
        return Ok(Source {
            data: SourceData::Borrowed(access.data),
            pos: 0,
            label: label.to_string(),
        });
    }
    let data_len = header.data_len().map_err(lib)?;
    let bytes = access.data.into_bytes(data_len, label)?;
    let view = Strided::new(&bytes, header.dtype.clone(), header.shape.clone(), true);
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = vec![0usize; header.shape.len()];
    for _ in 0..view.size() {
        out.extend_from_slice(view.elem(&index));
        for axis in (0..index.len()).rev() {
            index[axis] += 1;
            if index[axis] < header.shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    Ok(Source {
        data: SourceData::Owned(out),
        pos: 0,
        label: label.to_string(),
    })
}

/// Compares two arrays of the same shape.
fn compare_data(
    a: ArrayAccess<'_>,
    b: ArrayAccess<'_>,
    labels: (&str, &str),
    tolerance: &Tolerance,
) -> Result<Comparison> {
    let dtype_a = a.info.header.dtype.clone();
    let dtype_b = b.info.header.dtype.clone();
    let mut out = Comparison::default();
    let mut source_a = c_order(a, labels.0)?;
    let mut source_b = c_order(b, labels.1)?;
    let (mut bytes_a, mut bytes_b) = (Vec::new(), Vec::new());
    match (Numeric::of(&dtype_a), Numeric::of(&dtype_b)) {
        (Some(na), Some(nb)) => {
            let (mut values_a, mut values_b) = (Vec::new(), Vec::new());
            loop {
                let got_a = source_a.next(CHUNK_ELEMS * na.size(), &mut bytes_a)?;
                let got_b = source_b.next(CHUNK_ELEMS * nb.size(), &mut bytes_b)?;
                if got_a == 0 || got_b == 0 {
                    break;
                }
                values_a.clear();
                values_b.clear();
                na.decode_into(&bytes_a[..got_a], &mut values_a);
                nb.decode_into(&bytes_b[..got_b], &mut values_b);
                tolerance.compare(&values_a, &values_b, &mut out);
            }
        }
        _ => {
            let size = dtype_a.itemsize().max(1);
            loop {
                let got_a = source_a.next(CHUNK_ELEMS * size, &mut bytes_a)?;
                let got_b = source_b.next(CHUNK_ELEMS * size, &mut bytes_b)?;
                if got_a == 0 || got_b == 0 {
                    break;
                }
                for (x, y) in bytes_a[..got_a]
                    .chunks_exact(size)
                    .zip(bytes_b[..got_b].chunks_exact(size))
                {
                    out.count += 1;
                    out.differing += u64::from(x != y);
                }
            }
        }
    }
    Ok(out)
}

/// One side of the comparison: an opened file and the member names it offers.
struct Side {
    spec: Spec,
    opened: Opened,
}

impl Side {
    fn open(text: &str) -> Result<Side> {
        let spec = Spec::parse(text);
        let opened = Opened::open(&spec.path)?;
        Ok(Side { spec, opened })
    }

    /// Compared member by member (an archive named without a member).
    fn is_archive(&self) -> bool {
        self.opened.kind == Kind::Npz && self.spec.member.is_none()
    }
}

pub fn run(args: Args, json: bool) -> Result<Outcome> {
    let tolerance = Tolerance {
        rtol: args.rtol,
        atol: args.atol,
        equal_nan: args.equal_nan,
    };
    if !(args.rtol >= 0.0 && args.atol >= 0.0) {
        return Err(CliError::new("--rtol and --atol must be 0 or more"));
    }
    let mut a = Side::open(&args.a)?;
    let mut b = Side::open(&args.b)?;
    // Pairs of (name, member of A, member of B).
    let mut pairs: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    match (a.is_archive(), b.is_archive()) {
        (true, true) => {
            let names_a = a.opened.names();
            let names_b = b.opened.names();
            let set_b: std::collections::HashSet<&String> = names_b.iter().collect();
            let set_a: std::collections::HashSet<&String> = names_a.iter().collect();
            for name in &names_a {
                if set_b.contains(name) {
                    pairs.push((name.clone(), Some(name.clone()), Some(name.clone())));
                } else {
                    only_a.push(name.clone());
                }
            }
            only_b.extend(names_b.iter().filter(|n| !set_a.contains(n)).cloned());
        }
        (false, false) => pairs.push((String::new(), a.spec.member.clone(), b.spec.member.clone())),
        _ => {
            return Err(CliError::new(format!(
                "cannot compare a whole archive with one array ({} and {}): name a member as \
                 FILE:MEMBER",
                a.spec.label(),
                b.spec.label()
            )))
        }
    }
    let mut reader_a = a.opened.reader()?;
    let mut reader_b = b.opened.reader()?;
    let mut t = table::plain();
    t.set_header(vec![
        "member",
        "status",
        "dtype",
        "shape",
        "differing",
        "max abs diff",
        "max rel diff",
    ]);
    let mut members = Vec::new();
    let mut all_equal = only_a.is_empty() && only_b.is_empty();
    for (name, member_a, member_b) in &pairs {
        let header_a = a.opened.header(member_a.as_deref())?.header;
        let header_b = b.opened.header(member_b.as_deref())?.header;
        let shown = if name.is_empty() { "-" } else { name.as_str() };
        let dtype_text = if header_a.dtype == header_b.dtype {
            header_a.dtype.type_str()
        } else {
            format!(
                "{} -> {}",
                header_a.dtype.type_str(),
                header_b.dtype.type_str()
            )
        };
        let shape_shown = if header_a.shape == header_b.shape {
            shape_repr(&header_a.shape)
        } else {
            format!(
                "{} -> {}",
                shape_repr(&header_a.shape),
                shape_repr(&header_b.shape)
            )
        };
        let comparable = header_a.shape == header_b.shape
            && (header_a.dtype == header_b.dtype
                || (Numeric::of(&header_a.dtype).is_some()
                    && Numeric::of(&header_b.dtype).is_some()));
        let mut value = json!({
            "name": name,
            "dtype_a": header_a.dtype.type_str(),
            "dtype_b": header_b.dtype.type_str(),
            "shape_a": header_a.shape,
            "shape_b": header_b.shape,
        });
        let status;
        let objects = (header_a.dtype.has_object(), header_b.dtype.has_object());
        if objects != (false, false) {
            // Object arrays: decoded by the safe pickle reader (with --allow-pickle) and
            // compared value by value (Python's ==, NaN unequal).
            let array_a = a.opened.load_array(member_a.as_deref())?;
            let array_b = b.opened.load_array(member_b.as_deref())?;
            let (count, differing) = match (array_a.data(), array_b.data()) {
                (ArrayData::Object(va), ArrayData::Object(vb))
                    if header_a.shape == header_b.shape =>
                {
                    let differing = va.iter().zip(vb).filter(|(x, y)| x != y).count();
                    (Some(va.len()), Some(differing))
                }
                _ => (None, None),
            };
            status = match differing {
                None if header_a.shape != header_b.shape => "shape_changed",
                None => "dtype_changed",
                Some(0) => "equal",
                Some(_) => "different",
            };
            t.add_row(vec![
                shown.to_string(),
                status.to_string(),
                dtype_text,
                shape_shown,
                match (differing, count) {
                    (Some(d), Some(c)) => format!("{d} of {c}"),
                    _ => "-".into(),
                },
                "-".into(),
                "-".into(),
            ]);
            value["count"] = json!(count);
            value["differing"] = json!(differing);
            value["max_abs_diff"] = Value::Null;
            value["max_rel_diff"] = Value::Null;
            value["status"] = json!(status);
            all_equal &= status == "equal";
            members.push(value);
            continue;
        }
        // Both arrays are opened even when not compared: a file whose data is missing is
        // an error, not a shape change.
        let access_a = a.opened.array(reader_a.as_mut(), member_a.as_deref())?;
        let access_b = b.opened.array(reader_b.as_mut(), member_b.as_deref())?;
        if comparable {
            let label_a = label(&a.spec, member_a);
            let label_b = label(&b.spec, member_b);
            let result = compare_data(access_a, access_b, (&label_a, &label_b), &tolerance)?;
            status = if header_a.dtype != header_b.dtype {
                "dtype_changed"
            } else if result.differing > 0 {
                "different"
            } else {
                "equal"
            };
            let number = |v: Option<f64>| v.map_or("-".to_string(), human_number);
            t.add_row(vec![
                shown.to_string(),
                status.to_string(),
                dtype_text,
                shape_shown,
                format!("{} of {}", result.differing, result.count),
                number(result.max_abs),
                number(result.max_rel),
            ]);
            value["count"] = json!(result.count);
            value["differing"] = json!(result.differing);
            value["max_abs_diff"] = json!(result.max_abs);
            value["max_rel_diff"] = json!(result.max_rel);
        } else {
            status = if header_a.shape != header_b.shape {
                "shape_changed"
            } else {
                "dtype_changed"
            };
            t.add_row(vec![
                shown.to_string(),
                status.to_string(),
                dtype_text,
                shape_shown,
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
            value["count"] = Value::Null;
            value["differing"] = Value::Null;
            value["max_abs_diff"] = Value::Null;
            value["max_rel_diff"] = Value::Null;
        }
        value["status"] = json!(status);
        all_equal &= status == "equal";
        members.push(value);
    }
    table::align_right(&mut t, &[4, 5, 6]);
    let text = if json {
        serde_json::to_string_pretty(&json!({
            "a": args.a, "b": args.b, "rtol": args.rtol, "atol": args.atol,
            "equal": all_equal, "only_in_a": only_a, "only_in_b": only_b,
            "members": members,
        }))
        .expect("JSON of plain values")
    } else {
        let mut lines = Vec::new();
        for name in &only_a {
            lines.push(format!("only in {}: {name}", args.a));
        }
        for name in &only_b {
            lines.push(format!("only in {}: {name}", args.b));
        }
        if !pairs.is_empty() {
            lines.push(table::render(t));
        }
        lines.push(if all_equal {
            format!("equal (rtol {}, atol {})", args.rtol, args.atol)
        } else {
            format!("different (rtol {}, atol {})", args.rtol, args.atol)
        });
        lines.join("\n")
    };
    Ok(Outcome {
        text,
        status: if all_equal { 0 } else { 1 },
    })
}

fn label(spec: &Spec, member: &Option<String>) -> String {
    Spec {
        path: spec.path.clone(),
        member: member.clone(),
    }
    .label()
}
