// The parameter records layers are built from (as training produces them and model files store
// them), and what a layer requires of them: counts, output kind and weight encoding.
#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

#include "ddnn/core/random_stream.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"

DDNN_BEGIN_NAMESPACE

/// Conv parameters: float weights [filter][ky][kx][channel] (binary layers pack them by sign,
/// w >= 0 is +1) and one BatchNorm per filter.
struct ConvParameters {
  std::vector<float> weights;
  std::vector<BatchNorm> batchnorm;
};

/// What a dense layer produces: bits (BinaryDense) or ReLU values (Dense) through a BatchNorm,
/// or logits through a scale and bias.
enum class Output { bits, logits };

/// Dense parameters: weights [output][input value, HWC order]; BatchNorm per output (bits) or
/// scale and bias per output (logits).
struct DenseParameters {
  std::vector<float> weights;
  std::vector<BatchNorm> batchnorm;  ///< Output::bits
  std::vector<float> scale;          ///< Output::logits
  std::vector<float> bias;           ///< Output::logits
};

/// The parameters of a layer that has none (a Section takes one argument per layer).
struct NoParameters {};

/// How a layer's weights are stored: binary layers keep only signs (1 bit per weight), float
/// layers (upper tiers) exact float32. The layer type chooses; a file must match it.
enum class WeightEncoding { signs, floats };

/// What a ConvParameters must hold for the layer that loads it.
struct ConvExpectation {
  std::size_t weights = 0;  ///< filters * kernel * kernel * input channels
  std::size_t filters = 0;  ///< BatchNorm channels
  WeightEncoding encoding = WeightEncoding::signs;
};

/// What a DenseParameters must hold for the layer that loads it.
struct DenseExpectation {
  std::size_t weights = 0;  ///< outputs * input values
  std::size_t outputs = 0;  ///< BatchNorm channels (bits) or scale and bias values (logits)
  Output produces = Output::bits;
  WeightEncoding encoding = WeightEncoding::signs;
};

[[nodiscard]] inline const char* encoding_name(WeightEncoding encoding) noexcept {
  return encoding == WeightEncoding::signs ? "signs" : "floats";
}

namespace detail {

/// BatchNorm per channel whose step lies within +-spread of the sums' centre.
inline std::vector<BatchNorm> random_batchnorm(random_stream& r, std::size_t n, float centre,
                                               float spread) {
  std::vector<BatchNorm> bn(n);
  for (BatchNorm& b : bn) {
    b.gamma = r.sign() * (0.5f + std::abs(r.symmetric()));
    b.beta = 0.1f * r.symmetric();
    b.mean = centre + spread * r.symmetric();
    b.sigma = 1.0f + spread * std::abs(r.symmetric());
  }
  return bn;
}

/// `outputs` scales in [1, 2) / `spread` and biases in +-0.5, for a logit head.
inline void random_logit_head(random_stream& r, std::size_t outputs, float spread,
                              DenseParameters& p) {
  for (std::size_t n = 0; n < outputs; ++n) {
    p.scale.push_back((1.0f + std::abs(r.symmetric())) / spread);
    p.bias.push_back(0.5f * r.symmetric());
  }
}

}  // namespace detail
DDNN_END_NAMESPACE
