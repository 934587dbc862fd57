// Model files: a DDNN graph's topology, parameters, exit thresholds and embedded test vectors
// as one JSON document. Loading checks the file against the graph type (naming the first
// mismatch by tier and layer), builds the graph and replays every test vector; anything wrong —
// truncated, malformed, another version, other shapes, NaN/Inf, oversized — is a ddnn::error.
//
//   {"format": "ddnn-model", "version": 1,
//    "topology": {"sensor": {...}, "classes": C, "tiers": [{"kind", "nodes", "aggregate",
//                 "cut", "layers": [layer descriptions], "exit": {...} | null}, ...]},
//    "tiers": [{"threshold": T | null, "logits_link": "int8" (only when not float32),
//               "nodes": [{"layers": [parameters...], "exit_head": ...}]}],
//    "test_vectors": [{"presence": bits, "inputs": base64, "answered": bool, "exit_tier": t,
//                      "predicted": c, "logits": base64 float32}]}
// Binary weights are stored as sign bits, float weights as exact float32 (parameters_json.hpp).
#pragma once
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ddnn/graph/ddnn.hpp"
#include "ddnn/io/atomic_file.hpp"
#include "ddnn/io/json_codec.hpp"
#include "ddnn/io/model_test_vectors.hpp"
#include "ddnn/io/model_topology.hpp"
#include "ddnn/io/parameters_json.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {
/// A layer's parameters as its kind stores them (signs for binary layers, exact floats for
/// float ones, nothing for a layer without parameters).
template <class Layer>
json save_layer_parameters(const typename Layer::parameters_type& p) {
  if constexpr (std::is_same_v<typename Layer::parameters_type, NoParameters>)
    return save_parameters(p);
  else
    return save_parameters(p, Layer::is_float ? WeightEncoding::floats : WeightEncoding::signs);
}

template <class LayerTuple, std::size_t... I>
json save_layers(const auto& parameters, std::index_sequence<I...>) {
  json out = json::array();
  (
      [&] {
        using Layer = std::tuple_element_t<I, LayerTuple>;
        out.push_back(save_layer_parameters<Layer>(std::get<I>(parameters)));
      }(),
      ...);
  return out;
}

template <class LayerTuple, class Parameters, std::size_t... I>
void load_layers(const json& value, Parameters& parameters, const std::string& path,
                 std::index_sequence<I...>) {
  const json& list = io::as_array(value, path);
  if (list.size() != sizeof...(I))
    fail(path + ": expected parameters for " + std::to_string(sizeof...(I)) + " layers, got " +
         std::to_string(list.size()));
  (
      [&] {
        using Layer = std::tuple_element_t<I, LayerTuple>;
        const std::string at =
            path + "[" + std::to_string(I) + "] (" + std::string(Layer::kind) + ")";
        std::get<I>(parameters) = load_parameters(list[I], Layer::expectation(), at);
      }(),
      ...);
}

}  // namespace detail

/// A model file for `graph` as JSON, with one embedded test vector per (inputs, presence) pair:
/// the graph's own answer to it, which loading replays.
template <class Graph>
[[nodiscard]] nlohmann::json model_to_json(const Graph& graph,
                                           std::span<const typename Graph::inputs_type> inputs = {},
                                           std::span<const Presence> presence = {}) {
  using nlohmann::json;
  if (inputs.size() != presence.size())
    detail::fail("model_to_json: " + std::to_string(inputs.size()) + " test inputs but " +
                 std::to_string(presence.size()) + " presence masks");
  json tiers = json::array();
  [&]<std::size_t... T>(std::index_sequence<T...>) {
    (
        [&] {
          using Tier = typename Graph::template tier<T>;
          using LayerTuple = typename Tier::section::layer_types;
          const auto& tp = graph.parameters().template tier<T>();
          json nodes = json::array();
          for (const auto& node : tp.nodes) {
            json n = {{"layers", detail::save_layers<LayerTuple>(
                                     node.layers,
                                     std::make_index_sequence<std::tuple_size_v<LayerTuple>>{})}};
            if constexpr (Tier::has_exit)
              n["exit_head"] =
                  detail::save_layer_parameters<typename Tier::exit::head_layer>(node.exit_head);
            nodes.push_back(std::move(n));
          }
          json t = {{"nodes", std::move(nodes)}};
          t["threshold"] = Tier::has_exit ? json(tp.threshold) : json(nullptr);
          // written only when not the default, so float32 models keep their files (and ids)
          if (Tier::has_exit && tp.logits_link != LogitsEncoding::float32)
            t["logits_link"] = std::string(name_of(tp.logits_link));
          if constexpr (Tier::exit::concatenates)
            t["exit_combine"] =
                detail::save_layer_parameters<typename Tier::exit::combine_layer>(tp.exit_combine);
          tiers.push_back(std::move(t));
        }(),
        ...);
  }
  (std::make_index_sequence<Graph::tier_count>{});

  json vectors = detail::test_vectors_to_json(graph, inputs, presence);
  return {{"format", "ddnn-model"},
          {"version", model_format_version},
          {"topology", model_topology<Graph>()},
          {"tiers", std::move(tiers)},
          {"test_vectors", std::move(vectors)}};
}

/// Builds a graph from a parsed model file: checks format, version and topology, loads every
/// parameter, constructs the layers (for `isa`) and replays the test vectors.
template <class Graph>
[[nodiscard]] Graph model_from_json(const nlohmann::json& file, isa_id isa = best_isa()) {
  using nlohmann::json;
  return io::translate_json_errors("model", [&]() -> Graph {
    io::require_object(file, "model");
    io::reject_unknown_keys(file, {"format", "version", "topology", "tiers", "test_vectors"},
                            "model");
    if (io::require_string(file, "format", "model") != "ddnn-model")
      detail::fail("model: not a ddnn model file (format is not \"ddnn-model\")");
    const std::size_t version = io::require_size(file, "version", "model");
    if (version != model_format_version)
      detail::fail("model: format version " + std::to_string(version) +
                   " is not supported (this ddnn reads version " +
                   std::to_string(model_format_version) + ")");
    detail::require_same(model_topology<Graph>(), io::require(file, "topology", "model"),
                         "topology");

    typename Graph::parameters_type p;
    const json& tiers = io::require_array(file, "tiers", "model");
    if (tiers.size() != Graph::tier_count)
      detail::fail("tiers: the file has " + std::to_string(tiers.size()) +
                   " tiers, the graph type has " + std::to_string(Graph::tier_count));
    [&]<std::size_t... T>(std::index_sequence<T...>) {
      (
          [&] {
            using Tier = typename Graph::template tier<T>;
            using LayerTuple = typename Tier::section::layer_types;
            const std::string path = "tiers[" + std::to_string(T) + "]";
            const json& t = tiers[T];
            io::require_object(t, path);
            io::reject_unknown_keys(t, {"nodes", "threshold", "exit_combine", "logits_link"}, path);
            auto& tp = p.template tier<T>();
            if constexpr (Tier::exit::concatenates) {
              using Combine = typename Tier::exit::combine_layer;
              tp.exit_combine =
                  load_parameters(io::require(t, "exit_combine", path), Combine::expectation(),
                                  path + ".exit_combine (" + std::string(Combine::kind) + ")");
            } else if (io::find_member(t, "exit_combine", path)) {
              detail::fail(path + ".exit_combine: this tier's exit does not concatenate");
            }
            if constexpr (Tier::has_exit) {
              tp.threshold = io::require_number(t, "threshold", path);
              validate_threshold(tp.threshold, path + ".threshold");
            }
            if (io::find_member(t, "logits_link", path)) {
              if (!Tier::has_exit) detail::fail(path + ".logits_link: this tier has no exit");
              const std::string name = io::require_string(t, "logits_link", path);
              const auto link = logits_encoding_named(name);
              if (!link)
                detail::fail(path + ".logits_link: \"" + name +
                             "\" is neither \"float32\" nor \"int8\"");
              tp.logits_link = *link;
            }
            const json& nodes = io::require_array(t, "nodes", path);
            if (nodes.size() != Tier::nodes)
              detail::fail(path + ".nodes: the file has " + std::to_string(nodes.size()) +
                           " nodes, the graph type has " + std::to_string(Tier::nodes));
            for (std::size_t n = 0; n < Tier::nodes; ++n) {
              const std::string at = path + ".nodes[" + std::to_string(n) + "]";
              io::require_object(nodes[n], at);
              io::reject_unknown_keys(nodes[n], {"layers", "exit_head"}, at);
              detail::load_layers<LayerTuple>(
                  io::require(nodes[n], "layers", at), tp.nodes[n].layers, at + ".layers",
                  std::make_index_sequence<std::tuple_size_v<LayerTuple>>{});
              if constexpr (Tier::has_exit) {
                using Head = typename Tier::exit::head_layer;
                tp.nodes[n].exit_head =
                    load_parameters(io::require(nodes[n], "exit_head", at), Head::expectation(),
                                    at + ".exit_head (" + std::string(Head::kind) + ")");
              }
            }
          }(),
          ...);
    }
    (std::make_index_sequence<Graph::tier_count>{});

    Graph graph(p, isa);

    detail::replay_test_vectors(graph, io::require_array(file, "test_vectors", "model"));
    return graph;
  });
}

/// Parses model-file text (at most io::max_json_bytes) and builds the graph.
template <class Graph>
[[nodiscard]] Graph model_from_string(std::string_view text, isa_id isa = best_isa()) {
  return model_from_json<Graph>(io::parse_json(text, "model"), isa);
}

/// Reads a model file; throws ddnn::error naming the file and the problem.
template <class Graph>
[[nodiscard]] Graph load_model(const std::filesystem::path& file, isa_id isa = best_isa()) {
  const nlohmann::json j = io::read_json_file(file);
  try {
    return model_from_json<Graph>(j, isa);
  } catch (const error& e) {
    detail::fail(file.string() + ": " + e.what());
  }
}

/// Writes a model file with embedded test vectors, atomically (io::write_file_atomically): an
/// existing model is replaced only by a complete new one, and a failed write leaves it as it was.
template <class Graph>
void save_model(const Graph& graph, const std::filesystem::path& file,
                std::span<const typename Graph::inputs_type> inputs = {},
                std::span<const Presence> presence = {}) {
  const std::string text = model_to_json(graph, inputs, presence).dump();
  io::write_file_atomically(file, text);
}

DDNN_END_NAMESPACE
