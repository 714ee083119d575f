//! Robustness: saves killed with SIGKILL and concurrent readers and writers (`crash`, which
//! reruns this binary as its child process), the checkpoint manager killed mid-save
//! (`checkpoint_crash`), and the fuzz corpora replayed on stable (`fuzz_replay`). One test
//! binary; each module is one former test file.

mod checkpoint_crash;
mod crash;
mod fuzz_replay;
