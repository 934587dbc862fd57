// BinaryDense equals the float reference for bits (BatchNorm+sign) and logits (fma(scale, s, b))
// on every ISA this CPU runs, including inputs whose pixels have padding bits.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "ddnn/layers/binary_dense.hpp"
#include "reference.hpp"

using namespace ddnn;

template <class In, std::size_t N, Output O>
struct dense_case {
  using input = In;
  using spec = BinaryDense<N, O>;
};

#define DENSE_CASES                                                                               \
  dense_case<Vector<1>, 1, Output::bits>, dense_case<Vector<63>, 7, Output::bits>,                \
      dense_case<Vector<64>, 8, Output::logits>, dense_case<Shape<3, 5, 65>, 9, Output::bits>,    \
      dense_case<Vector<200>, 65, Output::logits>, dense_case<Vector<1024>, 256, Output::bits>,   \
      dense_case<Shape<4, 4, 3>, 10, Output::logits>, dense_case<Vector<4000>, 33, Output::bits>, \
      dense_case<Shape<16, 16, 4>, 3, Output::logits>

TEST_CASE_TEMPLATE("BinaryDense equals the float reference on every available ISA", Case,
                   DENSE_CASES) {
  using In = typename Case::input;
  using Spec = typename Case::spec;
  using Layer = typename Spec::template bind<In>;
  constexpr std::size_t N = Spec::outputs;
  std::mt19937 rng(std::uint32_t(In::size * 7 + N));
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);

  for (int trial = 0; trial < 3; ++trial) {
    const auto x = ref::random_signs(rng, In::size);
    DenseParameters params;
    params.weights = ref::random_signs(rng, Layer::weight_count);
    params.batchnorm = ref::random_bn(rng, int(N), float(In::size));
    for (std::size_t n = 0; n < N; ++n) {
      params.scale.push_back(unit(rng) * 0.1f);
      params.bias.push_back(unit(rng));
    }
    const auto sums = ref::dense(x, params.weights, int(N));
    const auto input = pack_signs<In>(std::span<const float>(x));

    for (isa_id isa : available_isas()) {
      CAPTURE(name(isa));
      const Layer layer(params, isa);
      const auto out = layer(input);
      if constexpr (Spec::produces == Output::logits) {
        for (std::size_t n = 0; n < N; ++n) {
          const float expected = std::fma(params.scale[n], sums[n], params.bias[n]);
          CHECK(std::memcmp(&out[n], &expected, sizeof(float)) == 0);
        }
      } else {
        const auto expected = ref::bn_sign(sums, int(N), params.batchnorm);
        for (std::size_t n = 0; n < N; ++n) CHECK(out.bit(0, 0, n) == expected[n]);
        CHECK((out.words()[out.words().size() - 1] &
               ~BitTensor<Vector<N>>::valid_mask(Vector<N>::words_per_pixel - 1)) == 0);
      }
    }
  }
}

TEST_CASE("BinaryDense rejects wrong sizes and non-finite parameters") {
  using Logits = BinaryDense<3, Output::logits>::bind<Vector<10>>;
  std::mt19937 rng(3);
  DenseParameters p{ref::random_signs(rng, 30), {}, {1, 1, 1}, {0, 0, 0}};
  CHECK_NOTHROW(Logits{p});
  DenseParameters bad = p;
  bad.scale[2] = INFINITY;
  CHECK_THROWS_AS(Logits{bad}, ddnn::error);
  bad = p;
  bad.bias.pop_back();
  CHECK_THROWS_AS(Logits{bad}, ddnn::error);
  using Bits = BinaryDense<3>::bind<Vector<10>>;
  CHECK_THROWS_AS(Bits{p}, ddnn::error);  // no BatchNorm given
}
