"""NumPy's side of benches/mmap.rs, run by it on the same file in the same run.

Usage: python compare_mmap.py FILE.npy INDICES.txt REPEATS
Prints one line per case: "<name> <median seconds>".
"""
import statistics
import sys
import time

import numpy as np


def median_time(run, repeats):
    run()  # warm-up: page cache, first-call costs
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    path, indices_path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    indices = np.loadtxt(indices_path, dtype=np.int64)
    expected = float(np.load(path, mmap_mode="r")[indices].sum())

    def random_reads():
        m = np.load(path, mmap_mode="r")
        total = m[indices].sum()
        assert total == expected
        return total

    kept = np.load(path, mmap_mode="r")
    cases = {
        # Open (header parse + mmap) and read 1000 random elements.
        "open_read_1000_random": (random_reads, repeats * 20),
        # The same reads through a mapping kept open.
        "read_1000_random_kept_mapping": (lambda: kept[indices].sum(), repeats * 200),
        # Sum every element through a fresh mapping.
        "sum_mapped": (lambda: np.load(path, mmap_mode="r").sum(), repeats),
        # Read the whole file into memory, then sum.
        "sum_after_full_load": (lambda: np.load(path).sum(), repeats),
    }
    for name, (run, count) in cases.items():
        print(name, median_time(run, count), flush=True)


if __name__ == "__main__":
    main()
