#!/usr/bin/env bash
# Runs the .npy benchmarks side by side and prints ratios against the raw anchors:
# criterion (benches/npy.rs: npy-serde, ndarray-npy, npyz, raw I/O), then NumPy
# (benches/compare_numpy.py, with its own raw anchor), then benches/ratios.py.
# Needs ~2 GiB of memory and a few minutes; run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${NPY_SERDE_PYTHON:-target/numpy-venv/bin/python}"
cargo bench --bench npy -- "$@"
"$python" benches/compare_numpy.py target/criterion/numpy.json target
"$python" benches/ratios.py target/criterion target/criterion/numpy.json
