//! `npy stats`: count, min, max, mean, std, NaN/Inf and zero counts of numeric arrays, in
//! one pass and bounded memory.
//!
//! Mapped data (a `.npy`, a stored member) is cut into pieces of at most 32 MiB that the
//! threads share, so one large member uses every core; a deflated member is inflated as a
//! stream by one thread, 1 MiB at a time. Each chunk of 64 Ki elements is summed twice
//! while it is in cache (mean, then squared deviations from the chunk's mean) and merged
//! with Chan et al.'s pairwise update, which keeps the variance accurate where
//! sum-of-squares would cancel. min, max, mean and std are of the finite values (NaN and
//! infinities are counted apart, as `np.nanmean` ignores NaN). Integers are summarised as
//! `f64`, exact up to 2^53: min and max of larger 64-bit integers are rounded.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use npy_serde::dtype::DType;
use serde_json::{json, Value};

use crate::error::{CliError, Result};
use crate::input::{lib, Data, Kind, Opened, Spec};
use crate::numeric::Numeric;
use crate::{table, Outcome};

/// Elements summarised per chunk (512 KiB of f64: fits in L2).
const CHUNK_ELEMS: usize = 64 * 1024;
/// Mapped data is split into pieces of this size for the threads.
const PIECE_BYTES: usize = 32 << 20;

/// Summary statistics of numeric arrays, in one pass.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  npy stats weights.npy
  npy stats checkpoint.npz                 (every member)
  npy stats checkpoint.npz:encoder/w a.npy

min, max, mean and std (population, ddof=0, as NumPy's) are of the finite values; NaN and
infinities are counted in their own columns. Non-numeric members are listed with their
dtype only.

JSON: an array of {\"name\", \"dtype\", \"count\", \"numeric\", \"finite\", \"min\", \"max\",
\"mean\", \"std\", \"nan\", \"inf\", \"zeros\"} (statistics null when not numeric or no
finite value).")]
pub struct Args {
    /// FILE or FILE:MEMBER (an archive without :MEMBER means all its members).
    #[arg(required = true, value_name = "FILE[:MEMBER]")]
    specs: Vec<String>,
    /// Threads (default: all cores).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
}

/// Running statistics of finite values, plus counts of the others.
#[derive(Debug, Clone, Copy)]
pub struct Acc {
    pub finite: u64,
    pub mean: f64,
    pub m2: f64,
    pub min: f64,
    pub max: f64,
    pub nan: u64,
    pub inf: u64,
    pub zeros: u64,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            finite: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            nan: 0,
            inf: 0,
            zeros: 0,
        }
    }
}

impl Acc {
    /// Adds `other` (Chan, Golub and LeVeque's pairwise combination).
    pub fn merge(&mut self, other: &Acc) {
        if other.finite > 0 {
            if self.finite == 0 {
                self.mean = other.mean;
                self.m2 = other.m2;
            } else {
                let n_a = self.finite as f64;
                let n_b = other.finite as f64;
                let n = n_a + n_b;
                let delta = other.mean - self.mean;
                self.mean += delta * n_b / n;
                self.m2 += other.m2 + delta * delta * n_a * n_b / n;
            }
            self.finite += other.finite;
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.nan += other.nan;
        self.inf += other.inf;
        self.zeros += other.zeros;
    }

    /// Adds one chunk of values.
    pub fn add_chunk(&mut self, values: &[f64]) {
        if values.is_empty() {
            return;
        }
        let mut chunk = Acc::default();
        // Eight independent lanes let the compiler vectorise the sums.
        let mut sums = [0.0f64; 8];
        let mut mins = [f64::INFINITY; 8];
        let mut maxs = [f64::NEG_INFINITY; 8];
        let mut zeros = [0u64; 8];
        let lanes = values.chunks_exact(8);
        let tail = lanes.remainder();
        for lane in lanes {
            for k in 0..8 {
                let x = lane[k];
                sums[k] += x;
                mins[k] = mins[k].min(x);
                maxs[k] = maxs[k].max(x);
                zeros[k] += u64::from(x == 0.0);
            }
        }
        let mut sum: f64 = sums.iter().sum();
        chunk.min = mins.iter().copied().fold(f64::INFINITY, f64::min);
        chunk.max = maxs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        chunk.zeros = zeros.iter().sum();
        for &x in tail {
            sum += x;
            chunk.min = chunk.min.min(x);
            chunk.max = chunk.max.max(x);
            chunk.zeros += u64::from(x == 0.0);
        }
        if sum.is_finite() {
            // No NaN or infinity in the chunk.
            chunk.finite = values.len() as u64;
            chunk.mean = sum / values.len() as f64;
            let mean = chunk.mean;
            let mut squares = [0.0f64; 8];
            let lanes = values.chunks_exact(8);
            let tail = lanes.remainder();
            for lane in lanes {
                for k in 0..8 {
                    let d = lane[k] - mean;
                    squares[k] += d * d;
                }
            }
            chunk.m2 =
                squares.iter().sum::<f64>() + tail.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
        } else {
            // Rare: count the non-finite values apart and summarise the rest.
            chunk = Acc::default();
            let mut sum = 0.0;
            for &x in values {
                if x.is_nan() {
                    chunk.nan += 1;
                } else if x.is_infinite() {
                    chunk.inf += 1;
                } else {
                    chunk.finite += 1;
                    sum += x;
                    chunk.min = chunk.min.min(x);
                    chunk.max = chunk.max.max(x);
                    chunk.zeros += u64::from(x == 0.0);
                }
            }
            if chunk.finite > 0 {
                chunk.mean = sum / chunk.finite as f64;
                chunk.m2 = values
                    .iter()
                    .filter(|x| x.is_finite())
                    .map(|x| (x - chunk.mean).powi(2))
                    .sum();
            }
        }
        self.merge(&chunk);
    }

    /// Adds the elements in `bytes` (whole elements of `numeric`), chunk by chunk.
    pub fn add_bytes(&mut self, numeric: Numeric, bytes: &[u8], buffer: &mut Vec<f64>) {
        for piece in bytes.chunks(CHUNK_ELEMS * numeric.size()) {
            buffer.clear();
            numeric.decode_into(piece, buffer);
            self.add_chunk(buffer);
        }
    }

    pub fn std(&self) -> f64 {
        (self.m2 / self.finite as f64).sqrt()
    }
}

/// One array to summarise.
struct Job {
    file: usize,
    member: Option<String>,
    label: String,
    dtype: DType,
    count: u64,
    numeric: Option<Numeric>,
    /// Data bytes when the data is mapped (split into pieces), None when streamed.
    mapped_len: Option<u64>,
    data_len: u64,
}

/// A share of a job's work: a byte range of mapped data, or the whole stream.
struct Piece {
    job: usize,
    range: Option<(usize, usize)>,
}

/// The jobs named by `specs`: each `.npy`, each named member, every member of an archive
/// named without one.
fn plan(specs: &[String]) -> Result<(Vec<Opened>, Vec<Job>)> {
    let mut files = Vec::new();
    let mut jobs = Vec::new();
    for text in specs {
        let spec = Spec::parse(text);
        let mut opened = Opened::open(&spec.path)?;
        let members: Vec<Option<String>> = match (opened.kind, &spec.member) {
            (Kind::Npz, None) => opened.names().into_iter().map(Some).collect(),
            (_, member) => vec![member.clone()],
        };
        for member in members {
            let info = opened.header(member.as_deref())?;
            let header = &info.header;
            let label = Spec {
                path: spec.path.clone(),
                member: member.clone(),
            }
            .label();
            let count = header.element_count().map_err(lib)? as u64;
            let data_len = header.data_len().map_err(lib)?;
            let mapped = match &member {
                None => true,
                Some(m) => opened.member_info(m).is_some_and(|i| !i.compressed),
            };
            jobs.push(Job {
                file: files.len(),
                member,
                label,
                dtype: header.dtype.clone(),
                count,
                numeric: Numeric::of(&header.dtype),
                mapped_len: mapped.then_some(data_len),
                data_len,
            });
        }
        files.push(opened);
    }
    Ok((files, jobs))
}

/// Statistics of every job, in parallel; `None` for non-numeric jobs.
fn compute(
    files: &[Opened],
    jobs: &[Job],
    threads: usize,
    progress_total: u64,
) -> Result<Vec<Option<Acc>>> {
    let mut pieces = Vec::new();
    for (index, job) in jobs.iter().enumerate() {
        let Some(numeric) = &job.numeric else {
            continue;
        };
        match job.mapped_len {
            Some(len) => {
                let len = len as usize;
                let step = (PIECE_BYTES / numeric.size()).max(1) * numeric.size();
                let mut start = 0;
                while start < len {
                    let end = (start + step).min(len);
                    pieces.push(Piece {
                        job: index,
                        range: Some((start, end)),
                    });
                    start = end;
                }
                if len == 0 {
                    pieces.push(Piece {
                        job: index,
                        range: Some((0, 0)),
                    });
                }
            }
            None => pieces.push(Piece {
                job: index,
                range: None,
            }),
        }
    }
    // Streams first: each is one thread's whole job, so start the long ones early.
    pieces.sort_by_key(|p| p.range.is_some());
    let progress = crate::progress::bar(progress_total, "stats");
    let results: Mutex<Vec<Option<Acc>>> = Mutex::new(vec![None; jobs.len()]);
    let failure: Mutex<Option<CliError>> = Mutex::new(None);
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, pieces.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut readers: Vec<Option<_>> = (0..files.len()).map(|_| None).collect();
                let mut buffer = Vec::with_capacity(CHUNK_ELEMS);
                loop {
                    if failure.lock().unwrap().is_some() {
                        return;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(piece) = pieces.get(index) else {
                        return;
                    };
                    let Job {
                        file,
                        member,
                        label,
                        numeric,
                        ..
                    } = &jobs[piece.job];
                    let numeric = numeric.expect("numeric jobs only");
                    let result = (|| -> Result<Acc> {
                        let opened = &files[*file];
                        if readers[*file].is_none() {
                            readers[*file] = Some(opened.reader()?);
                        }
                        let reader = readers[*file].as_mut().unwrap().as_mut();
                        let access = opened.array(reader, member.as_deref())?;
                        let mut acc = Acc::default();
                        match (access.data, piece.range) {
                            (Data::Slice(data), Some((start, end))) => {
                                let data = &data[start..end];
                                for part in data.chunks(CHUNK_ELEMS * numeric.size() * 16) {
                                    acc.add_bytes(numeric, part, &mut buffer);
                                    if let Some(bar) = &progress {
                                        bar.inc(part.len() as u64);
                                    }
                                }
                            }
                            (Data::Slice(data), None) => acc.add_bytes(numeric, data, &mut buffer),
                            (Data::Stream { mut reader, len }, _) => {
                                let step = CHUNK_ELEMS * numeric.size() * 2;
                                let mut bytes = vec![0u8; step];
                                let mut left = len;
                                while left > 0 {
                                    let got = left.min(step as u64) as usize;
                                    reader
                                        .read_exact(&mut bytes[..got])
                                        .map_err(|e| CliError::new(format!("{label}: {e}")))?;
                                    left -= got as u64;
                                    acc.add_bytes(numeric, &bytes[..got], &mut buffer);
                                    if let Some(bar) = &progress {
                                        bar.inc(got as u64);
                                    }
                                }
                            }
                        }
                        Ok(acc)
                    })();
                    match result {
                        Ok(acc) => {
                            let mut results = results.lock().unwrap();
                            let slot = &mut results[piece.job];
                            match slot {
                                Some(total) => total.merge(&acc),
                                None => *slot = Some(acc),
                            }
                        }
                        Err(e) => {
                            failure.lock().unwrap().get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if let Some(e) = failure.into_inner().unwrap() {
        return Err(e);
    }
    Ok(results.into_inner().unwrap())
}

/// A number for people: integers as integers, others with 7 significant digits.
pub fn human_number(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let magnitude = v.abs().log10().floor();
    if (-4.0..7.0).contains(&magnitude) {
        let decimals = (6.0 - magnitude).max(0.0) as usize;
        let text = format!("{v:.decimals$}");
        let text = text.trim_end_matches('0');
        text.trim_end_matches('.').to_string()
    } else {
        let text = format!("{v:.6e}");
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exp}")
    }
}

fn num_json(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub fn run(args: Args, json: bool) -> Result<Outcome> {
    let (files, jobs) = plan(&args.specs)?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let total: u64 = jobs
        .iter()
        .filter(|j| j.numeric.is_some())
        .map(|j| j.data_len)
        .sum();
    let results = compute(&files, &jobs, threads, total)?;
    let mut t = table::plain();
    t.set_header(vec![
        "name", "dtype", "count", "min", "max", "mean", "std", "nan", "inf", "zeros",
    ]);
    let mut values = Vec::new();
    for (job, acc) in jobs.iter().zip(&results) {
        let dtype = job.dtype.type_str();
        match acc {
            Some(acc) => {
                let some = acc.finite > 0;
                let stat = |v: f64| if some { human_number(v) } else { "-".into() };
                t.add_row(vec![
                    job.label.clone(),
                    dtype.clone(),
                    job.count.to_string(),
                    stat(acc.min),
                    stat(acc.max),
                    stat(acc.mean),
                    stat(acc.std()),
                    acc.nan.to_string(),
                    acc.inf.to_string(),
                    acc.zeros.to_string(),
                ]);
                let stat = |v: f64| if some { num_json(v) } else { Value::Null };
                values.push(json!({
                    "name": job.label, "dtype": dtype, "count": job.count, "numeric": true,
                    "finite": acc.finite, "min": stat(acc.min), "max": stat(acc.max),
                    "mean": stat(acc.mean), "std": stat(acc.std()), "nan": acc.nan,
                    "inf": acc.inf, "zeros": acc.zeros,
                }));
            }
            None => {
                let mut row = vec![job.label.clone(), dtype.clone(), job.count.to_string()];
                row.extend(std::iter::repeat_n("-".to_string(), 7));
                t.add_row(row);
                values.push(json!({
                    "name": job.label, "dtype": dtype, "count": job.count, "numeric": false,
                    "finite": null, "min": null, "max": null, "mean": null, "std": null,
                    "nan": null, "inf": null, "zeros": null,
                }));
            }
        }
    }
    table::align_right(&mut t, &[2, 3, 4, 5, 6, 7, 8, 9]);
    let text = if json {
        serde_json::to_string_pretty(&Value::Array(values)).expect("JSON of plain values")
    } else {
        table::render(t)
    };
    Ok(Outcome::ok(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_statistics_match_two_pass_figures() {
        let values: Vec<f64> = (0..100_003).map(|i| 1e6 + (i % 97) as f64 * 0.5).collect();
        let mut acc = Acc::default();
        for chunk in values.chunks(4099) {
            acc.add_chunk(chunk);
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        assert!((acc.mean - mean).abs() < 1e-9 * mean);
        assert!((acc.std() - var.sqrt()).abs() < 1e-9);
        let mut odd = Acc::default();
        odd.add_chunk(&[1.0, f64::NAN, f64::INFINITY, 0.0, 3.0]);
        assert_eq!((odd.finite, odd.nan, odd.inf, odd.zeros), (3, 1, 1, 1));
        assert_eq!((odd.min, odd.max), (0.0, 3.0));
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(human_number(3.0), "3");
        assert_eq!(human_number(0.5), "0.5");
        assert_eq!(human_number(1.0 / 3.0), "0.3333333");
        assert_eq!(human_number(1.5e-9), "1.5e-9");
    }
}
