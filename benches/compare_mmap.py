"""NumPy's side of benches/mmap.rs, run by it on the same file in the same run, one case
at a time right after the Rust side of that case (so both see the same machine load).

Usage: python compare_mmap.py FILE.npy INDICES.txt CASE REPEATS
Prints the median seconds of one run of CASE.
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
    path, indices_path, case, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    indices = np.loadtxt(indices_path, dtype=np.int64)
    kept = np.load(path, mmap_mode="r")
    expected = float(kept[indices].sum())

    def random_reads():
        m = np.load(path, mmap_mode="r")
        total = m[indices].sum()
        assert total == expected
        return total

    cases = {
        # Open (header parse + mmap) and read 1000 random elements.
        "open_read_1000_random": random_reads,
        # The same reads through a mapping kept open.
        "read_1000_random_kept_mapping": lambda: kept[indices].sum(),
        # Sum every element through a fresh mapping.
        "sum_mapped": lambda: np.load(path, mmap_mode="r").sum(),
        # Read the whole file into memory, then sum.
        "sum_after_full_load": lambda: np.load(path).sum(),
    }
    print(median_time(cases[case], repeats), flush=True)


if __name__ == "__main__":
    main()
