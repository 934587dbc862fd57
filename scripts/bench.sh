#!/usr/bin/env bash
# Builds and runs the ddnn benchmark suite (Release, in build-bench/), installing missing Debian 12
# packages first. Arguments go to ddnn_bench, e.g.:
#   scripts/bench.sh                 # full run: 5 repetitions, markdown summary at the end
#   scripts/bench.sh --quick         # smoke run, a few seconds
#   scripts/bench.sh --benchmark_filter=conv3x3
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

packages=(g++ cmake ninja-build libxsimd-dev libeigen3-dev nlohmann-json3-dev doctest-dev libbenchmark-dev libdnnl-dev ocl-icd-opencl-dev)
source scripts/install_missing.sh
install_missing bench.sh "${packages[@]}"

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DDDNN_BUILD_TESTS=OFF -DDDNN_BUILD_EXAMPLES=OFF
cmake --build build-bench --target ddnn_bench
exec build-bench/bench/ddnn_bench "$@"
