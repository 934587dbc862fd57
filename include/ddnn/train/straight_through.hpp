// The straight-through estimator of binary layers' training: sign forward (the library's sign
// rule), gradient passed only where |x| <= 1, and the [-1, 1] clip of the float shadow weights.
#pragma once
#include <Eigen/Core>
#include <cmath>
#include <span>
#include <string>
#include <type_traits>

#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/error.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {
inline void require_clip_range(float lo, float hi) {
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo <= hi))
    fail("clip_weights: the range must be finite with lo <= hi");
}
}  // namespace detail

namespace train {

/// +1.0f where x >= 0 (ddnn::sign_bit, so -0.0f gives +1), else -1.0f: the values the packed
/// bits of inference encode, so training's forward pass matches inference.
[[nodiscard]] constexpr float sign_forward(float x) noexcept { return sign_bit(x) ? 1.0f : -1.0f; }

/// d sign / dx taken as the derivative of clamp(x, -1, 1): grad where |x| <= 1 (the boundary
/// included, as in the paper's code), else 0. A NaN x passes nothing.
[[nodiscard]] constexpr float sign_backward(float x, float grad) noexcept {
  return (x >= -1.0f && x <= 1.0f) ? grad : 0.0f;
}

/// Element-wise sign_forward over any float Eigen matrix or array (Map and Ref included); returns
/// a plain object of the same kind.
template <class Derived>
[[nodiscard]] auto sign_forward(const Eigen::DenseBase<Derived>& x) {
  static_assert(std::is_same_v<typename Derived::Scalar, float>, "sign_forward: float values only");
  return x.derived().unaryExpr([](float v) { return sign_forward(v); }).eval();
}

/// Element-wise sign_backward: the gradient w.r.t. the sign's input, given its input x and the
/// gradient w.r.t. its output. Throws ddnn::error when the shapes differ.
template <class DerivedX, class DerivedG>
[[nodiscard]] auto sign_backward(const Eigen::DenseBase<DerivedX>& x,
                                 const Eigen::DenseBase<DerivedG>& grad) {
  static_assert(std::is_same_v<typename DerivedX::Scalar, float> &&
                    std::is_same_v<typename DerivedG::Scalar, float>,
                "sign_backward: float values only");
  if (x.rows() != grad.rows() || x.cols() != grad.cols())
    ddnn::detail::fail("sign_backward: input is " + std::to_string(x.rows()) + "x" +
                       std::to_string(x.cols()) + ", gradient " + std::to_string(grad.rows()) +
                       "x" + std::to_string(grad.cols()));
  return x.derived()
      .binaryExpr(grad.derived(), [](float v, float g) { return sign_backward(v, g); })
      .eval();
}

/// Clamps every weight into [lo, hi] in place. A binary layer's shadow weights are clipped after
/// each optimizer step so that they stay where the straight-through gradient is non-zero. Throws
/// ddnn::error (leaving the weights unchanged) for a bad range or a non-finite weight, which a
/// clamp would otherwise hide or keep.
inline void clip_weights(std::span<float> weights, float lo = -1.0f, float hi = 1.0f) {
  ddnn::detail::require_clip_range(lo, hi);
  for (float w : weights)
    if (!std::isfinite(w)) ddnn::detail::fail("clip_weights: weights must be finite");
  for (float& w : weights) w = w < lo ? lo : (w > hi ? hi : w);
}

/// The same over a writable float Eigen matrix or array (a plain object or a Map of one).
template <class Derived>
void clip_weights(Eigen::DenseBase<Derived>& weights, float lo = -1.0f, float hi = 1.0f) {
  static_assert(std::is_same_v<typename Derived::Scalar, float>, "clip_weights: float values only");
  ddnn::detail::require_clip_range(lo, hi);
  if (!weights.derived().allFinite()) ddnn::detail::fail("clip_weights: weights must be finite");
  weights.derived() =
      weights.derived().unaryExpr([lo, hi](float w) { return w < lo ? lo : (w > hi ? hi : w); });
}

}  // namespace train

DDNN_END_NAMESPACE
