//! Streamed object-store writes and reads, and faults:
//! - a 1 GiB member uploaded by `to_url` (parts sent as produced) and read whole, against
//!   moto, each in a child process that reports its peak resident memory;
//! - a failed upload (the serializer failing mid-way, the store failing a part) is
//!   aborted and leaves nothing visible, and the error names the object;
//! - transient store errors (HTTP 500, 503, a connection reset mid-body) from the hostile
//!   HTTP server are retried by object_store's policy;
//! - a zero-length object is a clear error;
//! - the checkpoint manager's store mode streams its archive (a failed part aborts it),
//!   and a failed deletion during retention leaves the save committed and is retried.

use std::sync::Arc;
use std::time::Duration;

use ndarray::Array1;
use npy_serde::remote::object_store::memory::InMemory;
use npy_serde::remote::object_store::path::Path;
use npy_serde::remote::object_store::{self, GetOptions, ObjectStore, PutOptions, PutPayload};
use npy_serde::remote::{blocking, RemoteOptions, RetryConfig};
use npy_serde::{npz, Bulk};
use serde::Serialize;
use test_support::store::TestStore;
use test_support::{hostile_http_server, s3_options, temp_dir};

/// A value whose first member (24 MiB) is uploaded in parts before the second fails to
/// serialize (`i128` has no dtype).
#[derive(Serialize)]
struct FailsHalfway {
    big: Bulk<Array1<f64>>,
    bad: i128,
}

fn fails_halfway() -> FailsHalfway {
    FailsHalfway {
        big: Bulk(Array1::from_elem(3 << 20, 1.5)),
        bad: 1,
    }
}

#[test]
fn a_serializer_failing_mid_upload_leaves_nothing_on_s3() {
    let (_, options) = test_support::s3_server();
    let url = "s3://npy/faults/halfway.npz";
    let err = blocking::to_url_with(&fails_halfway(), url, options).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("i128") || text.contains("bad"), "{text}");
    let missing = blocking::RemoteNpz::open_url_with(url, options)
        .err()
        .unwrap();
    assert!(missing.to_string().contains("check the URL"), "{missing}");
    // Nothing left behind: no incomplete multipart upload either.
    let (store, _) = npy_serde::remote::store_for_url(url, options).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (store_arc, path) = (store, Path::from("faults/halfway.npz"));
    let uploads = runtime.block_on(async {
        use futures::StreamExt;
        store_arc.list(Some(&path)).collect::<Vec<_>>().await
    });
    assert!(uploads.is_empty(), "{uploads:?}");
}

#[test]
fn an_empty_object_is_a_clear_error() {
    let (_, options) = test_support::s3_server();
    let (store, path) =
        npy_serde::remote::store_for_url("s3://npy/faults/empty.npz", options).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(store.put_opts(
            &path,
            PutPayload::from(Vec::<u8>::new()),
            PutOptions::default(),
        ))
        .unwrap();
    for result in [
        blocking::RemoteNpz::open_url_with("s3://npy/faults/empty.npz", options).err(),
        blocking::RemoteNpy::open_url_with("s3://npy/faults/empty.npz", options).err(),
    ] {
        let text = result.unwrap().to_string();
        assert!(
            text.contains("empty object (0 bytes), not an .npy/.npz"),
            "{text}"
        );
        assert!(text.contains("s3://npy/faults/empty.npz"), "{text}");
    }
    // The same from an in-memory store (which answers the range differently).
    let memory: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let empty = Path::from("empty.npz");
    runtime
        .block_on(memory.put_opts(
            &empty,
            PutPayload::from(Vec::<u8>::new()),
            PutOptions::default(),
        ))
        .unwrap();
    let text = blocking::RemoteNpz::open(memory, empty)
        .err()
        .unwrap()
        .to_string();
    assert!(text.contains("empty object (0 bytes)"), "{text}");
}

/// A checkpoint state of 24 MiB: five parts of 5 MiB.
fn big_state(step: u64) -> std::collections::BTreeMap<String, Bulk<Array1<f64>>> {
    let mut state = std::collections::BTreeMap::new();
    state.insert(
        "weights".to_string(),
        Bulk(Array1::from_elem(3 << 20, step as f64)),
    );
    state
}

#[test]
fn a_store_checkpoint_streams_in_parts_and_a_failed_part_aborts_it() {
    use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
    let remote = RemoteOptions::default().with_part_size(5 << 20);
    // Part 2 fails: the first part was sent before the archive was complete (streamed),
    // and the upload is aborted, nothing listed, the error naming the object.
    let store = Arc::new(TestStore::new().failing_part(2));
    let dyn_store: Arc<dyn ObjectStore> = store.clone();
    let mut manager = CheckpointManager::open_store(
        dyn_store,
        Path::from("run"),
        CheckpointOptions::default(),
        &remote,
    )
    .unwrap();
    manager.save(1, &big_state(1)).unwrap();
    let text = manager.wait().unwrap_err().to_string();
    assert!(text.contains("run/checkpoint_0000000001.npz"), "{text}");
    assert!(text.contains("injected failure"), "{text}");
    assert_eq!(store.aborts(), 1);
    assert!(manager.steps().unwrap().is_empty());
    // A healthy store: the streamed checkpoint restores.
    let healthy: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let mut manager = CheckpointManager::open_store(
        healthy.clone(),
        Path::from("run"),
        CheckpointOptions::default(),
        &remote,
    )
    .unwrap();
    manager.save(2, &big_state(2)).unwrap();
    manager.wait().unwrap();
    // Written by the streaming writer (the archive was never whole in memory): the member
    // has a data descriptor (general-purpose flag bit 3 of its local header).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let object = runtime
        .block_on(async {
            let path = Path::from("run/checkpoint_0000000002.npz");
            healthy
                .get_opts(&path, GetOptions::default())
                .await?
                .bytes()
                .await
        })
        .unwrap();
    assert_eq!(&object[..4], b"PK\x03\x04");
    assert_eq!(
        object[6] & 0x08,
        0x08,
        "a data descriptor follows the member"
    );
    let (step, back): (u64, std::collections::BTreeMap<String, Vec<f64>>) =
        manager.restore_latest().unwrap().unwrap();
    assert_eq!(step, 2);
    assert!(back["weights"].len() == 3 << 20 && back["weights"].iter().all(|&v| v == 2.0));
}

#[test]
fn a_failed_retention_deletion_leaves_the_save_committed_and_is_retried() {
    use npy_serde::checkpoint::{CheckpointManager, CheckpointOptions};
    let store = Arc::new(TestStore::new());
    let dyn_store: Arc<dyn ObjectStore> = store.clone();
    let options = CheckpointOptions::default().with_max_to_keep(1);
    let mut manager = CheckpointManager::open_store(
        dyn_store,
        Path::from("run"),
        options,
        &RemoteOptions::default(),
    )
    .unwrap();
    let state = |step: u64| {
        let mut state = std::collections::BTreeMap::new();
        state.insert("step".to_string(), vec![step]);
        state
    };
    manager.save(1, &state(1)).unwrap();
    manager.wait().unwrap();
    store.fail_deletes(true);
    for step in [2, 3] {
        // The save succeeds; the deletion's failure is kept, naming the object.
        manager.save(step, &state(step)).unwrap();
        manager.wait().unwrap();
        let err = manager.retention_error().expect("a retention error");
        let text = err.to_string();
        assert!(text.contains("run/checkpoint_0000000001.npz"), "{text}");
        assert!(text.contains("injected failure of a deletion"), "{text}");
    }
    assert_eq!(manager.steps().unwrap(), [1, 2, 3]);
    assert_eq!(manager.latest().unwrap(), Some(3));
    // Deletions work again: the next save's retention deletes all that was left over.
    store.fail_deletes(false);
    manager.save(4, &state(4)).unwrap();
    manager.wait().unwrap();
    assert!(manager.retention_error().is_none());
    assert_eq!(manager.steps().unwrap(), [4]);
    let (step, back): (u64, std::collections::BTreeMap<String, Vec<u64>>) =
        manager.restore_latest().unwrap().unwrap();
    assert_eq!((step, back["step"][0]), (4, 4));
}

#[test]
fn a_store_failing_mid_upload_aborts_it_and_the_error_names_the_object() {
    #[derive(Serialize)]
    struct Big {
        values: Bulk<Array1<f64>>,
    }
    let store = Arc::new(TestStore::new().failing_part(3));
    let dyn_store: Arc<dyn ObjectStore> = store.clone();
    let path = Path::from("ckpt/big.npz");
    let options = RemoteOptions::default().with_part_size(5 << 20);
    let value = Big {
        values: Bulk(Array1::from_elem(4 << 20, 2.0)),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let err = runtime
        .block_on(npy_serde::remote::to_store(
            &value,
            dyn_store.clone(),
            path.clone(),
            &options,
        ))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("ckpt/big.npz"), "{text}");
    assert!(text.contains("injected failure"), "{text}");
    assert_eq!(store.aborts(), 1);
    assert!(
        runtime
            .block_on(dyn_store.get_opts(&path, GetOptions::default()))
            .is_err(),
        "nothing visible"
    );
    // The same value on a healthy store: streamed in parts, complete, and readable; a
    // single-threaded runtime builds it in memory first.
    for multi_thread in [true, false] {
        let healthy: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let runtime = if multi_thread {
            tokio::runtime::Runtime::new().unwrap()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        runtime
            .block_on(npy_serde::remote::to_store(
                &value,
                healthy.clone(),
                path.clone(),
                &options,
            ))
            .unwrap();
        let mut archive = blocking::RemoteNpz::open(healthy, path.clone()).unwrap();
        let back: Vec<f64> = archive.read("values").unwrap();
        assert!(back.len() == 4 << 20 && back.iter().all(|&v| v == 2.0));
    }
}

#[test]
fn transient_store_errors_are_retried() {
    let dir = temp_dir();
    // Larger than a whole-member piece (32 MiB), so that the read takes several requests.
    let values: Vec<f64> = (0..(9 << 20)).map(f64::from).collect();
    let mut writer = npz::Writer::new(std::fs::File::create(dir.path().join("a.npz")).unwrap());
    writer.add("values", &values).unwrap();
    writer.add("small", &vec![1u8, 2, 3]).unwrap();
    writer.finish().unwrap();
    let server = hostile_http_server(dir.path());
    let options = RemoteOptions::default().with_retry(RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(30),
        backoff: object_store::BackoffConfig {
            init_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
            base: 2.0,
        },
    });
    for mode in ["fail500", "fail503", "reset"] {
        let url = format!("http://127.0.0.1:{}/{mode}/a.npz", server.port);
        let mut archive = blocking::RemoteNpz::open_url_with(&url, &options)
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let small: Vec<u8> = archive
            .read("small")
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(small, [1, 2, 3]);
        let read: Vec<f64> = archive
            .read("values")
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert!(read == values, "{mode}");
    }
}

/// A member larger than the 32 MiB piece, stored and deflated, read whole with the next
/// piece fetched ahead: every byte of the member is fetched once, in one request per
/// piece (none past the member), through the blocking API and on a single-threaded
/// runtime.
#[test]
fn a_large_member_read_whole_fetches_each_piece_once() {
    const PIECE: u64 = 32 << 20;
    // 80 MiB of counting f64 (stored: 3 pieces) and 40 MiB of pseudo-random u64 (which
    // deflate cannot shrink below 32 MiB: 2 pieces).
    let counting: Vec<f64> = (0..10 << 20).map(|i| i as f64).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let random: Vec<u64> = (0..5 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        })
        .collect();
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let setup = tokio::runtime::Runtime::new().unwrap();
    for (name, compression) in [
        ("stored.npz", npz::Compression::Stored),
        ("deflated.npz", npz::Compression::NUMPY_DEFLATE),
    ] {
        let options = npy_serde::WriteOptions::default().with_compression(compression);
        let mut writer =
            npz::Writer::with_options(std::io::Cursor::new(Vec::new()), &options).unwrap();
        writer.add("counting", &counting).unwrap();
        writer.add("random", &random).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        setup
            .block_on(store.put_opts(
                &Path::from(name),
                PutPayload::from(bytes),
                PutOptions::default(),
            ))
            .unwrap();
    }
    for name in ["stored.npz", "deflated.npz"] {
        let mut archive = blocking::RemoteNpz::open(store.clone(), Path::from(name)).unwrap();
        for member in ["counting", "random"] {
            let info = archive
                .members()
                .iter()
                .find(|m| m.name == member)
                .unwrap()
                .clone();
            let before = archive.stats();
            if member == "counting" {
                let back: Vec<f64> = archive.read(member).unwrap();
                assert!(back == counting, "{name} {member}");
            } else {
                let back: Vec<u64> = archive.read(member).unwrap();
                assert!(back == random, "{name} {member}");
            }
            let after = archive.stats();
            let bytes = after.bytes - before.bytes;
            // The member's bytes and its local header, nothing more.
            assert!(
                bytes >= info.compressed_size && bytes < info.compressed_size + 1024,
                "{name} {member}: {bytes} bytes for {}",
                info.compressed_size
            );
            if bytes > PIECE {
                assert_eq!(
                    after.requests - before.requests,
                    bytes.div_ceil(PIECE),
                    "{name} {member}"
                );
            }
        }
    }
    // The async API on a single-threaded runtime: the piece ahead is fetched by a task of
    // that runtime while its thread waits for the decoding.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let back: Vec<u64> = runtime
        .block_on(async {
            let path = Path::from("deflated.npz");
            let mut archive = npy_serde::remote::RemoteNpz::open(store.clone(), path).await?;
            archive.read("random").await
        })
        .unwrap();
    assert!(back == random);
}

const ONE_GIB_ELEMENTS: usize = 1 << 28;

/// A 1 GiB `f32` member uploaded with `to_url` (streamed in parts) and read whole, against
/// moto. Each step runs in a child process (this binary running [`one_gib_child`]), so the
/// peak resident memory it reports is that step's alone.
#[test]
fn a_one_gib_member_uploads_and_reads_back_in_bounded_memory() {
    let (server, _) = test_support::s3_server();
    let mut peaks = Vec::new();
    for step in ["upload", "read"] {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "one_gib_child", "--ignored", "--nocapture"])
            .env("NPY_SERDE_ONE_GIB_STEP", step)
            .env("NPY_SERDE_S3_PORT", server.port.to_string())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{step}: {text}");
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("one_gib "))
            .unwrap_or_else(|| panic!("{step}: {text}"))
            .to_string();
        eprintln!("{step}: {line}");
        let extra: u64 = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("extra_mib="))
            .and_then(|v| v.parse().ok())
            .unwrap();
        peaks.push(extra);
    }
    // Upload: part size (8 MiB) x (8 in flight + 2), plus the HTTP client and npz writer
    // buffers, beyond the value.
    assert!(peaks[0] <= 80 + 32, "upload peak +{} MiB", peaks[0]);
    // Read: the array (1 GiB, mapped whole before the first piece is copied in) plus the
    // bounded window (the piece being decoded and the one fetched ahead, 32 MiB each) and
    // the HTTP client's buffers.
    assert!(
        peaks[1] <= 1024 + 2 * 32 + 32,
        "read peak +{} MiB",
        peaks[1]
    );
}

/// One step of [`a_one_gib_member_uploads_and_reads_back_in_bounded_memory`]; prints
/// `one_gib step=… seconds=… extra_mib=…` (peak resident memory beyond what it held
/// before the step).
#[test]
#[ignore = "run by a_one_gib_member_uploads_and_reads_back_in_bounded_memory"]
fn one_gib_child() {
    let (Ok(step), Ok(port)) = (
        std::env::var("NPY_SERDE_ONE_GIB_STEP"),
        std::env::var("NPY_SERDE_S3_PORT"),
    ) else {
        return;
    };
    let options = s3_options(port.parse().unwrap());
    let url = "s3://npy/ours/one_gib.npz";
    let (before, seconds) = if step == "upload" {
        let values: Array1<f32> = (0..ONE_GIB_ELEMENTS).map(|i| (i % 4099) as f32).collect();
        #[derive(Serialize)]
        struct Big<'a> {
            values: npy_serde::Bulk<ndarray::ArrayView1<'a, f32>>,
        }
        let before = test_support::peak_memory_kib();
        let started = std::time::Instant::now();
        blocking::to_url_with(
            &Big {
                values: npy_serde::Bulk(values.view()),
            },
            url,
            &options,
        )
        .unwrap();
        (before, started.elapsed().as_secs_f64())
    } else {
        let mut archive = blocking::RemoteNpz::open_url_with(url, &options).unwrap();
        let before = test_support::peak_memory_kib();
        let started = std::time::Instant::now();
        let values: Vec<f32> = archive.read("values").unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(values.len(), ONE_GIB_ELEMENTS);
        assert!(values
            .iter()
            .enumerate()
            .step_by(4097)
            .all(|(i, &v)| v == (i % 4099) as f32));
        (before, seconds)
    };
    let extra = (test_support::peak_memory_kib() - before) / 1024;
    println!("one_gib step={step} seconds={seconds:.1} extra_mib={extra}");
}
