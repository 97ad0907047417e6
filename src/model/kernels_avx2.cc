// AVX2 + FMA + F16C kernels (this file alone is compiled with those flags;
// kernels.cc calls it only after checking the CPU).
#include <immintrin.h>

#include <type_traits>

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

// Row sources for Tile: Load(r, i) gives values i..i+7 of row r as
// floats, At(r, j) one value. Raw rows (F16, BF16, Q8_0) convert in registers
// exactly as dequantize_row does, so a tile gives bit-identical results from
// raw or from dequantized rows.
struct F32Rows {
  const float* const* w;
  __m256 Load(int r, int64_t i) const { return _mm256_loadu_ps(w[r] + i); }
  float At(int r, int64_t j) const { return w[r][j]; }
};
struct F16Rows {
  const uint8_t* const* w;
  __m256 Load(int r, int64_t i) const {
    const auto* h = reinterpret_cast<const uint16_t*>(w[r]);
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i)));
  }
  float At(int r, int64_t j) const { return HalfToFloat(reinterpret_cast<const uint16_t*>(w[r])[j]); }
};
struct BF16Rows {
  const uint8_t* const* w;
  __m256 Load(int r, int64_t i) const {
    const auto* h = reinterpret_cast<const uint16_t*>(w[r]);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))), 16));
  }
  float At(int r, int64_t j) const { return Bf16ToFp32(reinterpret_cast<const uint16_t*>(w[r])[j]); }
};
struct Q8_0Rows {  // cols is a multiple of 32, so At is never needed
  const uint8_t* const* w;
  __m256 Load(int r, int64_t i) const {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(w[r]) + i / kQK;
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
                             _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b->qs + i % kQK)))),
                         _mm256_set1_ps(HalfToFloat(b->d)));
  }
  float At(int, int64_t) const { return 0.0f; }
};

// NR weight rows (rows r0..) x NB batch rows, one 8-lane accumulator per
// dot; the tail (cols % 8) is added after the lane sum. Fixed order per dot
// (see KernelTable::dot_tile).
template <int NR, int NB, class Rows>
inline void Tile(const Rows& rows, int r0, int64_t cols, const float* x, float* y, int64_t y_stride) {
  __m256 acc[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= cols; i += 8) {
    __m256 wv[NR];
    for (int r = 0; r < NR; ++r) wv[r] = rows.Load(r0 + r, i);
    for (int b = 0; b < NB; ++b) {
      const __m256 xv = _mm256_loadu_ps(x + b * cols + i);
      for (int r = 0; r < NR; ++r) acc[r][b] = _mm256_fmadd_ps(wv[r], xv, acc[r][b]);
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int b = 0; b < NB; ++b) {
      float s = HSum256(acc[r][b]);
      for (int64_t j = i; j < cols; ++j) s += rows.At(r0 + r, j) * x[b * cols + j];
      y[b * y_stride + r] = s;
    }
  }
}

// Batch rows in pairs; within those, weight rows in fours.
template <int NB, class Rows>
inline void RowsTile(const Rows& rows, int nr, int64_t cols, const float* x, float* y,
                     int64_t y_stride) {
  int r = 0;
  for (; r + 4 <= nr; r += 4) Tile<4, NB>(rows, r, cols, x, y + r, y_stride);
  for (; r < nr; ++r) Tile<1, NB>(rows, r, cols, x, y + r, y_stride);
}

template <class Rows>
void RunTile(const Rows& rows, int nr, int64_t cols, const float* x, int64_t batch, float* y,
             int64_t y_stride) {
  int64_t b = 0;
  for (; b + 2 <= batch; b += 2) RowsTile<2>(rows, nr, cols, x + b * cols, y + b * y_stride, y_stride);
  for (; b < batch; ++b) RowsTile<1>(rows, nr, cols, x + b * cols, y + b * y_stride, y_stride);
}

void DotTileAvx2(const float* const* w, int nr, int64_t cols, const float* x, int64_t batch,
                 float* y, int64_t y_stride) {
  RunTile(F32Rows{w}, nr, cols, x, batch, y, y_stride);
}

bool DotTileRawAvx2(TensorType type, const uint8_t* const* w, int nr, int64_t cols, const float* x,
                    int64_t batch, float* y, int64_t y_stride) {
  switch (type) {
    case TensorType::kF16: RunTile(F16Rows{w}, nr, cols, x, batch, y, y_stride); return true;
    case TensorType::kBF16: RunTile(BF16Rows{w}, nr, cols, x, batch, y, y_stride); return true;
    case TensorType::kQ8_0: RunTile(Q8_0Rows{w}, nr, cols, x, batch, y, y_stride); return true;
    default: return false;
  }
}

void QuantizeQ8AAvx2(const float* x, int64_t n, void* out_bytes) {
  auto* out = static_cast<BlockQ8A*>(out_bytes);
  for (int64_t i = 0; i < n / kQK; ++i) QuantizeBlockQ8A(x + i * kQK, out + i);
}

// Eight int32 partial sums of the 32 products w[i] * x[i] (signed bytes).
inline __m256i DotI8(__m256i w, __m256i x) {
  const __m256i prod16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(prod16, _mm256_set1_epi16(1));
}

// Per (row, batch row, block): exact int32 lanes (lanes 0-3 cover values
// 0..15, lanes 4-7 values 16..31), scaled per lane and accumulated; the min
// term of Q4_K / Q5_K is summed separately and subtracted at the end. The
// order depends only on cols.
template <int NR, int NB, QKind kKind>
inline void TileQ8A(TensorType type, const uint8_t* const* w, int64_t nb, const uint8_t* xq,
                    int64_t x_stride, float* y, int64_t y_stride) {
  __m256 acc[NR][NB];
  float msum[NR][NB] = {};
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm256_setzero_ps();
  BlockReader readers[kKind == QKind::kPlain ? 1 : NR];
  if constexpr (kKind != QKind::kPlain)
    for (int r = 0; r < NR; ++r) readers[r].Reset(type, w[r]);
  for (int64_t i = 0; i < nb; ++i) {
    __m256i wq[NR];
    __m256 ws[NR];
    float mn[NR];
    for (int r = 0; r < NR; ++r) {
      float s0, s1;
      if constexpr (kKind == QKind::kPlain) {
        wq[r] = WeightQuants(type, w[r], i, &s0);
        ws[r] = _mm256_set1_ps(s0);
      } else {
        wq[r] = readers[r].Block(i, &s0, &s1, &mn[r]);
        ws[r] = _mm256_set_m128(_mm_set1_ps(s1), _mm_set1_ps(s0));
      }
    }
    for (int b = 0; b < NB; ++b) {
      const BlockQ8A& xb = reinterpret_cast<const BlockQ8A*>(xq + b * x_stride)[i];
      const __m256i xv = LoadU256(xb.qs);
      const __m256 dx = _mm256_set1_ps(xb.d);
      for (int r = 0; r < NR; ++r) {
        acc[r][b] = _mm256_fmadd_ps(_mm256_mul_ps(ws[r], dx), _mm256_cvtepi32_ps(DotI8(wq[r], xv)),
                                    acc[r][b]);
        if constexpr (kKind == QKind::kMin) msum[r][b] += mn[r] * xb.sd;
      }
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) y[b * y_stride + r] = HSum256(acc[r][b]) - msum[r][b];
}

template <QKind kKind>
void RunTileQ8A(TensorType type, const uint8_t* const* w, int nr, int64_t cols, const uint8_t* xq,
                int64_t batch, float* y, int64_t y_stride) {
  const int64_t nb = cols / kQK;
  const int64_t xs = BlockQ8ARowBytes(cols);
  auto rows = [&](auto nb_tag, int64_t b) {
    constexpr int kNB = decltype(nb_tag)::value;
    int r = 0;
    for (; r + 4 <= nr; r += 4)
      TileQ8A<4, kNB, kKind>(type, w + r, nb, xq + b * xs, xs, y + b * y_stride + r, y_stride);
    for (; r < nr; ++r)
      TileQ8A<1, kNB, kKind>(type, w + r, nb, xq + b * xs, xs, y + b * y_stride + r, y_stride);
  };
  int64_t b = 0;
  for (; b + 2 <= batch; b += 2) rows(std::integral_constant<int, 2>(), b);
  for (; b < batch; ++b) rows(std::integral_constant<int, 1>(), b);
}

void DotTileQ8AAvx2(TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                    const void* xq_bytes, int64_t batch, float* y, int64_t y_stride) {
  const auto* xq = static_cast<const uint8_t*>(xq_bytes);
  switch (KindOf(type)) {
    case QKind::kPlain: return RunTileQ8A<QKind::kPlain>(type, w, nr, cols, xq, batch, y, y_stride);
    case QKind::kMin: return RunTileQ8A<QKind::kMin>(type, w, nr, cols, xq, batch, y, y_stride);
    case QKind::kSplit: return RunTileQ8A<QKind::kSplit>(type, w, nr, cols, xq, batch, y, y_stride);
  }
}

}  // namespace

const KernelTable& Avx2Kernels() {
  static const KernelTable table = {DequantizeRowAvx2, DotTileAvx2, DotTileRawAvx2, BlockQ8ARowBytes, QuantizeQ8AAvx2,
                                    DotTileQ8AAvx2, 0, 0, nullptr, nullptr, nullptr,
                                    0, 0, nullptr, nullptr, nullptr, nullptr};
  return table;
}

}  // namespace steer::model::internal
