// libFuzzer target: arbitrary bytes through parse_json and the layer-parameter loaders. The only
// accepted failure is ddnn::error; a crash, a sanitizer report, a leak, any other exception or a
// round trip that changes what was loaded (see parameter_bundle.hpp) is a finding.
//   build and run: ctest --test-dir build -R fuzz.parameters_json --output-on-failure
//   reproduce:     build/tests/fuzz/parameters_json/build/fuzz_parameters_json <crash file>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parameter_bundle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)ddnn_fuzz::load_bundle(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
