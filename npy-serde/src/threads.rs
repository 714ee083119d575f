//! How many threads the parallel paths (inflate, deflate, zeroing new pages) use.

/// Threads available to this process (1: no point in a parallel path). Asked of the system
/// once: on Linux the answer reads cgroup files, which per call would dominate listing a
/// 100,000-member archive.
pub(crate) fn available() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
