// The typed DDNN graph: tier shapes follow the cuts at compile time; staged inference equals a
// straight-line computation of the same network (sections, heads, max / mean / concat written
// out by hand); the batch API and the tier-by-tier steps with serialised messages agree with it;
// every link's bytes follow the formula in docs/semantics.md; missing devices and bad input are
// handled.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "ddnn/kernels/dispatch.hpp"
#include "graph_fixtures.hpp"

using namespace ddnn;
using namespace fixtures;

namespace {
// ---- compile-time structure -------------------------------------------------------------------
static_assert(paper::tier_count == 2 && three_tier::tier_count == 3 && two_edges::tier_count == 3);
static_assert(paper::devices == 6 && paper::edge_nodes == 0 && two_edges::edge_nodes == 2);
static_assert(std::is_same_v<paper::tier<0>::output_type, BitTensor<Shape<5, 7, 4>>>);
static_assert(std::is_same_v<paper::tier<1>::input_type, BitTensor<Shape<5, 7, 24>>>);
static_assert(std::is_same_v<three_tier::tier<1>::input_type, BitTensor<Shape<5, 7, 24>>>);
static_assert(std::is_same_v<three_tier::tier<2>::input_type, BitTensor<Shape<5, 7, 16>>>);
static_assert(std::is_same_v<two_edges::tier<1>::input_type, BitTensor<Shape<5, 7, 12>>>);
static_assert(std::is_same_v<two_edges::tier<2>::input_type, BitTensor<Shape<5, 7, 32>>>);
static_assert(paper::message_type<0>::feature_bytes == 18 &&
              paper::message_type<0>::logits_bytes(LogitsEncoding::float32) == 12 &&
              paper::message_type<0>::logits_bytes(LogitsEncoding::int8) == 4);
static_assert(!two_edges::tier<0>::has_exit && two_edges::tier<1>::has_exit);
// Moving the device/cloud cut is one template argument: devices now also run the first conv.
struct paper_cut2 final
    : DDNN<Sensor<Tile>, Network, DeviceTier<6, 2, Exit<Head3, Max>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
static_assert(std::is_same_v<paper_cut2::tier<0>::output_type, BitTensor<Shape<5, 7, 16>>>);
static_assert(std::is_same_v<paper_cut2::tier<1>::input_type, BitTensor<Shape<5, 7, 96>>>);
static_assert(paper_cut2::message_type<0>::feature_bytes == 5 * 7 * 16 / 8);

// ---- straight-line reference pieces ------------------------------------------------------------
// Channel concat of present inputs (absent: -1, i.e. bit 0), written bit by bit.
template <ShapeType S, std::size_t N>
BitTensor<Shape<S::height, S::width, N * S::channels>> concat(
    const std::array<const BitTensor<S>*, N>& in) {
  BitTensor<Shape<S::height, S::width, N * S::channels>> out;
  for (std::size_t d = 0; d < N; ++d)
    for (std::size_t y = 0; y < S::height; ++y)
      for (std::size_t x = 0; x < S::width; ++x)
        for (std::size_t c = 0; c < S::channels; ++c)
          out.set_bit(y, x, d * S::channels + c, in[d] != nullptr && in[d]->bit(y, x, c));
  return out;
}

// Element-wise max or mean over present logit vectors.
template <std::size_t C>
Tensor<float, Vector<C>> reduce(const std::vector<Tensor<float, Vector<C>>>& v, bool mean) {
  Tensor<float, Vector<C>> out;
  for (std::size_t c = 0; c < C; ++c) {
    float acc = v[0][c];
    for (std::size_t i = 1; i < v.size(); ++i) acc = mean ? acc + v[i][c] : std::max(acc, v[i][c]);
    out[c] = mean ? acc / float(v.size()) : acc;
  }
  return out;
}

struct Expected {
  bool answered = false;
  std::size_t exit_tier = 0;
  Tensor<float, Vector<3>> logits;
};

template <class Result>
void check_same(const Result& r, const Expected& e, double measure_of_expected) {
  REQUIRE(r.answered == e.answered);
  if (!e.answered) return;
  CHECK(r.exit_tier == e.exit_tier);
  for (std::size_t c = 0; c < 3; ++c) CHECK(r.logits[c] == e.logits[c]);
  CHECK(r.predicted == argmax(e.logits.values()));
  CHECK(r.measure == measure_of_expected);
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return std::ranges::equal(a, b, [](float x, float y) {
    return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
  });
}

Presence random_presence(std::mt19937& rng, std::size_t n) {
  switch (rng() % 6) {
    case 0:
      return Presence::all(n);
    case 1:
      return Presence(std::uint64_t{1} << (rng() % n));  // exactly one device
    default:
      return Presence(rng() & Presence::all(n).bits());  // includes none present
  }
}

// Sections and heads of the reference, built from the same parameters.
using DeviceSection = Section<Tile, Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>>>;
using DeviceHead = Head3::bind<Shape<5, 7, 4>>;
}  // namespace

TEST_CASE(
    "(b) six devices, local Max exit, Concat to the cloud: staged inference equals the "
    "straight-line network on every ISA") {
  std::mt19937 rng(3);
  std::size_t exits_at[2] = {};
  for (isa_id isa : available_isas()) {
    CAPTURE(name(isa));
    for (double threshold : {0.0, 0.6, 0.95, 1.0}) {
      const auto params = random_parameters<paper>(rng, threshold);
      const paper g(params, isa);
      using CloudSection =
          Section<Shape<5, 7, 24>, Layers<BinaryConv<16, 3, 1, 1>,
                                          BinaryConv<16, 3, 1, 1, MaxPool<3, 2, 1>>, Head3>>;
      const CloudSection cloud(isa, params.tier<1>().nodes[0].layers);
      for (int trial = 0; trial < 12; ++trial) {
        const auto inputs = random_inputs<paper>(rng);
        const Presence present = random_presence(rng, 6);
        std::array<BitTensor<Shape<5, 7, 4>>, 6> features;
        std::array<const BitTensor<Shape<5, 7, 4>>*, 6> sent{};
        std::vector<Tensor<float, Vector<3>>> logits;
        for (std::size_t d = 0; d < 6; ++d) {
          if (!present[d]) continue;
          features[d] = DeviceSection(isa, params.tier<0>().nodes[d].layers)(inputs[d]);
          sent[d] = &features[d];
          logits.push_back(DeviceHead(params.tier<0>().nodes[d].exit_head, isa)(features[d]));
        }
        Expected e;
        double measure = 0.0;
        e.answered = !logits.empty();
        if (e.answered) {
          e.logits = reduce(logits, false);
          measure = normalized_entropy(e.logits.values());
          if (!(measure < threshold)) {
            e.exit_tier = 1;
            e.logits = cloud(concat(sent));
            measure = normalized_entropy(e.logits.values());
          }
        }
        const auto r = g.infer(inputs, present);
        check_same(r, e, measure);
        if (e.answered) ++exits_at[e.exit_tier];
        for (std::size_t d = 0; d < 6; ++d) {
          const LinkBytes want =
              present[d] ? LinkBytes{12, e.exit_tier == 1 ? std::size_t{18} : 0, 140} : LinkBytes{};
          CHECK(r.devices[d] == want);
        }
      }
    }
  }
  CHECK(exits_at[0] > 0);  // both exits were exercised
  CHECK(exits_at[1] > 0);
}

TEST_CASE("(c) devices -> edge with its own exit -> cloud, equals the straight-line network") {
  std::mt19937 rng(5);
  std::size_t exits_at[3] = {};
  for (double threshold : {0.0, 0.5, 0.9}) {
    auto params = random_parameters<three_tier>(rng, threshold);
    params.tier<1>().threshold = 0.8;
    const three_tier g(params);
    using EdgeSection = Section<Shape<5, 7, 24>, Layers<BinaryConv<16, 3, 1, 1>>>;
    using EdgeHead = Head3::bind<Shape<5, 7, 16>>;
    using CloudSection =
        Section<Shape<5, 7, 16>, Layers<BinaryConv<16, 3, 1, 1, MaxPool<3, 2, 1>>, Head3>>;
    const EdgeSection edge(best_isa(), params.tier<1>().nodes[0].layers);
    const EdgeHead edge_head(params.tier<1>().nodes[0].exit_head);
    const CloudSection cloud(best_isa(), params.tier<2>().nodes[0].layers);
    for (int trial = 0; trial < 40; ++trial) {
      const auto inputs = random_inputs<three_tier>(rng);
      const Presence present = random_presence(rng, 6);
      std::array<BitTensor<Shape<5, 7, 4>>, 6> features;
      std::array<const BitTensor<Shape<5, 7, 4>>*, 6> sent{};
      std::vector<Tensor<float, Vector<3>>> logits;
      for (std::size_t d = 0; d < 6; ++d) {
        if (!present[d]) continue;
        features[d] = DeviceSection(params.tier<0>().nodes[d].layers)(inputs[d]);
        sent[d] = &features[d];
        logits.push_back(DeviceHead(params.tier<0>().nodes[d].exit_head)(features[d]));
      }
      Expected e;
      double measure = 0.0;
      e.answered = !logits.empty();
      if (e.answered) {
        e.logits = reduce(logits, false);
        measure = normalized_entropy(e.logits.values());
        if (!(measure < threshold)) {
          const auto edge_features = edge(concat(sent));
          e.logits = edge_head(edge_features);  // Max over one edge node
          measure = normalized_entropy(e.logits.values());
          e.exit_tier = 1;
          if (!(measure < 0.8)) {
            e.logits = cloud(edge_features);  // Max over one edge node is that node's map
            measure = normalized_entropy(e.logits.values());
            e.exit_tier = 2;
          }
        }
      }
      const auto r = g.infer(inputs, present);
      check_same(r, e, measure);
      if (!e.answered) continue;
      ++exits_at[e.exit_tier];
      const std::size_t device_features = e.exit_tier >= 1 ? 18 : 0;
      for (std::size_t d = 0; d < 6; ++d)
        CHECK(r.devices[d] == (present[d] ? LinkBytes{12, device_features, 140} : LinkBytes{}));
      CHECK(r.edges.size() == 1);
      // The edge sends its logits once it runs, and its 5x7x16 bits only when the sample goes on.
      const LinkBytes edge_bytes = e.exit_tier == 0   ? LinkBytes{}
                                   : e.exit_tier == 1 ? LinkBytes{12, 0, 0}
                                                      : LinkBytes{12, 70, 0};
      CHECK(r.edges[0] == edge_bytes);
    }
    if (threshold == 0.0) CHECK(exits_at[0] == 0);
  }
  for (std::size_t t = 0; t < 3; ++t) CHECK(exits_at[t] > 0);  // every exit was exercised
}

TEST_CASE("(d) two edges of three devices each, Avg edge exit, Concat in the cloud") {
  std::mt19937 rng(8);
  std::size_t exits_at[3] = {};
  for (double threshold : {0.0, 0.7, 0.97}) {
    const auto params = random_parameters<two_edges>(rng, threshold);
    const two_edges g(params);
    using EdgeSection = Section<Shape<5, 7, 12>, Layers<BinaryConv<16, 3, 1, 1>>>;
    using EdgeHead = Head3::bind<Shape<5, 7, 16>>;
    using CloudSection =
        Section<Shape<5, 7, 32>, Layers<BinaryConv<16, 3, 1, 1, MaxPool<3, 2, 1>>, Head3>>;
    const CloudSection cloud(best_isa(), params.tier<2>().nodes[0].layers);
    for (int trial = 0; trial < 40; ++trial) {
      const auto inputs = random_inputs<two_edges>(rng);
      const Presence present = random_presence(rng, 6);
      std::array<BitTensor<Shape<5, 7, 4>>, 6> features;
      std::array<BitTensor<Shape<5, 7, 16>>, 2> edge_features;
      std::array<const BitTensor<Shape<5, 7, 16>>*, 2> edge_sent{};
      std::vector<Tensor<float, Vector<3>>> logits;
      for (std::size_t d = 0; d < 6; ++d)
        if (present[d]) features[d] = DeviceSection(params.tier<0>().nodes[d].layers)(inputs[d]);
      for (std::size_t n = 0; n < 2; ++n) {
        std::array<const BitTensor<Shape<5, 7, 4>>*, 3> group{};
        bool any = false;
        for (std::size_t j = 0; j < 3; ++j)
          if (present[3 * n + j]) group[j] = &features[3 * n + j], any = true;
        if (!any) continue;
        edge_features[n] = EdgeSection(params.tier<1>().nodes[n].layers)(concat(group));
        edge_sent[n] = &edge_features[n];
        logits.push_back(EdgeHead(params.tier<1>().nodes[n].exit_head)(edge_features[n]));
      }
      Expected e;
      double measure = 0.0;
      e.answered = !logits.empty();
      if (e.answered) {
        e.logits = reduce(logits, true);
        measure = normalized_entropy(e.logits.values());
        e.exit_tier = 1;
        if (!(measure < threshold)) {
          e.logits = cloud(concat(edge_sent));
          measure = normalized_entropy(e.logits.values());
          e.exit_tier = 2;
        }
      }
      const auto r = g.infer(inputs, present);
      check_same(r, e, measure);
      if (!e.answered) continue;
      ++exits_at[e.exit_tier];
      for (std::size_t d = 0; d < 6; ++d)  // no device exit: no logits, always the features
        CHECK(r.devices[d] == (present[d] ? LinkBytes{0, 18, 140} : LinkBytes{}));
      for (std::size_t n = 0; n < 2; ++n)
        CHECK(r.edges[n] == (edge_sent[n] ? LinkBytes{12, e.exit_tier == 2 ? std::size_t{70} : 0, 0}
                                          : LinkBytes{}));
    }
  }
  CHECK(exits_at[1] > 0);
  CHECK(exits_at[2] > 0);
}

TEST_CASE("a local exit that concatenates device logits into a dense head") {
  std::mt19937 rng(11);
  static_assert(concat_exit::tier<0>::exit::concatenates);
  for (double threshold : {0.3, 0.8}) {
    const auto params = random_parameters<concat_exit>(rng, threshold);
    const concat_exit g(params);
    const Dense<3, Activation::none>::bind<Vector<18>> combine(params.tier<0>().exit_combine);
    std::size_t local = 0;
    for (int trial = 0; trial < 30; ++trial) {
      const auto inputs = random_inputs<concat_exit>(rng);
      const Presence present = random_presence(rng, 6);
      Tensor<float, Vector<18>> concatenated;  // absent devices' logits are 0
      for (float& v : concatenated.values()) v = 0.0f;
      for (std::size_t d = 0; d < 6; ++d) {
        if (!present[d]) continue;
        const auto logits = DeviceHead(params.tier<0>().nodes[d].exit_head)(
            DeviceSection(params.tier<0>().nodes[d].layers)(inputs[d]));
        for (std::size_t c = 0; c < 3; ++c) concatenated[3 * d + c] = logits[c];
      }
      const auto r = g.infer(inputs, present);
      if (present.none(6)) {
        CHECK_FALSE(r.answered);
        continue;
      }
      const auto local_logits = combine(concatenated);
      const double measure = normalized_entropy(local_logits.values());
      if (measure < threshold) {
        ++local;
        CHECK(r.exit_tier == 0);
        for (std::size_t c = 0; c < 3; ++c) CHECK(r.logits[c] == local_logits[c]);
        CHECK(r.measure == measure);
      } else {
        CHECK(r.exit_tier == 1);
      }
    }
    if (threshold == 0.8) CHECK(local > 0);
  }
  auto params = random_parameters<concat_exit>(rng);
  params.tier<0>().exit_combine.weights.pop_back();
  CHECK_THROWS_WITH_AS(concat_exit{params}, doctest::Contains("combining head"), ddnn::error);
}

TEST_CASE("(a) one device -> cloud: threshold 0 sends everything up, threshold 1 almost nothing") {
  std::mt19937 rng(13);
  auto params = random_parameters<one_device>(rng, 0.0);
  one_device g(params);
  std::size_t local = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const auto r = g.infer(random_inputs<one_device>(rng), Presence::all(1));
    REQUIRE(r.answered);
    local += r.exit_tier == 0;
    CHECK(r.devices[0] == LinkBytes{12, r.exit_tier == 0 ? std::size_t{0} : 18, 140});
  }
  CHECK(local == 0);
  g.set_threshold<0>(1.0);
  CHECK(g.parameters().tier<0>().threshold == 1.0);
  for (int trial = 0; trial < 30; ++trial)
    local += g.infer(random_inputs<one_device>(rng), Presence::all(1)).exit_tier == 0;
  CHECK(local >= 29);  // eta < 1 unless the logits are exactly uniform
  CHECK_THROWS_AS(g.set_threshold<0>(1.5), ddnn::error);
}

TEST_CASE("no device present: an explicit 'no answer' with no bytes, never garbage") {
  std::mt19937 rng(17);
  const paper g(random_parameters<paper>(rng));
  const auto r = g.infer(random_inputs<paper>(rng), Presence{});
  CHECK_FALSE(r.answered);
  CHECK(r.total() == LinkBytes{});
  CHECK_THROWS_AS((void)g.infer(random_inputs<paper>(rng), Presence(1u << 6)), ddnn::error);
}

TEST_CASE_TEMPLATE("the batch API equals per-sample inference bit for bit, on any thread count",
                   Graph, three_tier, two_edges, concat_exit, dense_cloud, dense_edges) {
  std::mt19937 rng(19);
  // 150 samples: more than two chunks, so chunks, shares and the upper tiers' batches vary
  for (const double threshold : {0.0, 0.7}) {
    CAPTURE(threshold);
    const Graph g(random_parameters<Graph>(rng, threshold));
    std::vector<typename Graph::inputs_type> inputs;
    std::vector<Presence> present;
    for (int i = 0; i < 150; ++i) {
      inputs.push_back(random_inputs<Graph>(rng));
      present.push_back(i % 7 == 3 ? Presence{} : random_presence(rng, 6));
    }
    for (const std::size_t threads : {1, 2, 3}) {
      CAPTURE(threads);
      const auto batch = g.infer_batch(inputs, present, threads);
      REQUIRE(batch.size() == inputs.size());
      std::size_t differ = 0, above_devices = 0;
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto one = g.infer(inputs[i], present[i]);
        above_devices += one.answered && one.exit_tier > 0;
        differ += batch[i].answered != one.answered || batch[i].exit_tier != one.exit_tier ||
                  batch[i].predicted != one.predicted || batch[i].measure != one.measure ||
                  batch[i].devices != one.devices || batch[i].edges != one.edges ||
                  !same_bits(batch[i].logits.values(), one.logits.values());
      }
      CHECK(differ == 0);
      CHECK(above_devices > 0);
    }
    CHECK_THROWS_AS((void)g.infer_batch(inputs, std::span(present).first(3)), ddnn::error);
    CHECK_THROWS_AS((void)g.infer_batch(inputs, present, 0), ddnn::error);
  }
}

TEST_CASE("an upper tier over a batch of messages equals it on each message") {
  std::mt19937 rng(29);
  const dense_edges g(random_parameters<dense_edges>(rng, 0.0));
  std::vector<dense_edges::message_type<0>> below;
  for (int i = 0; i < 40; ++i)
    below.push_back(
        g.step_devices(random_inputs<dense_edges>(rng), random_presence(rng, 6)).message);
  const auto edges = g.step_batch<1>(below);
  std::vector<dense_edges::message_type<1>> middle;
  for (std::size_t i = 0; i < below.size(); ++i) {
    const auto one = g.step<1>(below[i]);
    CHECK(edges[i].answered == one.answered);
    CHECK(edges[i].message.present == one.message.present);
    CHECK(edges[i].decision.predicted == one.decision.predicted);
    CHECK(same_bits(edges[i].decision.logits.values(), one.decision.logits.values()));
    for (std::size_t n = 0; n < 2; ++n)
      if (one.message.present[n]) {
        CHECK(same_bits(edges[i].message.features[n].values(), one.message.features[n].values()));
        CHECK(same_bits(edges[i].message.logits[n].values(), one.message.logits[n].values()));
      }
    if (one.answered) middle.push_back(one.message);
  }
  const auto cloud = g.step_batch<2>(middle);
  for (std::size_t i = 0; i < middle.size(); ++i)
    CHECK(same_bits(cloud[i].decision.logits.values(),
                    g.step<2>(middle[i]).decision.logits.values()));
}

TEST_CASE("tier by tier with serialised messages equals staged inference") {
  std::mt19937 rng(23);
  const three_tier g(random_parameters<three_tier>(rng, 0.0));  // nothing exits at the devices
  for (int trial = 0; trial < 20; ++trial) {
    const auto inputs = random_inputs<three_tier>(rng);
    const Presence present = random_presence(rng, 6);
    const auto whole = g.infer(inputs, present);
    const auto devices = g.step_devices(inputs, present);
    if (!devices.answered) {
      CHECK_FALSE(whole.answered);
      continue;
    }
    CHECK_FALSE(devices.decision.exits);
    const std::vector<std::uint8_t> wire0 = devices.message.serialize();
    CHECK(wire0.size() == 24 + present.count(6) * (12 + 18));
    const auto up0 = three_tier::message_type<0>::parse(wire0);
    CHECK(up0.present == present);
    const auto edge = g.step<1>(up0);
    if (edge.decision.exits) {
      CHECK(whole.exit_tier == 1);
      CHECK(whole.predicted == edge.decision.predicted);
      continue;
    }
    const auto up1 = three_tier::message_type<1>::parse(edge.message.serialize());
    const auto cloud = g.step<2>(up1);
    CHECK(whole.exit_tier == 2);
    for (std::size_t c = 0; c < 3; ++c) CHECK(whole.logits[c] == cloud.decision.logits[c]);
  }
}

TEST_CASE("messages reject anything but exactly their own wire format") {
  std::mt19937 rng(29);
  const paper g(random_parameters<paper>(rng));
  const auto step = g.step_devices(random_inputs<paper>(rng), Presence(0b101101));
  const std::vector<std::uint8_t> wire = step.message.serialize();
  using M = paper::message_type<0>;
  const M back = M::parse(wire);
  for (std::size_t d : {0, 2, 3, 5}) {
    CHECK(std::equal(back.features[d].words().begin(), back.features[d].words().end(),
                     step.message.features[d].words().begin()));
    for (std::size_t c = 0; c < 3; ++c) CHECK(back.logits[d][c] == step.message.logits[d][c]);
  }
  auto bad = [&](auto mutate) {
    std::vector<std::uint8_t> w = wire;
    mutate(w);
    CHECK_THROWS_AS((void)M::parse(w), ddnn::error);
  };
  bad([](auto& w) { w.pop_back(); });    // truncated
  bad([](auto& w) { w.push_back(0); });  // trailing bytes
  bad([](auto& w) { w.resize(10); });    // no complete header
  bad([](auto& w) { w[0] = 'X'; });      // magic
  bad([](auto& w) { w[4] = 2; });        // version
  bad([](auto& w) { w[5] = 1; });        // another tier's message
  bad([](auto& w) { w[8] = 99; });       // feature size
  bad([](auto& w) { w[16] |= 0x40; });   // presence beyond 6 devices
  bad([](auto& w) { w[16] ^= 0x02; });   // presence no longer matches the length
  bad([](auto& w) { w[24 + 3] = 0x7f, w[24 + 2] = 0xc0; });  // first logit is NaN
  bad([](auto& w) { w[24 + 12 + 17] |= 0x80; });             // bit beyond the 140 feature values
  bad([](auto& w) { w[14] = 1; });                           // says int8 logits
  bad([](auto& w) { w[15] = 1; });                           // the spare header byte
  CHECK_THROWS_AS((void)two_edges::message_type<1>::parse(wire), ddnn::error);
  CHECK_THROWS_AS((void)M::parse(wire, LogitsEncoding::int8), ddnn::error);  // the other link
}

TEST_CASE("an int8 logits link: every node rounds, the wire carries 1 + |C| bytes, exactly") {
  std::mt19937 rng(37);
  auto p = random_parameters<three_tier>(rng, 0.3);
  const three_tier as_float(p);
  p.tier<0>().logits_link = LogitsEncoding::int8;
  p.tier<1>().logits_link = LogitsEncoding::int8;
  const three_tier g(p);
  CHECK(g.logits_link<0>() == LogitsEncoding::int8);
  CHECK(as_float.logits_link<0>() == LogitsEncoding::float32);
  std::size_t differ = 0, exits_differ = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const auto inputs = random_inputs<three_tier>(rng);
    const Presence present = random_presence(rng, 6);
    const auto whole = g.infer(inputs, present);
    const auto devices = g.step_devices(inputs, present);
    if (!devices.answered) continue;
    const auto reference = as_float.step_devices(inputs, present);
    for (std::size_t d = 0; d < 6; ++d) {
      if (!present[d]) continue;
      // the node's logits are its float logits rounded onto the int8 grid, and only that
      auto rounded = reference.message.logits[d];
      round_to_int8_link(rounded.values());
      for (std::size_t c = 0; c < 3; ++c) {
        CHECK(devices.message.logits[d][c] == rounded[c]);
        differ += devices.message.logits[d][c] != reference.message.logits[d][c];
      }
    }
    exits_differ += devices.decision.exits != reference.decision.exits;
    const auto wire0 = devices.message.serialize(LogitsEncoding::int8);
    CHECK(wire0.size() == 24 + present.count(6) * ((1 + 3) + 18));
    CHECK(wire0[14] == 1);
    CHECK_THROWS_AS((void)three_tier::message_type<0>::parse(wire0), ddnn::error);
    const auto up0 = three_tier::message_type<0>::parse(wire0, LogitsEncoding::int8);
    CHECK(up0.serialize(LogitsEncoding::int8) == wire0);
    for (std::size_t d = 0; d < 6; ++d)
      if (present[d])
        for (std::size_t c = 0; c < 3; ++c) CHECK(up0.logits[d][c] == devices.message.logits[d][c]);
    // accounting counts the int8 link's bytes
    for (std::size_t d = 0; d < 6; ++d) CHECK(whole.devices[d].logits == (present[d] ? 4u : 0u));
    if (devices.decision.exits) continue;
    const auto edge = g.step<1>(up0);
    if (edge.decision.exits) continue;
    const auto up1 = three_tier::message_type<1>::parse(
        edge.message.serialize(LogitsEncoding::int8), LogitsEncoding::int8);
    const auto cloud = g.step<2>(up1);
    CHECK(whole.exit_tier == 2);
    for (std::size_t c = 0; c < 3; ++c) CHECK(whole.logits[c] == cloud.decision.logits[c]);
  }
  CHECK(differ > 0);  // rounding did happen
  (void)exits_differ;
  // logits off the grid are refused by the writer
  auto off_grid = as_float.step_devices(random_inputs<three_tier>(rng), Presence(0b1));
  off_grid.message.logits[0][0] = 1.0f, off_grid.message.logits[0][1] = 100.0f / 3.0f;
  CHECK_THROWS_AS((void)off_grid.message.serialize(LogitsEncoding::int8), ddnn::error);
}

TEST_CASE("device bytes over a test set follow c = 4|C| + (1 - l) f o / 8") {
  std::mt19937 rng(31);
  const paper g(random_parameters<paper>(rng, 0.9));
  std::size_t local = 0, n = 200, bytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = g.infer(random_inputs<paper>(rng), Presence::all(6));
    local += r.exit_tier == 0;
    bytes += r.devices[3].sent();
    CHECK(r.devices[3].raw_offload == 140);
  }
  const double l = double(local) / double(n);
  using Links = DeviceLinks<3, Shape<5, 7, 4>, Tile>;
  CHECK(double(bytes) / double(n) == doctest::Approx(Links::expected_bytes(l)));
}

TEST_CASE("invalid parameters name the tier and node") {
  std::mt19937 rng(37);
  auto params = random_parameters<two_edges>(rng);
  std::get<0>(params.tier<1>().nodes[1].layers).weights.pop_back();
  try {
    const two_edges g(params);
    FAIL("expected ddnn::error");
  } catch (const ddnn::error& e) {
    CHECK(std::string(e.what()).find("tier 1 (edge node 1)") != std::string::npos);
  }
  params = random_parameters<two_edges>(rng, 1.5);
  CHECK_THROWS_AS(two_edges{params}, ddnn::error);
}
