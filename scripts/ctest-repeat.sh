#!/usr/bin/env bash
# Runs the whole test suite with `ctest -j2` N times in a row (default 10) on a built tree, to show
# that no test depends on timing, on another test running beside it, or on what an earlier run left.
# Prints one JSON line per run and a total; exits 1 if any run failed.
#   scripts/ctest-repeat.sh [RUNS] [BUILD_DIR]     (build first: make test, or cmake --build BUILD_DIR)
set -euo pipefail
runs=${1:-10}
build=${2:-build}
[ -f "$build/CTestTestfile.cmake" ] || { echo "ctest-repeat: '$build' is not a configured build directory" >&2; exit 2; }
logs=$build/ctest-repeat
mkdir -p "$logs"

failed_runs=0
total_started=$(date +%s)
for run in $(seq 1 "$runs"); do
  started=$(date +%s)
  status=0
  (cd "$build" && ctest -j2 --output-on-failure) >"$logs/run-$run.log" 2>&1 || status=$?
  seconds=$(( $(date +%s) - started ))
  summary=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$logs/run-$run.log" | tail -1)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
  failures=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$summary")
  failing=$(grep -E "^\s+[0-9]+ - .* \((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)" "$logs/run-$run.log" |
            sed -E 's/^\s+[0-9]+ - (.*) \(.*$/\1/' | paste -sd, - || true)
  [ "$status" -eq 0 ] || failed_runs=$((failed_runs + 1))
  printf '{"run": %d, "tests": %s, "failed": %s, "failing": "%s", "seconds": %d, "log": "%s"}\n' \
    "$run" "${total:-0}" "${failures:-0}" "$failing" "$seconds" "$logs/run-$run.log"
done
printf '{"runs": %d, "failed_runs": %d, "seconds": %d}\n' "$runs" "$failed_runs" $(( $(date +%s) - total_started ))
[ "$failed_runs" -eq 0 ]
