// A binary-only ddnn consumer: a two-tier DDNN of binary layers with random parameters, run
// staged and tier by tier through serialised messages. Prints `ddnn-consumer OK` when the two
// agree on every sample. Built without Eigen or nlohmann/json.
#include <ddnn/inference.hpp>

#include <cstdio>
#include <random>

using namespace ddnn;
using Tile = Shape<10, 14, 1>;
using Head = BinaryDense<3, Output::logits>;
using Network = Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>, BinaryConv<16, 3, 1, 1>, Head>;
struct two_tier final
    : DDNN<Sensor<Tile>, Network, DeviceTier<6, 1, Exit<Head, Max>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};

int main() {
  const two_tier graph(random_parameters<two_tier>(7, 0.5));
  std::mt19937 rng(7);
  int failures = 0;
  for (int sample = 0; sample < 20; ++sample) {
    two_tier::inputs_type inputs;
    for (auto& t : inputs)
      for (auto& v : t.values()) v = std::uint8_t(rng());
    const Presence present(rng() & 63u);
    const auto staged = graph.infer(inputs, present);
    const auto devices = graph.step_devices(inputs, present);
    if (!staged.answered) continue;
    if (staged.exit_tier == 0) {
      failures += devices.decision.predicted != staged.predicted;
      continue;
    }
    const auto wire = devices.message.serialize();
    const auto cloud = graph.step<1>(decltype(devices.message)::parse(wire));
    failures += cloud.decision.predicted != staged.predicted;
  }
  std::printf("%s\n", failures == 0 ? "ddnn-consumer OK" : "ddnn-consumer FAILED");
  return failures == 0 ? 0 : 1;
}
