// The access rules a deployment's broker enforces (runtime/access_rules.hpp), against a real
// mosquitto with a password per node: every forgery the rules exist to stop is tried by an
// authenticated node, and the node the forgery targets must not see it, while the same node's
// legitimate traffic still flows.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ddnn/runtime/access_rules.hpp"
#include "ddnn/runtime/mqtt_transport.hpp"
#include "mqtt_broker.hpp"
#include "mqtt_messages.hpp"

namespace {

using namespace std::chrono_literals;
using ddnn::runtime::AccessPlan;
using ddnn::runtime::MqttOptions;
using ddnn::runtime::MqttTransport;
using ddnn::runtime::received_message;
using ddnn::runtime::Topics;
using fixtures::drain;
using fixtures::message;
using fixtures::MqttBroker;
using fixtures::MqttBrokerOptions;
using fixtures::subscribe;

std::vector<std::string> topics_of(const std::vector<received_message>& messages) {
  std::vector<std::string> out;
  for (const received_message& m : messages) out.push_back(m.topic);
  return out;
}

// A broker with the rules for 4 devices, 2 workers and 2 tiers; every node has its password.
struct Deployment {
  Topics topics = Topics::for_model(0x0123456789abcdefULL);
  MqttBroker broker;

  static MqttBrokerOptions options(const Topics& topics) {
    MqttBrokerOptions o;
    for (const char* user :
         {"device0", "device1", "device2", "device3", "aggregator", "worker0", "worker1", "driver"})
      o.users.emplace_back(user, std::string("pw-") + user);
    o.acl = ddnn::runtime::mosquitto_acl(
        AccessPlan{.devices = 4, .workers = 2, .edge_tiers = {}, .joins = 1}, topics);
    return o;
  }
  Deployment() : broker(options(topics)) {}

  [[nodiscard]] MqttOptions login(const std::string& user) const {
    MqttOptions o;
    o.port = broker.port();
    o.client_id = "test-" + user;
    o.username = user;
    o.password = "pw-" + user;
    o.connect_timeout = 5s;
    return o;
  }
};

}  // namespace

TEST_CASE("access rules: the rules name every node and only their own topics") {
  const Topics topics{"ddnn/+"};
  const std::string acl = ddnn::runtime::mosquitto_acl(
      AccessPlan{.devices = 2, .workers = 1, .edge_tiers = {2}, .joins = 2}, topics);
  CHECK(acl.find("user device0\ntopic write ddnn/+/logits/0\n") != std::string::npos);
  CHECK(acl.find("user device1\ntopic write ddnn/+/logits/1\n") != std::string::npos);
  CHECK(acl.find("ddnn/+/logits/2") == std::string::npos);
  // The aggregator sends the edge nodes their shares; an edge node reads only its own and
  // writes to its tier's joins; a join sends up to the cloud; only workers read the cloud's tier.
  CHECK(acl.find("user aggregator\n") != std::string::npos);
  CHECK(acl.find("topic write ddnn/+/edge/1/+\n") != std::string::npos);
  CHECK(acl.find("user edge1-0\ntopic read ddnn/+/edge/1/0\ntopic write ddnn/+/join/1/+\n") !=
        std::string::npos);
  CHECK(acl.find("user edge1-1\ntopic read ddnn/+/edge/1/1\n") != std::string::npos);
  CHECK(acl.find("user join1-1\ntopic read ddnn/+/join/1/1\ntopic write ddnn/+/tier/2\n") !=
        std::string::npos);
  CHECK(acl.find("user worker0\ntopic read ddnn/+/tier/2\ntopic write ddnn/+/reply/+\n") !=
        std::string::npos);
  CHECK(acl.find("topic write ddnn/+/tier/1") == std::string::npos);
  CHECK(acl.find("user driver\ntopic write ddnn/+/tick\n") != std::string::npos);
}

TEST_CASE("access rules: a device cannot speak for another device") {
  Deployment net;
  const Topics& topics = net.topics;
  MqttTransport aggregator(net.login("aggregator"));
  MqttTransport device0(net.login("device0"));
  subscribe(aggregator,
            {topics.all("logits"), topics.all("features"), topics.status_filter("device")});

  device0.publish(message(topics.logits(3), "forged logits"));
  device0.publish(message(topics.features(3), "forged features"));
  device0.publish(message(topics.status("device", 3), "forged offline"));
  device0.publish(message(topics.logits(0), "own logits"));
  REQUIRE(device0.flush(device0.now() + 5s));

  const auto got = drain(aggregator, 500ms);
  CHECK(topics_of(got) == std::vector<std::string>{topics.logits(0)});
  CHECK(device0.stats().publish_refused == 3);
}

TEST_CASE("access rules: a device cannot send tier messages, requests or answers") {
  Deployment net;
  const Topics& topics = net.topics;
  MqttTransport worker(net.login("worker0"));
  MqttTransport device1(net.login("device1"));
  MqttTransport driver(net.login("driver"));
  MqttTransport aggregator(net.login("aggregator"));
  subscribe(worker, {topics.tier_group(1)});
  subscribe(driver, {topics.answers()});
  subscribe(device1, {topics.request(1)});

  MqttTransport device0(net.login("device0"));
  device0.publish(message(topics.tier(1), "forged tier message"));
  device0.publish(message(topics.answers(), "forged answer"));
  device0.publish(message(topics.request(1), "forged request"));
  device0.publish(message(topics.tick(), "forged tick"));
  REQUIRE(device0.flush(device0.now() + 5s));
  CHECK(device0.stats().publish_refused == 4);

  // The aggregator's own messages still flow (and show that the receivers were listening).
  aggregator.publish(message(topics.tier(1), "tier message"));
  aggregator.publish(message(topics.answers(), "answer"));
  aggregator.publish(message(topics.request(1), "request"));
  REQUIRE(aggregator.flush(aggregator.now() + 5s));
  CHECK(aggregator.stats().publish_refused == 0);
  CHECK(topics_of(drain(worker, 500ms)) == std::vector<std::string>{topics.tier(1)});
  CHECK(topics_of(drain(driver, 300ms)) == std::vector<std::string>{topics.answers()});
  CHECK(topics_of(drain(device1, 300ms)) == std::vector<std::string>{topics.request(1)});
}

TEST_CASE(
    "access rules: a device cannot read another device's requests; a worker cannot answer "
    "for the aggregator") {
  Deployment net;
  const Topics& topics = net.topics;
  // mosquitto accepts the subscriptions and withholds every message the rules do not let it read.
  MqttTransport device0(net.login("device0"));
  subscribe(device0, {topics.request(2), topics.all("logits")});
  MqttTransport device2(net.login("device2"));
  subscribe(device2, {topics.request(2)});
  MqttTransport aggregator(net.login("aggregator"));
  aggregator.publish(message(topics.request(2), "request for device 2"));
  device2.publish(message(topics.logits(2), "device 2's logits"));
  REQUIRE(aggregator.flush(aggregator.now() + 5s));
  REQUIRE(device2.flush(device2.now() + 5s));
  CHECK(topics_of(drain(device2, 500ms)) == std::vector<std::string>{topics.request(2)});
  CHECK(drain(device0, 300ms).empty());

  MqttTransport driver(net.login("driver"));
  subscribe(driver, {topics.answers()});
  MqttTransport worker(net.login("worker1"));
  worker.publish(message(topics.answers(), "forged answer"));
  worker.publish(message(topics.tier(1), "forged tier message"));
  worker.publish(message(topics.reply(0), "reply"));
  REQUIRE(worker.flush(worker.now() + 5s));
  CHECK(worker.stats().publish_refused == 2);
  CHECK(drain(driver, 300ms).empty());
}
