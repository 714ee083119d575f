"""Writes the seed corpora of the fuzz targets that read archives, files and records
(fuzz/corpus/<target>/), all made by NumPy: run from the repository root with any Python
that has NumPy (`python3 fuzz/make_corpus.py`). The seeds of the older targets (header,
npy_array, dtype, typed) were made the same way, by np.lib.format.write_array.

Seeds are small on purpose (a few hundred bytes to a few KiB): libFuzzer mutates them, and
tests/fuzz_replay.rs replays every one of them in CI.
"""
import io
import os
import struct
import zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def npy(array, **kwargs):
    out = io.BytesIO()
    np.lib.format.write_array(out, array, **kwargs)
    return out.getvalue()


def old_npy(array):
    """A header as NumPy < 1.24 wrote it: no growth padding, only 64-byte alignment."""
    header = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (
        np.lib.format.dtype_to_descr(array.dtype),
        array.shape,
    )
    total = (10 + len(header) + 1 + 63) // 64 * 64
    text = header.ljust(total - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1") + array.tobytes()


def savez(compressed=False, **arrays):
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(out, **arrays)
    return out.getvalue()


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


rng = np.random.default_rng(10)

# Arrays with every kind of data path, shared by the .npy seeds.
particle = np.dtype([
    ("note", "<U4"), ("charge", "i1"), ("inner", [("flag", "?"), ("value", "<f8")]),
    ("grid", "<i2", (2, 2)), ("pos", "<f4", (3,)), ("mass", "<f8"), ("tag", "S4"),
    ("kind", "<U8"), ("id", "<u4"),
])
particles = np.zeros(3, dtype=particle)
particles["id"] = [1, 2, 3]
particles["kind"] = ["electron", "proton", "muon"]
particles["tag"] = [b"ab", b"cdef", b""]
particles["pos"] = rng.normal(size=(3, 3))
particles["inner"]["value"] = [0.5, 1.5, 2.5]
pod = np.zeros(4, dtype=[("x", "<f8"), ("y", "<i4"), ("pos", "<f4", (3,))], )
pod_aligned = np.zeros(4, dtype=np.dtype([("x", "<f8"), ("y", "<i4"), ("pos", "<f4", (3,))], align=True))
pod_aligned["y"] = [1, 2, 3, 4]

arrays = {
    "f8_2d": rng.normal(size=(4, 3)),
    "f4_fortran": np.asfortranarray(rng.normal(size=(3, 4)).astype("<f4")),
    "i4_be": np.arange(6, dtype=">i4").reshape(3, 2),
    "u1_1d": np.arange(5, dtype="u1"),
    "i2_rows_of_zero": np.zeros((4, 0), dtype="<i2"),
    "f8_empty": np.zeros((0, 3)),
    "bool_3d": np.arange(12).reshape(2, 3, 2) % 2 == 0,
    "unicode": np.array(["a", "bcd", "ef"]),
    "bytes": np.array([b"xy", b"z"]),
    "zero_d": np.array(2.5),
    "c16": np.array([1 + 2j, 3 - 4j]),
    "i4_pairs": np.arange(8, dtype="<i4").reshape(4, 2),
    "particles": particles,
    "pod": pod,
    "pod_aligned": pod_aligned,
}

# Archive readers: stored, deflated, a non-.npy member, a prefixed archive, zip64.
checkpoint = dict(
    epoch=np.array(3, dtype="<u4"),
    name=np.array("run-7"),
    **{
        "encoder/weight": rng.normal(size=(2, 3)).astype("<f4"),
        "encoder/bias": np.zeros(3, dtype="<f4"),
        "encoder/moments": rng.normal(size=(2, 2, 2)),
        "layers/first/weight": np.ones((1, 2), dtype="<f4"),
        "layers/first/bias": np.ones(2, dtype="<f4"),
        "layers/first/moments": np.zeros(0),
        "history": rng.normal(size=(3, 4)),
        "tags": np.array(["best", "last"]),
        "best": np.array(0.25),
        "schedule": np.linspace(0, 1, 5, dtype="<f4"),
        "flags/0": np.array(True),
        "flags/1": np.array(7, dtype="u1"),
    },
)
dataset = dict(
    features=rng.normal(size=(5, 3)),
    labels=np.arange(5, dtype="<i8"),
    meta=np.array([f"s{i}" for i in range(5)]),
    weights=np.ones(5, dtype="<f4"),
    **{"splits/train": np.arange(3, dtype="<u4"), "splits/test": np.arange(3, 5, dtype="<u4")},
)
archives = {
    "stored": savez(a=arrays["f8_2d"], b=arrays["unicode"], c=arrays["particles"]),
    "deflated": savez(True, a=arrays["f4_fortran"], b=arrays["i4_be"], c=arrays["zero_d"]),
    "empty": savez(),
    "rows_of_zero": savez(z=arrays["i2_rows_of_zero"], e=arrays["f8_empty"]),
    "checkpoint": savez(**checkpoint),
    "checkpoint_deflated": savez(True, **checkpoint),
    "dataset": savez(**dataset),
    "dataset_deflated": savez(True, **dataset),
}
out = io.BytesIO()
with zipfile.ZipFile(out, "w") as z:
    z.writestr("readme.txt", "not an array")
    z.writestr("x.npy", npy(arrays["u1_1d"]))
    with z.open("big.npy", "w", force_zip64=True) as member:
        member.write(npy(arrays["i4_pairs"]))
archives["mixed_zip64"] = out.getvalue()
archives["prefixed"] = b"#!/bin/sh\nexit 0\n" + archives["stored"]

for name, data in archives.items():
    for target in ("npz_reader", "load_any", "npz_update", "mmap"):
        if target == "mmap" and name in ("checkpoint", "checkpoint_deflated", "dataset_deflated"):
            continue
        write(target, name, data)
for name in ("checkpoint", "checkpoint_deflated", "dataset", "dataset_deflated", "rows_of_zero", "stored"):
    write("serde", name, archives[name])

# Single files.
for name in ("f8_2d", "f4_fortran", "i4_be", "unicode", "zero_d", "particles", "i2_rows_of_zero"):
    write("load_any", name + ".npy", npy(arrays[name]))
for name in ("f8_2d", "f4_fortran", "i4_be", "u1_1d", "bool_3d", "pod", "i2_rows_of_zero", "zero_d"):
    write("mmap", name + ".npy", npy(arrays[name]))
for name in ("particles", "pod", "pod_aligned"):
    write("record", name, npy(arrays[name]))
write("record", "particles_2d", npy(np.stack([particles, particles])))
write("record", "particles_be", npy(particles.astype(particles.dtype.newbyteorder(">"))))
write("record", "pod_pairs", npy(pod.reshape(2, 2)))
for name in ("f8_2d", "u1_1d", "i2_rows_of_zero", "f8_empty", "bool_3d", "unicode", "i4_pairs", "f4_fortran"):
    write("row_reader", name + ".npy", npy(arrays[name]))
for name in ("f8_2d", "u1_1d", "i2_rows_of_zero", "f8_empty", "i4_pairs", "f4_fortran", "i4_be"):
    write("appender", name + ".npy", npy(arrays[name]))
write("appender", "old_header_f8", old_npy(np.arange(3.0)))
write("appender", "old_header_i4_pairs", old_npy(arrays["i4_pairs"]))
write("appender", "trailing_bytes", npy(arrays["u1_1d"]) + b"\x01\x02\x03")
print("wrote the corpora under", ROOT)
