// libFuzzer target: arbitrary bytes through the model-file loader (parse, format and version,
// topology check, parameters, graph construction, test-vector replay). The only accepted failure
// is ddnn::error; a crash, sanitizer report, leak or other exception is a finding, and so is a
// model that loads but does not save and load back to the same file.
//   build and run: ctest --test-dir build -R fuzz.model_file --output-on-failure
//   seeds:         tests/fuzz/model_corpus (tests/test_model_file.cpp checks they still load)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model_graph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto graph = ddnn::model_from_string<ddnn_fuzz::tiny_model>(
        std::string_view(reinterpret_cast<const char*>(data), size));
    const nlohmann::json saved = ddnn::model_to_json(graph);
    const auto again = ddnn::model_from_json<ddnn_fuzz::tiny_model>(saved);
    if (ddnn::model_to_json(again) != saved) std::abort();
  } catch (const ddnn::error&) {
  }
  return 0;
}
