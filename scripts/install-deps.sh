#!/usr/bin/env bash
# The one list of Debian packages est needs to build, test and run its examples.
# Installs only what is missing; used by `make run`, `make test` and CI.
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
