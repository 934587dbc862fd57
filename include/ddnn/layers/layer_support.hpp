// What every layer shares: per-thread scratch memory, parameter checks, and the readable
// compile-time check that a tensor's shape is the one a layer was built for.
#pragma once
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

#include "ddnn/core/aligned_buffer.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/finite.hpp"
#include "ddnn/core/shape.hpp"
#include "ddnn/core/window.hpp"
#include "ddnn/kernels/plans.hpp"
#include "ddnn/layers/layer_kind.hpp"

DDNN_BEGIN_NAMESPACE
namespace detail {

/// Scratch memory for kernels, one growing buffer per thread, so layers stay const and can be
/// shared between threads.
inline void* thread_scratch(std::size_t bytes) {
  thread_local AlignedBuffer<std::uint64_t> buffer;
  const std::size_t words = (bytes + 7) / 8;
  if (buffer.size() < words) buffer = AlignedBuffer<std::uint64_t>(words);
  return buffer.data();
}

inline void require_count(std::size_t got, std::size_t expected, const std::string& what) {
  if (got != expected)
    fail(what + ": expected " + std::to_string(expected) + " values, got " + std::to_string(got));
}

inline void require_finite(std::span<const float> values, const std::string& what) {
  if (const std::size_t i = first_non_finite(values); i != values.size())
    fail(what + ": value " + std::to_string(i) + " is not finite");
}

/// Instantiated (and so named in the compiler's notes) when shapes differ.
template <class Expected, class Got>
struct input_shape_of_layer {
  static constexpr bool matches = std::is_same_v<Expected, Got>;
};

/// Gives a layer `operator()(input)`, returning a new output from its `forward(input, output)`,
/// for exactly the input tensor types listed (any other input is not invocable, so a Section can
/// ask whether its layers chain without an error).
template <class Layer, class... Inputs>
struct returns_output {
  template <class Input>
  requires(std::same_as<Input, Inputs> || ...) [[nodiscard]] auto operator()(
      const Input& input) const {
    typename Layer::output_type output;
    static_cast<const Layer&>(*this).forward(input, output);
    return output;
  }
};

/// Whether a layer kind computes many samples at once (Dense: one matrix product), saying so
/// with `static constexpr bool forward_batches = true` and a forward_batch(inputs, outputs).
template <class Layer>
inline constexpr bool forward_batches = requires {
  requires Layer::forward_batches;
};

/// `layer` on every sample of `inputs`: through its forward_batch() where it has one, else
/// forward() on each sample in turn.
template <class Layer, class Input, class Output>
void forward_all(const Layer& layer, std::span<const Input> inputs, std::span<Output> outputs) {
  if constexpr (forward_batches<Layer>) {
    layer.forward_batch(inputs, outputs);
  } else {
    for (std::size_t i = 0; i < inputs.size(); ++i) layer.forward(inputs[i], outputs[i]);
  }
}

/// What a windowed layer kind (FirstConv, BinaryConv, Conv) derives from its spec and input
/// shape alone: its shapes and parameter record, its windows, and the model-file and storage
/// pieces of its kind. Binary kinds (Encoding signs) keep 1 bit per weight and a 4-byte
/// threshold per filter, float kinds a float per weight and a BatchNorm (4 floats) per filter.
template <ShapeType In, class Spec, WeightEncoding Encoding>
struct windowed_layer {
  using input_shape = In;
  using spec_type = Spec;
  using conv_shape = typename Spec::template conv_shape<In>;
  using output_shape = typename Spec::template output_shape<In>;
  using parameters_type = ConvParameters;
  /// Weights [filter][ky][kx][channel].
  static constexpr std::size_t weight_count =
      Spec::filters * Spec::kernel * Spec::kernel * In::channels;
  static constexpr window_geometry geometry = window_geometry::over<In, Spec>();
  static constexpr window_geometry pool_geometry =
      window_geometry::over<conv_shape, typename Spec::pool>();

  static constexpr bool is_float = Encoding == WeightEncoding::floats;
  [[nodiscard]] static constexpr ConvExpectation expectation() noexcept {
    return {weight_count, Spec::filters, Encoding};
  }
  static constexpr parameter_storage storage =
      is_float ? parameter_storage{32 * weight_count, 16 * Spec::filters}
               : parameter_storage{weight_count, 4 * Spec::filters};
};

/// The pool geometry a kernel plan needs, from a conv shape, its pooled shape and the window.
template <class ConvShape, class OutShape, class Pool>
[[nodiscard]] constexpr pool_geometry pool_geometry_of() noexcept {
  pool_geometry g;
  g.in_h = int(ConvShape::height), g.in_w = int(ConvShape::width);
  g.kernel = int(Pool::kernel), g.stride = int(Pool::stride), g.pad = int(Pool::pad);
  g.out_h = int(OutShape::height), g.out_w = int(OutShape::width);
  g.words = int(OutShape::words_per_pixel);
  return g;
}

}  // namespace detail
DDNN_END_NAMESPACE
