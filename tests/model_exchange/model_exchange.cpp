// One side of the model-exchange test: `model_exchange save FILE` writes a float-cloud model with
// test vectors; `model_exchange load FILE` loads one (replaying its test vectors) and says so.
// Built with different compilers and flags, each loads what the other saved.
#include <cstdio>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/io/model_file.hpp"
#include "ddnn/layers/conv.hpp"
#include "ddnn/layers/dense.hpp"
#include "graph_fixtures.hpp"

using namespace ddnn;

// Binary devices under a float cloud wide enough (a 1680-input Dense) that Eigen sums in
// different orders for different SIMD widths.
struct exchange_model final
    : DDNN<Sensor<fixtures::Tile>,
           Layers<FirstConv<8, 3, 1, 1, MaxPool<3, 2, 1>>, Dense<64, Activation::relu>,
                  Dense<10, Activation::none>>,
           DeviceTier<6, 1, Exit<BinaryDense<10, Output::logits>, Max>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
static_assert(detail::graph_has_float_layers<exchange_model>,
              "the model file must know this graph computes in float");

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: model_exchange save|load FILE\n");
    return 2;
  }
  const std::string mode = argv[1], file = argv[2];
  try {
    if (mode == "save") {
      const exchange_model graph(random_parameters<exchange_model>(11, 0.0));
      std::mt19937 rng(11);
      std::vector<exchange_model::inputs_type> inputs;
      std::vector<Presence> presence;
      for (int i = 0; i < 16; ++i) {
        inputs.push_back(fixtures::random_inputs<exchange_model>(rng));
        presence.push_back(Presence::all(exchange_model::devices));
      }
      save_model(graph, file, std::span(inputs), std::span(presence));
      std::printf("model-exchange saved %s\n", file.c_str());
    } else if (mode == "load") {
      (void)load_model<exchange_model>(file);
      std::printf("model-exchange loaded %s\n", file.c_str());
    } else {
      std::fprintf(stderr, "model_exchange: unknown mode %s\n", mode.c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "model_exchange: %s\n", e.what());
    return 1;
  }
  return 0;
}
