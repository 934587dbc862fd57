// Communication accounting for one device (docs/semantics.md): the bytes each link carries
// for one sample, known at compile time from the shapes at the device's cut.
//   device -> local aggregator: |C| logits as float32, always             4 |C|
//                               (on the int8 logits link: 1 + |C|, exits/logits_link.hpp)
//   device -> cloud: the packed feature map, only if the sample did not exit   ceil(f * o / 8)
//   raw-offload baseline: the device's raw input, sizeof(value) per value
// Over a set of samples with local-exit fraction l this is the paper's c = 4|C| + (1 - l) f o / 8.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ddnn/core/shape.hpp"
#include "ddnn/exits/logits_link.hpp"

DDNN_BEGIN_NAMESPACE

/// Bytes one node's links carried for one sample (a device's, or an edge's in a three-tier graph).
struct LinkBytes {
  std::size_t logits = 0;       ///< exit-head logits sent to its tier's exit aggregator
  std::size_t features = 0;     ///< the packed feature map sent to the tier above (not exited)
  std::size_t raw_offload = 0;  ///< what sending the raw input instead would have cost
  [[nodiscard]] constexpr std::size_t sent() const noexcept { return logits + features; }
  constexpr LinkBytes& operator+=(const LinkBytes& o) noexcept {
    logits += o.logits;
    features += o.features;
    raw_offload += o.raw_offload;
    return *this;
  }
  friend constexpr bool operator==(const LinkBytes&, const LinkBytes&) noexcept = default;
};

/// A device whose exit head has `Classes` outputs sent over `Link`, whose cut sends a bit map of
/// shape `Features`, and whose raw input is `RawInput` values of type `RawValue`.
template <std::size_t Classes, ShapeType Features, ShapeType RawInput,
          class RawValue = std::uint8_t, LogitsEncoding Link = LogitsEncoding::float32>
struct DeviceLinks {
  static constexpr std::size_t logits_bytes = logits_link_bytes(Link, Classes);
  /// Feature bits packed densely for transmission (no per-pixel word padding).
  static constexpr std::size_t feature_bytes = (Features::size + 7) / 8;
  static constexpr std::size_t raw_bytes = RawInput::size * sizeof(RawValue);

  /// The bytes for one sample that exited locally (or went on to the cloud).
  [[nodiscard]] static constexpr LinkBytes for_sample(bool exited_locally) noexcept {
    return {logits_bytes, exited_locally ? 0 : feature_bytes, raw_bytes};
  }
  /// The paper's expected bytes per sample for local-exit fraction l in [0, 1].
  [[nodiscard]] static constexpr double expected_bytes(double local_exit_fraction) noexcept {
    return double(logits_bytes) + (1.0 - local_exit_fraction) * double(feature_bytes);
  }
};

DDNN_END_NAMESPACE
