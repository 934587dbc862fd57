// Export exactness on a whole test set: the MNIST main job's graphs (binary and float cloud),
// trained briefly on tiles, then packed inference on all 10,000 MNIST test samples must give the
// training-time simulation's answers, exit decisions and logits bit for bit, with every device
// present and with random devices missing.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../examples/mnist_ddnn/networks.hpp"
#include "ddnn/io/mnist.hpp"
#include "ddnn/io/views.hpp"
#include "ddnn/train/trainer.hpp"

using namespace ddnn;

namespace {

#ifdef NDEBUG
constexpr std::size_t train_samples = 3000;
constexpr std::size_t test_samples = 10000;  // the whole MNIST test set
#else
// Unoptimised (sanitizer) builds: Eigen's GEMMs of training and simulation are ~50x slower (with
// 1,000 test samples this test took 10 of the sanitizer section's 16 minutes). The whole test
// set is compared in optimised builds; here the point is the sanitizers' view of the same code.
constexpr std::size_t train_samples = 1000;
constexpr std::size_t test_samples = 300;
#endif

template <class Graph>
std::vector<typename Graph::inputs_type> inputs_of(const TileSet& set) {
  std::vector<typename Graph::inputs_type> v(set.samples);
  for (std::size_t s = 0; s < set.samples; ++s)
    for (std::size_t d = 0; d < Graph::devices; ++d) v[s][d].assign(set.input(s, d));
  return v;
}

template <class Graph>
void check_whole_test_set(const Mnist& mnist) {
  const TileSet train = make_tiles(mnist.train);
  const TileSet test = make_tiles(mnist.test, 0, test_samples);
  const auto train_inputs = inputs_of<Graph>(train);
  const auto test_inputs = inputs_of<Graph>(test);

  train::TrainOptions options;
  options.device_dropout = 0.1;
  train::Trainer<Graph> trainer(options);
  constexpr std::size_t batch = 64;
  for (std::size_t first = 0; first + batch <= train.samples; first += batch) {
    const std::vector<Presence> presence(batch, Presence::all(Graph::devices));
    (void)trainer.step(std::span(train_inputs).subspan(first, batch),
                       std::span(train.labels).subspan(first, batch), presence);
  }

  std::vector<Presence> all(test.samples, Presence::all(Graph::devices)), some(test.samples);
  ddnn::detail::random_stream r(17);
  for (Presence& p : some) p = Presence(r.next() & Presence::all(Graph::devices).bits());

  {  // a threshold that sends about half of the samples up
    const std::size_t n = std::min<std::size_t>(1000, test.samples);
    const auto sim = trainer.simulate(std::span(test_inputs).first(n), std::span(all).first(n));
    std::vector<double> measures;
    for (const auto& s : sim) measures.push_back(s.tiers[0].measure);
    const auto median = measures.begin() + std::ptrdiff_t(n / 2);
    std::nth_element(measures.begin(), median, measures.end());
    trainer.template set_threshold<0>(*median);
  }
  for (const auto* presence : {&all, &some}) {
    const auto sim = trainer.simulate(test_inputs, *presence);
    const Graph graph(trainer.parameters());
    const auto inferred = graph.infer_batch(test_inputs, *presence);

    std::size_t mismatches = 0, local = 0, cloud = 0, unanswered = 0, correct = 0;
    for (std::size_t i = 0; i < test.samples; ++i) {
      const auto& s = sim[i];
      const auto& p = inferred[i];
      bool same = s.answered == p.answered;
      if (same && p.answered) {
        same = s.exit_tier == p.exit_tier && s.predicted == p.predicted && s.measure == p.measure;
        for (std::size_t c = 0; c < Graph::classes; ++c)
          same = same && std::bit_cast<std::uint32_t>(s.tiers[s.exit_tier].logits[c]) ==
                             std::bit_cast<std::uint32_t>(p.logits[c]);
      }
      mismatches += !same;
      if (!p.answered) {
        ++unanswered;
        continue;
      }
      (p.exit_tier == 0 ? local : cloud) += 1;
      correct += p.predicted == test.labels[i];
    }
    INFO("local exits " << local << ", cloud " << cloud << ", unanswered " << unanswered);
    CHECK(mismatches == 0);
    CHECK(local > test.samples / 10);
    CHECK(cloud > test.samples / 10);
    CHECK(correct > test.samples / 4);  // it did learn something (chance: 10%)
  }
}

}  // namespace

TEST_CASE("train/mnist: packed inference reproduces the simulation on the whole test set") {
  // 3,000 training samples (one pass) keep the test short; the test set is all 10,000 (1,000
  // training and 300 test samples in unoptimised builds).
  const Mnist mnist = load_mnist(DDNN_MNIST_DIR, train_samples);
  REQUIRE(mnist.test.count == 10000);
  MESSAGE("comparing on " << test_samples << " test samples");
  SUBCASE("binary cloud") {
    check_whole_test_set<
        mnist_ddnn::DefaultDDNN<TileShape, mnist_ddnn::DefaultLocalExit, Concat, false>>(mnist);
  }
  SUBCASE("float cloud") {
    check_whole_test_set<
        mnist_ddnn::DefaultDDNN<TileShape, mnist_ddnn::DefaultLocalExit, Concat, true>>(mnist);
  }
}
