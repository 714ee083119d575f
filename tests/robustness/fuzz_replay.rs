//! Replays the fuzz corpora on stable, as an ordinary test: every input under
//! `fuzz/corpus/<target>/` (the committed seeds) and `fuzz/regressions/<target>/` (inputs
//! that once crashed a target) goes through the same checks the libFuzzer targets run
//! (`fuzz/checks.rs`), so CI exercises them without a fuzzer. See fuzz/README.md.

use std::path::Path;

#[path = "../../fuzz/checks.rs"]
mod checks;

/// Runs `check` on every file of `dir` (when it exists); returns how many it ran.
fn replay(dir: &Path, check: fn(&[u8])) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its fuzz check", path.display());
        count += 1;
    }
    count
}

#[test]
fn fuzz_corpora_and_regressions_replay_without_panics() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (target, check) in checks::TARGETS {
        let seeds = replay(&fuzz.join("corpus").join(target), check);
        assert!(seeds > 0, "no seed corpus for fuzz target {target}");
        replay(&fuzz.join("regressions").join(target), check);
    }
}
