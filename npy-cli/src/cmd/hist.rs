//! `npy hist`: a histogram of a numeric array, as bars in the terminal or as a PNG drawn
//! with plotters' bitmap backend: bars, axes with values (bin edges on x, counts on y,
//! linear or `--log`), a title naming the file and member and the NaN / inf count left
//! out. Text is drawn with DejaVu Sans (Bitstream Vera license, `assets/LICENSE-DejaVu.txt`)
//! bundled into the binary through plotters' ab_glyph backend: no system fonts needed.
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
\"left_out\": values outside the range, NaN and infinities, \"nonfinite\": NaN and infinities,
\"png\": null or {\"file\", \"width\", \"height\", \"log\", \"x_ticks\": [{\"x\", \"y\", \"text\"}]}
(the pixel position of each labelled bin edge on the x axis)}")]
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
    /// Write the histogram as an 800x480 PNG (bars, axis values, title) instead of printing bars.
    #[arg(long, value_name = "OUT.png")]
    png: Option<String>,
    /// A logarithmic count axis (PNG and terminal bars).
    #[arg(long)]
    log: bool,
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
    let mut nonfinite = 0u64;
    let scale = bins as f64 / (hi - lo);
    scan(&opened, member, &label, |values| {
        for &x in values {
            if !(x >= lo && x <= hi) {
                left_out += 1;
                nonfinite += u64::from(!x.is_finite());
                continue;
            }
            let bin = (((x - lo) * scale) as usize).min(bins - 1);
            counts[bin] += 1;
        }
    })?;
    let edges: Vec<f64> = (0..=bins)
        .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
        .collect();
    let mut png_json = serde_json::Value::Null;
    if let Some(png) = &args.png {
        let title = format!(
            "{label}: {} values, {nonfinite} NaN/inf excluded",
            counts.iter().sum::<u64>()
        );
        let ticks = draw_png(Path::new(png), &edges, &counts, &title, args.log)?;
        png_json = json!({
            "file": png, "width": PNG_SIZE.0, "height": PNG_SIZE.1, "log": args.log,
            "x_ticks": ticks.iter().map(|(x, y, text)| json!({"x": x, "y": y, "text": text}))
                .collect::<Vec<_>>(),
        });
    }
    let text = if json {
        serde_json::to_string_pretty(&json!({
            "name": label, "bins": bins, "range": [lo, hi], "edges": edges,
            "counts": counts, "left_out": left_out, "nonfinite": nonfinite, "png": png_json,
        }))
        .expect("JSON of plain values")
    } else if let Some(png) = &args.png {
        format!(
            "wrote {png} ({bins} bins over [{}, {}])",
            human_number(lo),
            human_number(hi)
        )
    } else {
        bars(&edges, &counts, left_out, args.log)
    };
    Ok(Outcome::ok(text))
}

/// Terminal bars: one line per bin, the longest 50 characters wide (eighths of a block).
fn bars(edges: &[f64], counts: &[u64], left_out: u64, log: bool) -> String {
    const WIDTH: f64 = 50.0;
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    // A log scale draws log(1 + count), so that a count of 1 still shows.
    let height = |c: u64| if log { (c as f64).ln_1p() } else { c as f64 };
    let max = height(counts.iter().copied().max().unwrap_or(0)).max(1e-300);
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
        let eighths = (height(*count) / max * WIDTH * 8.0).round() as usize;
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

/// The PNG's size and layout (the tests read the picture with the same numbers).
pub const PNG_SIZE: (u32, u32) = (800, 480);

/// Registers the bundled font with plotters once.
fn register_font() -> Result<()> {
    static RESULT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *RESULT.get_or_init(|| {
        plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/DejaVuSans.ttf"),
        )
        .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(CliError::new(
            "the bundled font could not be loaded (internal error)",
        ))
    }
}

/// A tick's value in 4 significant digits (`%.4g`).
fn tick_text(x: f64) -> String {
    let format = crate::printf::Format::parse("%.4g").expect("a valid format");
    format.apply(&[crate::printf::Cell::Float(x)])
}

/// Tick marks and values at `(x, y-of-axis, text)`.
fn draw_x_ticks(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    ticks: &[(i32, i32, String)],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let style = TextStyle::from(("sans-serif", 13).into_font()).pos(
        plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ),
    );
    for (x, y, text) in ticks {
        root.draw(&PathElement::new(vec![(*x, *y), (*x, *y + 5)], BLACK))?;
        root.draw(&Text::new(text.clone(), (*x, *y + 7), style.clone()))?;
    }
    Ok(())
}

/// At most this many x labels; bin edges are labelled every `k`-th so that they fit.
const MAX_X_LABELS: usize = 11;

/// The histogram as an 800×480 PNG, written atomically (a temporary file renamed).
/// Returns the x ticks drawn: (pixel x, pixel y of the axis, text).
fn draw_png(
    path: &Path,
    edges: &[f64],
    counts: &[u64],
    title: &str,
    log: bool,
) -> Result<Vec<(i32, i32, String)>> {
    register_font()?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .ok_or_else(|| CliError::new(format!("{}: not a file name", path.display())))?;
    let temp_name = format!(".{}.{}.tmp.png", name.to_string_lossy(), std::process::id());
    let temp = match dir {
        Some(dir) => dir.join(temp_name),
        None => Path::new(&temp_name).to_path_buf(),
    };
    let mut drawn = Vec::new();
    let result = (|| -> std::result::Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(&temp, PNG_SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let (lo, hi) = (edges[0], edges[edges.len() - 1]);
        let max = counts.iter().copied().max().unwrap_or(0).max(1);
        let step = edges.len().div_ceil(MAX_X_LABELS).max(1);
        let key_points: Vec<f64> = edges.iter().copied().step_by(step).collect();
        // The bin edges labelled below the x axis: a tick and the value, centred.
        let label_edges = |to_pixel: &dyn Fn(f64) -> (i32, i32)| -> Vec<(i32, i32, String)> {
            key_points
                .iter()
                .map(|&x| {
                    let (px, py) = to_pixel(x);
                    (px, py, tick_text(x))
                })
                .collect()
        };
        let bar_style = RGBColor(70, 130, 180).filled();
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .margin_right(32)
            .x_label_area_size(44)
            .y_label_area_size(64);
        let x_desc = "bin edges";
        if log {
            let mut chart =
                builder.build_cartesian_2d(lo..hi, (0.5f64..max as f64 * 1.5).log_scale())?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_desc(x_desc)
                .y_desc("count (log)")
                .x_labels(0)
                .y_label_formatter(&|v| human_number(*v))
                .label_style(("sans-serif", 13))
                .draw()?;
            chart.draw_series(counts.iter().enumerate().filter(|(_, &c)| c > 0).map(
                |(i, &c)| Rectangle::new([(edges[i], 0.5), (edges[i + 1], c as f64)], bar_style),
            ))?;
            let ticks = label_edges(&|x| chart.backend_coord(&(x, 0.5)));
            draw_x_ticks(&root, &ticks)?;
            drawn = ticks;
        } else {
            let mut chart = builder.build_cartesian_2d(lo..hi, 0f64..max as f64 * 1.05)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_desc(x_desc)
                .y_desc("count")
                .x_labels(0)
                .y_label_formatter(&|v| human_number(*v))
                .label_style(("sans-serif", 13))
                .draw()?;
            chart.draw_series(counts.iter().enumerate().map(|(i, &c)| {
                Rectangle::new([(edges[i], 0.0), (edges[i + 1], c as f64)], bar_style)
            }))?;
            let ticks = label_edges(&|x| chart.backend_coord(&(x, 0.0)));
            draw_x_ticks(&root, &ticks)?;
            drawn = ticks;
        }
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
    })?;
    Ok(drawn)
}
