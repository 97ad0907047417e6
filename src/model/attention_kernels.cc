#include "model/attention_kernels.h"

#include "steer/model/kernels.h"

namespace steer::model::internal {
namespace {

void Scores(const float* keys, int64_t stride, int32_t len, const float* q, int32_t D, float scale, float* s) {
  for (int32_t j = 0; j < len; ++j) {
    const float* k = keys + j * stride;
    float acc = 0;
    for (int32_t d = 0; d < D; ++d) acc += k[d] * q[d];
    s[j] = acc * scale;
  }
}

void Accumulate(const float* values, int64_t stride, int32_t len, const float* p, int32_t D, float* out) {
  for (int32_t j = 0; j < len; ++j) {
    const float* v = values + j * stride;
    for (int32_t d = 0; d < D; ++d) out[d] += p[j] * v[d];
  }
}

}  // namespace

const AttentionKernels& PortableAttention() {
  static const AttentionKernels k{Scores, Accumulate};
  return k;
}

const AttentionKernels& SelectAttention(int32_t D) {
  if (D % 16 == 0 && DetectIsa() == Isa::kAvx512) return Avx512Attention();
  if (D % 8 == 0 && DetectIsa() != Isa::kPortable) return Avx2Attention();  // kAvx2 and kAvx512 imply AVX2+FMA
  return PortableAttention();
}

}  // namespace steer::model::internal
