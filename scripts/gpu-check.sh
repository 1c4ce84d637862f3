#!/usr/bin/env bash
# The GPU check, one command on a machine with a CUDA GPU:
#   bash scripts/gpu-check.sh [BUILD_DIR]
# Builds the CUDA programs for the GPU's architecture (80 and 90 where none is found), runs the CUDA
# tests (the parity suite of every layer, loss, metric and optimizer against the host), trains the
# example's CNN for one epoch on the CPU and on the GPU (the accuracies must agree within 0.01), runs
# the CUDA benchmark, and prints one JSON line. Exit status 0 when everything passed, 1 when
# something failed, 77 when there is no GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
start=$(date +%s)

bash scripts/install-deps.sh >&2 || exit 1
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEST_SANITIZED_TESTS=OFF \
  ${arch:+-DCMAKE_CUDA_ARCHITECTURES=$arch} >&2 || exit 1
cmake --build "$build" -j"$(nproc)" --target est_cuda_parity fashion_mnist fashion_mnist_cuda \
  training_throughput_cuda >&2 || exit 1

log="$build/gpu-check.log"
(cd "$build" && ctest -L cuda -E "cuda_example|cuda_benchmark" --output-on-failure) > "$log" 2>&1
status=$?
passed=$(grep -E -c "Test +#[0-9]+: .* Passed" "$log")
skipped=$(grep -E -c "Test +#[0-9]+: .*(Skipped|Not Run)" "$log")
failed=$(grep -E -c "Test +#[0-9]+: .*(Failed|Exception|Timeout)" "$log")
parity=$(grep -h '^{"test": "cuda_parity"' "$build"/Testing/Temporary/LastTest.log 2>/dev/null | tail -1)
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)

example=null benchmark=null accuracy_ok=true
if [ "$passed" -gt 0 ]; then
  run_example() {  # prints the example's final JSON line
    "$build/examples/$1" --device "$2" --model cnn --epochs 1 --progress off \
      --model-dir "$build/gpu-check-$2" 2>&1 | tee -a "$log" | grep '^{"model"' | tail -1
  }
  rm -rf "$build/gpu-check-cpu" "$build/gpu-check-cuda"
  cpu=$(run_example fashion_mnist cpu)
  cuda=$(run_example fashion_mnist_cuda cuda)
  example=$(python3 -c 'import json,sys
c, g = json.loads(sys.argv[1] or "null"), json.loads(sys.argv[2] or "null")
ok = bool(c and g and abs(c["accuracy"] - g["accuracy"]) <= 0.01)
print(json.dumps({"cpu": c, "cuda": g, "accuracy_within_0.01": ok}))' "$cpu" "$cuda")
  case "$example" in *'"accuracy_within_0.01": true'*) ;; *) accuracy_ok=false ;; esac
  benchmark=$("$build/benchmarks/training_throughput_cuda" 2>>"$log" | tee -a "$log" | tail -1)
  case "$benchmark" in '{'*) ;; *) benchmark=null; accuracy_ok=false ;; esac
fi

printf '{"gpu": "%s", "cuda_tests_passed": %d, "cuda_tests_skipped": %d, "cuda_tests_failed": %d, "parity": %s, "example": %s, "benchmark": %s, "seconds": %d}\n' \
  "${gpu:-none}" "$passed" "$skipped" "$failed" "${parity:-null}" "$example" "$benchmark" "$(( $(date +%s) - start ))"
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ] || [ "$accuracy_ok" != true ]; then exit 1; fi
if [ "$passed" -eq 0 ]; then exit 77; fi
exit 0
