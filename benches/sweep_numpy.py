"""NumPy's side of benches/sweep.rs: a server the benchmark starts once and asks for one
timed case at a time, right after timing its own side of that case, so both see the same
machine load.

Each request is one JSON line: {"case", "path", "n", "inner", "reps"}; the answer is one
line with the median seconds of one operation (the median of `reps` samples, each timing
`inner` operations and dividing by `inner`, after one warm-up sample).

With arguments `rss save|load N PATH` it instead saves (or loads) N bytes of float64 once
and prints its peak resident set size (VmHWM) in KiB (a fresh process per figure).
"""
import json
import resource
import statistics
import sys
import time

import numpy as np

_data = {}


def data(n_bytes):
    """The benchmark's float64 values (the same formula as sweep.rs): a sine rounded to
    3 decimals, which deflate shrinks to about a third."""
    if n_bytes not in _data:
        _data.clear()
        i = np.arange(n_bytes // 8, dtype=np.float64)
        _data[n_bytes] = np.round(np.sin(i * 0.001) * 1000.0) / 1000.0
    return _data[n_bytes]


def members(count):
    return {f"m{i}": np.full(64, float(i)) for i in range(count)}


_members = {}


def member_dict(count):
    if count not in _members:
        _members.clear()
        _members[count] = members(count)
    return _members[count]


def run_case(case, path, n):
    if case == "npy_save":
        np.save(path, data(n))
    elif case == "npy_load":
        np.load(path)
    elif case == "npz_stored_save":
        np.savez(path, a=data(n))
    elif case == "npz_deflate_save":
        np.savez_compressed(path, a=data(n))
    elif case in ("npz_stored_load", "npz_deflate_load"):
        with np.load(path) as f:
            f["a"]
    elif case == "members_save":
        np.savez(path, **member_dict(n))
    elif case == "members_open":
        with np.load(path) as f:
            f.files
    elif case == "members_read_one":
        with np.load(path) as f:
            f[f"m{n // 2}"]
    elif case == "members_read_all":
        with np.load(path) as f:
            for name in f.files:
                f[name]
    elif case == "multi_deflate_save":
        np.savez_compressed(path, **{f"a{i}": data(n) + i for i in range(4)})
    elif case == "multi_deflate_load":
        with np.load(path) as f:
            for name in f.files:
                f[name]
    elif case == "records_load":
        np.load(path)
    else:
        raise ValueError(case)


def median_time(case, path, n, inner, reps):
    def sample():
        start = time.perf_counter()
        for _ in range(inner):
            run_case(case, path, n)
        return (time.perf_counter() - start) / inner

    sample()
    return statistics.median(sample() for _ in range(reps))


def peak_rss(what, n, path):
    if what == "save":
        i = np.arange(n // 8, dtype=np.float64)
        np.save(path, np.round(np.sin(i * 0.001) * 1000.0) / 1000.0)
    else:
        np.load(path)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a process started by
    # a large parent would report the parent's peak.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                print(int(line.split()[1]))
                return
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "rss":
        peak_rss(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    for line in sys.stdin:
        request = json.loads(line)
        seconds = median_time(
            request["case"], request["path"], request["n"], request["inner"], request["reps"]
        )
        print(seconds, flush=True)


if __name__ == "__main__":
    main()
