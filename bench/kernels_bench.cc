// Weight-kernel throughput: MatMul over a rows x cols weight matrix for each
// tensor type, ISA, batch size and thread count. Reports weight bandwidth
// (bytes_per_second = weight bytes read per second) and GFLOP/s (2 * rows *
// cols * batch per call).
//
//   build/bench/kernels_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "steer/gguf/types.h"
#include "steer/model/kernels.h"
#include "steer/util/rng.h"
#include "steer/util/thread_pool.h"

namespace {

using steer::gguf::TensorType;
using steer::model::Isa;

constexpr TensorType kTypes[] = {TensorType::kF32,  TensorType::kF16,  TensorType::kBF16,
                                 TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_K,
                                 TensorType::kQ5_K, TensorType::kQ6_K};

// Random bytes with every F16 field that holds a scale (or an F16/BF16
// value) set to a small finite number, so no NaN/inf slows the FP units.
std::vector<uint8_t> RandomWeights(TensorType type, int64_t rows, int64_t cols) {
  steer::Rng rng(1);
  std::vector<uint8_t> w(steer::gguf::RowBytes(type, cols) * rows);
  for (auto& b : w) b = static_cast<uint8_t>(rng.Next());
  const uint16_t small = 0x2000;  // 2^-7 in F16; 0.0078125 has BF16 bits 0x3c00
  auto put = [&](size_t off, uint16_t v) { std::memcpy(w.data() + off, &v, 2); };
  const size_t bs = steer::gguf::GetTensorTypeInfo(type).type_size;
  switch (type) {
    case TensorType::kF32:
      for (size_t i = 0; i < w.size(); i += 4) {
        const float f = static_cast<float>(rng.Normal());
        std::memcpy(w.data() + i, &f, 4);
      }
      break;
    case TensorType::kF16: for (size_t i = 0; i < w.size(); i += 2) put(i, small); break;
    case TensorType::kBF16: for (size_t i = 0; i < w.size(); i += 2) put(i, 0x3c00); break;
    case TensorType::kQ8_0:
    case TensorType::kQ4_0: for (size_t i = 0; i < w.size(); i += bs) put(i, small); break;
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
      for (size_t i = 0; i < w.size(); i += bs) put(i, small), put(i + 2, small);
      break;
    case TensorType::kQ6_K: for (size_t i = 0; i < w.size(); i += bs) put(i + 208, small); break;
    default: break;
  }
  return w;
}

// Args: type, isa, batch, threads, q8 (0 = MatMul, 1 = MatMulQ8, 2 =
// MatMulQ8Packed on weights packed once before timing, 3 = MatMulPacked on
// weights packed once for F32 activations), rows, cols.
void BM_MatMul(benchmark::State& state) {
  const auto type = static_cast<TensorType>(state.range(0));
  const auto isa = static_cast<Isa>(state.range(1));
  const int64_t batch = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  const int64_t q8 = state.range(4);
  const int64_t rows = state.range(5), cols = state.range(6);
  if (!steer::model::CpuSupports(isa)) {
    state.SkipWithError("ISA not supported by this CPU");
    return;
  }
  state.SetLabel(std::string(steer::gguf::TensorTypeName(type)) + "/" + steer::model::IsaName(isa) +
                 (q8 == 3   ? "/f32act-packed"
                  : q8 == 2 ? "/q8act-packed"
                  : q8 == 1 ? "/q8act"
                            : "/f32act"));
  const std::vector<uint8_t> w = RandomWeights(type, rows, cols);
  std::vector<float> x(batch * cols), y(batch * rows);
  steer::Rng rng(2);
  for (auto& v : x) v = static_cast<float>(rng.Normal());
  steer::ThreadPool pool(threads);
  const steer::model::PackedWeights packed =
      q8 == 2   ? steer::model::PackForQ8(type, w.data(), rows, cols, isa)
      : q8 == 3 ? steer::model::PackForMatMul(type, w.data(), rows, cols, isa)
                : steer::model::PackedWeights();
  for (auto _ : state) {
    if (q8 == 2)
      steer::model::MatMulQ8Packed(packed, x.data(), batch, y.data(), &pool);
    else if (q8 == 3)
      steer::model::MatMulPacked(packed, x.data(), batch, y.data(), &pool);
    else
      (q8 == 1 ? steer::model::MatMulQ8 : steer::model::MatMul)(type, w.data(), rows, cols, x.data(), batch,
                                                              y.data(), &pool, isa);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * rows * cols * batch * state.iterations() / 1e9,
                                                benchmark::Counter::kIsRate);
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"type", "isa", "batch", "threads", "q8", "rows", "cols"});
  for (TensorType t : kTypes) {
    const auto ti = static_cast<int64_t>(t);
    for (int64_t batch : {1, 32})
      for (int64_t threads : {1, 2}) {
        for (Isa isa : {Isa::kAvx2, Isa::kAvx512})
          for (int64_t q8 : {0, 3}) b->Args({ti, static_cast<int64_t>(isa), batch, threads, q8, 512, 512});
        if (steer::model::HasQ8ActivationKernel(t))
          for (Isa isa : {Isa::kAvx2, Isa::kAvx512})
            for (int64_t q8 : {1, 2}) b->Args({ti, static_cast<int64_t>(isa), batch, threads, q8, 512, 512});
      }
    // The portable oracle, for scale.
    b->Args({ti, static_cast<int64_t>(Isa::kPortable), 1, 1, 0, 512, 512});
  }
  // The 58M model's output matrix (32000 x 512): weights far beyond the
  // caches, so batch 1 shows memory bandwidth.
  for (TensorType t : {TensorType::kF32, TensorType::kF16, TensorType::kQ8_0})
    for (int64_t threads : {1, 2})
      for (int64_t q8 : {0, 1, 2, 3})
        if (q8 == 0 || q8 == 3 || steer::model::HasQ8ActivationKernel(t))
          b->Args({static_cast<int64_t>(t), static_cast<int64_t>(Isa::kAvx512), 1, threads, q8, 32000, 512});
  // Batch 32 on the 58M model's other shapes (gate/up 1376 x 512, down
  // 512 x 1376) and its output matrix, 8-bit activations: what a batched
  // decode step (SMC with 32 particles) runs.
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1376, 512}, {512, 1376}, {32000, 512}})
    for (int64_t threads : {1, 2})
      b->Args({static_cast<int64_t>(TensorType::kQ8_0), static_cast<int64_t>(Isa::kAvx512), 32, threads, 2, rows,
               cols});
}

BENCHMARK(BM_MatMul)->Apply(Args)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
