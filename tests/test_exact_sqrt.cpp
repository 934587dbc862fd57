// detail::exact_sqrt against std::sqrt, bit for bit: the vector body and the scalar tail, on
// random normal values, subnormals, zeros, infinity and NaN. This file is also compiled into
// ddnn_tests_native_avx2 (the AVX body) and into the aarch64 suite (the NEON body).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "ddnn/arch/exact_sqrt.hpp"

TEST_CASE("exact_sqrt: the same bits as std::sqrt, in the vector body and the tail") {
  std::mt19937 rng(7);
  std::vector<float> in;
  // every exponent of a float, random mantissas
  for (int e = -149; e < 128; ++e)
    for (int k = 0; k < 8; ++k)
      in.push_back(std::ldexp(1.0f + float(rng() % (1u << 23)) * 0x1.0p-23f, e));
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.0f, -0.0f, inf, std::numeric_limits<float>::denorm_min(),
                  std::numeric_limits<float>::min(), std::numeric_limits<float>::max(), 1.0f, 2.0f,
                  0.25f, 1e-40f, 3e-39f})
    in.push_back(v);
  for (std::size_t n : {in.size(), std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{5},
                        std::size_t{9}, std::size_t{17}}) {
    CAPTURE(n);
    std::vector<float> out(n, -1.0f);
    ddnn::detail::exact_sqrt(in.data(), out.data(), n);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < n; ++i)
      differ +=
          std::bit_cast<std::uint32_t>(out[i]) != std::bit_cast<std::uint32_t>(std::sqrt(in[i]));
    CHECK(differ == 0);
  }
  // in place, and a negative value or NaN gives NaN as std::sqrt does
  std::vector<float> x{4.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(), 9.0f, 2.0f};
  ddnn::detail::exact_sqrt(x.data(), x.data(), x.size());
  CHECK(x[0] == 2.0f);
  CHECK(std::isnan(x[1]));
  CHECK(std::isnan(x[2]));
  CHECK(x[3] == 3.0f);
  CHECK(x[4] == std::sqrt(2.0f));
}
