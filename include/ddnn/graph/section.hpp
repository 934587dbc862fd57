// Section: a run of layers that executes on one tier, typed by its input shape and its layer
// specs. Each spec is bound to the shape the previous layer produces, so a section is shape-
// checked at compile time; split_at<K> cuts a layer list at a partition point K.
#pragma once
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/core/shape.hpp"
#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/layers/layer_kind.hpp"
#include "ddnn/layers/layer_support.hpp"

DDNN_BEGIN_NAMESPACE

/// A compile-time list of layer specs.
template <class... Specs>
struct Layers {
  static constexpr std::size_t size = sizeof...(Specs);
};

namespace detail {
// Binds every spec to the shape its predecessor produces.
template <class In, class... Specs>
struct bind_chain {
  using layers = std::tuple<>;
  using output_shape = In;
};
template <class In, class Spec, class... Rest>
struct bind_chain<In, Spec, Rest...> {
  using layer = typename Spec::template bind<In>;
  static_assert(check_layer_kind<layer>());
  using next = bind_chain<typename layer::output_shape, Rest...>;
  using layers = decltype(std::tuple_cat(std::declval<std::tuple<layer>>(),
                                         std::declval<typename next::layers>()));
  using output_shape = typename next::output_shape;
};

// Splits Layers<...> after its first K specs.
template <std::size_t K, class Done, class Rest>
struct split;
template <class... D, class... R>
struct split<0, Layers<D...>, Layers<R...>> {
  using head = Layers<D...>;
  using tail = Layers<R...>;
};
template <std::size_t K, class... D, class R0, class... R>
requires(K > 0) struct split<K, Layers<D...>, Layers<R0, R...>>
    : split<K - 1, Layers<D..., R0>, Layers<R...>> {
};
template <std::size_t K, class... D>
requires(K > 0) struct split<K, Layers<D...>, Layers<>> {
  static_assert(K == 0, "partition point lies beyond the last layer");
};

// Whether each layer of a bound tuple accepts what the one before it produces, starting from
// Input (a non-template operator() or a constrained one rejects other tensors without an error).
template <class Input, class LayerTuple, std::size_t I = 0>
constexpr bool chain_accepts() {
  if constexpr (I == std::tuple_size_v<LayerTuple>) {
    return true;
  } else {
    using L = std::tuple_element_t<I, LayerTuple>;
    if constexpr (!std::is_invocable_v<const L&, const Input&>)
      return false;
    else
      return chain_accepts<std::invoke_result_t<const L&, const Input&>, LayerTuple, I + 1>();
  }
}
}  // namespace detail

/// The specs before and after partition point K of a layer list: split_at<K, L>::head runs
/// below the cut (e.g. on the device), ::tail above it.
template <std::size_t K, class List>
struct split_at;
template <std::size_t K, class... Specs>
struct split_at<K, Layers<Specs...>> {
  static_assert(K <= sizeof...(Specs), "partition point lies beyond the last layer");
  using head = typename detail::split<K, Layers<>, Layers<Specs...>>::head;
  using tail = typename detail::split<K, Layers<>, Layers<Specs...>>::tail;
};

/// The specs in [Begin, End) of a layer list (one tier's share of a network).
template <std::size_t Begin, std::size_t End, class List>
struct layer_range {
  static_assert(Begin <= End, "a layer range must not end before it begins");
  using type = typename split_at<Begin, typename split_at<End, List>::head>::tail;
};
template <std::size_t Begin, std::size_t End, class List>
using layer_range_t = typename layer_range<Begin, End, List>::type;

template <ShapeType In, class List>
class Section;

/// Layers `Specs...` on input shape `In`. Construct with one parameter object per layer
/// (NoParameters for MaxPool) and optionally the ISA; call with the first layer's input.
template <ShapeType In, class... Specs>
class Section<In, Layers<Specs...>> {
  static_assert(sizeof...(Specs) >= 1, "Section requires at least one layer");
  using chain = detail::bind_chain<In, Specs...>;

 public:
  using input_shape = In;
  using layer_types = typename chain::layers;
  using output_shape = typename chain::output_shape;
  /// One parameter object per layer, in order (NoParameters for MaxPool).
  using parameters_type = std::tuple<typename Specs::parameters_type...>;
  static constexpr std::size_t size = sizeof...(Specs);
  /// Whether run_batch() does more than run each sample in turn (a layer has a batch forward).
  static constexpr bool batches = []<std::size_t... I>(std::index_sequence<I...>) {
    return (false || ... || detail::forward_batches<std::tuple_element_t<I, layer_types>>);
  }
  (std::index_sequence_for<Specs...>{});

  /// Throws ddnn::error when any layer's parameters are invalid (the message names the layer).
  template <class... Parameters>
  requires(sizeof...(Parameters) ==
           sizeof...(Specs)) explicit Section(const Parameters&... parameters)
      : Section(best_isa(), parameters...) {}

  template <class... Parameters>
  requires(sizeof...(Parameters) == sizeof...(Specs))
      Section(isa_id isa, const Parameters&... parameters)
      : layers_(make_layers(isa, std::index_sequence_for<Specs...>{}, parameters...)) {}

  /// From a tuple of parameters (how a graph stores them).
  Section(isa_id isa, const parameters_type& parameters)
      : Section(isa, parameters, std::index_sequence_for<Specs...>{}) {}

  /// Whether the layers accept `Input` and each other's outputs (binary layers take bits,
  /// FirstConv the sensor's values).
  template <class Input>
  static constexpr bool accepts = detail::chain_accepts<Input, layer_types>();

  /// Runs every layer in order on `input` (whatever the first layer accepts).
  template <class Input>
  requires accepts<Input>
  [[nodiscard]] auto operator()(const Input& input) const { return run<0>(input); }

  /// The type the section produces from `Input`.
  template <class Input>
  requires accepts<Input>
  using output_for = std::invoke_result_t<Section, const Input&>;

  /// Runs every layer over all of `inputs` before the next layer: layers with a batch forward
  /// (Dense: one matrix product) take the whole batch, the others each sample in turn. outputs[i]
  /// equals (*this)(inputs[i]) bit for bit.
  template <class Input>
  requires accepts<Input>
  void run_batch(std::span<const Input> inputs, std::span<output_for<Input>> outputs) const {
    if (inputs.size() != outputs.size())
      detail::fail("Section::run_batch: " + std::to_string(inputs.size()) + " inputs but " +
                   std::to_string(outputs.size()) + " outputs");
    run_batch_from<0>(inputs, outputs);
  }

  template <std::size_t I>
  [[nodiscard]] const std::tuple_element_t<I, layer_types>& layer() const noexcept {
    return std::get<I>(layers_);
  }

 private:
  template <std::size_t... I>
  Section(isa_id isa, const parameters_type& parameters, std::index_sequence<I...>)
      : Section(isa, std::get<I>(parameters)...) {}

  template <std::size_t... I, class... Parameters>
  static layer_types make_layers(isa_id isa, std::index_sequence<I...>,
                                 const Parameters&... parameters) {
    return layer_types(std::tuple_element_t<I, layer_types>(parameters, isa)...);
  }

  template <std::size_t I, class Input>
  [[nodiscard]] auto run(const Input& input) const {
    if constexpr (I + 1 == size)
      return std::get<I>(layers_)(input);
    else
      return run<I + 1>(std::get<I>(layers_)(input));
  }

  template <std::size_t I, class Input, class Output>
  void run_batch_from(std::span<const Input> inputs, std::span<Output> outputs) const {
    const auto& layer = std::get<I>(layers_);
    if constexpr (I + 1 == size) {
      detail::forward_all(layer, inputs, outputs);
    } else {
      using Next = std::invoke_result_t<decltype(layer), const Input&>;
      std::vector<Next> next(inputs.size());
      detail::forward_all(layer, inputs, std::span<Next>(next));
      run_batch_from<I + 1>(std::span<const Next>(next), outputs);
    }
  }

  layer_types layers_;
};

DDNN_END_NAMESPACE
