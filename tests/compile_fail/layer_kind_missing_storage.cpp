// A new layer kind must bring every piece: here Invert (a layer that flips every bit) does not
// say what it stores, so binding it in a network is a compile error that names the missing
// piece (the control has all of them).
// expect: a layer kind requires `static constexpr parameter_storage storage`
#include "ddnn/graph/section.hpp"
#include "ddnn/layers/binary_dense.hpp"

template <ddnn::ShapeType In>
class InvertLayer
    : public ddnn::detail::returns_output<InvertLayer<In>, ddnn::BitTensor<In>> {
 public:
  using input_shape = In;
  using output_shape = In;
  using output_type = ddnn::BitTensor<In>;
  using spec_type = void;
  using parameters_type = ddnn::NoParameters;
  static constexpr std::string_view kind = "Invert";
  static constexpr bool is_float = false;
  static constexpr ddnn::layer_description description() {
    ddnn::layer_description d;
    d.shape = ddnn::layer_description::form::pool;
    d.kind = kind;
    return d;
  }
  static constexpr ddnn::NoParameters expectation() { return {}; }
  static ddnn::NoParameters random_parameters(ddnn::detail::random_stream&) { return {}; }
#ifndef DDNN_COMPILE_FAIL
  static constexpr ddnn::parameter_storage storage{0, 0};
#endif
  explicit InvertLayer(const ddnn::NoParameters& = {}, ddnn::isa_id = ddnn::isa_id::scalar) {}
  void forward(const ddnn::BitTensor<In>& in, ddnn::BitTensor<In>& out) const {
    for (std::size_t w = 0; w < In::words; ++w) out.data()[w] = ~in.data()[w];
  }
};

struct Invert {
  using parameters_type = ddnn::NoParameters;
  static constexpr bool produces_logits = false;
  template <ddnn::ShapeType In>
  using output_shape = In;
  template <ddnn::ShapeType In>
  using bind = InvertLayer<In>;
};

using Net = ddnn::Section<ddnn::Shape<4, 4, 8>,
                          ddnn::Layers<Invert, ddnn::BinaryDense<10, ddnn::Output::logits>>>;
static_assert(Net::accepts<ddnn::BitTensor<ddnn::Shape<4, 4, 8>>>);
