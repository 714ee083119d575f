"""NumPy's np.save / np.load on the same 256 MiB float64 array as benches/npy.rs, with
raw anchors timed in the same process (writing/reading the same bytes with plain file I/O
or a bytes copy). Writes median seconds as JSON for benches/ratios.py.

Usage: python benches/compare_numpy.py OUT.json [TMPDIR]
"""

import io
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

LEN = 256 * 1024 * 1024 // 8
REPEAT = 5


def median_seconds(fn):
    fn()  # warm-up
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_copy(data):
    return np.frombuffer(data, dtype=np.uint8).copy()


def npy_bytes(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def main():
    out_path = sys.argv[1]
    tmp = sys.argv[2] if len(sys.argv) > 2 else None
    array = np.arange(LEN, dtype="<f8") * 0.5
    data = npy_bytes(array)
    big = npy_bytes(array.astype(">f8"))
    strided = array.reshape(4096, -1)[:, ::2]
    results = {}
    with tempfile.TemporaryDirectory(dir=tmp) as d:
        path = os.path.join(d, "bench.npy")

        # Raw anchors move the same bytes through buffers NumPy allocates (np.empty
        # asks for transparent huge pages), so they show what the format itself costs.
        def raw_write():
            with open(path, "wb") as f:
                f.write(memoryview(data))

        def raw_read():
            buffer = np.empty(len(data), dtype=np.uint8)
            with open(path, "rb", buffering=0) as f:
                f.readinto(buffer)
            return buffer

        results["save_file"] = {
            "python_raw": median_seconds(raw_write),
            "numpy/np.save": median_seconds(lambda: np.save(path, array)),
        }
        raw_write()
        results["load_file"] = {
            "python_raw": median_seconds(raw_read),
            "numpy/np.load": median_seconds(lambda: np.load(path)),
        }
    results["save_mem"] = {
        "python_raw": median_seconds(lambda: raw_copy(data)),
        "numpy/np.save": median_seconds(lambda: npy_bytes(array)),
    }
    results["load_mem"] = {
        "python_raw": median_seconds(lambda: raw_copy(data)),
        "numpy/np.load": median_seconds(lambda: np.load(io.BytesIO(data))),
    }
    results["load_big_endian_mem"] = {
        "python_raw": median_seconds(lambda: raw_copy(big)),
        # np.load keeps the file's byte order; the Rust readers swap to native.
        "numpy/np.load(no swap)": median_seconds(lambda: np.load(io.BytesIO(big))),
        "numpy/np.load+astype(<f8)": median_seconds(
            lambda: np.load(io.BytesIO(big)).astype("<f8")
        ),
    }
    results["save_strided_mem"] = {
        "python_raw": median_seconds(lambda: np.ascontiguousarray(strided)),
        "numpy/np.save": median_seconds(lambda: npy_bytes(strided)),
    }
    with open(out_path, "w") as f:
        json.dump({"numpy": np.__version__, "groups": results}, f, indent=1)


if __name__ == "__main__":
    main()
