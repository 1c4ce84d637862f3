#!/usr/bin/env bash
# est's AVX-512 kernels tested on a CPU without AVX-512, one command:
#   bash scripts/avx512-logic-check.sh [BUILD_DIR]
# Builds est_tests_avx512_logic (tests/CMakeLists.txt: the matrix product's, the convolutions' and
# the layers' tests with the 16-lane kernels compiled for AVX2) in BUILD_DIR (default build) and
# runs it twice: as est picks its kernels on AVX-512, and with est's matrix product everywhere
# (EST_OWN_GEMM=1). The 16-lane code runs the same operations, each split in two AVX2
# halves; what this cannot test is the code g++ generates for AVX-512 itself (its instructions and
# where it fuses a multiply with an add). Exit status 0 when both runs pass, 1 when one fails, 77
# where the CPU has no AVX2 and FMA.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if ! grep -q -w avx2 /proc/cpuinfo || ! grep -q -w fma /proc/cpuinfo; then
  echo "avx512-logic-check: this CPU has no AVX2 and FMA" >&2
  exit 77
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null || exit 1
cmake --build "$build" -j"$(nproc)" --target est_tests_avx512_logic || exit 1
status=0
"$build/tests/est_tests_avx512_logic" || status=1
EST_OWN_GEMM=1 "$build/tests/est_tests_avx512_logic" || status=1
exit $status
