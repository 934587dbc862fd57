// The smallest Cortex-M program that runs one exported device: the device's buffers as globals
// (RAM), its parameters constexpr (flash), one forward. Built without a device
// (DDNN_DEVICE_HEADER_NAME undefined) it is the C runtime alone, whose size
// scripts/mcu_devices.sh subtracts to report the device's own flash and RAM.
#ifdef DDNN_DEVICE_HEADER_NAME
#include DDNN_DEVICE_HEADER_NAME
namespace device = DDNN_DEVICE_NAMESPACE;

// Globals with external linkage: the compiler cannot assume the input is all zeros.
device::input_type sensor_input;
device::scratch_type device_scratch;
device::message_type device_message;

int main() { return device::forward(sensor_input, device_scratch, device_message) ? 0 : 1; }
#else
int main() { return 0; }
#endif
