//! Object storage (`npy_serde::remote`, feature `object-store`):
//! - lazy reads counted at the store: listing a 10,000-member archive, a 1 MiB row range of
//!   a 1 GiB stored member, coalesced `read_many` (an in-memory store wrapped in a counter);
//! - real S3 API: moto's server on 127.0.0.1 (installed from PyPI into the NumPy venv),
//!   archives NumPy wrote read here, archives written here (single PUT and multipart) loaded
//!   by NumPy, the serde format both ways;
//! - hostile responses from a misbehaving HTTP server: short bodies, truncated bodies, an
//!   object that changes between requests, answers slower than the timeout.

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use ndarray::{Array1, Array2};
use npy_serde::error::ErrorKind;
use npy_serde::npz::{self, Compression};
use npy_serde::remote::object_store::memory::InMemory;
use npy_serde::remote::object_store::path::Path;
use npy_serde::remote::object_store::{ObjectStore, PutOptions, PutPayload};
use npy_serde::remote::{blocking, RemoteNpz, RemoteOptions, RetryConfig};
use npy_serde::{npy, NpyArray, WriteOptions};
use serde::{Deserialize, Serialize};
use test_support::store::TestStore;
use test_support::{run_python, temp_dir, PythonServer};

const MIB: u64 = 1 << 20;

/// A writer of a deflated archive in memory (`np.savez_compressed`'s compression).
fn compressed_writer() -> npz::Writer<std::io::Cursor<Vec<u8>>> {
    let options = WriteOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    npz::Writer::with_options(std::io::Cursor::new(Vec::new()), &options)
        .expect("deflate options are valid")
}

fn dyn_store(store: &Arc<TestStore>) -> Arc<dyn ObjectStore> {
    store.clone()
}

#[test]
fn listing_ten_thousand_members_costs_at_most_three_requests() {
    let store = Arc::new(TestStore::new());
    let mut writer = npz::Writer::new(std::io::Cursor::new(Vec::new()));
    for i in 0..10_000 {
        writer
            .add(&format!("layers/{i}/weight"), &vec![i as f32; 4])
            .unwrap();
    }
    let path = store.put("state.npz", writer.finish().unwrap().into_inner());
    let mut archive = blocking::RemoteNpz::open(dyn_store(&store), path).unwrap();
    let (requests, bytes) = store.take();
    assert_eq!(archive.members().len(), 10_000);
    assert!(requests <= 3, "{requests} requests to list");
    eprintln!("list 10,000 members: {requests} requests, {bytes} bytes");
    assert_eq!(archive.stats().requests, requests);

    let one: Vec<f32> = archive.read("layers/1234/weight").unwrap();
    assert_eq!(one, vec![1234.0; 4]);
    let (requests, bytes) = store.take();
    assert_eq!(requests, 1);
    assert!(bytes < 1024, "{bytes} bytes for one 16-byte member");

    // Ten neighbouring members in one request, ten far apart members each in their own.
    let names: Vec<String> = (100..110).map(|i| format!("layers/{i}/weight")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let many: Vec<Vec<f32>> = archive.read_many(&names).unwrap();
    assert_eq!(many[9], vec![109.0; 4]);
    assert_eq!(store.take().0, 1, "neighbours coalesced");
    let spread = RemoteOptions::default().with_coalesce_gap(0);
    let mut archive =
        blocking::RemoteNpz::open_with(dyn_store(&store), Path::from("state.npz"), &spread)
            .unwrap();
    store.take();
    let names: Vec<String> = (0..10)
        .map(|i| format!("layers/{}/weight", i * 1000))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let many: Vec<Vec<f32>> = archive.read_many(&names).unwrap();
    assert_eq!(many[3], vec![3000.0; 4]);
    assert_eq!(store.take().0, 10);
}

#[test]
fn a_row_range_of_a_one_gib_member_transfers_little_more_than_its_rows() {
    const ROWS: usize = 1 << 18;
    const COLS: usize = 1024; // 4 KiB rows: 1 GiB in all
    let store = Arc::new(TestStore::new());
    let values = Array2::from_shape_fn((ROWS, COLS), |(r, c)| (r * 7 + c) as f32);
    let mut writer = npz::Writer::new(std::io::Cursor::new(Vec::with_capacity(
        ROWS * COLS * 4 + 4096,
    )));
    writer.add("small", &vec![1u8, 2, 3]).unwrap();
    writer.add("embeddings", &values).unwrap();
    drop(values);
    let path = store.put("big.npz", writer.finish().unwrap().into_inner());

    let mut archive = blocking::RemoteNpz::open(dyn_store(&store), path).unwrap();
    let rows: Array2<f32> = archive.read_rows("embeddings", 100_000..100_256).unwrap();
    let (requests, bytes) = store.take();
    assert_eq!(rows.dim(), (256, COLS));
    assert_eq!(rows[[0, 0]], (100_000 * 7) as f32);
    assert_eq!(rows[[255, 1023]], (100_255 * 7 + 1023) as f32);
    eprintln!(
        "1 MiB of rows from a 1 GiB member (open included): {requests} requests, {bytes} bytes"
    );
    assert!(
        bytes as f64 <= 1.1 * MIB as f64,
        "{bytes} bytes transferred"
    );
    assert!(requests <= 3, "{requests} requests");

    let bad = archive
        .read_rows::<Array2<f32>>("embeddings", 0..(ROWS as u64 + 1))
        .unwrap_err();
    assert!(bad.to_string().contains("outside the array"), "{bad}");
}

#[test]
fn deflated_members_npy_files_and_the_async_api() {
    let store = Arc::new(TestStore::new());
    let values: Array1<f64> = (0..200_000).map(|i| (i % 1000) as f64).collect();
    let mut writer = compressed_writer();
    writer.add("values", &values).unwrap();
    writer
        .add(
            "matrix",
            &Array2::from_shape_fn((50, 4), |(r, c)| (r * 4 + c) as i32),
        )
        .unwrap();
    let archive_path = store.put("deflated.npz", writer.finish().unwrap().into_inner());
    let npy_path = store.put("m.npy", npy::to_vec(&values).unwrap());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut archive = RemoteNpz::open(dyn_store(&store), archive_path.clone())
            .await
            .unwrap();
        let all: Vec<f64> = archive.read("values").await.unwrap();
        assert_eq!(all, values.to_vec());
        let rows: Array2<i32> = archive.read_rows("matrix", 10..12).await.unwrap();
        assert_eq!(rows.row(1).to_vec(), vec![44, 45, 46, 47]);
        let tail: Vec<f64> = archive.read_rows("values", 199_990..200_000).await.unwrap();
        assert_eq!(tail, values.as_slice().unwrap()[199_990..].to_vec());
        let header = archive.header("matrix").await.unwrap();
        assert_eq!(header.header.shape, vec![50, 4]);

        store.take();
        let mut file = npy_serde::remote::RemoteNpy::open(dyn_store(&store), npy_path.clone())
            .await
            .unwrap();
        let middle: Vec<f64> = file.read_rows(1000..1010).await.unwrap();
        assert_eq!(middle, values.as_slice().unwrap()[1000..1010].to_vec());
        assert_eq!(store.take(), (1 + 1, 4096 + 80));
        let whole: NpyArray = file.read().await.unwrap();
        assert_eq!(whole.shape(), &[200_000]);
    });
}

/// moto's S3 server (shared support) and the options that reach it.
fn s3() -> &'static (PythonServer, RemoteOptions) {
    test_support::s3_server()
}

fn boto_prelude(port: u16) -> String {
    format!(
        "import io, json, numpy as np, boto3\n\
         s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:{port}', region_name='us-east-1',\n\
             aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         def put(key, fn):\n    buf = io.BytesIO(); fn(buf); s3.put_object(Bucket='npy', Key=key, Body=buf.getvalue())\n\
         def get(key):\n    return io.BytesIO(s3.get_object(Bucket='npy', Key=key)['Body'].read())\n"
    )
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Dataset {
    x: Array2<f64>,
    labels: Vec<i64>,
    names: Vec<String>,
}

#[test]
fn archives_numpy_wrote_read_from_s3() {
    let (server, options) = s3();
    let dir = temp_dir();
    let script = boto_prelude(server.port)
        + r#"
rng = np.random.default_rng(7)
x = rng.standard_normal((1000, 8))
labels = np.arange(1000, dtype=np.int64) % 10
names = np.array(["a", "bb", "ccc"])
big_unused = np.zeros(4_000_000)
put('numpy/dataset.npz', lambda f: np.savez(f, x=x, labels=labels, names=names, big_unused=big_unused))
put('numpy/dataset_c.npz', lambda f: np.savez_compressed(f, x=x, labels=labels, names=names))
put('numpy/x.npy', lambda f: np.save(f, x))
put('numpy/many.npz', lambda f: np.savez(f, **{f"m{i}": np.arange(3) + i for i in range(10_000)}))
np.savez('dataset.npz', x=x, labels=labels, names=names)
print("ok")
"#;
    assert_eq!(run_python(&script, dir.path()).trim(), "ok");
    let local: Dataset = npy_serde::from_path(dir.path().join("dataset.npz")).unwrap();

    // The serde format: only the members the struct asks for are fetched (not big_unused's
    // 32 MB).
    for key in ["numpy/dataset.npz", "numpy/dataset_c.npz"] {
        let url = format!("s3://npy/{key}");
        let remote: Dataset = blocking::from_url_with(&url, options).unwrap();
        assert_eq!(remote, local, "{key}");
    }
    let mut archive =
        blocking::RemoteNpz::open_url_with("s3://npy/numpy/dataset.npz", options).unwrap();
    let x: Array2<f64> = archive.read_rows("x", 10..20).unwrap();
    assert_eq!(x, local.x.slice(ndarray::s![10..20, ..]));
    assert!(archive.stats().bytes < MIB, "{:?}", archive.stats());

    let mut npy = blocking::RemoteNpy::open_url_with("s3://npy/numpy/x.npy", options).unwrap();
    let rows: Array2<f64> = npy.read_rows(990..1000).unwrap();
    assert_eq!(rows, local.x.slice(ndarray::s![990.., ..]));
    assert_eq!(npy.stats().requests, 2);

    let mut many = blocking::RemoteNpz::open_url_with("s3://npy/numpy/many.npz", options).unwrap();
    let listed = many.stats();
    eprintln!("moto: list 10,000 members NumPy wrote: {listed:?}");
    assert!(listed.requests <= 3, "{listed:?}");
    assert_eq!(many.members().len(), 10_000);
    let m: Vec<i64> = many.read("m9999").unwrap();
    assert_eq!(m, vec![9999, 10_000, 10_001]);

    // An async caller: the serde format through the runtime it runs on.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (store, path) =
        npy_serde::remote::store_for_url("s3://npy/numpy/dataset.npz", options).unwrap();
    let remote: Dataset = runtime
        .block_on(npy_serde::remote::from_store(store, path, options))
        .unwrap();
    assert_eq!(remote, local);
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    epoch: u32,
    layers: Vec<Layer>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Layer {
    weight: Array2<f32>,
    bias: Vec<f32>,
}

#[test]
fn archives_written_here_load_in_numpy_from_s3() {
    let (server, options) = s3();
    let checkpoint = Checkpoint {
        epoch: 3,
        layers: (0..3)
            .map(|l| Layer {
                weight: Array2::from_shape_fn((64, 32), |(r, c)| (l * 10_000 + r * 32 + c) as f32),
                bias: vec![l as f32; 32],
            })
            .collect(),
    };
    // Small: one PUT. Large (24 MiB, parts of 8 MiB): a multipart upload.
    blocking::to_url_with(&checkpoint, "s3://npy/ours/checkpoint.npz", options).unwrap();
    let large: Array1<f64> = (0..3 * (1 << 20)).map(|i| i as f64).collect();
    #[derive(Serialize)]
    struct Large<'a> {
        values: &'a Array1<f64>,
    }
    blocking::to_url_with(
        &Large { values: &large },
        "s3://npy/ours/large.npz",
        options,
    )
    .unwrap();
    let back: Checkpoint =
        blocking::from_url_with("s3://npy/ours/checkpoint.npz", options).unwrap();
    assert_eq!(back, checkpoint);

    let script = boto_prelude(server.port)
        + r#"
c = np.load(get('ours/checkpoint.npz'))
assert int(c['epoch']) == 3, c['epoch']
w = c['layers/2/weight']
assert w.shape == (64, 32) and w.dtype == np.float32 and w[1, 2] == 20000 + 34, w[1, 2]
assert (c['layers/1/bias'] == 1).all()
large = np.load(get('ours/large.npz'))['values']
assert large.shape == (3 << 20,) and large[-1] == (3 << 20) - 1
print("ok")
"#;
    assert_eq!(run_python(&script, &std::env::temp_dir()).trim(), "ok");
}

/// The misbehaving HTTP server, serving `dir`.
fn hostile(dir: &FsPath) -> PythonServer {
    test_support::hostile_http_server(dir)
}

#[test]
fn hostile_responses_are_clear_errors() {
    let dir = temp_dir();
    let values: Vec<f64> = (0..100_000).map(f64::from).collect();
    let mut writer = npz::Writer::new(std::fs::File::create(dir.path().join("a.npz")).unwrap());
    writer.add("values", &values).unwrap();
    writer.finish().unwrap();
    let server = hostile(dir.path());
    let options = RemoteOptions::default()
        .with_timeout(Duration::from_secs(1))
        .with_retry(RetryConfig {
            max_retries: 1,
            retry_timeout: Duration::from_secs(3),
            ..RetryConfig::default()
        });
    let url = |mode: &str| format!("http://127.0.0.1:{}/{mode}/a.npz", server.port);

    let mut honest = blocking::RemoteNpz::open_url_with(&url("ok"), &options).unwrap();
    let read: Vec<f64> = honest.read("values").unwrap();
    assert_eq!(read, values);
    // Weak ETags (W/"…") cannot be sent as If-Match, which compares strongly: they are
    // compared after each response instead.
    let mut weak = blocking::RemoteNpz::open_url_with(&url("weak"), &options).unwrap();
    let read: Vec<f64> = weak.read("values").unwrap();
    assert_eq!(read, values);

    let expect = |mode: &str, wanted: &[&str]| {
        let result = blocking::RemoteNpz::open_url_with(&url(mode), &options)
            .and_then(|mut archive| archive.read::<Vec<f64>>("values"));
        let err = result.expect_err(mode);
        assert!(
            matches!(err.kind(), ErrorKind::Remote { .. }),
            "{mode}: {err:?}"
        );
        let text = err.to_string();
        assert!(text.contains(&url(mode)), "{mode}: {text}");
        assert!(wanted.iter().any(|w| text.contains(w)), "{mode}: {text}");
        eprintln!("{mode}: {text}");
    };
    expect("short", &["returned", "got"]);
    expect("truncate", &["error", "body", "closed", "returned"]);
    expect("etag", &["changed since it was opened"]);
    expect("long", &["more than the"]);
    let started = std::time::Instant::now();
    expect("slow", &["timed out", "timeout", "Timeout"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let missing = blocking::RemoteNpz::open_url_with(
        &format!("http://127.0.0.1:{}/ok/none.npz", server.port),
        &options,
    );
    let text = missing.err().unwrap().to_string();
    assert!(text.contains("check the URL"), "{text}");
}

#[test]
fn serde_reads_fetch_only_the_members_asked_for() {
    #[derive(Serialize)]
    struct Saved {
        x: Array2<f64>,
        labels: Vec<i64>,
        big_unused: Vec<f64>,
    }
    #[derive(Deserialize)]
    struct Wanted {
        x: Array2<f64>,
        labels: Vec<i64>,
    }
    let store = Arc::new(TestStore::new());
    let saved = Saved {
        x: Array2::from_shape_fn((100, 8), |(r, c)| (r * 8 + c) as f64),
        labels: (0..100).collect(),
        big_unused: vec![0.5; 1 << 20],
    };
    let path = store.put("saved.npz", npy_serde::to_vec(&saved).unwrap());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let wanted: Wanted = runtime
        .block_on(npy_serde::remote::from_store(
            dyn_store(&store),
            path.clone(),
            &RemoteOptions::default(),
        ))
        .unwrap();
    assert_eq!(wanted.x, saved.x);
    assert_eq!(wanted.labels, saved.labels);
    let (requests, bytes) = store.take();
    eprintln!("serde, 2 of 3 members: {requests} requests, {bytes} bytes");
    // The open (the directory is in its bytes), then one request per member read.
    assert_eq!(requests, 3);
    assert!(
        bytes < 100_000,
        "{bytes} bytes: the 8 MiB member was fetched"
    );

    // Written to the store and read back, through the async API.
    runtime
        .block_on(npy_serde::remote::to_store(
            &saved,
            dyn_store(&store),
            Path::from("again.npz"),
            &RemoteOptions::default(),
        ))
        .unwrap();
    let again: Wanted = runtime
        .block_on(npy_serde::remote::from_store(
            dyn_store(&store),
            Path::from("again.npz"),
            &RemoteOptions::default(),
        ))
        .unwrap();
    assert_eq!(again.labels, saved.labels);
}

#[test]
fn first_rows_of_a_large_deflated_member_fetch_only_the_start() {
    // 48 MiB of float64 that barely compress (a multiplicative hash of the index).
    const ROWS: usize = 6 << 10;
    let noisy = Array2::from_shape_fn((ROWS, 1024), |(r, c)| {
        let i = (r * 1024 + c) as u64;
        f64::from_bits((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 12) | 0x3FF0_0000_0000_0000)
    });
    let store = Arc::new(TestStore::new());
    let mut writer = compressed_writer();
    writer.add("noisy", &noisy).unwrap();
    let archive = writer.finish().unwrap().into_inner();
    let compressed = archive.len() as u64;
    let path = store.put("noisy.npz", archive);

    let mut remote = blocking::RemoteNpz::open(dyn_store(&store), path).unwrap();
    let first: Array2<f64> = remote.read_rows("noisy", 0..16).unwrap();
    assert_eq!(first, noisy.slice(ndarray::s![..16, ..]));
    let (requests, bytes) = store.take();
    eprintln!(
        "rows 0..16 of a {compressed}-byte deflated member: {requests} requests, {bytes} bytes"
    );
    assert!(
        bytes < compressed / 4,
        "{bytes} of {compressed} bytes fetched"
    );
    let last: Array2<f64> = remote
        .read_rows("noisy", (ROWS - 2) as u64..ROWS as u64)
        .unwrap();
    assert_eq!(last, noisy.slice(ndarray::s![ROWS - 2.., ..]));
}

#[test]
fn edge_cases_suffixless_stores_empty_ranges_and_lying_headers() {
    // A store without suffix ranges (Azure): the size first, then the end.
    let store = Arc::new(TestStore::new().refusing_suffix_ranges());
    let mut writer = npz::Writer::new(std::io::Cursor::new(Vec::new()));
    writer
        .add(
            "a",
            &Array2::from_shape_fn((10, 3), |(r, c)| (r * 3 + c) as i16),
        )
        .unwrap();
    writer
        .add("empty_rows", &Array2::<f32>::zeros((4, 0)))
        .unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let path = store.put("a.npz", bytes.clone());
    let mut archive = blocking::RemoteNpz::open(dyn_store(&store), path).unwrap();
    let (requests, _) = store.take();
    assert_eq!(requests, 3, "refused suffix, size, end");
    // Empty row ranges and zero-byte rows: empty arrays, no request for data.
    let none: Array2<i16> = archive.read_rows("a", 5..5).unwrap();
    assert_eq!(none.dim(), (0, 3));
    let zero_width: Array2<f32> = archive.read_rows("empty_rows", 1..3).unwrap();
    assert_eq!(zero_width.dim(), (2, 0));

    // A member whose header declares more rows than it holds: an error, never the next
    // member's bytes. The header of "a" is rewritten to say 20 rows (same length).
    let mut lying = bytes;
    let at = lying
        .windows(7)
        .position(|w| w == b"(10, 3)")
        .expect("the shape in the header");
    lying[at..at + 7].copy_from_slice(b"(20, 3)");
    let store = Arc::new(TestStore::new());
    let path = store.put("lying.npz", lying);
    let mut archive = blocking::RemoteNpz::open(dyn_store(&store), path).unwrap();
    let err = archive
        .read_rows::<Array2<i16>>("a", 10..20)
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds only"), "{err}");
}

/// Damaged archives through the remote reader: every mutation of a valid archive (bit
/// flips in the directory, the local headers and the `.npy` headers, truncations) opens
/// and reads with a result or an error, never a panic or a hang. (The bytes are parsed by
/// the npz and `.npy` readers that the fuzz targets cover; this covers the remote layer's
/// own arithmetic around them: spans, misses, row ranges.)
#[test]
fn damaged_archives_are_errors_not_panics() {
    let mut writer = npz::Writer::new(std::io::Cursor::new(Vec::new()));
    writer
        .add(
            "a",
            &Array2::from_shape_fn((6, 3), |(r, c)| (r * 3 + c) as f32),
        )
        .unwrap();
    writer.add("b", &(0..40i64).collect::<Vec<_>>()).unwrap();
    let stored = writer.finish().unwrap().into_inner();
    let mut writer = compressed_writer();
    writer.add("c", &vec![1.5f64; 300]).unwrap();
    writer.add("d", &Array2::<u8>::zeros((5, 7))).unwrap();
    let deflated = writer.finish().unwrap().into_inner();

    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut cases = 0;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for original in [&stored, &deflated] {
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for cut in (0..original.len()).step_by(7) {
            variants.push(original[..cut].to_vec());
        }
        for _ in 0..600 {
            let mut bytes = original.clone();
            for _ in 0..1 + random() % 3 {
                let at = (random() % bytes.len() as u64) as usize;
                bytes[at] ^= 1 << (random() % 8);
            }
            variants.push(bytes);
        }
        for bytes in variants {
            cases += 1;
            let path = Path::from(format!("case{cases}.npz"));
            runtime.block_on(async {
                store
                    .put_opts(&path, PutPayload::from(bytes), PutOptions::default())
                    .await
                    .unwrap();
                let Ok(mut archive) = RemoteNpz::open(store.clone(), path.clone()).await else {
                    return;
                };
                for name in archive.names() {
                    let _ = archive.read::<NpyArray>(&name).await;
                    let _ = archive.header(&name).await;
                    let _ = archive.read_rows::<NpyArray>(&name, 0..2).await;
                    let _ = archive.read_rows::<NpyArray>(&name, 1..1).await;
                }
                let _ =
                    npy_serde::remote::from_store::<std::collections::BTreeMap<String, Vec<f64>>>(
                        store.clone(),
                        path.clone(),
                        &RemoteOptions::default(),
                    )
                    .await;
            });
        }
    }
    eprintln!("{cases} damaged archives");
    assert!(cases > 1000, "{cases} cases");
}

#[test]
fn checkpoint_manager_keeps_checkpoints_under_an_s3_prefix() {
    use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
    let (server, options) = s3();
    let (store, _) = npy_serde::remote::store_for_url("s3://npy/runs/x", options).unwrap();
    let checkpoint_options = CheckpointOptions::default().with_max_to_keep(2);
    let mut manager =
        CheckpointManager::open_store(store, Path::from("runs/a"), checkpoint_options, options)
            .unwrap();
    assert_eq!(manager.latest().unwrap(), None);
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct State {
        step: u64,
        values: Vec<f64>,
    }
    for step in 1..=4 {
        // Step 4 is 24 MiB: a multipart upload (parts of 8 MiB).
        let len = if step == 4 { 3 << 20 } else { 1000 };
        let state = State {
            step,
            values: vec![step as f64; len],
        };
        manager.save(step, &state).unwrap();
    }
    manager.wait().unwrap();
    assert_eq!(manager.steps().unwrap(), [3, 4]);
    let (step, latest): (u64, State) = manager.restore_latest().unwrap().unwrap();
    assert_eq!((step, latest.values.len()), (4, 3 << 20));
    assert!(latest.values.iter().all(|&v| v == 4.0));
    let script = boto_prelude(server.port)
        + r#"
keys = sorted(o['Key'] for o in s3.list_objects_v2(Bucket='npy', Prefix='runs/a/')['Contents'])
assert keys == ['runs/a/checkpoint_0000000003.npz', 'runs/a/checkpoint_0000000004.npz'], keys
c = np.load(get('runs/a/checkpoint_0000000004.npz'))
assert int(c['step']) == 4 and c['values'].shape == (3 << 20,) and (c['values'] == 4).all()
print("ok")
"#;
    assert_eq!(run_python(&script, &std::env::temp_dir()).trim(), "ok");
}
