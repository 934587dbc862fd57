// What a model file says about a graph type: its sensor, classes and tiers, each layer's
// description with its shapes, and the first place where a file's topology differs from it.
#pragma once
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "ddnn/graph/ddnn.hpp"
#include "ddnn/io/parameters_json.hpp"
#include "ddnn/layers/layer_kind.hpp"

DDNN_BEGIN_NAMESPACE

inline constexpr int model_format_version = 1;

namespace detail {
using nlohmann::json;

template <ShapeType S>
json shape_json() {
  return json::array({S::height, S::width, S::channels});
}

/// A layer kind's description (layer_kind.hpp) as the model file writes it.
inline json description_json(const layer_description& d) {
  using form = layer_description::form;
  const json pool = json::array({d.pool.kernel, d.pool.stride, d.pool.pad});
  json out = {{"kind", std::string(d.kind)}};
  switch (d.shape) {
    case form::window:
      out.update({{"filters", d.filters},
                  {"kernel", d.kernel},
                  {"stride", d.stride},
                  {"pad", d.pad},
                  {"pool", pool}});
      break;
    case form::dense:
      out.update({{"outputs", d.outputs}, {"output", std::string(d.output)}});
      break;
    case form::pool:
      out["pool"] = pool;
      break;
  }
  return out;
}

/// A layer's description with the shapes it was bound to.
template <class Layer>
json describe_layer() {
  static_assert(check_layer_kind<Layer>());
  json d = description_json(Layer::description());
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
  return (false || ... || std::tuple_element_t<I, LayerTuple>::is_float);
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

template <class Tier>
constexpr bool tier_has_float_layers() {
  using LayerTuple = typename Tier::section::layer_types;
  bool any = any_float_layer<LayerTuple>(std::make_index_sequence<std::tuple_size_v<LayerTuple>>{});
  if constexpr (Tier::has_exit) any = any || Tier::exit::head_layer::is_float;
  if constexpr (Tier::exit::concatenates) any = any || Tier::exit::combine_layer::is_float;
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

DDNN_END_NAMESPACE
