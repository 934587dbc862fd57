// Writes the model-file fuzzer's seed corpus (tests/fuzz/model_corpus): valid files of the tiny
// model in model_graph.hpp, and near-valid ones each with one defect. Run it again when the
// model-file format changes (tests/test_model_file.cpp checks the seeds still behave):
//   g++ -std=c++20 -Iinclude -Itests/fuzz -isystem /usr/include/eigen3 \
//       tests/fuzz/make_model_corpus.cpp -o /tmp/make_model_corpus
//   /tmp/make_model_corpus tests/fuzz/model_corpus
#include <fstream>
#include <random>
#include "ddnn/graph/random_parameters.hpp"
#include "model_graph.hpp"
using namespace ddnn_fuzz;
int main(int, char** argv) {
  const std::string dir = argv[1];
  const tiny_model g(ddnn::random_parameters<tiny_model>(3, 0.6));
  std::vector<tiny_model::inputs_type> in(4);
  std::vector<ddnn::Presence> p = {ddnn::Presence(0), ddnn::Presence(1), ddnn::Presence(2),
                                   ddnn::Presence(3)};
  std::mt19937 rng(1);
  for (auto& s : in)
    for (auto& t : s)
      for (auto& v : t.values()) v = std::uint8_t(rng());
  const auto j = ddnn::model_to_json(g, std::span(in), std::span(p));
  std::ofstream(dir + "/valid_model.json") << j.dump();
  std::ofstream(dir + "/valid_model_indented.json") << j.dump(1);
  std::ofstream(dir + "/valid_no_vectors.json") << ddnn::model_to_json(g).dump();
  const std::string s = j.dump();
  std::ofstream(dir + "/invalid_truncated.json") << s.substr(0, s.size() / 2);
  auto v = j;
  v["version"] = 2;
  std::ofstream(dir + "/invalid_version.json") << v.dump();
  v = j;
  v["topology"]["tiers"][1]["layers"][0]["filters"] = 5;
  std::ofstream(dir + "/invalid_topology.json") << v.dump();
  v = j;
  v["test_vectors"][2]["predicted"] = 1 - v["test_vectors"][2]["predicted"].get<int>();
  std::ofstream(dir + "/invalid_vector.json") << v.dump();
  v = j;
  v["tiers"][0]["exit_combine"]["bias"] = "AADAfwAAwH8=";
  std::ofstream(dir + "/invalid_nan.json") << v.dump();
}
