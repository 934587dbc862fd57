// Model files: a DDNN graph's topology, parameters, exit thresholds and embedded test vectors
// as one JSON document. Loading checks the file against the graph type (naming the first
// mismatch by tier and layer), builds the graph and replays every test vector; anything wrong —
// truncated, malformed, another version, other shapes, NaN/Inf, oversized — is a ddnn::error.
//
//   {"format": "ddnn-model", "version": 1,
//    "topology": {"sensor": {...}, "classes": C, "tiers": [{"kind", "nodes", "aggregate",
//                 "cut", "layers": [layer descriptions], "exit": {...} | null}, ...]},
//    "tiers": [{"threshold": T | null, "nodes": [{"layers": [parameters...], "exit_head": ...}]}],
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
#include "ddnn/io/parameters_json.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/conv.hpp"
#include "ddnn/layers/dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

inline constexpr int model_format_version = 1;

namespace detail {
using nlohmann::json;

template <ShapeType S>
json shape_json() {
  return json::array({S::height, S::width, S::channels});
}
template <class Pool>
json pool_json() {
  return json::array({Pool::kernel, Pool::stride, Pool::pad});
}
template <class Spec>
json window_json(const char* kind) {
  return {{"kind", kind},           {"filters", Spec::filters},
          {"kernel", Spec::kernel}, {"stride", Spec::stride},
          {"pad", Spec::pad},       {"pool", pool_json<typename Spec::pool>()}};
}

// What the model file says about each kind of bound layer: its description, how its weights
// are stored, and what its parameters must hold.
template <class Layer>
struct layer_info;

template <ShapeType In, class Spec>
struct layer_info<FirstConvLayer<In, Spec>> {
  static constexpr const char* kind = "FirstConv";
  static constexpr bool is_float = false;
  static json describe() { return window_json<Spec>(kind); }
  static ConvExpectation expect() {
    return {FirstConvLayer<In, Spec>::weight_count, Spec::filters, WeightEncoding::signs};
  }
};
template <ShapeType In, class Spec>
struct layer_info<BinaryConvLayer<In, Spec>> {
  static constexpr const char* kind = "BinaryConv";
  static constexpr bool is_float = false;
  static json describe() { return window_json<Spec>(kind); }
  static ConvExpectation expect() {
    return {Spec::filters * Spec::kernel * Spec::kernel * In::channels, Spec::filters,
            WeightEncoding::signs};
  }
};
template <ShapeType In, class Spec>
struct layer_info<ConvLayer<In, Spec>> {
  static constexpr const char* kind = "Conv";
  static constexpr bool is_float = true;
  static json describe() { return window_json<Spec>(kind); }
  static ConvExpectation expect() {
    return {Spec::filters * Spec::kernel * Spec::kernel * In::channels, Spec::filters,
            WeightEncoding::floats};
  }
};
template <ShapeType In, class Spec>
struct layer_info<BinaryDenseLayer<In, Spec>> {
  static constexpr const char* kind = "BinaryDense";
  static constexpr bool is_float = false;
  static json describe() {
    return {{"kind", kind},
            {"outputs", Spec::outputs},
            {"output", Spec::produces_logits ? "logits" : "bits"}};
  }
  static DenseExpectation expect() {
    return {Spec::outputs * In::size, Spec::outputs, Spec::produces, WeightEncoding::signs};
  }
};
template <ShapeType In, class Spec>
struct layer_info<DenseLayer<In, Spec>> {
  static constexpr const char* kind = "Dense";
  static constexpr bool is_float = true;
  static json describe() {
    return {{"kind", kind},
            {"outputs", Spec::outputs},
            {"output", Spec::produces_logits ? "logits" : "relu"}};
  }
  static DenseExpectation expect() {
    return {Spec::outputs * In::size, Spec::outputs,
            Spec::produces_logits ? Output::logits : Output::bits, WeightEncoding::floats};
  }
};
template <ShapeType In, class Pool>
struct layer_info<MaxPoolLayer<In, Pool>> {
  static constexpr const char* kind = "MaxPool";
  static constexpr bool is_float = false;
  static json describe() { return {{"kind", kind}, {"pool", pool_json<Pool>()}}; }
  static NoParameters expect() { return {}; }
};

/// A layer's description with the shapes it was bound to.
template <class Layer>
json describe_layer() {
  json d = layer_info<Layer>::describe();
  d["input"] = shape_json<typename Layer::input_shape>();
  d["output"] = shape_json<typename Layer::output_shape>();
  return d;
}

template <class LayerTuple, std::size_t... I>
json describe_layers(std::index_sequence<I...>) {
  return json::array({describe_layer<std::tuple_element_t<I, LayerTuple>>()...});
}

template <class LayerTuple, std::size_t... I>
constexpr bool any_float_layer(std::index_sequence<I...>) {
  return (false || ... || layer_info<std::tuple_element_t<I, LayerTuple>>::is_float);
}

template <class V>
constexpr const char* value_name() {
  if constexpr (std::is_same_v<V, std::uint8_t>)
    return "uint8";
  else if constexpr (std::is_same_v<V, std::int8_t>)
    return "int8";
  else
    return "float32";
}

template <class Tier>
json describe_tier() {
  using LayerTuple = typename Tier::section::layer_types;
  json t = {{"kind", Tier::kind == TierKind::devices ? "devices"
                     : Tier::kind == TierKind::edge  ? "edge"
                                                     : "cloud"},
            {"nodes", Tier::nodes},
            {"cut", Tier::end},
            {"layers", describe_layers<LayerTuple>(
                           std::make_index_sequence<std::tuple_size_v<LayerTuple>>{})}};
  if constexpr (Tier::kind == TierKind::devices)
    t["aggregate"] = nullptr;
  else
    t["aggregate"] = Tier::spec::features::name;
  if constexpr (Tier::has_exit) {
    using Exit = typename Tier::exit;
    t["exit"] = {{"head", describe_layer<typename Exit::head_layer>()},
                 {"combine", Exit::combine::name},
                 {"criterion", Exit::criterion::name}};
    if constexpr (Exit::concatenates)
      t["exit"]["combine_head"] = describe_layer<typename Exit::combine_layer>();
  } else if constexpr (Tier::is_cloud) {
    t["exit"] = {{"criterion", Tier::spec::criterion::name}};
  } else {
    t["exit"] = nullptr;
  }
  return t;
}

/// Throws at the first place where `file` differs from `expected`, naming it.
inline void require_same(const json& expected, const json& file, const std::string& path) {
  auto differ = [&](const std::string& what) {
    fail("model file does not match the graph type at " + path + ": " + what);
  };
  if (expected.type() != file.type())
    differ(std::string("the file has ") + file.type_name() + ", the graph type has " +
           expected.type_name() + " " + expected.dump());
  if (expected.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      const auto it = file.find(key);
      if (it == file.end()) differ("the file lacks \"" + key + "\" (" + value.dump() + ")");
      std::string sub = path + "." + key;
      require_same(value, *it, sub);
    }
    for (const auto& [key, value] : file.items())
      if (!expected.contains(key)) differ("the file has an unknown member \"" + key + "\"");
  } else if (expected.is_array()) {
    if (expected.size() != file.size())
      differ("the file has " + std::to_string(file.size()) + " entries, the graph type has " +
             std::to_string(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      std::string sub = path + "[" + std::to_string(i) + "]";
      if (expected[i].is_object() && expected[i].contains("kind") &&
          expected[i]["kind"].is_string())
        sub += " (" + expected[i]["kind"].get<std::string>() + ")";
      require_same(expected[i], file[i], sub);
    }
  } else if (expected != file) {
    differ("the file has " + file.dump() + ", the graph type has " + expected.dump());
  }
}

template <class LayerTuple, std::size_t... I>
json save_layers(const auto& parameters, std::index_sequence<I...>) {
  json out = json::array();
  (
      [&] {
        using Info = layer_info<std::tuple_element_t<I, LayerTuple>>;
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(std::get<I>(parameters))>,
                                     NoParameters>)
          out.push_back(save_parameters(NoParameters{}));
        else
          out.push_back(save_parameters(std::get<I>(parameters), Info::is_float
                                                                     ? WeightEncoding::floats
                                                                     : WeightEncoding::signs));
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
        using Info = layer_info<std::tuple_element_t<I, LayerTuple>>;
        const std::string at = path + "[" + std::to_string(I) + "] (" + Info::kind + ")";
        std::get<I>(parameters) = load_parameters(list[I], Info::expect(), at);
      }(),
      ...);
}

template <class Tier>
constexpr bool tier_has_float_layers() {
  using LayerTuple = typename Tier::section::layer_types;
  bool any = any_float_layer<LayerTuple>(std::make_index_sequence<std::tuple_size_v<LayerTuple>>{});
  if constexpr (Tier::has_exit) any = any || layer_info<typename Tier::exit::head_layer>::is_float;
  if constexpr (Tier::exit::concatenates)
    any = any || layer_info<typename Tier::exit::combine_layer>::is_float;
  return any;
}

// Plain function templates over index packs: a fold over immediately invoked lambdas here was
// evaluated as false by clang 14, so clang builds compared float logits bit for bit.
template <class Graph, std::size_t... T>
constexpr bool any_tier_has_float_layers(std::index_sequence<T...>) {
  return (false || ... || tier_has_float_layers<typename Graph::template tier<T>>());
}

/// Whether any layer of the graph (sections, exit heads, combining heads) computes in float.
template <class Graph>
inline constexpr bool graph_has_float_layers =
    any_tier_has_float_layers<Graph>(std::make_index_sequence<Graph::tier_count>{});

template <class Graph>
std::vector<std::uint8_t> input_bytes(const typename Graph::inputs_type& inputs) {
  using V = typename Graph::sensor::value_type;
  std::vector<std::uint8_t> bytes;
  for (const auto& t : inputs)
    for (V v : t.values()) {
      if constexpr (std::is_same_v<V, float>) {
        const auto b = std::bit_cast<std::uint32_t>(v);
        for (int i = 0; i < 4; ++i) bytes.push_back(std::uint8_t(b >> (8 * i)));
      } else {
        bytes.push_back(std::uint8_t(v));
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
  for (auto& t : inputs)
    for (V& v : t.values()) {
      if constexpr (std::is_same_v<V, float>) {
        std::uint32_t b = 0;
        for (int i = 0; i < 4; ++i) b |= std::uint32_t{bytes[at++]} << (8 * i);
        v = std::bit_cast<float>(b);
        if (!std::isfinite(v)) fail(path + ": sensor input has a NaN or Inf value");
      } else {
        v = V(bytes[at++]);
      }
    }
  return inputs;
}
}  // namespace detail

/// The topology a graph type writes into (and requires of) a model file.
template <class Graph>
[[nodiscard]] nlohmann::json model_topology() {
  nlohmann::json tiers = nlohmann::json::array();
  [&]<std::size_t... T>(std::index_sequence<T...>) {
    (tiers.push_back(detail::describe_tier<typename Graph::template tier<T>>()), ...);
  }
  (std::make_index_sequence<Graph::tier_count>{});
  return {{"sensor",
           {{"shape", detail::shape_json<typename Graph::input_type::shape>()},
            {"value", detail::value_name<typename Graph::sensor::value_type>()}}},
          {"classes", Graph::classes},
          {"tiers", tiers}};
}

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
              n["exit_head"] = save_parameters(
                  node.exit_head, detail::layer_info<typename Tier::exit::head_layer>::is_float
                                      ? WeightEncoding::floats
                                      : WeightEncoding::signs);
            nodes.push_back(std::move(n));
          }
          json t = {{"nodes", std::move(nodes)}};
          t["threshold"] = Tier::has_exit ? json(tp.threshold) : json(nullptr);
          if constexpr (Tier::exit::concatenates)
            t["exit_combine"] = save_parameters(
                tp.exit_combine, detail::layer_info<typename Tier::exit::combine_layer>::is_float
                                     ? WeightEncoding::floats
                                     : WeightEncoding::signs);
          tiers.push_back(std::move(t));
        }(),
        ...);
  }
  (std::make_index_sequence<Graph::tier_count>{});

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
            io::reject_unknown_keys(t, {"nodes", "threshold", "exit_combine"}, path);
            auto& tp = p.template tier<T>();
            if constexpr (Tier::exit::concatenates) {
              using Info = detail::layer_info<typename Tier::exit::combine_layer>;
              tp.exit_combine =
                  load_parameters(io::require(t, "exit_combine", path), Info::expect(),
                                  path + ".exit_combine (" + Info::kind + ")");
            } else if (io::find_member(t, "exit_combine", path)) {
              detail::fail(path + ".exit_combine: this tier's exit does not concatenate");
            }
            if constexpr (Tier::has_exit) {
              tp.threshold = io::require_number(t, "threshold", path);
              validate_threshold(tp.threshold, path + ".threshold");
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
                using Info = detail::layer_info<typename Tier::exit::head_layer>;
                tp.nodes[n].exit_head =
                    load_parameters(io::require(nodes[n], "exit_head", at), Info::expect(),
                                    at + ".exit_head (" + Info::kind + ")");
              }
            }
          }(),
          ...);
    }
    (std::make_index_sequence<Graph::tier_count>{});

    Graph graph(p, isa);

    // Float layers sum in Eigen's order, which may differ between builds in the last bits;
    // binary graphs must reproduce their test vectors exactly.
    constexpr bool exact = !detail::graph_has_float_layers<Graph>;
    const json& vectors = io::require_array(file, "test_vectors", "model");
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
