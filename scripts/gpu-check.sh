#!/usr/bin/env bash
# The GPU check, one command on a machine with a CUDA GPU:
#   bash scripts/gpu-check.sh [--deps DIR] [--no-cudnn] [BUILD_DIR]
# On a machine with no package registry, --deps DIR takes est's libraries and the dataset from the
# .deb files that `scripts/install-deps.sh --download DIR` saved elsewhere (unpacked under
# $TMPDIR/est-deps; Thrust is then the CUDA toolkit's). cuDNN comes from the CUDA toolkit or from
# python3's nvidia-cudnn wheel; --no-cudnn builds the convolutions on im2col + cuBLAS instead (a
# second run, in another BUILD_DIR, where cuDNN fails on the machine).
# Builds the CUDA programs for the GPU's architecture (80 and 90 where none is found), runs the CUDA
# tests (the parity suite of every layer, loss, metric and optimizer against the host), trains the
# example's CNN for one epoch on the CPU and on the GPU (the accuracies must agree within 0.01), runs
# the CUDA benchmark, and prints one JSON line. Exit status 0 when everything passed, 1 when
# something failed, 77 when there is no GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
deps="" build=build-gpu cudnn_switch=ON
while [ $# -gt 0 ]; do
  case "$1" in
    --deps) deps=${2:?--deps needs a folder of .deb files}; shift 2 ;;
    --no-cudnn) cudnn_switch=OFF; shift ;;
    *) build=$1; shift ;;
  esac
done
start=$(date +%s)

configure=(-DCMAKE_BUILD_TYPE=Release -DEST_SANITIZED_TESTS=OFF -DEST_ENABLE_CUDNN="$cudnn_switch")
data_dir=/usr/share/datasets/fashion-mnist
if [ -n "$deps" ]; then
  # Outside the source tree, as CMake's exported targets may not name folders inside it.
  prefix=${TMPDIR:-/tmp}/est-deps
  rm -rf "$prefix"
  bash scripts/install-deps.sh --unpack "$deps" "$prefix" >&2 || exit 1
  configure+=(-DCMAKE_PREFIX_PATH="$prefix/usr")
  for multiarch in "$prefix"/usr/include/*-linux-gnu; do  # jconfig.h, which the compiler looks for there
    export CPATH="$multiarch${CPATH:+:$CPATH}"
  done
  for multiarch in "$prefix"/usr/lib/*-linux-gnu; do  # what oneDNN loads (OpenCL's loader)
    export LD_LIBRARY_PATH="$multiarch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  done
  data_dir=$prefix/usr/share/datasets/fashion-mnist
else
  bash scripts/install-deps.sh >&2 || exit 1
fi
cudnn=$(python3 -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null)
if [ -n "$cudnn" ]; then  # its libcudnn.so.9 loads the rest of cuDNN from the same folder
  configure+=(-DEST_CUDNN_ROOT="$cudnn")
  export LD_LIBRARY_PATH="$cudnn/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')
[ -n "$arch" ] && configure+=(-DCMAKE_CUDA_ARCHITECTURES="$arch")
cmake -S . -B "$build" "${configure[@]}" >&2 || exit 1
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
driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
# The tests' own reason for a skip (a driver older than the CUDA runtime, say), for the log's reader.
skip_reason=$(sed -n 's/^no CUDA device (\(.*\)): skipped$/\1/p' "$build"/Testing/Temporary/LastTest.log 2>/dev/null |
  head -1 | tr -d '"')

example=null benchmark=null accuracy_ok=true
if [ "$passed" -gt 0 ]; then
  run_example() {  # prints the example's final JSON line
    "$build/examples/$1" --device "$2" --model cnn --epochs 1 --progress off --data-dir "$data_dir" \
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

printf '{"gpu": "%s", "driver": "%s", "cuda_tests_passed": %d, "cuda_tests_skipped": %d, "cuda_tests_failed": %d, "skip_reason": "%s", "parity": %s, "example": %s, "benchmark": %s, "seconds": %d}\n' \
  "${gpu:-none}" "${driver:-none}" "$passed" "$skipped" "$failed" "$skip_reason" "${parity:-null}" "$example" \
  "$benchmark" "$(( $(date +%s) - start ))"
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ] || [ "$accuracy_ok" != true ]; then exit 1; fi
if [ "$passed" -eq 0 ] && [ -n "$gpu" ]; then  # nvidia-smi sees a GPU that est's programs cannot use
  echo "error: nvidia-smi reports $gpu (driver $driver), but the CUDA tests found no usable device: $skip_reason" >&2
  exit 1
fi
if [ "$passed" -eq 0 ]; then exit 77; fi
exit 0
