// The runtime's topic names, all under one prefix per model ("ddnn/<model id>"), so that nodes
// of different models never meet and broker access rules can be written per prefix and per
// node (a device may publish only under its own name).
//
//   <p>/status/<role>/<n>   retained status of a node ("online"/"offline" + incarnation)
//   <p>/tick                the demo driver's "sample i is in front of the sensors" (8 bytes)
//   <p>/logits/<d>          device d's exit-head logits for a sample
//   <p>/request/<d>         the aggregator asks device d for its feature map of a sample
//   <p>/features/<d>        device d's feature map of a sample
//   <p>/tier/<t>            an assembled tier message for the cloud's workers (shared group)
//   <p>/edge/<t>/<n>        node n of edge tier t's share of the tier message (shared group)
//   <p>/join/<t>/<j>        edge tier t's node steps of the samples whose id % joins == j
//   <p>/reply/<a>           a worker's answer for aggregator a (the request's response topic)
//   <p>/answers             final answers, one per sample
//   <p>/stats/<role>[/<n>]  retained counters a node reports when it stops (the demo's report)
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ddnn/runtime/envelope.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

struct Topics {
  std::string prefix;

  /// "ddnn/<16 hex digits of the model id>".
  [[nodiscard]] static Topics for_model(std::uint64_t model) {
    return {"ddnn/" + detail::model_id_hex(model).substr(2)};
  }

  [[nodiscard]] std::string status(std::string_view role, std::size_t node) const {
    return prefix + "/status/" + std::string(role) + "/" + std::to_string(node);
  }
  [[nodiscard]] std::string status_filter(std::string_view role) const {
    return prefix + "/status/" + std::string(role) + "/+";
  }
  [[nodiscard]] std::string tick() const { return prefix + "/tick"; }
  [[nodiscard]] std::string logits(std::size_t device) const { return per("logits", device); }
  [[nodiscard]] std::string request(std::size_t device) const { return per("request", device); }
  [[nodiscard]] std::string features(std::size_t device) const { return per("features", device); }
  [[nodiscard]] std::string tier(std::size_t t) const { return per("tier", t); }
  /// The shared subscription of tier t's workers: each message goes to one of them.
  [[nodiscard]] std::string tier_group(std::size_t t) const {
    return "$share/ddnn-tier" + std::to_string(t) + "/" + tier(t);
  }
  /// Node n of edge tier t: its share of each tier message, and the group of its processes.
  [[nodiscard]] std::string edge(std::size_t t, std::size_t n) const {
    return per("edge/" + std::to_string(t), n);
  }
  [[nodiscard]] std::string edge_group(std::size_t t, std::size_t n) const {
    return "$share/ddnn-edge" + std::to_string(t) + "-" + std::to_string(n) + "/" + edge(t, n);
  }
  /// Where edge tier t's node steps of a sample meet: join j of `joins` takes sample % joins == j.
  [[nodiscard]] std::string join(std::size_t t, std::size_t j) const {
    return per("join/" + std::to_string(t), j);
  }
  [[nodiscard]] std::string reply(std::size_t aggregator) const { return per("reply", aggregator); }
  [[nodiscard]] std::string answers() const { return prefix + "/answers"; }
  /// Where a node reports its counters: "<p>/stats/aggregator", "<p>/stats/device/3".
  [[nodiscard]] std::string stats(std::string_view role) const {
    return prefix + "/stats/" + std::string(role);
  }
  [[nodiscard]] std::string stats(std::string_view role, std::size_t node) const {
    return stats(role) + "/" + std::to_string(node);
  }
  [[nodiscard]] std::string all(std::string_view kind) const {
    return prefix + "/" + std::string(kind) + "/+";
  }

  /// The node number at the end of `topic` when it is "<prefix>/<kind>/<n>" (n < limit).
  [[nodiscard]] std::optional<std::size_t> node_of(std::string_view topic, std::string_view kind,
                                                   std::size_t limit) const {
    const std::string head = prefix + "/" + std::string(kind) + "/";
    if (topic.substr(0, head.size()) != head) return std::nullopt;
    topic.remove_prefix(head.size());
    if (topic.empty() || topic.size() > 5) return std::nullopt;
    std::size_t n = 0;
    for (char c : topic) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + std::size_t(c - '0');
    }
    if (n >= limit) return std::nullopt;
    return n;
  }

 private:
  [[nodiscard]] std::string per(std::string_view kind, std::size_t n) const {
    return prefix + "/" + std::string(kind) + "/" + std::to_string(n);
  }
};

}  // namespace runtime
DDNN_END_NAMESPACE
