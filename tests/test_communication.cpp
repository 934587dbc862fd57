// Communication accounting equals the formula in docs/semantics.md: 4|C| bytes of logits always,
// the packed feature map (f * o / 8 bytes) only for samples that do not exit, raw input as the
// baseline.
#include <doctest/doctest.h>

#include <random>

#include "ddnn/graph/communication.hpp"

using namespace ddnn;

// The paper's MVMC device: 3 classes, f = 4 filters over 16 x 16 after pooling, 3x32x32 input.
using PaperDevice = DeviceLinks<3, Shape<16, 16, 4>, Shape<32, 32, 3>>;

TEST_CASE("the paper's device: 12 B of logits, 128 B of features, 3072 B raw") {
  static_assert(PaperDevice::logits_bytes == 12);
  static_assert(PaperDevice::feature_bytes == 128);
  static_assert(PaperDevice::raw_bytes == 3072);
  CHECK(PaperDevice::for_sample(true) == LinkBytes{12, 0, 3072});
  CHECK(PaperDevice::for_sample(false) == LinkBytes{12, 128, 3072});
  // The paper: at T = 0.8 (60.82% local exits) about 62 B per device per sample, ~49x less.
  const double bytes = PaperDevice::expected_bytes(0.6082);
  CHECK(bytes == doctest::Approx(12 + (1 - 0.6082) * 128));
  CHECK(bytes == doctest::Approx(62.2).epsilon(0.01));
  CHECK(3072 / bytes == doctest::Approx(49.4).epsilon(0.01));
}

TEST_CASE("the int8 logits link: 1 + |C| bytes of logits") {
  using Int8Device =
      DeviceLinks<3, Shape<16, 16, 4>, Shape<32, 32, 3>, std::uint8_t, LogitsEncoding::int8>;
  static_assert(Int8Device::logits_bytes == 4);
  CHECK(Int8Device::for_sample(false) == LinkBytes{4, 128, 3072});
  CHECK(Int8Device::expected_bytes(0.5) == doctest::Approx(4 + 64));
}

TEST_CASE("summing per-sample bytes over a run gives the paper's formula exactly") {
  using Device = DeviceLinks<10, Shape<14, 14, 5>, Shape<28, 28, 1>>;  // 980 bits -> 123 bytes
  static_assert(Device::feature_bytes == 123 && Device::logits_bytes == 40);
  std::mt19937 rng(5);
  LinkBytes total;
  const int samples = 1000;
  int exited = 0;
  for (int i = 0; i < samples; ++i) {
    const bool exits = rng() % 3 != 0;
    exited += exits;
    total += Device::for_sample(exits);
  }
  const double l = double(exited) / samples;
  CHECK(double(total.sent()) / samples == doctest::Approx(Device::expected_bytes(l)));
  CHECK(total.raw_offload == std::size_t(samples) * 784);
}

TEST_CASE("float sensors count 4 bytes per raw value") {
  static_assert(DeviceLinks<2, Vector<64>, Shape<8, 8, 1>, float>::raw_bytes == 256);
  static_assert(DeviceLinks<2, Vector<65>, Shape<8, 8, 1>, float>::feature_bytes == 9);
}
