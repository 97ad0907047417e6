// AVX-512 (F, BW, VL, VNNI) kernels. This file alone is compiled with those
// flags; kernels.cc calls it only after checking the CPU. Block decoding
// reuses the AVX2 byte helpers; conversion and products run 16 lanes wide,
// and the 8-bit-activation products use VNNI (vpdpbusd).
#include <immintrin.h>

#include <algorithm>
#include <vector>

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

// Row sources for Tile: Load(r, i) gives values i..i+15 of row r as
// floats, At(r, j) one value. Raw rows (F16, BF16, Q8_0) convert in registers
// exactly as dequantize_row does, so a tile gives bit-identical results from
// raw or from dequantized rows.
struct F32Rows {
  const float* const* w;
  __m512 Load(int r, int64_t i) const { return _mm512_loadu_ps(w[r] + i); }
  float At(int r, int64_t j) const { return w[r][j]; }
};
struct F16Rows {
  const uint8_t* const* w;
  __m512 Load(int r, int64_t i) const {
    const auto* h = reinterpret_cast<const uint16_t*>(w[r]);
    return _mm512_cvtph_ps(LoadU256(h + i));
  }
  float At(int r, int64_t j) const { return HalfToFloat(reinterpret_cast<const uint16_t*>(w[r])[j]); }
};
struct BF16Rows {
  const uint8_t* const* w;
  __m512 Load(int r, int64_t i) const {
    const auto* h = reinterpret_cast<const uint16_t*>(w[r]);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(LoadU256(h + i)), 16));
  }
  float At(int r, int64_t j) const { return Bf16ToFp32(reinterpret_cast<const uint16_t*>(w[r])[j]); }
};
struct Q8_0Rows {  // cols is a multiple of 32, so At is never needed
  const uint8_t* const* w;
  __m512 Load(int r, int64_t i) const {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(w[r]) + i / kQK;
    return _mm512_mul_ps(I8ToPs(b->qs + i % kQK), _mm512_set1_ps(HalfToFloat(b->d)));
  }
  float At(int, int64_t) const { return 0.0f; }
};

// NR weight rows (rows r0..) x NB batch rows, one 16-lane accumulator per
// dot; the tail (cols % 16) is added after the lane sum. Fixed order per dot
// (see KernelTable::dot_tile).
template <int NR, int NB, class Rows>
inline void Tile(const Rows& rows, int r0, int64_t cols, const float* x, float* y, int64_t y_stride) {
  __m512 acc[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= cols; i += 16) {
    __m512 wv[NR];
    for (int r = 0; r < NR; ++r) wv[r] = rows.Load(r0 + r, i);
    for (int b = 0; b < NB; ++b) {
      const __m512 xv = _mm512_loadu_ps(x + b * cols + i);
      for (int r = 0; r < NR; ++r) acc[r][b] = _mm512_fmadd_ps(wv[r], xv, acc[r][b]);
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int b = 0; b < NB; ++b) {
      float s = _mm512_reduce_add_ps(acc[r][b]);
      for (int64_t j = i; j < cols; ++j) s += rows.At(r0 + r, j) * x[b * cols + j];
      y[b * y_stride + r] = s;
    }
  }
}

// Batch rows in fours; within those, weight rows in fours.
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
  for (; b + 4 <= batch; b += 4) RowsTile<4>(rows, nr, cols, x + b * cols, y + b * y_stride, y_stride);
  for (; b < batch; ++b) RowsTile<1>(rows, nr, cols, x + b * cols, y + b * y_stride, y_stride);
}

void DotTileAvx512(const float* const* w, int nr, int64_t cols, const float* x, int64_t batch,
                 float* y, int64_t y_stride) {
  RunTile(F32Rows{w}, nr, cols, x, batch, y, y_stride);
}

bool DotTileRawAvx512(TensorType type, const uint8_t* const* w, int nr, int64_t cols, const float* x,
                    int64_t batch, float* y, int64_t y_stride) {
  switch (type) {
    case TensorType::kF16: RunTile(F16Rows{w}, nr, cols, x, batch, y, y_stride); return true;
    case TensorType::kBF16: RunTile(BF16Rows{w}, nr, cols, x, batch, y, y_stride); return true;
    case TensorType::kQ8_0: RunTile(Q8_0Rows{w}, nr, cols, x, batch, y, y_stride); return true;
    default: return false;
  }
}

// ---------------------------------------------------------------------------
// 8-bit activations with VNNI, blocks transposed across lanes.
//
// Blocks of 32 are handled in groups of 16. Within a group, lane k (a
// dword) of vector V_s (s < 8) holds quants 4s..4s+3 of block k, so eight
// vpdpbusd leave the complete integer dot of block k in lane k, and one
// convert and one FMA per 16 blocks apply the scales dw_k * dx_k (Q6_K:
// V_0..3 and V_4..7 are summed apart for its two scales per block; Q4_K /
// Q5_K: one more FMA subtracts min_k * sd_k). vpdpbusd multiplies unsigned
// by signed bytes: activations are stored offset by 128 (x ^ 0x80) and each
// weight block's accumulator starts at -128 * sum(w), so the lane holds
// exactly sum w * x. A short last group is zero-filled (scales 0).
//
// The activations are packed once per call. A weight row's group is
// transposed into a per-thread buffer once per tile and reused for the
// whole batch. K-quant super-blocks are decoded first (kernels_x86.h).
constexpr int kGroup = 16;
// Activation group: V_s at 64 s, dx at 512, sd at 576.
constexpr int64_t kXGroupBytes = 10 * 64;
// Weight group: V_s at 64 s, init0 at 512 (values 0..15 of each block, or
// all 32 when the block has one scale), init1 at 576 (values 16..31 of a
// Q6_K block, else 0), scale0 at 640, scale1 at 704, min at 768.
constexpr int64_t kWGroupBytes = 13 * 64;

int64_t Groups(int64_t cols) { return (cols / kQK + kGroup - 1) / kGroup; }
int64_t Q8ARowBytesAvx512(int64_t cols) { return Groups(cols) * kXGroupBytes; }

// Index vectors of the three vpermt2d stages that transpose 16 blocks x 8
// dwords (held two blocks per register) into 8 dwords x 16 blocks. Built by
// matching (block, dword) labels, relative to each stage's inputs.
struct TransposeIdx {
  __m512i a[2], b[2], c[2];
};

struct Label {
  int row, col;
};

__m512i MatchIdx(const Label (&in_a)[16], const Label (&in_b)[16], const Label (&out)[16]) {
  alignas(64) int32_t idx[16];
  for (int l = 0; l < 16; ++l) {
    idx[l] = -1;
    for (int j = 0; j < 32 && idx[l] < 0; ++j) {
      const Label& in = j < 16 ? in_a[j] : in_b[j - 16];
      if (in.row == out[l].row && in.col == out[l].col) idx[l] = j;
    }
    STEER_CHECK(idx[l] >= 0);
  }
  return _mm512_load_si512(idx);
}

const TransposeIdx& Transpose16x8Idx() {
  static const TransposeIdx t = [] {
    TransposeIdx r;
    Label in_a[16], in_b[16], out[16];
    // Stage A: (blocks 0-1 | 2-3) x dwords 0-7 -> blocks 0-3 x dwords 4c..4c+3.
    for (int l = 0; l < 16; ++l) in_a[l] = {l / 8, l % 8}, in_b[l] = {2 + l / 8, l % 8};
    for (int c = 0; c < 2; ++c) {
      for (int l = 0; l < 16; ++l) out[l] = {l / 4, 4 * c + l % 4};
      r.a[c] = MatchIdx(in_a, in_b, out);
    }
    // Stage B: blocks 0-3 | 4-7 (4 dwords) -> blocks 0-7 x dwords 2e, 2e+1.
    for (int l = 0; l < 16; ++l) in_a[l] = {l / 4, l % 4}, in_b[l] = {4 + l / 4, l % 4};
    for (int e = 0; e < 2; ++e) {
      for (int l = 0; l < 16; ++l) out[l] = {l / 2, 2 * e + l % 2};
      r.b[e] = MatchIdx(in_a, in_b, out);
    }
    // Stage C: blocks 0-7 | 8-15 (2 dwords) -> blocks 0-15 x dword f.
    for (int l = 0; l < 16; ++l) in_a[l] = {l / 2, l % 2}, in_b[l] = {8 + l / 2, l % 2};
    for (int f = 0; f < 2; ++f) {
      for (int l = 0; l < 16; ++l) out[l] = {l, f};
      r.c[f] = MatchIdx(in_a, in_b, out);
    }
    return r;
  }();
  return t;
}

// z[j] = blocks 2j (low half) and 2j+1 (high half), 8 dwords each -> v[s].
inline void Transpose16x8(const __m512i (&z)[8], __m512i (&v)[8]) {
  const TransposeIdx& t = Transpose16x8Idx();
  __m512i a[8], b[2][2][2];
  for (int p = 0; p < 4; ++p)  // a[2p + c]: blocks 4p..4p+3, dwords 4c..4c+3
    for (int c = 0; c < 2; ++c) a[2 * p + c] = _mm512_permutex2var_epi32(z[2 * p], t.a[c], z[2 * p + 1]);
  for (int h = 0; h < 2; ++h)  // b[h][c][e]: blocks 8h..8h+7, dwords 4c+2e, 4c+2e+1
    for (int c = 0; c < 2; ++c)
      for (int e = 0; e < 2; ++e)
        b[h][c][e] = _mm512_permutex2var_epi32(a[2 * (2 * h) + c], t.b[e], a[2 * (2 * h + 1) + c]);
  for (int c = 0; c < 2; ++c)
    for (int e = 0; e < 2; ++e)
      for (int f = 0; f < 2; ++f)
        v[4 * c + 2 * e + f] = _mm512_permutex2var_epi32(b[0][c][e], t.c[f], b[1][c][e]);
}

void QuantizeQ8AAvx512(const float* x, int64_t n, void* out_bytes) {
  auto* out = static_cast<uint8_t*>(out_bytes);
  const int64_t nb = n / kQK;
  const __m256i k128 = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t g = 0; g < Groups(n); ++g) {
    uint8_t* grp = out + g * kXGroupBytes;
    std::memset(grp, 0, kXGroupBytes);
    auto* dx = reinterpret_cast<float*>(grp + 8 * 64);
    auto* sd = reinterpret_cast<float*>(grp + 9 * 64);
    for (int k = 0; k < kGroup && g * kGroup + k < nb; ++k) {
      BlockQ8A blk;
      QuantizeBlockQ8A(x + (g * kGroup + k) * kQK, &blk);
      alignas(32) uint8_t u[kQK];
      StoreU256(u, _mm256_xor_si256(LoadU256(blk.qs), k128));
      for (int s = 0; s < 8; ++s) std::memcpy(grp + 64 * s + 4 * k, u + 4 * s, 4);
      dx[k] = blk.d;
      sd[k] = blk.sd;
    }
  }
}

// The 16 F16 scales of Q8_0 / Q4_0 blocks g * 16 .. (the first 2 bytes of
// each block) in one gather; absent blocks give 0.
inline __m512 GatherScales(TensorType type, const uint8_t* row, int64_t nb, int64_t g) {
  const int64_t block_bytes = type == TensorType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  const int64_t count = std::min<int64_t>(kGroup, nb - g * kGroup);
  const __mmask16 present = static_cast<__mmask16>((1u << count) - 1);
  const __m512i offsets = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
      _mm512_set1_epi32(static_cast<int>(block_bytes)));
  const __m512i dbits = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), present, offsets,
                                                    row + g * kGroup * block_bytes, 1);
  return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dbits));
}

// Transposes group g of a quantized row into out (kWGroupBytes).
inline void PackWeightGroup(TensorType type, const uint8_t* row, int64_t nb, int64_t g, uint8_t* out) {
  const QKind kind = KindOf(type);
  __m512i z[8], v[8];
  alignas(64) float scale0[kGroup] = {}, scale1[kGroup] = {}, min[kGroup] = {};
  if (kind == QKind::kPlain) {
    float unused;
    for (int j = 0; j < 8; ++j) {
      __m256i q[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
      for (int h = 0; h < 2; ++h) {
        const int64_t i = g * kGroup + 2 * j + h;
        if (i < nb) q[h] = WeightQuants(type, row, i, &unused);
      }
      z[j] = _mm512_inserti64x4(_mm512_castsi256_si512(q[0]), q[1], 1);
    }
    const __m512 dw = GatherScales(type, row, nb, g);
    _mm512_store_ps(scale0, dw);
    _mm512_store_ps(scale1, dw);
  } else {
    // Two super-blocks of 8 blocks each (the second may be absent).
    DecodedK dec[2];
    for (int h = 0; h < 2; ++h) {
      const int64_t sb = 2 * g + h;
      if (sb * 8 >= nb) {
        std::memset(dec[h].q, 0, sizeof(dec[h].q));
        continue;
      }
      DecodeK(type, row, sb, &dec[h]);
      for (int j = 0; j < 8; ++j) {
        const int k = 8 * h + j;
        if (dec[h].group == 32) {
          scale0[k] = scale1[k] = dec[h].scale[j];
          min[k] = dec[h].min[j];
        } else {
          scale0[k] = dec[h].scale[2 * j];
          scale1[k] = dec[h].scale[2 * j + 1];
        }
      }
    }
    for (int j = 0; j < 8; ++j) z[j] = _mm512_loadu_si512(dec[j / 4].q + 64 * (j % 4));
  }
  Transpose16x8(z, v);
  // Starting values -128 * (sum of the quants) per lane; Q6_K keeps its two
  // halves (dwords 0-3 and 4-7 of each block) apart.
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i sum0 = _mm512_setzero_si512(), sum1 = _mm512_setzero_si512();
  for (int s = 0; s < 8; ++s) {
    _mm512_store_si512(out + 64 * s, v[s]);
    if (s < 4)
      sum0 = _mm512_dpbusd_epi32(sum0, ones, v[s]);
    else
      sum1 = _mm512_dpbusd_epi32(sum1, ones, v[s]);
  }
  if (kind != QKind::kSplit) {
    sum0 = _mm512_add_epi32(sum0, sum1);
    sum1 = _mm512_setzero_si512();
  }
  _mm512_store_si512(out + 8 * 64, _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum0, 7)));
  _mm512_store_si512(out + 9 * 64, _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum1, 7)));
  _mm512_store_ps(out + 10 * 64, _mm512_load_ps(scale0));
  _mm512_store_ps(out + 11 * 64, _mm512_load_ps(scale1));
  _mm512_store_ps(out + 12 * 64, _mm512_load_ps(min));
}

// NR packed weight rows (w + r * groups * kWGroupBytes) against one batch
// row. Per (row, group): two chains of four vpdpbusd (exact integers; the
// first covers values 0..15 of every block, the second 16..31), then one
// convert and FMA (two for Q6_K's split scales) and, for Q4_K / Q5_K, one
// FMA for the min term. The order depends only on cols.
template <int NR, QKind kKind>
inline void TileQ8A(const uint8_t* w, int64_t groups, const uint8_t* xq, float* y) {
  __m512 acc[NR];
  for (int r = 0; r < NR; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t* xg = xq + g * kXGroupBytes;
    __m512i xv[8];
    for (int s = 0; s < 8; ++s) xv[s] = _mm512_load_si512(xg + 64 * s);
    const __m512 dx = _mm512_load_ps(xg + 8 * 64);
    for (int r = 0; r < NR; ++r) {
      const uint8_t* wg = w + (r * groups + g) * kWGroupBytes;
      __m512i s0 = _mm512_load_si512(wg + 8 * 64);
      __m512i s1 = _mm512_load_si512(wg + 9 * 64);
      for (int s = 0; s < 4; ++s) {
        s0 = _mm512_dpbusd_epi32(s0, xv[s], _mm512_load_si512(wg + 64 * s));
        s1 = _mm512_dpbusd_epi32(s1, xv[s + 4], _mm512_load_si512(wg + 64 * (s + 4)));
      }
      const __m512 scale0 = _mm512_mul_ps(_mm512_load_ps(wg + 10 * 64), dx);
      if constexpr (kKind == QKind::kSplit) {
        const __m512 scale1 = _mm512_mul_ps(_mm512_load_ps(wg + 11 * 64), dx);
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0), scale0, acc[r]);
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1), scale1, acc[r]);
      } else {
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), scale0, acc[r]);
      }
      if constexpr (kKind == QKind::kMin)
        acc[r] = _mm512_fnmadd_ps(_mm512_load_ps(wg + 12 * 64), _mm512_load_ps(xg + 9 * 64), acc[r]);
    }
  }
  for (int r = 0; r < NR; ++r) y[r] = _mm512_reduce_add_ps(acc[r]);
}

template <QKind kKind>
void RunTileQ8A(const uint8_t* wp, int nr, int64_t groups, const uint8_t* xq, int64_t xs,
                int64_t batch, float* y, int64_t y_stride) {
  const int64_t row_bytes = groups * kWGroupBytes;
  for (int64_t b = 0; b < batch; ++b) {
    float* yb = y + b * y_stride;
    int r = 0;
    for (; r + 4 <= nr; r += 4) TileQ8A<4, kKind>(wp + r * row_bytes, groups, xq + b * xs, yb + r);
    for (; r < nr; ++r) TileQ8A<1, kKind>(wp + r * row_bytes, groups, xq + b * xs, yb + r);
  }
}

int64_t PackedRowBytesAvx512(int64_t cols) { return Groups(cols) * kWGroupBytes; }

void PackQ8ARowAvx512(TensorType type, const uint8_t* row, int64_t cols, uint8_t* out) {
  const int64_t nb = cols / kQK;
  for (int64_t g = 0; g < Groups(cols); ++g) PackWeightGroup(type, row, nb, g, out + g * kWGroupBytes);
}

// Runs every batch row over nr packed rows (batch row outer, so its
// activations stay in L1 across the tile's rows).
void DotTileQ8APackedAvx512(TensorType type, const uint8_t* wp, int nr, int64_t cols,
                            const void* xq_bytes, int64_t batch, float* y, int64_t y_stride) {
  const int64_t groups = Groups(cols);
  const auto* xq = static_cast<const uint8_t*>(xq_bytes);
  const int64_t xs = Q8ARowBytesAvx512(cols);
  switch (KindOf(type)) {
    case QKind::kPlain: return RunTileQ8A<QKind::kPlain>(wp, nr, groups, xq, xs, batch, y, y_stride);
    case QKind::kMin: return RunTileQ8A<QKind::kMin>(wp, nr, groups, xq, xs, batch, y, y_stride);
    case QKind::kSplit: return RunTileQ8A<QKind::kSplit>(wp, nr, groups, xq, xs, batch, y, y_stride);
  }
}

// Packs the tile's rows once (into per-thread scratch), then runs them.
void DotTileQ8AAvx512(TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                      const void* xq_bytes, int64_t batch, float* y, int64_t y_stride) {
  struct alignas(64) Line {
    uint8_t bytes[64];
  };
  // Packed weights of one tile; grows once per thread, never shrinks.
  thread_local std::vector<Line> packed;
  const int64_t row_bytes = PackedRowBytesAvx512(cols);
  const size_t need = static_cast<size_t>(nr * row_bytes / 64);
  if (packed.size() < need) packed.resize(need);
  auto* wp = reinterpret_cast<uint8_t*>(packed.data());
  for (int r = 0; r < nr; ++r) PackQ8ARowAvx512(type, w[r], cols, wp + r * row_bytes);
  DotTileQ8APackedAvx512(type, wp, nr, cols, xq_bytes, batch, y, y_stride);
}

}  // namespace

const KernelTable& Avx512Kernels() {
  static const KernelTable table = {DequantizeRowAvx512, DotTileAvx512, DotTileRawAvx512, Q8ARowBytesAvx512,
                                    QuantizeQ8AAvx512, DotTileQ8AAvx512, PackedRowBytesAvx512,
                                    PackQ8ARowAvx512, DotTileQ8APackedAvx512};
  return table;
}

}  // namespace steer::model::internal
