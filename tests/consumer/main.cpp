// A ddnn consumer: one BinaryDense layer (bits -> float logits) with known weights, run on every
// ISA this build contains and this CPU supports. Prints `ddnn-consumer OK` when every result is
// the exact integer XNOR-popcount dot product.
#include <ddnn/ddnn.hpp>

#include <cstdio>
#include <vector>

int main() {
  using In = ddnn::Vector<130>;  // three words, the last one partly padding
  constexpr std::size_t outputs = 5;
  using Layer = ddnn::BinaryDense<outputs, ddnn::Output::logits>::bind<In>;

  // Input: +1 everywhere except every 4th value. Weights of output n: -1 at every (n+2)th value.
  std::vector<float> x(In::size);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i % 4 == 0) ? -1.0f : 1.0f;
  ddnn::DenseParameters params;
  for (std::size_t n = 0; n < outputs; ++n) {
    for (std::size_t i = 0; i < In::size; ++i)
      params.weights.push_back(i % (n + 2) == 0 ? -1.0f : 1.0f);
    params.scale.push_back(1.0f);
    params.bias.push_back(0.0f);
  }
  std::vector<float> expected(outputs, 0.0f);
  for (std::size_t n = 0; n < outputs; ++n)
    for (std::size_t i = 0; i < In::size; ++i)
      expected[n] += x[i] * params.weights[n * In::size + i];

  const auto input = ddnn::pack_signs<In>(std::span<const float>(x));
  int failures = 0;
  const auto isas = ddnn::available_isas();
  for (ddnn::isa_id isa : isas) {
    const Layer layer(params, isa);
    const auto logits = layer(input);
    std::printf("ddnn-consumer isa=%-16.*s logits:", int(ddnn::name(isa).size()),
                ddnn::name(isa).data());
    for (std::size_t n = 0; n < outputs; ++n) {
      std::printf(" %g", double(logits[n]));
      if (logits[n] != expected[n]) ++failures;
    }
    std::printf("\n");
  }
  std::printf("ddnn-consumer best=%.*s isas=%zu version=%d.%d.%d\n",
              int(ddnn::name(ddnn::best_isa()).size()), ddnn::name(ddnn::best_isa()).data(),
              isas.size(), DDNN_VERSION_MAJOR, DDNN_VERSION_MINOR, DDNN_VERSION_PATCH);
  if (failures != 0 || isas.empty()) {
    std::printf("ddnn-consumer FAILED: %d wrong logits\n", failures);
    return 1;
  }
  std::printf("ddnn-consumer OK\n");
  return 0;
}
