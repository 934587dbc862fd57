// What a Trainer is told (TrainOptions) and what it reports: one step's statistics and one
// sample through its eval-mode simulation.
#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ddnn/aggregate/presence.hpp"
#include "ddnn/exits/logits_link.hpp"
#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/train/adam.hpp"
#include "ddnn/train/loss.hpp"

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
  /// present device is always kept). Absent devices are filled exactly as inference fills them
  /// and compute nothing: a node's section runs on the samples it is present for only.
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
  /// How every tier's nodes send their logits to its exit (exits/logits_link.hpp). With int8 the
  /// simulation rounds the nodes' logits onto the link's grid as the packed graph does (forward
  /// only: the gradient passes through unchanged, straight-through), and parameters() stores it.
  LogitsEncoding logits_link = LogitsEncoding::float32;
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

/// Throws ddnn::error for options a Trainer of a graph with `tiers` tiers cannot use.
inline void validate(const TrainOptions& options, std::size_t tiers) {
  if (options.logits_link != LogitsEncoding::float32 && options.logits_link != LogitsEncoding::int8)
    ddnn::detail::fail("Trainer: logits_link is neither float32 nor int8");
  if (options.threads == 0) ddnn::detail::fail("Trainer: threads must be at least 1");
  if (!(options.device_dropout >= 0.0 && options.device_dropout < 1.0))
    ddnn::detail::fail("Trainer: device_dropout must lie in [0, 1)");
  if (!(options.dropout >= 0.0 && options.dropout < 1.0))
    ddnn::detail::fail("Trainer: dropout must lie in [0, 1)");
  ddnn::detail::require_loss_weight(options.distillation_weight, "Trainer: distillation_weight");
  if (!(std::isfinite(options.distillation_temperature) && options.distillation_temperature > 0.0))
    ddnn::detail::fail("Trainer: distillation_temperature must be finite and > 0");
  if (!options.exit_weights.empty() && options.exit_weights.size() != tiers)
    ddnn::detail::fail("Trainer: exit_weights needs one weight per tier (" + std::to_string(tiers) +
                       "), got " + std::to_string(options.exit_weights.size()));
  ddnn::detail::require_loss_weight(options.node_exit_weight, "Trainer: node_exit_weight");
  for (double w : options.exit_weights)
    ddnn::detail::require_loss_weight(w, "Trainer: exit weight");
}

/// Device dropout for one training batch: each present device is dropped with probability
/// `rate`, but a sample keeps at least one of its present devices. Deterministic in `seed`.
inline void drop_devices(std::vector<Presence>& presence, std::size_t devices, double rate,
                         std::uint64_t seed) {
  ddnn::detail::random_stream rng(seed);
  for (Presence& present : presence) {
    Presence kept = present;
    for (std::size_t d = 0; d < devices; ++d)
      if (present[d])
        if (double(rng.next() >> 11) * 0x1.0p-53 < rate) kept.set(d, false);
    if (kept.none() && !present.none()) {  // keep one of the present devices
      std::size_t pick = std::size_t(rng.next() % std::uint64_t(present.count()));
      for (std::size_t d = 0; d < devices; ++d)
        if (present[d] && pick-- == 0) kept = Presence().set(d);
    }
    present = kept;
  }
}

}  // namespace train
DDNN_END_NAMESPACE
