// AVX2 + FMA + F16C kernels (this file alone is compiled with those flags;
// kernels.cc calls it only after checking the CPU).
#include <immintrin.h>

#include "model/kernels_internal.h"
#include "model/kernels_x86.h"
#include "steer/util/check.h"

namespace steer::model::internal {
namespace {

using gguf::TensorType;

// y[0..n) = scale * q[0..n) - min, n a multiple of 8.
inline void ScaleGroup(const int8_t* q, int n, float scale, float min, float* y) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256 m = _mm256_set1_ps(min);
  for (int i = 0; i < n; i += 8) {
    const __m256 v = _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + i))));
    _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_mul_ps(s, v), m));
  }
}

// y[0..n) = q[0..n) * d (Q8_0 / Q4_0: one product, as ggml).
inline void ScaleBlock(const int8_t* q, float d, float* y) {
  const __m256 s = _mm256_set1_ps(d);
  for (int i = 0; i < kQK; i += 8) {
    const __m256 v = _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + i))));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(v, s));
  }
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

void DequantizeRowAvx2(TensorType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::kF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      int64_t i = 0;
      for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))));
      for (; i < n; ++i) dst[i] = HalfToFloat(h[i]);
      return;
    }
    case TensorType::kBF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      int64_t i = 0;
      for (; i + 8 <= n; i += 8) {
        const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i)));
        _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
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

// NR weight rows x NB batch rows, one 8-lane accumulator per dot; the tail
// (cols % 8) is added after the lane sum. Fixed order per dot (see header).
template <int NR, int NB>
inline void Tile(const float* const* w, int64_t cols, const float* x, float* y, int64_t y_stride) {
  __m256 acc[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= cols; i += 8) {
    __m256 wv[NR];
    for (int r = 0; r < NR; ++r) wv[r] = _mm256_loadu_ps(w[r] + i);
    for (int b = 0; b < NB; ++b) {
      const __m256 xv = _mm256_loadu_ps(x + b * cols + i);
      for (int r = 0; r < NR; ++r) acc[r][b] = _mm256_fmadd_ps(wv[r], xv, acc[r][b]);
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int b = 0; b < NB; ++b) {
      float s = HSum256(acc[r][b]);
      for (int64_t j = i; j < cols; ++j) s += w[r][j] * x[b * cols + j];
      y[b * y_stride + r] = s;
    }
  }
}

void DotTileAvx2(const float* const* w, int nr, int64_t cols, const float* x, int64_t batch,
                 float* y, int64_t y_stride) {
  if (nr == 4) {
    int64_t b = 0;
    for (; b + 2 <= batch; b += 2) Tile<4, 2>(w, cols, x + b * cols, y + b * y_stride, y_stride);
    for (; b < batch; ++b) Tile<4, 1>(w, cols, x + b * cols, y + b * y_stride, y_stride);
    return;
  }
  for (int r = 0; r < nr; ++r)
    for (int64_t b = 0; b < batch; ++b) Tile<1, 1>(w + r, cols, x + b * cols, y + b * y_stride + r, y_stride);
}

void QuantizeQ8AAvx2(const float* x, int64_t n, BlockQ8A* out) {
  for (int64_t i = 0; i < n / kQK; ++i) QuantizeBlockQ8A(x + i * kQK, out + i);
}

// Eight int32 partial sums of the 32 products w[i] * x[i] (signed bytes).
inline __m256i DotI8(__m256i w, __m256i x) {
  const __m256i prod16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(prod16, _mm256_set1_epi16(1));
}

template <int NR, int NB>
inline void TileQ8A(TensorType type, const uint8_t* const* w, int64_t nb, const BlockQ8A* xq,
                    float* y, int64_t y_stride) {
  __m256 acc[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    __m256i wq[NR];
    float dw[NR];
    for (int r = 0; r < NR; ++r) wq[r] = WeightQuants(type, w[r], i, &dw[r]);
    for (int b = 0; b < NB; ++b) {
      const BlockQ8A& xb = xq[b * nb + i];
      const __m256i xv = LoadU256(xb.qs);
      for (int r = 0; r < NR; ++r) {
        const __m256 s = _mm256_set1_ps(dw[r] * xb.d);
        acc[r][b] = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(DotI8(wq[r], xv)), acc[r][b]);
      }
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) y[b * y_stride + r] = HSum256(acc[r][b]);
}

void DotTileQ8AAvx2(TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                    const BlockQ8A* xq, int64_t batch, float* y, int64_t y_stride) {
  const int64_t nb = cols / kQK;
  if (nr == 4) {
    int64_t b = 0;
    for (; b + 2 <= batch; b += 2) TileQ8A<4, 2>(type, w, nb, xq + b * nb, y + b * y_stride, y_stride);
    for (; b < batch; ++b) TileQ8A<4, 1>(type, w, nb, xq + b * nb, y + b * y_stride, y_stride);
    return;
  }
  for (int r = 0; r < nr; ++r)
    for (int64_t b = 0; b < batch; ++b)
      TileQ8A<1, 1>(type, w + r, nb, xq + b * nb, y + b * y_stride + r, y_stride);
}

}  // namespace

const KernelTable& Avx2Kernels() {
  static const KernelTable table = {DequantizeRowAvx2, DotTileAvx2, QuantizeQ8AAvx2, DotTileQ8AAvx2};
  return table;
}

}  // namespace steer::model::internal
