// The logits link (exits/logits_link.hpp): the int8 rule's rounding against a plain double
// reference, its edge cases, and the writer and reader agreeing exactly and refusing what is not
// theirs.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "check_error.hpp"
#include "ddnn/exits/logits_link.hpp"

using namespace ddnn;

namespace {

/// The int8 rule, written plainly in double with libm: the smallest e >= -126 with
/// round(m / 2^e) <= 127, q = round(x / 2^e) halves away from zero.
std::vector<float> reference_round(const std::vector<float>& x) {
  double m = 0;
  for (float v : x) m = std::max(m, std::fabs(double(v)));
  int e = 0;
  if (m != 0) {
    e = -126;
    while (std::round(m / std::ldexp(1.0, e)) > 127) ++e;
  }
  std::vector<float> out;  // q is an integer: a zero is +0, as the wire's q * 2^e gives it
  for (float v : x)
    out.push_back(float(double(std::lround(double(v) / std::ldexp(1.0, e))) * std::ldexp(1.0, e)));
  return out;
}

std::vector<std::uint8_t> written(LogitsEncoding e, const std::vector<float>& x) {
  std::vector<std::uint8_t> out(logits_link_bytes(e, x.size()));
  write_logits(e, x, out.data());
  return out;
}

std::vector<float> read_back(LogitsEncoding e, const std::vector<std::uint8_t>& bytes,
                             std::size_t n) {
  std::vector<float> x(n);
  read_logits(e, bytes.data(), x, "test logits");
  return x;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("int8 link: rounding equals a plain reference over many scales") {
  std::mt19937 rng(41);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> scale(-140, 125), classes(1, 20);
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<float> x(std::size_t(classes(rng)));
    const float s = std::ldexp(1.0f, scale(rng));
    for (float& v : x) v = unit(rng) * s;
    if (trial % 7 == 0) x[0] = 0.0f;
    if (trial % 11 == 0)  // exact halves between grid points
      for (float& v : x) v = std::round(v * 4.0f) / 4.0f;
    std::vector<float> rounded = x;
    round_to_int8_link(rounded);
    REQUIRE(same_bits(rounded, reference_round(x)));
    // rounding is idempotent, writing is exact and reading gives the same bits
    std::vector<float> again = rounded;
    round_to_int8_link(again);
    CHECK(same_bits(again, rounded));
    const auto bytes = written(LogitsEncoding::int8, rounded);
    CHECK(bytes.size() == 1 + x.size());
    CHECK(same_bits(read_back(LogitsEncoding::int8, bytes, x.size()), rounded));
  }
}

TEST_CASE("int8 link: edge cases") {
  SUBCASE("all zero sends exponent 0") {
    std::vector<float> z(4, 0.0f);
    round_to_int8_link(z);
    CHECK(written(LogitsEncoding::int8, z) == std::vector<std::uint8_t>{0, 0, 0, 0, 0});
  }
  SUBCASE("127 fits at exponent 0, 127.5 needs exponent 1") {
    std::vector<float> a{127.0f, -3.0f};
    round_to_int8_link(a);
    CHECK(written(LogitsEncoding::int8, a) == std::vector<std::uint8_t>{0, 127, 0xfd});
    std::vector<float> b{127.5f, 1.0f};  // 63.75 -> 64, 0.5 -> 1 (half away from zero)
    round_to_int8_link(b);
    CHECK(b == std::vector<float>{128.0f, 2.0f});
    CHECK(written(LogitsEncoding::int8, b) == std::vector<std::uint8_t>{1, 64, 1});
    std::vector<float> c{-0.25f, 8.0f};  // m = 8: e = -3, q = -2 and 64
    round_to_int8_link(c);
    CHECK(c == std::vector<float>{-0.25f, 8.0f});
  }
  SUBCASE("tiny logits stop at exponent -126") {
    std::vector<float> t{3e-37f, -1e-40f, std::numeric_limits<float>::denorm_min()};
    std::vector<float> r = t;
    round_to_int8_link(r);
    CHECK(same_bits(r, reference_round(t)));
    const auto bytes = written(LogitsEncoding::int8, r);
    CHECK(std::int8_t(bytes[0]) == -126);
    CHECK(same_bits(read_back(LogitsEncoding::int8, bytes, 3), r));
  }
  SUBCASE("the largest float logits round, beyond the limit they are refused") {
    std::vector<float> big{1e38f, -3e38f};
    round_to_int8_link(big);
    CHECK(std::isfinite(big[1]));
    CHECK(same_bits(read_back(LogitsEncoding::int8, written(LogitsEncoding::int8, big), 2), big));
    std::vector<float> too_big{std::numeric_limits<float>::max()};
    CHECK_ERROR(round_to_int8_link(too_big), "has no int8 link form");
    std::vector<float> nan{1.0f, std::numeric_limits<float>::quiet_NaN()};
    CHECK_ERROR(round_to_int8_link(nan), "has no int8 link form");
  }
}

TEST_CASE("logits link: the writer refuses what it cannot send, the reader what it did not write") {
  const std::vector<float> third{1.0f / 3.0f, 1.0f};
  CHECK_ERROR((void)written(LogitsEncoding::int8, third), "not on the int8 link's grid");
  CHECK_ERROR((void)written(LogitsEncoding::float32, {std::numeric_limits<float>::infinity()}),
              "NaN or infinite");
  // float32 is the values' bytes, little-endian
  CHECK(written(LogitsEncoding::float32, {1.0f}) == std::vector<std::uint8_t>{0, 0, 0x80, 0x3f});
  CHECK_ERROR((void)read_back(LogitsEncoding::float32, {0, 0, 0xc0, 0x7f}, 1),
              "test logits has a NaN or infinite value at index 0");

  const std::vector<std::uint8_t> good{std::uint8_t(-3), 100, std::uint8_t(-7)};  // 12.5, -0.875
  CHECK(read_back(LogitsEncoding::int8, good, 2) == std::vector<float>{12.5f, -0.875f});
  auto bad = [&](std::vector<std::uint8_t> b, const char* says) {
    CHECK_ERROR((void)read_back(LogitsEncoding::int8, b, 2), says);
  };
  bad({std::uint8_t(-3), 0x80, 1}, "int8 value -128");
  bad({std::uint8_t(-2), 50, 1}, "where its values call for -3");  // largest below 64: not minimal
  bad({std::uint8_t(-127), 100, 1}, "outside [-126, 122]");
  bad({123, 100, 1}, "outside [-126, 122]");
  bad({122, 64, 1}, "beyond the int8 link's range");  // 64 * 2^122 = 2^128
  CHECK(read_back(LogitsEncoding::int8, {0, 0, 0}, 2) == std::vector<float>{0.0f, 0.0f});
  bad({5, 0, 0}, "where its values call for 0");  // all zero sends exponent 0
}

TEST_CASE("logits link: names and sizes") {
  CHECK(name_of(LogitsEncoding::int8) == "int8");
  CHECK(logits_encoding_named("float32") == LogitsEncoding::float32);
  CHECK(logits_encoding_named("int8") == LogitsEncoding::int8);
  CHECK_FALSE(logits_encoding_named("int4"));
  static_assert(logits_link_bytes(LogitsEncoding::float32, 10) == 40);
  static_assert(logits_link_bytes(LogitsEncoding::int8, 10) == 11);
}
