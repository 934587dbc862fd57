// libFuzzer target: arbitrary bytes through TierMessage::parse, as each tier's message of the
// graph in message_graph.hpp (the header's tier index picks at most one), with its logits over
// the float32 and over the int8 link (the header's encoding byte picks at most one). The only
// accepted failure of parse is ddnn::error. A message that parses must serialize back to exactly
// the same bytes, and the tier above must run on it: the one error it may throw is the documented
// rejection of a value that is not finite (finite floats can overflow in a layer).
//   build and run: ctest --test-dir build -R fuzz.tier_message --output-on-failure
//   seeds:         tests/fuzz/message_corpus (written by make_message_corpus.cpp)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <utility>

#include "ddnn/graph/random_parameters.hpp"
#include "message_graph.hpp"

namespace {
using ddnn_fuzz::message_model;

const message_model& graph() {
  static const message_model g(ddnn::random_parameters<message_model>(3, 0.6));
  return g;
}

template <std::size_t T>
void parse_as(std::span<const std::uint8_t> bytes, ddnn::LogitsEncoding link) {
  using Message = message_model::message_type<T>;
  Message message;
  try {
    message = Message::parse(bytes, link);
  } catch (const ddnn::error&) {
    return;
  }
  const auto again = message.serialize(link);
  if (again.size() != bytes.size() ||
      (!bytes.empty() && std::memcmp(again.data(), bytes.data(), bytes.size()) != 0)) {
    std::fprintf(stderr, "tier %zu message does not serialize back to its bytes\n", T);
    std::abort();
  }
  if constexpr (T + 1 < message_model::tier_count) {
    try {
      (void)graph().step<T + 1>(message);
    } catch (const ddnn::error& e) {
      if (std::string(e.what()).find("finite") == std::string::npos) {
        std::fprintf(stderr, "tier %zu rejects a parsed message: %s\n", T + 1, e.what());
        std::abort();
      }
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  for (const auto link : {ddnn::LogitsEncoding::float32, ddnn::LogitsEncoding::int8})
    [&]<std::size_t... T>(std::index_sequence<T...>) { (parse_as<T>(bytes, link), ...); }
  (std::make_index_sequence<message_model::tier_count>{});
  return 0;
}
