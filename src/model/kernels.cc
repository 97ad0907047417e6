// Public kernel API: ISA detection, dispatch, and the row-tiled matrix
// products built on each ISA's KernelTable.
//
// MatMul (F32 activations): rows are processed in tiles of kTileRows. A tile
// is dequantized once into a per-thread scratch buffer (kTileRows * cols
// floats; 8 KiB at cols = 512, so it stays in L1/L2) and then dotted with
// every batch row, so each weight byte is read from memory once per call
// whatever the batch size. F32 weights are used in place.
//
// MatMulQ8 (8-bit activations, Q8_0 / Q4_0 weights): the batch is quantized
// once per call, then weight blocks are dotted in integers straight from
// their packed form, with no dequantized copy.
#include <algorithm>
#include <vector>

#include "model/kernels_internal.h"
#include "steer/model/kernels.h"
#include "steer/util/check.h"
#include "steer/util/thread_pool.h"

namespace steer::model {
namespace {

using gguf::TensorType;
using internal::KernelTable;

constexpr int kTileRows = 4;

const KernelTable& Kernels(Isa isa) {
  STEER_CHECK_MSG(CpuSupports(isa), "kernel ISA not supported by this CPU");
  switch (isa) {
    case Isa::kAvx512: return internal::Avx512Kernels();
    case Isa::kAvx2: return internal::Avx2Kernels();
    case Isa::kPortable: break;
  }
  return internal::PortableKernels();
}

void CheckShape(TensorType type, int64_t cols) {
  STEER_CHECK_MSG(IsSupportedWeightType(type), "unsupported weight type");
  STEER_CHECK(cols >= 0 && cols % gguf::GetTensorTypeInfo(type).block_size == 0);
}

// Runs fn(tile_begin, tile_end) over [0, tiles), on `pool` if given.
template <class Fn>
void ForTiles(int64_t tiles, ThreadPool* pool, const Fn& fn) {
  if (pool == nullptr || pool->num_threads() == 1) {
    fn(0, tiles);
    return;
  }
  pool->ParallelFor(static_cast<size_t>(tiles), [&](size_t b, size_t e, int) {
    fn(static_cast<int64_t>(b), static_cast<int64_t>(e));
  });
}

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

bool CpuSupports(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return true;
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    case Isa::kAvx512:
      return CpuSupports(Isa::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni");
  }
  return false;
}

Isa DetectIsa() {
  static const Isa best = CpuSupports(Isa::kAvx512) ? Isa::kAvx512
                          : CpuSupports(Isa::kAvx2) ? Isa::kAvx2
                                                    : Isa::kPortable;
  return best;
}

bool IsSupportedWeightType(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return true;
    default:
      return false;
  }
}

bool HasQ8ActivationKernel(TensorType type) {
  return type == TensorType::kQ8_0 || type == TensorType::kQ4_0;
}

void DequantizeRow(TensorType type, const void* src, float* dst, int64_t n, Isa isa) {
  CheckShape(type, n);
  Kernels(isa).dequantize_row(type, src, dst, n);
}

float DotRow(TensorType type, const void* w, const float* x, int64_t n, Isa isa) {
  float y;
  MatMul(type, w, 1, n, x, 1, &y, nullptr, isa);
  return y;
}

void MatMul(TensorType type, const void* w, int64_t rows, int64_t cols, const float* x,
            int64_t batch, float* y, ThreadPool* pool, Isa isa) {
  CheckShape(type, cols);
  STEER_CHECK(rows >= 0 && batch >= 0);
  if (rows == 0 || batch == 0) return;
  const KernelTable& k = Kernels(isa);
  const auto* wbytes = static_cast<const uint8_t*>(w);
  const size_t row_bytes = gguf::RowBytes(type, cols);
  const int64_t tiles = (rows + kTileRows - 1) / kTileRows;
  ForTiles(tiles, pool, [&](int64_t t0, int64_t t1) {
    // Grows to kTileRows * cols once per thread; never shrinks.
    thread_local std::vector<float> scratch;
    if (type != TensorType::kF32 && scratch.size() < static_cast<size_t>(kTileRows * cols))
      scratch.resize(static_cast<size_t>(kTileRows * cols));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * kTileRows;
      const int nr = static_cast<int>(std::min<int64_t>(kTileRows, rows - r0));
      const float* wr[kTileRows];
      for (int i = 0; i < nr; ++i) {
        const uint8_t* src = wbytes + static_cast<size_t>(r0 + i) * row_bytes;
        if (type == TensorType::kF32) {
          wr[i] = reinterpret_cast<const float*>(src);
        } else {
          float* dst = scratch.data() + i * cols;
          k.dequantize_row(type, src, dst, cols);
          wr[i] = dst;
        }
      }
      k.dot_tile(wr, nr, cols, x, batch, y + r0, rows);
    }
  });
}

void MatMulQ8(TensorType type, const void* w, int64_t rows, int64_t cols, const float* x,
              int64_t batch, float* y, ThreadPool* pool, Isa isa) {
  if (!HasQ8ActivationKernel(type)) {
    MatMul(type, w, rows, cols, x, batch, y, pool, isa);
    return;
  }
  CheckShape(type, cols);
  STEER_CHECK(rows >= 0 && batch >= 0);
  if (rows == 0 || batch == 0) return;
  const KernelTable& k = Kernels(isa);
  const int64_t nb = cols / internal::kQK;
  // The calling thread's quantized copy of x; grows once, never shrinks.
  thread_local std::vector<internal::BlockQ8A> xq;
  if (xq.size() < static_cast<size_t>(batch * nb)) xq.resize(static_cast<size_t>(batch * nb));
  for (int64_t b = 0; b < batch; ++b) k.quantize_q8a(x + b * cols, cols, xq.data() + b * nb);
  const internal::BlockQ8A* xqp = xq.data();
  const auto* wbytes = static_cast<const uint8_t*>(w);
  const size_t row_bytes = gguf::RowBytes(type, cols);
  const int64_t tiles = (rows + kTileRows - 1) / kTileRows;
  ForTiles(tiles, pool, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * kTileRows;
      const int nr = static_cast<int>(std::min<int64_t>(kTileRows, rows - r0));
      const uint8_t* wr[kTileRows];
      for (int i = 0; i < nr; ++i) wr[i] = wbytes + static_cast<size_t>(r0 + i) * row_bytes;
      k.dot_tile_q8a(type, wr, nr, cols, xqp, batch, y + r0, rows);
    }
  });
}

}  // namespace steer::model
