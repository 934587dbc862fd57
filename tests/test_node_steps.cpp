// The per-node steps a distributed runtime runs in separate processes compose to exactly what the
// tier-level API computes: each device alone (step_device), the exit's decision from the logits
// that arrived (decide), the message from the feature maps that arrived (assemble), an upper
// node alone (step_node) — for every topology of the fixtures and every aggregation kind, and
// when fewer feature maps arrive than logits did.
#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "ddnn/layers/dense.hpp"
#include "graph_fixtures.hpp"

using namespace ddnn;
using namespace fixtures;

namespace {

template <class Decision>
void check_same_decision(const Decision& a, const Decision& b) {
  CHECK(a.predicted == b.predicted);
  CHECK(a.exits == b.exits);
  CHECK(std::bit_cast<std::uint64_t>(a.measure) == std::bit_cast<std::uint64_t>(b.measure));
  for (std::size_t c = 0; c < a.logits.values().size(); ++c)
    CHECK(std::bit_cast<std::uint32_t>(a.logits[c]) == std::bit_cast<std::uint32_t>(b.logits[c]));
}

Presence subset(std::mt19937& rng, Presence p, std::size_t n) {
  return (rng() % 3 == 0) ? p : Presence(p.bits() & rng() & Presence::all(n).bits());
}

// Tier T >= 1 node by node against step<T>, then on up; the next message is built from the
// nodes that ran (as an edge aggregator would assemble it).
template <class G, std::size_t T>
void check_upper(const G& g, const typename G::template message_type<T - 1>& below) {
  using Tier = typename G::template tier<T>;
  const auto whole = g.template step<T>(below);
  std::array<typename G::template node_step_type<T>, Tier::nodes> nodes;
  Presence ran;
  for (std::size_t n = 0; n < Tier::nodes; ++n) {
    auto s = g.template step_node<T>(n, below);
    CHECK(s.has_value() == whole.message.present[n]);
    if (!s) continue;
    ran.set(n);
    nodes[n] = std::move(*s);
  }
  CHECK(ran == whole.message.present);
  if (ran.none(Tier::nodes)) return;
  const auto message = G::template assemble<T>(nodes, ran);
  CHECK(message.serialize() == whole.message.serialize());
  if constexpr (Tier::has_exit) {
    check_same_decision(g.template decide<T>(message.logits, ran), whole.decision);
    if (whole.decision.exits) return;
  }
  if constexpr (T + 1 < G::tier_count) check_upper<G, T + 1>(g, message);
}

template <class G>
void check_graph(std::uint32_t seed) {
  std::mt19937 rng(seed);
  const G g(random_parameters<G>(rng, 0.3 + 0.4 * double(rng() % 2)));
  for (int trial = 0; trial < 25; ++trial) {
    const auto inputs = random_inputs<G>(rng);
    const Presence logits_arrived(rng() & Presence::all(G::devices).bits());
    // The devices alone, each on its own input.
    std::array<typename G::template node_step_type<0>, G::devices> devices;
    for (std::size_t d = 0; d < G::devices; ++d)
      if (logits_arrived[d]) devices[d] = g.step_device(d, inputs[d]);
    const auto tier0 = g.step_devices(inputs, logits_arrived);
    if (logits_arrived.none(G::devices)) {
      CHECK_FALSE(tier0.answered);
      CHECK_THROWS_AS((void)G::template assemble<0>(devices, Presence(1u << G::devices)), error);
      continue;
    }
    const auto message = G::template assemble<0>(devices, logits_arrived);
    CHECK(message.serialize() == tier0.message.serialize());
    if constexpr (G::template tier<0>::has_exit) {
      check_same_decision(g.template decide<0>(message.logits, logits_arrived), tier0.decision);
      // A tier's decision and the answer of infer() agree when it exits.
      const auto answer = g.infer(inputs, logits_arrived);
      if (tier0.decision.exits) {
        CHECK(answer.exit_tier == 0);
        CHECK(answer.predicted == tier0.decision.predicted);
        continue;
      }
    }
    // Fewer feature maps than logits may arrive: the message up holds those that did, and
    // equals the tier-level message for that presence.
    const Presence features_arrived = subset(rng, logits_arrived, G::devices);
    if (features_arrived.none(G::devices)) continue;
    const auto up = G::template assemble<0>(devices, features_arrived);
    CHECK(up.serialize() == g.step_devices(inputs, features_arrived).message.serialize());
    check_upper<G, 1>(g, up);
  }
}

}  // namespace

TEST_CASE("node steps compose to the tier steps: (a) one device -> cloud") {
  check_graph<one_device>(1);
}
TEST_CASE("node steps compose to the tier steps: (b) six devices, Max exit, Concat cloud") {
  check_graph<paper>(2);
}
TEST_CASE("node steps compose to the tier steps: (c) devices -> edge with an exit -> cloud") {
  check_graph<three_tier>(3);
}
TEST_CASE("node steps compose to the tier steps: (d) two edges with Avg exits -> Concat cloud") {
  check_graph<two_edges>(4);
}
TEST_CASE("node steps compose to the tier steps: a Concat exit with a float dense head") {
  check_graph<concat_exit>(5);
}

TEST_CASE("node steps reject a node that does not exist and a decision with no logits") {
  std::mt19937 rng(6);
  const paper g(random_parameters<paper>(rng));
  const auto inputs = random_inputs<paper>(rng);
  CHECK_THROWS_WITH_AS((void)g.step_device(6, inputs[0]),
                       "ddnn: tier 0 has 6 nodes, there is no node 6", error);
  std::array<paper::node_logits_type<0>, 6> logits{};
  CHECK_THROWS_WITH_AS((void)g.decide<0>(logits, Presence()),
                       "ddnn: decide: no node's logits arrived", error);
  const three_tier t(random_parameters<three_tier>(rng));
  const auto m = t.step_devices(random_inputs<three_tier>(rng), Presence::all(6)).message;
  CHECK_THROWS_AS((void)t.step_node<1>(1, m), error);
}
