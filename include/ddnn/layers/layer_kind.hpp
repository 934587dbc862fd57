// What a layer kind (FirstConv, BinaryConv, MaxPool, BinaryDense, Conv, Dense, or a new one)
// must provide, as one checklist the compiler checks where a graph binds the layer: its shapes
// and parameters, how it is built and run, its model-file description and parameter
// expectation, its random parameters and its storage. Each piece is a member of the bound layer
// class, so a kind lives in its own header; the training twin lives in train/ (Eigen) and is
// checked there (train/trainable.hpp). docs/extending.md walks through adding one.
#pragma once
#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "ddnn/arch/isa.hpp"
#include "ddnn/core/random_stream.hpp"
#include "ddnn/core/shape.hpp"
#include "ddnn/layers/parameters.hpp"

DDNN_BEGIN_NAMESPACE

/// What a model file says about a layer, as plain data (io/ writes it as JSON): windowed layers
/// their filters and window with the fused pool, dense layers their outputs and what those are,
/// pools their window.
struct layer_description {
  enum class form { window, dense, pool };
  struct pool_window {
    std::size_t kernel = 1, stride = 1, pad = 0;
  };
  form shape = form::window;
  std::string_view kind;
  std::size_t filters = 0, kernel = 0, stride = 0, pad = 0;  ///< form::window
  pool_window pool;                                          ///< form::window and form::pool
  std::size_t outputs = 0;                                   ///< form::dense
  std::string_view output;  ///< form::dense: "logits", "bits" or "relu"
};

/// Bytes a node stores for a layer's packed parameters: `weight_bits` (1 per binary weight, 32
/// per float weight) and `value_bytes` (thresholds, scales, biases). A graph adds them up and
/// rounds the bits up once.
struct parameter_storage {
  std::size_t weight_bits = 0;
  std::size_t value_bytes = 0;
  [[nodiscard]] constexpr parameter_storage operator+(parameter_storage o) const noexcept {
    return {weight_bits + o.weight_bits, value_bytes + o.value_bytes};
  }
  [[nodiscard]] constexpr std::size_t bytes() const noexcept {
    return value_bytes + (weight_bits + 7) / 8;
  }
};

namespace detail {
/// The description of a conv-like layer kind from its spec.
template <class Spec>
[[nodiscard]] constexpr layer_description window_description(std::string_view kind) noexcept {
  layer_description d;
  d.shape = layer_description::form::window;
  d.kind = kind;
  d.filters = Spec::filters, d.kernel = Spec::kernel, d.stride = Spec::stride, d.pad = Spec::pad;
  d.pool = {Spec::pool::kernel, Spec::pool::stride, Spec::pool::pad};
  return d;
}
/// The description of a dense layer kind.
[[nodiscard]] constexpr layer_description dense_description(std::string_view kind,
                                                            std::size_t outputs,
                                                            std::string_view output) noexcept {
  layer_description d;
  d.shape = layer_description::form::dense;
  d.kind = kind, d.outputs = outputs, d.output = output;
  return d;
}
}  // namespace detail

// ---- the pieces, one named concept each --------------------------------------------------------

/// Its input and output shapes, its spec and its parameter record.
template <class Layer>
concept HasLayerTypes = requires {
  typename Layer::input_shape;
  typename Layer::output_shape;
  typename Layer::spec_type;
  typename Layer::parameters_type;
}
&&ShapeType<typename Layer::input_shape>&& ShapeType<typename Layer::output_shape>;

/// Built from its parameters for an ISA (throwing ddnn::error on bad parameters).
template <class Layer>
concept BuildsFromParameters =
    std::constructible_from<Layer, const typename Layer::parameters_type&, isa_id>;

/// Its model-file name (`kind`), whether it computes in float (`is_float`: float layers' files
/// keep exact weights, and their logits are compared with a tolerance) and its description.
template <class Layer>
concept DescribesItself = requires {
  { Layer::kind } -> std::convertible_to<std::string_view>;
  { Layer::is_float } -> std::convertible_to<bool>;
  { Layer::description() } -> std::same_as<layer_description>;
};

/// What its parameter record must hold: ConvExpectation, DenseExpectation or NoParameters.
template <class Layer>
concept ExpectsParameters = requires {
  {Layer::expectation()};
}
&&(std::same_as<decltype(Layer::expectation()), ConvExpectation> ||
   std::same_as<decltype(Layer::expectation()), DenseExpectation> ||
   std::same_as<decltype(Layer::expectation()), NoParameters>);

/// Random parameters that build a working layer (for trying a topology out before training),
/// the same for a seed on every platform.
template <class Layer>
concept DrawsRandomParameters = requires(detail::random_stream& r) {
  { Layer::random_parameters(r) } -> std::same_as<typename Layer::parameters_type>;
};

/// The bytes a node stores for it (0 for a layer without parameters, said explicitly).
template <class Layer>
concept AccountsStorage = requires {
  { Layer::storage } -> std::convertible_to<parameter_storage>;
};

/// Every piece a bound layer kind needs (see docs/extending.md).
template <class Layer>
concept LayerKind = HasLayerTypes<Layer> && BuildsFromParameters<Layer> && DescribesItself<Layer> &&
    ExpectsParameters<Layer> && DrawsRandomParameters<Layer> && AccountsStorage<Layer>;

/// The same checklist as static_asserts, so a kind that lacks a piece is named with the piece
/// (the compiler's note names the layer type it checked).
template <class Layer>
constexpr bool check_layer_kind() {
  static_assert(HasLayerTypes<Layer>,
                "a layer kind requires member types input_shape, output_shape, spec_type and "
                "parameters_type");
  static_assert(BuildsFromParameters<Layer>,
                "a layer kind requires a constructor (const parameters_type&, isa_id)");
  static_assert(DescribesItself<Layer>,
                "a layer kind requires `static constexpr std::string_view kind` (its model-file "
                "name), `static constexpr bool is_float` and static description() returning "
                "ddnn::layer_description");
  static_assert(ExpectsParameters<Layer>,
                "a layer kind requires static expectation() returning ConvExpectation, "
                "DenseExpectation or NoParameters: what a model file's parameters must hold");
  static_assert(DrawsRandomParameters<Layer>,
                "a layer kind requires static random_parameters(detail::random_stream&) "
                "returning parameters_type");
  static_assert(AccountsStorage<Layer>,
                "a layer kind requires `static constexpr parameter_storage storage`: the bytes a "
                "node stores for it");
  return true;
}

/// The storage of a tuple of layers plus any extra ones (an exit head).
template <class... Layers>
[[nodiscard]] constexpr parameter_storage storage_of() noexcept {
  return (parameter_storage{} + ... + parameter_storage(Layers::storage));
}

DDNN_END_NAMESPACE
