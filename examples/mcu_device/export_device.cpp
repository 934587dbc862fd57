// Host side of the microcontroller example: builds a device network like the MNIST main job's
// (a 10 x 14 8-bit tile, 16 binary 3x3 filters, 16 more pooled to 5 x 7, a 10-class exit head)
// and exports device 0 as a freestanding header for the Cortex-M program in main.cpp.
//   mcu_export_device <header.hpp> [seed]
// Random parameters stand in for a trained model here; for a trained one, load it first
// (ddnn::load_model<Graph>(file)) and export the same way. The MNIST main job exports its six
// trained devices so (results/devices/).
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "ddnn/export/export_device.hpp"
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/graph/random_parameters.hpp"

using namespace ddnn;

using Tile = Shape<10, 14, 1>;
using Head = BinaryDense<10, Output::logits>;
using Network = Layers<FirstConv<16, 3, 1, 1>, BinaryConv<16, 3, 1, 1, MaxPool<2, 2, 0>>, Head>;
using Graph = DDNN<Sensor<Tile>, Network, DeviceTier<6, 2, Exit<Head, Max>>, CloudTier<Concat>>;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s <header.hpp> [seed]\n", argv[0]);
    return 2;
  }
  try {
    const std::uint64_t seed = argc == 3 ? std::strtoull(argv[2], nullptr, 10) : 1;
    const Graph graph(random_parameters<Graph>(seed, 0.5));
    const exported_device e = export_device(
        graph, 0, argv[1],
        {.name_space = "sensor_device",
         .note = "the mcu_device example (random parameters, seed " + std::to_string(seed) + ")"});
    std::printf("%s: input %zu B, message %zu B, scratch %zu B, parameters %zu B\n", argv[1],
                e.input_bytes, e.message_bytes, e.scratch_bytes, e.parameter_bytes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mcu_export_device: %s\n", e.what());
    return 1;
  }
  return 0;
}
