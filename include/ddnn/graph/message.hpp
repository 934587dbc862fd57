// TierMessage: what the nodes of one tier send to the tier above for one sample — which nodes
// are present, each present node's feature map (packed bits or floats) and, when the tier has an
// exit, its exit-head logits. A message serialises to bytes so tiers can run on different
// machines; the byte counts are exactly what the communication accounting reports.
//
// Wire format (little-endian):
//   header  "DDNM", u8 format version (1), u8 tier index, u8 node count, u8 feature kind
//           (0 bits, 1 float32), u32 feature values per node, u16 classes (0: no logits),
//           u8 logits encoding (0 float32, 1 int8: exits/logits_link.hpp), u8 zero,
//           u64 presence mask
//   then for each present node in order: logits (classes x float32, or an exponent byte and
//           classes bytes), then features — bits densely packed LSB-first in HWC order,
//           ceil(values / 8) bytes, unused bits zero; or values x float32
#pragma once
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "ddnn/aggregate/aggregator.hpp"
#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/finite.hpp"
#include "ddnn/core/little_endian.hpp"
#include "ddnn/core/tensor.hpp"
#include "ddnn/exits/logits_link.hpp"

DDNN_BEGIN_NAMESPACE

/// Bytes a feature map takes on a link: bits packed densely (no per-pixel word padding), or
/// float32 values.
template <class Features>
inline constexpr std::size_t link_bytes_of = is_bit_tensor<Features>
                                                 ? (Features::shape::size + 7) / 8
                                                 : 4 * Features::shape::size;

namespace detail {
/// Bits of `t` in HWC order, densely packed LSB-first into `out` (link_bytes_of bytes).
template <ShapeType S>
void pack_dense(const BitTensor<S>& t, std::uint8_t* out) {
  std::vector<std::uint64_t> dense(words_for_bits(S::size) + 1, 0);
  for (std::size_t p = 0; p < S::pixels; ++p)
    copy_bits(t.data() + p * S::words_per_pixel, S::channels, dense.data(), p * S::channels);
  for (std::size_t i = 0; i < (S::size + 7) / 8; ++i)
    out[i] = std::uint8_t(dense[i / 8] >> (8 * (i % 8)));
}

/// The inverse of pack_dense; throws ddnn::error when an unused bit of the last byte is set.
template <ShapeType S>
void unpack_dense(const std::uint8_t* in, BitTensor<S>& t) {
  constexpr std::size_t bytes = (S::size + 7) / 8;
  if (S::size % 8 != 0 && (in[bytes - 1] >> (S::size % 8)) != 0)
    fail("message feature map has bits set beyond its " + std::to_string(S::size) + " values");
  std::vector<std::uint64_t> dense(words_for_bits(S::size) + 1, 0);
  for (std::size_t i = 0; i < bytes; ++i) dense[i / 8] |= std::uint64_t{in[i]} << (8 * (i % 8));
  for (std::uint64_t& w : t.words()) w = 0;
  for (std::size_t p = 0; p < S::pixels; ++p) {
    std::uint64_t* pixel = t.data() + p * S::words_per_pixel;
    for (std::size_t c = 0; c < S::channels; c += 64) {
      const std::size_t at = p * S::channels + c,
                        take = S::channels - c < 64 ? S::channels - c : 64;
      std::uint64_t chunk = dense[at / 64] >> (at % 64);
      if (at % 64 != 0) chunk |= dense[at / 64 + 1] << (64 - at % 64);
      if (take < 64) chunk &= (std::uint64_t{1} << take) - 1;
      pixel[c / 64] = chunk;
    }
  }
}

inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.resize(out.size() + 4);
  store_le(out.data() + out.size() - 4, v, 4);
}
inline void get_floats(const std::uint8_t* p, std::span<float> values, const char* what) {
  load_floats_le(p, values);
  if (first_non_finite(values) != values.size())
    fail(std::string("message ") + what + " has a NaN or Inf value");
}
}  // namespace detail

/// Tier `Tier`'s message: `Nodes` feature maps of type `Features` (BitTensor<S> or
/// Tensor<float, S>) and, when `Classes` > 0, as many logit vectors.
template <std::size_t Tier, class Features, std::size_t Nodes, std::size_t Classes>
struct TierMessage {
  static_assert(Nodes >= 1 && Nodes <= max_devices, "a tier has between 1 and 64 nodes");
  using features_type = Features;
  using logits_type = Tensor<float, Vector<(Classes > 0 ? Classes : 1)>>;
  static constexpr std::size_t tier = Tier;
  static constexpr std::size_t nodes = Nodes;
  static constexpr std::size_t classes = Classes;
  static_assert(Classes < 65536, "a message's class count is a u16");
  static constexpr std::size_t feature_bytes = link_bytes_of<Features>;
  /// Bytes of one node's logits sent as `encoding`.
  [[nodiscard]] static constexpr std::size_t logits_bytes(LogitsEncoding encoding) noexcept {
    return Classes > 0 ? logits_link_bytes(encoding, Classes) : 0;
  }
  static constexpr std::size_t header_bytes = 4 + 4 + 4 + 4 + 8;

  Presence present;                                           ///< nodes that sent something
  std::array<Features, Nodes> features;                       ///< valid for present nodes
  std::array<logits_type, (Classes > 0 ? Nodes : 0)> logits;  ///< valid for present nodes

  /// The wire bytes (format above), the logits sent as `encoding` (the sending tier's
  /// logits_link; the logits already rounded onto its grid, else ddnn::error).
  [[nodiscard]] std::vector<std::uint8_t> serialize(
      LogitsEncoding encoding = LogitsEncoding::float32) const {
    present.check_within(Nodes);
    const std::size_t logit_bytes = logits_bytes(encoding);
    std::vector<std::uint8_t> out;
    out.reserve(header_bytes + present.count(Nodes) * (logit_bytes + feature_bytes));
    for (char c : {'D', 'D', 'N', 'M'}) out.push_back(std::uint8_t(c));
    out.push_back(1);
    out.push_back(std::uint8_t(Tier));
    out.push_back(std::uint8_t(Nodes));
    out.push_back(is_bit_tensor<Features> ? 0 : 1);
    detail::put_u32(out, std::uint32_t(Features::shape::size));
    out.push_back(std::uint8_t(Classes));
    out.push_back(std::uint8_t(Classes >> 8));
    out.push_back(std::uint8_t(Classes > 0 ? encoding : LogitsEncoding::float32));
    out.push_back(0);
    detail::put_u32(out, std::uint32_t(present.bits()));
    detail::put_u32(out, std::uint32_t(present.bits() >> 32));
    for (std::size_t n = 0; n < Nodes; ++n) {
      if (!present[n]) continue;
      if constexpr (Classes > 0) {
        const std::size_t at = out.size();
        out.resize(at + logit_bytes);
        write_logits(encoding, logits[n].values(), out.data() + at);
      }
      const std::size_t at = out.size();
      out.resize(at + feature_bytes);
      if constexpr (is_bit_tensor<Features>)
        detail::pack_dense(features[n], out.data() + at);
      else
        detail::store_floats_le(out.data() + at, features[n].values());
    }
    return out;
  }

  /// Parses wire bytes; throws ddnn::error unless they are exactly a message of this type with
  /// its logits sent as `encoding` (the sending tier's logits_link).
  [[nodiscard]] static TierMessage parse(std::span<const std::uint8_t> bytes,
                                         LogitsEncoding encoding = LogitsEncoding::float32) {
    if (bytes.size() < header_bytes) detail::fail("message is truncated (no complete header)");
    const std::uint8_t* p = bytes.data();
    if (std::memcmp(p, "DDNM", 4) != 0) detail::fail("message does not start with DDNM");
    if (p[4] != 1) detail::fail("message format version " + std::to_string(p[4]) + " is not 1");
    auto expect = [](std::uint64_t got, std::uint64_t want, const char* what) {
      if (got != want)
        detail::fail(std::string("message ") + what + " is " + std::to_string(got) +
                     ", this tier's message type has " + std::to_string(want));
    };
    expect(p[5], Tier, "tier index");
    expect(p[6], Nodes, "node count");
    expect(p[7], is_bit_tensor<Features> ? 0 : 1, "feature kind");
    expect(detail::load_le(p + 8, 4), Features::shape::size, "feature size");
    expect(detail::load_le(p + 12, 2), Classes, "class count");
    const LogitsEncoding sent = Classes > 0 ? encoding : LogitsEncoding::float32;
    if (p[14] != std::uint8_t(sent))
      detail::fail("message logits encoding is " + std::to_string(p[14]) + ", this tier sends " +
                   std::string(name_of(sent)) + " (" + std::to_string(unsigned(sent)) + ")");
    if (p[15] != 0) detail::fail("message header byte 15 is not zero");
    const std::size_t logit_bytes = logits_bytes(sent);
    TierMessage m;
    m.present = Presence(detail::load_le(p + 16, 8));
    m.present.check_within(Nodes);
    const std::size_t want = header_bytes + m.present.count(Nodes) * (logit_bytes + feature_bytes);
    if (bytes.size() != want)
      detail::fail("message has " + std::to_string(bytes.size()) + " bytes, its header implies " +
                   std::to_string(want));
    p += header_bytes;
    for (std::size_t n = 0; n < Nodes; ++n) {
      if (!m.present[n]) continue;
      if constexpr (Classes > 0) {
        read_logits(sent, p, m.logits[n].values(), "message logits");
        p += logit_bytes;
      }
      if constexpr (is_bit_tensor<Features>)
        detail::unpack_dense(p, m.features[n]);
      else
        detail::get_floats(p, m.features[n].values(), "features");
      p += feature_bytes;
    }
    return m;
  }
};

DDNN_END_NAMESPACE
