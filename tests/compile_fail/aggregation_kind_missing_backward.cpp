// A new aggregation kind must bring every piece: here Min has no gradient, so using it in a
// tier is a compile error that names the missing piece (the control has all of Max's pieces).
// expect: an aggregation kind requires static backward\(grads, present, layout, grad_out, winner\)
#include "ddnn/graph/topology.hpp"

struct Min {
  static constexpr std::string_view name = "min";
  static constexpr bool concatenates = false;
  template <std::size_t N, ddnn::ShapeType S>
  using output_shape = S;
  static constexpr std::size_t output_size(std::size_t, ddnn::values_layout in) {
    return in.size();
  }
  static void forward(ddnn::aggregate_inputs, ddnn::Presence, ddnn::values_layout,
                      ddnn::value_domain, float*, std::uint8_t*) {}
#ifndef DDNN_COMPILE_FAIL
  static void backward(ddnn::aggregate_input_gradients, ddnn::Presence, ddnn::values_layout,
                       const float*, const std::uint8_t*) {}
#endif
  template <std::size_t N, ddnn::ShapeType S>
  static void combine_bits(std::span<const ddnn::BitTensor<S>, N>, ddnn::Presence,
                           ddnn::BitTensor<S>&) {}
  static double intermediate_bound(std::span<const double>) { return 0.0; }
};

using Cloud = ddnn::CloudTier<Min>;
static_assert(Cloud::count == 1);
