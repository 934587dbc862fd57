// Model files: a round trip is bit-exact (parameters, thresholds, answers) for every topology,
// binary and float; loading checks the file against the graph type and names the first
// mismatch; every kind of damage is a ddnn::error; saving never leaves a half-written file.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/io/model_file.hpp"
#include "fuzz/model_graph.hpp"
#include "graph_fixtures.hpp"

using namespace ddnn;
using namespace fixtures;
using nlohmann::json;

namespace {
/// (b) with a float cloud: Conv + Dense logits through Eigen above the binary devices.
struct float_cloud final
    : DDNN<Sensor<Tile>,
           Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>, Conv<8, 3, 1, 1, MaxPool<2, 2, 0>>,
                  Dense<3, Activation::none>>,
           DeviceTier<6, 1, Exit<Head3, Max>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};

template <class Graph>
struct TestSet {
  std::vector<typename Graph::inputs_type> inputs;
  std::vector<Presence> presence;
};

template <class Graph>
TestSet<Graph> test_set(std::mt19937& rng, std::size_t n) {
  TestSet<Graph> t;
  for (std::size_t i = 0; i < n; ++i) {
    t.inputs.push_back(random_inputs<Graph>(rng));
    t.presence.push_back(Presence(i == 0 ? 0 : (rng() | 1) & Presence::all(Graph::devices).bits()));
  }
  return t;
}

template <class Graph>
void check_round_trip(std::uint64_t seed) {
  std::mt19937 rng{std::uint32_t(seed)};
  const Graph g(random_parameters<Graph>(seed, 0.6));
  const auto set = test_set<Graph>(rng, 12);
  const json file = model_to_json(g, std::span(set.inputs), std::span(set.presence));
  const Graph back = model_from_string<Graph>(file.dump());
  // Parameters and thresholds survive exactly: writing the loaded graph gives the same file.
  CHECK(model_to_json(back, std::span(set.inputs), std::span(set.presence)) == file);
  for (std::size_t i = 0; i < set.inputs.size(); ++i) {
    const auto a = g.infer(set.inputs[i], set.presence[i]);
    const auto b = back.infer(set.inputs[i], set.presence[i]);
    CHECK(a.answered == b.answered);
    CHECK(a.exit_tier == b.exit_tier);
    CHECK(a.predicted == b.predicted);
    for (std::size_t c = 0; c < Graph::classes; ++c) CHECK(a.logits[c] == b.logits[c]);
  }
}

json paper_file(std::uint64_t seed = 7) {
  std::mt19937 rng{std::uint32_t(seed)};
  const paper g(random_parameters<paper>(seed, 0.7));
  const auto set = test_set<paper>(rng, 6);
  return model_to_json(g, std::span(set.inputs), std::span(set.presence));
}

/// The ddnn::error message of loading `file` as Graph ("" when it loads).
template <class Graph>
std::string load_error(const std::string& text) {
  try {
    (void)model_from_string<Graph>(text);
  } catch (const ddnn::error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("model files round-trip bit-exactly for every topology, binary and float") {
  check_round_trip<one_device>(1);
  check_round_trip<paper>(2);
  check_round_trip<three_tier>(3);
  check_round_trip<two_edges>(4);
  check_round_trip<float_cloud>(5);
  check_round_trip<concat_exit>(6);
}

TEST_CASE("binary weights are stored as sign bits") {
  const json file = paper_file();
  const json& w = file["tiers"][1]["nodes"][0]["layers"][0]["weights"];
  CHECK(w["encoding"] == "signs");
  CHECK(w["count"] == 16 * 9 * 24);
  CHECK(w["data"].get<std::string>().size() == (16 * 9 * 24 / 8 + 2) / 3 * 4);
}

TEST_CASE("loading names the first place where the file and the graph type differ") {
  const std::string text = paper_file().dump();
  CHECK(contains(load_error<three_tier>(text), "topology.tiers: the file has 2 entries"));
  struct paper_cut2 final
      : DDNN<Sensor<Tile>, Network, DeviceTier<6, 2, Exit<Head3, Max>>, CloudTier<Concat>> {
    using DDNN::DDNN;
  };
  const std::string cut = load_error<paper_cut2>(text);
  CHECK(contains(cut, "topology.tiers[0] (devices).cut: the file has 1, the graph type has 2"));
  json f = paper_file();
  f["topology"]["tiers"][1]["layers"][0]["filters"] = 8;
  CHECK(contains(
      load_error<paper>(f.dump()),
      "topology.tiers[1] (cloud).layers[0] (BinaryConv).filters: the file has 8, the graph "
      "type has 16"));
  f = paper_file();
  f["topology"]["sensor"]["value"] = "float32";
  CHECK(contains(load_error<paper>(f.dump()), "topology.sensor.value"));
}

TEST_CASE("damaged model files give a clear ddnn::error, never a crash") {
  const json good = paper_file();
  const std::string text = good.dump();
  CHECK(load_error<paper>(text).empty());

  // truncated anywhere
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{1}, text.size() / 3, text.size() / 2, text.size() - 1})
    CHECK_FALSE(load_error<paper>(text.substr(0, cut)).empty());
  CHECK(contains(load_error<paper>("[1, 2, 3]"), "model"));
  CHECK(contains(load_error<paper>("{\"format\": \"onnx\"}"), "not a ddnn model file"));

  auto damaged = [&](auto edit) {
    json f = good;
    edit(f);
    return load_error<paper>(f.dump());
  };
  CHECK(contains(damaged([](json& f) { f["version"] = 2; }), "format version 2 is not supported"));
  CHECK(contains(damaged([](json& f) { f.erase("tiers"); }), "tiers"));
  CHECK(contains(damaged([](json& f) { f["extra"] = 1; }), "extra"));
  // a weight array one sign short
  CHECK(contains(
      damaged([](json& f) { f["tiers"][0]["nodes"][3]["layers"][0]["weights"]["count"] = 35; }),
      "tiers[0].nodes[3].layers[0] (FirstConv)"));
  // bad base64 in the weights
  CHECK(contains(
      damaged([](json& f) { f["tiers"][1]["nodes"][0]["layers"][1]["weights"]["data"] = "!!!!"; }),
      "tiers[1].nodes[0].layers[1] (BinaryConv)"));
  // NaN in a logit bias (four bytes 0x7fc00000 in base64), and an Inf threshold
  CHECK(contains(
      damaged([](json& f) { f["tiers"][0]["nodes"][0]["exit_head"]["bias"] = "AADAfwAAwH8AAMB/"; }),
      "exit_head"));
  CHECK_FALSE(damaged([](json& f) {
                f["tiers"][0]["threshold"] = std::numeric_limits<double>::infinity();
              }).empty());
  CHECK(contains(damaged([](json& f) { f["tiers"][0]["threshold"] = 1.5; }), "threshold"));
  CHECK(contains(damaged([](json& f) { f["tiers"][0]["threshold"] = "0.5"; }), "threshold"));
  // a BatchNorm sigma of zero
  CHECK(contains(damaged([](json& f) {
                   f["tiers"][1]["nodes"][0]["layers"][0]["batchnorm"]["sigma"] =
                       std::string(88, 'A');
                 }),
                 "sigma"));
  // absurd counts are refused before anything is allocated
  CHECK_FALSE(damaged([](json& f) {
                f["tiers"][1]["nodes"][0]["layers"][0]["weights"]["count"] = 1e15;
              }).empty());
  // test vectors that the parameters do not reproduce
  CHECK(contains(damaged([](json& f) {
                   auto& v = f["test_vectors"][1];
                   v["exit_tier"] = 1 - v["exit_tier"].get<int>();
                 }),
                 "test_vectors[1] does not reproduce"));
  CHECK(contains(damaged([](json& f) {
                   auto& v = f["test_vectors"][2];
                   v["predicted"] = (v["predicted"].get<int>() + 1) % 3;
                 }),
                 "does not reproduce"));
  CHECK(contains(damaged([](json& f) { f["test_vectors"][0]["presence"] = 1 << 7; }),
                 "beyond the 6"));
  CHECK(contains(damaged([](json& f) { f["test_vectors"][3]["inputs"] = "AAAA"; }),
                 "test_vectors[3].inputs"));
  // the first vector has no device present: the file must say so
  CHECK(contains(damaged([](json& f) { f["test_vectors"][0]["answered"] = true; }),
                 "does not answer"));
}

TEST_CASE("save_model writes atomically and load_model names the file") {
  const auto dir = std::filesystem::temp_directory_path() / "ddnn_test_model_file";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::mt19937 rng(41);
  const three_tier g(random_parameters<three_tier>(41, 0.4));
  const auto set = test_set<three_tier>(rng, 4);
  const auto path = dir / "model.json";
  save_model(g, path, std::span(set.inputs), std::span(set.presence));
  const three_tier back = load_model<three_tier>(path);
  CHECK(model_to_json(back) == model_to_json(g));
  CHECK_FALSE(std::filesystem::exists(dir / "model.json.partial"));

  // A failed save (the target is a directory) reports it and leaves no partial file behind.
  std::filesystem::create_directories(dir / "taken");
  CHECK_THROWS_AS(save_model(g, dir / "taken"), ddnn::error);
  CHECK_FALSE(std::filesystem::exists(dir / "taken.partial"));
  // ... and an existing model is untouched by a failed save elsewhere.
  CHECK(model_to_json(load_model<three_tier>(path)) == model_to_json(g));

  try {
    (void)load_model<three_tier>(dir / "missing.json");
    FAIL("expected ddnn::error");
  } catch (const ddnn::error& e) {
    CHECK(contains(e.what(), "missing.json"));
  }
  std::ofstream(dir / "truncated.json") << model_to_json(g).dump().substr(0, 100);
  CHECK_THROWS_AS((void)load_model<three_tier>(dir / "truncated.json"), ddnn::error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the model-file fuzzer's seeds: valid_* files load, every other file fails") {
  namespace fs = std::filesystem;
  const fs::path corpus = fs::path(__FILE__).parent_path() / "fuzz" / "model_corpus";
  REQUIRE(fs::is_directory(corpus));
  std::size_t valid = 0, invalid = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string error = load_error<ddnn_fuzz::tiny_model>(text);
    CAPTURE(entry.path().filename().string());
    CAPTURE(error);
    if (entry.path().filename().string().rfind("valid_", 0) == 0) {
      CHECK(error.empty());
      ++valid;
    } else {
      CHECK(contains(error, "ddnn: "));
      ++invalid;
    }
  }
  CHECK(valid >= 2);
  CHECK(invalid >= 4);
}
