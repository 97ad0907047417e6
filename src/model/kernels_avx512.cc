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

// Row sources for Tile (dequantized quantized rows; F32, F16 and BF16 use
// the panels below): Load(r, i) gives values i..i+15 of row r as floats,
// At(r, j) one value. Raw Q8_0 rows convert in registers exactly as
// dequantize_row does, so a tile gives bit-identical results from raw or
// from dequantized rows.
// Rows with kPairs also give both halves of a 32-value block at once
// (Load2), sharing its scale: the same values as two Loads, with one scale
// conversion and broadcast instead of two (at batch 1 those conversions,
// on the same port as the byte widening, bound the loop).
struct F32Rows {
  static constexpr bool kPairs = false;
  const float* const* w;
  __m512 Load(int r, int64_t i) const { return _mm512_loadu_ps(w[r] + i); }
  float At(int r, int64_t j) const { return w[r][j]; }
};
struct Q8_0Rows {  // cols is a multiple of 32, so At is never needed
  static constexpr bool kPairs = true;
  const uint8_t* const* w;
  __m512 Load(int r, int64_t i) const {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(w[r]) + i / kQK;
    return _mm512_mul_ps(I8ToPs(b->qs + i % kQK), _mm512_set1_ps(HalfToFloat(b->d)));
  }
  void Load2(int r, int64_t i, __m512* lo, __m512* hi) const {  // i % 32 == 0
    const auto* b = reinterpret_cast<const BlockQ8_0*>(w[r]) + i / kQK;
    const __m512 d = _mm512_set1_ps(HalfToFloat(b->d));
    *lo = _mm512_mul_ps(I8ToPs(b->qs), d);
    *hi = _mm512_mul_ps(I8ToPs(b->qs + 16), d);
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
  if constexpr (Rows::kPairs) {  // the same FMAs in the same order, 32 values a step
    for (; i + 32 <= cols; i += 32) {
      __m512 lo[NR], hi[NR];
      for (int r = 0; r < NR; ++r) rows.Load2(r0 + r, i, &lo[r], &hi[r]);
      for (int b = 0; b < NB; ++b) {
        const __m512 x0 = _mm512_loadu_ps(x + b * cols + i), x1 = _mm512_loadu_ps(x + b * cols + i + 16);
        for (int r = 0; r < NR; ++r) acc[r][b] = _mm512_fmadd_ps(hi[r], x1, _mm512_fmadd_ps(lo[r], x0, acc[r][b]));
      }
    }
  }
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
    case TensorType::kQ8_0: RunTile(Q8_0Rows{w}, nr, cols, x, batch, y, y_stride); return true;
    default: return false;
  }
}

// ---------------------------------------------------------------------------
// F32 activations on weight panels (F32, F16 and BF16 weights).
//
// Rows are rearranged into panels of 16: position k of a panel holds the 16
// rows' value k, one row per lane, in the weight's own type (F16 and BF16
// are widened in registers). An output is then one lane of one accumulator,
// summed in order k = 0, 1, ... by FMA with the batch row's x_k broadcast:
// no horizontal sums, and the order depends only on cols. A micro-kernel
// runs NP panels against NB batch rows: per k, NP weight loads and NB
// broadcasts feed NP * NB FMAs.
constexpr int kFPanelRows = 16;
constexpr int kFTileRows = 4 * kFPanelRows;  // rows per dot_tile_fpanels call

bool HasFPanelsAvx512(TensorType type) {
  return type == TensorType::kF32 || type == TensorType::kF16 || type == TensorType::kBF16;
}
int64_t FElemBytes(TensorType type) { return type == TensorType::kF32 ? 4 : 2; }
int64_t FPanelBytesAvx512(TensorType type, int64_t cols) {
  return (cols * kFPanelRows * FElemBytes(type) + 63) / 64 * 64;
}

// r[i] = 16 dwords of row i -> r[k] = column k (dword k of every row).
inline void Transpose16x16(__m512i (&r)[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // r[4g + c], 128-bit lane L: column 4L + c of rows 4g..4g+3.
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_i32x4(r[i], r[4 + i], 0x88);
    t[4 + i] = _mm512_shuffle_i32x4(r[i], r[4 + i], 0xDD);
    t[8 + i] = _mm512_shuffle_i32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_i32x4(r[8 + i], r[12 + i], 0xDD);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_i32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_i32x4(t[i], t[8 + i], 0xDD);
    r[4 + i] = _mm512_shuffle_i32x4(t[4 + i], t[12 + i], 0x88);
    r[12 + i] = _mm512_shuffle_i32x4(t[4 + i], t[12 + i], 0xDD);
  }
}

// Writes the panel of rows[0..nr) (nr <= 16; missing rows are zero) at out:
// 16 x 16 blocks transposed in registers (16-bit values widened to dwords
// and back), the last cols % 16 positions one value at a time.
void PackFPanelAvx512(TensorType type, const uint8_t* const* rows, int nr, int64_t cols, uint8_t* out) {
  const int64_t e = FElemBytes(type);
  std::memset(out, 0, static_cast<size_t>(FPanelBytesAvx512(type, cols)));
  int64_t k0 = 0;
  for (; k0 + 16 <= cols; k0 += 16) {
    __m512i r[16];
    for (int j = 0; j < 16; ++j) {
      if (j >= nr)
        r[j] = _mm512_setzero_si512();
      else if (e == 4)
        r[j] = _mm512_loadu_si512(rows[j] + k0 * 4);
      else
        r[j] = _mm512_cvtepu16_epi32(LoadU256(rows[j] + k0 * 2));
    }
    Transpose16x16(r);
    for (int c = 0; c < 16; ++c) {
      uint8_t* dst = out + (k0 + c) * kFPanelRows * e;
      if (e == 4)
        _mm512_store_si512(dst, r[c]);
      else
        _mm256_store_si256(reinterpret_cast<__m256i*>(dst), _mm512_cvtepi32_epi16(r[c]));
    }
  }
  for (int j = 0; j < nr; ++j)
    for (int64_t k = k0; k < cols; ++k) std::memcpy(out + (k * kFPanelRows + j) * e, rows[j] + k * e, e);
}

// Position k of a panel as 16 floats.
struct F32Panel {
  static constexpr int64_t kElem = 4;
  static __m512 Load(const uint8_t* p) { return _mm512_load_ps(p); }
};
struct F16Panel {
  static constexpr int64_t kElem = 2;
  static __m512 Load(const uint8_t* p) { return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(p))); }
};
struct BF16Panel {
  static constexpr int64_t kElem = 2;
  static __m512 Load(const uint8_t* p) {
    const __m256i h = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
};

// Cache lines of the next call's `bytes` of panels that each of `groups`
// row groups prefetches; none below two groups (one pass streams its panels
// once, and prefetching a whole call ahead measured slower there).
inline int64_t PrefetchShare(int64_t bytes, int64_t groups) {
  return groups >= 2 ? (bytes / 64 + groups - 1) / groups : 0;
}

// NP panels at w (panel_bytes apart) x NB batch rows of x; writes
// y[b * y_stride + 16 p + lane], the last panel's lanes under `last` only.
// Every pf_every-th k also prefetches the next cache line from pf (none
// when pf is null).
template <int NP, int NB, class Panel>
inline void FPanelKernel(const uint8_t* w, int64_t panel_bytes, int64_t cols, const float* x, float* y,
                         int64_t y_stride, __mmask16 last, const uint8_t* pf = nullptr, int64_t pf_every = 1) {
  __m512 acc[NP][NB];
#pragma GCC unroll 4
  for (int p = 0; p < NP; ++p)
#pragma GCC unroll 6
    for (int b = 0; b < NB; ++b) acc[p][b] = _mm512_setzero_ps();
  int64_t pf_at = pf != nullptr ? 0 : cols;
  for (int64_t k = 0; k < cols; ++k) {
    if (k == pf_at) {
      _mm_prefetch(reinterpret_cast<const char*>(pf), _MM_HINT_T0);
      pf += 64;
      pf_at += pf_every;
    }
    __m512 wv[NP];
#pragma GCC unroll 4
    for (int p = 0; p < NP; ++p) wv[p] = Panel::Load(w + p * panel_bytes + k * kFPanelRows * Panel::kElem);
#pragma GCC unroll 6
    for (int b = 0; b < NB; ++b) {
      const __m512 xb = _mm512_set1_ps(x[b * cols + k]);
#pragma GCC unroll 4
      for (int p = 0; p < NP; ++p) acc[p][b] = _mm512_fmadd_ps(wv[p], xb, acc[p][b]);
    }
  }
#pragma GCC unroll 6
  for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 4
    for (int p = 0; p + 1 < NP; ++p) _mm512_storeu_ps(y + b * y_stride + kFPanelRows * p, acc[p][b]);
    _mm512_mask_storeu_ps(y + b * y_stride + kFPanelRows * (NP - 1), last, acc[NP - 1][b]);
  }
}

// All batch rows against NP panels: chunks of kNB rows, then the rest. With
// two or more chunks, each also prefetches its share of the NP panels that
// follow (the next call's), as RunPanels does for the 8-bit kernel.
template <int NP, class Panel>
void FPanelBatch(const uint8_t* w, int64_t panel_bytes, int64_t cols, const float* x, int64_t batch, float* y,
                 int64_t y_stride, __mmask16 last) {
  constexpr int kNB = NP >= 4 ? 3 : 6;  // NP * kNB accumulators in 32 registers
  const int64_t groups = batch / kNB;
  const int64_t per_group = PrefetchShare(NP * panel_bytes, groups);
  const int64_t every = per_group > 0 ? std::max<int64_t>(1, cols / per_group) : 1;
  const uint8_t* next = w + NP * panel_bytes;
  int64_t b = 0;
  for (int64_t g = 0; b + kNB <= batch; b += kNB, ++g)
    FPanelKernel<NP, kNB, Panel>(w, panel_bytes, cols, x + b * cols, y + b * y_stride, y_stride, last,
                                 per_group > 0 ? next + 64 * per_group * g : nullptr, every);
  const float* xb = x + b * cols;
  float* yb = y + b * y_stride;
  switch (batch - b) {
    case 1: return FPanelKernel<NP, 1, Panel>(w, panel_bytes, cols, xb, yb, y_stride, last);
    case 2: return FPanelKernel<NP, 2, Panel>(w, panel_bytes, cols, xb, yb, y_stride, last);
    case 3: if constexpr (kNB > 3) return FPanelKernel<NP, 3, Panel>(w, panel_bytes, cols, xb, yb, y_stride, last);
      break;
    case 4: if constexpr (kNB > 4) return FPanelKernel<NP, 4, Panel>(w, panel_bytes, cols, xb, yb, y_stride, last);
      break;
    case 5: if constexpr (kNB > 5) return FPanelKernel<NP, 5, Panel>(w, panel_bytes, cols, xb, yb, y_stride, last);
      break;
    default: break;
  }
}

// nr (<= 64) rows in consecutive panels. Small batches take four panels
// at a time (more independent FMA chains per batch row), larger ones two.
template <class Panel>
void RunFPanels(const uint8_t* w, int nr, int64_t cols, const float* x, int64_t batch, float* y,
                int64_t y_stride, int64_t panel_bytes) {
  const int panels = (nr + kFPanelRows - 1) / kFPanelRows;
  const int tail = nr % kFPanelRows;
  const auto full = static_cast<__mmask16>(0xFFFF);
  const auto last = static_cast<__mmask16>(tail == 0 ? 0xFFFF : (1u << tail) - 1);
  int p = 0;
  auto mask = [&](int np) { return p + np == panels ? last : full; };
  if (batch < 3 && panels == 4) {
    FPanelBatch<4, Panel>(w, panel_bytes, cols, x, batch, y, y_stride, mask(4));
    return;
  }
  for (; p + 2 <= panels; p += 2)
    FPanelBatch<2, Panel>(w + p * panel_bytes, panel_bytes, cols, x, batch, y + p * kFPanelRows, y_stride, mask(2));
  if (p < panels)
    FPanelBatch<1, Panel>(w + p * panel_bytes, panel_bytes, cols, x, batch, y + p * kFPanelRows, y_stride, mask(1));
}

void DotTileFPanelsAvx512(TensorType type, const uint8_t* w, int nr, int64_t cols, const float* x, int64_t batch,
                          float* y, int64_t y_stride) {
  const int64_t panel_bytes = FPanelBytesAvx512(type, cols);
  switch (type) {
    case TensorType::kF32: return RunFPanels<F32Panel>(w, nr, cols, x, batch, y, y_stride, panel_bytes);
    case TensorType::kF16: return RunFPanels<F16Panel>(w, nr, cols, x, batch, y, y_stride, panel_bytes);
    case TensorType::kBF16: return RunFPanels<BF16Panel>(w, nr, cols, x, batch, y, y_stride, panel_bytes);
    default: STEER_CHECK_MSG(false, "no F32 panel layout for this type");
  }
}

// ---------------------------------------------------------------------------
// 8-bit activations with VNNI, weight rows across lanes.
//
// Weights are rearranged into panels of 16 rows: for each block k of 32
// values, vector s (s < 8) holds in lane j the four quants 4s..4s+3 of row
// j, offset by 128 to unsigned bytes, followed by the block's 16 scales
// (and a second 16: Q6_K's scales for values 16..31, or Q4_K / Q5_K mins).
// A product then needs no horizontal sums: per (block, batch row), eight
// vpdpbusd against the batch row's quants broadcast 4 at a time leave row
// j's integer dot in lane j, and one convert and FMA per 16 rows apply the
// scales dw_j * dx_k (Q6_K: two chains and two FMAs; Q4_K / Q5_K: one more
// FMA for the min term). The 128 offset is cancelled by starting each chain
// at -128 * (sum of the block's activation quants), stored with them.
//
// Every output is one F32 accumulator summed over blocks in order k = 0, 1,
// ..., so it depends only on cols, never on batch size, tiling or threads.
//
// A micro-kernel runs two panels against up to seven batch rows: per
// (block, batch row), 16 vpdpbusd share 8 broadcasts, and each weight vector
// is loaded once per seven batch rows.
constexpr int kPanelRows = 16;
constexpr int kTileRows = 2 * kPanelRows;  // rows per dot_tile_q8a* call
constexpr int kGroupRows = 7;              // batch rows per PanelKernel call

// Bytes of one panel block: 8 vectors of quants, then one or two scale
// vectors.
int64_t PanelBlockBytes(TensorType type) { return KindOf(type) == QKind::kPlain ? 9 * 64 : 10 * 64; }
int64_t PanelBytesAvx512(TensorType type, int64_t cols) { return cols / kQK * PanelBlockBytes(type); }

// One block of 32 activations, quantized: q (signed), dx, sd = dx * the sum
// of q, and the chain starts c_all, c_lo, c_hi = -128 * the sum of q over
// 0..31, 0..15, 16..31. A row of cols values is cols / 32 of these, so a
// block's data is one cache line.
struct alignas(64) XBlock {
  int8_t q[kQK];
  float dx, sd;
  int32_t c_all, c_lo, c_hi;
};
static_assert(sizeof(XBlock) == 64);
int64_t Q8ARowBytesAvx512(int64_t cols) { return cols / kQK * static_cast<int64_t>(sizeof(XBlock)); }

// Rounds as QuantizeBlockQ8A (and the portable oracle): d = max|x| / 127,
// q = x * (1 / d) rounded half to even (the default MXCSR mode of the
// conversion).
void QuantizeQ8AAvx512(const float* x, int64_t n, void* out_bytes) {
  auto* out = static_cast<XBlock*>(out_bytes);
  for (int64_t k = 0; k < n / kQK; ++k) {
    const __m512 v0 = _mm512_loadu_ps(x + k * kQK), v1 = _mm512_loadu_ps(x + k * kQK + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    const float d = amax / 127.0f;
    const __m512 id = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
    const __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, id));
    const __m512i i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, id));
    XBlock& o = out[k];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o.q), _mm512_cvtsepi32_epi8(i0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o.q + 16), _mm512_cvtsepi32_epi8(i1));
    const int32_t lo = _mm512_reduce_add_epi32(i0), hi = _mm512_reduce_add_epi32(i1);
    o.dx = d;
    o.sd = d * static_cast<float>(lo + hi);
    o.c_all = -128 * (lo + hi);
    o.c_lo = -128 * lo;
    o.c_hi = -128 * hi;
  }
}

// Writes the panel of rows[0..nr) (nr <= 16; missing rows are zero, scale
// 0) into out (PanelBytesAvx512 bytes).
void PackQ8APanelAvx512(TensorType type, const uint8_t* const* rows, int nr, int64_t cols, uint8_t* out) {
  const int64_t nb = cols / kQK;
  const int64_t block_bytes = PanelBlockBytes(type);
  const QKind kind = KindOf(type);
  std::memset(out, 0, static_cast<size_t>(nb * block_bytes));
  for (int64_t k = 0; k < nb; ++k) std::memset(out + k * block_bytes, 128, 8 * 64);
  BlockReader reader;
  for (int j = 0; j < nr; ++j) {
    reader.Reset(type, rows[j]);
    for (int64_t k = 0; k < nb; ++k) {
      uint8_t* blk = out + k * block_bytes;
      float scale0, scale1, min;
      alignas(32) uint8_t u[kQK];
      StoreU256(u, _mm256_xor_si256(reader.Block(k, &scale0, &scale1, &min),
                                    _mm256_set1_epi8(static_cast<char>(0x80))));
      for (int s = 0; s < 8; ++s) std::memcpy(blk + 64 * s + 4 * j, u + 4 * s, 4);
      auto* scales = reinterpret_cast<float*>(blk + 8 * 64);
      scales[j] = scale0;
      if (kind == QKind::kSplit) scales[kPanelRows + j] = scale1;
      if (kind == QKind::kMin) scales[kPanelRows + j] = min;
    }
  }
}

inline __m512i Bcast4(const int8_t* q) {
  int32_t v;
  std::memcpy(&v, q, 4);
  return _mm512_set1_epi32(v);
}

// NP panels (rows r = 16 p + lane) x NB batch rows (XBlock rows at xq + b *
// xs) over all nb blocks; writes y[b * y_stride + 16 p + lane] for lanes
// under `last` in the last panel. Every loop over p, s and b is unrolled so
// that the chains and accumulators stay in registers. Block k also
// prefetches the pf_per_k cache lines at pf + 64 * pf_per_k * k (none when
// pf is null).
//
// The slices s of a block are the outer loop: slice s of each panel is
// loaded once and used by all NB batch rows, so the registers hold 2 NP NB
// chains and accumulators rather than all 8 NP weight vectors, and NB can be
// 7 (measured 15-19% faster than 4 rows against all 8 slices held). Each
// (panel, batch row) is one chain of dependent vpdpbusd per half block (Q6_K)
// or block; the 2 NP NB chains in flight hide the instruction's latency.
template <int NP, int NB, QKind kKind>
inline void PanelKernel(const uint8_t* w, int64_t panel_bytes, int64_t nb, const uint8_t* xq, int64_t xs,
                        float* y, int64_t y_stride, __mmask16 last, const uint8_t* pf = nullptr,
                        int64_t pf_per_k = 0) {
  constexpr int64_t kBlockBytes = kKind == QKind::kPlain ? 9 * 64 : 10 * 64;
  const XBlock* x[NB];
#pragma GCC unroll 8
  for (int b = 0; b < NB; ++b) x[b] = reinterpret_cast<const XBlock*>(xq + b * xs);
  __m512 acc[NP][NB];
#pragma GCC unroll 2
  for (int p = 0; p < NP; ++p)
#pragma GCC unroll 8
    for (int b = 0; b < NB; ++b) acc[p][b] = _mm512_setzero_ps();
  for (int64_t k = 0; k < nb; ++k) {
    if (pf != nullptr)
      for (int64_t i = 0; i < pf_per_k; ++i)
        _mm_prefetch(reinterpret_cast<const char*>(pf + 64 * (pf_per_k * k + i)), _MM_HINT_T0);
    const uint8_t* blk[NP];
#pragma GCC unroll 2
    for (int p = 0; p < NP; ++p) blk[p] = w + p * panel_bytes + k * kBlockBytes;
    __m512i chain[NP][NB];
    // Starts every chain at the 128 offset's correction (offset: the
    // XBlock field), runs slices s0..s1 - 1 into it, then adds the chain
    // times (its scale vector, at byte offset `scale` of the block) * dx.
    auto run = [&](int s0, int s1, int32_t XBlock::*offset, int scale) {
#pragma GCC unroll 8
      for (int b = 0; b < NB; ++b)
#pragma GCC unroll 2
        for (int p = 0; p < NP; ++p) chain[p][b] = _mm512_set1_epi32(x[b][k].*offset);
#pragma GCC unroll 8
      for (int s = s0; s < s1; ++s) {
        __m512i wv[NP];
#pragma GCC unroll 2
        for (int p = 0; p < NP; ++p) wv[p] = _mm512_load_si512(blk[p] + 64 * s);
#pragma GCC unroll 8
        for (int b = 0; b < NB; ++b) {
          const __m512i xv = Bcast4(x[b][k].q + 4 * s);
#pragma GCC unroll 2
          for (int p = 0; p < NP; ++p) chain[p][b] = _mm512_dpbusd_epi32(chain[p][b], wv[p], xv);
        }
      }
#pragma GCC unroll 8
      for (int b = 0; b < NB; ++b)
#pragma GCC unroll 2
        for (int p = 0; p < NP; ++p)
          acc[p][b] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(chain[p][b]),
                                      _mm512_mul_ps(_mm512_load_ps(blk[p] + scale), _mm512_set1_ps(x[b][k].dx)),
                                      acc[p][b]);
    };
    if constexpr (kKind == QKind::kSplit) {
      run(0, 4, &XBlock::c_lo, 8 * 64);
      run(4, 8, &XBlock::c_hi, 9 * 64);
    } else {
      run(0, 8, &XBlock::c_all, 8 * 64);
    }
    if constexpr (kKind == QKind::kMin) {
#pragma GCC unroll 8
      for (int b = 0; b < NB; ++b)
#pragma GCC unroll 2
        for (int p = 0; p < NP; ++p)
          acc[p][b] = _mm512_fnmadd_ps(_mm512_load_ps(blk[p] + 9 * 64), _mm512_set1_ps(x[b][k].sd), acc[p][b]);
    }
  }
#pragma GCC unroll 8
  for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 2
    for (int p = 0; p + 1 < NP; ++p) _mm512_storeu_ps(y + b * y_stride + kPanelRows * p, acc[p][b]);
    _mm512_mask_storeu_ps(y + b * y_stride + kPanelRows * (NP - 1), last, acc[NP - 1][b]);
  }
}

// Batch rows in groups of kGroupRows, then the 1 to 6 left in one call, so
// that each block of the panels is loaded once for them (a batch of 32 runs
// 4 x 7 + 4, not 4 x 7 + 1 + 1 + 1 + 1).
//
// With two or more groups, the groups also fetch the next tile's panels
// (tiles are consecutive in a packed matrix) into cache, each a share spread
// over its blocks: the next tile's first pass then finds its weights in
// cache instead of waiting on memory at every block.
template <int NP, QKind kKind, int NB = 1>
void RunRest(const uint8_t* w, int64_t panel_bytes, int64_t nb, const uint8_t* xq, int64_t xs, int64_t rest,
             float* y, int64_t y_stride, __mmask16 last) {
  if constexpr (NB < kGroupRows) {
    if (rest == NB) return PanelKernel<NP, NB, kKind>(w, panel_bytes, nb, xq, xs, y, y_stride, last);
    RunRest<NP, kKind, NB + 1>(w, panel_bytes, nb, xq, xs, rest, y, y_stride, last);
  }
}

template <int NP, QKind kKind>
void RunPanels(const uint8_t* w, int64_t panel_bytes, int64_t nb, const uint8_t* xq, int64_t xs,
               int64_t batch, float* y, int64_t y_stride, __mmask16 last) {
  const int64_t groups = batch / kGroupRows;
  const uint8_t* next = w + NP * panel_bytes;
  const int64_t per_group = PrefetchShare(NP * panel_bytes, groups);
  const int64_t per_k = (per_group + nb - 1) / nb;
  int64_t b = 0;
  for (int64_t g = 0; b + kGroupRows <= batch; b += kGroupRows, ++g)
    PanelKernel<NP, kGroupRows, kKind>(w, panel_bytes, nb, xq + b * xs, xs, y + b * y_stride, y_stride, last,
                                       per_k > 0 ? next + 64 * per_group * g : nullptr, per_k);
  RunRest<NP, kKind>(w, panel_bytes, nb, xq + b * xs, xs, batch - b, y + b * y_stride, y_stride, last);
}

template <QKind kKind>
void RunTileQ8A(const uint8_t* w, int64_t panel_bytes, int nr, int64_t nb, const uint8_t* xq, int64_t xs,
                int64_t batch, float* y, int64_t y_stride) {
  const int tail = nr % kPanelRows;
  const auto last = static_cast<__mmask16>(tail == 0 ? 0xFFFF : (1u << tail) - 1);
  if (nr > kPanelRows)
    RunPanels<2, kKind>(w, panel_bytes, nb, xq, xs, batch, y, y_stride, last);
  else
    RunPanels<1, kKind>(w, panel_bytes, nb, xq, xs, batch, y, y_stride, last);
}

// nr (<= kTileRows) rows in consecutive panels at w against every batch row.
void DotTileQ8APackedAvx512(TensorType type, const uint8_t* w, int nr, int64_t cols, const void* xq_bytes,
                            int64_t batch, float* y, int64_t y_stride) {
  const int64_t nb = cols / kQK;
  const int64_t panel_bytes = PanelBytesAvx512(type, cols);
  const auto* xq = static_cast<const uint8_t*>(xq_bytes);
  const int64_t xs = Q8ARowBytesAvx512(cols);
  switch (KindOf(type)) {
    case QKind::kPlain: return RunTileQ8A<QKind::kPlain>(w, panel_bytes, nr, nb, xq, xs, batch, y, y_stride);
    case QKind::kMin: return RunTileQ8A<QKind::kMin>(w, panel_bytes, nr, nb, xq, xs, batch, y, y_stride);
    case QKind::kSplit: return RunTileQ8A<QKind::kSplit>(w, panel_bytes, nr, nb, xq, xs, batch, y, y_stride);
  }
}

// Packs the tile's panels once (into per-thread scratch), then runs them.
void DotTileQ8AAvx512(TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                      const void* xq_bytes, int64_t batch, float* y, int64_t y_stride) {
  struct alignas(64) Line {
    uint8_t bytes[64];
  };
  // Packed panels of one tile; grows once per thread, never shrinks.
  thread_local std::vector<Line> packed;
  const int64_t panel_bytes = PanelBytesAvx512(type, cols);
  const int panels = (nr + kPanelRows - 1) / kPanelRows;
  const size_t need = static_cast<size_t>(panels * panel_bytes / 64);
  if (packed.size() < need) packed.resize(need);
  auto* wp = reinterpret_cast<uint8_t*>(packed.data());
  for (int p = 0; p < panels; ++p)
    PackQ8APanelAvx512(type, w + p * kPanelRows, std::min(kPanelRows, nr - p * kPanelRows), cols,
                       wp + p * panel_bytes);
  DotTileQ8APackedAvx512(type, wp, nr, cols, xq_bytes, batch, y, y_stride);
}

}  // namespace

const KernelTable& Avx512Kernels() {
  static const KernelTable table = {DequantizeRowAvx512, DotTileAvx512,      DotTileRawAvx512,
                                    Q8ARowBytesAvx512,   QuantizeQ8AAvx512,  DotTileQ8AAvx512,
                                    kTileRows,           kPanelRows,         PanelBytesAvx512,
                                    PackQ8APanelAvx512,  DotTileQ8APackedAvx512,
                                    kFPanelRows,         kFTileRows,         HasFPanelsAvx512,
                                    FPanelBytesAvx512,   PackFPanelAvx512,   DotTileFPanelsAvx512};
  return table;
}

}  // namespace steer::model::internal
