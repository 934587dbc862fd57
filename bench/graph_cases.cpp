// Whole-sample inference through the typed DDNN graph (issue 3), at the paper's MVMC scale: six
// 32x32x3 cameras, a FirstConv device layer with a local exit, two binary convs and a dense head
// above. Per topology, ISA and exit mode four families of cases run the same random samples:
//
//   ddnn_sample/<topology>/<isa>/<mode>    DDNN::infer, one sample per iteration
//   ddnn_batch/<topology>/<isa>/<mode>     DDNN::infer_batch on graph_batch samples per iteration
//   ddnn_layers/<topology>/<isa>/<mode>    the same layers without the graph: layer objects built
//                                          from the same parameters, forward() into preallocated
//                                          outputs, nothing else (see below)
//   ddnn_overhead/<topology>/<isa>/<mode>  the three above timed alternately within each
//                                          iteration: the graph's overhead, paired, so that a
//                                          noisy machine cannot fake or hide it
//
// Modes: all_local (every exit threshold 1.0; setup checks that every sample exits at the devices)
// and none_local (every threshold 0.0: every sample goes up to the cloud).
//
// What the layers-only cases leave out, and so charge to the graph's overhead: combining the
// devices' logits (Max), the exit decision (softmax entropy), the Concat of feature maps (the
// layers-only case reads the concatenated input of each sample, computed once in setup), messages
// and tensors returned by value, byte accounting and building the result. Setup checks that the
// layers-only path reproduces the graph's answer bit for bit on every sample.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <time.h>

#include "cases.hpp"
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"
#include "graph_fixtures.hpp"

namespace bench {
namespace {

// ---- the topologies (the paper's MVMC device and cloud models) --------------------
using Camera = ddnn::Sensor<ddnn::Shape<32, 32, 3>>;
using Head3 = ddnn::BinaryDense<3, ddnn::Output::logits>;
using MvmcNetwork =
    ddnn::Layers<ddnn::FirstConv<4, 3, 1, 1, ddnn::MaxPool<3, 2, 1>>,    // device: -> 16x16x4
                 ddnn::BinaryConv<16, 3, 1, 1, ddnn::MaxPool<3, 1, 1>>,  // -> 16x16x16
                 ddnn::BinaryConv<16, 3, 1, 1, ddnn::MaxPool<3, 1, 1>>,  // -> 16x16x16
                 Head3>;                                                 // -> 3 logits

/// (b) six devices -> local Max exit -> Concat -> cloud
struct paper_b final : ddnn::DDNN<Camera, MvmcNetwork, ddnn::DeviceTier<6, 1, ddnn::Exit<Head3>>,
                                  ddnn::CloudTier<ddnn::Concat>> {
  using DDNN::DDNN;
};
/// (c) six devices -> local Max exit -> Concat -> edge (one conv, its own exit) -> cloud
struct paper_c final : ddnn::DDNN<Camera, MvmcNetwork, ddnn::DeviceTier<6, 1, ddnn::Exit<Head3>>,
                                  ddnn::EdgeTier<1, ddnn::Concat, 2, ddnn::Exit<Head3>>,
                                  ddnn::CloudTier<ddnn::Max>> {
  using DDNN::DDNN;
};

// The tiers the cuts give, and the layer objects the layers-only cases build.
static_assert(
    std::is_same_v<paper_b::tier<0>::output_type, ddnn::BitTensor<ddnn::Shape<16, 16, 4>>>);
static_assert(
    std::is_same_v<paper_b::tier<1>::input_type, ddnn::BitTensor<ddnn::Shape<16, 16, 24>>>);
static_assert(
    std::is_same_v<paper_c::tier<2>::input_type, ddnn::BitTensor<ddnn::Shape<16, 16, 16>>>);
static_assert(std::is_same_v<paper_b::tier<0>::section::layer_types,
                             std::tuple<ddnn::FirstConv<4, 3, 1, 1, ddnn::MaxPool<3, 2, 1>>::bind<
                                 ddnn::Shape<32, 32, 3>>>>);
static_assert(
    std::is_same_v<paper_b::tier<0>::exit::head_layer, Head3::bind<ddnn::Shape<16, 16, 4>>>);

template <class Graph>
constexpr const char* topology_name = "";
template <>
constexpr const char* topology_name<paper_b> = graph_topologies[0];
template <>
constexpr const char* topology_name<paper_c> = graph_topologies[1];

constexpr std::uint32_t seed(const paper_b*) { return 31; }
constexpr std::uint32_t seed(const paper_c*) { return 37; }

// ---- the layers without the graph ---------------------------------------------------------------

/// What each layer of a tuple produces, starting from `Input`.
template <class Input, class LayerTuple>
struct chain_outputs;
template <class Input>
struct chain_outputs<Input, std::tuple<>> {
  using type = std::tuple<>;
};
template <class Input, class L0, class... L>
struct chain_outputs<Input, std::tuple<L0, L...>> {
  using out = std::remove_cvref_t<std::invoke_result_t<const L0&, const Input&>>;
  using type =
      decltype(std::tuple_cat(std::declval<std::tuple<out>>(),
                              std::declval<typename chain_outputs<out, std::tuple<L...>>::type>()));
};

/// One node's section as separate layer objects (the very types the graph's Section holds), built
/// from the same parameters, each writing into its own preallocated output.
template <class Tier>
class LayerChain {
  using layer_types = typename Tier::section::layer_types;
  using output_types = typename chain_outputs<typename Tier::input_type, layer_types>::type;
  static constexpr std::size_t size = std::tuple_size_v<layer_types>;

 public:
  LayerChain(const typename Tier::section::parameters_type& parameters, ddnn::isa_id isa)
      : layers_(make(parameters, isa, std::make_index_sequence<size>{})) {}

  template <std::size_t I = 0, class Input>
  const auto& run(const Input& input) {
    std::get<I>(layers_).forward(input, std::get<I>(outputs_));
    if constexpr (I + 1 == size)
      return std::get<I>(outputs_);
    else
      return run<I + 1>(std::get<I>(outputs_));
  }
  [[nodiscard]] const auto& output() const noexcept { return std::get<size - 1>(outputs_); }

 private:
  template <std::size_t... I>
  static layer_types make(const typename Tier::section::parameters_type& p, ddnn::isa_id isa,
                          std::index_sequence<I...>) {
    return layer_types(std::tuple_element_t<I, layer_types>(std::get<I>(p), isa)...);
  }

  layer_types layers_;
  output_types outputs_{};
};

/// A tier with an exit: each node's layers and exit head, and the head's logits.
template <class Tier>
class TierLayers {
  using Head = typename Tier::exit::head_layer;

 public:
  using logits_type = typename Head::output_type;

  TierLayers(const ddnn::TierParameters<Tier>& p, ddnn::isa_id isa) {
    for (const auto& node : p.nodes) {
      chains_.emplace_back(node.layers, isa);
      heads_.emplace_back(node.exit_head, isa);
    }
    logits_.resize(Tier::nodes);
  }

  /// Node n's layers and head on `input`; returns the node's feature map.
  template <class Input>
  const auto& run(std::size_t n, const Input& input) {
    const auto& features = chains_[n].run(input);
    heads_[n].forward(features, logits_[n]);
    return features;
  }
  /// The logits the graph's exit decides on (computed only to check, never timed).
  [[nodiscard]] logits_type combined_logits() const {
    logits_type out;
    (void)Tier::exit::combine::combine(
        std::span<const logits_type, Tier::nodes>(logits_.data(), Tier::nodes),
        ddnn::Presence::all(Tier::nodes), out);
    return out;
  }

 private:
  std::vector<LayerChain<Tier>> chains_;
  std::vector<Head> heads_;
  std::vector<logits_type> logits_;
};

/// The layers of (b) or (c) for one sample, the graph taken away. The first tier above the
/// devices reads each sample's Concat of the device feature maps, computed once in setup; in (c)
/// the cloud reads the edge's output directly (Max over one edge is that output).
template <class Graph>
class GraphLayers {
  using Devices = typename Graph::template tier<0>;
  using Above = typename Graph::template tier<1>;  // the cloud in (b), the edge in (c)
  static constexpr bool has_edge = Graph::tier_count == 3;
  static_assert(Graph::tier_count == 2 || Graph::tier_count == 3);
  static_assert(!has_edge || Above::nodes == 1, "(c) has one edge node");

 public:
  GraphLayers(const typename Graph::parameters_type& p, ddnn::isa_id isa,
              std::span<const typename Graph::inputs_type> samples)
      : devices_(p.template tier<0>(), isa),
        above_(make_above(p, isa)),
        cloud_(make_cloud(p, isa)) {
    // The concatenated device feature maps of every sample: what tier 1 reads.
    std::array<typename Devices::output_type, Devices::nodes> features;
    for (const auto& sample : samples) {
      for (std::size_t d = 0; d < Devices::nodes; ++d) features[d] = devices_.run(d, sample[d]);
      typename Above::input_type aggregate;
      (void)Above::spec::features::combine(features, ddnn::Presence::all(Devices::nodes),
                                           aggregate);
      above_inputs_.push_back(std::move(aggregate));
    }
  }

  /// Every device's layers and exit head for one sample.
  void run_devices(const typename Graph::inputs_type& sample) {
    for (std::size_t d = 0; d < Devices::nodes; ++d) (void)devices_.run(d, sample[d]);
  }
  /// The devices, then every layer above them (and the edge's exit head) for sample `s`.
  void run_all(const typename Graph::inputs_type& sample, std::size_t s) {
    run_devices(sample);
    if constexpr (has_edge)
      (void)cloud_.run(std::get<0>(above_).run(0, above_inputs_[s]));
    else
      (void)above_.run(above_inputs_[s]);
  }
  [[nodiscard]] auto local_logits() const { return devices_.combined_logits(); }
  [[nodiscard]] const auto& cloud_logits() const {
    if constexpr (has_edge)
      return cloud_.output();
    else
      return above_.output();
  }

 private:
  using Cloud = typename Graph::cloud_tier;
  using AboveLayers =
      std::conditional_t<has_edge, std::tuple<TierLayers<Above>>, LayerChain<Above>>;
  using CloudLayers = std::conditional_t<has_edge, LayerChain<Cloud>, std::tuple<>>;

  static AboveLayers make_above(const typename Graph::parameters_type& p, ddnn::isa_id isa) {
    if constexpr (has_edge)
      return AboveLayers(TierLayers<Above>(p.template tier<1>(), isa));
    else
      return AboveLayers(p.template tier<1>().nodes[0].layers, isa);
  }
  static CloudLayers make_cloud(const typename Graph::parameters_type& p, ddnn::isa_id isa) {
    if constexpr (has_edge)
      return CloudLayers(p.template tier<2>().nodes[0].layers, isa);
    else
      return {};
  }

  TierLayers<Devices> devices_;
  AboveLayers above_;
  CloudLayers cloud_;
  std::vector<typename Above::input_type> above_inputs_;
};

// ---- workloads ----------------------------------------------------------------------------------

enum class exits { all_local, none_local };

const char* mode_name(exits mode) { return exit_modes[mode == exits::all_local ? 0 : 1]; }

/// One topology's graph on one ISA with every exit threshold set for `mode` (1.0 or 0.0), and
/// graph_batch random samples that behave as the mode says (checked: throws a message otherwise).
/// Parameters and samples depend on the topology only, so both modes and every ISA run the same.
template <class Graph>
class Workload {
 public:
  Workload(ddnn::isa_id isa, exits mode) : Workload(draw(mode), isa, mode) {}

  [[nodiscard]] const Graph& graph() const noexcept { return graph_; }
  [[nodiscard]] std::span<const typename Graph::inputs_type> samples() const noexcept {
    return samples_;
  }
  [[nodiscard]] std::span<const ddnn::Presence> present() const noexcept { return present_; }

  /// The same layers without the graph, built on first use and checked to give the graph's
  /// answer on every sample (so that both time the same work); throws a message otherwise.
  GraphLayers<Graph>& layers() {
    if (layers_) return *layers_;
    auto l = std::make_unique<GraphLayers<Graph>>(parameters_, isa_, samples());
    const auto expected = answers();
    for (std::size_t i = 0; i < samples_.size(); ++i) {
      bool same = true;
      if (mode_ == exits::all_local) {
        l->run_devices(samples_[i]);
        const auto local = l->local_logits();
        for (std::size_t c = 0; c < Graph::classes; ++c) same &= local[c] == expected[i].logits[c];
      } else {
        l->run_all(samples_[i], i);
        const auto& cloud = l->cloud_logits();
        for (std::size_t c = 0; c < Graph::classes; ++c) same &= cloud[c] == expected[i].logits[c];
      }
      if (!same)
        ddnn::detail::fail("the layers without the graph disagree with it on sample " +
                           std::to_string(i));
    }
    layers_ = std::move(l);
    return *layers_;
  }

 private:
  struct drawn {
    typename Graph::parameters_type parameters;
    std::vector<typename Graph::inputs_type> samples;
  };
  static drawn draw(exits mode) {
    std::mt19937 rng(seed(static_cast<const Graph*>(nullptr)));
    drawn d{fixtures::random_parameters<Graph>(rng, mode == exits::all_local ? 1.0 : 0.0), {}};
    for (std::size_t i = 0; i < graph_batch; ++i)
      d.samples.push_back(fixtures::random_inputs<Graph>(rng));
    return d;
  }

  Workload(drawn d, ddnn::isa_id isa, exits mode)
      : parameters_(std::move(d.parameters)),
        samples_(std::move(d.samples)),
        present_(samples_.size(), ddnn::Presence::all(Graph::devices)),
        graph_(parameters_, isa),
        isa_(isa),
        mode_(mode) {
    const std::size_t want = mode == exits::all_local ? 0 : Graph::tier_count - 1;
    const auto r = answers();
    for (std::size_t i = 0; i < r.size(); ++i)
      if (!r[i].answered || r[i].exit_tier != want)
        ddnn::detail::fail("sample " + std::to_string(i) + " exits at tier " +
                           std::to_string(r[i].exit_tier) + ", not at tier " +
                           std::to_string(want) + " as " + mode_name(mode) + " requires");
  }

  [[nodiscard]] std::vector<typename Graph::result_type> answers() const {
    std::vector<typename Graph::result_type> r;
    for (std::size_t i = 0; i < samples_.size(); ++i)
      r.push_back(graph_.infer(samples_[i], present_[i]));
    return r;
  }

  typename Graph::parameters_type parameters_;
  std::vector<typename Graph::inputs_type> samples_;
  std::vector<ddnn::Presence> present_;
  Graph graph_;
  ddnn::isa_id isa_;
  exits mode_;
  std::unique_ptr<GraphLayers<Graph>> layers_;
};

/// The workload of a topology, ISA and mode, built once and shared by its three cases and their
/// repetitions, so that they all run the very same samples (and setup is paid once).
template <class Graph>
Workload<Graph>& workload(ddnn::isa_id isa, exits mode) {
  static std::map<std::pair<ddnn::isa_id, exits>, std::unique_ptr<Workload<Graph>>> cache;
  std::unique_ptr<Workload<Graph>>& w = cache[{isa, mode}];
  if (!w) w = std::make_unique<Workload<Graph>>(isa, mode);
  return *w;
}

void set_sample_counters(benchmark::State& state, double samples) {
  state.counters[samples_per_second] =
      benchmark::Counter(samples, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["per_sample"] = benchmark::Counter(
      samples, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// DDNN::infer, one sample per iteration, cycling through the workload's samples.
template <class Graph>
void bm_sample(benchmark::State& state, ddnn::isa_id isa, exits mode) {
  try {
    const Workload<Graph>& w = workload<Graph>(isa, mode);
    const auto samples = w.samples();
    const auto present = w.present();
    std::size_t i = 0;
    for (auto _ : state) {
      const auto r = w.graph().infer(samples[i], present[i]);
      benchmark::DoNotOptimize(r.predicted);
      i = i + 1 == samples.size() ? 0 : i + 1;
    }
    set_sample_counters(state, 1.0);
  } catch (const ddnn::error& e) {
    state.SkipWithError(e.what());
  }
}

/// DDNN::infer_batch on all of the workload's samples per iteration.
template <class Graph>
void bm_batch(benchmark::State& state, ddnn::isa_id isa, exits mode) {
  try {
    const Workload<Graph>& w = workload<Graph>(isa, mode);
    for (auto _ : state) {
      const auto r = w.graph().infer_batch(w.samples(), w.present());
      benchmark::DoNotOptimize(r.data());
    }
    set_sample_counters(state, double(w.samples().size()));
  } catch (const ddnn::error& e) {
    state.SkipWithError(e.what());
  }
}

/// The same layers as bm_sample without the graph, one sample per iteration, same sample order.
template <class Graph>
void bm_layers(benchmark::State& state, ddnn::isa_id isa, exits mode) {
  try {
    Workload<Graph>& w = workload<Graph>(isa, mode);
    GraphLayers<Graph>& layers = w.layers();
    const auto samples = w.samples();
    std::size_t i = 0;
    for (auto _ : state) {
      if (mode == exits::all_local)
        layers.run_devices(samples[i]);
      else
        layers.run_all(samples[i], i);
      benchmark::ClobberMemory();
      i = i + 1 == samples.size() ? 0 : i + 1;
    }
    set_sample_counters(state, 1.0);
  } catch (const ddnn::error& e) {
    state.SkipWithError(e.what());
  }
}

double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// The overhead, measured paired: each iteration times (thread CPU time) three blocks over all of
/// the workload's samples — infer per sample, infer_batch, the layers alone per sample — in an
/// order that rotates every iteration, and takes the ratios within the iteration. Drift and
/// other processes on a shared machine then hit graph and layers alike; the counters are the
/// medians of the per-iteration values.
template <class Graph>
void bm_overhead(benchmark::State& state, ddnn::isa_id isa, exits mode) {
  try {
    Workload<Graph>& w = workload<Graph>(isa, mode);
    GraphLayers<Graph>& layers = w.layers();
    const auto samples = w.samples();
    const auto present = w.present();
    const auto n = double(samples.size());
    std::vector<double> infer_s, batch_s, layers_s, infer_ratio, batch_ratio;
    std::size_t rotation = 0;
    for (auto _ : state) {
      double t[3] = {};
      for (std::size_t k = 0; k < 3; ++k) {
        const std::size_t block = (rotation + k) % 3;
        const double start = thread_seconds();
        if (block == 0) {
          for (std::size_t i = 0; i < samples.size(); ++i) {
            const auto r = w.graph().infer(samples[i], present[i]);
            benchmark::DoNotOptimize(r.predicted);
          }
        } else if (block == 1) {
          const auto r = w.graph().infer_batch(samples, present);
          benchmark::DoNotOptimize(r.data());
        } else {
          for (std::size_t i = 0; i < samples.size(); ++i) {
            if (mode == exits::all_local)
              layers.run_devices(samples[i]);
            else
              layers.run_all(samples[i], i);
            benchmark::ClobberMemory();
          }
        }
        t[block] = thread_seconds() - start;
      }
      rotation = (rotation + 1) % 3;
      infer_s.push_back(t[0] / n);
      batch_s.push_back(t[1] / n);
      layers_s.push_back(t[2] / n);
      infer_ratio.push_back(t[0] / t[2] - 1.0);
      batch_ratio.push_back(t[1] / t[2] - 1.0);
    }
    state.counters[infer_seconds] = median(infer_s);
    state.counters[batch_seconds] = median(batch_s);
    state.counters[layers_seconds] = median(layers_s);
    state.counters[infer_overhead] = median(infer_ratio);
    state.counters[batch_overhead] = median(batch_ratio);
  } catch (const ddnn::error& e) {
    state.SkipWithError(e.what());
  }
}

template <class Graph>
void register_topology(bool quick) {
  for (ddnn::isa_id isa : ddnn::available_isas()) {
    const std::string isa_name(ddnn::name(isa));
    for (exits mode : {exits::all_local, exits::none_local}) {
      const char* m = mode_name(mode);
      auto add = [&](const char* family, void (*fn)(benchmark::State&, ddnn::isa_id, exits),
                     long quick_iterations) {
        auto* b = benchmark::RegisterBenchmark(
            graph_case(family, topology_name<Graph>, isa_name, m).c_str(), fn, isa, mode);
        common_settings(b);
        // A smoke run: a few iterations, no estimation runs (setup checks every sample anyway).
        if (quick) b->Iterations(quick_iterations);
      };
      add(sample_family, bm_sample<Graph>, 64);
      add(batch_family, bm_batch<Graph>, 1);
      add(layers_family, bm_layers<Graph>, 64);
      add(overhead_family, bm_overhead<Graph>, 1);
    }
  }
}

}  // namespace

void register_graph_cases(bool quick) {
  register_topology<paper_b>(quick);
  register_topology<paper_c>(quick);
}

}  // namespace bench
