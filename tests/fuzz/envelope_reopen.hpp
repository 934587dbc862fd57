// What the envelope fuzzer and tests/test_envelope.cpp check on arbitrary bytes: open them as an
// envelope, decode the payload its kind names (features and tier messages as those of every
// tier of the graph; at most one fits), encode what was decoded and seal it again. Refusals must
// be ddnn::error; anything accepted must come back as exactly the same bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/runtime/envelope.hpp"
#include "ddnn/runtime/payloads.hpp"

namespace ddnn_fuzz {
/// The model id the envelope corpus is sealed for (any fixed value: the fuzzer checks the
/// envelope and payload codecs, not a model).
inline constexpr std::uint64_t envelope_model = 0x0ddc0ffee15600d5;

namespace detail {
using Bytes = std::vector<std::uint8_t>;

/// encode(decode()), or std::nullopt when decode() refuses with ddnn::error. An encoder that
/// refuses what its decoder accepted is a bug: its ddnn::error escapes.
template <class Decode, class Encode>
std::optional<Bytes> recode(Decode&& decode, Encode&& encode) {
  std::optional<decltype(decode())> decoded;
  try {
    decoded.emplace(decode());
  } catch (const ddnn::error&) {
    return std::nullopt;
  }
  return encode(*decoded);
}

/// recode() with the codec of the first of the `Count` tiers from `First` (of Graph's) whose
/// decoder accepts the payload: every tier by default.
template <class Graph, std::size_t First = 0, std::size_t Count = Graph::tier_count, class Recode>
std::optional<Bytes> recode_any_tier(Recode&& recode_tier) {
  std::optional<Bytes> out;
  [&]<std::size_t... T>(std::index_sequence<T...>) {
    ((out = out ? out : recode_tier(std::integral_constant<std::size_t, First + T>{})), ...);
  }
  (std::make_index_sequence<Count>{});
  return out;
}

template <class Graph>
std::optional<Bytes> recode_payload(const ddnn::runtime::opened& o) {
  namespace rt = ddnn::runtime;
  const std::span<const std::uint8_t> p = o.payload;
  switch (o.header.kind) {
    case rt::message_kind::logits:
      return recode(
          [&] { return rt::decode_logits<Graph>(p, ddnn::LogitsEncoding::float32); },
          [](const auto& l) { return rt::encode_logits(l, ddnn::LogitsEncoding::float32); });
    case rt::message_kind::feature_request:
      return recode(
          [&] {
            rt::decode_feature_request(p);
            return 0;
          },
          [](int) { return rt::encode_feature_request(); });
    case rt::message_kind::features:
      return recode_any_tier<Graph>([&](auto tier) {
        constexpr std::size_t T = decltype(tier)::value;
        return recode([&] { return rt::decode_features<Graph, T>(p); },
                      [](const auto& f) { return rt::encode_features(f); });
      });
    case rt::message_kind::tier_message:
      return recode_any_tier<Graph>([&](auto tier) {
        constexpr std::size_t T = decltype(tier)::value;
        return recode(
            [&] { return rt::decode_tier_message<Graph, T>(p, ddnn::LogitsEncoding::float32); },
            [](const auto& m) {
              return rt::encode_tier_message(m, ddnn::LogitsEncoding::float32);
            });
      });
    case rt::message_kind::answer:
      return recode([&] { return rt::decode_answer<Graph>(p); },
                    [](const auto& a) { return rt::encode_answer<Graph>(a); });
    case rt::message_kind::status:
      return recode([&] { return rt::decode_status(p); },
                    [](const auto& s) { return rt::encode_status(s); });
    case rt::message_kind::edge_request:  // edge tiers only: 1 .. tier_count - 2
      return recode_any_tier<Graph, 1, Graph::tier_count - 2>([&](auto tier) {
        constexpr std::size_t T = decltype(tier)::value;
        const std::size_t node = o.header.node;
        return recode([&] { return rt::decode_edge_request<Graph, T>(p, node); },
                      [&](const auto& r) {
                        auto whole = r.message;  // the children's maps, with the whole presence
                        whole.present = r.below;
                        return rt::encode_edge_request<Graph, T>(whole, node);
                      });
      });
    case rt::message_kind::node_step:
      return recode_any_tier<Graph, 1, Graph::tier_count - 2>([&](auto tier) {
        constexpr std::size_t T = decltype(tier)::value;
        return recode(
            [&] { return rt::decode_node_step<Graph, T>(p, ddnn::LogitsEncoding::float32); },
            [](const auto& s) {
              return rt::encode_node_step<Graph, T>(s.expected, s.step,
                                                    ddnn::LogitsEncoding::float32);
            });
      });
  }
  return std::nullopt;  // open() lets no other kind through
}
}  // namespace detail

/// `bytes` opened (for `model`), decoded as a payload of `Graph`, encoded and sealed again;
/// std::nullopt when open() or the payload's decoder refuses them with ddnn::error.
template <class Graph>
std::optional<std::vector<std::uint8_t>> reopen(std::span<const std::uint8_t> bytes,
                                                std::uint64_t model = envelope_model) {
  std::optional<ddnn::runtime::opened> o;
  try {
    o.emplace(ddnn::runtime::open(bytes, model));
  } catch (const ddnn::error&) {
    return std::nullopt;
  }
  const std::optional<detail::Bytes> payload = detail::recode_payload<Graph>(*o);
  if (!payload) return std::nullopt;
  return ddnn::runtime::seal(o->header, *payload);
}
}  // namespace ddnn_fuzz
