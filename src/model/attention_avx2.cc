// AVX2 + FMA + F16C attention loops (this file is compiled with -mavx2
// -mfma -mf16c), for float or half keys and values.
#include <immintrin.h>

#include "model/attention_kernels.h"

namespace steer::model::internal {
namespace {

float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 Load8(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

template <class T>
void Scores(const void* keys_v, int64_t stride, int32_t len, const float* q, int32_t D, float scale, float* s) {
  const T* keys = static_cast<const T*>(keys_v);
  int32_t j = 0;
  // Four positions at a time: four independent FMA chains, one reduction.
  for (; j + 4 <= len; j += 4) {
    const T* k0 = keys + j * stride;
    const T* k1 = k0 + stride;
    const T* k2 = k1 + stride;
    const T* k3 = k2 + stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (int32_t d = 0; d < D; d += 8) {
      const __m256 qv = _mm256_loadu_ps(q + d);
      a0 = _mm256_fmadd_ps(Load8(k0 + d), qv, a0);
      a1 = _mm256_fmadd_ps(Load8(k1 + d), qv, a1);
      a2 = _mm256_fmadd_ps(Load8(k2 + d), qv, a2);
      a3 = _mm256_fmadd_ps(Load8(k3 + d), qv, a3);
    }
    // hadd twice: lanes 0-3 hold the low-half sums of a0..a3, lanes 4-7 the high.
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    const __m128 sum = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    _mm_storeu_ps(s + j, _mm_mul_ps(sum, _mm_set1_ps(scale)));
  }
  for (; j < len; ++j) {
    const T* k = keys + j * stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int32_t d = 0;
    for (; d + 16 <= D; d += 16) {
      a0 = _mm256_fmadd_ps(Load8(k + d), _mm256_loadu_ps(q + d), a0);
      a1 = _mm256_fmadd_ps(Load8(k + d + 8), _mm256_loadu_ps(q + d + 8), a1);
    }
    if (d < D) a0 = _mm256_fmadd_ps(Load8(k + d), _mm256_loadu_ps(q + d), a0);  // D % 8 == 0
    s[j] = HorizontalSum(_mm256_add_ps(a0, a1)) * scale;
  }
}

// Adds N*8 output values starting at `c`, kept in registers across all positions.
template <int N, class T>
void AccumulateChunk(const T* values, int64_t stride, int32_t len, const float* p, int32_t c, float* out) {
  __m256 acc[N];
  for (int r = 0; r < N; ++r) acc[r] = _mm256_loadu_ps(out + c + 8 * r);
  for (int32_t j = 0; j < len; ++j) {
    const __m256 pj = _mm256_set1_ps(p[j]);
    const T* v = values + j * stride + c;
    for (int r = 0; r < N; ++r) acc[r] = _mm256_fmadd_ps(pj, Load8(v + 8 * r), acc[r]);
  }
  for (int r = 0; r < N; ++r) _mm256_storeu_ps(out + c + 8 * r, acc[r]);
}

template <class T>
void Accumulate(const void* values_v, int64_t stride, int32_t len, const float* p, int32_t D, float* out) {
  const T* values = static_cast<const T*>(values_v);
  int32_t c = 0;
  for (; c + 64 <= D; c += 64) AccumulateChunk<8>(values, stride, len, p, c, out);
  for (; c < D; c += 8) AccumulateChunk<1>(values, stride, len, p, c, out);  // D % 8 == 0
}

// vcvtps2ph with round-to-nearest-even: the portable Fp32ToFp16's rounding.
void StoreF16(const float* src, int32_t D, void* dst) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int32_t d = 0; d < D; d += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + d),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + d), _MM_FROUND_TO_NEAREST_INT));
}

}  // namespace

const AttentionKernels& Avx2Attention(KvType type) {
  static const AttentionKernels f32{Scores<float>, Accumulate<float>, StoreF32};
  static const AttentionKernels f16{Scores<uint16_t>, Accumulate<uint16_t>, StoreF16};
  return type == KvType::kF16 ? f16 : f32;
}

}  // namespace steer::model::internal
