#!/usr/bin/env bash
# Runs the MNIST main job's exported devices on Cortex-M cores under qemu-system-arm and reports
# what each costs a microcontroller. The main job writes results/devices/device_<d>.hpp with the
# test set's inputs for each device and the messages the library computed for them;
# scripts/mnist_ddnn.sh calls this script after it. By hand:
#   scripts/mcu_devices.sh [results/devices]
# For each device (examples/mnist_ddnn/mcu, cross-built with cmake/toolchains/cortex-m.cmake):
#   flash, RAM   of the smallest Cortex-M4 program that runs it, less the C runtime's own share
#                (arm-none-eabi-size of the same program without the device); RAM is the
#                device's scratch and message buffers plus the stack one forward() uses
#                (measured by painting the stack); the sensor input buffer is reported apart
#   instructions of one forward on the Cortex-M4, counted by qemu (-icount: SysTick advances
#                with executed instructions; qemu has no cycle model)
#   exact        forward() on the test inputs against the library's messages, byte for byte:
#                the first DDNN_MCU_HARD_SAMPLES (default 2000) on the Cortex-M4F (hardware
#                float) and the first DDNN_MCU_SOFT_SAMPLES (default 500) on the Cortex-M3 (soft
#                float, slower under qemu); DDNN_MCU_HARD_SAMPLES=10000 replays the whole test
#                set (about 20 s more on two cores)
# Writes <dir>/report.md and <dir>/report.json; exits non-zero when a device is not exact.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(cmake ninja-build gcc-arm-none-eabi libstdc++-arm-none-eabi-dev picolibc-arm-none-eabi
          qemu-system-arm)
source scripts/install_missing.sh
install_missing mcu_devices.sh "${packages[@]}"

dir=$(realpath "${1:-results/devices}")
hard_samples=${DDNN_MCU_HARD_SAMPLES:-2000}
soft_samples=${DDNN_MCU_SOFT_SAMPLES:-500}
ls "$dir"/device_*.hpp >/dev/null 2>&1 || { echo "mcu_devices.sh: no device_*.hpp in $dir" >&2; exit 1; }
build_root=build-mcu-devices
mkdir -p "$build_root"

# Builds examples/mnist_ddnn/mcu for core $1 with at most $2 replayed samples per device.
build() {
  local core=$1 limit=$2 out=$build_root/$1
  cmake -S examples/mnist_ddnn/mcu -B "$out" -G Ninja -DCMAKE_BUILD_TYPE= \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/cortex-m.cmake" -DDDNN_MCU_CPU="$core" \
    -DDDNN_DEVICES_DIR="$dir" -DDDNN_REPLAY_LIMIT="$limit" >"$out.configure.log" 2>&1 ||
    { cat "$out.configure.log"; exit 1; }
  cmake --build "$out" >"$out.build.log" 2>&1 || { tail -n 50 "$out.build.log"; exit 1; }
}
# Runs program $2 of core $1's build under qemu (extra qemu options after it); prints its output.
run() {
  local out=$build_root/$1 program=$2
  shift 2
  local emulator
  IFS=';' read -r -a emulator <"$out/emulator.txt"
  # the toolchain's command line ends in -kernel: options go before it
  "${emulator[@]:0:${#emulator[@]}-1}" "$@" -kernel "$out/$program"
}
field() { sed -n "s/.*\b$1 \([0-9]*\).*/\1/p" <<<"$2"; }
# text+data and data+bss of an ELF
flash_of() { arm-none-eabi-size -B "$1" | awk 'NR == 2 { print $1 + $2 }'; }
ram_of() { arm-none-eabi-size -B "$1" | awk 'NR == 2 { print $2 + $3 }'; }

echo "mcu_devices.sh: building for Cortex-M4F and Cortex-M3"
build cortex-m4f "$hard_samples"
build cortex-m3 "$soft_samples"

# Every replay, two at a time per CPU core (each is one single-threaded qemu).
parallel=$(nproc 2>/dev/null || echo 2)
echo "mcu_devices.sh: replaying test inputs on Cortex-M4F (${DDNN_MCU_HARD_SAMPLES:-all}) and Cortex-M3" \
     "(the first $soft_samples), $parallel at a time"
replay_all_start=$SECONDS
for header in "$dir"/device_*.hpp; do
  device=$(basename "$header" .hpp)
  for core in cortex-m4f cortex-m3; do
    while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
    (
      start=$SECONDS
      run "$core" "replay_$device" >"$build_root/$core/replay_$device.txt" 2>&1 || true
      echo "seconds $((SECONDS - start))" >>"$build_root/$core/replay_$device.txt"
    ) &
  done
done
wait
replay_seconds=$((SECONDS - replay_all_start))

m4=$build_root/cortex-m4f
runtime_flash=$(flash_of "$m4/footprint_runtime")
runtime_ram=$(ram_of "$m4/footprint_runtime")
failed=0
rows=()
json_rows=()
for header in "$dir"/device_*.hpp; do
  device=$(basename "$header" .hpp)
  input_bytes=$(sed -n 's/^inline constexpr std::size_t input_bytes = \([0-9]*\);/\1/p' "$header")
  flash=$(($(flash_of "$m4/footprint_$device") - runtime_flash))
  static_ram=$(($(ram_of "$m4/footprint_$device") - runtime_ram - input_bytes))
  hard=$(cat "$build_root/cortex-m4f/replay_$device.txt")
  hard_seconds=$(field seconds "$hard")
  soft=$(cat "$build_root/cortex-m3/replay_$device.txt")
  soft_seconds=$(field seconds "$soft")
  # -icount shift=6: each instruction advances the virtual clock 64 ns; SysTick counts the 25 MHz
  # processor clock of the mps2 boards, 1.6 ticks per instruction.
  ticks=$(field ticks "$(run cortex-m4f "ticks_$device" -icount shift=6)")
  instructions=$(awk -v t="$ticks" 'BEGIN { printf "%d", t / 1.6 + 0.5 }')
  stack=$(field stack "$hard")
  ram=$((static_ram + stack))
  hard_run=$(field samples "$hard") hard_differ=$(field differ "$hard")
  soft_run=$(field samples "$soft") soft_differ=$(field differ "$soft")
  exact=yes
  if [[ -z $hard_run || -z $soft_run || $hard_run == 0 || $hard_differ != 0 ||
        $soft_differ != 0 ]]; then
    exact=NO
    failed=1
  fi
  echo "$device: flash $flash B, RAM $ram B ($static_ram B buffers + $stack B stack), input" \
       "$input_bytes B, $instructions instructions per forward; Cortex-M4F $hard_differ of" \
       "$hard_run messages differ (${hard_seconds} s), Cortex-M3 $soft_differ of" \
       "$soft_run (${soft_seconds} s)"
  rows+=("| $device | $flash | $ram | $static_ram + $stack | $input_bytes | $instructions | $hard_differ of $hard_run | $soft_differ of $soft_run | $exact |")
  json_rows+=("{\"device\": \"$device\", \"flash_bytes\": $flash, \"ram_bytes\": $ram, \"buffer_bytes\": $static_ram, \"stack_bytes\": $stack, \"input_bytes\": $input_bytes, \"instructions_per_forward\": $instructions, \"cortex_m4f\": {\"samples\": ${hard_run:-0}, \"differ\": ${hard_differ:-0}}, \"cortex_m3\": {\"samples\": ${soft_run:-0}, \"differ\": ${soft_differ:-0}}}")
done

{
  echo "# The main job's devices on Cortex-M"
  echo
  echo "Flash and RAM of the smallest Cortex-M4 program that runs each device, less the C"
  echo "runtime's own share (picolibc with its semihosting start-up: $runtime_flash B of flash,"
  echo "$runtime_ram B of RAM). RAM: the device's scratch and message buffers + the stack of one"
  echo "forward(). Instructions: one forward on the Cortex-M4, counted by qemu. Exact: messages"
  echo "that differ from the library's, byte for byte, over the inputs replayed."
  echo
  echo "| device | flash (B) | RAM (B) | buffers + stack | input (B) | instructions | Cortex-M4F | Cortex-M3 (soft float) | exact |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} >"$dir/report.md"
{
  echo "{\"runtime\": {\"flash_bytes\": $runtime_flash, \"ram_bytes\": $runtime_ram},"
  echo " \"devices\": ["
  for i in "${!json_rows[@]}"; do
    sep=,
    ((i + 1 == ${#json_rows[@]})) && sep=
    echo "  ${json_rows[$i]}$sep"
  done
  echo " ]}"
} >"$dir/report.json"
echo "mcu_devices.sh: $dir/report.md, $dir/report.json (replays took ${replay_seconds} s)"
exit "$failed"
