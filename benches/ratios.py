"""Prints the benchmark figures of benches/npy.rs (criterion's medians under
target/criterion) and of benches/compare_numpy.py as ratios against the raw anchor of each
group: time / raw time, so 1.00 is as fast as moving the bytes with no format at all.

Usage: python benches/ratios.py [CRITERION_DIR] [NUMPY_JSON]
"""

import json
import os
import sys

GROUPS = [
    "save_file",
    "load_file",
    "save_mem",
    "load_mem",
    "load_big_endian_mem",
    "save_strided_mem",
]


def criterion_medians(root, group):
    medians = {}
    group_dir = os.path.join(root, group)
    if not os.path.isdir(group_dir):
        return medians
    for bench in sorted(os.listdir(group_dir)):
        new = os.path.join(group_dir, bench, "new")
        try:
            with open(os.path.join(new, "benchmark.json")) as f:
                name = json.load(f)["function_id"]
            with open(os.path.join(new, "estimates.json")) as f:
                medians[name] = json.load(f)["median"]["point_estimate"] / 1e9
        except (OSError, KeyError, ValueError):
            continue
    return medians


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
    numpy_json = sys.argv[2] if len(sys.argv) > 2 else "target/criterion/numpy.json"
    numpy = {}
    if os.path.exists(numpy_json):
        with open(numpy_json) as f:
            numpy = json.load(f)
        print(f"NumPy {numpy.get('numpy')}: ratios against Python's own raw anchor")
    for group in GROUPS:
        rust = criterion_medians(root, group)
        if not rust:
            continue
        raw = rust.get("raw")
        print(f"\n{group}  (raw = {raw * 1e3:.1f} ms)")
        print(f"  {'':32} {'median ms':>10} {'x raw':>7}")
        for name, secs in rust.items():
            print(f"  {name:32} {secs * 1e3:10.1f} {secs / raw:7.2f}")
        py = numpy.get("groups", {}).get(group, {})
        py_raw = py.get("python_raw")
        for name, secs in py.items():
            if name == "python_raw":
                continue
            print(
                f"  {name:32} {secs * 1e3:10.1f} {secs / py_raw:7.2f}"
                f"  (x Python's raw {py_raw * 1e3:.1f} ms; x Rust raw {secs / raw:.2f})"
            )


if __name__ == "__main__":
    main()
