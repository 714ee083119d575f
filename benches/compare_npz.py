#!/usr/bin/env python3
"""npz speed, npy-serde against NumPy, measured side by side in one run.

Workload (issue 3): 4 members x 64 MiB float64, written stored (np.savez) and compressed
(np.savez_compressed), then every member read back. The data is the benchmark's own
(`benches/npz.rs`): a sine rounded to 3 decimals, offset per member.

Usage (from the workspace root; NumPy from target/numpy-venv or the running python):
    target/numpy-venv/bin/python benches/compare_npz.py [--mib 64] [--members 4] [--reps 3]

It times NumPy (best of --reps; the compressed write once), runs `cargo bench --bench npz` with the same sizes (criterion,
10 samples), reads criterion's estimates and prints times and NumPy/npy-serde ratios
(> 1: npy-serde is faster).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def member_data(member, length):
    i = np.arange(length, dtype=np.float64)
    return np.round((np.sin(i * 0.001) + member) * 1000.0) / 1000.0


def best_of(reps, action):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_times(mib, count, reps):
    length = mib * (1 << 20) // 8
    arrays = {"m%d" % m: member_data(m, length) for m in range(count)}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, save in [("stored", np.savez), ("compressed", np.savez_compressed)]:
            path = os.path.join(tmp, label + ".npz")
            # A compressed write takes tens of seconds: once is enough to compare.
            write_reps = reps if label == "stored" else 1
            results["write_" + label] = best_of(write_reps, lambda: save(path, **arrays))

            def read_all():
                with np.load(path) as archive:
                    for name in archive.files:
                        archive[name]

            results["read_" + label] = best_of(reps, read_all)
            results["size_" + label] = os.path.getsize(path)
    return results


def rust_times(root, mib, count):
    env = dict(os.environ, NPZ_BENCH_MIB=str(mib), NPZ_BENCH_MEMBERS=str(count))
    run = subprocess.run(
        ["cargo", "bench", "--bench", "npz", "--", "--noplot"],
        cwd=root, env=env, stderr=subprocess.PIPE, text=True,
    )
    if run.returncode != 0:
        sys.exit("cargo bench failed:\n" + run.stderr[-4000:])
    sizes = {}
    for line in run.stderr.splitlines():
        if line.startswith("npz ") and line.endswith(" bytes"):
            label, size = line[4:].split(": ")
            sizes["size_" + label] = int(size.split()[0])
    results = dict(sizes)
    for bench in ["write_stored", "read_stored", "write_compressed", "read_compressed"]:
        estimates = os.path.join(root, "target", "criterion", "npz", bench, "new", "estimates.json")
        with open(estimates) as f:
            results[bench] = json.load(f)["median"]["point_estimate"] / 1e9
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--members", type=int, default=4)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    total = args.mib * args.members
    print("workload: %d members x %d MiB float64 (%d MiB), NumPy %s, %d cores"
          % (args.members, args.mib, total, np.__version__, os.cpu_count()))
    numpy = numpy_times(args.mib, args.members, args.reps)
    rust = rust_times(root, args.mib, args.members)
    print("%-18s %12s %12s %10s" % ("operation", "NumPy (s)", "npy-serde (s)", "ratio"))
    for bench in ["write_stored", "read_stored", "write_compressed", "read_compressed"]:
        print("%-18s %12.3f %12.3f %9.2fx" % (bench, numpy[bench], rust[bench], numpy[bench] / rust[bench]))
    for label in ["stored", "compressed"]:
        key = "size_" + label
        if key in rust:
            print("%-18s %12d %12d %9.4f" % (key + " (B)", numpy[key], rust[key], rust[key] / numpy[key]))


if __name__ == "__main__":
    main()
