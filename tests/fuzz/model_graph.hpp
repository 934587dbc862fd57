// The graph type the model-file fuzzer loads: tiny, so one load is fast, yet with every part a
// model file can hold — sign-packed and float weights, a pool, BatchNorm, two exits (one that
// concatenates into a float combining head), an edge tier and test vectors.
#pragma once
#include "ddnn/io/model_file.hpp"
#include "ddnn/layers/dense.hpp"

namespace ddnn_fuzz {
using namespace ddnn;
using Head = BinaryDense<2, Output::logits>;
struct tiny_model final
    : DDNN<Sensor<Shape<4, 4, 1>>,
           Layers<FirstConv<2, 3, 1, 1, MaxPool<2, 2, 0>>, BinaryConv<4, 3, 1, 1>,
                  Dense<2, Activation::none>>,
           DeviceTier<2, 1, Exit<Head, Concat, NormalizedEntropy, Dense<2, Activation::none>>>,
           EdgeTier<1, Concat, 2, Exit<Head, Max, MaxProbability>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
}  // namespace ddnn_fuzz
