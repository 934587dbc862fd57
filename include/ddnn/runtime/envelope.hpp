// The envelope every runtime message travels in: which kind of payload follows, which node sent
// it, for which model and which sample, and which attempt of that sample it answers. A receiver
// opens the envelope before it looks at the payload, so a message from a node running another
// model, from another format version or cut short on the way is refused with a ddnn::error
// before any payload decoder (runtime/payloads.hpp) sees it.
//
// Wire format (little-endian, envelope_bytes = 30):
//   offset  0  4  magic "DDNE"
//   offset  4  1  u8  envelope version (1)
//   offset  5  1  u8  message kind (message_kind: 1 logits .. 8 node_step)
//   offset  6  2  u16 node id of the sender
//   offset  8  8  u64 model id (io/model_id.hpp)
//   offset 16  8  u64 sample id
//   offset 24  2  u16 attempt (a retried sample gets the next attempt number)
//   offset 26  4  u32 payload length
//   offset 30     exactly `payload length` bytes of payload
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ddnn/core/config.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/little_endian.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// Bytes of the envelope header; the payload follows it.
inline constexpr std::size_t envelope_bytes = 30;
/// The envelope format version this ddnn writes and reads.
inline constexpr std::uint8_t envelope_version = 1;

/// What the payload of an envelope holds (runtime/payloads.hpp has a codec for each).
enum class message_kind : std::uint8_t {
  logits = 1,           ///< a node's exit-head logits for a sample
  feature_request = 2,  ///< "send me your features for this sample" (empty payload)
  features = 3,         ///< one node's feature map
  tier_message = 4,     ///< a whole tier's TierMessage (graph/message.hpp)
  answer = 5,           ///< the network's answer for a sample
  status = 6,           ///< a node going online or offline
  edge_request = 7,     ///< an edge node's share of a tier message: its children's feature maps
  node_step = 8,        ///< one upper-tier node's logits and feature map, for its tier's join
};

/// The kind's name, for messages and logs ("unknown" for a value outside message_kind).
[[nodiscard]] constexpr std::string_view name_of(message_kind kind) noexcept {
  switch (kind) {
    case message_kind::logits:
      return "logits";
    case message_kind::feature_request:
      return "feature_request";
    case message_kind::features:
      return "features";
    case message_kind::tier_message:
      return "tier_message";
    case message_kind::answer:
      return "answer";
    case message_kind::status:
      return "status";
    case message_kind::edge_request:
      return "edge_request";
    case message_kind::node_step:
      return "node_step";
  }
  return "unknown";
}

/// The envelope header's fields (magic, version and payload length are implied).
struct envelope {
  message_kind kind = message_kind::status;
  std::uint16_t node = 0;     ///< the sender's node id
  std::uint64_t model = 0;    ///< the sender's model id (io/model_id.hpp)
  std::uint64_t sample = 0;   ///< which sample the payload belongs to
  std::uint16_t attempt = 0;  ///< which try of that sample (a retry increments it)

  friend bool operator==(const envelope&, const envelope&) = default;
};

/// An opened envelope: its header and its payload, a view into the bytes given to open() (valid
/// as long as they are).
struct opened {
  envelope header;
  std::span<const std::uint8_t> payload;
};

namespace detail {
using ddnn::detail::load_le;
using ddnn::detail::store_le;
/// "0x" and 16 lower-case hex digits: model ids are hashes, so all digits are shown.
inline std::string model_id_hex(std::uint64_t v) {
  std::string s = "0x0000000000000000";
  for (std::size_t i = 0; i < 16; ++i) s[17 - i] = "0123456789abcdef"[(v >> (4 * i)) & 0xf];
  return s;
}
[[nodiscard]] constexpr bool is_known(message_kind kind) noexcept {
  return name_of(kind) != "unknown";
}
}  // namespace detail

/// The wire bytes of `header` followed by `payload`. Throws ddnn::error for a kind outside
/// message_kind or a payload of 4 GiB or more (neither could be opened again).
[[nodiscard]] inline std::vector<std::uint8_t> seal(const envelope& header,
                                                    std::span<const std::uint8_t> payload) {
  if (!detail::is_known(header.kind))
    ddnn::detail::fail("envelope kind " + std::to_string(unsigned(header.kind)) +
                       " is not a message_kind");
  if (payload.size() > std::size_t{std::numeric_limits<std::uint32_t>::max()})
    ddnn::detail::fail("envelope payload of " + std::to_string(payload.size()) +
                       " bytes does not fit its u32 length");
  std::vector<std::uint8_t> out(envelope_bytes + payload.size());
  std::uint8_t* p = out.data();
  std::memcpy(p, "DDNE", 4);
  p[4] = envelope_version;
  p[5] = std::uint8_t(header.kind);
  detail::store_le(p + 6, header.node, 2);
  detail::store_le(p + 8, header.model, 8);
  detail::store_le(p + 16, header.sample, 8);
  detail::store_le(p + 24, header.attempt, 2);
  detail::store_le(p + 26, payload.size(), 4);
  if (!payload.empty()) std::memcpy(p + envelope_bytes, payload.data(), payload.size());
  return out;
}

/// The model id an envelope names when its header is at least complete and starts with the
/// magic, without checking the rest: what tells a message for another model from a malformed one.
[[nodiscard]] inline std::optional<std::uint64_t> model_of(
    std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < envelope_bytes || std::memcmp(bytes.data(), "DDNE", 4) != 0)
    return std::nullopt;
  return detail::load_le(bytes.data() + 8, 8);
}

/// Opens wire bytes: checks magic, version, kind, that the payload length matches the bytes
/// exactly and that the message is for `expected_model` — the model this node runs; a node
/// running another model must never feed its numbers into ours. Throws ddnn::error otherwise.
/// The payload is a view into `bytes`; decoding it is the caller's (runtime/payloads.hpp).
[[nodiscard]] inline opened open(std::span<const std::uint8_t> bytes,
                                 std::uint64_t expected_model) {
  using ddnn::detail::fail;
  if (bytes.size() < envelope_bytes)
    fail("envelope is truncated: " + std::to_string(bytes.size()) +
         " bytes, its header alone has " + std::to_string(envelope_bytes));
  const std::uint8_t* p = bytes.data();
  if (std::memcmp(p, "DDNE", 4) != 0) fail("envelope does not start with DDNE");
  if (p[4] != envelope_version)
    fail("envelope version " + std::to_string(p[4]) + " is not supported (this ddnn reads " +
         std::to_string(envelope_version) + ")");
  const auto kind = message_kind(p[5]);
  if (!detail::is_known(kind)) fail("envelope kind " + std::to_string(p[5]) + " is unknown");
  const std::uint64_t length = detail::load_le(p + 26, 4);
  const std::size_t follow = bytes.size() - envelope_bytes;
  if (length != follow)
    fail("envelope header announces a " + std::string(name_of(kind)) + " payload of " +
         std::to_string(length) + " bytes, but " + std::to_string(follow) + " bytes follow");
  opened o{.header = {.kind = kind,
                      .node = std::uint16_t(detail::load_le(p + 6, 2)),
                      .model = detail::load_le(p + 8, 8),
                      .sample = detail::load_le(p + 16, 8),
                      .attempt = std::uint16_t(detail::load_le(p + 24, 2))},
           .payload = bytes.subspan(envelope_bytes)};
  if (o.header.model != expected_model)
    fail("message is for model " + detail::model_id_hex(o.header.model) + ", this node runs " +
         detail::model_id_hex(expected_model));
  return o;
}

}  // namespace runtime
DDNN_END_NAMESPACE
