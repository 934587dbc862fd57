// Writes the envelope fuzzer's seed corpus (tests/fuzz/envelope_corpus): a valid envelope of
// every message kind for the graph in message_graph.hpp (features and tier messages of every
// tier), and near-valid ones each with one defect. Run it again when the envelope or a payload
// format changes:
//   g++ -std=c++20 -Iinclude -Itests/fuzz -isystem /usr/include/eigen3 \
//       tests/fuzz/make_envelope_corpus.cpp -o /tmp/make_envelope_corpus
//   /tmp/make_envelope_corpus tests/fuzz/envelope_corpus
#include <bit>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ddnn/graph/random_parameters.hpp"
#include "envelope_reopen.hpp"
#include "message_graph.hpp"
using namespace ddnn_fuzz;
namespace rt = ddnn::runtime;
using Bytes = std::vector<std::uint8_t>;
int main(int, char** argv) {
  const std::string dir = argv[1];
  const auto write = [&](const std::string& name, const Bytes& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  };
  const message_model g(ddnn::random_parameters<message_model>(3, 0.6));
  message_model::inputs_type in;
  std::mt19937 rng(1);
  for (auto& t : in)
    for (auto& v : t.values()) v = std::uint8_t(rng());
  const auto s0 = g.step_devices(in, ddnn::Presence::all(3));
  const auto s1 = g.step<1>(s0.message);
  const auto s2 = g.step<2>(s1.message);
  const auto s3 = g.step<3>(s2.message);
  const auto sealed = [](rt::message_kind kind, const Bytes& payload) {
    return rt::seal({.kind = kind, .node = 2, .model = envelope_model, .sample = 41, .attempt = 1},
                    payload);
  };
  using K = rt::message_kind;

  write("valid_logits.bin",
        sealed(K::logits, rt::encode_logits(s0.message.logits[1], ddnn::LogitsEncoding::float32)));
  write("valid_feature_request.bin", sealed(K::feature_request, rt::encode_feature_request()));
  write("valid_features_tier0.bin",
        sealed(K::features, rt::encode_features(s0.message.features[2])));
  write("valid_features_tier1.bin",
        sealed(K::features, rt::encode_features(s1.message.features[0])));
  write("valid_features_tier2.bin",
        sealed(K::features, rt::encode_features(s2.message.features[0])));
  write(
      "valid_tier_message0.bin",
      sealed(K::tier_message, rt::encode_tier_message(s0.message, ddnn::LogitsEncoding::float32)));
  write(
      "valid_tier_message2.bin",
      sealed(K::tier_message, rt::encode_tier_message(s2.message, ddnn::LogitsEncoding::float32)));
  write(
      "valid_tier_message3.bin",
      sealed(K::tier_message, rt::encode_tier_message(s3.message, ddnn::LogitsEncoding::float32)));
  rt::answer_t<message_model> a{.predicted = std::uint32_t(s3.decision.predicted),
                                .exit_tier = 3,
                                .degraded = true,
                                .measure = s3.decision.measure,
                                .logits = {}};
  for (std::size_t c = 0; c < message_model::classes; ++c) a.logits[c] = s3.decision.logits[c];
  write("valid_answer.bin", sealed(K::answer, rt::encode_answer<message_model>(a)));
  write("valid_status.bin",
        sealed(K::status, rt::encode_status({.state = rt::node_state::online, .incarnation = 7})));
  // The edge kinds name the edge node (message_model's edge tiers have one node: node 0).
  const auto from_edge = [](rt::message_kind kind, const Bytes& payload) {
    return rt::seal({.kind = kind, .node = 0, .model = envelope_model, .sample = 41, .attempt = 1},
                    payload);
  };
  write("valid_edge_request1.bin",
        from_edge(K::edge_request, rt::encode_edge_request<message_model, 1>(s0.message, 0)));
  write("valid_edge_request2.bin",
        from_edge(K::edge_request, rt::encode_edge_request<message_model, 2>(s1.message, 0)));
  write("valid_node_step1.bin",
        from_edge(K::node_step, rt::encode_node_step<message_model, 1>(
                                    ddnn::Presence(1), *g.step_node<1>(0, s0.message),
                                    ddnn::LogitsEncoding::float32)));
  write("valid_node_step2.bin",
        from_edge(K::node_step, rt::encode_node_step<message_model, 2>(
                                    ddnn::Presence(1), *g.step_node<2>(0, s1.message),
                                    ddnn::LogitsEncoding::float32)));

  const Bytes logits =
      sealed(K::logits, rt::encode_logits(s0.message.logits[1], ddnn::LogitsEncoding::float32));
  const Bytes answer = sealed(K::answer, rt::encode_answer<message_model>(a));
  write("invalid_short_header.bin", Bytes(logits.begin(), logits.begin() + 20));
  write("invalid_truncated.bin", Bytes(logits.begin(), logits.end() - 1));
  auto v = logits;
  v.push_back(0);
  write("invalid_trailing.bin", v);
  v = logits;
  v[0] = 'X';
  write("invalid_magic.bin", v);
  v = logits;
  v[4] = 2;
  write("invalid_version.bin", v);
  v = logits;
  v[5] = 9;
  write("invalid_kind.bin", v);
  v = logits;
  v[8] ^= 1;
  write("invalid_model.bin", v);
  v = logits;
  const auto nan = std::bit_cast<std::uint32_t>(std::numeric_limits<float>::quiet_NaN());
  for (int b = 0; b < 4; ++b) v[v.size() - 4 + b] = std::uint8_t(nan >> (8 * b));
  write("invalid_nan.bin", v);
  v = answer;
  v[rt::envelope_bytes] = 2;  // class 2 of 2
  write("invalid_answer_class.bin", v);
  v = answer;
  v[rt::envelope_bytes + 5] = 3;  // an undefined flag
  write("invalid_answer_flags.bin", v);
  v = sealed(K::status, rt::encode_status({.state = rt::node_state::offline, .incarnation = 7}));
  v[rt::envelope_bytes] = 2;
  write("invalid_status_state.bin", v);
  write("invalid_feature_request.bin", sealed(K::feature_request, Bytes{0}));
}
