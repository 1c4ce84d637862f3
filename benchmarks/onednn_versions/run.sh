#!/usr/bin/env bash
# Which oneDNN est builds on, by measurement: the CNN's heaviest passes (passes.cpp) built against
# Debian's oneDNN (libdnnl-dev 2.6, est's dependency) and against PyPI's onednn-cpu-gomp 3.2 (the
# newest oneDNN on PyPI built on GNU OpenMP, the runtime est's own threads use), run in turns.
#   bash benchmarks/onednn_versions/run.sh [ROUNDS] [BUILD_DIR]      (defaults: 5 rounds, build)
# Prints a table (median ms of the rounds, min-max, GFLOP/s of the median, the kernel oneDNN chose,
# heap allocations an execution made) and the raw JSON lines in BUILD_DIR/onednn_versions/runs.jsonl.
# Needs g++, python3 with pip, and PyPI (the two wheels, 39 MB, are fetched once).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
out=${2:-build}/onednn_versions
pypi_version=2023.2.0  # oneDNN 3.2
wheels=$out/onednn-$pypi_version
mkdir -p "$out"

if [ ! -f "$wheels/include/oneapi/dnnl/dnnl.h" ]; then
  python3 -m pip download --quiet --no-deps --dest "$out/wheels" \
    "onednn-cpu-gomp==$pypi_version" "onednn-devel-cpu-gomp==$pypi_version"
  # A wheel is a zip; its headers and libraries sit under <name>.data/data/.
  python3 - "$out/wheels" "$wheels" <<'EOF'
import pathlib, sys, zipfile
source, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for wheel in sorted(source.glob("onednn*-2023.2.0-*.whl")):
    with zipfile.ZipFile(wheel) as z:
        for entry in z.infolist():
            parts = pathlib.PurePosixPath(entry.filename).parts
            if len(parts) > 3 and parts[0].endswith(".data") and parts[1] == "data" and not entry.is_dir():
                path = target.joinpath(*parts[2:])
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(z.read(entry))
EOF
fi

sources=(benchmarks/onednn_versions/passes.cpp tests/support/heap_allocations.cpp)
flags=(-std=c++20 -O2 -Wall -Wextra)
g++ "${flags[@]}" "${sources[@]}" -ldnnl -o "$out/passes-debian"
g++ "${flags[@]}" -isystem "$wheels/include" "${sources[@]}" -L"$wheels/lib" -l:libdnnl.so.3 \
  -Wl,-rpath,"$(cd "$wheels/lib" && pwd)" -o "$out/passes-pypi"

export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
runs=$out/runs.jsonl
: >"$runs"
for round in $(seq 1 "$rounds"); do
  for build in debian pypi; do
    "$out/passes-$build" | sed "s/^{/{\"round\": $round, /" >>"$runs"
  done
done

python3 - "$runs" "$OMP_NUM_THREADS" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print(f"oneDNN versions, {sys.argv[2]} threads, {max(r['round'] for r in rows)} rounds: median ms [min-max], "
      "GFLOP/s of the median, kernel, heap allocations an execution")
versions = sorted({r["onednn"] for r in rows})
print("| pass | batch | layout | " + " | ".join(f"oneDNN {v}" for v in versions) + " | " +
      " / ".join(versions[::-1]) + " time |")
print("|---|---:|---|" + "---|" * len(versions) + "---:|")
keys = []
for r in rows:
    key = (r["pass"], r["batch"], r["layout"])
    if key not in keys:
        keys.append(key)
for key in keys:
    cells, medians = [], []
    for v in versions:
        mine = [r for r in rows if (r["pass"], r["batch"], r["layout"]) == key and r["onednn"] == v]
        ms = [r["ms"] for r in mine]
        m = statistics.median(ms)
        medians.append(m)
        gflops = mine[0]["gflops"] * mine[0]["ms"] / m
        cells.append(f"{m:.3f} [{min(ms):.3f}-{max(ms):.3f}], {gflops:.0f} GFLOP/s, `{mine[0]['kernel']}`, "
                     f"{mine[0]['allocations_per_execution']:.0f} alloc.")
    print(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(cells) + f" | {medians[-1] / medians[0]:.2f} |")
EOF
