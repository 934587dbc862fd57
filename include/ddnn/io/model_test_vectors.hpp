// A model file's test vectors: inputs with a presence mask and the graph's answer to them,
// written when a model is saved and replayed when it is loaded (exactly for binary graphs).
#pragma once
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ddnn/core/finite.hpp"
#include "ddnn/core/little_endian.hpp"
#include "ddnn/io/json_codec.hpp"
#include "ddnn/io/model_topology.hpp"

DDNN_BEGIN_NAMESPACE
namespace detail {

template <class Graph>
std::vector<std::uint8_t> input_bytes(const typename Graph::inputs_type& inputs) {
  using V = typename Graph::sensor::value_type;
  std::vector<std::uint8_t> bytes;
  for (const auto& t : inputs) {
    if constexpr (std::is_same_v<V, float>) {
      const std::size_t at = bytes.size();
      bytes.resize(at + 4 * t.values().size());
      store_floats_le(bytes.data() + at, t.values());
    } else {
      for (V v : t.values()) bytes.push_back(std::uint8_t(v));
    }
  }
  return bytes;
}

template <class Graph>
typename Graph::inputs_type inputs_from(const std::vector<std::uint8_t>& bytes,
                                        const std::string& path) {
  using V = typename Graph::sensor::value_type;
  constexpr std::size_t per_device = Graph::input_type::shape::size;
  if (bytes.size() != Graph::devices * per_device * sizeof(V))
    fail(path + ": expected " + std::to_string(Graph::devices * per_device * sizeof(V)) +
         " bytes of sensor input, got " + std::to_string(bytes.size()));
  typename Graph::inputs_type inputs;
  std::size_t at = 0;
  for (auto& t : inputs) {
    if constexpr (std::is_same_v<V, float>) {
      load_floats_le(bytes.data() + at, t.values());
      at += 4 * t.values().size();
      if (!all_finite(t.values())) fail(path + ": sensor input has a NaN or Inf value");
    } else {
      for (V& v : t.values()) v = V(bytes[at++]);
    }
  }
  return inputs;
}
/// One test vector per (inputs, presence) pair: the graph's own answer to it.
template <class Graph>
json test_vectors_to_json(const Graph& graph, std::span<const typename Graph::inputs_type> inputs,
                          std::span<const Presence> presence) {
  json vectors = json::array();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto r = graph.infer(inputs[i], presence[i]);
    vectors.push_back({{"presence", presence[i].bits()},
                       {"inputs", io::base64_encode(detail::input_bytes<Graph>(inputs[i]))},
                       {"answered", r.answered},
                       {"exit_tier", r.exit_tier},
                       {"predicted", r.predicted},
                       {"logits", io::encode_floats(r.logits.values(), "logits")}});
  }
  return vectors;
}

/// Replays every test vector on `graph`; throws ddnn::error at the first one it does not
/// reproduce.
template <class Graph>
void replay_test_vectors(const Graph& graph, const json& vectors) {
  // Float layers sum in Eigen's order, which may differ between builds in the last bits;
  // binary graphs must reproduce their test vectors exactly.
  constexpr bool exact = !detail::graph_has_float_layers<Graph>;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const std::string at = "test_vectors[" + std::to_string(i) + "]";
    const json& v = vectors[i];
    io::require_object(v, at);
    io::reject_unknown_keys(
        v, {"presence", "inputs", "answered", "exit_tier", "predicted", "logits"}, at);
    const json& bits = io::require(v, "presence", at);
    if (!bits.is_number_unsigned()) detail::fail(at + ".presence: expected an unsigned integer");
    const Presence present(bits.get<std::uint64_t>());
    present.check_within(Graph::devices);
    const auto inputs = detail::inputs_from<Graph>(
        io::base64_decode(io::require_string(v, "inputs", at), at + ".inputs"), at + ".inputs");
    const auto r = graph.infer(inputs, present);
    auto mismatch = [&](const std::string& what) {
      detail::fail("model file " + at + " does not reproduce: " + what);
    };
    if (r.answered != io::require_bool(v, "answered", at))
      mismatch(std::string("the graph ") + (r.answered ? "answers" : "does not answer"));
    // An unanswered vector still carries the (all-zero) answer fields, checked exactly like
    // the others: a file that says nothing true there is damaged, not "unanswered".
    const std::size_t tier = io::require_size(v, "exit_tier", at);
    if (r.exit_tier != tier)
      mismatch("exit tier " + std::to_string(r.exit_tier) + ", the file says " +
               std::to_string(tier));
    const std::size_t predicted = io::require_size(v, "predicted", at);
    if (r.predicted != predicted)
      mismatch("class " + std::to_string(r.predicted) + ", the file says " +
               std::to_string(predicted));
    const std::vector<float> logits =
        io::decode_floats(io::require_string(v, "logits", at), Graph::classes, at + ".logits");
    for (std::size_t c = 0; c < Graph::classes; ++c) {
      const float got = r.logits[c], want = logits[c];
      const bool same =
          exact || !r.answered
              ? std::bit_cast<std::uint32_t>(got) == std::bit_cast<std::uint32_t>(want)
              : std::abs(got - want) <= 1e-4f * (1.0f + std::abs(want));
      if (!same)
        mismatch("logit " + std::to_string(c) + " is " + json(got).dump() + ", the file says " +
                 json(want).dump());
    }
  }
}

}  // namespace detail
DDNN_END_NAMESPACE
