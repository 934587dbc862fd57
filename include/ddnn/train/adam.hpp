// Adam (Kingma and Ba, 2015) over a fixed list of float parameter tensors, with bias correction
// and an optional [-1, 1] clip of the binary layers' shadow weights after every step.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/arch/exact_sqrt.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/finite.hpp"
#include "ddnn/layers/activation.hpp"
#include "ddnn/train/parallel.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {

/// One step's constants of the update, in float.
struct AdamStep {
  float beta1, beta2;
  float step_size;         // lr / (1 - b1^t)
  float inverse_root_bc2;  // 1 / sqrt(1 - b2^t)
  float epsilon;
  bool clip;
};

/// Values per block of the update. Every value goes through the same fixed-size vector code
/// (a short tail is zero-padded to a whole block), so its result does not depend on where its
/// tensor lies in memory or on how the tensor is split between threads: a peeled unaligned head
/// or a scalar tail could round differently from the vector body under FMA contraction.
inline constexpr std::size_t adam_block = 16;
/// Blocks per task when the update is spread over threads (64 KiB of each of p, g, m and v).
inline constexpr std::size_t adam_task_blocks = 1024;

// GCC 12 warns that the AVX-512 intrinsics Eigen's packets use (_mm512_max_ps: its
// _mm512_undefined_ps pass-through) read an uninitialised value, under -march with
// AVX-512 (GCC bug 105593); the value is never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

/// The update of one block of values in place.
template <class P, class G, class M, class V>
EIGEN_STRONG_INLINE void adam_update_block(const AdamStep& s, P p, G g, M m, V v) noexcept {
  m = s.beta1 * m + (1.0f - s.beta1) * g;
  v = s.beta2 * v + (1.0f - s.beta2) * g.square();
  // Not v.sqrt(): Eigen's (EIGEN_FAST_MATH) starts from the CPU's reciprocal-square-root
  // estimate, whose bits differ between Intel and AMD, and so would what a seed trains to.
  Eigen::Array<float, Eigen::Index(adam_block), 1> root;
  exact_sqrt(v.data(), root.data(), adam_block);
  p -= s.step_size * m / (root * s.inverse_root_bc2 + s.epsilon);
  // Binary layers' shadow weights stay in [-1, 1], where the straight-through sign gradient is
  // non-zero, so a weight can still change sign later.
  if (s.clip) p = p.max(-1.0f).min(1.0f);
}

/// The update of values [begin, end) of one tensor; begin is a multiple of adam_block.
inline void adam_update(const AdamStep& s, float* p, const float* g, float* m, float* v,
                        std::size_t begin, std::size_t end) noexcept {
  using Block = Eigen::Array<float, Eigen::Index(adam_block), 1>;
  using Values = Eigen::Map<Block, Eigen::Unaligned>;
  using ConstValues = Eigen::Map<const Block, Eigen::Unaligned>;
  std::size_t k = begin;
  for (; k + adam_block <= end; k += adam_block)
    adam_update_block(s, Values(p + k), ConstValues(g + k), Values(m + k), Values(v + k));
  if (k == end) return;
  // the tail, zero-padded to a whole block so that it takes the same code
  const std::size_t bytes = (end - k) * sizeof(float);
  Block pb = Block::Zero(), gb = Block::Zero(), mb = Block::Zero(), vb = Block::Zero();
  std::memcpy(pb.data(), p + k, bytes);
  std::memcpy(gb.data(), g + k, bytes);
  std::memcpy(mb.data(), m + k, bytes);
  std::memcpy(vb.data(), v + k, bytes);
  adam_update_block(s, Values(pb.data()), ConstValues(gb.data()), Values(mb.data()),
                    Values(vb.data()));
  std::memcpy(p + k, pb.data(), bytes);
  std::memcpy(m + k, mb.data(), bytes);
  std::memcpy(v + k, vb.data(), bytes);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace detail

namespace train {

/// Adam's hyperparameters, the paper's defaults (the DDNN authors train with lr 1e-3).
struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

/// One parameter tensor the optimizer updates: a name for messages, its value count, and whether
/// its values are clipped to [-1, 1] after each step (a binary layer's float shadow weights).
struct ParameterSpec {
  std::string name;
  std::size_t size = 0;
  bool clip = false;
};

/// The values of a parameter tensor as the span Adam::step takes.
[[nodiscard]] inline std::span<float> parameter_values(float_math::Matrix& m) noexcept {
  return {m.data(), std::size_t(m.size())};
}
[[nodiscard]] inline std::span<const float> parameter_values(const float_math::Matrix& m) noexcept {
  return {m.data(), std::size_t(m.size())};
}

/// Adam with per-parameter state (first moment m, second moment v) and a shared step count t:
///   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
///   p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
/// (the paper's update with the bias corrections folded into the step size, as in PyTorch).
/// Moments and the update are float, vectorised through Eigen in fixed blocks: each value's
/// result depends only on its own inputs, so runs are deterministic for a build and independent
/// of the thread count and of memory placement; sqrt(v) is rounded exactly (exact_sqrt), so
/// they do not depend on the CPU's maker either. (A scalar double update cost 12.7 ms per step on
/// the main job's 1.77M parameters, about a third of its training time; this one 1.2 ms.)
class Adam {
 public:
  /// Throws ddnn::error for no parameter, an empty or duplicate-named parameter, or options out
  /// of range (learning rate and epsilon finite and > 0, betas in [0, 1)).
  explicit Adam(std::vector<ParameterSpec> parameters, AdamOptions options = {})
      : specs_(std::move(parameters)), options_(options) {
    const auto& o = options_;
    if (!(std::isfinite(o.learning_rate) && o.learning_rate > 0.0))
      detail::fail("Adam: the learning rate must be finite and > 0");
    if (!(o.beta1 >= 0.0 && o.beta1 < 1.0)) detail::fail("Adam: beta1 must lie in [0, 1)");
    if (!(o.beta2 >= 0.0 && o.beta2 < 1.0)) detail::fail("Adam: beta2 must lie in [0, 1)");
    if (!(std::isfinite(o.epsilon) && o.epsilon > 0.0))
      detail::fail("Adam: epsilon must be finite and > 0");
    if (specs_.empty()) detail::fail("Adam: needs at least one parameter");
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      if (specs_[i].size == 0) detail::fail("Adam: parameter '" + specs_[i].name + "' is empty");
      for (std::size_t j = 0; j < i; ++j)
        if (specs_[j].name == specs_[i].name)
          detail::fail("Adam: two parameters are named '" + specs_[i].name + "'");
      m_.emplace_back(specs_[i].size, 0.0f);
      v_.emplace_back(specs_[i].size, 0.0f);
    }
  }

  /// One update of every parameter from its gradient, in the order of the specs, spread over
  /// `pool`'s threads when one is given (the result is the same bits either way). Throws
  /// ddnn::error, before changing anything, when the counts or sizes differ from the specs or a
  /// gradient or parameter value is not finite.
  void step(std::span<const std::span<float>> parameters,
            std::span<const std::span<const float>> gradients, WorkerPool* pool = nullptr) {
    check_sizes(parameters, gradients);
    struct Range {
      std::size_t tensor, begin, end;
    };
    constexpr std::size_t task_values = detail::adam_block * detail::adam_task_blocks;
    std::vector<Range> ranges;
    for (std::size_t i = 0; i < specs_.size(); ++i)
      for (std::size_t b = 0; b < specs_[i].size; b += task_values)
        ranges.push_back({i, b, std::min(specs_[i].size, b + task_values)});
    const auto run = [&](const auto& task) {
      if (pool != nullptr)
        pool->run(ranges.size(), task);
      else
        for (std::size_t r = 0; r < ranges.size(); ++r) task(r);
    };

    // Every value is checked before any changes, on the same threads as the update (a pass
    // over 14 MB a step in the main job: on one thread it was 4% of its training time).
    std::vector<std::uint8_t> not_finite(ranges.size(), 0);  // bit 0: a gradient, bit 1: a value
    run([&](std::size_t r) {
      const Range& range = ranges[r];
      const std::size_t n = range.end - range.begin;
      not_finite[r] = std::uint8_t(
          (detail::all_finite(gradients[range.tensor].subspan(range.begin, n)) ? 0 : 1) |
          (detail::all_finite(
               std::span<const float>(parameters[range.tensor]).subspan(range.begin, n))
               ? 0
               : 2));
    });
    // The first tensor in order with a non-finite gradient or value, the gradient first.
    for (std::size_t r = 0; r < ranges.size(); ++r) {
      if (not_finite[r] == 0) continue;
      const std::size_t i = ranges[r].tensor;
      std::uint8_t flags = 0;
      for (std::size_t q = r; q < ranges.size() && ranges[q].tensor == i; ++q)
        flags |= not_finite[q];
      detail::fail("Adam::step: " + std::string((flags & 1) ? "gradient of" : "parameter") + " '" +
                   specs_[i].name + "' not finite");
    }

    ++steps_;
    const double t = double(steps_);
    detail::AdamStep s{};
    s.beta1 = float(options_.beta1);
    s.beta2 = float(options_.beta2);
    s.step_size = float(options_.learning_rate / (1.0 - std::pow(options_.beta1, t)));
    s.inverse_root_bc2 = float(1.0 / std::sqrt(1.0 - std::pow(options_.beta2, t)));
    s.epsilon = float(options_.epsilon);
    run([&](std::size_t r) {
      const Range& range = ranges[r];
      const std::size_t i = range.tensor;
      detail::AdamStep tensor_step = s;
      tensor_step.clip = specs_[i].clip;
      detail::adam_update(tensor_step, parameters[i].data(), gradients[i].data(), m_[i].data(),
                          v_[i].data(), range.begin, range.end);
    });
  }

  /// Changes the learning rate from the next step on (a schedule); throws ddnn::error unless it
  /// is finite and > 0.
  void set_learning_rate(double learning_rate) {
    if (!(std::isfinite(learning_rate) && learning_rate > 0.0))
      detail::fail("Adam: the learning rate must be finite and > 0");
    options_.learning_rate = learning_rate;
  }

  [[nodiscard]] std::uint64_t steps() const noexcept { return steps_; }
  [[nodiscard]] const AdamOptions& options() const noexcept { return options_; }
  [[nodiscard]] const std::vector<ParameterSpec>& parameters() const noexcept { return specs_; }
  /// The moments of parameter i (zero before the first step). Throws ddnn::error for i out of
  /// range.
  [[nodiscard]] std::span<const float> first_moment(std::size_t i) const {
    require_index(i);
    return m_[i];
  }
  [[nodiscard]] std::span<const float> second_moment(std::size_t i) const {
    require_index(i);
    return v_[i];
  }

 private:
  void require_index(std::size_t i) const {
    if (i >= specs_.size())
      detail::fail("Adam: no parameter " + std::to_string(i) + " of " +
                   std::to_string(specs_.size()));
  }
  void check_sizes(std::span<const std::span<float>> parameters,
                   std::span<const std::span<const float>> gradients) const {
    if (parameters.size() != specs_.size() || gradients.size() != specs_.size())
      detail::fail("Adam::step: " + std::to_string(parameters.size()) + " parameters and " +
                   std::to_string(gradients.size()) + " gradients for " +
                   std::to_string(specs_.size()) + " specs");
    for (std::size_t i = 0; i < specs_.size(); ++i)
      if (parameters[i].size() != specs_[i].size || gradients[i].size() != specs_[i].size)
        detail::fail("Adam::step: parameter '" + specs_[i].name + "' has " +
                     std::to_string(parameters[i].size()) + " values and " +
                     std::to_string(gradients[i].size()) + " gradients, expected " +
                     std::to_string(specs_[i].size));
  }

  std::vector<ParameterSpec> specs_;
  AdamOptions options_;
  std::vector<std::vector<float>> m_, v_;
  std::uint64_t steps_ = 0;
};

}  // namespace train

DDNN_END_NAMESPACE
