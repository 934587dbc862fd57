// A device whose section ends in a float layer sends floats, which an exported microcontroller
// header does not compute: export_device refuses it at compile time, saying what it exports
// (the control exports the same graph with a binary device layer).
// expect: export_device: a device must send bits
#include "ddnn/export/export_device.hpp"
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/dense.hpp"

using namespace ddnn;
#ifdef DDNN_COMPILE_FAIL
using DeviceLayer = Dense<8>;  // float ReLU outputs
#else
using DeviceLayer = BinaryDense<8>;
#endif
using Graph = DDNN<Sensor<Shape<4, 4, 1>>,
                   Layers<FirstConv<2, 3, 1, 1>, DeviceLayer, Dense<3, Activation::none>>,
                   DeviceTier<2, 2, NoExit>, CloudTier<Concat>>;

exported_device export_first(const Graph& graph) {
  return export_device(graph, 0, {.name_space = "device", .note = ""});
}
