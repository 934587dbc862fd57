// Float layers of the upper tiers: Conv and Dense equal a plain double-precision loop up to float
// rounding, on float input and on bits read as +1/-1; the batch math training uses is the layers'
// math bit for bit; bad parameters and inputs throw ddnn::error; Sections mix them with binary
// layers.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <thread>
#include <type_traits>
#include <vector>

#include "ddnn/graph/section.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/conv.hpp"
#include "ddnn/layers/dense.hpp"

using namespace ddnn;

namespace {

// ---- plain double-precision reference ---------------------------------------------------------

/// Reference values and how far float may stray from each: `relative` times the magnitude the
/// float computation passes through (the sum of |x * w| over the taps, and the BatchNorm terms).
struct expected {
  std::vector<double> value, tolerance;
};

constexpr double relative = 1e-6;

double batchnorm_ref(double s, const BatchNorm& bn) {
  return bn.gamma == 0.0f
             ? double(bn.beta)
             : double(bn.gamma) * (s - double(bn.mean)) / double(bn.sigma) + double(bn.beta);
}
double batchnorm_magnitude(double taps, const BatchNorm& bn) {
  return std::abs(double(bn.gamma)) * (taps + std::abs(double(bn.mean))) / double(bn.sigma) +
         std::abs(double(bn.beta));
}

/// y = pool(relu(batchnorm(conv(x)))) with zero padding, pool over valid taps only.
template <class In, class Spec>
expected conv_reference(const std::vector<float>& x, const std::vector<float>& w,
                        const std::vector<BatchNorm>& bn) {
  const int h = int(In::height), wd = int(In::width), c = int(In::channels);
  const int f = int(Spec::filters), k = int(Spec::kernel), s = int(Spec::stride),
            p = int(Spec::pad);
  const int oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
  expected conv;
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int j = 0; j < f; ++j) {
        double sum = 0, taps = 0;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int y = oy * s - p + ky, xx = ox * s - p + kx;
            if (y < 0 || y >= h || xx < 0 || xx >= wd) continue;
            for (int i = 0; i < c; ++i) {
              const double product = double(x[std::size_t((y * wd + xx) * c + i)]) *
                                     double(w[std::size_t(((j * k + ky) * k + kx) * c + i)]);
              sum += product;
              taps += std::abs(product);
            }
          }
        conv.value.push_back(std::max(0.0, batchnorm_ref(sum, bn[std::size_t(j)])));
        conv.tolerance.push_back(relative * batchnorm_magnitude(taps, bn[std::size_t(j)]));
      }
  using Pool = typename Spec::pool;
  const int pk = int(Pool::kernel), ps = int(Pool::stride), pp = int(Pool::pad);
  const int ph = (oh + 2 * pp - pk) / ps + 1, pw = (ow + 2 * pp - pk) / ps + 1;
  expected pooled;
  for (int py = 0; py < ph; ++py)
    for (int px = 0; px < pw; ++px)
      for (int j = 0; j < f; ++j) {
        double best = -INFINITY, tolerance = 0;
        for (int ky = 0; ky < pk; ++ky)
          for (int kx = 0; kx < pk; ++kx) {
            const int y = py * ps - pp + ky, xx = px * ps - pp + kx;
            if (y < 0 || y >= oh || xx < 0 || xx >= ow) continue;
            const auto i = std::size_t((y * ow + xx) * f + j);
            best = std::max(best, conv.value[i]);
            tolerance = std::max(tolerance, conv.tolerance[i]);  // max is 1-Lipschitz
          }
        pooled.value.push_back(best);
        pooled.tolerance.push_back(tolerance);
      }
  return pooled;
}

/// Dense sums in double; relu(batchnorm(s)) or scale * s + bias.
template <class Spec>
expected dense_reference(const std::vector<float>& x, const DenseParameters& p) {
  expected e;
  for (std::size_t n = 0; n < Spec::outputs; ++n) {
    double sum = 0, taps = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double product = double(x[i]) * double(p.weights[n * x.size() + i]);
      sum += product;
      taps += std::abs(product);
    }
    if constexpr (Spec::produces_logits) {
      e.value.push_back(double(p.scale[n]) * sum + double(p.bias[n]));
      e.tolerance.push_back(relative *
                            (std::abs(double(p.scale[n])) * taps + std::abs(double(p.bias[n]))));
    } else {
      e.value.push_back(std::max(0.0, batchnorm_ref(sum, p.batchnorm[n])));
      e.tolerance.push_back(relative * batchnorm_magnitude(taps, p.batchnorm[n]));
    }
  }
  return e;
}

/// One CHECK per tensor: the value furthest outside its tolerance, by index.
void check_close(std::span<const float> got, const expected& e) {
  REQUIRE(got.size() == e.value.size());
  std::size_t worst = 0;
  double worst_excess = -1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double excess = std::abs(double(got[i]) - e.value[i]) - e.tolerance[i];
    if (excess > worst_excess || std::isnan(excess)) {
      worst = i;
      worst_excess = std::isnan(excess) ? INFINITY : excess;
    }
  }
  INFO("value ", worst, ": got ", got[worst], ", expected ", e.value[worst], " +- ",
       e.tolerance[worst]);
  CHECK(worst_excess <= 0.0);
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// ---- random data ------------------------------------------------------------------------------

std::vector<float> uniform(std::mt19937& rng, std::size_t n, float range) {
  std::uniform_real_distribution<float> d(-range, range);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<float> signs(std::mt19937& rng, std::size_t n) {
  std::vector<float> v(n);
  for (auto& x : v) x = (rng() & 1) ? 1.0f : -1.0f;
  return v;
}

/// BatchNorms whose mean lies where sums of `taps` products typically fall, so ReLU clips some
/// outputs and not others; the first has gamma == 0 and the second a negative gamma.
std::vector<BatchNorm> random_batchnorm(std::mt19937& rng, std::size_t count, std::size_t taps) {
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<BatchNorm> bn(count);
  for (auto& b : bn) {
    b.gamma = rng() % 8 == 0 ? 0.0f : unit(rng) * 2.0f;
    b.beta = unit(rng);
    b.mean = unit(rng) * 0.5f * std::sqrt(float(taps));
    b.sigma = 0.25f + std::abs(unit(rng)) * 4.0f;
  }
  bn[0].gamma = 0.0f;
  if (count > 1) bn[1].gamma = -0.5f - std::abs(unit(rng));
  return bn;
}

/// A batch of samples, one per row.
float_math::Matrix batch_of(const std::vector<std::vector<float>>& samples) {
  float_math::Matrix m(Eigen::Index(samples.size()), Eigen::Index(samples[0].size()));
  for (std::size_t r = 0; r < samples.size(); ++r)
    std::copy(samples[r].begin(), samples[r].end(), m.row(Eigen::Index(r)).data());
  return m;
}
std::span<const float> row(const float_math::Matrix& m, Eigen::Index r) {
  return {m.row(r).data(), std::size_t(m.cols())};
}

template <std::size_t H, std::size_t W, std::size_t C, class Spec>
struct conv_case {
  using input = Shape<H, W, C>;
  using spec = Spec;
};

template <class In, std::size_t N, Activation A>
struct dense_case {
  using input = In;
  using spec = Dense<N, A>;
};

}  // namespace

// ---- compile-time shapes ----------------------------------------------------------------------

static_assert(std::is_same_v<Conv<8, 3, 1, 1, MaxPool<2, 2, 0>>::output_shape<Shape<8, 8, 16>>,
                             Shape<4, 4, 8>>);
static_assert(std::is_same_v<Conv<5, 5, 2>::output_shape<Shape<13, 10, 16>>, Shape<5, 3, 5>>);
static_assert(
    std::is_same_v<Dense<10>::bind<Shape<4, 4, 8>>::output_type, Tensor<float, Vector<10>>>);
static_assert(!Conv<8, 3>::bind<Shape<8, 8, 3>>::produces_logits);
static_assert(!Dense<10>::bind<Vector<4>>::produces_logits);
static_assert(Dense<10, Activation::none>::bind<Vector<4>>::produces_logits);

// ---- Conv ---------------------------------------------------------------------------------------

// C = 1, 3, 16, 65; K = 1, 3, 5; S = 1, 2; P = 0, 1, 2; non-square inputs; every pool window;
// filters 1..33.
#define CONV_CASES                                                                                 \
  conv_case<5, 7, 1, Conv<1, 1>>, conv_case<9, 12, 3, Conv<8, 3, 1, 1, MaxPool<2, 2, 0>>>,         \
      conv_case<11, 8, 16, Conv<17, 3, 2, 1, MaxPool<3, 2, 1>>>,                                   \
      conv_case<4, 5, 65, Conv<33, 5, 1, 2, MaxPool<3, 1, 1>>>,                                    \
      conv_case<13, 10, 16, Conv<5, 5, 2>>,                                                        \
      conv_case<8, 5, 3, Conv<33, 1, 2, 0, MaxPool<3, 1, 1>>>,                                     \
      conv_case<16, 12, 1, Conv<4, 5, 1, 2, MaxPool<2, 2, 0>>>,                                    \
      conv_case<3, 4, 65, Conv<2, 3, 1, 1>>,                                                       \
      conv_case<5, 9, 16, Conv<9, 3, 1, 2, MaxPool<2, 2, 0>>>, conv_case<7, 3, 1, Conv<33, 3, 2>>, \
      conv_case<6, 6, 65, Conv<16, 1, 1, 0, MaxPool<3, 2, 1>>>

TEST_CASE_TEMPLATE("Conv equals a double-precision loop, on float input and on bits", Case,
                   CONV_CASES) {
  using In = typename Case::input;
  using Spec = typename Case::spec;
  using Layer = typename Spec::template bind<In>;
  std::mt19937 rng(std::uint32_t(In::size * 31 + Spec::filters * 7 + Spec::kernel));
  ConvParameters params{uniform(rng, Layer::weight_count, 1.0f),
                        random_batchnorm(rng, Spec::filters, Layer::geometry.patch_size())};
  const Layer layer(params);

  SUBCASE("float input") {
    const auto x = uniform(rng, In::size, 2.0f);
    check_close(layer(Tensor<float, In>(x)).values(),
                conv_reference<In, Spec>(x, params.weights, params.batchnorm));
  }
  SUBCASE("bits read as +1.0f / -1.0f, exactly as the same values in a float tensor") {
    const auto x = signs(rng, In::size);
    const auto from_bits = layer(pack_signs<In>(std::span<const float>(x)));
    check_close(from_bits.values(), conv_reference<In, Spec>(x, params.weights, params.batchnorm));
    CHECK(same_bits(from_bits.values(), layer(Tensor<float, In>(x)).values()));
  }
  SUBCASE("the batch math is the layer's math, bit for bit") {
    const std::vector<std::vector<float>> samples{
        uniform(rng, In::size, 2.0f), signs(rng, In::size), uniform(rng, In::size, 0.1f)};
    float_math::Matrix z = float_math::conv(batch_of(samples), Layer::geometry, layer.weights());
    float_math::batchnorm_relu(z, layer.batchnorm());
    const float_math::Matrix y = float_math::max_pool(z, Layer::pool_geometry);
    for (std::size_t r = 0; r < samples.size(); ++r)
      CHECK(same_bits(row(y, Eigen::Index(r)), layer(Tensor<float, In>(samples[r])).values()));
  }
}

TEST_CASE("Conv is const and shareable: threads running one layer agree") {
  using In = Shape<9, 7, 16>;
  using Layer = Conv<12, 3, 1, 1, MaxPool<3, 2, 1>>::bind<In>;
  std::mt19937 rng(5);
  const Layer layer(
      ConvParameters{uniform(rng, Layer::weight_count, 1.0f), random_batchnorm(rng, 12, 144)});
  const Tensor<float, In> x(uniform(rng, In::size, 1.0f));
  const auto single = layer(x);
  bool agree[2] = {true, true};
  auto work = [&](bool& ok) {
    for (int i = 0; i < 20; ++i) ok = ok && same_bits(layer(x).values(), single.values());
  };
  std::thread a(work, std::ref(agree[0])), b(work, std::ref(agree[1]));
  a.join(), b.join();
  CHECK(agree[0]);
  CHECK(agree[1]);
}

TEST_CASE("Conv rejects wrong counts, non-finite values, bad BatchNorms and non-finite input") {
  using In = Shape<5, 6, 3>;
  using Layer = Conv<4, 3, 1, 1>::bind<In>;
  std::mt19937 rng(9);
  const ConvParameters good{uniform(rng, Layer::weight_count, 1.0f), random_batchnorm(rng, 4, 27)};
  CHECK_NOTHROW(Layer{good});

  ConvParameters bad = good;
  bad.weights.pop_back();
  CHECK_THROWS_WITH_AS(Layer{bad}, doctest::Contains("Conv weights: expected 108"), ddnn::error);
  bad = good;
  bad.weights[17] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(Layer{bad}, doctest::Contains("Conv weights: value 17"), ddnn::error);
  bad = good;
  bad.weights[3] = -INFINITY;
  CHECK_THROWS_WITH_AS(Layer{bad}, doctest::Contains("Conv weights: value 3"), ddnn::error);
  bad = good;
  bad.batchnorm.push_back({});
  CHECK_THROWS_WITH_AS(Layer{bad}, doctest::Contains("Conv batchnorm"), ddnn::error);
  bad = good;
  bad.batchnorm[2].sigma = 0.0f;
  CHECK_THROWS_WITH_AS(Layer{bad}, doctest::Contains("Conv filter 2: BatchNorm sigma"),
                       ddnn::error);
  bad.batchnorm[2].sigma = -1.0f;
  CHECK_THROWS_WITH_AS(Layer{bad}, doctest::Contains("Conv filter 2: BatchNorm sigma"),
                       ddnn::error);
  bad = good;
  bad.batchnorm[3].mean = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(Layer{bad}, doctest::Contains("Conv filter 3: BatchNorm parameters"),
                       ddnn::error);

  const Layer layer(good);
  Tensor<float, In> x(uniform(rng, In::size, 1.0f));
  x(4, 5, 2) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS((void)layer(x), doctest::Contains("Conv: input value 89"), ddnn::error);
  x(4, 5, 2) = INFINITY;
  CHECK_THROWS_WITH_AS((void)layer(x), doctest::Contains("Conv: input value 89"), ddnn::error);

  // Finite inputs whose sums leave float range: the error names Conv, where it happened (even
  // where ReLU would map the -inf or NaN sum to 0).
  for (float& v : x.values()) v = std::numeric_limits<float>::max();
  CHECK_THROWS_WITH_AS((void)layer(x), doctest::Contains("Conv: sum"), ddnn::error);
}

// ---- Dense --------------------------------------------------------------------------------------

#define DENSE_CASES                                                                       \
  dense_case<Vector<1>, 1, Activation::relu>, dense_case<Vector<7>, 3, Activation::none>, \
      dense_case<Shape<3, 5, 65>, 33, Activation::relu>,                                  \
      dense_case<Vector<64>, 10, Activation::none>,                                       \
      dense_case<Shape<4, 5, 10>, 65, Activation::relu>,                                  \
      dense_case<Vector<2000>, 10, Activation::none>,                                     \
      dense_case<Shape<5, 5, 80>, 17, Activation::relu>,                                  \
      dense_case<Vector<1000>, 1, Activation::none>

TEST_CASE_TEMPLATE("Dense equals a double-precision loop, on float input and on bits", Case,
                   DENSE_CASES) {
  using In = typename Case::input;
  using Spec = typename Case::spec;
  using Layer = typename Spec::template bind<In>;
  constexpr std::size_t N = Spec::outputs;
  std::mt19937 rng(std::uint32_t(In::size * 13 + N));
  DenseParameters params;
  params.weights = uniform(rng, Layer::weight_count, 1.0f);
  if constexpr (Spec::produces_logits) {
    params.scale = uniform(rng, N, 0.5f);
    params.bias = uniform(rng, N, 1.0f);
    params.scale[0] = 0.0f;
  } else {
    params.batchnorm = random_batchnorm(rng, N, In::size);
  }
  const Layer layer(params);

  SUBCASE("float input") {
    const auto x = uniform(rng, In::size, 2.0f);
    check_close(layer(Tensor<float, In>(x)).values(), dense_reference<Spec>(x, params));
  }
  SUBCASE("bits read as +1.0f / -1.0f, exactly as the same values in a float tensor") {
    const auto x = signs(rng, In::size);
    const auto from_bits = layer(pack_signs<In>(std::span<const float>(x)));
    check_close(from_bits.values(), dense_reference<Spec>(x, params));
    CHECK(same_bits(from_bits.values(), layer(Tensor<float, In>(x)).values()));
  }
  SUBCASE("the batch math is the layer's math, bit for bit") {
    const std::vector<std::vector<float>> samples{
        uniform(rng, In::size, 2.0f), signs(rng, In::size), uniform(rng, In::size, 0.1f)};
    float_math::Matrix z = float_math::dense(batch_of(samples), layer.weights());
    if constexpr (Spec::produces_logits)
      float_math::scale_bias(z, layer.scale(), layer.bias());
    else
      float_math::batchnorm_relu(z, layer.batchnorm());
    for (std::size_t r = 0; r < samples.size(); ++r)
      CHECK(same_bits(row(z, Eigen::Index(r)), layer(Tensor<float, In>(samples[r])).values()));
  }
}

TEST_CASE("Dense rejects wrong counts, non-finite values, bad BatchNorms and non-finite input") {
  using In = Shape<2, 2, 5>;
  using Hidden = Dense<3>::bind<In>;
  using Logits = Dense<3, Activation::none>::bind<In>;
  std::mt19937 rng(11);
  const DenseParameters good{uniform(rng, 60, 1.0f), random_batchnorm(rng, 3, 20),
                             uniform(rng, 3, 1.0f), uniform(rng, 3, 1.0f)};
  CHECK_NOTHROW(Hidden{good});
  CHECK_NOTHROW(Logits{good});
  CHECK_NOTHROW(Hidden{DenseParameters{good.weights, good.batchnorm, {}, {}}});     // scale unused
  CHECK_NOTHROW(Logits{DenseParameters{good.weights, {}, good.scale, good.bias}});  // bn unused

  DenseParameters bad = good;
  bad.weights.push_back(0.0f);
  CHECK_THROWS_WITH_AS(Hidden{bad}, doctest::Contains("Dense weights: expected 60"), ddnn::error);
  CHECK_THROWS_WITH_AS(Logits{bad}, doctest::Contains("Dense weights: expected 60"), ddnn::error);
  bad = good;
  bad.weights[59] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(Hidden{bad}, doctest::Contains("Dense weights: value 59"), ddnn::error);
  bad = good;
  bad.batchnorm.clear();
  CHECK_THROWS_WITH_AS(Hidden{bad}, doctest::Contains("Dense batchnorm"), ddnn::error);
  bad = good;
  bad.batchnorm[1].sigma = 0.0f;
  CHECK_THROWS_WITH_AS(Hidden{bad}, doctest::Contains("Dense output 1: BatchNorm sigma"),
                       ddnn::error);
  bad.batchnorm[1].sigma = -2.0f;
  CHECK_THROWS_WITH_AS(Hidden{bad}, doctest::Contains("Dense output 1: BatchNorm sigma"),
                       ddnn::error);
  bad = good;
  bad.batchnorm[0].gamma = INFINITY;
  CHECK_THROWS_WITH_AS(Hidden{bad}, doctest::Contains("Dense output 0: BatchNorm parameters"),
                       ddnn::error);
  bad = good;
  bad.scale.pop_back();
  CHECK_THROWS_WITH_AS(Logits{bad}, doctest::Contains("Dense scale: expected 3"), ddnn::error);
  bad = good;
  bad.bias.push_back(0.0f);
  CHECK_THROWS_WITH_AS(Logits{bad}, doctest::Contains("Dense bias: expected 3"), ddnn::error);
  bad = good;
  bad.scale[2] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(Logits{bad}, doctest::Contains("Dense scale: value 2"), ddnn::error);
  bad = good;
  bad.bias[1] = -INFINITY;
  CHECK_THROWS_WITH_AS(Logits{bad}, doctest::Contains("Dense bias: value 1"), ddnn::error);

  const Logits layer(good);
  Tensor<float, In> x(uniform(rng, In::size, 1.0f));
  x[7] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS((void)layer(x), doctest::Contains("Dense: input value 7"), ddnn::error);
  x[7] = INFINITY;
  CHECK_THROWS_WITH_AS((void)layer(x), doctest::Contains("Dense: input value 7"), ddnn::error);

  // Finite inputs whose logits leave float range: the error names Dense's output.
  for (float& v : x.values()) v = std::numeric_limits<float>::max();
  CHECK_THROWS_WITH_AS((void)layer(x), doctest::Contains("Dense: sum"), ddnn::error);
  // Finite sums that the scale takes past float range: the logit is named.
  DenseParameters huge_scale = good;
  std::fill(huge_scale.scale.begin(), huge_scale.scale.end(), std::numeric_limits<float>::max());
  Tensor<float, In> ones;
  for (float& v : ones.values()) v = 1.0f;
  CHECK_THROWS_WITH_AS((void)Logits(huge_scale)(ones), doctest::Contains("Dense: logit"),
                       ddnn::error);
}

TEST_CASE("the batch math rejects matrices that do not fit its geometry") {
  const auto g = float_math::window_geometry::of(4, 5, 3, 3, 1, 1);
  CHECK(g.out_h == 4);
  CHECK(g.out_w == 5);
  CHECK_THROWS_AS((void)float_math::window_geometry::of(2, 5, 3, 5, 1, 1), ddnn::error);
  const float_math::Matrix weights = float_math::Matrix::Ones(2, 27);
  CHECK_THROWS_AS((void)float_math::conv(float_math::Matrix::Ones(1, 59), g, weights), ddnn::error);
  CHECK_THROWS_AS(
      (void)float_math::conv(float_math::Matrix::Ones(1, 60), g, float_math::Matrix::Ones(2, 26)),
      ddnn::error);
  CHECK_THROWS_AS((void)float_math::max_pool(float_math::Matrix::Ones(1, 61), g), ddnn::error);
  const auto all_padding = float_math::window_geometry::of(4, 5, 3, 3, 1, 2);  // fine for a conv
  CHECK_THROWS_AS((void)float_math::max_pool(float_math::Matrix::Ones(1, 60), all_padding),
                  ddnn::error);
  CHECK_THROWS_AS((void)float_math::dense(float_math::Matrix::Ones(1, 3), weights), ddnn::error);
  float_math::Matrix z = float_math::Matrix::Ones(2, 10);
  const std::vector<BatchNorm> three(3);
  CHECK_THROWS_AS(float_math::batchnorm_relu(z, three), ddnn::error);
  const std::vector<float> nine(9, 1.0f);
  CHECK_THROWS_AS(float_math::scale_bias(z, nine, nine), ddnn::error);
}

// ---- Sections -----------------------------------------------------------------------------------

TEST_CASE("a Section of Conv and Dense equals its layers applied one by one") {
  using In = Shape<8, 8, 16>;
  using Net = Section<In, Layers<Conv<8, 3, 1, 1, MaxPool<2, 2, 0>>, Dense<10, Activation::none>>>;
  static_assert(std::is_same_v<Net::output_shape, Vector<10>>);
  std::mt19937 rng(17);
  const ConvParameters conv{uniform(rng, 8 * 9 * 16, 1.0f), random_batchnorm(rng, 8, 144)};
  const DenseParameters head{
      uniform(rng, 10 * 4 * 4 * 8, 1.0f), {}, uniform(rng, 10, 0.5f), uniform(rng, 10, 1.0f)};
  const Net net(conv, head);
  const Tensor<float, In> x(uniform(rng, In::size, 1.0f));
  const auto logits = net(x);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(logits)>, Tensor<float, Vector<10>>>);
  CHECK(same_bits(logits.values(), net.layer<1>()(net.layer<0>()(x)).values()));
  const Conv<8, 3, 1, 1, MaxPool<2, 2, 0>>::bind<In> conv_layer(conv);
  const Dense<10, Activation::none>::bind<Shape<4, 4, 8>> head_layer(head);
  CHECK(same_bits(logits.values(), head_layer(conv_layer(x)).values()));
}

TEST_CASE("a Section mixes binary and float layers: bits flow into Conv as +1/-1") {
  using In = Shape<8, 8, 16>;
  using Net = Section<In, Layers<BinaryConv<16, 3, 1, 1>, Conv<8, 3, 1, 1, MaxPool<2, 2, 0>>,
                                 Dense<32>, Dense<10, Activation::none>>>;
  static_assert(std::is_same_v<Net::output_shape, Vector<10>>);
  std::mt19937 rng(19);
  const ConvParameters binary{signs(rng, 16 * 9 * 16), random_batchnorm(rng, 16, 144)};
  const ConvParameters conv{uniform(rng, 8 * 9 * 16, 1.0f), random_batchnorm(rng, 8, 144)};
  const DenseParameters hidden{
      uniform(rng, 32 * 4 * 4 * 8, 1.0f), random_batchnorm(rng, 32, 128), {}, {}};
  const DenseParameters head{
      uniform(rng, 10 * 32, 1.0f), {}, uniform(rng, 10, 0.5f), uniform(rng, 10, 1.0f)};
  const auto x = pack_signs<In>(std::span<const float>(signs(rng, In::size)));

  std::vector<float> first;
  for (isa_id isa : available_isas()) {
    CAPTURE(name(isa));
    const Net net(isa, binary, conv, hidden, head);
    const auto logits = net(x);
    const auto bits = net.layer<0>()(x);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(bits)>, BitTensor<Shape<8, 8, 16>>>);
    CHECK(
        same_bits(logits.values(), net.layer<3>()(net.layer<2>()(net.layer<1>()(bits))).values()));
    // the binary conv is exact on every ISA and Eigen ignores the ISA: identical logits
    if (first.empty()) first.assign(logits.values().begin(), logits.values().end());
    CHECK(same_bits(logits.values(), first));
  }
}
