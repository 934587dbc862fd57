// Who may publish and read what: the broker's access rules for one deployment, written from the
// same topic names the roles use (topics.hpp), so the rules and the protocol cannot drift apart.
//
// The rules are the protocol's trust boundaries: a device publishes only its own logits, feature
// maps, status and counters, and reads only the requests addressed to it; only the aggregator
// publishes what goes up from the devices, feature requests and final answers; an edge node reads
// only its own share and writes only to its tier's joins; a join reads its own samples and sends
// up or answers; cloud workers read the cloud's tier messages and answer on reply topics; the
// driver ticks and reads the answers. Anything else a node tries is refused by the broker.
//
// `mosquitto_acl` renders them in mosquitto's acl_file syntax, one user per node (user names from
// `node_user`). The broker must also ask for a password per user (`password_file`,
// `allow_anonymous false`): the rules trust the user name the broker authenticated.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ddnn/runtime/topics.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// The nodes of a deployment the rules name.
struct AccessPlan {
  std::size_t devices = 0;  ///< device d logs in as "device<d>"
  std::size_t workers = 0;  ///< cloud worker w logs in as "worker<w>"
  /// The nodes of each edge tier (tiers 1, 2, ...): every process of node n of tier t logs in
  /// as "edge<t>-<n>", join j of tier t as "join<t>-<j>".
  std::vector<std::size_t> edge_tiers;
  std::size_t joins = 1;  ///< joins per edge tier
};

/// The broker user name of a node: "aggregator", "driver", or role + number ("device3").
[[nodiscard]] inline std::string node_user(std::string_view role, std::size_t node) {
  return std::string(role) + std::to_string(node);
}
/// The broker user name of edge node n (or join n) of tier t: "edge1-0", "join1-1".
[[nodiscard]] inline std::string node_user(std::string_view role, std::size_t tier,
                                           std::size_t node) {
  return node_user(role, tier) + "-" + std::to_string(node);
}

/// The access rules in mosquitto's acl_file syntax. `topics` names the prefix the rules cover:
/// one model's (`Topics::for_model`), or every model's (`Topics{"ddnn/+"}`).
[[nodiscard]] inline std::string mosquitto_acl(const AccessPlan& plan, const Topics& topics) {
  const std::size_t cloud = plan.edge_tiers.size() + 1;
  std::string acl = "# ddnn access rules: " + std::to_string(plan.devices) + " devices, " +
                    std::to_string(plan.edge_tiers.size()) + " edge tiers, " +
                    std::to_string(plan.workers) + " cloud workers.\n";
  const auto user = [&](const std::string& name) { acl += "\nuser " + name + "\n"; };
  const auto rule = [&](std::string_view access, const std::string& topic) {
    acl += "topic " + std::string(access) + " " + topic + "\n";
  };
  // Where tier t's message goes up: the cloud's tier topic, or every node of the edge tier above.
  const auto write_up_from = [&](std::size_t t) {
    if (t + 1 == cloud)
      rule("write", topics.tier(cloud));
    else
      rule("write", topics.all("edge/" + std::to_string(t + 1)));
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
  write_up_from(0);
  rule("write", topics.answers());
  rule("readwrite", topics.stats("aggregator"));
  for (std::size_t t = 1; t < cloud; ++t) {
    const std::string joins = topics.all("join/" + std::to_string(t));
    for (std::size_t n = 0; n < plan.edge_tiers[t - 1]; ++n) {
      user(node_user("edge", t, n));
      rule("read", topics.edge(t, n));
      rule("write", joins);
    }
    for (std::size_t j = 0; j < plan.joins; ++j) {
      user(node_user("join", t, j));
      rule("read", topics.join(t, j));
      write_up_from(t);
      rule("write", topics.all("reply"));
    }
  }
  for (std::size_t w = 0; w < plan.workers; ++w) {
    user(node_user("worker", w));
    rule("read", topics.tier(cloud));
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
