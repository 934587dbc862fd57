// ddnn: Distributed Deep Neural Networks as a header-only C++20 library.
// This umbrella header includes every public part; include single headers to compile less.
#pragma once
#include "ddnn/aggregate/aggregator.hpp"
#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/shape.hpp"
#include "ddnn/core/tensor.hpp"
#include "ddnn/exits/confidence.hpp"
#include "ddnn/exits/exit_branch.hpp"
#include "ddnn/graph/communication.hpp"
#include "ddnn/graph/section.hpp"
#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"
