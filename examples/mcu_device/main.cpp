// A microcontroller program around an exported ddnn device: read the sensor, run the device,
// hand its message to the radio. Here the sensor is simulated and the "radio" prints what it
// would send (qemu-system-arm passes the output to the host through semihosting).
//
// The device header comes from ddnn::export_device (export_device.cpp writes one; the MNIST
// main job writes its six trained devices to results/devices/). Its namespace is
// DDNN_DEVICE_NAMESPACE (sensor_device unless the build says otherwise).
#include <bit>
#include <cstdint>
#include <cstdio>
#include <span>

#include DDNN_DEVICE_HEADER_NAME

#ifndef DDNN_DEVICE_NAMESPACE
#define DDNN_DEVICE_NAMESPACE sensor_device
#endif
namespace device = DDNN_DEVICE_NAMESPACE;

namespace {

// Everything the device needs lives in static buffers: no heap. The parameters stay in flash.
device::input_type sensor_buffer;
device::scratch_type scratch;
device::message_type message;

/// Stands in for a camera or ADC driver: a bright diagonal stroke on a dark background, with a
/// little noise from a linear congruential generator.
void read_sensor(std::span<device::input_value, device::input_values> out) {
  std::uint32_t noise = 12345;
  for (std::size_t y = 0; y < device::input_height; ++y)
    for (std::size_t x = 0; x < device::input_width; ++x)
      for (std::size_t c = 0; c < device::input_channels; ++c) {
        noise = noise * 1664525u + 1013904223u;
        const bool stroke = x + 2 >= 2 * y && x <= 2 * y + 2;
        const int value = (stroke ? 220 : 10) + int(noise >> 28);
        out[(y * device::input_width + x) * device::input_channels + c] =
            device::input_value(value > 255 ? 255 : value);
      }
}

}  // namespace

int main() {
  read_sensor(sensor_buffer);
  if (!device::forward(sensor_buffer, scratch, message)) {
    std::printf("the sensor gave a value that is not a number\n");
    return 1;
  }
  std::printf("device message: %u bytes (%u of logits, %u of feature bits)\n",
              unsigned(device::message_bytes), unsigned(device::logits_bytes),
              unsigned(device::feature_bytes));
  std::size_t best = 0;
  for (std::size_t i = 0; i < device::classes; ++i) {
    std::printf("logit %u: %f\n", unsigned(i), double(device::logit(message, i)));
    if (device::logit(message, i) > device::logit(message, best)) best = i;
  }
  if (device::classes > 0) std::printf("most likely class: %u\n", unsigned(best));
  return 0;
}
