#!/usr/bin/env bash
# The one list of Debian packages est needs to build, test and run its examples.
#   bash scripts/install-deps.sh                      installs what is missing (apt-get); used by
#                                                     `make run`, `make test` and CI
#   bash scripts/install-deps.sh --download DIR       saves in DIR the .deb files that a machine with
#                                                     no package registry (a GPU node, say) needs to
#                                                     build est's programs and run the example: the
#                                                     libraries below and the dataset, not the
#                                                     compilers, CMake or Thrust (the CUDA toolkit's)
#   bash scripts/install-deps.sh --unpack DIR PREFIX  unpacks DIR's .deb files under PREFIX, without
#                                                     root or the package database; configure with
#                                                     -DCMAKE_PREFIX_PATH=PREFIX/usr (gpu-check.sh --deps)
set -euo pipefail

packages=(
  cmake g++ make
  xtensor-dev xtl-dev libxsimd-dev
  libboost-dev libthrust-dev libcub-dev
  libdnnl-dev
  nlohmann-json3-dev zlib1g-dev libpng-dev libdeflate-dev libjpeg-dev
  catch2
  clang libclang-rt-14-dev
  dataset-fashion-mnist
)

# The same libraries for --download, as the real packages that hold the files (apt-get download
# takes no virtual or transitional names and fetches no dependencies), with the shared libraries
# they load; the C and C++ runtimes and OpenMP's come with any compiler.
offline_packages=(
  libxtensor-dev xtl-dev libxsimd-dev
  libboost1.74-dev
  libdnnl-dev libdnnl2 ocl-icd-libopencl1
  nlohmann-json3-dev zlib1g-dev libpng-dev libpng16-16 libdeflate-dev libdeflate0
  libjpeg62-turbo-dev libjpeg62-turbo
  catch2
  dataset-fashion-mnist
)

case "${1:-}" in
  --download)
    dir=${2:?usage: install-deps.sh --download DIR}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    sandbox=()  # apt's own user may not write to the folder of the user running this
    [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
    (cd "$dir" && apt-get download -qq "${sandbox[@]}" "${offline_packages[@]}")
    echo "saved $(ls "$dir"/*.deb | wc -l) packages ($(du -sh "$dir" | cut -f1)) in $dir"
    exit 0
    ;;
  --unpack)
    dir=${2:?usage: install-deps.sh --unpack DIR PREFIX}
    prefix=${3:?usage: install-deps.sh --unpack DIR PREFIX}
    debs=("$dir"/*.deb)
    [ -e "${debs[0]}" ] || { echo "error: no .deb files in $dir (make them with --download)" >&2; exit 1; }
    mkdir -p "$prefix"
    for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$prefix"; done
    echo "unpacked ${#debs[@]} packages under $prefix"
    exit 0
    ;;
  "") ;;
  *) echo "usage: install-deps.sh [--download DIR | --unpack DIR PREFIX]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
