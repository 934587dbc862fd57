// The device role: runs its section and exit head on its own input, sends only its logits to the
// aggregator and keeps its feature map in a small cache until the aggregator asks for it. A
// device tier without an exit sends its feature map at once instead.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/runtime/counters.hpp"
#include "ddnn/runtime/envelope.hpp"
#include "ddnn/runtime/node.hpp"
#include "ddnn/runtime/payloads.hpp"
#include "ddnn/runtime/topics.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// The demo driver's tick: sample i is in front of the sensors. `attempt` > 0 is the driver
/// asking again for a sample it got no answer for (a broker that restarted lost it somewhere):
/// the devices sense it again and send their logits with that attempt, and an aggregator that
/// already answered the sample sends its answer again.
struct tick {
  std::uint64_t sample = 0;
  std::uint16_t attempt = 0;
};

/// The tick payload: the sample id (8 bytes) and the attempt (2 bytes), little-endian.
[[nodiscard]] inline std::vector<std::uint8_t> encode_tick(tick t) {
  std::vector<std::uint8_t> out(10);
  detail::store_le(out.data(), t.sample, 8);
  detail::store_le(out.data() + 8, t.attempt, 2);
  return out;
}
[[nodiscard]] inline tick decode_tick(std::span<const std::uint8_t> payload) {
  if (payload.size() != 10)
    ddnn::detail::fail("tick payload has " + std::to_string(payload.size()) + " bytes, not 10");
  return {detail::load_le(payload.data(), 8),
          std::uint16_t(detail::load_le(payload.data() + 8, 2))};
}

/// A node's status message (retained) and its Last Will, for one incarnation.
[[nodiscard]] inline std::vector<std::uint8_t> status_message(std::uint64_t model, std::size_t node,
                                                              node_state state,
                                                              std::uint64_t incarnation) {
  return seal({.kind = message_kind::status,
               .node = std::uint16_t(node),
               .model = model,
               .sample = 0,
               .attempt = 0},
              encode_status({state, incarnation}));
}

template <class Graph>
class Device final : public Node {
  static constexpr bool has_exit = Graph::template tier<0>::has_exit;

 public:
  using input_type = typename Graph::input_type;
  /// Where a device reads its input for a sample when the demo driver ticks (its camera);
  /// std::nullopt when it saw nothing.
  using Sensor = std::function<std::optional<input_type>(std::uint64_t sample)>;

  struct Options {
    std::size_t cache = 256;        ///< feature maps kept for the aggregator's requests
    std::uint64_t incarnation = 1;  ///< increase on every restart
  };

  Device(const Graph& graph, std::uint64_t model, std::size_t index, Topics topics, Options options,
         Sensor sensor = {})
      : graph_(graph),
        model_(model),
        index_(index),
        topics_(std::move(topics)),
        options_(options),
        sensor_(std::move(sensor)),
        cache_(options.cache == 0 ? 1 : options.cache) {
    if (index >= Graph::devices)
      ddnn::detail::fail("device " + std::to_string(index) + ": the graph has " +
                         std::to_string(Graph::devices) + " devices");
  }

  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    std::vector<std::string> s{topics_.request(index_)};
    if (sensor_) s.push_back(topics_.tick());
    return s;
  }
  [[nodiscard]] std::optional<last_will> will() const override {
    return last_will{topics_.status("device", index_),
                     status_message(model_, index_, node_state::offline, options_.incarnation)};
  }
  void start(clock_time, Publisher& out) override {
    out.publish(message_to(topics_.status("device", index_),
                           status_message(model_, index_, node_state::online, options_.incarnation),
                           true));
  }

  /// Runs the device on `input` for `sample`: logits out now, the feature map on request (or
  /// out now when the device tier has no exit). `attempt` > 0 senses a sample again.
  void sense(std::uint64_t sample, const input_type& input, Publisher& out,
             std::uint16_t attempt = 0) {
    auto step = graph_.step_device(index_, input);
    if constexpr (has_exit) {
      send(message_to(topics_.logits(index_),
                      seal(header(message_kind::logits, sample, attempt),
                           encode_logits(step.logits, graph_.template logits_link<0>())),
                      delivery::at_most_once),
           out);
      Entry& e = cache_[next_++ % cache_.size()];
      e.sample = sample;
      e.features = std::move(step.features);
      e.valid = true;
    } else {
      send_features(sample, attempt, step.features, out);
    }
  }

  void on_message(const received_message& m, clock_time, Publisher& out) override {
    ++counters_.received;
    try {
      if (m.topic == topics_.tick()) {
        const tick t = decode_tick(m.payload);
        if (!sensor_) return;
        if (auto input = sensor_(t.sample)) sense(t.sample, *input, out, t.attempt);
        return;
      }
      const opened o = open(m.payload, model_);
      if (m.topic != topics_.request(index_) || o.header.kind != message_kind::feature_request) {
        ++counters_.unexpected;
        return;
      }
      decode_feature_request(o.payload);
      for (const Entry& e : cache_)
        if (e.valid && e.sample == o.header.sample) {
          send_features(e.sample, o.header.attempt, e.features, out);
          return;
        }
      ++counters_.cache_misses;
    } catch (const error&) {
      count_rejected(counters_, m.payload, model_);
    }
  }

  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::size_t index() const noexcept { return index_; }
  /// Bytes of the logits and feature-map messages it published (envelopes included): what it
  /// put on the wire for the DDNN.
  [[nodiscard]] std::uint64_t sent_bytes() const noexcept { return sent_bytes_; }

 private:
  struct Entry {
    std::uint64_t sample = 0;
    features_t<Graph> features;
    bool valid = false;
  };

  [[nodiscard]] envelope header(message_kind kind, std::uint64_t sample,
                                std::uint16_t attempt) const {
    return {.kind = kind,
            .node = std::uint16_t(index_),
            .model = model_,
            .sample = sample,
            .attempt = attempt};
  }
  void send(outgoing_message m, Publisher& out) {
    sent_bytes_ += m.payload.size();
    out.publish(std::move(m));
  }
  void send_features(std::uint64_t sample, std::uint16_t attempt, const features_t<Graph>& features,
                     Publisher& out) {
    send(
        message_to(topics_.features(index_),
                   seal(header(message_kind::features, sample, attempt), encode_features(features)),
                   delivery::at_most_once),
        out);
  }

  const Graph& graph_;
  std::uint64_t model_;
  std::size_t index_;
  Topics topics_;
  Options options_;
  Sensor sensor_;
  std::vector<Entry> cache_;
  std::size_t next_ = 0;
  Counters counters_;
  std::uint64_t sent_bytes_ = 0;
};

}  // namespace runtime
DDNN_END_NAMESPACE
