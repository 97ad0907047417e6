#include "model/attention_kernels.h"

#include <cstring>

#include "model/kernels_internal.h"
#include "steer/model/kernels.h"

namespace steer::model::internal {
namespace {

inline float Load(const float* p) { return *p; }
inline float Load(const uint16_t* p) { return Fp16ToFp32(*p); }

template <class T>
void Scores(const void* keys_v, int64_t stride, int32_t len, const float* q, int32_t D, float scale, float* s) {
  const T* keys = static_cast<const T*>(keys_v);
  for (int32_t j = 0; j < len; ++j) {
    const T* k = keys + j * stride;
    float acc = 0;
    for (int32_t d = 0; d < D; ++d) acc += Load(k + d) * q[d];
    s[j] = acc * scale;
  }
}

template <class T>
void Accumulate(const void* values_v, int64_t stride, int32_t len, const float* p, int32_t D, float* out) {
  const T* values = static_cast<const T*>(values_v);
  for (int32_t j = 0; j < len; ++j) {
    const T* v = values + j * stride;
    for (int32_t d = 0; d < D; ++d) out[d] += p[j] * Load(v + d);
  }
}

void StoreF16(const float* src, int32_t D, void* dst) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int32_t d = 0; d < D; ++d) out[d] = Fp32ToFp16(src[d]);
}

}  // namespace

void StoreF32(const float* src, int32_t D, void* dst) {
  std::memcpy(dst, src, static_cast<size_t>(D) * sizeof(float));
}

const AttentionKernels& PortableAttention(KvType type) {
  static const AttentionKernels f32{Scores<float>, Accumulate<float>, StoreF32};
  static const AttentionKernels f16{Scores<uint16_t>, Accumulate<uint16_t>, StoreF16};
  return type == KvType::kF16 ? f16 : f32;
}

const AttentionKernels& SelectAttention(int32_t D, KvType type) {
  if (D % 16 == 0 && DetectIsa() == Isa::kAvx512) return Avx512Attention(type);
  // kAvx2 and kAvx512 imply AVX2, FMA and F16C (CpuSupports).
  if (D % 8 == 0 && DetectIsa() != Isa::kPortable) return Avx2Attention(type);
  return PortableAttention(type);
}

}  // namespace steer::model::internal
