// libFuzzer target: arbitrary bytes opened as a runtime envelope (for the corpus's model id) and
// its payload decoded as the kind it names, for the graph in message_graph.hpp (features and tier
// messages as those of every tier). The only accepted failure is ddnn::error; an envelope that
// opens and decodes must encode and seal back to exactly the same bytes.
//   build and run: ctest --test-dir build -R fuzz.envelope --output-on-failure
//   seeds:         tests/fuzz/envelope_corpus (written by make_envelope_corpus.cpp)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "envelope_reopen.hpp"
#include "message_graph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const auto again = ddnn_fuzz::reopen<ddnn_fuzz::message_model>(bytes);
  if (again && !std::equal(again->begin(), again->end(), bytes.begin(), bytes.end())) {
    std::fprintf(stderr, "an accepted envelope does not seal back to its bytes\n");
    std::abort();
  }
  return 0;
}
