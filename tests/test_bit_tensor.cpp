#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "ddnn/core/bit_tensor.hpp"

using namespace ddnn;

TEST_CASE("packing: bit 1 encodes +1, channels innermost, 64 per word") {
  using S = Shape<2, 3, 70>;
  static_assert(S::words_per_pixel == 2 && S::words == 12);
  std::vector<float> v(S::size);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = (i % 3 == 0) ? -0.5f : 2.0f;
  v[5] = 0.0f;  // zero packs as +1
  const auto t = pack_signs<S>(std::span<const float>(v));
  for (std::size_t y = 0; y < 2; ++y)
    for (std::size_t x = 0; x < 3; ++x)
      for (std::size_t c = 0; c < 70; ++c)
        CHECK(t.bit(y, x, c) == (v[(y * 3 + x) * 70 + c] >= 0.0f));
}

TEST_CASE("packing: padding bits of each pixel's last word stay zero") {
  using S = Shape<3, 2, 65>;
  std::vector<std::int8_t> v(S::size, 1);
  const auto t = pack_signs<S>(std::span<const std::int8_t>(v));
  for (std::size_t p = 0; p < S::pixels; ++p) {
    CHECK(t.words()[p * 2] == ~std::uint64_t{0});
    CHECK(t.words()[p * 2 + 1] == 1u);
  }
}

TEST_CASE("packing: uint8 is centred at 128") {
  using S = Vector<4>;
  const std::vector<std::uint8_t> v{0, 127, 128, 255};
  const auto t = pack_signs<S>(std::span<const std::uint8_t>(v));
  CHECK(t.words()[0] == 0b1100u);
}

TEST_CASE("bad input is a ddnn::error, never silent") {
  using S = Vector<3>;
  const std::vector<float> two{1.0f, 2.0f};
  CHECK_THROWS_AS((void)pack_signs<S>(std::span<const float>(two)), ddnn::error);
  const std::vector<float> nan{1.0f, NAN, 0.0f};
  CHECK_THROWS_AS((void)pack_signs<S>(std::span<const float>(nan)), ddnn::error);
  BitTensor<S> t;
  const std::vector<std::uint64_t> padding_set{0b1000};
  CHECK_THROWS_AS(t.assign_words(padding_set), ddnn::error);
  const std::vector<std::uint64_t> ok{0b101};
  t.assign_words(ok);
  CHECK(t.value(0, 0, 0) == 1);
  CHECK(t.value(0, 0, 1) == -1);
}
