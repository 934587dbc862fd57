// MaxPool on packed bits equals a float max-pool of the +1/-1 values (padding never wins), for
// channel counts that leave padding bits in a pixel's last word.
#include <doctest/doctest.h>

#include <random>

#include "ddnn/layers/max_pool.hpp"
#include "reference.hpp"

using namespace ddnn;

template <class In, class Pool>
struct pool_case {
  using input = In;
  using pool = Pool;
};

TEST_CASE_TEMPLATE("MaxPool on bits equals the float max-pool of +1/-1 values", Case,
                   pool_case<Shape<16, 16, 4>, MaxPool<3, 2, 1>>,
                   pool_case<Shape<7, 9, 65>, MaxPool<2, 2, 0>>,
                   pool_case<Shape<5, 6, 130>, MaxPool<3, 1, 1>>,
                   pool_case<Shape<4, 4, 1>, MaxPool<4, 4, 0>>,
                   pool_case<Shape<9, 3, 64>, MaxPool<1, 1, 0>>) {
  using In = typename Case::input;
  using Pool = typename Case::pool;
  using Out = typename Pool::template output_shape<In>;
  std::mt19937 rng{std::uint32_t(In::size)};
  for (int trial = 0; trial < 4; ++trial) {
    const auto values = ref::random_signs(rng, In::size);
    ref::dims out_dims{};
    const auto expected =
        ref::max_pool(values, {int(In::height), int(In::width), int(In::channels)},
                      int(Pool::kernel), int(Pool::stride), int(Pool::pad), out_dims);
    REQUIRE(std::size_t(out_dims.h) == Out::height);
    REQUIRE(std::size_t(out_dims.w) == Out::width);
    const auto input = pack_signs<In>(std::span<const float>(values));
    BitTensor<Out> out;
    Pool::forward(input, out);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::size_t c = i % Out::channels, pixel = i / Out::channels;
      CHECK(out.value(pixel / Out::width, pixel % Out::width, c) == int(expected[i]));
    }
  }
}
