// The main job's network shape with no training behind it: six 10x14 MNIST tiles, two binary
// device layers (16 and 16 filters, max-pool 2) with a Max local exit (the job's local exit is
// Avg now; the README's figures were measured with Max), and a float cloud over the
// concatenated bit maps (3360 -> 512 -> 10). Benchmarks draw random parameters for it.
#pragma once
#include "ddnn/ddnn.hpp"

namespace bench {

using MainJobTile = ddnn::Shape<10, 14, 1>;
using MainJobNetwork = ddnn::Layers<ddnn::FirstConv<16, 3, 1, 1>,
                                    ddnn::BinaryConv<16, 3, 1, 1, ddnn::MaxPool<2, 2, 0>>,
                                    ddnn::Dense<512>, ddnn::Dense<10, ddnn::Activation::none>>;
struct main_job_shape final
    : ddnn::DDNN<ddnn::Sensor<MainJobTile>, MainJobNetwork,
                 ddnn::DeviceTier<
                     6, 2, ddnn::Exit<ddnn::BinaryDense<10, ddnn::Output::logits>, ddnn::Max>>,
                 ddnn::CloudTier<ddnn::Concat>> {
  using DDNN::DDNN;
};

}  // namespace bench
