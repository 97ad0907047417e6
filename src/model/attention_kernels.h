// Inner loops of attention over one KV block, with an AVX2+FMA version
// chosen at run time (model-internal header).
//
// Keys and values are rows of `D` floats, `stride` floats apart.
#pragma once

#include <cstdint>

namespace steer::model::internal {

struct AttentionKernels {
  // s[j] = dot(keys[j], q) * scale for j < len.
  void (*scores)(const float* keys, int64_t stride, int32_t len, const float* q, int32_t D, float scale,
                 float* s);
  // out[d] += sum_j p[j] * values[j][d] for d < D.
  void (*accumulate)(const float* values, int64_t stride, int32_t len, const float* p, int32_t D, float* out);
};

// Plain loops; the oracle for the others.
const AttentionKernels& PortableAttention();
// AVX2 + FMA; requires D % 8 == 0 and a CPU with both.
const AttentionKernels& Avx2Attention();
// AVX-512; requires D % 16 == 0 and a CPU with AVX-512F.
const AttentionKernels& Avx512Attention();
// The best for this CPU and head size.
const AttentionKernels& SelectAttention(int32_t D);

}  // namespace steer::model::internal
