// A model's id: 64 bits that differ between any two models a deployment is likely to hold at once
// — another topology, another training run, one retuned threshold — so that every runtime
// message can name the model it was computed with (runtime/envelope.hpp) and a node refuses
// numbers from a node that runs another one. The id is the 64-bit FNV-1a hash of the model file
// without test vectors (model_to_json(graph).dump()): the topology and every parameter, exit
// thresholds included. A node that loads a model file gets the id of the graph that was saved.
//
// It identifies, it does not authenticate: FNV-1a is not a cryptographic hash and anyone can
// make a message carry any id. It keeps honest mistakes (a stale model on one node) from
// silently corrupting answers; it is not a security measure.
#pragma once
#include <cstdint>
#include <string_view>

#include "ddnn/io/model_file.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {
/// 64-bit FNV-1a of `bytes`.
[[nodiscard]] constexpr std::uint64_t fnv1a_64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325;
  for (char c : bytes) {
    h ^= std::uint8_t(c);
    h *= 0x100000001b3;
  }
  return h;
}
}  // namespace detail

/// The id of the model `graph` holds: its topology and every parameter (see above).
template <class Graph>
[[nodiscard]] std::uint64_t model_id(const Graph& graph) {
  return detail::fnv1a_64(model_to_json(graph).dump());
}

DDNN_END_NAMESPACE
