"""NumPy + s3fs side of benches/remote.rs: the same listing and row-range reads against the
same moto server, timed in this one process. Prints `case seconds` lines (medians).

usage: python remote_compare.py PORT ROWS_START ROWS_END REPEATS"""
import statistics
import sys
import time

import numpy as np
import s3fs

port, start, end, repeats = (int(a) for a in sys.argv[1:5])
fs = s3fs.S3FileSystem(
    key="testing", secret="testing",
    client_kwargs={"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1"},
    default_block_size=1 << 20, skip_instance_cache=True, use_listings_cache=False,
)


def timed(fn):
    times = []
    for _ in range(repeats):
        fs.invalidate_cache()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def list_members():
    with fs.open("bench/many.npz", "rb") as f:
        names = np.load(f).files
    assert len(names) == 10_000


def npy_rows():
    # What a NumPy user does for a row range of a remote .npy: read the header, seek, read.
    with fs.open("bench/big.npy", "rb", block_size=64 * 1024) as f:
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(f)
        row = dtype.itemsize * int(np.prod(shape[1:]))
        f.seek(f.tell() + start * row)
        rows = np.frombuffer(f.read((end - start) * row), dtype).reshape((end - start,) + shape[1:])
    assert rows.shape[0] == end - start


def npz_member():
    with fs.open("bench/many.npz", "rb") as f:
        value = np.load(f)["m9999"]
    assert value[0] == 9999


def one_range():
    # The server's floor: one 1 MiB range request, nothing parsed.
    data = fs.cat_file("bench/big.npy", start=128 + start * 8192, end=128 + end * 8192)
    assert len(data) == (end - start) * 8192


for case, fn in [("list", list_members), ("npz_member", npz_member), ("npy_rows", npy_rows),
                 ("one_range", one_range)]:
    print(case, timed(fn))
