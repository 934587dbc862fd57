// Model files: a round trip is bit-exact (parameters, thresholds, answers) for every topology,
// binary and float; loading checks the file against the graph type and names the first
// mismatch; every kind of damage is a ddnn::error; saving never leaves a half-written file.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/io/model_file.hpp"
#include "ddnn/io/model_id.hpp"
#include "ddnn/layers/conv.hpp"
#include "ddnn/layers/dense.hpp"
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

TEST_CASE("the int8 logits link is stored with the model and changes its id") {
  std::mt19937 rng{8};
  auto p = random_parameters<three_tier>(8, 0.6);
  const three_tier as_float(p);
  p.tier<0>().logits_link = LogitsEncoding::int8;
  const three_tier g(p);
  const auto set = test_set<three_tier>(rng, 12);
  const json file = model_to_json(g, std::span(set.inputs), std::span(set.presence));
  CHECK(file["tiers"][0]["logits_link"] == "int8");
  CHECK_FALSE(file["tiers"][1].contains("logits_link"));  // float32: not written
  const three_tier back = model_from_string<three_tier>(file.dump());
  CHECK(back.logits_link<0>() == LogitsEncoding::int8);
  CHECK(back.logits_link<1>() == LogitsEncoding::float32);
  CHECK(model_to_json(back, std::span(set.inputs), std::span(set.presence)) == file);
  CHECK(model_id(back) != model_id(as_float));

  auto damaged = [&](auto edit) {
    json f = file;
    edit(f);
    return load_error<three_tier>(f.dump());
  };
  CHECK(contains(damaged([](json& f) { f["tiers"][0]["logits_link"] = "int4"; }),
                 "tiers[0].logits_link: \"int4\" is neither"));
  CHECK(contains(damaged([](json& f) { f["tiers"][0]["logits_link"] = 1; }), "logits_link"));
  CHECK(contains(damaged([](json& f) { f["tiers"][2]["logits_link"] = "int8"; }),
                 "tiers[2].logits_link: this tier has no exit"));
  // the test vectors were computed over the int8 link: as float32 they no longer replay
  CHECK_FALSE(damaged([](json& f) { f["tiers"][0].erase("logits_link"); }).empty());
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
  // ... and its answer fields are checked like any other's: not missing, not garbage
  for (const char* field : {"exit_tier", "predicted", "logits"})
    CHECK(contains(damaged([&](json& f) { f["test_vectors"][0].erase(field); }),
                   std::string("missing \"") + field + "\""));
  CHECK(contains(damaged([](json& f) { f["test_vectors"][0]["exit_tier"] = 7; }),
                 "test_vectors[0] does not reproduce: exit tier 0"));
  CHECK(contains(damaged([](json& f) { f["test_vectors"][0]["predicted"] = "x"; }),
                 "test_vectors[0].predicted"));
  CHECK(contains(damaged([](json& f) {
                   f["test_vectors"][0]["logits"] = io::encode_floats(std::vector{1.f, 2.f, 3.f});
                 }),
                 "test_vectors[0] does not reproduce: logit 0"));
  // an exit head whose reachable logits are not all finite (scale FLT_MAX) is refused at load,
  // not left to fail every inference
  CHECK(contains(damaged([](json& f) {
                   const float huge = std::numeric_limits<float>::max();
                   f["tiers"][0]["nodes"][2]["exit_head"]["scale"] =
                       io::encode_floats(std::vector{huge, 1.0f, 1.0f});
                 }),
                 "non-finite logit for a reachable sum"));
  // a repeated key is damage too, not "the last one wins"
  std::string repeated = text;
  const auto at = repeated.find("\"version\":1");
  REQUIRE(at != std::string::npos);
  repeated.insert(at, "\"version\":1,");
  CHECK(contains(load_error<paper>(repeated), "duplicate key \"version\""));
}

TEST_CASE("Avg over binary heads whose logits can add up past float range is refused") {
  auto p = random_parameters<two_edges>(5, 0.5);
  auto& head = p.tier<1>().nodes[1].exit_head;
  // each head reaches |logit| <= 2e38 (finite), but the two edge nodes' sum can reach 4e38
  std::fill(head.scale.begin(), head.scale.end(), 0.0f);
  std::fill(head.bias.begin(), head.bias.end(), 2e38f);
  auto& other = p.tier<1>().nodes[0].exit_head;
  std::fill(other.scale.begin(), other.scale.end(), 0.0f);
  std::fill(other.bias.begin(), other.bias.end(), 2e38f);
  CHECK_THROWS_WITH_AS(
      two_edges{p}, doctest::Contains("combining its nodes' logits (avg) can reach"), ddnn::error);
  std::fill(other.bias.begin(), other.bias.end(), 1e38f);
  CHECK_NOTHROW(two_edges{p});
}

TEST_CASE("float layers are recognised by every compiler: their logits load with a tolerance") {
  // clang 14 once evaluated this trait as false, so float models from another build failed to
  // load there; the compile-time checks keep both compilers honest.
  static_assert(detail::graph_has_float_layers<float_cloud>);
  static_assert(detail::graph_has_float_layers<concat_exit>);
  static_assert(!detail::graph_has_float_layers<paper>);
  static_assert(!detail::graph_has_float_layers<three_tier>);

  // A float graph's file whose logits differ from this build's in the last bit still loads (the
  // float sums may be ordered differently by another compiler or CPU); a binary graph's does not.
  auto nudge_logits = [](json file) {
    for (auto& v : file["test_vectors"]) {
      if (!v["answered"].get<bool>()) continue;
      auto logits = io::decode_floats(v["logits"].get<std::string>(), io::any_count);
      for (float& l : logits) l = std::nextafter(l, INFINITY);
      v["logits"] = io::encode_floats(logits);
    }
    return file;
  };
  std::mt19937 rng(3);
  const float_cloud f(random_parameters<float_cloud>(3, 0.5));
  const auto fset = test_set<float_cloud>(rng, 6);
  const json ffile = model_to_json(f, std::span(fset.inputs), std::span(fset.presence));
  CHECK(load_error<float_cloud>(nudge_logits(ffile).dump()).empty());
  CHECK(contains(load_error<paper>(nudge_logits(paper_file()).dump()), "does not reproduce"));
}

TEST_CASE("save_model writes atomically and load_model names the file") {
  // A directory of its own: the same test runs at once in other processes (ISA runs under qemu).
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ddnn_test_model_file_" + std::to_string(std::random_device{}()));
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

namespace {
std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}
std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("save_model follows no planted symlink and leaves nothing behind when a write fails") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("ddnn_test_save_model_" + std::to_string(std::random_device{}()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const three_tier g(random_parameters<three_tier>(43, 0.4));
  const fs::path model = dir / "model.json", victim = dir / "victim.txt";
  std::ofstream(victim) << "precious";
  // The temporary name used to be predictable (model.json.partial) and was opened following
  // symlinks: planting one there made save_model overwrite its target.
  fs::create_symlink(victim, dir / "model.json.partial");
  save_model(g, model);
  CHECK(read_text(victim) == "precious");
  CHECK(fs::is_regular_file(fs::symlink_status(model)));
  CHECK(model_to_json(load_model<three_tier>(model)) == model_to_json(g));
  // A symlink at the target itself is replaced by the new file, its target left alone.
  fs::remove(model);
  fs::create_symlink(victim, model);
  save_model(g, model);
  CHECK(read_text(victim) == "precious");
  CHECK(fs::is_regular_file(fs::symlink_status(model)));
  CHECK(names_in(dir) ==
        std::vector<std::string>{"model.json", "model.json.partial", "victim.txt"});

  // A write that fails half way (here: a file-size limit below the model's size) is an error;
  // the old model survives and no temporary file is left.
  const std::string before = read_text(model);
  const int status = fixtures::run_in_child([&] {
    std::signal(SIGXFSZ, SIG_IGN);  // else the kernel ends the process instead of failing write
    const rlimit small{1000, 1000};
    if (::setrlimit(RLIMIT_FSIZE, &small) != 0) return 77;
    try {
      save_model(g, model);
      return 1;
    } catch (const ddnn::error& e) {
      return std::string(e.what()).find("write failed") != std::string::npos ? 0 : 2;
    }
  });
  CHECK(status == 0);
  CHECK(read_text(model) == before);
  CHECK(names_in(dir) ==
        std::vector<std::string>{"model.json", "model.json.partial", "victim.txt"});
  fs::remove_all(dir);
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
