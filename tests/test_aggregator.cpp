// Aggregator<Max|Avg|Concat> over logits and packed bits, with presence masks: element-wise
// definitions checked value by value, including one present device and none present.
#include <doctest/doctest.h>

#include <array>
#include <random>

#include "ddnn/aggregate/aggregator.hpp"
#include "reference.hpp"

using namespace ddnn;

namespace {
template <std::size_t N, class S>
std::array<Tensor<float, S>, N> random_logits(std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 2.0f);
  std::array<Tensor<float, S>, N> t;
  for (auto& x : t)
    for (float& v : x.values()) v = d(rng);
  return t;
}
template <std::size_t N, class S>
std::array<BitTensor<S>, N> random_bits(std::mt19937& rng) {
  std::array<BitTensor<S>, N> t;
  for (auto& x : t) pack_signs(std::span<const float>(ref::random_signs(rng, S::size)), x);
  return t;
}
}  // namespace

TEST_CASE("logits: Max and Avg over present devices only, Concat places and fills") {
  constexpr std::size_t N = 6;
  using S = Vector<3>;
  std::mt19937 rng(1);
  const auto in = random_logits<N, S>(rng);
  for (std::uint64_t mask = 1; mask < (1u << N); mask += 5) {
    const Presence present(mask);
    Tensor<float, S> max_out, avg_out;
    Tensor<float, Vector<N * 3>> cat_out;
    REQUIRE(Aggregator<Max>::combine(in, present, max_out));
    REQUIRE(Aggregator<Avg>::combine(in, present, avg_out));
    REQUIRE(Aggregator<Concat>::combine(in, present, cat_out));
    for (std::size_t c = 0; c < 3; ++c) {
      float m = -INFINITY, sum = 0.0f;
      for (std::size_t d = 0; d < N; ++d)
        if (present[d]) m = std::max(m, in[d][c]), sum = sum + in[d][c];
      CHECK(max_out[c] == m);
      CHECK(avg_out[c] == sum / float(present.count(N)));
      for (std::size_t d = 0; d < N; ++d)
        CHECK(cat_out[d * 3 + c] == (present[d] ? in[d][c] : 0.0f));
    }
  }
}

TEST_CASE("one present device: every aggregator passes it through (Concat fills the rest)") {
  std::mt19937 rng(2);
  const auto in = random_logits<4, Vector<5>>(rng);
  Tensor<float, Vector<5>> out;
  REQUIRE(Aggregator<Max>::combine(in, Presence{}.set(2), out));
  for (std::size_t i = 0; i < 5; ++i) CHECK(out[i] == in[2][i]);
  REQUIRE(Aggregator<Avg>::combine(in, Presence{}.set(2), out));
  for (std::size_t i = 0; i < 5; ++i) CHECK(out[i] == in[2][i]);
  const auto bits = random_bits<4, Shape<2, 2, 70>>(rng);
  BitTensor<Shape<2, 2, 70>> b;
  REQUIRE(Aggregator<Avg>::combine(bits, Presence{}.set(3), b));
  CHECK(b == bits[3]);
  REQUIRE(Aggregator<Max>::combine(bits, Presence{}.set(3), b));
  CHECK(b == bits[3]);
}

TEST_CASE("no device present: an explicit 'no answer' and a defined output, never garbage") {
  std::mt19937 rng(3);
  const auto in = random_logits<3, Vector<4>>(rng);
  Tensor<float, Vector<4>> out;
  for (float& v : out.values()) v = 42.0f;
  CHECK_FALSE(Aggregator<Max>::combine(in, Presence{}, out));
  for (float v : out.values()) CHECK(v == 0.0f);
  Tensor<float, Vector<12>> cat;
  CHECK_FALSE(Aggregator<Concat>::combine(in, Presence{}, cat));
  const auto bits = random_bits<3, Shape<3, 3, 5>>(rng);
  BitTensor<Shape<3, 3, 5>> b;
  CHECK_FALSE(Aggregator<Avg>::combine(bits, Presence{}, b));
  for (auto w : b.words()) CHECK(w == 0u);
  // a presence bit beyond the devices that exist is misuse
  CHECK_THROWS_AS((void)Aggregator<Max>::combine(in, Presence{}.set(5), out), ddnn::error);
}

TEST_CASE("bits: Max is OR, Avg is majority with ties to +1, Concat stacks channels") {
  constexpr std::size_t N = 4;
  using S = Shape<3, 2, 67>;  // a pixel's last word has padding bits
  std::mt19937 rng(4);
  const auto in = random_bits<N, S>(rng);
  for (std::uint64_t mask : {0xfull, 0x5ull, 0x6ull, 0x1ull, 0xeull}) {
    const Presence present(mask);
    BitTensor<S> max_out, avg_out;
    BitTensor<Shape<3, 2, N * 67>> cat_out;
    REQUIRE(Aggregator<Max>::combine(in, present, max_out));
    REQUIRE(Aggregator<Avg>::combine(in, present, avg_out));
    REQUIRE(Aggregator<Concat>::combine(in, present, cat_out));
    for (std::size_t y = 0; y < 3; ++y)
      for (std::size_t x = 0; x < 2; ++x)
        for (std::size_t c = 0; c < 67; ++c) {
          int best = -1, sum = 0;
          for (std::size_t d = 0; d < N; ++d)
            if (present[d])
              best = std::max(best, in[d].value(y, x, c)), sum += in[d].value(y, x, c);
          CHECK(max_out.value(y, x, c) == best);
          CHECK(avg_out.value(y, x, c) == (sum >= 0 ? 1 : -1));  // tie (sum 0) -> +1
          for (std::size_t d = 0; d < N; ++d)
            CHECK(cat_out.value(y, x, d * 67 + c) == (present[d] ? in[d].value(y, x, c) : -1));
        }
    for (std::size_t p = 0; p < S::pixels; ++p)  // padding bits stay clear
      CHECK((avg_out.words()[p * 2 + 1] & ~BitTensor<S>::valid_mask(1)) == 0u);
  }
}

TEST_CASE_TEMPLATE("bits Avg is the majority and Concat stacks channels for many devices", Devices,
                   std::integral_constant<std::size_t, 7>,
                   std::integral_constant<std::size_t, 64>) {
  constexpr std::size_t N = Devices::value;
  using S = Shape<2, 3, 129>;
  std::mt19937 rng{std::uint32_t(N)};
  const auto in = random_bits<N, S>(rng);
  for (int trial = 0; trial < 6; ++trial) {
    const Presence present(trial == 0
                               ? Presence::all(N).bits()
                               : (rng() | (std::uint64_t(rng()) << 32)) & Presence::all(N).bits());
    if (present.none(N)) continue;
    BitTensor<S> avg;
    BitTensor<Shape<2, 3, N * 129>> cat;
    REQUIRE(Aggregator<Avg>::combine(in, present, avg));
    REQUIRE(Aggregator<Concat>::combine(in, present, cat));
    for (std::size_t y = 0; y < 2; ++y)
      for (std::size_t x = 0; x < 3; ++x)
        for (std::size_t c = 0; c < 129; ++c) {
          int sum = 0;
          for (std::size_t d = 0; d < N; ++d) {
            if (present[d]) sum += in[d].value(y, x, c);
            REQUIRE(cat.value(y, x, d * 129 + c) == (present[d] ? in[d].value(y, x, c) : -1));
          }
          REQUIRE(avg.value(y, x, c) == (sum >= 0 ? 1 : -1));
        }
  }
}
