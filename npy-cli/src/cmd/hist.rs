//! `npy hist`: a histogram of a numeric array, as bars in the terminal or as a PNG drawn
//! with plotters' bitmap backend (bars and axes only: no text, so no font libraries).
//! Two streaming passes when no `--range` is given (min and max first, as `np.histogram`
//! takes its range from the data), one otherwise; memory stays bounded. Bins follow
//! `np.histogram`: equal widths, the last bin includes its right edge, values outside
//! the range and NaN are left out (and counted).

use std::io::Read;
use std::path::Path;

use plotters::prelude::*;
use serde_json::json;

use crate::cmd::stats::{self, human_number};
use crate::error::{CliError, Result};
use crate::input::{Data, Kind, Opened, Spec};
use crate::numeric::Numeric;
use crate::Outcome;

/// Histogram of a numeric array: terminal bars or a PNG.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  npy hist checkpoint.npz:encoder/layer0/weight
  npy hist activations.npy --bins 50 --png activations.png
  npy hist a.npy --range -1:1

JSON: {\"name\", \"bins\", \"range\": [lo, hi], \"edges\": [bins + 1 numbers], \"counts\": [..],
\"left_out\": values outside the range, NaN and infinities}")]
pub struct Args {
    /// FILE (a .npy) or FILE:MEMBER.
    #[arg(value_name = "FILE[:MEMBER]")]
    spec: String,
    /// Number of equal-width bins.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    bins: u32,
    /// The range LO:HI (default: the data's finite min and max).
    #[arg(long, value_name = "LO:HI", allow_hyphen_values = true)]
    range: Option<String>,
    /// Write the histogram as an 800x480 PNG (bars and axes, no text) instead of printing bars.
    #[arg(long, value_name = "OUT.png")]
    png: Option<String>,
}

/// Calls `f` with the array's values as `f64`, chunk by chunk (`label`: FILE or
/// FILE:MEMBER, for messages).
fn scan(
    opened: &Opened,
    member: Option<&str>,
    label: &str,
    mut f: impl FnMut(&[f64]),
) -> Result<()> {
    let mut reader = opened.reader()?;
    let access = opened.array(reader.as_mut(), member)?;
    let numeric = Numeric::of(&access.info.header.dtype).ok_or_else(|| {
        CliError::new(format!(
            "{}: dtype {} is not numeric (bool, integer or float)",
            access.name,
            access.info.header.dtype.type_str()
        ))
    })?;
    let step = 64 * 1024 * numeric.size();
    let mut values = Vec::new();
    match access.data {
        Data::Slice(data) => {
            for part in data.chunks(step) {
                values.clear();
                numeric.decode_into(part, &mut values);
                f(&values);
            }
        }
        Data::Stream { mut reader, len } => {
            let mut bytes = vec![0u8; step];
            let mut left = len;
            while left > 0 {
                let got = left.min(step as u64) as usize;
                reader
                    .read_exact(&mut bytes[..got])
                    .map_err(|e| CliError::new(format!("{label}: {e}")))?;
                left -= got as u64;
                values.clear();
                numeric.decode_into(&bytes[..got], &mut values);
                f(&values);
            }
        }
    }
    Ok(())
}

fn parse_range(text: &str) -> Result<(f64, f64)> {
    let bad = || CliError::new(format!("--range {text:?}: expected LO:HI with LO < HI"));
    let (lo, hi) = text.split_once(':').ok_or_else(bad)?;
    let lo: f64 = lo.trim().parse().map_err(|_| bad())?;
    let hi: f64 = hi.trim().parse().map_err(|_| bad())?;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(bad());
    }
    Ok((lo, hi))
}

pub fn run(args: Args, json: bool) -> Result<Outcome> {
    let spec = Spec::parse(&args.spec);
    let opened = Opened::open(&spec.path)?;
    if opened.kind == Kind::Npz && spec.member.is_none() {
        return Err(CliError::new(format!(
            "{}: an .npz archive: name a member as FILE:MEMBER",
            spec.path.display()
        )));
    }
    let member = spec.member.as_deref();
    let label = spec.label();
    let (lo, hi) = match &args.range {
        Some(text) => parse_range(text)?,
        None => {
            let mut acc = stats::Acc::default();
            scan(&opened, member, &label, |values| acc.add_chunk(values))?;
            if acc.finite == 0 {
                (0.0, 1.0)
            } else if acc.min == acc.max {
                // np.histogram's range for a constant array.
                (acc.min - 0.5, acc.max + 0.5)
            } else {
                (acc.min, acc.max)
            }
        }
    };
    let bins = args.bins as usize;
    let mut counts = vec![0u64; bins];
    let mut left_out = 0u64;
    let scale = bins as f64 / (hi - lo);
    scan(&opened, member, &label, |values| {
        for &x in values {
            if !(x >= lo && x <= hi) {
                left_out += 1;
                continue;
            }
            let bin = (((x - lo) * scale) as usize).min(bins - 1);
            counts[bin] += 1;
        }
    })?;
    let edges: Vec<f64> = (0..=bins)
        .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
        .collect();
    if let Some(png) = &args.png {
        draw_png(Path::new(png), &counts)?;
    }
    let text = if json {
        serde_json::to_string_pretty(&json!({
            "name": label, "bins": bins, "range": [lo, hi], "edges": edges,
            "counts": counts, "left_out": left_out,
        }))
        .expect("JSON of plain values")
    } else if let Some(png) = &args.png {
        format!(
            "wrote {png} ({bins} bins over [{}, {}])",
            human_number(lo),
            human_number(hi)
        )
    } else {
        bars(&edges, &counts, left_out)
    };
    Ok(Outcome::ok(text))
}

/// Terminal bars: one line per bin, the longest 50 characters wide (eighths of a block).
fn bars(edges: &[f64], counts: &[u64], left_out: u64) -> String {
    const WIDTH: f64 = 50.0;
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let labels: Vec<(String, String)> = edges
        .windows(2)
        .map(|w| (human_number(w[0]), human_number(w[1])))
        .collect();
    let lo_width = labels.iter().map(|l| l.0.len()).max().unwrap_or(0);
    let hi_width = labels.iter().map(|l| l.1.len()).max().unwrap_or(0);
    let count_width = counts
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1);
    let mut lines = Vec::new();
    for (i, ((lo, hi), count)) in labels.iter().zip(counts).enumerate() {
        let close = if i + 1 == counts.len() { ']' } else { ')' };
        let eighths = (*count as f64 / max * WIDTH * 8.0).round() as usize;
        let bar = format!("{}{}", "█".repeat(eighths / 8), EIGHTHS[eighths % 8]);
        let line =
            format!("[{lo:>lo_width$}, {hi:>hi_width$}{close}  {count:>count_width$}  {bar}");
        lines.push(line.trim_end().to_string());
    }
    if left_out > 0 {
        lines.push(format!(
            "left out (outside the range, NaN or infinite): {left_out}"
        ));
    }
    lines.join("\n")
}

/// The histogram as an 800×480 PNG, written atomically (a temporary file renamed).
fn draw_png(path: &Path, counts: &[u64]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .ok_or_else(|| CliError::new(format!("{}: not a file name", path.display())))?;
    let temp_name = format!(".{}.{}.tmp.png", name.to_string_lossy(), std::process::id());
    let temp = match dir {
        Some(dir) => dir.join(temp_name),
        None => Path::new(&temp_name).to_path_buf(),
    };
    let result = (|| -> std::result::Result<(), Box<dyn std::error::Error>> {
        let (width, height) = (800u32, 480u32);
        let root = BitMapBackend::new(&temp, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right, top, bottom) = (40i32, 20i32, 20i32, 40i32);
        let plot_w = width as i32 - left - right;
        let plot_h = height as i32 - top - bottom;
        let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let n = counts.len() as f64;
        for (i, &count) in counts.iter().enumerate() {
            let x0 = left + (plot_w as f64 * i as f64 / n) as i32;
            let x1 = left + (plot_w as f64 * (i + 1) as f64 / n) as i32;
            let y0 = top + plot_h - (plot_h as f64 * count as f64 / max) as i32;
            root.draw(&Rectangle::new(
                [(x0, y0), (x1.max(x0 + 1), top + plot_h)],
                RGBColor(70, 130, 180).filled(),
            ))?;
            root.draw(&Rectangle::new(
                [(x0, y0), (x1.max(x0 + 1), top + plot_h)],
                WHITE.stroke_width(1),
            ))?;
        }
        let axis = BLACK.stroke_width(2);
        root.draw(&PathElement::new(
            vec![(left, top + plot_h), (left + plot_w, top + plot_h)],
            axis,
        ))?;
        root.draw(&PathElement::new(
            vec![(left, top), (left, top + plot_h)],
            axis,
        ))?;
        root.present()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(CliError::new(format!("{}: {e}", path.display())));
    }
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        CliError::io(path, e)
    })
}
