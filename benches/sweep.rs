//! How cost grows with the work: one run that sweeps the size of the work and times
//! npy-serde, ndarray-npy 0.10 / npyz 0.9 (where they do the same thing) and NumPy side by
//! side, case by case (NumPy runs in one `benches/sweep_numpy.py` server process that is
//! asked for each case right after the Rust side timed it, so both see the same load).
//!
//! - **Size**: one float64 array of 4 KiB, 64 KiB, … (×16 a step) up to `SWEEP_MAX_MIB`
//!   (default 1024): `.npy` save and load, stored npz save and load, compressed npz save
//!   and load (up to `SWEEP_DEFLATE_MAX_MIB`, default 256: NumPy's single-core deflate
//!   makes larger steps slow). Compressed loads are timed on our archive (indexed: both
//!   cores) and on NumPy's (no index: one core), NumPy on ours.
//! - **Several compressed members**: 4 × `SWEEP_MULTI_MIB` (default 16) MiB in an archive
//!   NumPy wrote (no chunk index): read one by one, with `NpzReader::read_many`, and by
//!   `np.load`.
//! - **Members**: 10 … 100,000 members (×10 a step, up to `SWEEP_MAX_MEMBERS`) of 64
//!   float64 each, stored: save, open (directory only), read one, read all.
//! - **Records**: 10^3 … 10^8 (`SWEEP_MIN_RECORDS`, `SWEEP_MAX_RECORDS`, ×10 a step)
//!   records `{x: f64, y: i32, pos: [f32; 3]}` (24 bytes): load through the by-name plan,
//!   the same file into a `#[npy(pod)]` struct, a reordered file with an extra field
//!   through the plan, npyz, and `np.load`. The three npy-serde loads are timed side by
//!   side, sample by sample, and each sample's ratio of the plan to the pod path is
//!   printed. The 10^8 step is where the by-name plan once fell behind (a 2.4 GB result:
//!   see `FreshPages` in `npy-serde/src/buffer.rs`).
//! - **Peak RSS** of a fresh process that saves, or loads, N bytes of float64 (N = 16 MiB
//!   up to the size cap), npy-serde and NumPy.
//!
//! Each figure is the median of 5 samples (3 from 64 MiB or 10,000 members on) after one
//! warm-up; a sample of a small case repeats it until it moves about 64 MiB (or 2,000
//! members) and divides. Files live in `SWEEP_DIR` (default `/dev/shm`, a tmpfs, so the
//! disk is not what is measured). Results: a table on stdout, with the cost per byte,
//! member or record, and `target/sweep/sweep.csv`, which `benches/sweep_chart.py` draws
//! into `benches/sweep.png`.
//!
//! Other knobs: `SWEEP_ONLY=size,multi,members,records,rss` (groups), `SWEEP_MIN_KIB`
//! (first size step), `SWEEP_MIN_RECORDS` (first record step), `SWEEP_CSV` (output file
//! name in `target/sweep/`).
//!
//! `NPY_SERDE_PYTHON=… cargo bench --bench sweep` (10 to 20 minutes at the defaults on 2
//! cores); `cargo test --benches` runs a tiny sweep without NumPy as a smoke test.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ndarray::Array1;
use npy_serde::npy::NpyWrite;
use npy_serde::npz::{Reader as NpzReader, Writer as NpzWriter};
use npy_serde::{NpyElement, WriteOptions};
use npyz::WriterBuilder;

/// Set for the smoke run of `cargo test --benches`: one sample of one run per case.
static SMOKE: AtomicBool = AtomicBool::new(false);

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

#[path = "support/records.rs"]
mod records_types;
use records_types::{NpyzPoint, PodPoint, Point, Reordered};

/// The float64 values of `bytes` bytes (the same formula as `sweep_numpy.py`).
fn data(bytes: u64) -> Array1<f64> {
    Array1::from_iter((0..bytes / 8).map(|i| ((i as f64 * 0.001).sin() * 1000.0).round() / 1000.0))
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Median seconds of one run of `op`: `reps` samples of `inner` runs after a warm-up.
fn median_time(inner: usize, reps: usize, mut op: impl FnMut()) -> f64 {
    let (inner, reps) = if SMOKE.load(Ordering::Relaxed) {
        (1, 1)
    } else {
        (inner, reps)
    };
    let mut sample = || {
        let start = Instant::now();
        for _ in 0..inner {
            op();
        }
        start.elapsed().as_secs_f64() / inner as f64
    };
    sample();
    let mut times: Vec<f64> = (0..reps).map(|_| sample()).collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Like [`median_time`] for several operations timed side by side: each sample runs every
/// one of `ops` in turn, so that they share the machine's load and follow one another
/// alike (at 10^8 records what ran just before changes the cost of fresh memory). Returns
/// each one's median and each sample's time divided by the first op's (the ratios to it).
fn median_times_side_by_side(
    inner: usize,
    reps: usize,
    ops: &mut [&mut dyn FnMut()],
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let (inner, reps) = if SMOKE.load(Ordering::Relaxed) {
        (1, 1)
    } else {
        (inner, reps)
    };
    let sample = |op: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..inner {
            op();
        }
        start.elapsed().as_secs_f64() / inner as f64
    };
    for op in ops.iter_mut() {
        sample(op);
    }
    let mut times = vec![Vec::new(); ops.len()];
    for _ in 0..reps {
        for (op, times) in ops.iter_mut().zip(&mut times) {
            times.push(sample(op));
        }
    }
    let ratios = times
        .iter()
        .map(|t| {
            t.iter()
                .zip(&times[0])
                .map(|(t, first)| t / first)
                .collect()
        })
        .collect();
    let medians = times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect();
    (medians, ratios)
}

/// The NumPy server (`benches/sweep_numpy.py`), or none in a smoke test.
struct NumPy {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl NumPy {
    fn start() -> NumPy {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sweep_numpy.py");
        let mut child = Command::new(test_support::python())
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start benches/sweep_numpy.py");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        NumPy {
            child,
            input,
            output,
        }
    }

    fn time(&mut self, case: &str, path: &Path, n: u64, inner: usize, reps: usize) -> f64 {
        let request = format!(
            "{{\"case\": \"{case}\", \"path\": {:?}, \"n\": {n}, \"inner\": {inner}, \"reps\": {reps}}}\n",
            path.display().to_string()
        );
        self.input.write_all(request.as_bytes()).unwrap();
        self.input.flush().unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        line.trim()
            .parse()
            .unwrap_or_else(|_| panic!("sweep_numpy.py answered {line:?} for {case}"))
    }
}

impl Drop for NumPy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Collects the figures: printed as they come and written to the CSV at the end.
struct Results {
    rows: Vec<String>,
}

impl Results {
    /// A figure kept for the CSV only (peak RSS, printed by its own table).
    fn store(&mut self, group: &str, case: &str, library: &str, n: u64, unit: &str, value: f64) {
        let per_unit = value / n as f64;
        self.rows.push(format!(
            "{group},{case},{library},{n},{unit},{value:e},{per_unit:e}"
        ));
    }

    /// One figure: `seconds` for one operation on `n` units (bytes, members, records).
    fn add(&mut self, group: &str, case: &str, library: &str, n: u64, unit: &str, seconds: f64) {
        let per_unit = seconds / n as f64;
        let (scale, per) = match unit {
            "byte" => (1e9, "ns/B"),
            "member" => (1e6, "us/member"),
            _ => (1e9, "ns/record"),
        };
        println!(
            "{group:<8} {case:<22} {library:<22} {n:>12} {:>12.3}ms {:>10.4} {per}",
            seconds * 1e3,
            per_unit * scale
        );
        self.store(group, case, library, n, unit, seconds);
    }

    fn write(&self, path: &Path) {
        let mut text = String::from("group,case,library,n,unit,seconds,seconds_per_unit\n");
        for row in &self.rows {
            text.push_str(row);
            text.push('\n');
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Samples and repetitions for a case moving `bytes` bytes.
fn plan_for_bytes(bytes: u64) -> (usize, usize) {
    let inner = (64 * MIB / bytes.max(1)).clamp(1, 2000) as usize;
    let reps = if bytes >= 64 * MIB { 3 } else { 5 };
    (inner, reps)
}

fn size_sweep(results: &mut Results, numpy: &mut Option<NumPy>, dir: &Path, max: u64) {
    let deflate_max = env_u64("SWEEP_DEFLATE_MAX_MIB", 256) * MIB;
    // SWEEP_MIN_KIB: start the size steps later (4 × 16^k KiB at or above it).
    let min = env_u64("SWEEP_MIN_KIB", 4) * KIB;
    let mut bytes = 4 * KIB;
    while bytes < min {
        bytes *= 16;
    }
    while bytes <= max {
        let values = data(bytes);
        let (inner, reps) = plan_for_bytes(bytes);
        let npy = dir.join("sweep.npy");
        let record = |results: &mut Results, case: &str, library: &str, seconds: f64| {
            results.add("size", case, library, bytes, "byte", seconds)
        };

        let t = median_time(inner, reps, || npy_serde::npy::save(&npy, &values).unwrap());
        record(results, "npy_save", "npy-serde", t);
        let other = dir.join("other.npy");
        let t = median_time(inner, reps, || {
            let mut writer = BufWriter::new(File::create(&other).unwrap());
            ndarray_npy::WriteNpyExt::write_npy(&values, &mut writer).unwrap();
            writer.flush().unwrap();
        });
        record(results, "npy_save", "ndarray-npy", t);
        if let Some(numpy) = numpy {
            let t = numpy.time("npy_save", &dir.join("numpy.npy"), bytes, inner, reps);
            record(results, "npy_save", "NumPy", t);
        }

        let t = median_time(inner, reps, || {
            black_box(npy_serde::npy::load::<Vec<f64>, _>(&npy).unwrap());
        });
        record(results, "npy_load", "npy-serde", t);
        let t = median_time(inner, reps, || {
            let reader = BufReader::new(File::open(&npy).unwrap());
            let array: Array1<f64> = ndarray_npy::ReadNpyExt::read_npy(reader).unwrap();
            black_box(array);
        });
        record(results, "npy_load", "ndarray-npy", t);
        if let Some(numpy) = numpy {
            let t = numpy.time("npy_load", &npy, bytes, inner, reps);
            record(results, "npy_load", "NumPy", t);
        }

        for compressed in [false, true] {
            if compressed && bytes > deflate_max {
                continue;
            }
            let kind = if compressed { "deflate" } else { "stored" };
            let ours = dir.join(format!("sweep_{kind}.npz"));
            let save = |path: &Path| {
                let mut writer = if compressed {
                    NpzWriter::create_with(
                        path,
                        &npy_serde::WriteOptions::default()
                            .with_compression(npy_serde::npz::Compression::NUMPY_DEFLATE),
                    )
                    .unwrap()
                } else {
                    NpzWriter::create(path).unwrap()
                };
                writer.add("a", &values).unwrap();
                writer.finish().unwrap();
            };
            let t = median_time(inner, reps, || save(&ours));
            record(results, &format!("npz_{kind}_save"), "npy-serde", t);
            let theirs = dir.join(format!("numpy_{kind}.npz"));
            if let Some(numpy) = numpy {
                let t = numpy.time(&format!("npz_{kind}_save"), &theirs, bytes, inner, reps);
                record(results, &format!("npz_{kind}_save"), "NumPy", t);
            }
            let load = |path: &Path| {
                let mut reader = NpzReader::open(path).unwrap();
                black_box(reader.read::<Vec<f64>>("a").unwrap());
            };
            let t = median_time(inner, reps, || load(&ours));
            record(results, &format!("npz_{kind}_load"), "npy-serde", t);
            if compressed && numpy.is_some() {
                // NumPy's archive: no chunk index, inflated on one core.
                let t = median_time(inner, reps, || load(&theirs));
                record(results, "npz_deflate_load", "npy-serde (NumPy's file)", t);
            }
            if let Some(numpy) = numpy {
                let t = numpy.time(&format!("npz_{kind}_load"), &ours, bytes, inner, reps);
                record(results, &format!("npz_{kind}_load"), "NumPy", t);
            }
            let _ = std::fs::remove_file(&theirs);
            let _ = std::fs::remove_file(&ours);
        }
        for path in [npy, other, dir.join("numpy.npy")] {
            let _ = std::fs::remove_file(path);
        }
        bytes *= 16;
    }
}

fn member_sweep(results: &mut Results, numpy: &mut Option<NumPy>, dir: &Path, max: u64) {
    let mut count = 10u64;
    while count <= max {
        let arrays: Vec<(String, Vec<f64>)> = (0..count)
            .map(|i| (format!("m{i}"), vec![i as f64; 64]))
            .collect();
        let inner = (2000 / count).max(1) as usize;
        let reps = if count >= 10_000 { 3 } else { 5 };
        let path = dir.join("members.npz");
        let record = |results: &mut Results, case: &str, library: &str, seconds: f64| {
            results.add("members", case, library, count, "member", seconds)
        };
        let t = median_time(inner, reps, || {
            let mut writer = NpzWriter::create(&path).unwrap();
            for (name, values) in &arrays {
                writer.add(name, values).unwrap();
            }
            writer.finish().unwrap();
        });
        record(results, "members_save", "npy-serde", t);
        let theirs = dir.join("numpy_members.npz");
        if let Some(numpy) = numpy {
            let t = numpy.time("members_save", &theirs, count, inner, reps);
            record(results, "members_save", "NumPy", t);
        }
        let middle = format!("m{}", count / 2);
        let cases: [(&str, &dyn Fn()); 3] = [
            ("members_open", &|| {
                black_box(NpzReader::open(&path).unwrap());
            }),
            ("members_read_one", &|| {
                let mut reader = NpzReader::open(&path).unwrap();
                black_box(reader.read::<Vec<f64>>(&middle).unwrap());
            }),
            ("members_read_all", &|| {
                let mut reader = NpzReader::open(&path).unwrap();
                for (name, _) in &arrays {
                    black_box(reader.read::<Vec<f64>>(name).unwrap());
                }
            }),
        ];
        for (case, op) in cases {
            let t = median_time(inner, reps, op);
            record(results, case, "npy-serde", t);
            if let Some(numpy) = numpy {
                let t = numpy.time(case, &path, count, inner, reps);
                record(results, case, "NumPy", t);
            }
        }
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&theirs);
        count *= 10;
    }
}

/// Four deflated members of `bytes` each in an archive NumPy wrote (no chunk index): all
/// read one after the other, all read with `read_many` (members inflated side by side),
/// and `np.load` reading all.
fn multi_member_deflate(results: &mut Results, numpy: &mut Option<NumPy>, dir: &Path, bytes: u64) {
    let Some(numpy) = numpy else {
        return;
    };
    let path = dir.join("multi.npz");
    let t = numpy.time("multi_deflate_save", &path, bytes, 1, 1);
    let total = 4 * bytes;
    results.add("multi", "multi_deflate_save", "NumPy", total, "byte", t);
    let names = ["a0", "a1", "a2", "a3"];
    let t = median_time(1, 5, || {
        let mut reader = NpzReader::open(&path).unwrap();
        for name in names {
            black_box(reader.read::<Vec<f64>>(name).unwrap());
        }
    });
    results.add(
        "multi",
        "multi_deflate_load",
        "npy-serde one by one",
        total,
        "byte",
        t,
    );
    let t = median_time(1, 5, || {
        let mut reader = NpzReader::open(&path).unwrap();
        black_box(reader.read_many::<Vec<f64>>(&names).unwrap());
    });
    results.add(
        "multi",
        "multi_deflate_load",
        "npy-serde read_many",
        total,
        "byte",
        t,
    );
    let t = numpy.time("multi_deflate_load", &path, bytes, 1, 5);
    results.add("multi", "multi_deflate_load", "NumPy", total, "byte", t);
    let _ = std::fs::remove_file(&path);
}

fn write_records<T: NpyElement>(path: &Path, values: &[T]) {
    let mut writer = BufWriter::new(File::create(path).unwrap());
    values
        .write_npy(&mut writer, &WriteOptions::default())
        .unwrap();
    writer.flush().unwrap();
}

fn record_sweep(results: &mut Results, numpy: &mut Option<NumPy>, dir: &Path, max: u64) {
    // SWEEP_MIN_RECORDS: start the record steps later (10^k records at or above it).
    let min = env_u64("SWEEP_MIN_RECORDS", 1000);
    let mut count = 1000u64;
    while count < min {
        count *= 10;
    }
    while count <= max {
        let pod = |i: u64| PodPoint {
            x: i as f64 * 0.5,
            y: i as i32,
            pos: [i as f32, 1.0, 2.0],
        };
        let path = dir.join("records.npy");
        let reordered_path = dir.join("records_reordered.npy");
        // One array in memory at a time: at 10^8 records each is 2.4–3.2 GB, beside the
        // files (on tmpfs, memory too).
        let pods: Vec<PodPoint> = (0..count).map(pod).collect();
        write_records(&path, &pods);
        drop(pods);
        let reordered: Vec<Reordered> = (0..count)
            .map(|i| {
                let p = pod(i);
                Reordered {
                    pos: p.pos,
                    extra: 7,
                    y: p.y,
                    x: p.x,
                }
            })
            .collect();
        write_records(&reordered_path, &reordered);
        drop(reordered);
        let (inner, reps) = plan_for_bytes(count * 24);
        let record = |results: &mut Results, case: &str, library: &str, seconds: f64| {
            results.add("records", case, library, count, "record", seconds)
        };
        // The plan's target is a ratio to the pod path: the three are timed side by side.
        let (t, ratios) = median_times_side_by_side(
            inner,
            reps,
            &mut [
                &mut || {
                    black_box(npy_serde::npy::load::<Vec<PodPoint>, _>(&path).unwrap());
                },
                &mut || {
                    black_box(npy_serde::npy::load::<Vec<Point>, _>(&path).unwrap());
                },
                &mut || {
                    black_box(npy_serde::npy::load::<Vec<Point>, _>(&reordered_path).unwrap());
                },
            ],
        );
        record(results, "records_load", "npy-serde pod", t[0]);
        record(results, "records_load", "npy-serde plan", t[1]);
        record(results, "records_load", "npy-serde plan reordered", t[2]);
        for (case, ratios) in ["plan", "plan reordered"].iter().zip(&ratios[1..]) {
            let text: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
            println!(
                "records  {case} / pod, sample by sample: {}",
                text.join(" ")
            );
        }
        let t = median_time(inner, reps, || {
            let file = BufReader::new(File::open(&path).unwrap());
            let values: Vec<NpyzPoint> = npyz::NpyFile::new(file).unwrap().into_vec().unwrap();
            black_box(values);
        });
        record(results, "records_load", "npyz", t);
        if let Some(numpy) = numpy {
            let t = numpy.time("records_load", &path, count, inner, reps);
            record(results, "records_load", "NumPy", t);
        }
        // Saving: the plain struct through the plan, and npyz.
        let plain: Vec<Point> = npy_serde::npy::load(&path).unwrap();
        let out = dir.join("records_out.npy");
        let t = median_time(inner, reps, || write_records(&out, &plain));
        record(results, "records_save", "npy-serde plan", t);
        // Consuming `plain` lets the standard library reuse its buffer (the two types have
        // the same size): not two 2.4 GB arrays at once at 10^8.
        let npyz_points: Vec<NpyzPoint> = plain
            .into_iter()
            .map(|p| NpyzPoint {
                x: p.x,
                y: p.y,
                pos: p.pos,
            })
            .collect();
        let t = median_time(inner, reps, || {
            let writer = BufWriter::new(File::create(&out).unwrap());
            let mut npy = npyz::WriteOptions::<NpyzPoint>::new()
                .default_dtype()
                .shape(&[npyz_points.len() as u64])
                .writer(writer)
                .begin_nd()
                .unwrap();
            npy.extend(npyz_points.iter().copied()).unwrap();
            npy.finish().unwrap();
        });
        record(results, "records_save", "npyz", t);
        for p in [&path, &reordered_path, &out] {
            let _ = std::fs::remove_file(p);
        }
        count *= 10;
    }
}

/// Peak RSS (KiB) of this binary run afresh to save or load `bytes` bytes.
fn child_peak_rss(what: &str, bytes: u64, path: &Path) -> u64 {
    let output = Command::new(std::env::current_exe().unwrap())
        .env(
            "SWEEP_RSS_CHILD",
            format!("{what}:{bytes}:{}", path.display()),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

/// The child's side: save or load, then print VmHWM (KiB).
fn rss_child(spec: &str) {
    let mut parts = spec.splitn(3, ':');
    let what = parts.next().unwrap();
    let bytes: u64 = parts.next().unwrap().parse().unwrap();
    let path = PathBuf::from(parts.next().unwrap());
    if what == "save" {
        npy_serde::npy::save(&path, &data(bytes)).unwrap();
    } else {
        black_box(npy_serde::npy::load::<Vec<f64>, _>(&path).unwrap());
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    println!("{peak}");
}

fn rss_sweep(results: &mut Results, numpy: bool, dir: &Path, max: u64) {
    println!("\npeak RSS (fresh process; target <= N + 64 MiB)");
    let mut bytes = 16 * MIB;
    while bytes <= max {
        let path = dir.join("rss.npy");
        for what in ["save", "load"] {
            let ours = child_peak_rss(what, bytes, &path) * KIB;
            results.store(
                "rss",
                &format!("peak_rss_{what}"),
                "npy-serde",
                bytes,
                "byte",
                ours as f64,
            );
            println!(
                "  npy-serde {what} {:>6} MiB: peak {:>7.1} MiB = N + {:.1} MiB",
                bytes / MIB,
                ours as f64 / MIB as f64,
                (ours as f64 - bytes as f64) / MIB as f64
            );
            if numpy {
                let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sweep_numpy.py");
                let output = Command::new(test_support::python())
                    .args([script.as_os_str(), "rss".as_ref(), what.as_ref()])
                    .arg(bytes.to_string())
                    .arg(&path)
                    .output()
                    .unwrap();
                let theirs: u64 = String::from_utf8_lossy(&output.stdout)
                    .trim()
                    .parse::<u64>()
                    .unwrap()
                    * KIB;
                results.store(
                    "rss",
                    &format!("peak_rss_{what}"),
                    "NumPy",
                    bytes,
                    "byte",
                    theirs as f64,
                );
                println!(
                    "  NumPy     {what} {:>6} MiB: peak {:>7.1} MiB = N + {:.1} MiB",
                    bytes / MIB,
                    theirs as f64 / MIB as f64,
                    (theirs as f64 - bytes as f64) / MIB as f64
                );
            }
        }
        let _ = std::fs::remove_file(dir.join("rss.npy"));
        bytes *= 4;
    }
}

fn main() {
    if let Ok(spec) = std::env::var("SWEEP_RSS_CHILD") {
        rss_child(&spec);
        return;
    }
    // `cargo bench` passes --bench; `cargo test --benches` runs a tiny smoke sweep.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    SMOKE.store(!benchmarking, Ordering::Relaxed);
    let default_dir = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let base = std::env::var_os("SWEEP_DIR").map_or(default_dir, PathBuf::from);
    let dir = tempfile::Builder::new()
        .prefix("npy-serde-sweep-")
        .tempdir_in(base)
        .unwrap();
    let (max_bytes, max_members, max_records) = if benchmarking {
        (
            env_u64("SWEEP_MAX_MIB", 1024) * MIB,
            env_u64("SWEEP_MAX_MEMBERS", 100_000),
            env_u64("SWEEP_MAX_RECORDS", 100_000_000),
        )
    } else {
        (64 * KIB, 100, 1000)
    };
    let only: Vec<String> = std::env::var("SWEEP_ONLY")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let wanted = |group: &str| only.is_empty() || only.iter().any(|g| g == group);
    let mut numpy = benchmarking.then(NumPy::start);
    let mut results = Results { rows: Vec::new() };
    println!(
        "{:<8} {:<22} {:<22} {:>12} {:>14} {:>10}",
        "group", "case", "library", "n", "median", "per unit"
    );
    if wanted("size") {
        size_sweep(&mut results, &mut numpy, dir.path(), max_bytes);
    }
    if wanted("multi") {
        let member = env_u64("SWEEP_MULTI_MIB", 16) * MIB;
        multi_member_deflate(&mut results, &mut numpy, dir.path(), member);
    }
    if wanted("members") {
        member_sweep(&mut results, &mut numpy, dir.path(), max_members);
    }
    if wanted("records") {
        record_sweep(&mut results, &mut numpy, dir.path(), max_records);
    }
    if wanted("rss") {
        rss_sweep(
            &mut results,
            numpy.is_some(),
            dir.path(),
            max_bytes.max(16 * MIB),
        );
    }
    // SWEEP_CSV: another file name (a partial run kept beside the full one).
    let default_name = if benchmarking {
        "sweep.csv"
    } else {
        "smoke.csv"
    };
    let name = std::env::var("SWEEP_CSV").unwrap_or_else(|_| default_name.to_string());
    let csv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/sweep")
        .join(name);
    results.write(&csv);
    println!("\nwritten: {}", csv.display());
}
