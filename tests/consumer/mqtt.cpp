// A ddnn::mqtt consumer: fills in the transport's options and, given a broker's port, connects to
// it on loopback and publishes one message. The consumer test only builds it, which checks that
// the component's headers compile and that libmosquitto links.
#include <ddnn/runtime/mqtt_transport.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  ddnn::runtime::MqttOptions options;
  options.client_id = "ddnn-consumer";
  options.will = ddnn::runtime::last_will{"ddnn/consumer/status", {'o', 'f', 'f'}, true};
  if (argc > 1) {
    options.port = std::atoi(argv[1]);
    ddnn::runtime::MqttTransport transport(options);
    ddnn::runtime::outgoing_message online;
    online.topic = "ddnn/consumer/status";
    online.payload = {'o', 'n'};
    online.retain = true;
    transport.publish(online);
    if (!transport.flush(transport.now() + std::chrono::seconds(5))) return 1;
  }
  std::printf("ddnn-consumer-mqtt OK (%s:%d)\n", options.host.c_str(), options.port);
  return 0;
}
