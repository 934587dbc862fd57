// Topology specs of a DDNN graph: what the devices sense, how the network's layers are cut into
// tiers (partition points are template arguments), where exits sit and how tiers aggregate.
//   DDNN<Sensor<Shape<32, 32, 3>>, Network,
//        DeviceTier<6, 1, Exit<BinaryDense<3, Output::logits>>>,  // 6 devices run layer [0, 1)
//        CloudTier<Concat>>                                        // the cloud runs the rest
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ddnn/aggregate/aggregator.hpp"
#include "ddnn/core/shape.hpp"
#include "ddnn/exits/confidence.hpp"
#include "ddnn/exits/exit_branch.hpp"

DDNN_BEGIN_NAMESPACE

/// What each end device reads: one tensor of `Input` values of type `Value` (uint8_t, int8_t or
/// float) per sample. Its size is the raw-offload baseline of the byte accounting.
template <ShapeType Input, class Value = std::uint8_t>
struct Sensor {
  static_assert(std::is_same_v<Value, std::uint8_t> || std::is_same_v<Value, std::int8_t> ||
                    std::is_same_v<Value, float>,
                "Sensor requires uint8_t, int8_t or float values");
  using input_shape = Input;
  using value_type = Value;
};

/// A tier boundary without an exit: every sample goes on up.
struct NoExit {
  static constexpr bool exits = false;
};

/// An exit at a tier boundary: each node of the tier has its own `Head` (logits), the tier
/// combines its present nodes' logits with `Combine` and the sample leaves iff the criterion
/// accepts the combined logits at the tier's threshold. Max and Avg combine element-wise;
/// Concat concatenates (absent nodes' logits are 0) and applies `CombineHead`, e.g.
/// `Dense<C, Activation::none>`, one per tier, to the N*C values.
template <class Head, class Combine = Max, ConfidenceCriterion Criterion = NormalizedEntropy,
          class CombineHead = void>
struct Exit {
  static_assert(check_aggregation_kind<Combine>());
  static constexpr bool concatenates = Combine::concatenates;
  static_assert(!concatenates || !std::is_void_v<CombineHead>,
                "Exit<Head, Concat, Criterion, CombineHead> requires a combining head over the "
                "concatenated logits, e.g. Dense<C, Activation::none>");
  static_assert(concatenates || std::is_void_v<CombineHead>,
                "an Exit's combining head is only used when it concatenates (Exit<Head, Concat, "
                "Criterion, CombineHead>)");
  using combine_head_spec = CombineHead;
  static constexpr bool exits = true;
  using branch = ExitBranch<Head, Criterion>;
  using head_spec = Head;
  using combine = Aggregator<Combine>;
  using criterion = Criterion;
  static constexpr std::size_t classes = branch::classes;
};

template <class T>
inline constexpr bool is_exit_spec = false;
template <>
inline constexpr bool is_exit_spec<NoExit> = true;
template <class H, class A, class C, class D>
inline constexpr bool is_exit_spec<Exit<H, A, C, D>> = true;

enum class TierKind { devices, edge, cloud };

/// `Count` end devices, each with its own weights, running the network's layers [0, Cut).
template <std::size_t Count, std::size_t Cut, class ExitSpec = NoExit>
struct DeviceTier {
  static_assert(Count >= 1 && Count <= 64, "DeviceTier requires between 1 and 64 devices");
  static_assert(Cut >= 1,
                "DeviceTier requires a cut of at least 1: devices run at least one layer");
  static_assert(is_exit_spec<ExitSpec>, "DeviceTier's third argument must be Exit<...> or NoExit");
  static constexpr TierKind kind = TierKind::devices;
  static constexpr std::size_t count = Count;
  static constexpr std::size_t cut = Cut;
  using exit_spec = ExitSpec;
};

/// `Count` edge nodes between the tier below and the cloud. Each aggregates an equal,
/// contiguous share of the nodes below with `Features` (edge e takes nodes [e*k, e*k + k)) and
/// runs the layers from the previous cut up to `Cut`.
template <std::size_t Count, class Features, std::size_t Cut, class ExitSpec = NoExit>
struct EdgeTier {
  static_assert(check_aggregation_kind<Features>());
  static_assert(Count >= 1 && Count <= 64, "EdgeTier requires between 1 and 64 edge nodes");
  static_assert(is_exit_spec<ExitSpec>, "EdgeTier's fourth argument must be Exit<...> or NoExit");
  static constexpr TierKind kind = TierKind::edge;
  static constexpr std::size_t count = Count;
  static constexpr std::size_t cut = Cut;
  using features = Aggregator<Features>;
  using exit_spec = ExitSpec;
};

/// The cloud: aggregates everything below with `Features` and runs the rest of the network,
/// whose last layer produces the logits. It always answers; `Criterion` only reports its
/// confidence.
template <class Features, ConfidenceCriterion Criterion = NormalizedEntropy>
struct CloudTier {
  static_assert(check_aggregation_kind<Features>());
  static constexpr TierKind kind = TierKind::cloud;
  static constexpr std::size_t count = 1;
  using features = Aggregator<Features>;
  using criterion = Criterion;
  using exit_spec = NoExit;  ///< the cloud's classifier is the network's last layer
};

DDNN_END_NAMESPACE
