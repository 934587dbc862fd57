// The trainable twin of a standalone MaxPool over bits (+-1): the max of +-1 values is the OR of
// their bits, and the gradient goes to the value that won.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "ddnn/layers/max_pool.hpp"
#include "ddnn/train/trainable.hpp"
#include "ddnn/train/trainable_blocks.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

/// A standalone max-pool over bits (+-1): the max of +-1 values is the OR of their bits.
template <ShapeType In, class Pool>
class Trainable<MaxPoolLayer<In, Pool>> {
  using Out = typename MaxPoolLayer<In, Pool>::output_shape;

 public:
  using layer_type = MaxPoolLayer<In, Pool>;
  using parameters_type = NoParameters;
  static constexpr std::size_t input_size = In::size, output_size = Out::size;
  static constexpr bool produces_logits = false;

  explicit Trainable(ddnn::detail::random_stream&) : pool_(layer_type::geometry) {}

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    return pool_.forward(x, ctx);
  }
  [[nodiscard]] Matrix backward(const Matrix& d, bool need_dx, const RunContext& ctx) {
    if (!need_dx) return {};
    return pool_.backward(d, ctx);
  }
  void parameters(std::vector<ParameterRef>&, const std::string&) {}
  void zero_grad() {}
  [[nodiscard]] NoParameters exported() const { return {}; }

 private:
  detail::PoolTrainer pool_;
};

}  // namespace train
DDNN_END_NAMESPACE
