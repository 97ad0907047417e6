// Inner loops of attention over one KV block, with AVX2+FMA and AVX-512
// versions chosen at run time (model-internal header).
//
// Keys and values are rows of `D` elements of the cache's KvType (float, or
// IEEE half as uint16_t), `stride` elements apart.
#pragma once

#include <cstdint>

#include "steer/model/forward.h"

namespace steer::model::internal {

struct AttentionKernels {
  // s[j] = dot(keys[j], q) * scale for j < len.
  void (*scores)(const void* keys, int64_t stride, int32_t len, const float* q, int32_t D, float scale, float* s);
  // out[d] += sum_j p[j] * values[j][d] for d < D.
  void (*accumulate)(const void* values, int64_t stride, int32_t len, const float* p, int32_t D, float* out);
  // dst[d] = src[d] as a stored element (half: nearest, ties to even) for
  // d < D: a new position's key or value.
  void (*store)(const float* src, int32_t D, void* dst);
};

// The F32 cache's store (a copy of D floats), shared by every table.
void StoreF32(const float* src, int32_t D, void* dst);

// Plain loops; the oracle for the others.
const AttentionKernels& PortableAttention(KvType type);
// AVX2 + FMA + F16C; requires D % 8 == 0 and a CPU with all three.
const AttentionKernels& Avx2Attention(KvType type);
// AVX-512; requires D % 16 == 0 and a CPU with AVX-512F.
const AttentionKernels& Avx512Attention(KvType type);
// The best for this CPU, head size and element type.
const AttentionKernels& SelectAttention(int32_t D, KvType type);

}  // namespace steer::model::internal
