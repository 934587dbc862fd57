// Who may publish and read what: the broker's access rules for one deployment, written from the
// same topic names the roles use (topics.hpp), so the rules and the protocol cannot drift apart.
//
// The rules are the protocol's trust boundaries: a device publishes only its own logits, feature
// maps, status and counters, and reads only the requests addressed to it; only the aggregator
// publishes tier-1 messages, feature requests and final answers; workers read their tier and
// answer on reply topics (a worker of an inner tier also forwards to the tiers above it); the
// driver ticks and reads the answers. Anything else a node tries is refused by the broker.
//
// `mosquitto_acl` renders them in mosquitto's acl_file syntax, one user per node (user names from
// `node_user`). The broker must also ask for a password per user (`password_file`,
// `allow_anonymous false`): the rules trust the user name the broker authenticated.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "ddnn/runtime/topics.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// The nodes of a deployment the rules name.
struct AccessPlan {
  std::size_t devices = 0;  ///< device d logs in as "device<d>"
  std::size_t workers = 0;  ///< worker w logs in as "worker<w>"
  std::size_t tiers = 2;    ///< the graph's tiers, the device tier included
};

/// The broker user name of a node: "aggregator", "driver", or role + number ("device3").
[[nodiscard]] inline std::string node_user(std::string_view role, std::size_t node) {
  return std::string(role) + std::to_string(node);
}

/// The access rules in mosquitto's acl_file syntax. `topics` names the prefix the rules cover:
/// one model's (`Topics::for_model`), or every model's (`Topics{"ddnn/+"}`).
[[nodiscard]] inline std::string mosquitto_acl(const AccessPlan& plan, const Topics& topics) {
  std::string acl = "# ddnn access rules: " + std::to_string(plan.devices) + " devices, " +
                    std::to_string(plan.workers) + " workers, " + std::to_string(plan.tiers) +
                    " tiers.\n";
  const auto user = [&](const std::string& name) { acl += "\nuser " + name + "\n"; };
  const auto rule = [&](std::string_view access, const std::string& topic) {
    acl += "topic " + std::string(access) + " " + topic + "\n";
  };
  for (std::size_t d = 0; d < plan.devices; ++d) {
    user(node_user("device", d));
    rule("write", topics.logits(d));
    rule("write", topics.features(d));
    rule("readwrite", topics.status("device", d));
    rule("write", topics.stats("device", d));
    rule("read", topics.request(d));
    rule("read", topics.tick());
  }
  user("aggregator");
  rule("read", topics.all("logits"));
  rule("read", topics.all("features"));
  rule("read", topics.status_filter("device"));
  rule("read", topics.reply(0));
  rule("write", topics.all("request"));
  if (plan.tiers > 1) rule("write", topics.tier(1));
  rule("write", topics.answers());
  rule("readwrite", topics.stats("aggregator"));
  for (std::size_t w = 0; w < plan.workers; ++w) {
    user(node_user("worker", w));
    for (std::size_t t = 1; t < plan.tiers; ++t) rule("read", topics.tier(t));
    for (std::size_t t = 2; t < plan.tiers; ++t) rule("write", topics.tier(t));
    rule("write", topics.all("reply"));
  }
  user("driver");
  rule("write", topics.tick());
  rule("read", topics.answers());
  rule("read", topics.stats("aggregator"));
  rule("read", topics.stats("device") + "/+");
  return acl;
}

}  // namespace runtime
DDNN_END_NAMESPACE
