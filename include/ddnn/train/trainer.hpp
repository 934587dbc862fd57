// Trainer<Graph>: joint multi-exit training of a DDNN graph type, on one machine, and its export
// to the graph's packed parameters. The float simulation it trains (sections, exit heads,
// aggregators with presence masks and their fills) is the graph's own semantics; simulate()
// runs it in eval mode, where it agrees with packed inference bit for bit. In use:
// `train::Trainer<Graph> trainer({.seed = 1, .device_dropout = 0.1});`, then
// `trainer.step(batch_inputs, batch_labels, batch_presence)` per batch, then
// `Graph graph(trainer.parameters());` or `save_model(graph, path, inputs, presence)`.
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
#include "ddnn/train/eigen_blocking.hpp"
#include "ddnn/train/loss.hpp"
#include "ddnn/train/parallel.hpp"
#include "ddnn/train/tier_state.hpp"
#include "ddnn/train/train_options.hpp"
#include "ddnn/train/trainable_layers.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

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

  /// Initial weights from options.seed. Throws ddnn::error for invalid options. Pins the L1
  /// size Eigen plans with (pin_eigen_blocking), so a seed trains to the same bits on every
  /// machine of the build's SIMD.
  explicit Trainer(TrainOptions options = {})
      : options_((pin_eigen_blocking(), std::move(options))),
        pool_(options_.threads == 0 ? 1 : options_.threads),
        tiers_(make_tiers(std::make_index_sequence<tier_count>{})),
        adam_(specs(), options_.adam) {
    validate(options_, tier_count);
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
  /// How the nodes send their logits to their tier's exit, from the next pass on (starts as
  /// options().logits_link): e.g. to measure a model trained one way over the other link.
  void set_logits_link(LogitsEncoding link) {
    TrainOptions o = options_;
    o.logits_link = link;
    validate(o, tier_count);
    options_.logits_link = link;
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
    [&]<std::size_t... T>(std::index_sequence<T...>) {
      (std::get<T>(tiers_).parameters(refs, T), ...);
    }
    (std::make_index_sequence<tier_count>{});
    return refs;
  }

  /// The eval-mode simulation of a batch (running statistics, inference arithmetic): every
  /// exit's combined logits and the staged answer at the current thresholds.
  [[nodiscard]] std::vector<simulation_type> simulate(std::span<const inputs_type> inputs,
                                                      std::span<const Presence> presence) {
    const std::vector<std::vector<Presence>> one(
        1, std::vector<Presence>(presence.begin(), presence.end()));
    return std::move(simulate_conditions(inputs, one).front());
  }

  /// simulate() of the same inputs under several presence conditions (a mask per sample each):
  /// element k equals simulate(inputs, conditions[k]) bit for bit. A device's section does not
  /// depend on which devices are present, so the devices run once per sample and only the
  /// aggregators, the tiers above and the exits run once per condition.
  [[nodiscard]] std::vector<std::vector<simulation_type>> simulate_conditions(
      std::span<const inputs_type> inputs, std::span<const std::vector<Presence>> conditions) {
    for (const std::vector<Presence>& presence : conditions)
      check_batch(inputs.size(), inputs.size(), presence.size(), presence);
    std::vector<std::vector<simulation_type>> out(conditions.size());
    for (auto& o : out) o.resize(inputs.size());
    constexpr std::size_t chunk = 512;
    const RunContext ctx{false, &pool_};
    for (std::size_t first = 0; first < inputs.size(); first += chunk) {
      const std::size_t count = std::min(chunk, inputs.size() - first);
      for (std::size_t k = 0; k < conditions.size(); ++k) {
        const std::span<const Presence> presence(conditions[k]);
        load_batch(inputs.subspan(first, count), presence.subspan(first, count), false, k == 0);
        forward_from<0>(ctx, k == 0);
        decide<0>(std::span<simulation_type>(out[k]).subspan(first, count));
      }
    }
    return out;
  }

  /// BatchNorm recalibration: the running statistics of every BatchNorm of tiers `first_tier`
  /// and above become the exact mean and variance of its inputs in eval mode over `inputs` under
  /// `presence` (the inputs and presence inference is expected to see), in place of training's
  /// momentum average over its last batches under device dropout, input dropout and
  /// augmentation. A BatchNorm's inputs depend on the statistics below it, so there is one pass
  /// per BatchNorm level, each running the tiers up to the one it measures. Throws ddnn::error
  /// (changing nothing) for mismatched sizes, an invalid mask, a node absent from every sample or
  /// a value that is not finite.
  void recalibrate_batchnorm(std::span<const inputs_type> inputs,
                             std::span<const Presence> presence, std::size_t first_tier = 0) {
    check_batch(inputs.size(), inputs.size(), presence.size(), presence);
    if (first_tier >= tier_count)
      ddnn::detail::fail("recalibrate_batchnorm: tier " + std::to_string(first_tier) +
                         " of a graph of " + std::to_string(tier_count) + " tiers");
    // Each tier's BatchNorms, and per pass the tier it measures (a tier's levels in order).
    std::vector<std::vector<BatchNormTrainer*>> norms(tier_count);
    std::vector<std::size_t> pass_tier;
    [&]<std::size_t... T>(std::index_sequence<T...>) {
      (
          [&] {
            if (T < first_tier) return;
            auto& s = std::get<T>(tiers_);
            s.for_each_batchnorm([&](BatchNormTrainer& bn) { norms[T].push_back(&bn); });
            pass_tier.insert(pass_tier.end(), s.batchnorm_levels(), T);
          }(),
          ...);
    }
    (std::make_index_sequence<tier_count>{});
    // Restored if any pass's recording cannot be used: nothing changes then.
    std::vector<std::pair<std::vector<double>, std::vector<double>>> before;
    for (const auto& tier_norms : norms)
      for (const BatchNormTrainer* bn : tier_norms)
        before.emplace_back(bn->running_mean, bn->running_var);
    auto finish = [&] {
      recalibrating_ = false;
      forward_through_ = tier_count - 1;
    };
    constexpr std::size_t chunk = 512;
    const RunContext ctx{false, &pool_};
    try {
      recalibrating_ = true;
      for (const std::size_t t : pass_tier) {
        // The tiers above t cannot be measured yet (their inputs depend on t's statistics), and
        // those below are final: the pass records t's BatchNorms and runs no tier above it.
        forward_through_ = t;
        for (BatchNormTrainer* bn : norms[t]) bn->begin_recording();
        for (std::size_t first = 0; first < inputs.size(); first += chunk) {
          const std::size_t count = std::min(chunk, inputs.size() - first);
          load_batch(inputs.subspan(first, count), presence.subspan(first, count), false);
          forward_from<0>(ctx);
        }
        for (const BatchNormTrainer* bn : norms[t])
          if (!bn->recording_usable())
            ddnn::detail::fail(
                "recalibrate_batchnorm: a BatchNorm saw fewer than 2 rows (its node is absent "
                "from every sample) or values that are not finite; nothing changed");
        for (BatchNormTrainer* bn : norms[t]) bn->end_recording();
      }
      finish();
    } catch (...) {
      finish();
      std::size_t k = 0;
      for (const auto& tier_norms : norms)
        for (BatchNormTrainer* bn : tier_norms) {
          bn->end_recording(false);
          bn->running_mean = before[k].first;
          bn->running_var = before[k].second;
          ++k;
        }
      throw;
    }
  }

  /// The trained model as the graph's parameters (BatchNorm from running statistics, the
  /// trainer's thresholds): construct the packed DDNN from it or save it as a model file.
  [[nodiscard]] parameters_type parameters() const {
    parameters_type p;
    export_tiers(p, std::make_index_sequence<tier_count>{});
    return p;
  }

 private:
  template <std::size_t... T>
  auto make_tiers(std::index_sequence<T...>) {
    ddnn::detail::random_stream r(options_.seed);
    // braces: tiers are built (and draw their weights) in order
    return std::tuple<TierState<tier<T>>...>{TierState<tier<T>>(r)...};
  }

  // ---- parameters -------------------------------------------------------------------------

  std::vector<ParameterSpec> specs() {
    std::vector<ParameterSpec> out;
    for (const ParameterRef& p : parameter_refs()) out.push_back({p.name, p.values.size(), p.clip});
    return out;
  }
  void zero_gradients() {
    [&]<std::size_t... T>(std::index_sequence<T...>) { (std::get<T>(tiers_).zero_grad(), ...); }
    (std::make_index_sequence<tier_count>{});
  }
  template <std::size_t... T>
  void export_tiers(parameters_type& p, std::index_sequence<T...>) const {
    (export_tier<T>(p.template tier<T>()), ...);
  }
  template <std::size_t T>
  void export_tier(TierParameters<tier<T>>& p) const {
    std::get<T>(tiers_).export_to(p);
    if constexpr (tier<T>::has_exit) {
      p.threshold = thresholds_[T];
      p.logits_link = options_.logits_link;
    }
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

  // Device inputs as one matrix per device (unless `with_inputs` is false: the same inputs as the
  // last call); presence with device dropout when training.
  void load_batch(std::span<const inputs_type> inputs, std::span<const Presence> presence,
                  bool train, bool with_inputs = true) {
    rows_ = inputs.size();
    present_.assign(presence.begin(), presence.end());
    if (train && options_.device_dropout > 0.0)
      drop_devices(present_, devices, options_.device_dropout,
                   options_.seed ^ (0x9e3779b97f4a7c15u * (adam_.steps() + 1)));
    if (!with_inputs) return;
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
  }

  // ---- forward ----------------------------------------------------------------------------

  // `run_nodes` false (the devices only, eval mode): their sections' outputs and exit logits are
  // those of the last pass, which saw the same inputs.
  template <std::size_t T>
  void forward_from(const RunContext& ctx, bool run_nodes = true) {
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
    // Training and BatchNorm recalibration run a node on the rows it is present in only.
    const bool present_only = ctx.train || recalibrating_;
    if (present_only) {
      s.present_rows.assign(Tier::nodes, {});
      for (std::size_t r = 0; r < rows_; ++r)
        for (std::size_t n = 0; n < Tier::nodes; ++n)
          if (s.present[r][n]) s.present_rows[n].push_back(Eigen::Index(r));
    }
    // Nodes in parallel when there are several (each then runs its chunks serially).
    RunContext node_ctx = ctx;
    if (Tier::nodes > 1) node_ctx.pool = nullptr;
    auto run_node = [&](std::size_t n) {
      // each node's and head's dropout masks from a stream of their own (tier, node, part)
      const RunContext own = node_ctx.with_stream(std::uint64_t(T) << 32 | std::uint64_t(n) << 1);
      const RunContext head_ctx = own.with_stream(1u << 31);
      auto forward_node = [&](const Matrix& x) {
        s.outputs[n] = s.sections[n].forward(x, own);
        if constexpr (Tier::has_exit) s.node_logits[n] = s.heads[n].forward(s.outputs[n], head_ctx);
      };
      auto run = [&](const Matrix& in) {
        const std::vector<Eigen::Index>& kept = s.present_rows[n];
        if (!present_only || kept.size() == rows_) return forward_node(in);
        // An absent node computes nothing, so its inputs must not shape its BatchNorm
        // statistics, and skipping them saves the work. The other rows are 0; the aggregators
        // and losses never read them.
        if (!kept.empty()) forward_node(gather_rows(in, kept));
        s.outputs[n] = spread_rows(s.outputs[n], kept, rows_, Tier::output_shape::size);
        if constexpr (Tier::has_exit)
          s.node_logits[n] = spread_rows(s.node_logits[n], kept, rows_, classes);
      };
      if constexpr (T == 0)
        run(device_inputs_[n]);
      else
        run(aggregate_children(std::get<T - 1>(tiers_), s, n, rows_));
      if constexpr (Tier::has_exit) {
        // what the node sends (the packed graph rounds the same way); straight-through backward
        if (options_.logits_link != LogitsEncoding::float32)
          for (Eigen::Index r = 0; r < s.node_logits[n].rows(); ++r)
            round_to_link(options_.logits_link,
                          std::span(s.node_logits[n].row(r).data(), std::size_t(classes)));
      }
    };
    if (T > 0 || run_nodes) {
      if (Tier::nodes > 1 && ctx.pool != nullptr)
        ctx.pool->run(Tier::nodes, run_node);
      else
        for (std::size_t n = 0; n < Tier::nodes; ++n) run_node(n);
    }

    if constexpr (Tier::is_cloud) {
      s.combined = s.outputs[0];
    } else if constexpr (Tier::has_exit) {
      combine_exit_logits<classes>(s, rows_, node_ctx);
    }
    if constexpr (T + 1 < tier_count)
      if (T + 1 <= forward_through_) forward_from<T + 1>(ctx);
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
      split_exit_gradient<classes>(s, rows_, node_ctx);
    }
    auto run_node = [&](std::size_t n) {
      const std::vector<Eigen::Index>& kept = s.present_rows[n];
      if (kept.empty()) return;  // it ran on no sample (its children were absent too)
      const bool all = kept.size() == rows_;
      Matrix d_out = all ? std::move(s.grad_outputs[n]) : gather_rows(s.grad_outputs[n], kept);
      if constexpr (Tier::has_exit && !Tier::is_cloud)
        d_out += s.heads[n].backward(
            all ? s.grad_node_logits[n] : gather_rows(s.grad_node_logits[n], kept), true, node_ctx);
      Matrix d_in = s.sections[n].backward(d_out, T > 0, node_ctx);
      if constexpr (T > 0) {
        if (!all) d_in = spread_rows(d_in, kept, rows_, std::size_t(d_in.cols()));
        distribute_to_children(std::get<T - 1>(tiers_), s, n, d_in, rows_);
      }
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

  // ---- rows of a batch ---------------------------------------------------------------------

  [[nodiscard]] static Matrix gather_rows(const Matrix& m, const std::vector<Eigen::Index>& rows) {
    Matrix out(Eigen::Index(rows.size()), m.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) out.row(Eigen::Index(i)) = m.row(rows[i]);
    return out;
  }
  /// A `total`-row matrix of `cols` columns: row rows[i] is m's row i, the others 0.
  [[nodiscard]] static Matrix spread_rows(const Matrix& m, const std::vector<Eigen::Index>& rows,
                                          std::size_t total, std::size_t cols) {
    Matrix out = Matrix::Zero(Eigen::Index(total), Eigen::Index(cols));
    for (std::size_t i = 0; i < rows.size(); ++i) out.row(rows[i]) = m.row(Eigen::Index(i));
    return out;
  }

  // ---- decisions --------------------------------------------------------------------------

  template <std::size_t T>
  void decide(std::span<simulation_type> out) const {
    decide_tier<T>(std::get<T>(tiers_), thresholds_[T], out);
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
  bool recalibrating_ = false;                    ///< eval-mode passes of recalibrate_batchnorm()
  std::size_t forward_through_ = tier_count - 1;  ///< the last tier a forward pass runs
};

}  // namespace train
DDNN_END_NAMESPACE
