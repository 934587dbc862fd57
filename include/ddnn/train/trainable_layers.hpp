// Trainable<Layer>: the training-time twin of every inference layer type (FirstConv, BinaryConv,
// BinaryDense, MaxPool, Conv, Dense). A batch is a float Matrix with a sample per row, each row
// a tensor's values in HWC order; bits are the values +1 and -1.
//
// Binary layers keep float shadow weights and use their signs (ddnn::sign_bit, as packing does)
// on the forward pass; the weight gradient passes straight through (weights stay in [-1, 1]).
// Their sums over +-1 or 8-bit values are integers, exact in float, so the zero-padded float
// convolution is the inference rule (a padded tap contributes 0). Binary blocks run
// conv -> max-pool -> BatchNorm -> sign (straight-through gradient where |x| <= 1), float Conv
// runs conv -> BatchNorm -> ReLU -> max-pool, logit heads fma(scale, sum, bias).
//
// In eval mode every layer computes exactly what the packed layer computes: BatchNorm through
// ddnn::batchnorm() with the exported running statistics, float sums through the float_math
// functions the float layers use, logits through fma. That is the "training-time float
// simulation" that the exactness test compares with packed inference.
//
// This header gathers every layer kind's twin (trainable_conv.hpp, trainable_dense.hpp,
// trainable_max_pool.hpp) so that TrainableChain can be instantiated for any section.
#pragma once
#include "ddnn/train/trainable.hpp"
#include "ddnn/train/trainable_conv.hpp"
#include "ddnn/train/trainable_dense.hpp"
#include "ddnn/train/trainable_max_pool.hpp"
