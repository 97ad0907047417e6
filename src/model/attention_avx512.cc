// AVX-512 attention loops for head sizes D % 16 == 0, float or half keys
// and values (this file alone is compiled with -mavx512f; SelectAttention
// calls it only on such CPUs).
#include <immintrin.h>

#include "model/attention_kernels.h"

namespace steer::model::internal {
namespace {

// Lane i of the result = the sum of the 16 lanes of a[i]. Vectors are
// reduced two at a time (a shuffle pair and an add per pair and stage, 15
// adds in all) instead of 16 separate reductions.
inline __m512 ReduceLanes16(const __m512 (&a)[16]) {
  __m512 t[8], u[4], v[2];
  for (int m = 0; m < 8; ++m)  // lanes 0-7: a[2m] (j, j+8); 8-15: a[2m+1]
    t[m] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * m], a[2 * m + 1], 0x44),
                         _mm512_shuffle_f32x4(a[2 * m], a[2 * m + 1], 0xEE));
  for (int m = 0; m < 4; ++m)  // (j, j+4)
    u[m] = _mm512_add_ps(_mm512_shuffle_f32x4(t[2 * m], t[2 * m + 1], 0x88),
                         _mm512_shuffle_f32x4(t[2 * m], t[2 * m + 1], 0xDD));
  for (int m = 0; m < 2; ++m)  // (j, j+2), within 128-bit lanes
    v[m] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * m], u[2 * m + 1], 0x44),
                         _mm512_shuffle_ps(u[2 * m], u[2 * m + 1], 0xEE));
  // (j, j+1): lane 4q + c of w now holds the sum of a[4c + q].
  const __m512 w = _mm512_add_ps(_mm512_shuffle_ps(v[0], v[1], 0x88), _mm512_shuffle_ps(v[0], v[1], 0xDD));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, w);
}

inline __m512 Load16(const float* p) { return _mm512_loadu_ps(p); }
inline __m512 Load16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// Sixteen positions at a time: one 16-lane accumulator per position over
// D, then one joint reduction. Positions past len stay zero and are not
// stored.
template <class T>
void Scores(const void* keys_v, int64_t stride, int32_t len, const float* q, int32_t D, float scale, float* s) {
  const T* keys = static_cast<const T*>(keys_v);
  for (int32_t j0 = 0; j0 < len; j0 += 16) {
    const int32_t n = len - j0 < 16 ? len - j0 : 16;
    __m512 acc[16];
    for (int t = 0; t < 16; ++t) acc[t] = _mm512_setzero_ps();
    for (int32_t d = 0; d < D; d += 16) {
      const __m512 qv = _mm512_loadu_ps(q + d);
      for (int t = 0; t < n; ++t) acc[t] = _mm512_fmadd_ps(Load16(keys + (j0 + t) * stride + d), qv, acc[t]);
    }
    const __mmask16 keep = static_cast<__mmask16>((1u << n) - 1);
    _mm512_mask_storeu_ps(s + j0, keep, _mm512_mul_ps(ReduceLanes16(acc), _mm512_set1_ps(scale)));
  }
}

// Adds N*16 output values starting at `c`, kept in registers across all
// positions.
template <int N, class T>
void AccumulateChunk(const T* values, int64_t stride, int32_t len, const float* p, int32_t c, float* out) {
  __m512 acc[N];
  for (int r = 0; r < N; ++r) acc[r] = _mm512_loadu_ps(out + c + 16 * r);
  for (int32_t j = 0; j < len; ++j) {
    const __m512 pj = _mm512_set1_ps(p[j]);
    const T* v = values + j * stride + c;
    for (int r = 0; r < N; ++r) acc[r] = _mm512_fmadd_ps(pj, Load16(v + 16 * r), acc[r]);
  }
  for (int r = 0; r < N; ++r) _mm512_storeu_ps(out + c + 16 * r, acc[r]);
}

template <class T>
void Accumulate(const void* values_v, int64_t stride, int32_t len, const float* p, int32_t D, float* out) {
  const T* values = static_cast<const T*>(values_v);
  int32_t c = 0;
  for (; c + 128 <= D; c += 128) AccumulateChunk<8>(values, stride, len, p, c, out);
  for (; c + 64 <= D; c += 64) AccumulateChunk<4>(values, stride, len, p, c, out);
  for (; c < D; c += 16) AccumulateChunk<1>(values, stride, len, p, c, out);  // D % 16 == 0
}

// vcvtps2ph with round-to-nearest-even: the portable Fp32ToFp16's rounding.
void StoreF16(const float* src, int32_t D, void* dst) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int32_t d = 0; d < D; d += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + d),
                        _mm512_cvtps_ph(_mm512_loadu_ps(src + d), _MM_FROUND_TO_NEAREST_INT));
}

}  // namespace

const AttentionKernels& Avx512Attention(KvType type) {
  static const AttentionKernels f32{Scores<float>, Accumulate<float>, StoreF32};
  static const AttentionKernels f16{Scores<uint16_t>, Accumulate<uint16_t>, StoreF16};
  return type == KvType::kF16 ? f16 : f32;
}

}  // namespace steer::model::internal
