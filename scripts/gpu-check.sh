#!/usr/bin/env bash
# The GPU check: builds every CUDA program (architecture of the GPU found, else 80 and 90), runs the
# CUDA tests, and prints one JSON line with the results. Run it on a machine with a CUDA GPU:
#   bash scripts/gpu-check.sh [BUILD_DIR]
# Exit status 0 when every CUDA test passed, 1 when one failed, 77 when there is no GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
start=$(date +%s)

bash scripts/install-deps.sh >&2 || exit 1
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEST_SANITIZED_TESTS=OFF \
  ${arch:+-DCMAKE_CUDA_ARCHITECTURES=$arch} >&2 || exit 1
cmake --build "$build" -j"$(nproc)" --target est_cuda_parity >&2 || exit 1

log="$build/gpu-check.log"
(cd "$build" && ctest -L cuda --output-on-failure) > "$log" 2>&1
status=$?
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
parity=$(grep -h '^{"test": "cuda_parity"' "$build"/Testing/Temporary/LastTest.log 2>/dev/null | tail -1)
passed=$(grep -E -c "Test +#[0-9]+: .* Passed" "$log")
skipped=$(grep -E -c "Test +#[0-9]+: .*(Skipped|Not Run)" "$log")
failed=$(grep -E -c "Test +#[0-9]+: .*(Failed|Exception|Timeout)" "$log")
printf '{"gpu": "%s", "cuda_tests_passed": %d, "cuda_tests_skipped": %d, "cuda_tests_failed": %d, "parity": %s, "seconds": %d}\n' \
  "${gpu:-none}" "$passed" "$skipped" "$failed" "${parity:-null}" "$(( $(date +%s) - start ))"
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then exit 1; fi
if [ "$passed" -eq 0 ]; then exit 77; fi
exit 0
