#!/usr/bin/env bash
# The project's main job: trains the paper-style DDNN on MNIST (the project's own copy in
# data/mnist) split over six devices, and reproduces the DDNN paper's experiments. Installs what
# is missing on Debian 12 first (apt-get; sudo when not root), builds in build-main/ (Release),
# then runs examples/mnist_ddnn with the arguments given, e.g.:
#   scripts/mnist_ddnn.sh                    # default run (tiles view), 2-6 minutes on 2 cores
#   scripts/mnist_ddnn.sh --quick            # a small run, seconds
#   scripts/mnist_ddnn.sh --view views       # each device sees the whole digit through its camera
#   scripts/mnist_ddnn.sh --cloud binary     # a binary cloud section (float by default)
#   scripts/mnist_ddnn.sh --full             # + retrained aggregation schemes and filter counts
#   scripts/mnist_ddnn.sh --seeds 3          # three seeds: mean, min and max of every figure
# Results: results/mnist_ddnn.json, results/*.png (gnuplot), results/mnist_ddnn.model.json, and
# results/devices/: each device exported as a freestanding header for a microcontroller, run on
# Cortex-M cores under qemu-system-arm by scripts/mcu_devices.sh (report.md: flash, RAM,
# instructions, bit-exactness).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(g++ cmake ninja-build libxsimd-dev libeigen3-dev nlohmann-json3-dev zlib1g-dev gnuplot-nox
          gcc-arm-none-eabi libstdc++-arm-none-eabi-dev picolibc-arm-none-eabi qemu-system-arm)
source scripts/install_missing.sh
install_missing mnist_ddnn.sh "${packages[@]}"

# The default run builds only its own graph; another view, the binary cloud or --full need the
# build with every configuration (a minute or two more on two cores).
every=OFF
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  case ${args[$i]} in
    --full) every=ON ;;
    --view) [[ ${args[$((i + 1))]:-} != tiles ]] && every=ON ;;
    --cloud) [[ ${args[$((i + 1))]:-} != float ]] && every=ON ;;
  esac
done
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-main -G Ninja -DCMAKE_BUILD_TYPE=Release -DDDNN_BUILD_TESTS=OFF \
  -DDDNN_BUILD_BENCHMARKS=OFF -DDDNN_BUILD_EXAMPLES=ON -DDDNN_MAIN_JOB_NATIVE=ON \
  -DDDNN_MAIN_JOB_EVERY_CONFIGURATION=$every "${launcher[@]}" >/dev/null
cmake --build build-main --target mnist_ddnn
build-main/examples/mnist_ddnn "$@"

# The exported devices on Cortex-M (the results directory is --results', else results/; with
# --seeds N, each of this run's seeds has its own: seed_<s> for s = --seed .. --seed + N - 1, not
# what an earlier run left there).
results=results seed=1 seeds=0
for ((i = 0; i + 1 < ${#args[@]}; ++i)); do
  case ${args[$i]} in
    --results) results=${args[$((i + 1))]} ;;
    --seed) seed=${args[$((i + 1))]} ;;
    --seeds) seeds=${args[$((i + 1))]} ;;
  esac
done
dirs=("$results"/devices)
if ((seeds > 0)); then
  dirs=()
  for ((s = seed; s < seed + seeds; ++s)); do dirs+=("$results/seed_$s/devices"); done
fi
for devices in "${dirs[@]}"; do
  [[ -d $devices ]] && scripts/mcu_devices.sh "$devices"
done
