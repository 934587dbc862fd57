// A layer kind that is trained needs a training twin, Trainable<Layer>, in train/: here the
// twin of a BinaryDense logit head is missing its export, so building a trainable chain over it
// is a compile error that names the missing piece (the control's twin is complete).
// expect: a layer kind's training twin Trainable<Layer> requires
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/train/trainable.hpp"

using Head = ddnn::BinaryDense<10, ddnn::Output::logits>::bind<ddnn::Vector<64>>;

template <>
class ddnn::train::Trainable<Head> {
 public:
  explicit Trainable(ddnn::detail::random_stream&) {}
  Matrix forward(const Matrix& x, const RunContext&) { return x; }
  Matrix backward(const Matrix& d, bool, const RunContext&) { return d; }
  void parameters(std::vector<ParameterRef>&, const std::string&) {}
  void zero_grad() {}
#ifndef DDNN_COMPILE_FAIL
  [[nodiscard]] ddnn::DenseParameters exported() const { return {}; }
#endif
};

int main() {
  ddnn::detail::random_stream r(1);
  ddnn::train::TrainableChain<std::tuple<Head>> chain(r);
  (void)chain;
}
