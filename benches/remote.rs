//! Object storage against NumPy + s3fs, side by side on one local S3 server (moto, started
//! here from the test venv): list a 10,000-member archive NumPy wrote, read one member of
//! it, and read 1 MiB of rows from a 256 MiB `.npy` (with, as the server's floor, one bare
//! 1 MiB range request by s3fs: moto reads the whole object to answer a range). Each figure is the median of 7 runs,
//! each from a fresh open (nothing cached between runs), with the requests and bytes it
//! took on our side.
//!
//! `NPY_SERDE_S3FS_PYTHON=/path/to/python cargo bench --bench remote`: that Python needs
//! numpy and s3fs (s3fs pins an older botocore than the tests' boto3, so it lives in a venv
//! of its own: `python3 -m venv v && v/bin/pip install numpy s3fs`). Without it only our
//! side is timed, and it says so. `cargo test --benches` builds it and runs nothing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use npy_serde::remote::blocking::{RemoteNpy, RemoteNpz};
use npy_serde::remote::RemoteOptions;
use test_support::{python_with_s3, run_python, PythonServer};

const REPEATS: usize = 7;
const ROWS: std::ops::Range<u64> = 1000..1128; // 128 rows of 1024 float64: 1 MiB

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn timed<T>(mut op: impl FnMut() -> T) -> (f64, T) {
    let mut last = None;
    let samples = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            last = Some(op());
            start.elapsed().as_secs_f64()
        })
        .collect();
    (median(samples), last.expect("at least one run"))
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let python = python_with_s3();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/s3_server.py");
    let server = PythonServer::start(python, &script, &["bench"]);
    let port = server.port;
    run_python(
        &format!(
            "import io, numpy as np, boto3\n\
             s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:{port}', region_name='us-east-1',\n\
                 aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             b = io.BytesIO(); np.savez(b, **{{f'm{{i}}': np.arange(3) + i for i in range(10_000)}})\n\
             s3.put_object(Bucket='bench', Key='many.npz', Body=b.getvalue())\n\
             b = io.BytesIO(); np.save(b, np.arange(1 << 25, dtype=np.float64).reshape(-1, 1024))\n\
             s3.put_object(Bucket='bench', Key='big.npy', Body=b.getvalue())\n"
        ),
        &std::env::temp_dir(),
    );
    let options = RemoteOptions::default()
        .with_store_config("aws_endpoint", format!("http://127.0.0.1:{port}"))
        .with_store_config("aws_allow_http", "true")
        .with_store_config("aws_access_key_id", "testing")
        .with_store_config("aws_secret_access_key", "testing")
        .with_store_config("aws_region", "us-east-1");

    let (list, listed) = timed(|| {
        let archive = RemoteNpz::open_url_with("s3://bench/many.npz", &options).unwrap();
        assert_eq!(archive.members().len(), 10_000);
        archive.stats()
    });
    let (member, member_stats) = timed(|| {
        let mut archive = RemoteNpz::open_url_with("s3://bench/many.npz", &options).unwrap();
        let value: Vec<i64> = archive.read("m9999").unwrap();
        assert_eq!(value[0], 9999);
        archive.stats()
    });
    let (rows, rows_stats) = timed(|| {
        let mut file = RemoteNpy::open_url_with("s3://bench/big.npy", &options).unwrap();
        let rows: ndarray::Array2<f64> = file.read_rows(ROWS).unwrap();
        assert_eq!(rows[[0, 0]], (ROWS.start * 1024) as f64);
        file.stats()
    });

    let numpy: Option<std::collections::HashMap<String, f64>> =
        match std::env::var_os("NPY_SERDE_S3FS_PYTHON") {
            None => {
                println!(
                    "NPY_SERDE_S3FS_PYTHON not set: NumPy + s3fs not timed (see the module docs)"
                );
                None
            }
            Some(s3fs_python) => {
                let compare =
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/remote_compare.py");
                let output = Command::new(s3fs_python)
                    .arg(compare)
                    .args([
                        port.to_string(),
                        ROWS.start.to_string(),
                        ROWS.end.to_string(),
                        REPEATS.to_string(),
                    ])
                    .output()
                    .expect("run the s3fs Python");
                assert!(
                    output.status.success(),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                let text = String::from_utf8_lossy(&output.stdout).into_owned();
                Some(
                    text.lines()
                        .filter_map(|line| line.split_once(' '))
                        .map(|(case, seconds)| (case.to_string(), seconds.trim().parse().unwrap()))
                        .collect(),
                )
            }
        };
    println!(
        "{:<44} {:>10} {:>14} {:>12} {:>8}",
        "case (moto on 127.0.0.1)", "npy-serde", "requests/bytes", "NumPy+s3fs", "ratio"
    );
    if let Some(floor) = numpy.as_ref().and_then(|n| n.get("one_range")) {
        println!(
            "(the server's floor: one 1 MiB range GET of big.npy by s3fs alone takes {:.1}ms)",
            floor * 1e3
        );
    }
    for (case, ours, stats, key) in [
        ("list a 10,000-member npz", list, listed, "list"),
        (
            "open + read one member of it",
            member,
            member_stats,
            "npz_member",
        ),
        (
            "open + 1 MiB of rows of a 256 MiB .npy",
            rows,
            rows_stats,
            "npy_rows",
        ),
    ] {
        let theirs = numpy.as_ref().and_then(|n| n.get(key).copied());
        println!(
            "{case:<44} {:>8.1}ms {:>5}/{:<8} {:>12} {:>8}",
            ours * 1e3,
            stats.requests,
            stats.bytes,
            theirs.map_or("-".to_string(), |t| format!("{:.1}ms", t * 1e3)),
            theirs.map_or("-".to_string(), |t| format!("{:.2}x", t / ours)),
        );
    }
}
