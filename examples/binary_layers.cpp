// A device's section built from ddnn's binary layers: an 8-bit first layer with fused max-pool,
// a binary conv, and a binary dense exit head producing float logits. Prints the ISA the layers
// chose, the packed bytes a device would send upward, and the logits.
#include <cstdio>
#include <random>
#include <vector>

#include "ddnn/inference.hpp"

using namespace ddnn;

// The section's types, written once: shapes flow from layer to layer at compile time.
using Image = Shape<32, 32, 3>;
using First = FirstConv<8, 3, 1, 1, MaxPool<3, 2, 1>>::bind<Image>;                   // -> 16x16x8
using Second = BinaryConv<16, 3, 1, 1, MaxPool<3, 2, 1>>::bind<First::output_shape>;  // -> 8x8x16
using Head = BinaryDense<3, Output::logits>::bind<Second::output_shape>;              // -> 3 logits

int main() {
  std::mt19937 rng(2026);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto random_values = [&](std::size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
  };
  auto batchnorm = [&](std::size_t n, float spread) {
    std::vector<BatchNorm> bn(n);
    for (BatchNorm& b : bn)
      b = {1.0f + 0.1f * normal(rng), 0.1f * normal(rng), spread * normal(rng), 1.0f};
    return bn;
  };

  // Parameters as training would produce them: float weights (packed by sign) and BatchNorm.
  const First first({random_values(First::weight_count), batchnorm(8, 200.0f)});
  const Second second({random_values(Second::weight_count), batchnorm(16, 4.0f)});
  const Head head(
      {random_values(Head::weight_count), {}, {0.05f, 0.05f, 0.05f}, {0.0f, 0.1f, -0.1f}});

  Tensor<std::uint8_t, Image> image;
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(rng() & 0xff);

  const BitTensor<First::output_shape> features = first(image);
  const BitTensor<Second::output_shape> deeper = second(features);
  const Tensor<float, Vector<3>> logits = head(deeper);

  std::printf("ISA chosen: %s (available:", std::string(name(first.isa())).c_str());
  for (isa_id id : available_isas()) std::printf(" %s", std::string(name(id)).c_str());
  std::printf(")\n");
  std::printf("raw input: %zu bytes; first-layer feature map sent up: %zu bytes\n", Image::size,
              First::output_shape::size / 8);
  std::printf("logits: %.4f %.4f %.4f\n", logits[0], logits[1], logits[2]);
  return 0;
}
