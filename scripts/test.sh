#!/usr/bin/env bash
# ddnn's complete test run, as CI runs it (.ci/run):
#   ./scripts/test.sh
# On Debian 12 it first installs whatever build/test packages are missing (apt-get; sudo when not
# root), then runs three builds, each with ctest:
#   A. release   Release build in build-ci/release: unit tests (dispatch mode), qemu-x86_64 runs on
#                emulated older CPUs, native-mode AVX2 test, weak-symbol check, header
#                self-containment (part of the build), compile-fail tests, install/find_package and
#                add_subdirectory consumers, `ddnn_bench --quick` smoke run, libFuzzer runs
#                (clang, label fuzz; libclang-rt-14-dev provides libFuzzer), the MQTT transport
#                against private mosquitto brokers on 127.0.0.1 (label mqtt), exported devices
#                cross-compiled for Cortex-M4F, -M3 and -M0 and run under qemu-system-arm
#                (label mcu)
#   B. sanitize  Debug build with -fsanitize=address,undefined in build-ci/sanitize
#   C. aarch64   cross build (cmake/toolchains/aarch64-linux-gnu.cmake), tests under qemu-aarch64
# Environment: DDNN_TEST_SECTIONS="release sanitize aarch64" (subset to run),
#              DDNN_TEST_JOBS (ctest parallelism, default 2), DDNN_TEST_CLEAN=1 (wipe build-ci/).
# Exits non-zero when any section fails; the last line summarises.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sections="${DDNN_TEST_SECTIONS:-release sanitize aarch64}"
jobs="${DDNN_TEST_JOBS:-2}"
build_root=build-ci
start_all=$SECONDS

header() { printf '\n==== %s ====\n' "$*"; }
elapsed() { local s=$(($1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# --- packages ------------------------------------------------------------------------------------
packages=(g++ cmake ninja-build pkgconf libxsimd-dev doctest-dev nlohmann-json3-dev libbenchmark-dev
          libdnnl-dev ocl-icd-opencl-dev qemu-user g++-aarch64-linux-gnu libc6-dev-arm64-cross clang
          zlib1g-dev libeigen3-dev clang-format libclang-rt-14-dev gnuplot-nox
          mosquitto libmosquitto-dev mosquitto-clients openssl
          gcc-arm-none-eabi libstdc++-arm-none-eabi-dev picolibc-arm-none-eabi qemu-system-arm)
header "packages"
source scripts/install_missing.sh
install_missing test.sh "${packages[@]}"

common=(-G Ninja -DDDNN_BUILD_TESTS=ON)
if command -v ccache >/dev/null 2>&1; then
  common+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [[ ${DDNN_TEST_CLEAN:-0} == 1 ]]; then rm -rf "$build_root"; fi
mkdir -p "$build_root"

# configure + build + ctest of one section; ctest's summary goes to $build_root/<name>.summary
build_and_test() {
  local name=$1; shift
  local dir=$build_root/$name
  local ctest_args=()
  while (($#)) && [[ $1 != -- ]]; do ctest_args+=("$1"); shift; done
  shift  # --
  local t0=$SECONDS
  rm -f "$dir.summary"
  echo "-- configure $dir"
  cmake -S . -B "$dir" "${common[@]}" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; return 1; }
  grep -E '^-- (ddnn|Found|Could NOT)' "$dir.configure.log" || true
  local t1=$SECONDS
  echo "-- build $dir"
  cmake --build "$dir" >"$dir.build.log" 2>&1 || { tail -n 200 "$dir.build.log"; return 1; }
  local t2=$SECONDS
  echo "-- ctest $dir ${ctest_args[*]}"
  # passing tests are not listed (see $dir.ctest.log); failures show their output
  set +e
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "${ctest_args[@]}" 2>&1 |
    tee "$dir.ctest.log" | grep -vE '^ *(Start +[0-9]+: |[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed )'
  local status=("${PIPESTATUS[@]}")
  set -e
  local rc=${status[0]}
  local t3=$SECONDS
  grep -E 'tests passed|tests failed' "$dir.ctest.log" | tail -n 1 >"$dir.summary" || true
  echo "-- $name: configure $(elapsed t1-t0), build $(elapsed t2-t1), ctest $(elapsed t3-t2)"
  return "$rc"
}

section_release() {
  build_and_test release -- -DCMAKE_BUILD_TYPE=Release -DDDNN_BUILD_BENCHMARKS=ON
}

section_sanitize() {
  # qemu would run the instrumented binary very slowly; compile-fail and consumer tests do not
  # execute instrumented code; the libFuzzer runs (fuzz) build their own sanitized clang binary
  # and belong to the release section (the fuzz corpora still replay here, label unit); the
  # Cortex-M programs (mcu) are cross-compiled without sanitizers and need the examples.
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:check_initialization_order=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  build_and_test sanitize -LE 'qemu|consumer|compile_fail|fuzz|mcu' -- \
    -DCMAKE_BUILD_TYPE=Debug -DDDNN_BUILD_BENCHMARKS=OFF -DDDNN_BUILD_EXAMPLES=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all \
-fno-omit-frame-pointer"
}

section_aarch64() {
  # Tests run under qemu-aarch64 (the toolchain's CMAKE_CROSSCOMPILING_EMULATOR). The compile-fail
  # checks are the same front end as in the release section.
  build_and_test aarch64 -LE compile_fail -- \
    -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DCMAKE_BUILD_TYPE=Release \
    -DDDNN_BUILD_BENCHMARKS=OFF -DDDNN_BUILD_EXAMPLES=OFF
}

passed=() failed=() report=()
for s in $sections; do
  case $s in
    release) title="A. Release build: unit, qemu-x86_64, native, weak symbols, headers, \
compile-fail, consumers, bench smoke, Cortex-M under qemu" ;;
    sanitize) title="B. Debug build with AddressSanitizer + UndefinedBehaviorSanitizer" ;;
    aarch64) title="C. aarch64 cross build, tests under qemu-aarch64" ;;
    *) echo "unknown section '$s' (known: release sanitize aarch64)" >&2; exit 2 ;;
  esac
  header "$title"
  t0=$SECONDS
  set +e
  (set -e; "section_$s")
  rc=$?
  set -e
  summary=$(cat "$build_root/$s.summary" 2>/dev/null || true)
  line="$s: ${summary:-no ctest summary} ($(elapsed SECONDS-t0))"
  if ((rc == 0)); then passed+=("$s"); report+=("  ok      $line")
  else failed+=("$s"); report+=("  FAILED  $line"); fi
done

header "summary"
printf '%s\n' "${report[@]}"
total=$((${#passed[@]} + ${#failed[@]}))
if ((${#failed[@]})); then
  echo "ddnn tests: ${#failed[@]} of $total suites FAILED (${failed[*]})" \
       "in $(elapsed SECONDS-start_all)"
  exit 1
fi
echo "ddnn tests: all $total suites passed in $(elapsed SECONDS-start_all)"
