use std::collections::BTreeMap;

use super::*;

type State = BTreeMap<String, Vec<f64>>;

fn state(version: u64) -> State {
    let mut state = BTreeMap::new();
    state.insert("values".to_string(), vec![version as f64; 1000]);
    state.insert("version".to_string(), vec![version as f64]);
    state
}

#[test]
fn retention_keeps_the_last_ones_and_every_nth() {
    let steps: Vec<u64> = (1..=10).collect();
    let options = CheckpointOptions::default();
    assert!(
        options.to_delete(&steps, 10).is_empty(),
        "keep all by default"
    );
    let options = options.with_max_to_keep(3);
    assert_eq!(options.to_delete(&steps, 10), [1, 2, 3, 4, 5, 6, 7]);
    let options = options.with_keep_every(4);
    assert_eq!(options.to_delete(&steps, 10), [1, 2, 3, 5, 6, 7]);
    // A step saved below the latest ones is kept anyway.
    assert_eq!(
        CheckpointOptions::default()
            .with_max_to_keep(2)
            .to_delete(&steps, 3),
        [1, 2, 4, 5, 6, 7, 8]
    );
}

#[test]
fn options_are_checked_when_opening() {
    let dir = tempfile::tempdir().unwrap();
    for (options, message) in [
        (
            CheckpointOptions::default().with_max_to_keep(0),
            "max_to_keep",
        ),
        (
            CheckpointOptions::default().with_keep_every(0),
            "keep_every",
        ),
        (CheckpointOptions::default().with_name("a/b"), "name"),
        (CheckpointOptions::default().with_name(""), "name"),
        (
            CheckpointOptions::default().with_write(
                WriteOptions::default()
                    .with_alignment(64)
                    .with_compression(Compression::NUMPY_DEFLATE),
            ),
            "alignment",
        ),
    ] {
        let err = CheckpointManager::open(dir.path(), options).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
    }
}

#[test]
fn saves_list_restore_and_retain() {
    let dir = tempfile::tempdir().unwrap();
    let options = CheckpointOptions::default()
        .with_max_to_keep(2)
        .with_keep_every(3)
        .with_sync(false);
    let mut manager = CheckpointManager::open(dir.path(), options).unwrap();
    assert_eq!(manager.latest().unwrap(), None);
    assert!(manager.restore_latest::<State>().unwrap().is_none());
    for step in 1..=7 {
        assert!(manager.save(step, &state(step)).unwrap());
    }
    manager.wait().unwrap();
    assert_eq!(manager.steps().unwrap(), [3, 6, 7]);
    assert_eq!(manager.latest().unwrap(), Some(7));
    assert_eq!(manager.restore::<State>(3).unwrap(), state(3));
    let (step, latest) = manager.restore_latest::<State>().unwrap().unwrap();
    assert_eq!((step, latest), (7, state(7)));
    assert_eq!(
        manager.path_of(7),
        dir.path().join("checkpoint_0000000007.npz")
    );
    // Nothing else in the directory: no temporary files.
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "checkpoint_0000000003.npz",
            "checkpoint_0000000006.npz",
            "checkpoint_0000000007.npz"
        ]
    );
}

#[test]
fn checkpoints_are_aligned_by_default_and_load_as_maps() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = CheckpointManager::open(dir.path(), CheckpointOptions::default()).unwrap();
    manager.save(1, &state(1)).unwrap();
    manager.wait().unwrap();
    // SAFETY: nothing changes the file while it is mapped.
    let map =
        unsafe { crate::mmap::MappedNpy::open_npz_member(manager.path_of(1), "values") }.unwrap();
    assert_eq!(map.as_slice::<f64>().unwrap(), &[1.0; 1000][..]);
}

#[test]
fn compressed_checkpoints_restore() {
    let dir = tempfile::tempdir().unwrap();
    let options = CheckpointOptions::default().with_compression(Compression::NUMPY_DEFLATE);
    let mut manager = CheckpointManager::open(dir.path(), options).unwrap();
    manager.save(5, &state(5)).unwrap();
    manager.wait().unwrap();
    assert_eq!(manager.restore::<State>(5).unwrap(), state(5));
    let archive = crate::npz::Reader::open(manager.path_of(5)).unwrap();
    assert!(archive
        .members()
        .iter()
        .all(|m| m.compressed_size < m.uncompressed_size));
}

#[test]
fn skip_backpressure_returns_false_while_a_save_is_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let options = CheckpointOptions::default().with_backpressure(Backpressure::Skip);
    let mut manager = CheckpointManager::open(dir.path(), options).unwrap();
    let mut big = BTreeMap::new();
    big.insert("x".to_string(), vec![1.0f64; 4 << 20]);
    assert!(manager.save(1, &big).unwrap());
    let mut skipped = 0;
    while manager.is_saving() {
        if !manager.save(2, &big).unwrap() {
            skipped += 1;
        }
    }
    manager.wait().unwrap();
    // Step 2 was either skipped every time the first was in flight, or saved afterwards.
    assert!(skipped > 0 || manager.steps().unwrap().contains(&2));
    assert!(manager.steps().unwrap().contains(&1));
}

#[test]
fn a_background_error_is_returned_by_the_next_save_naming_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ckpt");
    let mut manager = CheckpointManager::open(&root, CheckpointOptions::default()).unwrap();
    manager.save(1, &state(1)).unwrap();
    manager.wait().unwrap();
    // The directory disappears behind the manager's back (a file takes its place).
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::write(&root, b"not a directory").unwrap();
    assert!(manager.save(2, &state(2)).unwrap());
    let err = manager.save(3, &state(3)).unwrap_err();
    assert_eq!(
        err.path(),
        Some(root.join("checkpoint_0000000002.npz").as_path())
    );
    assert_eq!(err.category(), crate::error::Category::Io);
    // The error was returned once; the directory is back, and saving works again.
    std::fs::remove_file(&root).unwrap();
    std::fs::create_dir(&root).unwrap();
    manager.save(3, &state(3)).unwrap();
    manager.wait().unwrap();
    assert_eq!(manager.steps().unwrap(), [3]);

    // The same error through wait().
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::write(&root, b"not a directory").unwrap();
    manager.save(4, &state(4)).unwrap();
    let err = manager.wait().unwrap_err();
    assert!(
        err.to_string().contains("checkpoint_0000000004.npz"),
        "{err}"
    );
    manager.wait().unwrap();
}

#[test]
fn a_value_that_cannot_be_written_fails_the_save_itself() {
    #[derive(serde::Serialize)]
    struct Bad {
        values: Vec<Option<f32>>,
    }
    let dir = tempfile::tempdir().unwrap();
    let mut manager = CheckpointManager::open(dir.path(), CheckpointOptions::default()).unwrap();
    let err = manager.save(1, &Bad { values: vec![None] }).unwrap_err();
    assert!(
        err.to_string().contains("checkpoint_0000000001.npz"),
        "{err}"
    );
    manager.wait().unwrap();
    assert!(manager.steps().unwrap().is_empty());
    manager.save(2, &state(2)).unwrap();
    manager.wait().unwrap();
    assert_eq!(manager.steps().unwrap(), [2]);
}

#[cfg(feature = "object-store")]
#[test]
fn a_store_prefix_holds_checkpoints_and_nothing_deeper_is_listed() {
    use object_store::{
        memory::InMemory, path::Path as StorePath, ObjectStore, ObjectStoreExt, PutPayload,
    };
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let runtime = crate::remote::blocking::runtime().unwrap();
    // Something deeper and something else under the prefix: not checkpoints.
    for other in ["run/deeper/checkpoint_0000000009.npz", "run/notes.txt"] {
        runtime
            .block_on(store.put(&StorePath::from(other), PutPayload::from_static(b"x")))
            .unwrap();
    }
    let options = CheckpointOptions::default().with_max_to_keep(2);
    let mut manager = CheckpointManager::open_store(
        Arc::clone(&store),
        StorePath::from("run"),
        options,
        &crate::remote::RemoteOptions::default(),
    )
    .unwrap();
    for step in [10, 20, 30] {
        manager.save(step, &state(step)).unwrap();
    }
    manager.wait().unwrap();
    assert_eq!(manager.steps().unwrap(), [20, 30]);
    let (step, latest) = manager.restore_latest::<State>().unwrap().unwrap();
    assert_eq!((step, latest), (30, state(30)));
    let err = manager.restore::<State>(10).unwrap_err();
    assert!(
        err.to_string().contains("checkpoint_0000000010.npz"),
        "{err}"
    );
}
