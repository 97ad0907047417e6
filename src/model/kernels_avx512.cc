// AVX-512 (F, BW, VL, VNNI) kernels. This file alone is compiled with those
// flags; kernels.cc calls it only after checking the CPU. Block decoding
// reuses the AVX2 byte helpers; conversion and products run 16 lanes wide,
// and the 8-bit-activation products use VNNI (vpdpbusd).
#include <immintrin.h>

#include "model/kernels_internal.h"
#include "model/kernels_x86.h"
#include "steer/util/check.h"

namespace steer::model::internal {
namespace {

using gguf::TensorType;

inline __m512 I8ToPs(const int8_t* q) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q))));
}

// y[0..n) = scale * q[0..n) - min, n a multiple of 16.
inline void ScaleGroup(const int8_t* q, int n, float scale, float min, float* y) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512 m = _mm512_set1_ps(min);
  for (int i = 0; i < n; i += 16) _mm512_storeu_ps(y + i, _mm512_sub_ps(_mm512_mul_ps(s, I8ToPs(q + i)), m));
}

// y[0..32) = q[0..32) * d (Q8_0 / Q4_0: one product, as ggml).
inline void ScaleBlock(const int8_t* q, float d, float* y) {
  const __m512 s = _mm512_set1_ps(d);
  _mm512_storeu_ps(y, _mm512_mul_ps(I8ToPs(q), s));
  _mm512_storeu_ps(y + 16, _mm512_mul_ps(I8ToPs(q + 16), s));
}

template <class Block, void (*Decode)(const Block*, DecodedK*)>
void DequantK(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const Block*>(src);
  DecodedK dec;
  for (int64_t i = 0; i < n / kQKK; ++i, y += kQKK) {
    Decode(b + i, &dec);
    for (int g = 0; g < kQKK / dec.group; ++g)
      ScaleGroup(dec.q + g * dec.group, dec.group, dec.scale[g], dec.min[g], y + g * dec.group);
  }
}

void DequantizeRowAvx512(TensorType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::kF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      int64_t i = 0;
      for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(LoadU256(h + i)));
      for (; i < n; ++i) dst[i] = HalfToFloat(h[i]);
      return;
    }
    case TensorType::kBF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      int64_t i = 0;
      for (; i + 16 <= n; i += 16) {
        const __m512i v = _mm512_cvtepu16_epi32(LoadU256(h + i));
        _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)));
      }
      for (; i < n; ++i) dst[i] = Bf16ToFp32(h[i]);
      return;
    }
    case TensorType::kQ8_0: {
      const auto* b = static_cast<const BlockQ8_0*>(src);
      for (int64_t i = 0; i < n / kQK; ++i) ScaleBlock(b[i].qs, HalfToFloat(b[i].d), dst + i * kQK);
      return;
    }
    case TensorType::kQ4_0: {
      const auto* b = static_cast<const BlockQ4_0*>(src);
      alignas(32) int8_t q[kQK];
      for (int64_t i = 0; i < n / kQK; ++i) {
        StoreU256(q, Q4_0Quants(b + i));
        ScaleBlock(q, HalfToFloat(b[i].d), dst + i * kQK);
      }
      return;
    }
    case TensorType::kQ4_K: return DequantK<BlockQ4_K, DecodeQ4_K>(src, dst, n);
    case TensorType::kQ5_K: return DequantK<BlockQ5_K, DecodeQ5_K>(src, dst, n);
    case TensorType::kQ6_K: return DequantK<BlockQ6_K, DecodeQ6_K>(src, dst, n);
    default:
      STEER_CHECK_MSG(false, "unsupported weight type");
  }
}

// NR weight rows x NB batch rows, one 16-lane accumulator per dot; the tail
// (cols % 16) is added after the lane sum. Fixed order per dot (see header).
template <int NR, int NB>
inline void Tile(const float* const* w, int64_t cols, const float* x, float* y, int64_t y_stride) {
  __m512 acc[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= cols; i += 16) {
    __m512 wv[NR];
    for (int r = 0; r < NR; ++r) wv[r] = _mm512_loadu_ps(w[r] + i);
    for (int b = 0; b < NB; ++b) {
      const __m512 xv = _mm512_loadu_ps(x + b * cols + i);
      for (int r = 0; r < NR; ++r) acc[r][b] = _mm512_fmadd_ps(wv[r], xv, acc[r][b]);
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int b = 0; b < NB; ++b) {
      float s = _mm512_reduce_add_ps(acc[r][b]);
      for (int64_t j = i; j < cols; ++j) s += w[r][j] * x[b * cols + j];
      y[b * y_stride + r] = s;
    }
  }
}

void DotTileAvx512(const float* const* w, int nr, int64_t cols, const float* x, int64_t batch,
                   float* y, int64_t y_stride) {
  if (nr == 4) {
    int64_t b = 0;
    for (; b + 4 <= batch; b += 4) Tile<4, 4>(w, cols, x + b * cols, y + b * y_stride, y_stride);
    for (; b < batch; ++b) Tile<4, 1>(w, cols, x + b * cols, y + b * y_stride, y_stride);
    return;
  }
  for (int r = 0; r < nr; ++r)
    for (int64_t b = 0; b < batch; ++b) Tile<1, 1>(w + r, cols, x + b * cols, y + b * y_stride + r, y_stride);
}

void QuantizeQ8AAvx512(const float* x, int64_t n, BlockQ8A* out) {
  for (int64_t i = 0; i < n / kQK; ++i) QuantizeBlockQ8A(x + i * kQK, out + i);
}

// Eight int32 partial sums of the 32 products w[i] * x[i] (signed bytes).
inline __m256i DotI8(__m256i w, __m256i x) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w), _mm256_sign_epi8(x, w));
}

inline __m512i Join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
inline __m512 Join(float lo, float hi) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(lo)),
                                             _mm256_castps_pd(_mm256_set1_ps(hi)), 1));
}

// Blocks are taken in pairs, one per 256-bit half of a zmm register: lanes
// 0-7 hold block i, lanes 8-15 block i + 1. vpdpbusd multiplies unsigned by
// signed bytes, so x is offset to x + 128 (x ^ 0x80) and the accumulator
// starts at -128 * (sum of w per lane), leaving exactly sum w * x per lane.
// An odd last block goes through the 256-bit sign trick. The order per dot
// depends only on cols.
template <int NR, int NB>
inline void TileQ8A(TensorType type, const uint8_t* const* w, int64_t nb, const BlockQ8A* xq,
                    float* y, int64_t y_stride) {
  __m512 acc[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm512_setzero_ps();
  const __m512i k128 = _mm512_set1_epi8(static_cast<char>(0x80));
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    __m512i wq[NR], init[NR];
    __m512 dw[NR];
    for (int r = 0; r < NR; ++r) {
      float d0, d1;
      const __m256i q0 = WeightQuants(type, w[r], i, &d0);
      const __m256i q1 = WeightQuants(type, w[r], i + 1, &d1);
      wq[r] = Join(q0, q1);
      dw[r] = Join(d0, d1);
      init[r] = _mm512_sub_epi32(_mm512_setzero_si512(),
                                 _mm512_dpbusd_epi32(_mm512_setzero_si512(), k128, wq[r]));
    }
    for (int b = 0; b < NB; ++b) {
      const BlockQ8A& x0 = xq[b * nb + i];
      const BlockQ8A& x1 = xq[b * nb + i + 1];
      const __m512i xu = _mm512_xor_si512(Join(LoadU256(x0.qs), LoadU256(x1.qs)), k128);
      const __m512 dx = Join(x0.d, x1.d);
      for (int r = 0; r < NR; ++r) {
        const __m512 sum = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(init[r], xu, wq[r]));
        acc[r][b] = _mm512_fmadd_ps(_mm512_mul_ps(dw[r], dx), sum, acc[r][b]);
      }
    }
  }
  __m256 tail[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) tail[r][b] = _mm256_setzero_ps();
  if (i < nb) {
    for (int r = 0; r < NR; ++r) {
      float dw;
      const __m256i wq = WeightQuants(type, w[r], i, &dw);
      for (int b = 0; b < NB; ++b) {
        const BlockQ8A& xb = xq[b * nb + i];
        tail[r][b] = _mm256_mul_ps(_mm256_set1_ps(dw * xb.d),
                                   _mm256_cvtepi32_ps(DotI8(wq, LoadU256(xb.qs))));
      }
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b)
      y[b * y_stride + r] = _mm512_reduce_add_ps(acc[r][b]) + HSum256(tail[r][b]);
}

void DotTileQ8AAvx512(TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                      const BlockQ8A* xq, int64_t batch, float* y, int64_t y_stride) {
  const int64_t nb = cols / kQK;
  if (nr == 4) {
    int64_t b = 0;
    for (; b + 4 <= batch; b += 4) TileQ8A<4, 4>(type, w, nb, xq + b * nb, y + b * y_stride, y_stride);
    for (; b < batch; ++b) TileQ8A<4, 1>(type, w, nb, xq + b * nb, y + b * y_stride, y_stride);
    return;
  }
  for (int r = 0; r < nr; ++r)
    for (int64_t b = 0; b < batch; ++b)
      TileQ8A<1, 1>(type, w + r, nb, xq + b * nb, y + b * y_stride + r, y_stride);
}

}  // namespace

const KernelTable& Avx512Kernels() {
  static const KernelTable table = {DequantizeRowAvx512, DotTileAvx512, QuantizeQ8AAvx512,
                                    DotTileQ8AAvx512};
  return table;
}

}  // namespace steer::model::internal
