#!/usr/bin/env bash
# Fuzzes every reader of outside bytes, one command:
#   bash scripts/fuzz.sh [SECONDS] [BUILD_DIR]        (defaults: 60 seconds a target, build-fuzz)
# Builds tests/fuzz with clang++ (libFuzzer, AddressSanitizer, UndefinedBehaviorSanitizer; JOBS
# parallel compiles, default all cores), then runs each fuzz_<target> for SECONDS on a fresh copy of
# its seed corpus (tests/fuzz/corpus/<target>) plus the inputs that once crashed it
# (tests/data/fuzz/<target>), and prints one JSON line per target and a total line. Crash, leak,
# timeout and out-of-memory inputs are kept in BUILD_DIR/artifacts/<target>/, each target's
# libFuzzer log in BUILD_DIR/logs/<target>.log. Exit status 1 when any target found something.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${2:-build-fuzz}

cmake -S tests/fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ >&2 || exit 1
cmake --build "$build" --parallel "${JOBS:-$(nproc)}" >&2 || exit 1
build=$(cd "$build" && pwd)

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# A small quarantine, returned to the system often: AddressSanitizer's allocator otherwise keeps
# freed memory of every size class and a fast target's resident size reaches -rss_limit_mb.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32:allocator_release_to_os_interval_ms=1000}
count() { grep -cE "$1" "$2" || true; }
total_runs=0 total_crashes=0 total_leaks=0 total_timeouts=0 total_ooms=0 total_corpus=0 total_seconds=0 targets=0
for source in tests/fuzz/*.cpp; do
  grep -q LLVMFuzzerTestOneInput "$source" || continue
  target=$(basename "$source" .cpp)
  corpus=$build/corpus/$target artifacts=$build/artifacts/$target log=$build/logs/$target.log
  rm -rf "$corpus" && mkdir -p "$corpus" "$artifacts" "$build/logs"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null
  cp tests/data/fuzz/"$target"/* "$corpus"/ 2>/dev/null
  dict=()
  [ -f tests/fuzz/"$target".dict ] && dict=(-dict=tests/fuzz/"$target".dict)
  start=$(date +%s)
  "$build/fuzz_$target" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
  elapsed=$(($(date +%s) - start))
  runs=$(sed -nE 's/^Done ([0-9]+) runs in.*/\1/p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  crashes=$(count 'ERROR: AddressSanitizer|SUMMARY: UndefinedBehaviorSanitizer|ERROR: libFuzzer: deadly signal' "$log")
  leaks=$(count 'ERROR: LeakSanitizer' "$log")
  timeouts=$(count 'ALARM: working on the last Unit for' "$log")
  ooms=$(count 'ERROR: libFuzzer: out-of-memory' "$log")
  files=$(find "$corpus" -type f | wc -l)
  printf '{"target": "%s", "seconds": %d, "runs": %d, "crashes": %d, "leaks": %d, "timeouts": %d, "ooms": %d, "coverage": %d, "corpus": %d}\n' \
    "$target" "$elapsed" "${runs:-0}" "$crashes" "$leaks" "$timeouts" "$ooms" "${coverage:-0}" "$files"
  targets=$((targets + 1)) total_seconds=$((total_seconds + elapsed)) total_runs=$((total_runs + ${runs:-0}))
  total_crashes=$((total_crashes + crashes)) total_leaks=$((total_leaks + leaks))
  total_timeouts=$((total_timeouts + timeouts)) total_ooms=$((total_ooms + ooms)) total_corpus=$((total_corpus + files))
done
printf '{"total": {"targets": %d, "seconds": %d, "runs": %d, "crashes": %d, "leaks": %d, "timeouts": %d, "ooms": %d, "corpus": %d}}\n' \
  "$targets" "$total_seconds" "$total_runs" "$total_crashes" "$total_leaks" "$total_timeouts" "$total_ooms" "$total_corpus"
[ $((total_crashes + total_leaks + total_timeouts + total_ooms)) -eq 0 ]
