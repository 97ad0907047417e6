// TEMPORARY test scaffolding until the kernels branch is merged: F32-only
// stand-ins for the kernels API. Not part of any library.
#include <cstring>

#include "steer/model/kernels.h"
#include "steer/util/thread_pool.h"

namespace steer::model {
Isa DetectIsa() { return Isa::kPortable; }
bool IsSupportedWeightType(gguf::TensorType type) { return type == gguf::TensorType::kF32; }
void DequantizeRow(gguf::TensorType, const void* src, float* dst, int64_t n, Isa) {
  std::memcpy(dst, src, n * sizeof(float));
}
float DotRow(gguf::TensorType, const void* w, const float* x, int64_t n, Isa) {
  const float* a = static_cast<const float*>(w);
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * x[i];
  return s;
}
void MatMul(gguf::TensorType type, const void* w, int64_t rows, int64_t cols, const float* x, int64_t batch,
            float* y, ThreadPool* pool, Isa isa) {
  auto fn = [&](size_t b, size_t e, int) {
    for (size_t r = b; r < e; ++r)
      for (int64_t k = 0; k < batch; ++k)
        y[k * rows + r] = DotRow(type, static_cast<const float*>(w) + r * cols, x + k * cols, cols, isa);
  };
  if (pool) pool->ParallelFor(rows, fn); else fn(0, rows, 0);
}
}  // namespace steer::model
