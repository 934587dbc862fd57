// DDNN: the typed graph. One network (a Layers<...> list) is cut into tiers by template
// arguments — devices run [0, cut0), each edge tier the next range, the cloud the rest — and
// every shape, message type, exit head and byte count follows from those cuts at compile time.
// Inference is staged: tier by tier, a sample stops at the first exit that is confident enough.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ddnn/aggregate/aggregator.hpp"
#include "ddnn/aggregate/presence.hpp"
#include "ddnn/exits/confidence.hpp"
#include "ddnn/exits/exit_branch.hpp"
#include "ddnn/graph/built_tier.hpp"
#include "ddnn/graph/communication.hpp"
#include "ddnn/graph/graph_parameters.hpp"
#include "ddnn/graph/inference.hpp"
#include "ddnn/graph/message.hpp"
#include "ddnn/graph/section.hpp"
#include "ddnn/graph/tier_traits.hpp"
#include "ddnn/graph/topology.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

/// The typed graph. `SensorSpec` is what each device reads, `Network` the whole layer list (its
/// last layer produces the logits), then a DeviceTier, any EdgeTiers and a CloudTier.
template <class SensorSpec, class Network, class DeviceSpec, class... UpperSpecs>
class DDNN {
  static_assert(sizeof...(UpperSpecs) >= 1, "a DDNN needs a CloudTier above its devices");

 public:
  using tiers = typename detail::resolve_tiers<
      1, Network, std::tuple<detail::device_tier_traits<Network, SensorSpec, DeviceSpec>>,
      UpperSpecs...>::type;
  static constexpr std::size_t tier_count = std::tuple_size_v<tiers>;
  template <std::size_t T>
  using tier = std::tuple_element_t<T, tiers>;
  using cloud_tier = tier<tier_count - 1>;
  static_assert(cloud_tier::is_cloud, "a DDNN's last tier must be a CloudTier");
  static_assert(
      []<std::size_t... I>(std::index_sequence<I...>) {
        return ((I == 0 || I + 1 == tier_count || tier<I>::kind == TierKind::edge) && ...);
      }(std::make_index_sequence<tier_count>{}),
      "a DDNN's tiers are a DeviceTier, then EdgeTiers, then one CloudTier");

  using network = Network;
  using sensor = SensorSpec;
  using output_type = typename cloud_tier::output_type;
  static_assert(std::is_same_v<output_type, Tensor<float, Vector<output_type::shape::size>>>,
                "the network's last layer must produce logits (e.g. BinaryDense<C, "
                "Output::logits>)");
  static constexpr std::size_t classes = output_type::shape::size;
  static_assert(
      []<std::size_t... I>(std::index_sequence<I...>) {
        return ((!tier<I>::has_exit || tier<I>::exit::classes == classes) && ...);
      }(std::make_index_sequence<tier_count>{}),
      "every exit head must predict as many classes as the network's last layer");

  static constexpr std::size_t devices = tier<0>::nodes;
  static constexpr std::size_t edge_nodes =
      detail::edge_nodes<tiers>(std::make_index_sequence<tier_count>{});
  using input_type = typename tier<0>::input_type;      ///< one device's input
  using inputs_type = std::array<input_type, devices>;  ///< one sample: every device's input
  using parameters_type = GraphParameters<tiers>;
  using result_type = Inference<classes, devices, edge_nodes>;
  template <std::size_t T>
  using message_type = detail::tier_message_t<tier<T>>;
  template <std::size_t T>
  using step_type = TierStep<tier<T>, classes>;
  template <std::size_t T>
  using node_step_type = NodeStep<tier<T>>;
  /// One node's exit-head logits in tier T's message.
  template <std::size_t T>
  using node_logits_type = typename message_type<T>::logits_type;
  /// Raw-offload baseline: one device's input sent as is.
  static constexpr std::size_t raw_bytes =
      input_type::shape::size * sizeof(typename SensorSpec::value_type);

  /// Builds every layer (kernels chosen for `isa`, by default the best the CPU runs). Throws
  /// ddnn::error naming the tier, node and layer when a parameter is invalid.
  explicit DDNN(const parameters_type& parameters, isa_id isa = best_isa())
      : parameters_(parameters),
        runtime_(make_runtime(parameters, isa, std::make_index_sequence<tier_count>{})) {}

  [[nodiscard]] const parameters_type& parameters() const noexcept { return parameters_; }

  template <std::size_t T>
  [[nodiscard]] double threshold() const noexcept {
    return std::get<T>(runtime_).threshold;
  }
  /// How tier T's nodes send their logits to its exit (exits/logits_link.hpp). A node rounds
  /// its logits onto that link's grid as its exit head computes them, so every reader of them,
  /// here and across the wire, sees the same values.
  template <std::size_t T>
  [[nodiscard]] LogitsEncoding logits_link() const noexcept {
    return std::get<T>(runtime_).logits_link;
  }
  template <std::size_t T>
  void set_threshold(double threshold) {
    static_assert(tier<T>::has_exit, "set_threshold: this tier has no exit");
    validate_threshold(threshold, "tier " + std::to_string(T) + " exit");
    std::get<T>(runtime_).threshold = threshold;
    parameters_.template tier<T>().threshold = threshold;
  }

  // ---- one node at a time: what a runtime runs in each node's own process -----------------------

  /// Device `d` on its own input: its section and, when the device tier has one, its exit head.
  [[nodiscard]] node_step_type<0> step_device(std::size_t d, const input_type& input) const {
    require_node<0>(d);
    node_step_type<0> s;
    std::get<0>(runtime_).run(d, input, s.features, &s.logits);
    return s;
  }

  /// Node `n` of tier T >= 1 from the message of the tier below: its children's feature maps
  /// there (those present), aggregated, through its section and exit head. std::nullopt when
  /// none of its children is present.
  template <std::size_t T>
  [[nodiscard]] std::optional<node_step_type<T>> step_node(std::size_t n,
                                                           const message_type<T - 1>& below) const {
    static_assert(T >= 1 && T < tier_count, "step_node<T>: T names a tier above the devices");
    require_node<T>(n);
    below.present.check_within(tier<T - 1>::nodes);
    node_step_type<T> s;
    if (!run_node<T>(n, below, s.features, &s.logits)) return std::nullopt;
    return s;
  }

  /// Tier T's exit decision from the logits of the nodes in `arrived` (the others are not read):
  /// the exit's combine, then its criterion at the tier's threshold.
  template <std::size_t T>
  [[nodiscard]] ExitDecision<classes> decide(
      const std::array<node_logits_type<T>, tier<T>::nodes>& logits, Presence arrived) const {
    static_assert(tier<T>::has_exit, "decide<T>: this tier has no exit");
    arrived.check_within(tier<T>::nodes);
    if (arrived.none(tier<T>::nodes)) detail::fail("decide: no node's logits arrived");
    ExitDecision<classes> d;
    std::get<T>(runtime_).decide(logits, arrived, d);
    return d;
  }

  /// The message tier T sends up from the nodes in `arrived` (their feature maps and logits).
  template <std::size_t T>
  [[nodiscard]] static message_type<T> assemble(
      std::span<const node_step_type<T>, tier<T>::nodes> nodes, Presence arrived) {
    arrived.check_within(tier<T>::nodes);
    message_type<T> m;
    m.present = arrived;
    for (std::size_t n = 0; n < tier<T>::nodes; ++n) {
      if (!arrived[n]) continue;
      m.features[n] = nodes[n].features;
      if constexpr (message_type<T>::classes > 0) m.logits[n] = nodes[n].logits;
    }
    return m;
  }

  // ---- one tier at a time, built on the node steps ---------------------------------------------

  /// The device tier for one sample: every present device runs its section and exit head.
  [[nodiscard]] step_type<0> step_devices(const inputs_type& inputs, Presence present) const {
    present.check_within(devices);
    step_type<0> s;
    s.message.present = present;
    for (std::size_t d = 0; d < devices; ++d) {
      if (!present[d]) continue;
      std::get<0>(runtime_).run(d, inputs[d], s.message.features[d], logits_slot<0>(s.message, d));
    }
    finish_step<0>(s);
    return s;
  }

  /// Tier T >= 1 for one sample, from the message of the tier below.
  template <std::size_t T>
  [[nodiscard]] step_type<T> step(const message_type<T - 1>& below) const {
    static_assert(T >= 1 && T < tier_count, "step<T>: T names a tier above the devices");
    below.present.check_within(tier<T - 1>::nodes);
    step_type<T> s;
    for (std::size_t n = 0; n < tier<T>::nodes; ++n) {
      if (run_node<T>(n, below, s.message.features[n], logits_slot<T>(s.message, n)))
        s.message.present.set(n);
    }
    finish_step<T>(s);
    return s;
  }

  // ---- whole samples --------------------------------------------------------------------------

  /// Staged inference of one sample: the answer, the tier that gave it, its confidence and the
  /// bytes every link carried. With no device present the result says answered == false.
  [[nodiscard]] result_type infer(const inputs_type& inputs, Presence present) const {
    result_type r;
    step_type<0> s = step_devices(inputs, present);
    if (!s.answered) return r;
    if (account<0>(s, r)) return r;
    continue_from<1>(s.message, r);
    return r;
  }

  /// Tier T >= 1 for many samples at once, from each sample's message of the tier below: each
  /// node's section runs layer by layer over every sample that reaches it (a float Dense as one
  /// matrix product). Sample j's step equals step<T>(below[j]) bit for bit.
  template <std::size_t T>
  [[nodiscard]] std::vector<step_type<T>> step_batch(
      std::span<const message_type<T - 1>> below) const {
    static_assert(T >= 1 && T < tier_count, "step_batch<T>: T names a tier above the devices");
    using Tier = tier<T>;
    using Below = typename tier<T - 1>::output_type;
    if constexpr (!built_tier<T>::batches) {  // nothing to gain: each sample in turn
      std::vector<step_type<T>> steps;
      steps.reserve(below.size());
      for (const message_type<T - 1>& m : below) steps.push_back(step<T>(m));
      return steps;
    }
    for (const message_type<T - 1>& m : below) m.present.check_within(tier<T - 1>::nodes);
    std::vector<step_type<T>> steps(below.size());
    std::vector<std::size_t> samples;
    std::vector<typename Tier::input_type> inputs(below.size());
    for (std::size_t n = 0; n < Tier::nodes; ++n) {
      samples.clear();
      for (std::size_t j = 0; j < below.size(); ++j)
        if (built_tier<T>::aggregate_children(
                n, std::span<const Below, tier<T - 1>::nodes>(below[j].features), below[j].present,
                inputs[samples.size()]))
          samples.push_back(j);
      // Fresh outputs for every node: they are moved into the steps below.
      std::vector<typename Tier::output_type> features(samples.size());
      std::vector<node_logits_type<T>> logits(Tier::has_exit ? samples.size() : 0);
      std::get<T>(runtime_).run_batch(
          n, std::span<const typename Tier::input_type>(inputs).first(samples.size()),
          std::span(features), std::span(logits));
      for (std::size_t i = 0; i < samples.size(); ++i) {
        auto& m = steps[samples[i]].message;
        m.present.set(n);
        m.features[n] = std::move(features[i]);
        if constexpr (Tier::has_exit) m.logits[n] = std::move(logits[i]);
      }
    }
    for (step_type<T>& s : steps) finish_step<T>(s);
    return steps;
  }

  /// Staged inference of a batch, tier by tier: samples that exit leave the batch and only the
  /// rest go up, each upper tier as step_batch() over the samples that reach it. With `threads`
  /// > 1 the samples are split into that many contiguous shares run in parallel. Equal, sample
  /// by sample, to infer(), whatever the thread count. Throws ddnn::error for 0 threads or more
  /// than 64, or what infer() throws for a sample (the earliest share's error when several fail).
  [[nodiscard]] std::vector<result_type> infer_batch(std::span<const inputs_type> inputs,
                                                     std::span<const Presence> present,
                                                     std::size_t threads = 1) const {
    if (inputs.size() != present.size())
      detail::fail("infer_batch: " + std::to_string(inputs.size()) + " samples but " +
                   std::to_string(present.size()) + " presence masks");
    if (threads == 0 || threads > 64)
      detail::fail("infer_batch: threads must lie in [1, 64], got " + std::to_string(threads));
    std::vector<result_type> results(inputs.size());
    const std::size_t shares = std::min(threads, (inputs.size() + min_share - 1) / min_share);
    if (shares <= 1) {
      infer_share(inputs, present, results, 0, inputs.size());
      return results;
    }
    std::vector<std::exception_ptr> errors(shares);
    std::vector<std::thread> workers;
    workers.reserve(shares - 1);
    const auto share = [&](std::size_t t) {
      try {
        infer_share(inputs, present, results, inputs.size() * t / shares,
                    inputs.size() * (t + 1) / shares);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    };
    for (std::size_t t = 1; t < shares; ++t) workers.emplace_back(share, t);
    share(0);
    for (std::thread& w : workers) w.join();
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
    return results;
  }

  /// Samples that infer_batch() takes through the tiers together: where an upper tier batches,
  /// enough for its matrix products to reuse each weight many times; else few, so that the
  /// pending feature maps stay in cache.
  static constexpr std::size_t batch_chunk = []<std::size_t... T>(std::index_sequence<T...>) {
    return (false || ... || detail::BuiltTier<tier<T + 1>, classes>::batches);
  }
  (std::make_index_sequence<tier_count - 1>{}) ? 64 : 8;
  /// Fewest samples infer_batch() gives a thread of its own (fewer would not pay for the thread).
  static constexpr std::size_t min_share = 16;

 private:
  template <std::size_t T>
  using built_tier = detail::BuiltTier<tier<T>, classes>;

  template <std::size_t... T>
  static auto make_runtime(const parameters_type& p, isa_id isa, std::index_sequence<T...>) {
    return std::tuple<built_tier<T>...>(built_tier<T>(p.template tier<T>(), isa, T)...);
  }

  template <std::size_t T>
  static void require_node(std::size_t n) {
    if (n >= tier<T>::nodes)
      detail::fail("tier " + std::to_string(T) + " has " + std::to_string(tier<T>::nodes) +
                   " nodes, there is no node " + std::to_string(n));
  }

  // Where node n's exit-head logits go in tier T's message; none when the tier has no exit.
  template <std::size_t T>
  static node_logits_type<T>* logits_slot(message_type<T>& m, std::size_t n) noexcept {
    if constexpr (tier<T>::has_exit)
      return &m.logits[n];
    else
      return nullptr;
  }

  // Node n of tier T from the message below; false (nothing written) when none of its children
  // is present.
  template <std::size_t T>
  bool run_node(std::size_t n, const message_type<T - 1>& below,
                typename tier<T>::output_type& features, node_logits_type<T>* logits) const {
    using Below = typename tier<T - 1>::output_type;
    return std::get<T>(runtime_).run_children(
        n, std::span<const Below, tier<T - 1>::nodes>(below.features), below.present, features,
        logits);
  }

  // Fills the decision of a step from its nodes' logits (exit tiers) or output (cloud).
  template <std::size_t T>
  void finish_step(step_type<T>& s) const {
    using Tier = tier<T>;
    s.answered = !s.message.present.none(Tier::nodes);
    if (!s.answered) return;
    if constexpr (Tier::is_cloud) {
      using Criterion = typename Tier::spec::criterion;
      s.decision.logits = s.message.features[0];
      const ExitVerdict v = final_verdict<Criterion>(s.decision.logits.values());
      s.decision.predicted = v.predicted, s.decision.measure = v.measure, s.decision.exits = true;
    } else if constexpr (Tier::has_exit) {
      std::get<T>(runtime_).decide(s.message.logits, s.message.present, s.decision);
    }
  }

  // Adds tier T's link bytes to r; returns true (and fills the answer) when the sample exits.
  template <std::size_t T>
  bool account(const step_type<T>& s, result_type& r) const {
    using Tier = tier<T>;
    const bool exits = step_type<T>::has_decision && s.decision.exits;
    if constexpr (!Tier::is_cloud) {
      for (std::size_t n = 0; n < Tier::nodes; ++n) {
        if (!s.message.present[n]) continue;
        LinkBytes& l = link<T>(r, n);
        l.logits += Tier::has_exit ? message_type<T>::logits_bytes(logits_link<T>()) : 0;
        l.features += exits ? 0 : message_type<T>::feature_bytes;
        if constexpr (T == 0) l.raw_offload += raw_bytes;
      }
    }
    if (exits) {
      r.answered = true;
      r.exit_tier = T;
      r.predicted = s.decision.predicted;
      r.measure = s.decision.measure;
      r.logits = s.decision.logits;
    }
    return exits;
  }

  template <std::size_t T>
  static LinkBytes& link(result_type& r, std::size_t node) noexcept {
    if constexpr (T == 0) {
      return r.devices[node];
    } else {
      std::size_t offset = 0;
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((offset += tier<I>::kind == TierKind::edge ? tier<I>::nodes : 0), ...);
      }
      (std::make_index_sequence<T>{});
      return r.edges[offset + node];
    }
  }

  template <std::size_t T>
  void continue_from(const message_type<T - 1>& below, result_type& r) const {
    step_type<T> s = step<T>(below);
    if (account<T>(s, r)) return;
    if constexpr (T + 1 < tier_count) continue_from<T + 1>(s.message, r);
  }

  // infer_batch() on samples [first, last), chunk by chunk.
  void infer_share(std::span<const inputs_type> inputs, std::span<const Presence> present,
                   std::vector<result_type>& results, std::size_t first, std::size_t last) const {
    std::vector<std::size_t> pending;
    std::vector<message_type<0>> messages;
    pending.reserve(batch_chunk);
    messages.reserve(batch_chunk);
    for (std::size_t begin = first; begin < last; begin += batch_chunk) {
      pending.clear();
      messages.clear();
      const std::size_t end = std::min(last, begin + batch_chunk);
      for (std::size_t i = begin; i < end; ++i) {
        step_type<0> s = step_devices(inputs[i], present[i]);
        if (!s.answered || account<0>(s, results[i])) continue;
        pending.push_back(i);
        messages.push_back(std::move(s.message));
      }
      if (!pending.empty()) batch_from<1>(pending, messages, results);
    }
  }

  template <std::size_t T>
  void batch_from(const std::vector<std::size_t>& pending,
                  const std::vector<message_type<T - 1>>& below,
                  std::vector<result_type>& results) const {
    std::vector<step_type<T>> steps = step_batch<T>(below);
    std::vector<std::size_t> next;
    std::vector<message_type<T>> messages;
    next.reserve(pending.size());
    messages.reserve(pending.size());
    for (std::size_t j = 0; j < pending.size(); ++j) {
      if (account<T>(steps[j], results[pending[j]])) continue;
      next.push_back(pending[j]);
      messages.push_back(std::move(steps[j].message));
    }
    if constexpr (T + 1 < tier_count)
      if (!next.empty()) batch_from<T + 1>(next, messages, results);
  }

  template <std::size_t... T>
  static auto runtime_type(std::index_sequence<T...>) -> std::tuple<built_tier<T>...>;

  parameters_type parameters_;
  decltype(runtime_type(std::make_index_sequence<tier_count>{})) runtime_;
};

DDNN_END_NAMESPACE
