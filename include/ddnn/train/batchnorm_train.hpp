// BatchNorm in training: batch statistics on the forward pass, their gradient on the backward
// pass, running statistics for inference. Evaluation and export go through ddnn::batchnorm()
// with the exported {gamma, beta, mean, sigma}, the very expression inference folds, so the
// eval-mode simulation and the packed model agree bit for bit.
#pragma once
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/layers/activation.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

/// Per-channel BatchNorm over a matrix whose rows are pixels and whose columns are channels
/// (a batch of HWC maps viewed as (samples * pixels) x channels).
class BatchNormTrainer {
 public:
  using Matrix = float_math::Matrix;

  /// `momentum` weighs the newest batch in the running statistics; `epsilon` is added to the
  /// variance before the square root (also at export: sigma = sqrt(running_var + epsilon)).
  explicit BatchNormTrainer(std::size_t channels, double momentum = 0.1, double epsilon = 1e-5)
      : gamma(channels, 1.0f),
        beta(channels, 0.0f),
        grad_gamma(channels, 0.0f),
        grad_beta(channels, 0.0f),
        running_mean(channels, 0.0),
        running_var(channels, 1.0),
        momentum_(momentum),
        epsilon_(epsilon),
        inv_std_(channels, 0.0) {}

  [[nodiscard]] std::size_t channels() const noexcept { return gamma.size(); }

  /// z (rows x channels) becomes gamma * (z - mean) / sqrt(var + eps) + beta with the batch's
  /// mean and (biased) variance; the running statistics move towards them (unbiased variance).
  void forward_train(Eigen::Ref<Matrix> z) {
    const auto rows = z.rows();
    const std::size_t c_count = channels();
    normalized_.resize(rows, z.cols());
    std::vector<double> mean(c_count, 0.0), var(c_count, 0.0);
    for (Eigen::Index r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < c_count; ++c) mean[c] += double(z(r, Eigen::Index(c)));
    for (double& m : mean) m /= double(rows);
    for (Eigen::Index r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < c_count; ++c) {
        const double d = double(z(r, Eigen::Index(c))) - mean[c];
        var[c] += d * d;
      }
    for (std::size_t c = 0; c < c_count; ++c) {
      const double biased = var[c] / double(rows);
      inv_std_[c] = 1.0 / std::sqrt(biased + epsilon_);
      const double unbiased = rows > 1 ? var[c] / double(rows - 1) : biased;
      running_mean[c] = (1.0 - momentum_) * running_mean[c] + momentum_ * mean[c];
      running_var[c] = (1.0 - momentum_) * running_var[c] + momentum_ * unbiased;
    }
    for (Eigen::Index r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < c_count; ++c) {
        const auto i = Eigen::Index(c);
        const float xhat = float((double(z(r, i)) - mean[c]) * inv_std_[c]);
        normalized_(r, i) = xhat;
        z(r, i) = gamma[c] * xhat + beta[c];
      }
  }

  /// z becomes ddnn::batchnorm(z, exported(channel)), as inference computes it.
  void forward_eval(Eigen::Ref<Matrix> z) {
    record(z);
    const std::vector<BatchNorm> bn = exported();
    for (Eigen::Index r = 0; r < z.rows(); ++r)
      for (std::size_t c = 0; c < bn.size(); ++c)
        z(r, Eigen::Index(c)) = batchnorm(z(r, Eigen::Index(c)), bn[c]);
  }

  /// d (rows x channels): the gradient w.r.t. the output of the last forward_train becomes the
  /// gradient w.r.t. its input; gamma's and beta's gradients are added to grad_gamma/grad_beta.
  void backward(Eigen::Ref<Matrix> d) {
    const auto rows = d.rows();
    const std::size_t c_count = channels();
    std::vector<double> sum_d(c_count, 0.0), sum_dx(c_count, 0.0);
    for (Eigen::Index r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < c_count; ++c) {
        const auto i = Eigen::Index(c);
        sum_d[c] += double(d(r, i));
        sum_dx[c] += double(d(r, i)) * double(normalized_(r, i));
      }
    for (std::size_t c = 0; c < c_count; ++c) {
      grad_beta[c] += float(sum_d[c]);
      grad_gamma[c] += float(sum_dx[c]);
    }
    const double n = double(rows);
    for (Eigen::Index r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < c_count; ++c) {
        const auto i = Eigen::Index(c);
        const double scale = double(gamma[c]) * inv_std_[c] / n;
        d(r, i) =
            float(scale * (n * double(d(r, i)) - sum_d[c] - double(normalized_(r, i)) * sum_dx[c]));
      }
  }

  /// The inference BatchNorm of channel c: running statistics, sigma = sqrt(var + epsilon).
  [[nodiscard]] BatchNorm exported(std::size_t c) const noexcept {
    BatchNorm bn;
    bn.gamma = gamma[c];
    bn.beta = beta[c];
    bn.mean = float(running_mean[c]);
    bn.sigma = float(std::sqrt(running_var[c] + epsilon_));
    return bn;
  }
  [[nodiscard]] std::vector<BatchNorm> exported() const {
    std::vector<BatchNorm> bn(channels());
    for (std::size_t c = 0; c < bn.size(); ++c) bn[c] = exported(c);
    return bn;
  }

  /// Statistics recording (BatchNorm recalibration): between begin_recording() and
  /// end_recording(), every eval-mode pass adds its inputs to a population mean and variance;
  /// end_recording() makes them the running statistics. Training keeps running statistics by
  /// momentum over the last few batches, under training's own input distribution (device
  /// dropout, input dropout, augmentation); recording measures the inputs inference will see.
  void begin_recording() {
    recording_ = true;
    recorded_rows_ = 0;
    recorded_mean_.assign(channels(), 0.0);
    recorded_m2_.assign(channels(), 0.0);
  }
  /// Adds z's rows (rows x channels, before normalisation) to the recording, if one is on.
  void record(Eigen::Ref<const Matrix> z) {
    if (!recording_ || z.rows() == 0) return;
    const std::size_t c_count = channels();
    const double rows = double(z.rows());
    for (std::size_t c = 0; c < c_count; ++c) {
      const auto i = Eigen::Index(c);
      double mean = 0.0, m2 = 0.0;
      for (Eigen::Index r = 0; r < z.rows(); ++r) mean += double(z(r, i));
      mean /= rows;
      for (Eigen::Index r = 0; r < z.rows(); ++r) {
        const double d = double(z(r, i)) - mean;
        m2 += d * d;
      }
      // Chan et al.'s merge of two (count, mean, M2) summaries
      const double before = double(recorded_rows_), total = before + rows;
      const double delta = mean - recorded_mean_[c];
      recorded_mean_[c] += delta * rows / total;
      recorded_m2_[c] += m2 + delta * delta * before * rows / total;
    }
    recorded_rows_ += std::size_t(z.rows());
  }
  /// Whether the recording holds at least 2 rows and finite statistics (end_recording's need).
  [[nodiscard]] bool recording_usable() const noexcept {
    if (recorded_rows_ < 2) return false;
    for (std::size_t c = 0; c < recorded_mean_.size(); ++c)
      if (!std::isfinite(recorded_mean_[c]) || !std::isfinite(recorded_m2_[c])) return false;
    return true;
  }
  /// Ends the recording; with `commit`, its population mean and (unbiased) variance become the
  /// running statistics, and ddnn::error is thrown (changing nothing) unless recording_usable().
  void end_recording(bool commit = true) {
    recording_ = false;
    if (!commit) return;
    if (!recording_usable())
      ddnn::detail::fail("BatchNorm recalibration: " + std::to_string(recorded_rows_) +
                         " rows recorded (2 needed) or statistics not finite");
    for (std::size_t c = 0; c < channels(); ++c) {
      running_mean[c] = recorded_mean_[c];
      running_var[c] = recorded_m2_[c] / double(recorded_rows_ - 1);
    }
  }

  void zero_grad() noexcept {
    for (float& g : grad_gamma) g = 0.0f;
    for (float& g : grad_beta) g = 0.0f;
  }

  std::vector<float> gamma, beta;            ///< trained by the optimizer
  std::vector<float> grad_gamma, grad_beta;  ///< accumulated by backward()
  std::vector<double> running_mean, running_var;

 private:
  double momentum_, epsilon_;
  std::vector<double> inv_std_;
  Matrix normalized_;
  bool recording_ = false;
  std::size_t recorded_rows_ = 0;
  std::vector<double> recorded_mean_, recorded_m2_;
};

}  // namespace train
DDNN_END_NAMESPACE
