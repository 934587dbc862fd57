// Runs every exported test device (tests/export) on its recorded inputs on a Cortex-M core
// under qemu-system-arm and compares each message with the host library's, byte for byte; also
// checks the engine's fma against the host's exactly rounded one (a soft-float core has no fused
// instruction, and its C library's fmaf is not exact). main's return value is the number of
// failed checks, which qemu hands to ctest as the exit status.
#include <cstdio>

#include "check_exported.hpp"
#include "exported_devices.hpp"
#include "fma_vectors.hpp"

#define DDNN_TRAITS(ns) DDNN_DEVICE_TRAITS(ns)
DDNN_EXPORTED_DEVICES(DDNN_TRAITS)

namespace {
int check_fma() {
  int differ = 0;
  for (int i = 0; i < fma_vectors::count; ++i) {
    const std::uint32_t* v = fma_vectors::abcr[i];
    const float r = main_job_dev0::engine::fma_exact(
        std::bit_cast<float>(v[0]), std::bit_cast<float>(v[1]), std::bit_cast<float>(v[2]));
    differ += std::bit_cast<std::uint32_t>(r) != v[3];
  }
  std::printf("fma: %d of %d results differ\n", differ, fma_vectors::count);
  return differ != 0;
}
}  // namespace

int main() {
  int failed = check_fma();
#define DDNN_RUN(ns)                                                                            \
  {                                                                                             \
    const auto o = export_check::run<ns##_traits>(ns##_vectors::inputs, ns##_vectors::messages, \
                                                  ns##_vectors::accepted, ns##_vectors::count); \
    std::printf("%s: %d inputs, %d messages differ", #ns, o.vectors, o.mismatches);             \
    if (o.mismatches) std::printf(" (first: input %d, byte %d)", o.first_bad, o.first_byte);    \
    std::printf("\n");                                                                          \
    failed += o.mismatches != 0;                                                                \
  }
  DDNN_EXPORTED_DEVICES(DDNN_RUN)
  std::printf("%s\n", failed ? "FAILED" : "all exact");
  return failed;
}
