// MqttTransport against real mosquitto brokers: each test case starts its own private broker on a
// free loopback port (tests/mqtt/mqtt_broker.hpp) and kills it at its end.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ddnn/runtime/mqtt_transport.hpp"
#include "mqtt_broker.hpp"
#include "mqtt_messages.hpp"

namespace {

using namespace std::chrono_literals;
using ddnn::runtime::clock_time;
using ddnn::runtime::MqttOptions;
using ddnn::runtime::MqttTransport;
using ddnn::runtime::outgoing_message;
using ddnn::runtime::received_message;
using fixtures::bytes;
using fixtures::drain;
using fixtures::in;
using fixtures::message;
using fixtures::MqttBroker;
using fixtures::MqttBrokerOptions;
using fixtures::subscribe;
using fixtures::text;

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

MqttOptions client(const MqttBroker& broker, std::string id) {
  MqttOptions options;
  options.port = broker.port();
  options.client_id = std::move(id);
  options.connect_timeout = 5s;
  return options;
}

// Waits (polling) until `condition` holds; false after `limit`.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("mqtt: a request and its response keep topic, payload and v5 properties") {
  MqttBroker broker;
  MqttTransport worker(client(broker, "worker"));
  MqttTransport requester(client(broker, "requester"));
  subscribe(worker, {"ddnn/m/cloud/request"});
  subscribe(requester, {"ddnn/m/answer/requester"});

  outgoing_message request;
  request.topic = "ddnn/m/cloud/request";
  request.payload = {0, 1, 2, 255, 0, 7};
  request.response_topic = "ddnn/m/answer/requester";
  request.correlation = {9, 0, 8, 255};
  request.expiry = 60s;
  requester.publish(request);

  const auto got = worker.receive(in(worker, 5s));
  REQUIRE(got);
  CHECK(got->topic == "ddnn/m/cloud/request");
  CHECK(got->payload == request.payload);
  CHECK(got->response_topic == request.response_topic);
  CHECK(got->correlation == request.correlation);
  CHECK_FALSE(got->retained);

  outgoing_message answer;
  answer.topic = got->response_topic;
  answer.payload = bytes("answer 7");
  answer.correlation = got->correlation;
  worker.publish(answer);
  const auto reply = requester.receive(in(requester, 5s));
  REQUIRE(reply);
  CHECK(reply->topic == "ddnn/m/answer/requester");
  CHECK(text(reply->payload) == "answer 7");
  CHECK(reply->correlation == request.correlation);
  CHECK(reply->response_topic.empty());

  // An empty payload and no properties arrive as such.
  requester.publish(message("ddnn/m/cloud/request", ""));
  const auto empty = worker.receive(in(worker, 5s));
  REQUIRE(empty);
  CHECK(empty->payload.empty());
  CHECK(empty->response_topic.empty());
  CHECK(empty->correlation.empty());

  CHECK(requester.flush(in(requester, 5s)));
  CHECK(worker.flush(in(worker, 5s)));
  const auto stats = requester.stats();
  CHECK(stats.published == 2);
  CHECK(stats.acknowledged == 2);
  CHECK(stats.publish_refused + stats.publish_failed + stats.publish_dropped == 0);
  CHECK(stats.connects == 1);
  CHECK(worker.stats().received == 2);
}

TEST_CASE("mqtt: receive polls with a past deadline and gives up at a future one") {
  MqttBroker broker;
  MqttTransport transport(client(broker, "poller"));

  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(transport.receive(transport.now() - 1s));
  CHECK(seconds_since(start) < 0.1);

  start = std::chrono::steady_clock::now();
  CHECK_FALSE(transport.receive(in(transport, 300ms)));
  const double waited = seconds_since(start);
  CHECK(waited >= 0.3);
  CHECK(waited < 1.5);

  // A message already queued is returned by a poll. The transport receives its own messages.
  subscribe(transport, {"poll/#"});
  transport.publish(message("poll/1", "queued"));
  std::optional<received_message> got;
  CHECK(
      eventually([&] { return (got = transport.receive(transport.now() - 1ms)).has_value(); }, 5s));
  REQUIRE(got);
  CHECK(text(got->payload) == "queued");
}

TEST_CASE("mqtt: wildcard filters") {
  MqttBroker broker;
  MqttTransport subscriber(client(broker, "wild-sub"));
  MqttTransport publisher(client(broker, "wild-pub"));
  subscribe(subscriber, {"w/+/x", "w/deep/#"});

  for (const char* topic :
       {"w/a/x", "w/a/y", "w/a/x/more", "w/deep", "w/deep/1/2", "other/a/x", "w/b/x"})
    publisher.publish(message(topic, topic));
  // Nothing is missing once the last matching one came (one publisher, one subscriber: mosquitto
  // keeps their order), and nothing more arrives within a short window.
  std::set<std::string> topics;
  for (int i = 0; i < 4; ++i) {
    const auto got = subscriber.receive(in(subscriber, 5s));
    REQUIRE(got);
    CHECK(text(got->payload) == got->topic);
    topics.insert(got->topic);
  }
  CHECK(topics == std::set<std::string>{"w/a/x", "w/deep", "w/deep/1/2", "w/b/x"});
  CHECK(drain(subscriber, 200ms).empty());
}

TEST_CASE("mqtt: a shared subscription hands each message to exactly one member") {
  MqttBroker broker;
  MqttTransport first(client(broker, "worker-1"));
  MqttTransport second(client(broker, "worker-2"));
  MqttTransport publisher(client(broker, "jobs"));
  subscribe(first, {"$share/workers/ddnn/m/jobs/#"});
  subscribe(second, {"$share/workers/ddnn/m/jobs/#"});

  constexpr int jobs = 100;
  for (int i = 0; i < jobs; ++i)
    publisher.publish(message("ddnn/m/jobs/" + std::to_string(i), std::to_string(i)));

  std::map<int, int> times_seen;
  int first_got = 0, second_got = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (first_got + second_got < jobs && std::chrono::steady_clock::now() < deadline) {
    if (auto m = first.receive(in(first, 10ms))) {
      ++times_seen[std::stoi(text(m->payload))];
      ++first_got;
    }
    if (auto m = second.receive(in(second, 10ms))) {
      ++times_seen[std::stoi(text(m->payload))];
      ++second_got;
    }
  }
  first_got += int(drain(first, 200ms).size());
  second_got += int(drain(second, 100ms).size());
  MESSAGE("worker-1 got " << first_got << ", worker-2 got " << second_got);
  CHECK(first_got > 0);
  CHECK(second_got > 0);
  CHECK(first_got + second_got == jobs);
  int exactly_once = 0;
  for (int job = 0; job < jobs; ++job) exactly_once += times_seen[job] == 1 ? 1 : 0;
  CHECK(exactly_once == jobs);
  CHECK(times_seen.size() == std::size_t(jobs));
}

TEST_CASE("mqtt: a retained status reaches a late subscriber") {
  MqttBroker broker;
  MqttTransport node(client(broker, "node-1"));
  node.publish(message("ddnn/m/status/node-1", "online 1", true));
  REQUIRE(node.flush(in(node, 5s)));  // acknowledged: the broker holds it

  MqttTransport late(client(broker, "late"));
  subscribe(late, {"ddnn/m/status/+"});
  const auto status = late.receive(in(late, 5s));
  REQUIRE(status);
  CHECK(status->topic == "ddnn/m/status/node-1");
  CHECK(text(status->payload) == "online 1");
  CHECK(status->retained);

  // A live message is not marked retained, even when published with retain.
  node.publish(message("ddnn/m/status/node-1", "online 2", true));
  const auto live = late.receive(in(late, 5s));
  REQUIRE(live);
  CHECK(text(live->payload) == "online 2");
  CHECK_FALSE(live->retained);
  // Subscribing again to the same filter does not deliver the retained message a second time.
  late.subscribe("ddnn/m/status/+");
  CHECK(drain(late, 200ms).empty());
}

TEST_CASE("mqtt: a persistent session keeps messages for an absent subscriber until they expire") {
  MqttBroker broker;
  MqttOptions options = client(broker, "sleepy");
  options.clean_start = false;
  options.session_expiry = 60s;
  {
    MqttTransport sleepy(options);
    subscribe(sleepy, {"ddnn/m/queue/#"});
  }  // a clean disconnect: the broker keeps the session and queues for it

  MqttTransport publisher(client(broker, "queue-publisher"));
  outgoing_message brief = message("ddnn/m/queue/brief", "expired");
  brief.expiry = 1s;
  publisher.publish(brief);
  publisher.publish(message("ddnn/m/queue/lasting", "kept"));
  REQUIRE(publisher.flush(in(publisher, 5s)));
  std::this_thread::sleep_for(2100ms);  // the broker counts expiry in whole seconds

  MqttTransport sleepy(options);  // resumes the session
  const auto got = drain(sleepy, 500ms);
  REQUIRE(got.size() == 1);
  CHECK(got[0].topic == "ddnn/m/queue/lasting");
  CHECK(text(got[0].payload) == "kept");
}

TEST_CASE("mqtt: the Last Will is published when a client process is killed") {
  MqttBroker broker;
  const std::string status_topic = "ddnn/m/status/device-7";

  // The node runs in a child process, forked before this process starts any thread.
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    try {
      MqttOptions options = client(broker, "device-7");
      options.will = ddnn::runtime::last_will{status_topic, bytes("offline 42"), true};
      MqttTransport node(options);
      node.publish(message(status_topic, "online 42", true));
      if (node.flush(in(node, 5s))) {
        const char byte = 1;
        if (::write(ready[1], &byte, 1) != 1) ::_exit(2);
      }
      for (;;) ::pause();
    } catch (...) {
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  struct ChildGuard {
    pid_t pid;
    ~ChildGuard() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } guard{child};
  pollfd wait_ready{ready[0], POLLIN, 0};
  char byte = 0;
  const bool child_ready = ::poll(&wait_ready, 1, 10000) == 1 && ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  REQUIRE(child_ready);

  MqttTransport watcher(client(broker, "watcher"));
  subscribe(watcher, {"ddnn/m/status/+"});
  const auto online = watcher.receive(in(watcher, 5s));
  REQUIRE(online);
  CHECK(text(online->payload) == "online 42");

  ::kill(child, SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  const auto will = watcher.receive(in(watcher, 5s));
  const double took = seconds_since(killed);
  REQUIRE(will);
  MESSAGE("the Will arrived " << took * 1000 << " ms after SIGKILL");
  CHECK(will->topic == status_topic);
  CHECK(text(will->payload) == "offline 42");
  CHECK(took < 2.0);  // ~ms: the broker sees the connection reset at once

  // Retained: a node that subscribes later learns that device-7 is offline.
  MqttTransport later(client(broker, "later"));
  subscribe(later, {"ddnn/m/status/+"});
  const auto retained = later.receive(in(later, 5s));
  REQUIRE(retained);
  CHECK(text(retained->payload) == "offline 42");
  CHECK(retained->retained);
}

TEST_CASE("mqtt: a clean disconnect does not publish the Last Will") {
  MqttBroker broker;
  MqttTransport watcher(client(broker, "watcher"));
  subscribe(watcher, {"ddnn/m/status/+"});
  {
    MqttOptions options = client(broker, "leaving");
    options.will = ddnn::runtime::last_will{"ddnn/m/status/leaving", bytes("offline"), true};
    MqttTransport node(options);
    node.publish(message("ddnn/m/status/leaving", "online", true));
    REQUIRE(node.flush(in(node, 5s)));
  }
  const auto online = watcher.receive(in(watcher, 5s));
  REQUIRE(online);
  CHECK(text(online->payload) == "online");
  CHECK(drain(watcher, 300ms).empty());
}

TEST_CASE("mqtt: the client reconnects and re-subscribes after a broker restart") {
  MqttBroker broker;
  MqttOptions options = client(broker, "restart-sub");
  options.reconnect_delay = 1s;
  options.reconnect_delay_max = 2s;
  MqttTransport subscriber(options);
  options.client_id = "restart-pub";
  MqttTransport publisher(options);
  subscribe(subscriber, {"ddnn/m/restart/#"});

  publisher.publish(message("ddnn/m/restart/0", "before"));
  const auto before = subscriber.receive(in(subscriber, 5s));
  REQUIRE(before);
  CHECK(text(before->payload) == "before");

  // A crash, then an orderly stop (SIGTERM). Either way the new broker knows no session and no
  // subscription: the clients must subscribe again.
  for (const int signal : {SIGKILL, SIGTERM}) {
    CAPTURE(signal);
    broker.stop(signal);
    CHECK(eventually([&] { return !subscriber.connected() && !publisher.connected(); }, 5s));
    // Publishing while the broker is away queues; it does not wait.
    const auto publishing = std::chrono::steady_clock::now();
    publisher.publish(message("ddnn/m/restart/away", "while away"));
    CHECK(seconds_since(publishing) < 0.05);
    const auto down = std::chrono::steady_clock::now();
    broker.restart();

    REQUIRE(subscriber.wait_subscribed(in(subscriber, 15s)));
    REQUIRE(eventually([&] { return publisher.connected(); }, 15s));
    MESSAGE("reconnected and re-subscribed " << seconds_since(down) << " s after the restart");
    const std::string payload = "after " + std::to_string(signal);
    publisher.publish(message("ddnn/m/restart/1", payload));
    // The message published while the broker was away may come first, or not at all (it can
    // reach the new broker before the subscription does).
    std::optional<received_message> after;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      after = subscriber.receive(in(subscriber, 5s));
      if (!after || text(after->payload) == payload) break;
    }
    REQUIRE(after);
    CHECK(text(after->payload) == payload);
  }
  CHECK(subscriber.stats().connects == 3);
  CHECK(subscriber.stats().connection_losses == 2);
  CHECK(publisher.flush(in(publisher, 5s)));  // what was queued while away went out too
  const auto stats = publisher.stats();
  CHECK(stats.connects == 3);
  CHECK(stats.published == 5);
  CHECK(stats.acknowledged == 5);
  CHECK(stats.publish_failed + stats.publish_dropped == 0);
}

TEST_CASE("mqtt: a wrong password is refused with a clear error") {
  MqttBrokerOptions with_users;
  with_users.users = {{"device-1", "right horse"}};
  MqttBroker broker(with_users);
  MqttOptions options = client(broker, "device-1");
  options.username = "device-1";
  options.password = "right horse";
  MqttTransport good(options);
  CHECK(good.connected());

  const auto refused = [&](const MqttOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    std::string what;
    try {
      MqttTransport bad(o);
    } catch (const ddnn::error& e) {
      what = e.what();
    }
    MESSAGE("refused in " << seconds_since(start) * 1000 << " ms: " << what);
    CHECK(seconds_since(start) < 2.0);  // the broker's answer, not connect_timeout
    return lower(what);
  };
  options.client_id = "device-1-bad";
  options.password = "wrong horse";
  const std::string wrong = refused(options);
  CHECK(wrong.find("refused the connection") != std::string::npos);
  CHECK((wrong.find("not authorized") != std::string::npos ||
         wrong.find("bad user name or password") != std::string::npos));
  CHECK(wrong.find(std::to_string(broker.port())) != std::string::npos);

  options.client_id = "anonymous";
  options.username.clear();
  options.password.clear();
  CHECK(refused(options).find("refused the connection") != std::string::npos);
}

TEST_CASE("mqtt: a reconnection the broker refuses closes the transport for good") {
  MqttBrokerOptions with_users;
  with_users.users = {{"device-1", "old password"}};
  MqttBroker broker(with_users);
  MqttOptions options = client(broker, "device-1");
  options.username = "device-1";
  options.password = "old password";
  options.reconnect_delay_max = 1s;
  MqttTransport device(options);

  broker.stop();
  broker.replace_users({{"device-1", "new password"}});
  broker.restart();
  // libmosquitto stops after a refused reconnection: publishing now is an error, not a silent
  // loss.
  bool threw = false;
  std::string what;
  REQUIRE(eventually(
      [&] {
        try {
          device.publish(message("ddnn/m/device/device-1/logits", "x"));
        } catch (const ddnn::error& e) {
          threw = true;
          what = e.what();
        }
        return threw;
      },
      10s));
  MESSAGE(what);
  CHECK(what.find("closed for good") != std::string::npos);
  CHECK(lower(what).find("not authorized") != std::string::npos);
  CHECK_FALSE(device.connected());
}

TEST_CASE("mqtt: an ACL keeps a device off another device's topics") {
  MqttBrokerOptions with_acl;
  with_acl.users = {{"device-1", "p1"}, {"device-2", "p2"}, {"edge", "pe"}};
  with_acl.acl =
      "# Devices publish only under their own name; everyone reads.\n"
      "pattern write ddnn/+/device/%u/#\n"
      "pattern read ddnn/#\n";
  MqttBroker broker(with_acl);
  const auto login = [&](const std::string& user, const std::string& password) {
    MqttOptions options = client(broker, user);
    options.username = user;
    options.password = password;
    return options;
  };
  MqttTransport edge(login("edge", "pe"));
  MqttTransport device(login("device-1", "p1"));
  subscribe(edge, {"ddnn/#"});

  device.publish(message("ddnn/m/device/device-2/logits", "forged"));
  device.publish(message("ddnn/m/device/device-1/logits", "own"));
  REQUIRE(device.flush(in(device, 5s)));
  const auto got = edge.receive(in(edge, 5s));
  REQUIRE(got);
  CHECK(got->topic == "ddnn/m/device/device-1/logits");
  CHECK(text(got->payload) == "own");
  CHECK(drain(edge, 300ms).empty());
  // The broker acknowledged the forged message with "not authorized".
  CHECK(device.stats().publish_refused == 1);
  CHECK(lower(device.last_error()).find("not authorized") != std::string::npos);
}

TEST_CASE("mqtt: TLS with certificates made by openssl") {
  MqttBrokerOptions with_tls;
  with_tls.tls = true;
  MqttBroker broker(with_tls);
  MqttOptions options = client(broker, "tls-sub");
  options.tls = ddnn::runtime::MqttTlsFiles{broker.ca_file(), "", ""};
  MqttTransport subscriber(options);
  options.client_id = "tls-pub";
  MqttTransport publisher(options);
  subscribe(subscriber, {"ddnn/m/secure/#"});
  publisher.publish(message("ddnn/m/secure/1", "sealed"));
  const auto got = subscriber.receive(in(subscriber, 5s));
  REQUIRE(got);
  CHECK(text(got->payload) == "sealed");

  // A CA that did not sign the broker's certificate: the handshake fails, an error, no hang.
  fixtures::make_certificate_authority(broker.dir(), "other");
  options.client_id = "tls-other";
  options.tls->ca_file = (broker.dir() / "other.crt").string();
  const auto start = std::chrono::steady_clock::now();
  std::string what;
  try {
    MqttTransport stranger(options);
  } catch (const ddnn::error& e) {
    what = e.what();
  }
  MESSAGE("untrusted broker certificate: " << what);
  CHECK(what.find("certificate verify failed") != std::string::npos);
  CHECK(seconds_since(start) < 2.0);  // the handshake's failure, not connect_timeout

  // Plain MQTT to the TLS listener gets no connection either.
  options.tls.reset();
  options.connect_timeout = 1s;
  CHECK_THROWS_AS(MqttTransport{options}, ddnn::error);
}

TEST_CASE("mqtt: misuse and a missing broker are errors") {
  MqttOptions options;
  options.port = fixtures::free_loopback_port();  // nothing listens there
  options.connect_timeout = 1500ms;
  options.keepalive = 4s;
  CHECK_THROWS_WITH_AS(MqttTransport{options}, doctest::Contains("keepalive"), ddnn::error);
  options.keepalive = 5s;
  options.clean_start = false;
  CHECK_THROWS_WITH_AS(MqttTransport{options}, doctest::Contains("client_id"), ddnn::error);
  options.clean_start = true;

  const auto start = std::chrono::steady_clock::now();
  std::string what;
  try {
    MqttTransport nobody(options);
  } catch (const ddnn::error& e) {
    what = e.what();
  }
  MESSAGE("no broker: " << what);
  CHECK(lower(what).find("refused") != std::string::npos);
  CHECK(seconds_since(start) >= 1.4);
  CHECK(seconds_since(start) < 4.0);

  MqttBroker broker;
  std::optional<MqttTransport> transport;
  MqttOptions capped = client(broker, "misuse");
  capped.max_unacknowledged = 2;
  capped.max_received = 3;
  transport.emplace(capped);
  CHECK_THROWS_AS(transport->subscribe("a/#/b"), ddnn::error);
  CHECK_THROWS_AS(transport->subscribe(""), ddnn::error);
  transport->publish(message("a/+/b", "wildcards are for filters"));
  CHECK(transport->stats().publish_failed == 1);
  CHECK(transport->stats().published == 0);
  CHECK_FALSE(transport->last_error().empty());

  // Received messages beyond max_received are dropped and counted.
  subscribe(*transport, {"misuse/#"});
  for (int i = 0; i < 5; ++i) {
    transport->publish(message("misuse/" + std::to_string(i), "to myself"));
    REQUIRE(transport->flush(in(*transport, 5s)));
  }
  CHECK(eventually([&] { return transport->stats().received == 3; }, 5s));
  CHECK(eventually([&] { return transport->stats().receive_dropped == 2; }, 5s));
  CHECK(drain(*transport, 100ms).size() == 3);

  // With the broker gone, publishing queues up to max_unacknowledged messages and drops the
  // rest; destruction is still prompt (libmosquitto is waiting to reconnect).
  broker.stop();
  CHECK(eventually([&] { return !transport->connected(); }, 5s));
  for (int i = 0; i < 3; ++i) transport->publish(message("misuse/away", "queued while away"));
  CHECK(transport->stats().published == 5 + 2);
  CHECK(transport->stats().publish_dropped == 1);
  const auto destroying = std::chrono::steady_clock::now();
  transport.reset();
  CHECK(seconds_since(destroying) < 1.0);
}

TEST_CASE("mqtt: at-most-once messages are sent once, counted apart, never wait for a PUBACK") {
  MqttBroker broker;
  MqttTransport sub(client(broker, "once-sub"));
  MqttTransport pub(client(broker, "once-pub"));
  subscribe(sub, {"once/#"});
  for (int i = 0; i < 3; ++i)
    pub.publish(ddnn::runtime::message_to("once/" + std::to_string(i), bytes("q0"),
                                          ddnn::runtime::delivery::at_most_once));
  pub.publish(message("once/acknowledged", "q1"));
  REQUIRE(pub.flush(in(pub, 5s)));
  const auto got = drain(sub, 500ms);
  CHECK(got.size() == 4);
  // Only the QoS 1 message counts as published and acknowledged; the callbacks libmosquitto
  // makes for written QoS 0 messages are not mistaken for acknowledgements.
  CHECK(eventually([&] { return pub.stats().sent_at_most_once == 3; }, 2000ms));
  CHECK(pub.stats().published == 1);
  CHECK(pub.stats().acknowledged == 1);

  // While the broker is away, an at-most-once message is dropped (and counted), not queued.
  broker.stop();
  REQUIRE(eventually([&] { return !pub.connected(); }, 5000ms));
  pub.publish(
      ddnn::runtime::message_to("once/lost", bytes("q0"), ddnn::runtime::delivery::at_most_once));
  CHECK(pub.stats().publish_dropped == 1);
  CHECK(pub.stats().published == 1);
}
