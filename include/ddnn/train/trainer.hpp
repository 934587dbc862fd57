// Trainer<Graph>: joint multi-exit training of a DDNN graph type, on one machine, and its export
// to the graph's packed parameters. The float simulation it trains (sections, exit heads,
// aggregators with presence masks and their fills) is the graph's own semantics; simulate()
// runs it in eval mode, where it agrees with packed inference bit for bit.
//
//   using Graph = DDNN<Sensor<TileShape>, Net, DeviceTier<6, 1, Exit<Head, Max>>,
//   CloudTier<Concat>>; train::Trainer<Graph> trainer({.seed = 1, .device_dropout = 0.1}); for
//   (...) trainer.step(batch_inputs, batch_labels, batch_presence); Graph
//   graph(trainer.parameters());   // or io::save_model(path, graph, ...)
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ddnn/exits/confidence.hpp"
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/train/adam.hpp"
#include "ddnn/train/loss.hpp"
#include "ddnn/train/parallel.hpp"
#include "ddnn/train/trainable_layers.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

/// How a Trainer trains. Defaults follow the DDNN paper: Adam at lr 1e-3, every exit at weight 1.
struct TrainOptions {
  std::uint64_t seed = 1;  ///< initial weights and device dropout
  AdamOptions adam{};
  /// Weight of each node's own exit head (e.g. every device's classifier) in the loss.
  double node_exit_weight = 1.0;
  /// Weight of each tier's (combined) exit, by tier index; the cloud's is the last. Empty: 1.
  std::vector<double> exit_weights{};
  /// Probability that a present device is made absent for a training sample (at least one
  /// present device is always kept). Absent devices are filled exactly as inference fills them.
  double device_dropout = 0.0;
  /// Probability that an input value of a float Dense layer (an upper tier's hidden layer or
  /// classifier) is dropped for a training sample: inverted dropout, kept values scaled by
  /// 1 / (1 - p), so inference is unchanged. Binary layers are never dropped.
  double dropout = 0.0;
  /// Distillation from the cloud: every lower exit (each node's own and each tier's combined)
  /// also learns weight * tau^2 * KL(softmax(cloud / tau) || softmax(exit / tau)), times that
  /// exit's own loss weight; the cloud's logits are the fixed teacher (no gradient reaches it).
  /// 0: off.
  double distillation_weight = 0.0;
  double distillation_temperature = 1.0;
  /// Threads for the forward and backward passes. Results do not depend on it.
  std::size_t threads = 2;
};

/// What one training step saw.
struct StepStats {
  double loss = 0.0;                   ///< the weighted joint loss
  std::size_t samples = 0;             ///< rows with at least one device present
  std::vector<std::size_t> correct{};  ///< per tier: correct combined-exit answers (training mode)
};

/// One sample through the eval-mode simulation: every exit's combined logits and decision,
/// and the staged answer at the trainer's thresholds (as DDNN::infer() gives it).
template <std::size_t Tiers, std::size_t Classes>
struct SimulatedSample {
  struct ExitOutput {
    bool answered = false;  ///< the tier has an exit (or is the cloud) and a node was present
    bool exits = false;     ///< the criterion accepted at the tier's threshold (cloud: always)
    std::size_t predicted = 0;
    double measure = 0.0;
    std::array<float, Classes> logits{};
  };
  std::array<ExitOutput, Tiers> tiers{};
  bool answered = false;  ///< false when no device was present
  std::size_t predicted = 0, exit_tier = 0;
  double measure = 0.0;
};

/// Trains the graph type `Graph` (a DDNN<...>): one float simulation of every device, edge node
/// and the cloud with their exits; step() is one Adam step of the joint loss.
template <class Graph>
class Trainer {
 public:
  using graph_type = Graph;
  using inputs_type = typename Graph::inputs_type;
  using parameters_type = typename Graph::parameters_type;
  static constexpr std::size_t tier_count = Graph::tier_count;
  static constexpr std::size_t classes = Graph::classes;
  static constexpr std::size_t devices = Graph::devices;
  using simulation_type = SimulatedSample<tier_count, classes>;
  template <std::size_t T>
  using tier = typename Graph::template tier<T>;

  /// Initial weights from options.seed. Throws ddnn::error for invalid options.
  explicit Trainer(TrainOptions options = {})
      : options_(std::move(options)),
        pool_(options_.threads == 0 ? 1 : options_.threads),
        tiers_(make_tiers(std::make_index_sequence<tier_count>{})),
        adam_(specs(), options_.adam) {
    if (options_.threads == 0) ddnn::detail::fail("Trainer: threads must be at least 1");
    if (!(options_.device_dropout >= 0.0 && options_.device_dropout < 1.0))
      ddnn::detail::fail("Trainer: device_dropout must lie in [0, 1)");
    if (!(options_.dropout >= 0.0 && options_.dropout < 1.0))
      ddnn::detail::fail("Trainer: dropout must lie in [0, 1)");
    ddnn::detail::require_loss_weight(options_.distillation_weight, "Trainer: distillation_weight");
    if (!(std::isfinite(options_.distillation_temperature) &&
          options_.distillation_temperature > 0.0))
      ddnn::detail::fail("Trainer: distillation_temperature must be finite and > 0");
    if (!options_.exit_weights.empty() && options_.exit_weights.size() != tier_count)
      ddnn::detail::fail("Trainer: exit_weights needs one weight per tier (" +
                         std::to_string(tier_count) + "), got " +
                         std::to_string(options_.exit_weights.size()));
    ddnn::detail::require_loss_weight(options_.node_exit_weight, "Trainer: node_exit_weight");
    for (double w : options_.exit_weights)
      ddnn::detail::require_loss_weight(w, "Trainer: exit weight");
  }

  [[nodiscard]] const TrainOptions& options() const noexcept { return options_; }
  [[nodiscard]] std::uint64_t steps() const noexcept { return adam_.steps(); }
  /// Adam's learning rate from the next step on (for a schedule); throws ddnn::error unless it
  /// is finite and > 0.
  void set_learning_rate(double learning_rate) { adam_.set_learning_rate(learning_rate); }
  [[nodiscard]] double learning_rate() const noexcept { return adam_.options().learning_rate; }
  /// Trainable values (shadow weights, BatchNorm gamma/beta, logit scales and biases).
  [[nodiscard]] std::size_t parameter_count() {
    std::size_t n = 0;
    for (const ParameterRef& p : parameter_refs()) n += p.values.size();
    return n;
  }

  template <std::size_t T>
  void set_threshold(double threshold) {
    static_assert(tier<T>::has_exit, "set_threshold: this tier has no exit");
    validate_threshold(threshold, "tier " + std::to_string(T) + " exit");
    thresholds_[T] = threshold;
  }
  template <std::size_t T>
  [[nodiscard]] double threshold() const noexcept {
    return thresholds_[T];
  }

  /// One Adam step on a batch: backpropagate(), then apply_gradients(). Throws ddnn::error
  /// (before changing anything) for mismatched sizes, a label out of range or an invalid
  /// presence mask.
  StepStats step(std::span<const inputs_type> inputs, std::span<const std::uint8_t> labels,
                 std::span<const Presence> presence) {
    StepStats stats = backpropagate(inputs, labels, presence);
    apply_gradients();
    return stats;
  }

  /// Forward in training mode (batch statistics, device dropout), the joint loss over every
  /// exit, and backward: every parameter's gradient (see parameter_refs()) becomes that of this
  /// batch's loss. Updates the BatchNorm running statistics; changes no trained value.
  StepStats backpropagate(std::span<const inputs_type> inputs, std::span<const std::uint8_t> labels,
                          std::span<const Presence> presence) {
    check_batch(inputs.size(), labels.size(), presence.size(), presence);
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] >= classes)
        ddnn::detail::fail("Trainer: label " + std::to_string(labels[i]) + " of sample " +
                           std::to_string(i) + " is not below " + std::to_string(classes));
    zero_gradients();
    load_batch(inputs, presence, true);
    RunContext ctx{true, &pool_};
    ctx.dropout = options_.dropout;
    ctx.stream = options_.seed ^ (0x8cb92ba72f3d8dd7u * (adam_.steps() + 1));
    forward_from<0>(ctx);

    StepStats stats;
    stats.correct.assign(tier_count, 0);
    std::vector<float> any(rows_);
    for (std::size_t r = 0; r < rows_; ++r) any[r] = present_[r].none() ? 0.0f : 1.0f;
    for (float a : any) stats.samples += a != 0.0f;
    losses<0>(labels, any, stats);
    backward_from<tier_count - 1>(ctx);
    return stats;
  }

  /// One Adam update from the gradients of the last backpropagate(); binary shadow weights are
  /// clipped to [-1, 1]. Throws ddnn::error when a gradient is not finite (nothing changes).
  void apply_gradients() {
    const std::vector<ParameterRef> refs = parameter_refs();
    std::vector<std::span<float>> values;
    std::vector<std::span<const float>> gradients;
    for (const ParameterRef& p : refs) {
      values.push_back(p.values);
      gradients.push_back(p.gradient);
    }
    adam_.step(values, gradients, &pool_);
  }

  /// Every trained tensor, named as in the model file ("tiers[0].nodes[3].layers[0].weights"),
  /// with its gradient buffer.
  [[nodiscard]] std::vector<ParameterRef> parameter_refs() {
    std::vector<ParameterRef> refs;
    [&]<std::size_t... T>(std::index_sequence<T...>) { (collect<T>(refs), ...); }
    (std::make_index_sequence<tier_count>{});
    return refs;
  }

  /// The eval-mode simulation of a batch (running statistics, inference arithmetic): every
  /// exit's combined logits and the staged answer at the current thresholds.
  [[nodiscard]] std::vector<simulation_type> simulate(std::span<const inputs_type> inputs,
                                                      std::span<const Presence> presence) {
    check_batch(inputs.size(), inputs.size(), presence.size(), presence);
    std::vector<simulation_type> out(inputs.size());
    constexpr std::size_t chunk = 512;
    const RunContext ctx{false, &pool_};
    for (std::size_t first = 0; first < inputs.size(); first += chunk) {
      const std::size_t count = std::min(chunk, inputs.size() - first);
      load_batch(inputs.subspan(first, count), presence.subspan(first, count), false);
      forward_from<0>(ctx);
      decide<0>(std::span<simulation_type>(out).subspan(first, count));
    }
    return out;
  }

  /// The trained model as the graph's parameters (BatchNorm from running statistics, the
  /// trainer's thresholds): construct the packed DDNN from it or save it as a model file.
  [[nodiscard]] parameters_type parameters() const {
    parameters_type p;
    export_tiers(p, std::make_index_sequence<tier_count>{});
    return p;
  }

 private:
  template <class Tier>
  struct TierState {
    using chain_type = TrainableChain<typename Tier::section::layer_types>;
    using head_type =
        std::conditional_t<Tier::has_exit, Trainable<typename Tier::exit::head_layer>, char>;
    using combine_type = std::conditional_t<Tier::exit::concatenates,
                                            Trainable<typename Tier::exit::combine_layer>, char>;
    std::vector<chain_type> sections;
    std::vector<head_type> heads;
    std::optional<combine_type> combine;
    // one batch
    std::vector<Presence> present;  ///< per sample: which nodes of this tier are present
    std::vector<Matrix> outputs, node_logits, grad_outputs, grad_node_logits;
    Matrix combined, grad_combined;
    std::vector<std::vector<std::uint8_t>> feature_winner;  ///< per node: what backward needs
    std::vector<std::uint8_t> logit_winner;                 ///< the exit's combine: the same
  };

  template <std::size_t T>
  static TierState<tier<T>> make_tier(ddnn::detail::random_stream& r) {
    using Tier = tier<T>;
    TierState<Tier> s;
    for (std::size_t n = 0; n < Tier::nodes; ++n) {
      s.sections.emplace_back(r);
      if constexpr (Tier::has_exit) s.heads.emplace_back(r);
    }
    if constexpr (Tier::exit::concatenates) s.combine.emplace(r);
    s.outputs.resize(Tier::nodes);
    s.node_logits.resize(Tier::nodes);
    s.grad_outputs.resize(Tier::nodes);
    s.grad_node_logits.resize(Tier::nodes);
    s.feature_winner.resize(Tier::nodes);
    return s;
  }
  template <std::size_t... T>
  auto make_tiers(std::index_sequence<T...>) {
    ddnn::detail::random_stream r(options_.seed);
    // braces: tiers are built (and draw their weights) in order
    return std::tuple<TierState<tier<T>>...>{make_tier<T>(r)...};
  }

  // ---- parameters -------------------------------------------------------------------------

  template <std::size_t T>
  void collect(std::vector<ParameterRef>& refs) {
    auto& s = std::get<T>(tiers_);
    const std::string tier_name = "tiers[" + std::to_string(T) + "].";
    for (std::size_t n = 0; n < tier<T>::nodes; ++n) {
      const std::string node = tier_name + "nodes[" + std::to_string(n) + "].";
      s.sections[n].parameters(refs, node);
      if constexpr (tier<T>::has_exit) s.heads[n].parameters(refs, node + "exit_head.");
    }
    if constexpr (tier<T>::exit::concatenates)
      s.combine->parameters(refs, tier_name + "exit_combine.");
  }
  std::vector<ParameterSpec> specs() {
    std::vector<ParameterSpec> out;
    for (const ParameterRef& p : parameter_refs()) out.push_back({p.name, p.values.size(), p.clip});
    return out;
  }
  void zero_gradients() {
    [&]<std::size_t... T>(std::index_sequence<T...>) { (zero_grad<T>(), ...); }
    (std::make_index_sequence<tier_count>{});
  }
  template <std::size_t T>
  void zero_grad() {
    auto& s = std::get<T>(tiers_);
    for (auto& c : s.sections) c.zero_grad();
    if constexpr (tier<T>::has_exit)
      for (auto& h : s.heads) h.zero_grad();
    if constexpr (tier<T>::exit::concatenates) s.combine->zero_grad();
  }

  template <std::size_t... T>
  void export_tiers(parameters_type& p, std::index_sequence<T...>) const {
    (export_tier<T>(p.template tier<T>()), ...);
  }
  template <std::size_t T>
  void export_tier(TierParameters<tier<T>>& p) const {
    const auto& s = std::get<T>(tiers_);
    for (std::size_t n = 0; n < tier<T>::nodes; ++n) {
      p.nodes[n].layers = s.sections[n].exported();
      if constexpr (tier<T>::has_exit) p.nodes[n].exit_head = s.heads[n].exported();
    }
    if constexpr (tier<T>::exit::concatenates) p.exit_combine = s.combine->exported();
    if constexpr (tier<T>::has_exit) p.threshold = thresholds_[T];
  }

  // ---- batches ----------------------------------------------------------------------------

  static void check_batch(std::size_t inputs, std::size_t labels, std::size_t presence,
                          std::span<const Presence> masks) {
    if (inputs == 0) ddnn::detail::fail("Trainer: empty batch");
    if (labels != inputs || presence != inputs)
      ddnn::detail::fail("Trainer: " + std::to_string(inputs) + " samples, " +
                         std::to_string(labels) + " labels and " + std::to_string(presence) +
                         " presence masks");
    for (const Presence& p : masks) p.check_within(devices);
  }

  // Device inputs as one matrix per device; presence with device dropout when training.
  void load_batch(std::span<const inputs_type> inputs, std::span<const Presence> presence,
                  bool train) {
    rows_ = inputs.size();
    using Input = typename Graph::input_type;
    constexpr std::size_t size = Input::shape::size;
    device_inputs_.resize(devices);
    for (std::size_t d = 0; d < devices; ++d) {
      Matrix& m = device_inputs_[d];
      m.resize(Eigen::Index(rows_), Eigen::Index(size));
      for (std::size_t r = 0; r < rows_; ++r) {
        const auto values = inputs[r][d].values();
        float* row = m.row(Eigen::Index(r)).data();
        for (std::size_t i = 0; i < size; ++i) row[i] = static_cast<float>(values[i]);
      }
    }
    present_.assign(presence.begin(), presence.end());
    if (train && options_.device_dropout > 0.0) {
      ddnn::detail::random_stream rng(options_.seed ^ (0x9e3779b97f4a7c15u * (adam_.steps() + 1)));
      for (Presence& present : present_) {
        Presence kept = present;
        for (std::size_t d = 0; d < devices; ++d)
          if (present[d])
            if (double(rng.next() >> 11) * 0x1.0p-53 < options_.device_dropout) kept.set(d, false);
        if (kept.none() && !present.none()) {  // keep one of the present devices
          std::size_t pick = std::size_t(rng.next() % std::uint64_t(present.count()));
          for (std::size_t d = 0; d < devices; ++d)
            if (present[d] && pick-- == 0) kept = Presence().set(d);
        }
        present = kept;
      }
    }
  }

  // ---- forward ----------------------------------------------------------------------------

  template <std::size_t T>
  void forward_from(const RunContext& ctx) {
    using Tier = tier<T>;
    auto& s = std::get<T>(tiers_);
    s.present.assign(rows_, Presence());
    if constexpr (T == 0) {
      s.present = present_;
    } else {
      // a node is present when any of its children is
      const auto& below = std::get<T - 1>(tiers_);
      constexpr std::size_t k = Tier::children;
      for (std::size_t r = 0; r < rows_; ++r)
        for (std::size_t n = 0; n < Tier::nodes; ++n)
          s.present[r].set(n, !below.present[r].slice(n * k, k).none());
    }
    // Nodes in parallel when there are several (each then runs its chunks serially).
    RunContext node_ctx = ctx;
    if (Tier::nodes > 1) node_ctx.pool = nullptr;
    auto run_node = [&](std::size_t n) {
      // each node's and head's dropout masks from a stream of their own (tier, node, part)
      const RunContext own = node_ctx.with_stream(std::uint64_t(T) << 32 | std::uint64_t(n) << 1);
      if constexpr (T == 0) {
        s.outputs[n] = s.sections[n].forward(device_inputs_[n], own);
      } else {
        s.outputs[n] = s.sections[n].forward(aggregate<T>(n), own);
      }
      if constexpr (Tier::has_exit)
        s.node_logits[n] = s.heads[n].forward(s.outputs[n], own.with_stream(1u << 31));
    };
    if (Tier::nodes > 1 && ctx.pool != nullptr)
      ctx.pool->run(Tier::nodes, run_node);
    else
      for (std::size_t n = 0; n < Tier::nodes; ++n) run_node(n);

    if constexpr (Tier::is_cloud) {
      s.combined = s.outputs[0];
    } else if constexpr (Tier::has_exit) {
      combine_logits<T>(node_ctx);
    }
    if constexpr (T + 1 < tier_count) forward_from<T + 1>(ctx);
  }

  // The features tier T's node n receives: its children's outputs combined as the tier's
  // aggregation kind combines them (with that kind's fills for absent children).
  template <std::size_t T>
  Matrix aggregate(std::size_t n) {
    using Tier = tier<T>;
    using Below = tier<T - 1>;
    using Kind = typename Tier::spec::features::kind;
    constexpr std::size_t k = Tier::children;
    constexpr values_layout layout{Below::output_shape::pixels, Below::output_shape::channels};
    constexpr value_domain domain =
        ddnn::is_bit_tensor<typename Below::output_type> ? value_domain::sign : value_domain::real;
    auto& s = std::get<T>(tiers_);
    const auto& below = std::get<T - 1>(tiers_);
    Matrix out(Eigen::Index(rows_), Eigen::Index(Kind::output_size(k, layout)));
    auto& winner = s.feature_winner[n];
    winner.resize(rows_ * layout.size());
    std::array<const float*, k> children{};
    for (std::size_t r = 0; r < rows_; ++r) {
      for (std::size_t j = 0; j < k; ++j)
        children[j] = below.outputs[n * k + j].row(Eigen::Index(r)).data();
      Kind::forward(children, below.present[r].slice(n * k, k), layout, domain,
                    out.row(Eigen::Index(r)).data(), winner.data() + r * layout.size());
    }
    return out;
  }

  // A tier's exit: its present nodes' logits combined as its exit's aggregation kind combines
  // them (Concat then goes through the tier's combining head).
  template <std::size_t T>
  void combine_logits(const RunContext& ctx) {
    using Exit = typename tier<T>::exit;
    using Kind = typename Exit::combine::kind;
    constexpr std::size_t nodes = tier<T>::nodes;
    constexpr values_layout layout{1, classes};
    auto& s = std::get<T>(tiers_);
    Matrix combined(Eigen::Index(rows_), Eigen::Index(Kind::output_size(nodes, layout)));
    s.logit_winner.resize(rows_ * classes);
    std::array<const float*, nodes> logits{};
    for (std::size_t r = 0; r < rows_; ++r) {
      for (std::size_t n = 0; n < nodes; ++n)
        logits[n] = s.node_logits[n].row(Eigen::Index(r)).data();
      Kind::forward(logits, s.present[r], layout, value_domain::real,
                    combined.row(Eigen::Index(r)).data(), s.logit_winner.data() + r * classes);
    }
    if constexpr (Exit::concatenates)
      s.combined = s.combine->forward(combined, ctx);
    else
      s.combined = std::move(combined);
  }

  // ---- loss -------------------------------------------------------------------------------

  [[nodiscard]] double exit_weight(std::size_t t) const {
    return options_.exit_weights.empty() ? 1.0 : options_.exit_weights[t];
  }

  // The cloud teaches a lower exit (TrainOptions::distillation_weight).
  void distill(const Matrix& logits, double exit_weight, std::span<const float> rows,
               Matrix& gradient, StepStats& stats) const {
    if (options_.distillation_weight == 0.0 || exit_weight == 0.0) return;
    const CrossEntropy kd = distillation(logits, std::get<tier_count - 1>(tiers_).combined,
                                         options_.distillation_temperature,
                                         exit_weight * options_.distillation_weight, rows);
    stats.loss += exit_weight * options_.distillation_weight * kd.loss;
    gradient += kd.gradient;
  }

  template <std::size_t T>
  void losses(std::span<const std::uint8_t> labels, const std::vector<float>& any,
              StepStats& stats) {
    using Tier = tier<T>;
    auto& s = std::get<T>(tiers_);
    if constexpr (Tier::has_exit) {
      for (std::size_t n = 0; n < Tier::nodes; ++n) {
        std::vector<float> rows(rows_);
        for (std::size_t r = 0; r < rows_; ++r) rows[r] = s.present[r][n] ? 1.0f : 0.0f;
        CrossEntropy ce =
            softmax_cross_entropy(s.node_logits[n], labels, options_.node_exit_weight, rows);
        stats.loss += options_.node_exit_weight * ce.loss;
        s.grad_node_logits[n] = std::move(ce.gradient);
        if constexpr (!Tier::is_cloud)
          distill(s.node_logits[n], options_.node_exit_weight, rows, s.grad_node_logits[n], stats);
      }
    }
    if constexpr (Tier::has_exit || Tier::is_cloud) {
      CrossEntropy ce = softmax_cross_entropy(s.combined, labels, exit_weight(T), any);
      stats.loss += exit_weight(T) * ce.loss;
      s.grad_combined = std::move(ce.gradient);
      if constexpr (!Tier::is_cloud)
        distill(s.combined, exit_weight(T), any, s.grad_combined, stats);
      for (std::size_t r = 0; r < rows_; ++r) {
        if (any[r] == 0.0f) continue;
        const float* row = s.combined.row(Eigen::Index(r)).data();
        stats.correct[T] += argmax(std::span<const float>(row, classes)) == labels[r];
      }
    }
    if constexpr (T + 1 < tier_count) losses<T + 1>(labels, any, stats);
  }

  // ---- backward ---------------------------------------------------------------------------

  template <std::size_t T>
  void backward_from(const RunContext& ctx) {
    using Tier = tier<T>;
    auto& s = std::get<T>(tiers_);
    const RunContext node_ctx{true, Tier::nodes > 1 ? nullptr : ctx.pool};
    if constexpr (Tier::is_cloud) {
      s.grad_outputs[0] = s.grad_combined;
    } else if constexpr (Tier::has_exit) {
      split_exit_gradient<T>(node_ctx);
    }
    auto run_node = [&](std::size_t n) {
      if constexpr (Tier::has_exit && !Tier::is_cloud)
        s.grad_outputs[n] += s.heads[n].backward(s.grad_node_logits[n], true, node_ctx);
      Matrix d_in = s.sections[n].backward(s.grad_outputs[n], T > 0, node_ctx);
      if constexpr (T > 0) distribute<T>(n, d_in);
    };
    if constexpr (!Tier::is_cloud) {  // outputs' gradients start from what the tier above sent
      for (std::size_t n = 0; n < Tier::nodes; ++n)
        if (s.grad_outputs[n].size() == 0)
          s.grad_outputs[n] = Matrix::Zero(s.outputs[n].rows(), s.outputs[n].cols());
    }
    if (Tier::nodes > 1 && ctx.pool != nullptr)
      ctx.pool->run(Tier::nodes, run_node);
    else
      for (std::size_t n = 0; n < Tier::nodes; ++n) run_node(n);
    for (Matrix& g : s.grad_outputs) g.resize(0, 0);
    if constexpr (T > 0) backward_from<T - 1>(ctx);
  }

  // The combined exit's gradient, shared out to the nodes' logits (added to their own).
  template <std::size_t T>
  void split_exit_gradient(const RunContext& ctx) {
    using Exit = typename tier<T>::exit;
    using Kind = typename Exit::combine::kind;
    constexpr std::size_t nodes = tier<T>::nodes;
    constexpr values_layout layout{1, classes};
    auto& s = std::get<T>(tiers_);
    Matrix through_head;
    if constexpr (Exit::concatenates)
      through_head = s.combine->backward(s.grad_combined, true, ctx);
    const Matrix& d = Exit::concatenates ? through_head : s.grad_combined;
    std::array<float*, nodes> grads{};
    for (std::size_t r = 0; r < rows_; ++r) {
      for (std::size_t n = 0; n < nodes; ++n)
        grads[n] = s.grad_node_logits[n].row(Eigen::Index(r)).data();
      Kind::backward(grads, s.present[r], layout, d.row(Eigen::Index(r)).data(),
                     s.logit_winner.data() + r * classes);
    }
  }

  // d aggregate of tier T's node n, back to its present children's outputs.
  template <std::size_t T>
  void distribute(std::size_t n, const Matrix& d) {
    using Tier = tier<T>;
    using Below = tier<T - 1>;
    using Kind = typename Tier::spec::features::kind;
    constexpr std::size_t k = Tier::children;
    constexpr values_layout layout{Below::output_shape::pixels, Below::output_shape::channels};
    auto& s = std::get<T>(tiers_);
    auto& below = std::get<T - 1>(tiers_);
    for (std::size_t j = 0; j < k; ++j)
      if (below.grad_outputs[n * k + j].size() == 0)
        below.grad_outputs[n * k + j] =
            Matrix::Zero(Eigen::Index(rows_), Eigen::Index(layout.size()));
    std::array<float*, k> grads{};
    for (std::size_t r = 0; r < rows_; ++r) {
      for (std::size_t j = 0; j < k; ++j)
        grads[j] = below.grad_outputs[n * k + j].row(Eigen::Index(r)).data();
      Kind::backward(grads, below.present[r].slice(n * k, k), layout, d.row(Eigen::Index(r)).data(),
                     s.feature_winner[n].data() + r * layout.size());
    }
  }

  // ---- decisions --------------------------------------------------------------------------

  template <std::size_t T>
  void decide(std::span<simulation_type> out) const {
    using Tier = tier<T>;
    const auto& s = std::get<T>(tiers_);
    if constexpr (Tier::has_exit || Tier::is_cloud) {
      for (std::size_t r = 0; r < out.size(); ++r) {
        auto& e = out[r].tiers[T];
        if (s.present[r].none()) continue;
        e.answered = true;
        const float* row = s.combined.row(Eigen::Index(r)).data();
        std::copy_n(row, classes, e.logits.begin());
        const std::span<const float> logits(e.logits);
        e.predicted = argmax(logits);
        if constexpr (Tier::is_cloud) {
          e.measure = Tier::spec::criterion::measure(logits);
          e.exits = true;
        } else {
          e.measure = Tier::exit::criterion::measure(logits);
          e.exits = Tier::exit::criterion::exits(e.measure, thresholds_[T]);
        }
        if (!out[r].answered && e.exits) {
          out[r].answered = true;
          out[r].predicted = e.predicted;
          out[r].exit_tier = T;
          out[r].measure = e.measure;
        }
      }
    }
    if constexpr (T + 1 < tier_count) decide<T + 1>(out);
  }

  template <std::size_t... T>
  static auto state_type(std::index_sequence<T...>) -> std::tuple<TierState<tier<T>>...>;

  TrainOptions options_;
  WorkerPool pool_;
  decltype(state_type(std::make_index_sequence<tier_count>{})) tiers_;
  Adam adam_;
  std::array<double, tier_count> thresholds_ = [] {
    std::array<double, tier_count> t{};
    t.fill(0.5);
    return t;
  }();
  std::size_t rows_ = 0;
  std::vector<Matrix> device_inputs_;
  std::vector<Presence> present_;
};

}  // namespace train
DDNN_END_NAMESPACE
