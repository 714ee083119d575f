"""Times NumPy reading and writing the record file of benches/records.rs and prints every
figure of that run as a ratio against the raw anchor and against npyz.

Usage: python records_compare.py <bench-records dir> <criterion dir>
(benches/records.rs runs it itself after criterion, so all figures come from one run.)
"""
import json
import os
import sys
import time

import numpy as np

records_dir, criterion_dir = sys.argv[1], sys.argv[2]
points = os.path.join(records_dir, "points.npy")
written = os.path.join(records_dir, "numpy_written.npy")


def best_of(fn, runs=7):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


array = np.load(points)
assert array.dtype == np.dtype([("x", "<f8"), ("y", "<i4"), ("pos", "<f4", (3,))]), array.dtype
numpy = {
    "records_read": best_of(lambda: np.load(points)),
    "records_write": best_of(lambda: np.save(written, array)),
}
os.remove(written)


def criterion_mean(group, name):
    path = os.path.join(criterion_dir, group, name, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e9


for group in ("records_read", "records_write"):
    names = sorted(os.listdir(os.path.join(criterion_dir, group)))
    figures = {n: criterion_mean(group, n) for n in names if n != "report"}
    figures["numpy"] = numpy[group]
    raw, npyz = figures["raw"], figures["npyz"]
    print(f"\n{group} ({array.size:,} records, {array.nbytes / 1e6:.0f} MB), median seconds")
    print(f"{'':28}{'seconds':>10}{'x raw':>10}{'npyz / this':>13}")
    for name, seconds in sorted(figures.items(), key=lambda item: item[1]):
        print(f"{name:28}{seconds:10.4f}{seconds / raw:10.2f}{npyz / seconds:13.1f}")
