// How a DDNN's tier specs become tiers at compile time: each tier's section (its range of the
// network), input and output shapes, exit parts, message type and the checks between tiers.
#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ddnn/aggregate/aggregator.hpp"
#include "ddnn/exits/exit_branch.hpp"
#include "ddnn/graph/message.hpp"
#include "ddnn/graph/section.hpp"
#include "ddnn/graph/topology.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {
// The feature-map type of an aggregate: bits stay bits, floats stay floats.
template <class Features, ShapeType S>
struct retensor;
template <ShapeType A, ShapeType S>
struct retensor<BitTensor<A>, S> {
  using type = BitTensor<S>;
};
template <ShapeType A, ShapeType S>
struct retensor<Tensor<float, A>, S> {
  using type = Tensor<float, S>;
};

template <class Section, class Input>
using section_output_t =
    std::remove_cvref_t<decltype(std::declval<const Section&>()(std::declval<const Input&>()))>;

// What an exit spec adds to each node of its tier (a head), and to the tier (a combining head
// when it concatenates).
template <class ExitSpec, ShapeType Features, std::size_t Nodes>
struct exit_parts {
  static constexpr bool exits = false;
  static constexpr bool concatenates = false;
  static constexpr std::size_t classes = 0;
  using head_layer = void;
  using combine_layer = char;
  using parameters_type = NoParameters;
  using combine_parameters_type = NoParameters;
};
template <class CombineHead, std::size_t Inputs>
struct combine_layer_of {
  static_assert(CombineHead::produces_logits,
                "an Exit's combining head must produce logits (e.g. Dense<C, Activation::none>)");
  using type = typename CombineHead::template bind<Vector<Inputs>>;
  static_assert(check_layer_kind<type>());
  using parameters_type = typename CombineHead::parameters_type;
};
template <std::size_t Inputs>
struct combine_layer_of<void, Inputs> {
  using type = char;
  using parameters_type = NoParameters;
};
template <class Head, class Combine, class Criterion, class CombineHead, ShapeType Features,
          std::size_t Nodes>
struct exit_parts<Exit<Head, Combine, Criterion, CombineHead>, Features, Nodes> {
  using spec = Exit<Head, Combine, Criterion, CombineHead>;
  static constexpr bool exits = true;
  static constexpr bool concatenates = spec::concatenates;
  static constexpr std::size_t classes = spec::classes;
  using head_layer = typename Head::template bind<Features>;
  using parameters_type = typename Head::parameters_type;
  using combine = Aggregator<Combine>;
  using criterion = Criterion;
  /// Concat only: the tier's head over the N*C concatenated logits.
  using combine_layer = typename combine_layer_of<CombineHead, Nodes * classes>::type;
  using combine_parameters_type =
      typename combine_layer_of<CombineHead, Nodes * classes>::parameters_type;
};

// Everything a tier needs, derived from its spec, the network and the tier below.
template <std::size_t Index, class Spec, class Network, ShapeType InputShape, class Input,
          std::size_t Begin, std::size_t End, std::size_t Children>
struct tier_traits_base {
  using spec = Spec;
  static constexpr std::size_t index = Index;
  static constexpr TierKind kind = Spec::kind;
  static constexpr bool is_cloud = kind == TierKind::cloud;
  static constexpr std::size_t nodes = Spec::count;
  static constexpr std::size_t children = Children;  ///< nodes below per node (devices: 1 sensor)
  static constexpr std::size_t begin = Begin, end = End;  ///< the network layers it runs
  using input_type = Input;
  using section = Section<InputShape, layer_range_t<Begin, End, Network>>;
  static_assert(section::template accepts<Input>,
                "a layer does not accept the tensors it is given at this tier: binary layers take "
                "bits, FirstConv takes the sensor's values, float layers take bits or floats");
  using output_type = section_output_t<section, Input>;
  using output_shape = typename output_type::shape;
  using exit = exit_parts<typename Spec::exit_spec, output_shape, Spec::count>;
  static constexpr bool has_exit = exit::exits;
};

template <class Network, class SensorSpec, class Spec>
struct device_tier_traits
    : tier_traits_base<0, Spec, Network, typename SensorSpec::input_shape,
                       Tensor<typename SensorSpec::value_type, typename SensorSpec::input_shape>, 0,
                       Spec::cut, 1> {
  static_assert(Spec::kind == TierKind::devices, "a DDNN's first tier must be a DeviceTier");
  static_assert(Spec::cut < Network::size,
                "DeviceTier's cut must leave at least one layer of the network for the cloud");
};

template <class Spec, class Network>
inline constexpr std::size_t cut_of = Spec::cut;
template <class F, class C, class Network>
inline constexpr std::size_t cut_of<CloudTier<F, C>, Network> = Network::size;

template <std::size_t Below, std::size_t Nodes>
inline constexpr std::size_t children_of = Below / Nodes;

template <std::size_t Index, class Network, class Spec, class Below>
struct upper_tier_checks {
  static_assert(Spec::kind != TierKind::devices, "only the first tier of a DDNN is a DeviceTier");
  static_assert(Below::nodes % Spec::count == 0,
                "an EdgeTier's node count must divide the node count of the tier below, so every "
                "edge aggregates an equal share");
  static_assert(cut_of<Spec, Network> > Below::end,
                "a tier's cut must lie above the cut of the tier below (each tier runs at least "
                "one layer)");
  static_assert(Spec::kind == TierKind::cloud || cut_of<Spec, Network> < Network::size,
                "an EdgeTier's cut must leave at least one layer of the network for the cloud");
  static constexpr bool ok = true;
};

template <std::size_t Index, class Network, class Spec, class Below>
requires upper_tier_checks<Index, Network, Spec, Below>::ok struct upper_tier_traits
    : tier_traits_base<Index, Spec, Network,
                       typename Spec::features::template output_shape<
                           children_of<Below::nodes, Spec::count>, typename Below::output_shape>,
                       typename retensor<typename Below::output_type,
                                         typename Spec::features::template output_shape<
                                             children_of<Below::nodes, Spec::count>,
                                             typename Below::output_shape>>::type,
                       Below::end, cut_of<Spec, Network>, children_of<Below::nodes, Spec::count>> {
};

template <std::size_t Index, class Network, class Done, class... Upper>
struct resolve_tiers {
  using type = Done;
};
template <std::size_t Index, class Network, class... Done, class Next, class... Rest>
struct resolve_tiers<Index, Network, std::tuple<Done...>, Next, Rest...> {
  using below = std::tuple_element_t<sizeof...(Done) - 1, std::tuple<Done...>>;
  using type =
      typename resolve_tiers<Index + 1, Network,
                             std::tuple<Done..., upper_tier_traits<Index, Network, Next, below>>,
                             Rest...>::type;
};

template <class Tuple>
struct tuple_last;
template <class... T>
struct tuple_last<std::tuple<T...>> {
  using type = std::tuple_element_t<sizeof...(T) - 1, std::tuple<T...>>;
};

template <class Tier>
using tier_message_t =
    TierMessage<Tier::index, typename Tier::output_type, Tier::nodes, Tier::exit::classes>;

template <class Tiers, std::size_t... I>
constexpr std::size_t edge_nodes(std::index_sequence<I...>) {
  return (std::size_t{0} + ... +
          (std::tuple_element_t<I, Tiers>::kind == TierKind::edge
               ? std::tuple_element_t<I, Tiers>::nodes
               : 0));
}
}  // namespace detail

DDNN_END_NAMESPACE
