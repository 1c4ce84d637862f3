#!/usr/bin/env bash
# Compile time of est in a user's program: compiles user_program.cpp (one model, a canned head, the
# estimator, train_and_evaluate, one input pipeline) at -O3 and with -fsyntax-only, and
# include_only.cpp (#include <est/est.hpp> alone), with the flags est::est gives a consumer
# (BUILD_DIR/tests/compile_flags.rsp, made by configuring the project: separate compilation);
# then user_program.cpp header-only (est::header_only) at -O3, and est::est's library translation
# unit (src/est.cpp, compiled once per build of est). Each RUNS times (default 3, alternating).
# Prints one JSON object: median, min and max wall seconds and peak compiler memory (MiB) of each.
#   benchmarks/compile_time/run.sh [RUNS] [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs="${1:-3}"
build="${2:-$here/../../build}"
flags="$build/tests/compile_flags.rsp"
[[ -f "$flags" ]] || { echo "compile_time: $flags is missing; configure the project first (make configure)" >&2; exit 1; }
compiler="${CXX:-g++}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# name, then the compiler arguments after the flags
declare -A commands=(
  [user_program_O3]="-O3 -c $here/user_program.cpp -o $out/user_program.o"
  [user_program_syntax_only]="-fsyntax-only $here/user_program.cpp"
  [include_only_O3]="-O3 -c $here/include_only.cpp -o $out/include_only.o"
  [user_program_header_only_O3]="-UEST_SEPARATE_COMPILATION -O3 -c $here/user_program.cpp -o $out/user_program.o"
  [library_O3]="-O3 -c $here/../../src/est.cpp -o $out/est.o"
)
order=(user_program_O3 user_program_syntax_only include_only_O3 user_program_header_only_O3 library_O3)

declare -A seconds memory
for ((run = 0; run < runs; ++run)); do
  for name in "${order[@]}"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %M" -o "$out/time" "$compiler" @"$flags" ${commands[$name]}
    read -r s kib < "$out/time"
    seconds[$name]+="$s "
    memory[$name]+="$((kib / 1024)) "
  done
done

summary() {  # values... -> "median":m,"min":a,"max":b
  python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print("\"median\":%g,\"min\":%g,\"max\":%g" % (statistics.median(v), min(v), max(v)))' "$@"
}
json="{\"compiler\":\"$("$compiler" --version | head -1)\",\"runs\":$runs"
for name in "${order[@]}"; do
  # shellcheck disable=SC2086
  json+=",\"${name}_seconds\":{$(summary ${seconds[$name]})},\"${name}_peak_mib\":{$(summary ${memory[$name]})}"
done
echo "$json}"
