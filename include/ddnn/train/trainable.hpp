// Trainable<Layer>: the training-time twin of an inference layer type, specialised per layer
// kind in the trainable_<kind>.hpp headers; TrainableChain<Layers>: a section's layers in order.
#pragma once
#include <concepts>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/layers/activation.hpp"
#include "ddnn/train/run_context.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

using float_math::Matrix;

namespace detail {
template <class Layer>
struct always_false : std::false_type {};
}  // namespace detail

/// The trainable twin of a bound layer type, specialised per layer kind in
/// train/trainable_<kind>.hpp (a layer kind's one piece that needs Eigen, so it lives apart).
template <class Layer>
class Trainable {
  static_assert(detail::always_false<Layer>::value,
                "a layer kind requires a training twin to be trained: a specialisation "
                "ddnn::train::Trainable<Layer> (see docs/extending.md); is its "
                "train/trainable_<kind>.hpp included?");
};

/// What a training twin provides: built from the random stream (drawing its initial weights in
/// layer order), forward and backward over a batch (one sample per row), its parameters for the
/// optimiser, and the trained parameters in the inference layer's record.
template <class Twin, class Layer>
concept TrainingTwin = std::constructible_from<Twin, ddnn::detail::random_stream&> &&
    requires(Twin& t, const Twin& ct, const Matrix& x, const RunContext& ctx,
             std::vector<ParameterRef>& refs, const std::string& prefix) {
  { t.forward(x, ctx) } -> std::same_as<Matrix>;
  { t.backward(x, true, ctx) } -> std::same_as<Matrix>;
  t.parameters(refs, prefix);
  t.zero_grad();
  { ct.exported() } -> std::same_as<typename Layer::parameters_type>;
};

/// The training side of a layer kind's checklist (layer_kind.hpp holds the inference side).
template <class Layer>
constexpr bool check_trainable_layer() {
  static_assert(TrainingTwin<Trainable<Layer>, Layer>,
                "a layer kind's training twin Trainable<Layer> requires a constructor from "
                "detail::random_stream&, forward(x, ctx) and backward(d, need_dx, ctx) returning "
                "Matrix, parameters(refs, prefix), zero_grad() and exported() returning the "
                "layer's parameters_type");
  return true;
}

/// check_trainable_layer for a layer a tier may not have (an exit head, a combining head).
template <bool Present, class Layer>
constexpr bool check_trainable_layer_if() {
  if constexpr (Present)
    return check_trainable_layer<Layer>();
  else
    return true;
}

/// f(BatchNormTrainer&) for each BatchNorm of a trainable layer (none unless it has a
/// for_each_batchnorm member).
template <class Twin, class F>
void for_each_batchnorm(Twin& twin, F&& f) {
  if constexpr (requires { twin.for_each_batchnorm(f); }) twin.for_each_batchnorm(f);
}

/// The trainable twin of a Section's layer tuple.
template <class LayerTuple>
class TrainableChain;
template <class... Layers>
class TrainableChain<std::tuple<Layers...>> {
  static_assert((check_trainable_layer<Layers>() && ...));

 public:
  static constexpr std::size_t size = sizeof...(Layers);
  using parameters_type = std::tuple<typename Layers::parameters_type...>;

  explicit TrainableChain(ddnn::detail::random_stream& r) : layers_(make(r)) {}

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    return forward_from<0>(x, ctx);
  }
  /// Returns d input when `need_dx`, else an empty matrix.
  [[nodiscard]] Matrix backward(const Matrix& d, bool need_dx, const RunContext& ctx) {
    return backward_from<size - 1>(d, need_dx, ctx);
  }
  void parameters(std::vector<ParameterRef>& out, const std::string& prefix) {
    std::size_t i = 0;
    std::apply(
        [&](auto&... layer) {
          ((layer.parameters(out, prefix + "layers[" + std::to_string(i++) + "]."), ...));
        },
        layers_);
  }
  void zero_grad() {
    std::apply([](auto&... layer) { (layer.zero_grad(), ...); }, layers_);
  }
  /// f(BatchNormTrainer&) for each BatchNorm of its layers, in layer order (a layer shows its
  /// BatchNorms through a for_each_batchnorm(f) member; a layer without one has none).
  template <class F>
  void for_each_batchnorm(F&& f) {
    std::apply([&](auto&... layer) { (train::for_each_batchnorm(layer, f), ...); }, layers_);
  }
  [[nodiscard]] parameters_type exported() const {
    return std::apply([](const auto&... layer) { return parameters_type(layer.exported()...); },
                      layers_);
  }
  template <std::size_t I>
  [[nodiscard]] auto& layer() noexcept {
    return std::get<I>(layers_);
  }

 private:
  // Layers are built in order so that their random draws follow the network's order.
  static std::tuple<Trainable<Layers>...> make(ddnn::detail::random_stream& r) {
    return std::tuple<Trainable<Layers>...>{Trainable<Layers>(r)...};
  }
  template <std::size_t I>
  Matrix forward_from(const Matrix& x, const RunContext& ctx) {
    Matrix y = std::get<I>(layers_).forward(x, ctx.with_stream(I));
    if constexpr (I + 1 == size)
      return y;
    else
      return forward_from<I + 1>(y, ctx);
  }
  template <std::size_t I>
  Matrix backward_from(const Matrix& d, bool need_dx, const RunContext& ctx) {
    if constexpr (I == 0)
      return std::get<0>(layers_).backward(d, need_dx, ctx);
    else
      return backward_from<I - 1>(std::get<I>(layers_).backward(d, true, ctx), need_dx, ctx);
  }

  std::tuple<Trainable<Layers>...> layers_;
};

}  // namespace train
DDNN_END_NAMESPACE
