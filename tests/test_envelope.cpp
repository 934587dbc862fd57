// Runtime messages: the envelope's layout is the documented one byte for byte; every payload kind
// round-trips for graphs with bit and float feature maps; every kind of damage to an envelope or
// a payload is a ddnn::error that says what is wrong; no truncation or corruption crashes, and
// whatever is still accepted seals back to the same bytes. Model ids tell models apart by
// topology and by every parameter.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "check_error.hpp"
#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/io/model_id.hpp"
#include "ddnn/layers/dense.hpp"
#include "ddnn/runtime/envelope.hpp"
#include "ddnn/runtime/payloads.hpp"
#include "fuzz/envelope_reopen.hpp"
#include "fuzz/message_graph.hpp"
#include "graph_fixtures.hpp"

using namespace ddnn;
namespace rt = ddnn::runtime;
using ddnn_fuzz::envelope_model;
using ddnn_fuzz::message_model;
using Bytes = std::vector<std::uint8_t>;

namespace {
/// Devices that send float feature maps (a float dense layer above the first conv) to a cloud
/// that concatenates them.
struct float_devices final
    : DDNN<Sensor<Shape<5, 5, 1>>,
           Layers<FirstConv<3, 3, 1, 1>, Dense<5, Activation::relu>, Dense<3, Activation::none>>,
           DeviceTier<2, 2, Exit<Dense<3, Activation::none>, Avg>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
static_assert(std::is_same_v<rt::features_t<float_devices>, Tensor<float, Vector<5>>>);
static_assert(std::is_same_v<rt::features_t<message_model>, BitTensor<Shape<5, 5, 3>>>);
static_assert(rt::features_payload_bytes<message_model> == 10);  // 75 bits
static_assert(rt::features_payload_bytes<message_model, 2> == 16);
static_assert(rt::answer_payload_bytes<message_model> == 4 + 1 + 1 + 8 + 2 * 4 + 8 + 8);
// Published FNV-1a 64 test values.
static_assert(detail::fnv1a_64("") == 0xcbf29ce484222325);
static_assert(detail::fnv1a_64("a") == 0xaf63dc4c8601ec8c);
static_assert(detail::fnv1a_64("foobar") == 0x85944171f73967e8);

rt::envelope header(rt::message_kind kind) {
  return {.kind = kind, .node = 3, .model = envelope_model, .sample = 1234, .attempt = 2};
}

/// Sealed, opened (for envelope_model) and checked to be of `kind` with header(kind).
std::span<const std::uint8_t> through(rt::message_kind kind, const Bytes& payload, Bytes& storage) {
  storage = rt::seal(header(kind), payload);
  const rt::opened o = rt::open(storage, envelope_model);
  CHECK(o.header == header(kind));
  CHECK(o.payload.data() == storage.data() + rt::envelope_bytes);
  CHECK(std::ranges::equal(o.payload, payload));
  return o.payload;
}

template <class A, class B>
bool same_values(const A& a, const B& b) {
  return std::ranges::equal(a.values(), b.values());
}

/// One sample through every tier of `Graph`, and every payload kind of it sealed.
template <class Graph>
struct sample {
  Graph g{ddnn::random_parameters<Graph>(11, 0.5)};
  typename Graph::inputs_type inputs = [] {
    std::mt19937 rng(5);
    return fixtures::random_inputs<Graph>(rng);
  }();
};

template <class Graph, std::size_t T>
void check_tier_message(const typename Graph::template message_type<T>& m) {
  Bytes storage;
  const Bytes payload = rt::encode_tier_message(m, ddnn::LogitsEncoding::float32);
  CHECK(payload == m.serialize());
  const auto back = rt::decode_tier_message<Graph, T>(
      through(rt::message_kind::tier_message, payload, storage), ddnn::LogitsEncoding::float32);
  CHECK(back.serialize() == payload);
}

template <class Graph>
rt::answer_t<Graph> answer_of(const typename Graph::result_type& r, bool degraded) {
  rt::answer_t<Graph> a{.predicted = std::uint32_t(r.predicted),
                        .exit_tier = std::uint8_t(r.exit_tier),
                        .degraded = degraded,
                        .measure = r.measure,
                        .logits = {}};
  std::copy(r.logits.values().begin(), r.logits.values().end(), a.logits.begin());
  return a;
}

/// Every kind of payload of one sample of `Graph` round-trips through seal, open and its codec.
template <class Graph>
void check_every_kind() {
  const sample<Graph> s;
  Bytes storage;
  const auto step0 = s.g.step_devices(s.inputs, Presence::all(Graph::devices));

  const auto& logits = step0.message.logits[1];
  CHECK(same_values(rt::decode_logits<Graph>(
                        through(rt::message_kind::logits,
                                rt::encode_logits(logits, ddnn::LogitsEncoding::float32), storage),
                        ddnn::LogitsEncoding::float32),
                    logits));

  CHECK(rt::encode_feature_request().empty());
  rt::decode_feature_request(
      through(rt::message_kind::feature_request, rt::encode_feature_request(), storage));

  const auto& features = step0.message.features[Graph::devices - 1];
  const Bytes packed = rt::encode_features(features);
  CHECK(packed.size() == rt::features_payload_bytes<Graph>);
  const auto features_back =
      rt::decode_features<Graph>(through(rt::message_kind::features, packed, storage));
  if constexpr (is_bit_tensor<rt::features_t<Graph>>)
    CHECK(features_back == features);
  else
    CHECK(same_values(features_back, features));
  // Exactly what the tier message carries for that device.
  const Bytes message = step0.message.serialize();
  CHECK(std::equal(packed.begin(), packed.end(), message.end() - std::ptrdiff_t(packed.size())));

  check_tier_message<Graph, 0>(step0.message);
  const auto r = s.g.infer(s.inputs, Presence::all(Graph::devices));
  REQUIRE(r.answered);
  for (bool degraded : {false, true}) {
    const rt::answer_t<Graph> a = answer_of<Graph>(r, degraded);
    CHECK(rt::decode_answer<Graph>(
              through(rt::message_kind::answer, rt::encode_answer<Graph>(a), storage)) == a);
  }

  for (const rt::node_status st : {rt::node_status{rt::node_state::online, 1},
                                   rt::node_status{rt::node_state::offline, ~std::uint64_t{0}}})
    CHECK(rt::decode_status(through(rt::message_kind::status, rt::encode_status(st), storage)) ==
          st);
}

/// A valid envelope of every kind, for message_model.
std::vector<Bytes> valid_envelopes() {
  const sample<message_model> s;
  const auto s0 = s.g.step_devices(s.inputs, Presence(0b101));
  const auto s1 = s.g.step<1>(s0.message);
  const auto s2 = s.g.step<2>(s1.message);
  const auto s3 = s.g.step<3>(s2.message);
  using K = rt::message_kind;
  const auto seal = [](K kind, const Bytes& payload) { return rt::seal(header(kind), payload); };
  const auto r = s.g.infer(s.inputs, Presence(0b101));
  return {
      seal(K::logits, rt::encode_logits(s0.message.logits[0], ddnn::LogitsEncoding::float32)),
      seal(K::feature_request, {}), seal(K::features, rt::encode_features(s0.message.features[2])),
      seal(K::features, rt::encode_features(s1.message.features[0])),
      seal(K::features, rt::encode_features(s2.message.features[0])),
      seal(K::tier_message, rt::encode_tier_message(s0.message, ddnn::LogitsEncoding::float32)),
      seal(K::tier_message, rt::encode_tier_message(s1.message, ddnn::LogitsEncoding::float32)),
      seal(K::tier_message, rt::encode_tier_message(s2.message, ddnn::LogitsEncoding::float32)),
      seal(K::tier_message, rt::encode_tier_message(s3.message, ddnn::LogitsEncoding::float32)),
      seal(K::answer, rt::encode_answer<message_model>(answer_of<message_model>(r, true))),
      seal(K::status, rt::encode_status({rt::node_state::online, 99})),
      // Edge kinds name the edge node in the envelope (message_model's edges have one node).
      rt::seal({.kind = K::edge_request, .node = 0, .model = envelope_model, .sample = 7},
               rt::encode_edge_request<message_model, 1>(s0.message, 0)),
      rt::seal({.kind = K::node_step, .node = 0, .model = envelope_model, .sample = 7},
               rt::encode_node_step<message_model, 1>(Presence(1), *s.g.step_node<1>(0, s0.message),
                                                      ddnn::LogitsEncoding::float32)),
      rt::seal({.kind = K::node_step, .node = 0, .model = envelope_model, .sample = 7},
               rt::encode_node_step<message_model, 2>(Presence(1), *s.g.step_node<2>(0, s1.message),
                                                      ddnn::LogitsEncoding::float32))};
}
}  // namespace

TEST_CASE("envelope: the header is laid out as documented") {
  const Bytes payload{0xaa, 0xbb, 0xcc};
  const Bytes bytes = rt::seal({.kind = rt::message_kind::answer,
                                .node = 0x0102,
                                .model = 0x1112131415161718,
                                .sample = 0x2122232425262728,
                                .attempt = 0x3132},
                               payload);
  const Bytes expected{'D',  'D',  'N',  'E',  1,    5,    0x02, 0x01, 0x18, 0x17, 0x16,
                       0x15, 0x14, 0x13, 0x12, 0x11, 0x28, 0x27, 0x26, 0x25, 0x24, 0x23,
                       0x22, 0x21, 0x32, 0x31, 3,    0,    0,    0,    0xaa, 0xbb, 0xcc};
  CHECK(rt::envelope_bytes == 30);
  CHECK(bytes == expected);
  const rt::opened o = rt::open(bytes, 0x1112131415161718);
  CHECK(o.header.kind == rt::message_kind::answer);
  CHECK(o.header.node == 0x0102);
  CHECK(o.header.model == 0x1112131415161718);
  CHECK(o.header.sample == 0x2122232425262728);
  CHECK(o.header.attempt == 0x3132);
  CHECK(std::ranges::equal(o.payload, payload));
}

TEST_CASE("envelope: every kind seals and opens, with extreme header values and empty payloads") {
  for (std::uint8_t k = 1; k <= 6; ++k) {
    const rt::envelope h{.kind = rt::message_kind(k),
                         .node = std::uint16_t(k == 1 ? 0 : 0xffff),
                         .model = k % 2 ? 0 : ~std::uint64_t{0},
                         .sample = k % 3 ? ~std::uint64_t{0} : 0,
                         .attempt = std::uint16_t(k % 2 ? 0xffff : 0)};
    for (const Bytes& payload : {Bytes{}, Bytes(1000, k)}) {
      const Bytes bytes = rt::seal(h, payload);
      CHECK(bytes.size() == rt::envelope_bytes + payload.size());
      const rt::opened o = rt::open(bytes, h.model);
      CHECK(o.header == h);
      CHECK(std::ranges::equal(o.payload, payload));
    }
  }
  CHECK(rt::name_of(rt::message_kind::feature_request) == "feature_request");
  CHECK(rt::name_of(rt::message_kind(0)) == "unknown");
}

TEST_CASE("envelope: open refuses damaged envelopes and other models' messages, saying why") {
  const Bytes valid = rt::seal(header(rt::message_kind::logits), Bytes(8, 0));
  CHECK_ERROR((void)rt::open({}, envelope_model),
              "envelope is truncated: 0 bytes, its header alone has 30");
  CHECK_ERROR((void)rt::open(std::span(valid).first(29), envelope_model),
              "envelope is truncated: 29 bytes");
  Bytes v = valid;
  v[3] = 'M';
  CHECK_ERROR((void)rt::open(v, envelope_model), "envelope does not start with DDNE");
  for (std::uint8_t version : {0, 2, 255}) {
    v = valid;
    v[4] = version;
    CHECK_ERROR((void)rt::open(v, envelope_model), "envelope version " + std::to_string(version) +
                                                       " is not supported (this ddnn reads 1)");
  }
  for (std::uint8_t kind : {0, 9, 255}) {
    v = valid;
    v[5] = kind;
    CHECK_ERROR((void)rt::open(v, envelope_model),
                "envelope kind " + std::to_string(kind) + " is unknown");
  }
  CHECK_ERROR((void)rt::open(std::span(valid).first(valid.size() - 1), envelope_model),
              "envelope header announces a logits payload of 8 bytes, but 7 bytes follow");
  v = valid;
  v.push_back(0);
  CHECK_ERROR((void)rt::open(v, envelope_model),
              "envelope header announces a logits payload of 8 bytes, but 9 bytes follow");
  v = valid;
  v[29] = 1;  // a length of 2^24 + 8
  CHECK_ERROR((void)rt::open(v, envelope_model), "payload of 16777224 bytes, but 8 bytes follow");
  CHECK_ERROR((void)rt::open(valid, 0x00000000000000ab),
              "message is for model 0x0ddc0ffee15600d5, this node runs 0x00000000000000ab");
  CHECK_ERROR((void)rt::open(rt::seal(header(rt::message_kind::status), {}), ~envelope_model),
              "this node runs 0xf223f0011ea9ff2a");
  // seal() writes nothing open() would refuse.
  CHECK_ERROR((void)rt::seal(header(rt::message_kind(0)), {}), "envelope kind 0 is not a");
  CHECK_ERROR((void)rt::seal(header(rt::message_kind(9)), {}), "envelope kind 9 is not a");
}

TEST_CASE("envelope: every payload kind round-trips for a graph whose devices send bits") {
  // message_model's devices send 75 bits (spare bits in the last byte), its second edge floats.
  check_every_kind<message_model>();
  const sample<message_model> s;
  const auto s0 = s.g.step_devices(s.inputs, Presence(0b110));
  const auto s1 = s.g.step<1>(s0.message);
  const auto s2 = s.g.step<2>(s1.message);
  const auto s3 = s.g.step<3>(s2.message);
  check_tier_message<message_model, 1>(s1.message);
  check_tier_message<message_model, 2>(s2.message);
  check_tier_message<message_model, 3>(s3.message);
  Bytes storage;
  const auto f1 = rt::decode_features<message_model, 1>(
      through(rt::message_kind::features, rt::encode_features(s1.message.features[0]), storage));
  CHECK(f1 == s1.message.features[0]);
  CHECK(storage.size() == rt::envelope_bytes + (5 * 5 * 70 + 7) / 8);
}

TEST_CASE("envelope: every payload kind round-trips for graphs whose nodes send floats") {
  check_every_kind<float_devices>();
  // message_model's second edge tier sends 4 floats.
  const sample<message_model> s;
  const auto s2 =
      s.g.step<2>(s.g.step<1>(s.g.step_devices(s.inputs, Presence::all(3)).message).message);
  Bytes storage;
  const Bytes packed = rt::encode_features(s2.message.features[0]);
  CHECK(packed.size() == 16);
  const auto f2 =
      rt::decode_features<message_model, 2>(through(rt::message_kind::features, packed, storage));
  CHECK(same_values(f2, s2.message.features[0]));
  // Special but finite values survive bit for bit.
  rt::features_t<float_devices> special;
  const float lim_min = std::numeric_limits<float>::denorm_min();
  const std::vector<float> values{-0.0f, lim_min, -std::numeric_limits<float>::max(), 1e-30f, 3};
  special.assign(values);
  const auto back = rt::decode_features<float_devices>(rt::encode_features(special));
  for (std::size_t i = 0; i < values.size(); ++i)
    CHECK(std::bit_cast<std::uint32_t>(back[i]) == std::bit_cast<std::uint32_t>(values[i]));
}

TEST_CASE("envelope: payload decoders refuse wrong sizes, non-finite floats and bad fields") {
  using G = message_model;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const auto with_float = [](Bytes b, std::size_t at, float f) {
    for (int i = 0; i < 4; ++i) b[at + i] = std::uint8_t(std::bit_cast<std::uint32_t>(f) >> 8 * i);
    return b;
  };

  SUBCASE("logits") {
    CHECK_ERROR((void)rt::decode_logits<G>(Bytes(7), ddnn::LogitsEncoding::float32),
                "logits payload has 7 bytes instead of 8");
    CHECK_ERROR((void)rt::decode_logits<G>(Bytes(12), ddnn::LogitsEncoding::float32),
                "logits payload has 12 bytes instead of 8");
    CHECK_ERROR(
        (void)rt::decode_logits<G>(with_float(Bytes(8), 4, nan), ddnn::LogitsEncoding::float32),
        "logits payload has a NaN or infinite value at index 1");
    CHECK_ERROR(
        (void)rt::decode_logits<G>(with_float(Bytes(8), 0, -inf), ddnn::LogitsEncoding::float32),
        "logits payload has a NaN or infinite value at index 0");
    rt::logits_t<G> l;
    l[1] = inf;
    CHECK_ERROR((void)rt::encode_logits(l, ddnn::LogitsEncoding::float32),
                "logits payload has a NaN or infinite value");
  }
  SUBCASE("features") {
    CHECK_ERROR((void)rt::decode_features<G>(Bytes(9)),
                "features payload has 9 bytes instead of 10");
    Bytes bits(10, 0xff);
    bits[9] = 0x07;  // 75 bits: 72 + 3
    const auto all = rt::decode_features<G>(bits);
    for (std::size_t y = 0; y < 5; ++y)
      for (std::size_t x = 0; x < 5; ++x)
        for (std::size_t c = 0; c < 3; ++c) CHECK(all.bit(y, x, c));
    bits[9] = 0x0f;
    CHECK_ERROR((void)rt::decode_features<G>(bits), "bits set beyond its 75 values");
    CHECK_ERROR(((void)rt::decode_features<G, 2>(Bytes(15))),
                "features payload has 15 bytes instead of 16");
    CHECK_ERROR(((void)rt::decode_features<G, 2>(with_float(Bytes(16), 12, nan))),
                "features payload has a NaN or infinite value at index 3");
    rt::features_t<G, 2> f;
    f[0] = -inf;
    CHECK_ERROR((void)rt::encode_features(f), "features payload has a NaN or infinite value");
  }
  SUBCASE("feature_request") {
    CHECK_ERROR(rt::decode_feature_request(Bytes(1)),
                "feature_request payload has 1 bytes instead of 0");
  }
  SUBCASE("tier_message") {
    const sample<G> s;
    const Bytes m0 = s.g.step_devices(s.inputs, Presence::all(3)).message.serialize();
    CHECK_ERROR(((void)rt::decode_tier_message<G, 1>(m0, ddnn::LogitsEncoding::float32)),
                "message tier index is 0, this tier's message type has 1");
    CHECK_ERROR(((void)rt::decode_tier_message<G, 0>(std::span(m0).first(m0.size() - 1),
                                                     ddnn::LogitsEncoding::float32)),
                "its header implies");
  }
  SUBCASE("answer") {
    rt::answer_t<G> a{
        .predicted = 1, .exit_tier = 3, .degraded = false, .measure = 1.0, .logits = {-1.5f, 2.5f}};
    const Bytes valid = rt::encode_answer<G>(a);
    CHECK(rt::decode_answer<G>(valid) == a);
    CHECK_ERROR((void)rt::decode_answer<G>(Bytes(valid.begin(), valid.end() - 1)),
                "answer payload has 37 bytes instead of 38");
    Bytes v = valid;
    v[0] = 2;
    CHECK_ERROR((void)rt::decode_answer<G>(v), "answer payload predicts class 2 of 2");
    v = valid;
    v[3] = 0x80;
    CHECK_ERROR((void)rt::decode_answer<G>(v), "predicts class 2147483649 of 2");
    v = valid;
    v[4] = 4;
    CHECK_ERROR((void)rt::decode_answer<G>(v), "exits at tier 4, the graph has 4 tiers");
    for (std::uint8_t flags : {2, 3, 0x80}) {
      v = valid;
      v[5] = flags;
      CHECK_ERROR((void)rt::decode_answer<G>(v), "answer payload has flags " +
                                                     std::to_string(flags) +
                                                     ", only bit 0 (degraded) is defined");
    }
    for (double m : {std::nextafter(1.0, 2.0), -1e-300, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
      v = valid;
      for (int i = 0; i < 8; ++i) v[6 + i] = std::uint8_t(std::bit_cast<std::uint64_t>(m) >> 8 * i);
      CHECK_ERROR((void)rt::decode_answer<G>(v), "is not in [0, 1]");
    }
    CHECK_ERROR((void)rt::decode_answer<G>(with_float(valid, 18, nan)),
                "answer payload has a NaN or infinite value at index 1");
    // The encoder refuses the same.
    auto bad = a;
    bad.predicted = 2;
    CHECK_ERROR((void)rt::encode_answer<G>(bad), "predicts class 2 of 2");
    bad = a;
    bad.exit_tier = 4;
    CHECK_ERROR((void)rt::encode_answer<G>(bad), "exits at tier 4");
    bad = a;
    bad.measure = -0.5;
    CHECK_ERROR((void)rt::encode_answer<G>(bad), "is not in [0, 1]");
    bad = a;
    bad.logits[0] = inf;
    CHECK_ERROR((void)rt::encode_answer<G>(bad), "NaN or infinite value at index 0");
  }
  SUBCASE("status") {
    CHECK_ERROR((void)rt::decode_status(Bytes(8)), "status payload has 8 bytes instead of 9");
    CHECK_ERROR((void)rt::decode_status(Bytes(10)), "status payload has 10 bytes instead of 9");
    Bytes v(9, 0);
    CHECK(rt::decode_status(v) == rt::node_status{rt::node_state::offline, 0});
    v[0] = 2;
    CHECK_ERROR((void)rt::decode_status(v),
                "status payload state 2 is neither 0 (offline) nor 1 (online)");
    CHECK_ERROR(((void)rt::encode_status({rt::node_state(2), 0})), "status state 2 is not a");
  }
}

TEST_CASE("envelope: truncations and corruptions never crash; what is accepted seals back") {
  const std::vector<Bytes> valid = valid_envelopes();
  std::mt19937 rng(17);
  std::size_t accepted = 0, refused = 0;
  const auto check = [&](const Bytes& bytes) {
    const auto again = ddnn_fuzz::reopen<message_model>(bytes);
    if (again)
      ++accepted;
    else
      ++refused;
    if (again) CHECK(*again == bytes);
  };
  for (const Bytes& v : valid) {
    const auto again = ddnn_fuzz::reopen<message_model>(v);
    REQUIRE(again);
    CHECK(*again == v);
    // Every truncation disagrees with the header's payload length (or cuts the header).
    for (std::size_t n = 0; n < v.size(); ++n)
      CHECK_FALSE(ddnn_fuzz::reopen<message_model>(std::span(v).first(n)));
    // Every single-byte corruption, at every offset: a few random values and every bit flip.
    for (std::size_t at = 0; at < v.size(); ++at) {
      Bytes c = v;
      for (int bit = 0; bit < 8; ++bit) {
        c[at] = std::uint8_t(v[at] ^ (1u << bit));
        check(c);
      }
      for (int i = 0; i < 4; ++i) {
        c[at] = std::uint8_t(rng());
        check(c);
      }
    }
  }
  // Random bytes after a valid header of every kind.
  for (std::uint8_t k = 1; k <= 6; ++k)
    for (std::size_t size : {0, 1, 8, 9, 10, 16, 22, 108, 219}) {
      Bytes payload(size);
      for (auto& b : payload) b = std::uint8_t(rng());
      check(rt::seal(header(rt::message_kind(k)), payload));
    }
  // Both outcomes happen: corruptions of floats and of the sample id stay valid.
  CHECK(accepted > 100);
  CHECK(refused > 100);
}

TEST_CASE("envelope: the fuzz seed corpus: valid_* files seal back, every other file is refused") {
  namespace fs = std::filesystem;
  const fs::path corpus = fs::path(__FILE__).parent_path() / "fuzz" / "envelope_corpus";
  REQUIRE(fs::is_directory(corpus));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const Bytes bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::string name = entry.path().filename().string();
    INFO(name);
    const auto again = ddnn_fuzz::reopen<message_model>(bytes);
    if (name.starts_with("valid_")) {
      REQUIRE(again);
      CHECK(*again == bytes);
    } else {
      CHECK_FALSE(again);
    }
    ++files;
  }
  CHECK(files >= 20);
}

TEST_CASE("envelope: model ids tell models apart by topology and by every parameter") {
  using fixtures::paper;
  using fixtures::three_tier;
  const paper a(ddnn::random_parameters<paper>(21, 0.5));
  const paper same(ddnn::random_parameters<paper>(21, 0.5));
  const std::uint64_t id = model_id(a);
  CHECK(model_id(a) == id);
  CHECK(model_id(same) == id);
  // A node that loads the saved model file computes the trainer's id.
  CHECK(model_id(model_from_json<paper>(model_to_json(a))) == id);
  // ... whatever test vectors the file carries.
  std::mt19937 rng(3);
  const std::vector<paper::inputs_type> inputs{fixtures::random_inputs<paper>(rng)};
  const std::vector<Presence> presence{Presence(0b101)};
  CHECK(model_id(model_from_json<paper>(
            model_to_json(a, std::span(inputs), std::span(presence)))) == id);

  auto p = a.parameters();
  std::get<0>(p.tier<1>().nodes[0].layers).weights[5] *= -1;  // one weight sign
  CHECK(model_id(paper(p)) != id);
  p = a.parameters();
  std::get<0>(p.tier<1>().nodes[0].layers).weights[5] *= 2;  // the same sign: the same model
  CHECK(model_id(paper(p)) == id);
  p = a.parameters();
  p.tier<0>().threshold = 0.25;  // one exit threshold
  CHECK(model_id(paper(p)) != id);
  CHECK(model_id(paper(ddnn::random_parameters<paper>(22, 0.5))) != id);
  // Another topology from the same seed.
  CHECK(model_id(three_tier(ddnn::random_parameters<three_tier>(21, 0.5))) != id);
  CHECK(model_id(message_model(ddnn::random_parameters<message_model>(21, 0.5))) != id);
}

TEST_CASE("envelope: an edge node's share carries only its children's feature maps") {
  using G = fixtures::two_edges;  // edge 0 aggregates devices 0-2, edge 1 devices 3-5
  const sample<G> s;
  const Presence present(0b110111);  // device 3 is absent
  const auto step0 = s.g.step_devices(s.inputs, present);
  constexpr std::size_t map_bytes = rt::features_payload_bytes<G>;
  CHECK(rt::children_of<G, 1>(1) == Presence(0b111000));
  CHECK(rt::parents_of<G, 1>(Presence(0b000111)) == Presence(0b01));
  CHECK(rt::parents_of<G, 1>(present) == Presence(0b11));

  for (const std::size_t n : {std::size_t{0}, std::size_t{1}}) {
    CAPTURE(n);
    const Bytes bytes = rt::encode_edge_request<G, 1>(step0.message, n);
    const Presence mine = present & rt::children_of<G, 1>(n);
    CHECK(bytes.size() == 8 + mine.count() * map_bytes);
    const auto r = rt::decode_edge_request<G, 1>(bytes, n);
    CHECK(r.below == present);
    CHECK(r.message.present == mine);
    // The node steps the same on its share as on the whole message, to the bit.
    const auto from_share = s.g.step_node<1>(n, r.message);
    const auto from_whole = s.g.step_node<1>(n, step0.message);
    REQUIRE(from_share);
    REQUIRE(from_whole);
    CHECK(from_share->features == from_whole->features);
    CHECK(same_values(from_share->logits, from_whole->logits));

    const Bytes step = rt::encode_node_step<G, 1>(rt::parents_of<G, 1>(present), *from_share,
                                                  ddnn::LogitsEncoding::float32);
    const auto back = rt::decode_node_step<G, 1>(step, ddnn::LogitsEncoding::float32);
    CHECK(back.expected == Presence(0b11));
    CHECK(back.step.features == from_share->features);
    CHECK(same_values(back.step.logits, from_share->logits));
    CHECK(rt::encode_node_step<G, 1>(back.expected, back.step, ddnn::LogitsEncoding::float32) ==
          step);

    // Damage is refused.
    const auto request_of = [](std::span<const std::uint8_t> b, std::size_t node) {
      return rt::decode_edge_request<G, 1>(b, node);
    };
    const auto step_of = [](std::span<const std::uint8_t> b) {
      return rt::decode_node_step<G, 1>(b, ddnn::LogitsEncoding::float32);
    };
    CHECK_THROWS_AS(request_of(std::span(bytes).first(bytes.size() - 1), n), ddnn::error);
    CHECK_THROWS_AS(step_of(std::span(step).first(step.size() - 1)), ddnn::error);
    CHECK_THROWS_AS(request_of(bytes, 2), ddnn::error);  // there is no edge node 2
  }
  const auto only_edge1 = s.g.step_devices(s.inputs, Presence(0b110000));
  const auto share_of = [&](std::size_t node) {
    return rt::encode_edge_request<G, 1>(only_edge1.message, node);
  };
  CHECK_THROWS_AS(share_of(0), ddnn::error);  // edge 0 has no child present
  const Bytes forged = share_of(1);
  const auto request_for_0 = [&] { return rt::decode_edge_request<G, 1>(forged, 0); };
  CHECK_THROWS_AS(request_for_0(), ddnn::error);  // not edge 0's children
  Bytes expects_nobody = rt::encode_node_step<G, 1>(
      Presence(0b01), *s.g.step_node<1>(0, step0.message), ddnn::LogitsEncoding::float32);
  std::fill_n(expects_nobody.begin(), 8, std::uint8_t{0});
  const auto nobody = [&] {
    return rt::decode_node_step<G, 1>(expects_nobody, ddnn::LogitsEncoding::float32);
  };
  CHECK_THROWS_AS(nobody(), ddnn::error);
}

TEST_CASE("payloads over the int8 logits link round-trip exactly and refuse the float32 link") {
  auto p = ddnn::random_parameters<message_model>(11, 0.5);
  p.tier<0>().logits_link = LogitsEncoding::int8;
  p.tier<1>().logits_link = LogitsEncoding::int8;
  p.tier<2>().logits_link = LogitsEncoding::int8;
  const message_model g(p);
  std::mt19937 rng(5);
  const auto inputs = fixtures::random_inputs<message_model>(rng);
  const auto s0 = g.step_devices(inputs, Presence::all(message_model::devices));
  constexpr auto int8 = LogitsEncoding::int8, f32 = LogitsEncoding::float32;

  const auto& logits = s0.message.logits[1];
  const Bytes l = rt::encode_logits(logits, int8);
  CHECK(l.size() == rt::logits_payload_bytes<message_model>(int8));
  CHECK(l.size() == 1 + message_model::classes);
  CHECK(same_values(rt::decode_logits<message_model>(l, int8), logits));
  CHECK_ERROR((void)rt::decode_logits<message_model>(l, f32), "logits payload has");

  const Bytes m = rt::encode_tier_message(s0.message, int8);
  CHECK(same_values(rt::decode_tier_message<message_model, 0>(m, int8).logits[2],
                    s0.message.logits[2]));
  CHECK_ERROR(((void)rt::decode_tier_message<message_model, 0>(m, f32)),
              "message logits encoding is 1, this tier sends float32");

  const auto node = g.step_node<1>(0, s0.message);
  REQUIRE(node);
  const Bytes step = rt::encode_node_step<message_model, 1>(Presence(1), *node, int8);
  const auto back = rt::decode_node_step<message_model, 1>(step, int8);
  CHECK(same_values(back.step.logits, node->logits));
  CHECK(rt::encode_node_step<message_model, 1>(back.expected, back.step, int8) == step);
  CHECK_THROWS_AS(((void)rt::decode_node_step<message_model, 1>(step, f32)), ddnn::error);
}
