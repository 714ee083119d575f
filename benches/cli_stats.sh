#!/usr/bin/env bash
# Times `npy stats` on a 1 GiB float64 array against NumPy's
#   a = np.load(f, mmap_mode='r'); a.min(), a.max(), a.mean(), a.std()
# on the same file, warm page cache, RUNS runs each (default 5), and prints each run, the
# medians and the ratio. The array is written once to target/cli-bench/ (1 GiB .npy plus the
# same array as a stored member of an .npz, which NumPy cannot map: it reads it whole).
# Needs ~3 GiB of disk and memory; run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${NPY_SERDE_PYTHON:-target/numpy-venv/bin/python}"
runs="${RUNS:-5}"
dir=target/cli-bench
mkdir -p "$dir"
cargo build --release -p npy-cli
npy=target/release/npy
if [ ! -f "$dir/big.npy" ] || [ ! -f "$dir/big.npz" ]; then
    "$python" - "$dir" <<'PY'
import sys, numpy as np
d = sys.argv[1]
n = (1 << 30) // 8
a = np.lib.format.open_memmap(f"{d}/big.npy", mode="w+", dtype="<f8", shape=(n,))
rng = np.random.default_rng(0)
step = 1 << 24
for start in range(0, n, step):
    a[start:start + step] = rng.normal(3.0, 2.0, size=min(step, n - start))
a.flush()
np.savez(f"{d}/big.npz", x=a)
PY
fi
cat "$dir/big.npy" "$dir/big.npz" > /dev/null   # warm the page cache

# Seconds taken by a command (wall clock), output discarded.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

numpy_stats='import sys, numpy as np
a = np.load(sys.argv[1], mmap_mode="r")
print(a.min(), a.max(), a.mean(), a.std())'
numpy_npz='import sys, numpy as np
a = np.load(sys.argv[1])["x"]
print(a.min(), a.max(), a.mean(), a.std())'

report() {
    local name=$1 ours=$2 theirs=$3
    local ours_median theirs_median
    ours_median=$(tr ' ' '\n' <<< "$ours" | median)
    theirs_median=$(tr ' ' '\n' <<< "$theirs" | median)
    printf '%s\n  npy stats: %s s (runs: %s)\n  NumPy:     %s s (runs: %s)\n  NumPy / npy: %.2f\n' \
        "$name" "$ours_median" "$ours" "$theirs_median" "$theirs" \
        "$(echo "$theirs_median / $ours_median" | bc -l)"
}

for target in npy npz; do
    ours="" theirs=""
    for _ in $(seq "$runs"); do
        ours="$ours $(seconds "$npy" stats "$dir/big.$target")"
        if [ "$target" = npy ]; then
            theirs="$theirs $(seconds "$python" -c "$numpy_stats" "$dir/big.npy")"
        else
            theirs="$theirs $(seconds "$python" -c "$numpy_npz" "$dir/big.npz")"
        fi
    done
    report "1 GiB float64, .$target" "${ours# }" "${theirs# }"
done
"$npy" stats "$dir/big.npy"
"$python" -c "$numpy_stats" "$dir/big.npy"
