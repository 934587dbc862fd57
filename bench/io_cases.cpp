// Parsing cost of what ddnn reads from outside: JSON arrays of many small objects at growing
// sizes (bytes per second must stay flat: parsing is linear) and a model file with test vectors.
#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "cases.hpp"
#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/io/json_parse.hpp"
#include "ddnn/io/model_file.hpp"
#include "graph_fixtures.hpp"

namespace bench {
namespace {

/// `bytes` of [{"a":0,"b":1},...]: the shape that made a parse with nlohmann's DOM callback
/// quadratic.
std::string small_objects(std::size_t bytes) {
  const std::string item = R"({"a":0,"b":1},)";
  std::string text = "[";
  for (std::size_t i = 0; i < bytes / item.size(); ++i) text += item;
  text.back() = ']';
  return text;
}

/// A model file of the paper topology with `vectors` embedded test vectors.
std::string model_text(std::size_t vectors) {
  using fixtures::paper;
  const paper graph(ddnn::random_parameters<paper>(3, 0.5));
  std::mt19937 rng(3);
  std::vector<paper::inputs_type> inputs;
  std::vector<ddnn::Presence> presence;
  for (std::size_t i = 0; i < vectors; ++i) {
    inputs.push_back(fixtures::random_inputs<paper>(rng));
    presence.push_back(ddnn::Presence::all(paper::devices));
  }
  return ddnn::model_to_json(graph, std::span(inputs), std::span(presence)).dump();
}

void parse(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto parsed = ddnn::io::parse_json(text, "bench");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(text.size()));
}

}  // namespace

void register_io_cases(bool quick) {
  // Up to 1 MiB: beyond about 2 MiB this shape (30 bytes of parsed values charged per byte of
  // text) meets parse_json's memory budget, by design.
  for (const std::size_t kib : {64, 256, 1024}) {
    if (quick && kib > 64) continue;
    auto* b = benchmark::RegisterBenchmark(
        ("json_parse/small_objects/" + std::to_string(kib) + "KiB").c_str(),
        [kib](benchmark::State& state) { parse(state, small_objects(kib << 10)); });
    common_settings(b);
    if (quick) b->Iterations(2);
  }
  auto* b = benchmark::RegisterBenchmark(
      "json_parse/model_file/paper_4000_vectors",
      [quick](benchmark::State& state) { parse(state, model_text(quick ? 100 : 4000)); });
  common_settings(b);
  if (quick) b->Iterations(2);
}

}  // namespace bench
