// Replays one exported main-job device on a Cortex-M core under qemu-system-arm: reads the test
// set's inputs for the device and the messages the library computed for them (files written by
// the main job, read through semihosting), runs forward() on each and compares byte for byte.
// Also measures the stack forward() uses (the stack is painted before the first call) and, when
// asked (DDNN_COUNT_TICKS), the SysTick ticks of one forward, which scripts/mcu_devices.sh turns
// into an instruction count under qemu's -icount. main returns the number of mismatches
// (capped), so 0 is success.
#include <cstdint>
#include <cstdio>

#include DDNN_DEVICE_HEADER_NAME
namespace device = DDNN_DEVICE_NAMESPACE;

namespace {
device::input_type input;
device::scratch_type scratch;
device::message_type message;

[[gnu::noinline]] bool run_forward() { return device::forward(input, scratch, message); }

/// Bytes of stack below the caller's that one forward() uses: paint, call, find the deepest
/// byte written.
std::uint32_t stack_of_forward() {
  constexpr std::uint32_t depth = 8192, margin = 32;
  std::uint8_t* sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  volatile std::uint8_t* const bottom = sp - margin - depth;
  for (std::uint32_t i = 0; i < depth; ++i) bottom[i] = 0xa5;
  (void)run_forward();
  std::uint32_t i = 0;
  while (i < depth && bottom[i] == 0xa5) ++i;
  return depth - i + margin;
}

#ifdef DDNN_COUNT_TICKS
/// SysTick ticks of one forward() (24-bit down-counter on the processor clock).
std::uint32_t ticks_of_forward() {
  volatile std::uint32_t* const systick = reinterpret_cast<volatile std::uint32_t*>(0xe000e010);
  systick[1] = 0xffffff;  // LOAD
  systick[2] = 0;         // VAL
  systick[0] = 5;         // CTRL: enable, processor clock
  const std::uint32_t before = systick[2];
  (void)run_forward();
  const std::uint32_t after = systick[2];
  systick[0] = 0;
  return (before - after) & 0xffffff;
}
#endif
}  // namespace

int main() {
  std::FILE* in = std::fopen(DDNN_DEVICE_FILES ".inputs", "rb");
  std::FILE* expected = std::fopen(DDNN_DEVICE_FILES ".messages", "rb");
  if (!in || !expected) {
    std::printf("cannot open %s.inputs / .messages\n", DDNN_DEVICE_FILES);
    return 255;
  }
  std::uint8_t raw[device::input_bytes];
  std::uint8_t want[device::message_bytes];
  std::uint32_t samples = 0, differ = 0, stack = 0;
  const std::uint32_t limit = DDNN_REPLAY_LIMIT;
  while (samples < limit && std::fread(raw, 1, sizeof raw, in) == sizeof raw &&
         std::fread(want, 1, sizeof want, expected) == sizeof want) {
    for (std::size_t i = 0; i < device::input_values; ++i) input[i] = device::input_value(raw[i]);
    bool ok = true;
    if (samples == 0) {
      stack = stack_of_forward();
    } else {
      ok = run_forward();
    }
    for (std::size_t b = 0; ok && b < device::message_bytes; ++b) ok = message[b] == want[b];
    differ += ok ? 0 : 1;
    ++samples;
  }
  std::printf("samples %lu differ %lu stack %lu", static_cast<unsigned long>(samples),
              static_cast<unsigned long>(differ), static_cast<unsigned long>(stack));
#ifdef DDNN_COUNT_TICKS
  std::printf(" ticks %lu", static_cast<unsigned long>(ticks_of_forward()));
#endif
  std::printf("\n");
  return differ > 250 ? 250 : int(differ) + (samples == 0 ? 251 : 0);
}
