//! Robustness: saves killed with SIGKILL and concurrent readers and writers (`crash`, which
//! reruns this binary as its child process), and the fuzz corpora replayed on stable
//! (`fuzz_replay`). One test binary; each module is one former test file.

mod crash;
mod fuzz_replay;
