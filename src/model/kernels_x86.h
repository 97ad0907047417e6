// x86 helpers shared by kernels_avx2.cc and kernels_avx512.cc (both are
// compiled with at least AVX2 + FMA + F16C; every function here has internal
// linkage, so each translation unit gets its own copy built with its flags).
//
// The K-quant decoders unpack one super-block into signed 8-bit quants plus
// per-group float scale and min, so that value i = scale[g] * q[i] - min[g]
// (g = i / group) rounds exactly as ggml's reference does: the scales are
// the same float products ggml forms, then one multiply and one subtract.
#pragma once

#include <immintrin.h>

#include "model/kernels_internal.h"

namespace steer::model::internal {
namespace {

struct DecodedK {
  alignas(32) int8_t q[kQKK];
  float scale[16];  // per group
  float min[16];    // per group (0 for Q6_K)
  int group;        // values per group: 32 (Q4_K, Q5_K) or 16 (Q6_K)
};

// Exact half -> float with F16C (same result as Fp16ToFp32).
inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i LoadU256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline void StoreU256(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }

inline void KScales(const uint8_t* scales, float d, float dmin, DecodedK* out) {
  uint8_t sc, m;
  for (int j = 0; j < 8; ++j) {
    ScaleMinK4(j, scales, &sc, &m);
    out->scale[j] = d * sc;
    out->min[j] = dmin * m;
  }
  out->group = 32;
}

inline void DecodeQ4_K(const BlockQ4_K* b, DecodedK* out) {
  KScales(b->scales, HalfToFloat(b->d), HalfToFloat(b->dmin), out);
  const __m256i low = _mm256_set1_epi8(0x0F);
  for (int j = 0; j < 4; ++j) {
    const __m256i v = LoadU256(b->qs + 32 * j);
    StoreU256(out->q + 64 * j, _mm256_and_si256(v, low));
    StoreU256(out->q + 64 * j + 32, _mm256_and_si256(_mm256_srli_epi16(v, 4), low));
  }
}

inline void DecodeQ5_K(const BlockQ5_K* b, DecodedK* out) {
  KScales(b->scales, HalfToFloat(b->d), HalfToFloat(b->dmin), out);
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i one = _mm256_set1_epi8(1);
  const __m256i qh = LoadU256(b->qh);
  for (int j = 0; j < 4; ++j) {
    const __m256i v = LoadU256(b->qs + 32 * j);
    // Bits 2j and 2j+1 of qh[l], moved to bit 4.
    const __m256i h0 = _mm256_slli_epi16(
        _mm256_and_si256(_mm256_srli_epi16(qh, 2 * j), one), 4);
    const __m256i h1 = _mm256_slli_epi16(
        _mm256_and_si256(_mm256_srli_epi16(qh, 2 * j + 1), one), 4);
    StoreU256(out->q + 64 * j, _mm256_or_si256(_mm256_and_si256(v, low), h0));
    StoreU256(out->q + 64 * j + 32,
              _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low), h1));
  }
}

inline void DecodeQ6_K(const BlockQ6_K* b, DecodedK* out) {
  const float d = HalfToFloat(b->d);
  for (int g = 0; g < 16; ++g) {
    out->scale[g] = d * b->scales[g];
    out->min[g] = 0.0f;
  }
  out->group = 16;
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i three = _mm256_set1_epi8(3);
  const __m256i off = _mm256_set1_epi8(32);
  for (int n = 0; n < 2; ++n) {
    const uint8_t* ql = b->ql + 64 * n;
    const __m256i qh = LoadU256(b->qh + 32 * n);
    const __m256i l0 = LoadU256(ql);
    const __m256i l1 = LoadU256(ql + 32);
    auto hi = [&](int shift) {
      return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, shift), three), 4);
    };
    int8_t* q = out->q + 128 * n;
    StoreU256(q + 0, _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(l0, low), hi(0)), off));
    StoreU256(q + 32, _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(l1, low), hi(2)), off));
    StoreU256(q + 64, _mm256_sub_epi8(
                          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low), hi(4)),
                          off));
    StoreU256(q + 96, _mm256_sub_epi8(
                          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low), hi(6)),
                          off));
  }
}

// The 32 signed quants of a Q4_0 block: low nibbles then high nibbles, minus 8.
inline __m256i Q4_0Quants(const BlockQ4_0* b) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b->qs));
  const __m128i low = _mm_set1_epi8(0x0F);
  const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), low), _mm_and_si128(v, low));
  return _mm256_sub_epi8(q, _mm256_set1_epi8(8));
}

// The 32 signed quants and the scale of block i of a Q8_0 / Q4_0 row.
inline __m256i WeightQuants(gguf::TensorType type, const uint8_t* row, int64_t i, float* d) {
  if (type == gguf::TensorType::kQ8_0) {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + i;
    *d = HalfToFloat(b->d);
    return LoadU256(b->qs);
  }
  const auto* b = reinterpret_cast<const BlockQ4_0*>(row) + i;
  *d = HalfToFloat(b->d);
  return Q4_0Quants(b);
}

inline float HSum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Quantizes 32 floats to a BlockQ8A exactly as the portable path does
// (same scalar scale, same half-to-even rounding of x * (1 / d)).
inline void QuantizeBlockQ8A(const float* x, BlockQ8A* out) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 v[4];
  __m256 amax = _mm256_setzero_ps();
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_loadu_ps(x + 8 * k);
    amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
  }
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  const float d = _mm_cvtss_f32(m) / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  out->d = d;
  const __m256 idv = _mm256_set1_ps(id);
  __m256i i32[4];
  for (int k = 0; k < 4; ++k)
    i32[k] = _mm256_cvtps_epi32(
        _mm256_round_ps(_mm256_mul_ps(v[k], idv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  const __m256i p01 = _mm256_packs_epi32(i32[0], i32[1]);
  const __m256i p23 = _mm256_packs_epi32(i32[2], i32[3]);
  const __m256i p = _mm256_packs_epi16(p01, p23);
  const __m256i q = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  StoreU256(out->qs, q);
  // Sum of the 32 signed quants: byte sums of q + 128, minus 32 * 128.
  const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80))),
                                      _mm256_setzero_si256());
  const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
  const int64_t sum = _mm_cvtsi128_si64(s2) + _mm_extract_epi64(s2, 1) - 32 * 128;
  out->sd = d * static_cast<float>(sum);
}

// Decodes K-quant super-block `sb` of a row.
inline void DecodeK(gguf::TensorType type, const uint8_t* row, int64_t sb, DecodedK* out) {
  switch (type) {
    case gguf::TensorType::kQ4_K: return DecodeQ4_K(reinterpret_cast<const BlockQ4_K*>(row) + sb, out);
    case gguf::TensorType::kQ5_K: return DecodeQ5_K(reinterpret_cast<const BlockQ5_K*>(row) + sb, out);
    default: return DecodeQ6_K(reinterpret_cast<const BlockQ6_K*>(row) + sb, out);
  }
}

// Sequential reader of a weight row's blocks of 32 for the 8-bit paths
// (see WeightBlock32): K-quant super-blocks are decoded once per 8 blocks.
class BlockReader {
 public:
  void Reset(gguf::TensorType type, const uint8_t* row) {
    type_ = type;
    row_ = row;
    sb_ = -1;
  }
  // Quants of block i; scale0/scale1 apply to values 0..15 / 16..31.
  __m256i Block(int64_t i, float* scale0, float* scale1, float* min) {
    if (type_ == gguf::TensorType::kQ8_0 || type_ == gguf::TensorType::kQ4_0) {
      const __m256i q = WeightQuants(type_, row_, i, scale0);
      *scale1 = *scale0;
      *min = 0.0f;
      return q;
    }
    if (i / 8 != sb_) {
      sb_ = i / 8;
      DecodeK(type_, row_, sb_, &dec_);
    }
    const int j = static_cast<int>(i % 8);
    if (dec_.group == 32) {
      *scale0 = *scale1 = dec_.scale[j];
      *min = dec_.min[j];
    } else {
      *scale0 = dec_.scale[2 * j];
      *scale1 = dec_.scale[2 * j + 1];
      *min = 0.0f;
    }
    return LoadU256(dec_.q + 32 * j);
  }

 private:
  gguf::TensorType type_ = gguf::TensorType::kQ8_0;
  const uint8_t* row_ = nullptr;
  int64_t sb_ = -1;
  DecodedK dec_;
};

}  // namespace
}  // namespace steer::model::internal
