// Training building blocks: the straight-through sign at its boundaries, softmax cross-entropy
// and distillation against hand values and central differences (masked rows, weighted exits), Adam
// against its closed form, on a convex quadratic and wherever its tensors lie, weight clipping,
// BatchNorm's recorded population statistics, and every misuse throws ddnn::error.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "ddnn/train/adam.hpp"
#include "ddnn/train/batchnorm_train.hpp"
#include "ddnn/train/loss.hpp"
#include "ddnn/train/parallel.hpp"
#include "ddnn/train/straight_through.hpp"
#include "ddnn/train/trainable_blocks.hpp"

using namespace ddnn;
using train::Adam;
using train::AdamOptions;
using train::MultiExitLoss;
using train::ParameterSpec;
using Matrix = float_math::Matrix;

namespace {

Matrix random_matrix(Eigen::Index rows, Eigen::Index cols, std::mt19937& rng, float scale) {
  std::normal_distribution<float> dist(0.0f, scale);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

/// The weighted mean cross-entropy in double from first principles (log of a plain softmax).
double reference_loss(const Eigen::MatrixXd& logits, const std::vector<std::int32_t>& labels,
                      const std::vector<double>& row_weights) {
  double total = 0.0, weight_sum = 0.0;
  for (Eigen::Index r = 0; r < logits.rows(); ++r) {
    double sum = 0.0;
    for (Eigen::Index c = 0; c < logits.cols(); ++c) sum += std::exp(logits(r, c));
    total +=
        row_weights[std::size_t(r)] * -std::log(std::exp(logits(r, labels[std::size_t(r)])) / sum);
    weight_sum += row_weights[std::size_t(r)];
  }
  return total / weight_sum;
}

/// Central differences of reference_loss, scaled by `weight`, compared with the gradient.
void check_gradient(const Matrix& logits, const std::vector<std::int32_t>& labels,
                    const std::vector<float>& row_weights, double weight) {
  const std::vector<double> w(row_weights.begin(), row_weights.end());
  const train::CrossEntropy ce = train::softmax_cross_entropy(logits, labels, weight, row_weights);
  Eigen::MatrixXd x = logits.cast<double>();
  CHECK(ce.loss == doctest::Approx(reference_loss(x, labels, w)).epsilon(1e-9));
  constexpr double h = 1e-5;
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      const double saved = x(r, c);
      x(r, c) = saved + h;
      const double up = reference_loss(x, labels, w);
      x(r, c) = saved - h;
      const double down = reference_loss(x, labels, w);
      x(r, c) = saved;
      const double numeric = weight * (up - down) / (2 * h);
      CHECK(double(ce.gradient(r, c)) == doctest::Approx(numeric).epsilon(1e-5).scale(1e-3));
    }
}

}  // namespace

TEST_CASE("train: straight-through sign at the boundaries") {
  CHECK(train::sign_forward(0.0f) == 1.0f);
  CHECK(train::sign_forward(-0.0f) == 1.0f);
  CHECK(train::sign_forward(std::numeric_limits<float>::denorm_min()) == 1.0f);
  CHECK(train::sign_forward(-std::numeric_limits<float>::denorm_min()) == -1.0f);
  CHECK(train::sign_forward(-3.0f) == -1.0f);
  const float above = std::nextafter(1.0f, 2.0f);  // 1.0000001f
  CHECK(train::sign_backward(1.0f, 0.5f) == 0.5f);
  CHECK(train::sign_backward(-1.0f, 0.5f) == 0.5f);
  CHECK(train::sign_backward(0.0f, -2.0f) == -2.0f);
  CHECK(train::sign_backward(above, 0.5f) == 0.0f);
  CHECK(train::sign_backward(-above, 0.5f) == 0.0f);
  CHECK(train::sign_backward(std::numeric_limits<float>::quiet_NaN(), 0.5f) == 0.0f);

  Matrix x(2, 3);
  x << -1.0f, 1.0f, above, 0.0f, -above, -0.25f;
  for (Eigen::Index i = 0; i < x.size(); ++i)
    CHECK(train::sign_forward(x).data()[i] == (sign_bit(x.data()[i]) ? 1.0f : -1.0f));
  const Matrix g = Matrix::Constant(2, 3, 3.0f);
  Matrix expected(2, 3);
  expected << 3.0f, 3.0f, 0.0f, 3.0f, 0.0f, 3.0f;
  CHECK(train::sign_backward(x, g) == expected);
  // A Map over a row-major buffer and an Array work too.
  Eigen::Map<const Matrix> mapped(x.data(), 2, 3);
  CHECK(train::sign_backward(mapped, g) == expected);
  const Eigen::ArrayXXf as_array = x.cast<float>().array();
  CHECK((train::sign_forward(as_array) == train::sign_forward(x).array()).all());
  CHECK_THROWS_AS((void)train::sign_backward(x, Matrix(3, 2)), ddnn::error);
}

TEST_CASE("train: clip_weights") {
  Matrix w(1, 5);
  w << -3.0f, -1.0f, 0.5f, 1.0f, 2.0f;
  train::clip_weights(w);
  Matrix expected(1, 5);
  expected << -1.0f, -1.0f, 0.5f, 1.0f, 1.0f;
  CHECK(w == expected);
  std::vector<float> v{-0.7f, 0.2f, 0.9f};
  train::clip_weights(std::span<float>(v), -0.5f, 0.5f);
  CHECK(v == std::vector<float>{-0.5f, 0.2f, 0.5f});
  Eigen::Map<Matrix> mapped(v.data(), 1, 3);
  train::clip_weights(mapped, 0.0f, 0.3f);
  CHECK(v == std::vector<float>{0.0f, 0.2f, 0.3f});

  CHECK_THROWS_AS(train::clip_weights(w, 1.0f, -1.0f), ddnn::error);
  CHECK_THROWS_AS(train::clip_weights(w, -INFINITY, 1.0f), ddnn::error);
  CHECK_THROWS_AS(train::clip_weights(std::span<float>(v), NAN, 1.0f), ddnn::error);
  w(0, 2) = NAN;
  CHECK_THROWS_AS(train::clip_weights(w), ddnn::error);
  v[1] = INFINITY;
  CHECK_THROWS_AS(train::clip_weights(std::span<float>(v)), ddnn::error);
  CHECK(v[0] == 0.0f);  // unchanged by the failed call
}

TEST_CASE("train: softmax cross-entropy by hand") {
  // Row 0: logits (0, ln 3), label 1: p = (1/4, 3/4), loss -ln 3/4.
  // Row 1: logits (2, 2), label 0: p = (1/2, 1/2), loss ln 2.
  Matrix logits(2, 2);
  logits << 0.0f, float(std::log(3.0)), 2.0f, 2.0f;
  const std::vector<std::int32_t> labels{1, 0};
  const train::CrossEntropy ce = train::softmax_cross_entropy(logits, labels);
  CHECK(ce.loss == doctest::Approx((-std::log(0.75) + std::log(2.0)) / 2).epsilon(1e-7));
  Matrix expected(2, 2);
  expected << 0.125f, -0.125f, -0.25f, 0.25f;
  CHECK(ce.gradient.isApprox(expected, 1e-6f));
  // Half the weight halves the gradient, not the loss.
  const train::CrossEntropy half = train::softmax_cross_entropy(logits, labels, 0.5);
  CHECK(half.loss == ce.loss);
  CHECK(half.gradient.isApprox(expected * 0.5f, 1e-6f));
  // 8-bit labels, as the datasets store them, give the same.
  const std::vector<std::uint8_t> bytes{1, 0};
  const train::CrossEntropy from_bytes = train::softmax_cross_entropy(logits, bytes);
  CHECK(from_bytes.loss == ce.loss);
  CHECK(from_bytes.gradient == ce.gradient);
  // Stable far from 0 (exp(1e4) overflows even a double): equal to the reference on the
  // shifted values, which float rounding moves slightly from the unshifted ones.
  const Matrix shifted_logits = logits.array() + 1e4f;
  const train::CrossEntropy shifted = train::softmax_cross_entropy(shifted_logits, labels);
  const Eigen::MatrixXd centred = shifted_logits.cast<double>().array() - 1e4;
  CHECK(shifted.loss == doctest::Approx(reference_loss(centred, labels, {1.0, 1.0})).epsilon(1e-9));
  CHECK(shifted.loss == doctest::Approx(ce.loss).epsilon(1e-4));
  Matrix extreme(1, 2);
  extreme << 1000.0f, -1000.0f;
  const train::CrossEntropy far =
      train::softmax_cross_entropy(extreme, std::vector<std::int32_t>{1});
  CHECK(far.loss == doctest::Approx(2000.0));
  CHECK(far.gradient(0, 0) == doctest::Approx(1.0));
  CHECK(far.gradient(0, 1) == doctest::Approx(-1.0));
}

TEST_CASE("train: cross-entropy gradient against central differences, masked rows") {
  std::mt19937 rng(7);
  const Matrix logits = random_matrix(6, 4, rng, 2.0f);
  const std::vector<std::int32_t> labels{0, 3, 2, 1, 3, 0};
  check_gradient(logits, labels, std::vector<float>(6, 1.0f), 1.0);
  check_gradient(logits, labels, {1.0f, 0.0f, 2.0f, 0.5f, 0.0f, 1.0f}, 0.3);

  // A masked row has zero gradient and does not move the loss, whatever its logits.
  const std::vector<float> mask{1.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  Matrix changed = logits;
  changed.row(1).setConstant(50.0f);
  const auto a = train::softmax_cross_entropy(logits, labels, 1.0, mask);
  const auto b = train::softmax_cross_entropy(changed, labels, 1.0, mask);
  CHECK(a.loss == b.loss);
  CHECK(a.gradient.row(1).isZero(0.0f));
  CHECK(a.gradient == b.gradient);
  // Every row masked: an explicit zero.
  const auto none = train::softmax_cross_entropy(logits, labels, 1.0, std::vector<float>(6, 0.0f));
  CHECK(none.loss == 0.0);
  CHECK(none.gradient.isZero(0.0f));
  CHECK(none.gradient.rows() == 6);
}

namespace {

/// tau^2 KL(softmax(teacher / tau) || softmax(student / tau)), the weighted row mean, in double
/// from first principles.
double reference_distillation(const Eigen::MatrixXd& student, const Eigen::MatrixXd& teacher,
                              double tau, const std::vector<double>& row_weights) {
  double total = 0.0, weight_sum = 0.0;
  for (Eigen::Index r = 0; r < student.rows(); ++r) {
    const Eigen::RowVectorXd p = (student.row(r) / tau).array().exp();
    const Eigen::RowVectorXd q = (teacher.row(r) / tau).array().exp();
    double kl = 0.0;
    for (Eigen::Index c = 0; c < p.size(); ++c)
      kl += q(c) / q.sum() * std::log((q(c) / q.sum()) / (p(c) / p.sum()));
    total += row_weights[std::size_t(r)] * tau * tau * kl;
    weight_sum += row_weights[std::size_t(r)];
  }
  return total / weight_sum;
}

}  // namespace

TEST_CASE("train: distillation by hand and against central differences") {
  // One row, two classes: teacher (0, 0) -> q = (1/2, 1/2); student (2 tau ln 3, 0) at
  // temperature tau -> p = (9/10, 1/10); tau^2 KL = tau^2 (ln(5/9) + ln 5) / 2.
  const double tau = 2.0;
  Matrix student(1, 2), teacher = Matrix::Zero(1, 2);
  student << float(2.0 * tau * std::log(3.0)), 0.0f;
  const auto hand = train::distillation(student, teacher, tau, 1.0, {});
  CHECK(hand.loss == doctest::Approx(tau * tau * 0.5 * (std::log(5.0 / 9.0) + std::log(5.0))));
  CHECK(hand.gradient(0, 0) == doctest::Approx(tau * (0.9 - 0.5)));
  CHECK(hand.gradient(0, 1) == doctest::Approx(tau * (0.1 - 0.5)));
  // A student that already agrees learns nothing.
  const auto same = train::distillation(teacher, teacher, tau, 1.0, {});
  CHECK(same.loss == 0.0);
  CHECK(same.gradient.isZero(0.0f));

  std::mt19937 rng(5);
  const Matrix s = random_matrix(5, 4, rng, 3.0f), t = random_matrix(5, 4, rng, 3.0f);
  for (const double temperature : {1.0, 3.0}) {
    for (const std::vector<float>& rows :
         {std::vector<float>(5, 1.0f), std::vector<float>{1.0f, 0.0f, 2.0f, 0.5f, 1.0f}}) {
      const double weight = 0.7;
      const std::vector<double> w(rows.begin(), rows.end());
      const auto kd = train::distillation(s, t, temperature, weight, rows);
      Eigen::MatrixXd x = s.cast<double>();
      const Eigen::MatrixXd y = t.cast<double>();
      CHECK(kd.loss == doctest::Approx(reference_distillation(x, y, temperature, w)).epsilon(1e-9));
      constexpr double h = 1e-5;
      for (Eigen::Index r = 0; r < x.rows(); ++r)
        for (Eigen::Index c = 0; c < x.cols(); ++c) {
          const double saved = x(r, c);
          x(r, c) = saved + h;
          const double up = reference_distillation(x, y, temperature, w);
          x(r, c) = saved - h;
          const double down = reference_distillation(x, y, temperature, w);
          x(r, c) = saved;
          const double numeric = weight * (up - down) / (2 * h);
          CHECK(double(kd.gradient(r, c)) == doctest::Approx(numeric).epsilon(1e-5).scale(1e-3));
        }
      if (rows[1] == 0.0f) CHECK(kd.gradient.row(1).isZero(0.0f));  // a masked row
    }
  }
  // Far-apart logits: finite, and the gradient is tau * (p - q) with p, q one-hot.
  Matrix far_student(1, 2), far_teacher(1, 2);
  far_student << 0.0f, 4000.0f;
  far_teacher << 4000.0f, 0.0f;
  const auto far = train::distillation(far_student, far_teacher, 1.0, 1.0, {});
  CHECK(far.loss == doctest::Approx(4000.0));
  CHECK(far.gradient(0, 0) == doctest::Approx(-1.0));
  CHECK(far.gradient(0, 1) == doctest::Approx(1.0));
  // Every row masked: an explicit zero.
  const auto none = train::distillation(s, t, 2.0, 1.0, std::vector<float>(5, 0.0f));
  CHECK(none.loss == 0.0);
  CHECK(none.gradient.isZero(0.0f));
}

TEST_CASE("train: multi-exit loss weights every exit") {
  std::mt19937 rng(11);
  const std::vector<Matrix> logits{random_matrix(5, 3, rng, 1.5f), random_matrix(5, 3, rng, 1.5f)};
  const std::vector<std::int32_t> labels{2, 0, 1, 1, 0};
  const std::vector<float> mask{1.0f, 1.0f, 0.0f, 1.0f, 1.0f};

  const MultiExitLoss equal(2);
  CHECK(equal.weights() == std::vector<double>{1.0, 1.0});
  const MultiExitLoss weighted(std::vector<double>{0.25, 2.0});
  const auto r = weighted(logits, labels, mask);
  REQUIRE(r.per_exit.size() == 2);
  REQUIRE(r.gradients.size() == 2);
  const std::vector<double> weights{0.25, 2.0};
  double total = 0.0;
  for (std::size_t e = 0; e < 2; ++e) {
    const auto ce = train::softmax_cross_entropy(logits[e], labels, 1.0, mask);
    CHECK(r.per_exit[e] == ce.loss);
    CHECK(r.gradients[e].isApprox(ce.gradient * float(weights[e]), 1e-6f));
    total += weights[e] * ce.loss;
    check_gradient(logits[e], labels, mask, weights[e]);
  }
  CHECK(r.total == doctest::Approx(total).epsilon(1e-12));
  const auto u = equal(logits, labels);
  CHECK(u.total == doctest::Approx(u.per_exit[0] + u.per_exit[1]).epsilon(1e-12));
  // A zero-weight exit contributes nothing and gets no gradient.
  const auto off = MultiExitLoss(std::vector<double>{0.0, 1.0})(logits, labels);
  CHECK(off.total == off.per_exit[1]);
  CHECK(off.gradients[0].isZero(0.0f));
}

TEST_CASE("train: loss errors") {
  Matrix logits = Matrix::Zero(2, 3);
  const std::vector<std::int32_t> labels{0, 2};
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(logits, std::vector<std::int32_t>{0, 3}),
                  ddnn::error);
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(logits, std::vector<std::int32_t>{-1, 0}),
                  ddnn::error);
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(logits, std::vector<std::uint8_t>{0, 3}),
                  ddnn::error);
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(logits, std::vector<std::int32_t>{0}),
                  ddnn::error);
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(Matrix(0, 3), std::vector<std::int32_t>{}),
                  ddnn::error);
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(Matrix::Zero(2, 1), labels), ddnn::error);
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(logits, labels, -1.0), ddnn::error);
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(logits, labels, NAN), ddnn::error);
  CHECK_THROWS_AS((void)train::softmax_cross_entropy(logits, labels, 1.0, std::vector<float>{1}),
                  ddnn::error);
  CHECK_THROWS_AS(
      (void)train::softmax_cross_entropy(logits, labels, 1.0, std::vector<float>{1, -0.5f}),
      ddnn::error);
  CHECK_THROWS_AS(
      (void)train::softmax_cross_entropy(logits, labels, 1.0, std::vector<float>{1, INFINITY}),
      ddnn::error);
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    Matrix l = logits;
    l(1, 1) = bad;
    CHECK_THROWS_AS((void)train::softmax_cross_entropy(l, labels), ddnn::error);
  }
  const Matrix other = Matrix::Ones(2, 3);
  CHECK_THROWS_AS((void)train::distillation(logits, Matrix::Zero(2, 4), 1.0, 1.0, {}), ddnn::error);
  CHECK_THROWS_AS((void)train::distillation(logits, Matrix::Zero(3, 3), 1.0, 1.0, {}), ddnn::error);
  CHECK_THROWS_AS((void)train::distillation(Matrix(0, 3), Matrix(0, 3), 1.0, 1.0, {}), ddnn::error);
  CHECK_THROWS_AS((void)train::distillation(Matrix::Zero(2, 1), Matrix::Zero(2, 1), 1.0, 1.0, {}),
                  ddnn::error);
  for (double bad : {0.0, -1.0, double(NAN), double(INFINITY)})
    CHECK_THROWS_AS((void)train::distillation(logits, other, bad, 1.0, {}), ddnn::error);
  CHECK_THROWS_AS((void)train::distillation(logits, other, 1.0, -1.0, {}), ddnn::error);
  CHECK_THROWS_AS((void)train::distillation(logits, other, 1.0, NAN, {}), ddnn::error);
  CHECK_THROWS_AS((void)train::distillation(logits, other, 1.0, 1.0, std::vector<float>{1}),
                  ddnn::error);
  CHECK_THROWS_AS((void)train::distillation(logits, other, 1.0, 1.0, std::vector<float>{1, -0.5f}),
                  ddnn::error);
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    Matrix l = logits;
    l(1, 1) = bad;
    CHECK_THROWS_AS((void)train::distillation(l, other, 1.0, 1.0, {}), ddnn::error);
    CHECK_THROWS_AS((void)train::distillation(other, l, 1.0, 1.0, {}), ddnn::error);
  }
  CHECK_THROWS_AS(MultiExitLoss(0), ddnn::error);
  CHECK_THROWS_AS(MultiExitLoss(std::vector<double>{1.0, -0.1}), ddnn::error);
  CHECK_THROWS_AS(MultiExitLoss(std::vector<double>{INFINITY}), ddnn::error);
  CHECK_THROWS_AS(MultiExitLoss(std::vector<double>{NAN}), ddnn::error);
  const std::vector<Matrix> one{logits};
  CHECK_THROWS_AS((void)MultiExitLoss(2)(one, labels), ddnn::error);
}

TEST_CASE(
    "train: WorkerPool runs each task once on thread i % threads, quick runs and after sleeping") {
  CHECK_THROWS_AS(train::WorkerPool(0), ddnn::error);
  CHECK_THROWS_AS(train::WorkerPool(65), ddnn::error);
  train::WorkerPool pool(3);
  const std::thread::id caller = std::this_thread::get_id();
  for (const std::size_t tasks : {std::size_t(7), std::size_t(2), std::size_t(3), std::size_t(1)}) {
    std::vector<int> runs(tasks, 0);
    std::vector<std::thread::id> where(tasks);
    const std::function<void(std::size_t)> task = [&](std::size_t i) {
      ++runs[i];
      where[i] = std::this_thread::get_id();
    };
    // back to back (the workers spin between runs), then with pauses longer than their spin
    // (they sleep and are woken)
    for (int round = 0; round < 2000; ++round) pool.run(tasks, task);
    for (int round = 0; round < 5; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      pool.run(tasks, task);
    }
    INFO(tasks << " tasks");
    for (std::size_t i = 0; i < tasks; ++i) {
      CHECK(runs[i] == 2005);
      CHECK((where[i] == caller) == (i % 3 == 0));
      if (i >= 3) CHECK(where[i] == where[i - 3]);
    }
    if (tasks >= 3) CHECK(where[1] != where[2]);
  }
  // the first exception is rethrown once every task has run; the pool still works after it
  std::vector<int> runs(7, 0);
  const std::function<void(std::size_t)> failing = [&](std::size_t i) {
    ++runs[i];
    if (i == 4) ddnn::detail::fail("task 4");
  };
  CHECK_THROWS_WITH_AS(pool.run(7, failing), doctest::Contains("task 4"), ddnn::error);
  CHECK(runs == std::vector<int>(7, 1));
  std::atomic<int> total{0};
  pool.run(7, [&](std::size_t i) { total += int(i); });
  CHECK(total == 21);
}

// A binary conv's sums counted on bits (ConvCore::forward_signs, eval mode) against the GEMM,
// every float bit for bit, on one and two threads.
template <std::size_t F>
void check_sign_conv(const window_geometry& g, std::mt19937& gen) {
  std::uniform_int_distribution<int> coin(0, 1);
  const Eigen::Index rows = 5;
  Matrix x(rows, static_cast<Eigen::Index>(g.in_size()));
  Matrix w(static_cast<Eigen::Index>(F), static_cast<Eigen::Index>(g.patch_size()));
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = coin(gen) ? 1.0f : -1.0f;
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = coin(gen) ? 1.0f : -1.0f;
  train::WorkerPool pool(2);
  for (train::WorkerPool* threads : {static_cast<train::WorkerPool*>(nullptr), &pool}) {
    train::RunContext ctx;
    ctx.train = false;
    ctx.pool = threads;
    train::detail::ConvCore core(g);
    const Matrix expected = core.forward(x, w, ctx, false);
    const Matrix counted = core.forward_signs<F>(x, w, ctx);
    INFO("in " << g.in_h << "x" << g.in_w << "x" << g.channels << ", kernel " << g.kernel
               << ", stride " << g.stride << ", pad " << g.pad << ", filters " << F
               << (threads ? ", 2 threads" : ""));
    REQUIRE(counted.rows() == expected.rows());
    REQUIRE(counted.cols() == expected.cols());
    CHECK(std::memcmp(counted.data(), expected.data(),
                      sizeof(float) * std::size_t(x.rows()) * g.out_pixels() * F) == 0);
  }
}

TEST_CASE("train: a binary conv's sums counted on bits equal the GEMM's") {
  std::mt19937 gen(29);
  // the main job's second conv; strides, pads and kernels that leave taps in the padding; 1,
  // 64, 65 and 130 channels (one to three 64-bit words a pixel)
  check_sign_conv<16>(window_geometry::of(10, 14, 16, 3, 1, 1), gen);
  check_sign_conv<3>(window_geometry::of(5, 7, 1, 3, 2, 1), gen);
  check_sign_conv<8>(window_geometry::of(6, 6, 64, 3, 1, 0), gen);
  check_sign_conv<5>(window_geometry::of(7, 5, 65, 2, 1, 1), gen);
  check_sign_conv<16>(window_geometry::of(4, 9, 130, 5, 2, 2), gen);
  check_sign_conv<1>(window_geometry::of(3, 3, 3, 1, 1, 0), gen);
  check_sign_conv<32>(window_geometry::of(9, 4, 7, 4, 3, 3), gen);
  // weights of another shape than the filters and patch, or a short input, are refused
  train::detail::ConvCore core(window_geometry::of(4, 4, 2, 3, 1, 1));
  const Matrix x = Matrix::Ones(1, 32);
  CHECK_THROWS_AS((void)core.forward_signs<4>(x, Matrix::Ones(3, 18), train::RunContext{}),
                  ddnn::error);
  CHECK_THROWS_AS((void)core.forward_signs<4>(x, Matrix::Ones(4, 17), train::RunContext{}),
                  ddnn::error);
  CHECK_THROWS_AS(
      (void)core.forward_signs<4>(Matrix::Ones(1, 31), Matrix::Ones(4, 18), train::RunContext{}),
      ddnn::error);
}

TEST_CASE("train: Adam's first steps follow the closed form") {
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  std::vector<float> p{0.5f, -0.25f, 2.0f};
  const std::vector<float> p0 = p;
  Adam adam({{"p", 3}});
  CHECK(adam.options().learning_rate == 1e-3);  // the default
  Adam fast({{"p", 3}}, AdamOptions{lr, b1, b2, eps});
  const std::vector<float> g1{0.3f, -2.0f, 1e-3f}, g2{-0.1f, -1.0f, 4.0f};
  fast.step(std::vector<std::span<float>>{p}, std::vector<std::span<const float>>{g1});
  CHECK(fast.steps() == 1);
  std::vector<double> p1(3);
  for (std::size_t k = 0; k < 3; ++k) {
    // t = 1: m_hat = g, v_hat = g^2, so the step is lr * g / (|g| + eps).
    p1[k] = double(p0[k]) - lr * double(g1[k]) / (std::abs(double(g1[k])) + eps);
    CHECK(double(p[k]) == doctest::Approx(p1[k]).epsilon(1e-6));
    CHECK(double(fast.first_moment(0)[k]) == doctest::Approx((1 - b1) * g1[k]).epsilon(1e-6));
  }
  fast.step(std::vector<std::span<float>>{p}, std::vector<std::span<const float>>{g2});
  for (std::size_t k = 0; k < 3; ++k) {
    const double m2 = b1 * (1 - b1) * g1[k] + (1 - b1) * g2[k];
    const double v2 = b2 * (1 - b2) * g1[k] * g1[k] + (1 - b2) * g2[k] * g2[k];
    const double p2 = p1[k] - lr * (m2 / (1 - b1 * b1)) / (std::sqrt(v2 / (1 - b2 * b2)) + eps);
    CHECK(double(p[k]) == doctest::Approx(p2).epsilon(1e-6));
  }
  // Deterministic: a second optimizer on the same inputs gives the same bits.
  std::vector<float> q = p0;
  Adam again({{"p", 3}}, AdamOptions{lr, b1, b2, eps});
  again.step(std::vector<std::span<float>>{q}, std::vector<std::span<const float>>{g1});
  again.step(std::vector<std::span<float>>{q}, std::vector<std::span<const float>>{g2});
  CHECK(q == p);
}

TEST_CASE("train: Adam minimises a convex quadratic and clips shadow weights") {
  // f(x) = ||A x - b||^2 over a Matrix parameter x (3 x 1) and a vector parameter c (bias-free
  // second problem in a std::vector), each with its own optimum.
  std::mt19937 rng(3);
  const Matrix a_f = random_matrix(6, 3, rng, 1.0f);
  const Eigen::MatrixXd a = a_f.cast<double>();
  const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(6, -1.0, 1.5);
  const Eigen::VectorXd optimum = a.colPivHouseholderQr().solve(b);

  Matrix x = Matrix::Zero(3, 1);
  std::vector<float> c{3.0f, -3.0f};  // minimise (c0 - 0.4)^2 + 4 (c1 + 0.7)^2
  Adam adam({{"x", 3}, {"c", 2}}, AdamOptions{0.05, 0.9, 0.999, 1e-8});
  Matrix gx(3, 1);
  std::vector<float> gc(2);
  for (int t = 0; t < 1500; ++t) {
    const Eigen::VectorXd xd = x.cast<double>();
    gx = (2.0 * a.transpose() * (a * xd - b)).cast<float>();
    gc[0] = 2.0f * (c[0] - 0.4f);
    gc[1] = 8.0f * (c[1] + 0.7f);
    adam.step(std::vector<std::span<float>>{train::parameter_values(x), c},
              std::vector<std::span<const float>>{train::parameter_values(std::as_const(gx)), gc});
  }
  CHECK((x.cast<double>() - optimum).norm() < 1e-3);
  CHECK(c[0] == doctest::Approx(0.4).epsilon(1e-3));
  CHECK(c[1] == doctest::Approx(-0.7).epsilon(1e-3));

  // The same pull towards 3 with clipping: the weight stops at 1; an unclipped twin passes it.
  std::vector<float> w{0.9f, 0.0f}, u{0.9f, 0.0f};
  Adam clipped({{"w", 2, true}}, AdamOptions{0.1, 0.9, 0.999, 1e-8});
  Adam free({{"u", 2, false}}, AdamOptions{0.1, 0.9, 0.999, 1e-8});
  for (int t = 0; t < 50; ++t) {
    const std::vector<float> gw{2.0f * (w[0] - 3.0f), 2.0f * (w[1] + 3.0f)};
    const std::vector<float> gu{2.0f * (u[0] - 3.0f), 2.0f * (u[1] + 3.0f)};
    clipped.step(std::vector<std::span<float>>{w}, std::vector<std::span<const float>>{gw});
    free.step(std::vector<std::span<float>>{u}, std::vector<std::span<const float>>{gu});
    CHECK(std::abs(w[0]) <= 1.0f);
    CHECK(std::abs(w[1]) <= 1.0f);
  }
  CHECK(w == std::vector<float>{1.0f, -1.0f});
  CHECK(u[0] > 1.5f);
  CHECK(u[1] < -1.5f);
}

TEST_CASE("train: Adam gives the same bits wherever a tensor lies and on any thread count") {
  // Sizes around the 16-value block and the 16,384-value task, so that heads, tails and task
  // boundaries all occur; each tensor is updated at every offset 0..3 of a float buffer
  // (misaligned for SIMD), with and without a two-thread pool, and against the closed form.
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 0.5f);
  train::WorkerPool pool(2);
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{15}, std::size_t{17}, std::size_t{16384}, std::size_t{40005}}) {
    std::vector<float> p0(n), g1(n), g2(n);
    for (std::size_t k = 0; k < n; ++k) {
      p0[k] = dist(rng);
      g1[k] = dist(rng);
      g2[k] = k % 7 == 0 ? 0.0f : dist(rng);
    }
    std::vector<float> first;
    for (std::size_t offset = 0; offset < 4; ++offset)
      for (train::WorkerPool* threads : {static_cast<train::WorkerPool*>(nullptr), &pool}) {
        std::vector<float> buffer(n + offset);
        std::copy(p0.begin(), p0.end(), buffer.begin() + std::ptrdiff_t(offset));
        const std::span<float> p(buffer.data() + offset, n);
        Adam adam({{"p", n, true}}, AdamOptions{0.01, 0.9, 0.999, 1e-8});
        adam.step(std::vector<std::span<float>>{p}, std::vector<std::span<const float>>{g1},
                  threads);
        adam.step(std::vector<std::span<float>>{p}, std::vector<std::span<const float>>{g2},
                  threads);
        const std::vector<float> result(p.begin(), p.end());
        if (first.empty()) {
          first = result;
          for (std::size_t k = 0; k < n; ++k) {
            const double m1 = 0.1 * g1[k], v1 = 0.001 * double(g1[k]) * g1[k];
            const double p1 = std::clamp(
                double(p0[k]) - 0.01 * (m1 / 0.1) / (std::sqrt(v1 / 0.001) + 1e-8), -1.0, 1.0);
            const double m2 = 0.9 * m1 + 0.1 * g2[k];
            const double v2 = 0.999 * v1 + 0.001 * double(g2[k]) * g2[k];
            const double p2 = std::clamp(
                p1 - 0.01 * (m2 / (1 - 0.81)) / (std::sqrt(v2 / (1 - 0.999 * 0.999)) + 1e-8), -1.0,
                1.0);
            CHECK(double(result[k]) == doctest::Approx(p2).epsilon(1e-5));
          }
        }
        CHECK(result == first);
      }
  }
}

TEST_CASE("train: Adam errors") {
  CHECK_THROWS_AS(Adam({}), ddnn::error);
  CHECK_THROWS_AS(Adam({{"a", 0}}), ddnn::error);
  CHECK_THROWS_AS(Adam({{"a", 1}, {"a", 2}}), ddnn::error);
  for (const AdamOptions& bad :
       {AdamOptions{0.0}, AdamOptions{-1e-3}, AdamOptions{NAN}, AdamOptions{INFINITY},
        AdamOptions{1e-3, 1.0}, AdamOptions{1e-3, -0.1}, AdamOptions{1e-3, NAN},
        AdamOptions{1e-3, 0.9, 1.0}, AdamOptions{1e-3, 0.9, -0.5}, AdamOptions{1e-3, 0.9, NAN},
        AdamOptions{1e-3, 0.9, 0.999, 0.0}, AdamOptions{1e-3, 0.9, 0.999, -1e-8},
        AdamOptions{1e-3, 0.9, 0.999, INFINITY}})
    CHECK_THROWS_AS(Adam({{"a", 1}}, bad), ddnn::error);
  CHECK_NOTHROW(Adam({{"a", 1}}, AdamOptions{1e-3, 0.0, 0.0, 1e-8}));

  Adam adam({{"a", 2}, {"b", 1}});
  std::vector<float> a{1.0f, 2.0f}, b{3.0f}, ga{0.1f, 0.2f}, gb{0.3f}, short_grad{0.1f};
  using P = std::vector<std::span<float>>;
  using G = std::vector<std::span<const float>>;
  CHECK_THROWS_AS(adam.step(P{a}, G{ga}), ddnn::error);                 // too few
  CHECK_THROWS_AS(adam.step(P{a, b}, G{ga}), ddnn::error);              // grads missing
  CHECK_THROWS_AS(adam.step(P{a, b}, G{short_grad, gb}), ddnn::error);  // gradient size
  CHECK_THROWS_AS(adam.step(P{b, a}, G{gb, ga}), ddnn::error);          // parameter sizes
  std::vector<float> nan_grad{0.1f, NAN}, inf_param{INFINITY};
  CHECK_THROWS_AS(adam.step(P{a, b}, G{nan_grad, gb}), ddnn::error);
  CHECK_THROWS_AS(adam.step(P{a, inf_param}, G{ga, gb}), ddnn::error);
  // Nothing changed by the failed calls.
  CHECK(adam.steps() == 0);
  CHECK(a == std::vector<float>{1.0f, 2.0f});
  CHECK(adam.first_moment(0)[1] == 0.0f);
  CHECK_THROWS_AS((void)adam.first_moment(2), ddnn::error);
  CHECK_THROWS_AS((void)adam.second_moment(2), ddnn::error);
  adam.step(P{a, b}, G{ga, gb});
  CHECK(adam.steps() == 1);

  // On two threads, in a tensor split into several tasks: a value far from the tensor's start is
  // found, the first tensor in order is named (its gradient before its values), nothing changes.
  train::WorkerPool pool(2);
  const std::size_t n = 3 * detail::adam_block * detail::adam_task_blocks + 5;
  std::vector<float> big(n, 0.5f), big_grad(n, 0.1f), one{1.0f}, one_grad{0.1f};
  Adam wide({{"one", 1}, {"big", n}});
  const auto step = [&] { wide.step(P{one, big}, G{one_grad, big_grad}, &pool); };
  big_grad[n - 2] = NAN;
  CHECK_THROWS_WITH_AS(step(), doctest::Contains("gradient of 'big' not finite"), ddnn::error);
  big_grad[n - 2] = 0.1f;
  big[2 * detail::adam_block * detail::adam_task_blocks + 1] = INFINITY;
  CHECK_THROWS_WITH_AS(step(), doctest::Contains("parameter 'big' not finite"), ddnn::error);
  big_grad[n - 1] = -INFINITY;  // the same tensor's gradient, in a later task than its value
  CHECK_THROWS_WITH_AS(step(), doctest::Contains("gradient of 'big' not finite"), ddnn::error);
  one[0] = NAN;  // an earlier tensor's value comes first
  CHECK_THROWS_WITH_AS(step(), doctest::Contains("parameter 'one' not finite"), ddnn::error);
  CHECK(wide.steps() == 0);
  CHECK(big[0] == 0.5f);
  CHECK(big[n - 1] == 0.5f);
  CHECK(wide.first_moment(1)[n - 1] == 0.0f);
  one[0] = 1.0f;
  big_grad[n - 1] = 0.1f;
  big[2 * detail::adam_block * detail::adam_task_blocks + 1] = 0.5f;
  step();
  CHECK(wide.steps() == 1);
  CHECK(big[n - 1] != 0.5f);
}

TEST_CASE("train: BatchNorm recording gives the population's mean and unbiased variance") {
  // Rows recorded in pieces of uneven size, against a two-pass reference over all of them; the
  // channels sit at different offsets and scales, one far from 0 (cancellation would show).
  constexpr std::size_t channels = 3;
  const std::size_t pieces[] = {1, 7, 64, 3, 200};
  std::mt19937 gen(17);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  const float offset[channels] = {0.0f, -3.0f, 4096.0f}, scale[channels] = {1.0f, 0.01f, 20.0f};
  train::BatchNormTrainer bn(channels);
  std::vector<Matrix> recorded;
  bn.begin_recording();
  for (const std::size_t rows : pieces) {
    Matrix z(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(channels));
    for (Eigen::Index r = 0; r < z.rows(); ++r)
      for (std::size_t c = 0; c < channels; ++c)
        z(r, Eigen::Index(c)) = offset[c] + scale[c] * noise(gen);
    recorded.push_back(z);
    bn.forward_eval(z);  // records what it is given, before normalising it
  }
  CHECK(bn.recording_usable());
  bn.end_recording();
  for (std::size_t c = 0; c < channels; ++c) {
    double n = 0.0, sum = 0.0, squares = 0.0;
    for (const Matrix& z : recorded)
      for (Eigen::Index r = 0; r < z.rows(); ++r) n += 1.0, sum += double(z(r, Eigen::Index(c)));
    const double mean = sum / n;
    for (const Matrix& z : recorded)
      for (Eigen::Index r = 0; r < z.rows(); ++r) {
        const double d = double(z(r, Eigen::Index(c))) - mean;
        squares += d * d;
      }
    INFO("channel " << c);
    CHECK(bn.running_mean[c] == doctest::Approx(mean).epsilon(1e-12));
    CHECK(bn.running_var[c] == doctest::Approx(squares / (n - 1.0)).epsilon(1e-10));
  }

  // Outside a recording, eval passes change nothing.
  const auto mean = bn.running_mean, var = bn.running_var;
  Matrix z = Matrix::Constant(5, Eigen::Index(channels), 9.0f);
  bn.forward_eval(z);
  CHECK(bn.running_mean == mean);
  CHECK(bn.running_var == var);

  // Fewer than 2 rows, or a value that is not finite: an error, and the statistics stay.
  bn.begin_recording();
  Matrix one = Matrix::Constant(1, Eigen::Index(channels), 2.0f);
  bn.forward_eval(one);
  CHECK_FALSE(bn.recording_usable());
  CHECK_THROWS_AS(bn.end_recording(), error);
  bn.begin_recording();
  Matrix bad = Matrix::Constant(4, Eigen::Index(channels), 1.0f);
  bad(2, 1) = std::numeric_limits<float>::quiet_NaN();
  bn.forward_eval(bad);
  CHECK_FALSE(bn.recording_usable());
  CHECK_THROWS_AS(bn.end_recording(), error);
  CHECK(bn.running_mean == mean);
  CHECK(bn.running_var == var);
  // an ended recording records no more
  bn.forward_eval(z);
  CHECK(bn.running_mean == mean);
}
