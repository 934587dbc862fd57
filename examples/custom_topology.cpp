// A three-tier topology of your own in a few lines: four cameras, an edge gateway with its own
// exit, and the cloud. Moving a cut is one template argument; every shape, message and byte
// count follows. The parameters here are random (train them with ddnn's trainer, or load a
// model file); the point is the shape of the code and the per-tier report.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "ddnn/ddnn.hpp"

using namespace ddnn;

using Camera = Sensor<Shape<32, 32, 3>>;                       // 8-bit RGB, 3072 B raw
using Net = Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>,    // camera: 32x32x3 -> 16x16x4 bits
                   BinaryConv<16, 3, 1, 1, MaxPool<3, 2, 1>>,  // edge: 16x16x16 -> 8x8x16
                   BinaryConv<32, 3, 1, 1, MaxPool<2, 2, 0>>,  // cloud: -> 4x4x32
                   BinaryDense<5, Output::logits>>;            // -> 5 classes
using Head = BinaryDense<5, Output::logits>;

struct my_ddnn final : DDNN<Camera, Net, DeviceTier<4, 1, Exit<Head, Max>>,  // cut after layer 1
                            EdgeTier<1, Concat, 2, Exit<Head>>,              // cut after layer 2
                            CloudTier<Concat>> {
  using DDNN::DDNN;
};

int main() {
  my_ddnn graph(random_parameters<my_ddnn>(/*seed=*/42));
  graph.set_threshold<0>(0.55);  // local exit
  graph.set_threshold<1>(0.75);  // edge exit

  // 300 samples of synthetic camera frames; now and then a camera is offline.
  std::vector<my_ddnn::inputs_type> inputs(300);
  std::vector<Presence> present(inputs.size(), Presence::all(my_ddnn::devices));
  std::uint64_t x = 1;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (auto& camera : inputs[i])
      for (auto& v : camera.values()) v = std::uint8_t((x = x * 6364136223846793005u + 1) >> 56);
    if (i % 7 == 0) present[i].set(i % my_ddnn::devices, false);
  }

  const auto results = graph.infer_batch(inputs, present);
  std::size_t exits[my_ddnn::tier_count] = {};
  LinkBytes device_bytes, edge_bytes;
  for (const auto& r : results) {
    if (!r.answered) continue;
    ++exits[r.exit_tier];
    for (const LinkBytes& l : r.devices) device_bytes += l;
    for (const LinkBytes& l : r.edges) edge_bytes += l;
  }
  const char* tier_names[] = {"devices (local exit)", "edge", "cloud"};
  std::printf("| tier | exits | share |\n|---|---:|---:|\n");
  for (std::size_t t = 0; t < my_ddnn::tier_count; ++t)
    std::printf("| %s | %zu | %.1f%% |\n", tier_names[t], exits[t],
                100.0 * double(exits[t]) / double(results.size()));
  const double n = double(results.size()) * my_ddnn::devices;
  std::printf(
      "\nper device per sample: %.1f B sent (%.1f B logits, %.1f B features) vs %.0f B raw\n",
      double(device_bytes.sent()) / n, double(device_bytes.logits) / n,
      double(device_bytes.features) / n, double(my_ddnn::raw_bytes));
  std::printf("edge -> cloud per sample: %.1f B\n",
              double(edge_bytes.features) / double(results.size()));
  std::printf("device message: %zu B of features per device (16x16x4 bits), edge message: %zu B\n",
              my_ddnn::message_type<0>::feature_bytes, my_ddnn::message_type<1>::feature_bytes);
  return 0;
}
