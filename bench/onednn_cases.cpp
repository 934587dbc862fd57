// float32 baselines through oneDNN 2.x for the shapes of the binary cases, on one thread.
// oneDNN chooses every tensor format (format_tag::any); inputs and weights are reordered into
// those formats before timing, so the timed loop is the primitives alone: oneDNN at its best.
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>
#if defined(_OPENMP)
#include <omp.h>
#endif

#include "cases.hpp"

namespace bench {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using args_map = std::unordered_map<int, dnnl::memory>;

struct cpu {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

dnnl::memory::desc any_format(const dnnl::memory::dims& dims) { return {dims, dt::f32, tag::any}; }

/// A memory in the format `wanted`, holding random +1/-1 values given in the plain layout `plain`.
dnnl::memory random_memory(cpu& c, const dnnl::memory::desc& wanted, const dnnl::memory::dims& dims,
                           tag plain, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::size_t count = 1;
  for (auto d : dims) count *= std::size_t(d);
  std::vector<float> values(count);
  for (auto& v : values) v = (rng() & 1) ? 1.0f : -1.0f;
  dnnl::memory source({dims, dt::f32, plain}, c.engine, values.data());
  dnnl::memory result(wanted, c.engine);
  dnnl::reorder(source, result).execute(c.stream, source, result);
  c.stream.wait();
  return result;
}

/// The timed loop: every primitive once per iteration, in order.
void time_primitives(benchmark::State& state, cpu& c,
                     const std::vector<std::pair<dnnl::primitive, args_map>>& steps, double macs) {
  for (auto _ : state) {
    for (const auto& [primitive, args] : steps) primitive.execute(c.stream, args);
    c.stream.wait();
    benchmark::ClobberMemory();
  }
  set_binops(state, macs);
}

dnnl::convolution_forward::primitive_desc conv_3x3_pad1(cpu& c, int in_c, int out_c, int size) {
  const dnnl::memory::dims src{1, in_c, size, size}, weights{out_c, in_c, 3, 3},
      dst{1, out_c, size, size};
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, any_format(src),
      any_format(weights), any_format(dst), {1, 1}, {1, 1}, {1, 1});
  return {desc, c.engine};
}

void bm_conv3x3(benchmark::State& state) {
  cpu c;
  const auto pd = conv_3x3_pad1(c, 64, 64, 16);
  const args_map args{
      {DNNL_ARG_SRC, random_memory(c, pd.src_desc(), {1, 64, 16, 16}, tag::nchw, 1)},
      {DNNL_ARG_WEIGHTS, random_memory(c, pd.weights_desc(), {64, 64, 3, 3}, tag::oihw, 2)},
      {DNNL_ARG_DST, dnnl::memory(pd.dst_desc(), c.engine)}};
  state.SetLabel(pd.impl_info_str());
  time_primitives(state, c, {{dnnl::convolution_forward(pd), args}}, conv3x3.macs);
}

void bm_dense(benchmark::State& state) {
  cpu c;
  const dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference,
                                               any_format({1, 1024}), any_format({256, 1024}),
                                               any_format({1, 256}));
  const dnnl::inner_product_forward::primitive_desc pd(desc, c.engine);
  const args_map args{
      {DNNL_ARG_SRC, random_memory(c, pd.src_desc(), {1, 1024}, tag::nc, 3)},
      {DNNL_ARG_WEIGHTS, random_memory(c, pd.weights_desc(), {256, 1024}, tag::oi, 4)},
      {DNNL_ARG_DST, dnnl::memory(pd.dst_desc(), c.engine)}};
  state.SetLabel(pd.impl_info_str());
  time_primitives(state, c, {{dnnl::inner_product_forward(pd), args}}, dense.macs);
}

void bm_first_layer(benchmark::State& state) {
  cpu c;
  const auto conv_pd = conv_3x3_pad1(c, 3, 4, 32);
  const dnnl::pooling_forward::desc pool_desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, conv_pd.dst_desc(),
      any_format({1, 4, 16, 16}), {2, 2}, {3, 3}, {1, 1}, {1, 1});
  const dnnl::pooling_forward::primitive_desc pool_pd(pool_desc, c.engine);
  const dnnl::memory conv_out(conv_pd.dst_desc(), c.engine);
  const args_map conv_args{
      {DNNL_ARG_SRC, random_memory(c, conv_pd.src_desc(), {1, 3, 32, 32}, tag::nchw, 5)},
      {DNNL_ARG_WEIGHTS, random_memory(c, conv_pd.weights_desc(), {4, 3, 3, 3}, tag::oihw, 6)},
      {DNNL_ARG_DST, conv_out}};
  const args_map pool_args{{DNNL_ARG_SRC, conv_out},
                           {DNNL_ARG_DST, dnnl::memory(pool_pd.dst_desc(), c.engine)}};
  state.SetLabel(std::string(conv_pd.impl_info_str()) + " + " + pool_pd.impl_info_str());
  time_primitives(state, c,
                  {{dnnl::convolution_forward(conv_pd), conv_args},
                   {dnnl::pooling_forward(pool_pd), pool_args}},
                  first_layer.macs);
}

}  // namespace

std::string pin_onednn_to_one_thread() {
#if defined(_OPENMP)
  omp_set_num_threads(1);
  return "oneDNN " + std::to_string(dnnl::version()->major) + "." +
         std::to_string(dnnl::version()->minor) + "." + std::to_string(dnnl::version()->patch) +
         ": pinned to 1 thread (omp_set_num_threads), omp_get_max_threads() = " +
         std::to_string(omp_get_max_threads());
#else
  return "oneDNN: built without OpenMP, threads not pinned: run with OMP_NUM_THREADS=1";
#endif
}

void register_onednn_cases() {
  common_settings(benchmark::RegisterBenchmark(onednn_case(conv3x3).c_str(), bm_conv3x3));
  common_settings(benchmark::RegisterBenchmark(onednn_case(dense).c_str(), bm_dense));
  common_settings(benchmark::RegisterBenchmark(onednn_case(first_layer).c_str(), bm_first_layer));
}

}  // namespace bench
