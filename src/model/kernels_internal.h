// Internals of the weight kernels shared by the per-ISA translation units:
// ggml block layouts, scalar conversions, and the table of entry points
// each ISA provides. kernels.cc dispatches over these tables.
//
// Every kernel file is compiled with -ffp-contract=off: dequantization must
// round exactly like ggml's (a multiply, then a subtract), so the compiler
// may not fuse them into an FMA.
#pragma once

#include <cstdint>
#include <cstring>

#include "steer/gguf/types.h"

namespace steer::model::internal {

// ggml block layouts (sizes are checked against gguf::GetTensorTypeInfo in
// kernels.cc). Scales are raw IEEE half bits.
constexpr int kQK = 32;    // values per Q8_0 / Q4_0 block
constexpr int kQKK = 256;  // values per K-quant super-block

struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];  // value i = qs[i] * d
};
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];  // value i (< 16) = ((qs[i] & 15) - 8) * d; i + 16 uses qs[i] >> 4
};
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];   // 8 sub-blocks of 32: 6-bit scale and 6-bit min each
  uint8_t qs[kQKK / 2]; // per 64 values: 32 bytes, low nibbles first, then high
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];  // bit 2j / 2j+1 of qh[l]: fifth bit of value 64j+l / 64j+32+l
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];  // low 4 bits
  uint8_t qh[kQKK / 4];  // high 2 bits
  int8_t scales[kQKK / 16];  // one per 16 values
  uint16_t d;
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 &&
              sizeof(BlockQ6_K) == 210);

// Exact IEEE half -> single conversion (subnormals, inf and NaN included).
inline float Fp16ToFp32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalize the mantissa
      uint32_t e = 113;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --e;
      }
      bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// IEEE single -> half, rounded to nearest even (as F16C's vcvtps2ph with
// round-to-nearest): overflow to inf, subnormal halves, NaN kept quiet.
inline uint16_t Fp32ToFp16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) return sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u);  // NaN, inf
  if (x >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to inf
  if (x < 0x38800000u) {                        // below 2^-14: a subnormal half or 0
    if (x < 0x33000000u) return sign;           // below 2^-25 (2^-25 itself ties to 0)
    const uint32_t e = x >> 23;
    const uint32_t m = (x & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // in [14, 24]: m * 2^(e - 150) in units of 2^-24
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return sign | static_cast<uint16_t>(q);
  }
  uint32_t h = (x >> 13) - ((127u - 15u) << 10);
  const uint32_t rem = x & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry moves into the exponent
  return sign | static_cast<uint16_t>(h);
}

inline float Bf16ToFp32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// The 6-bit scale and min of sub-block j (< 8) of a Q4_K / Q5_K block.
inline void ScaleMinK4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Activations quantized to 8 bits in blocks of 32 (llama.cpp's Q8_0 but with
// an F32 scale): x[i] ~= qs[i] * d, d = max|x| / 127, qs = round(x / d);
// sd = d * (sum of qs), for the min term of Q4_K / Q5_K.
struct BlockQ8A {
  float d;
  float sd;
  int8_t qs[kQK];
};

// How a weight type's blocks of 32 enter the 8-bit-activation products:
// value i = scale[i / 16] * q[i] - min, q signed 8-bit.
enum class QKind {
  kPlain,  // Q8_0, Q4_0: one scale, no min
  kMin,    // Q4_K, Q5_K: one scale and a min per 32
  kSplit,  // Q6_K: a scale per 16, no min
};
inline QKind KindOf(gguf::TensorType type) {
  switch (type) {
    case gguf::TensorType::kQ4_K:
    case gguf::TensorType::kQ5_K: return QKind::kMin;
    case gguf::TensorType::kQ6_K: return QKind::kSplit;
    default: return QKind::kPlain;
  }
}

// One block of 32 weights decoded for the 8-bit-activation kernels. scale
// and min are the float products ggml's dequantization forms, so each real
// value scale * q - min differs from the dequantized float only by that
// float's own rounding.
struct WeightBlock32 {
  int8_t q[kQK];
  float scale[2];  // for values 0..15 and 16..31
  float min;
};
// Block k (of 32 values) of a Q8_0 / Q4_0 / Q4_K / Q5_K / Q6_K row; scalar.
void DecodeWeightBlock32(gguf::TensorType type, const uint8_t* row, int64_t k, WeightBlock32* out);

// Bytes of `nb` BlockQ8A, rounded up to a multiple of 64.
inline int64_t BlockQ8ARowBytes(int64_t cols) {
  const int64_t bytes = cols / kQK * static_cast<int64_t>(sizeof(BlockQ8A));
  return (bytes + 63) / 64 * 64;
}

// The most weight rows passed to one dot_tile / dot_tile_q8a call.
constexpr int kMaxTileRows = 64;

// Entry points of one ISA. All functions accept every supported type.
struct KernelTable {
  // dst[0..n) = the dequantized row at src; n is a multiple of the block size.
  void (*dequantize_row)(gguf::TensorType type, const void* src, float* dst, int64_t n);
  // y[b * y_stride + r] = dot(w[r][0..cols), x[b * cols ..]) for r < nr
  // (<= kMaxTileRows), b < batch. Each dot is accumulated in an order that depends only on
  // cols, never on nr, batch or the position in the tile, so a matrix
  // product gives bit-identical results however it is tiled.
  void (*dot_tile)(const float* const* w, int nr, int64_t cols, const float* x,
                   int64_t batch, float* y, int64_t y_stride);
  // As dot_tile on raw rows of `type`, converting in registers; returns
  // false (doing nothing) for types it does not handle. Results are
  // bit-identical to dequantize_row + dot_tile. May be null.
  bool (*dot_tile_raw)(gguf::TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                       const float* x, int64_t batch, float* y, int64_t y_stride);
  // Bytes of one quantized activation row of `cols` values (a multiple of
  // 64, so rows stay cache-line aligned in a 64-byte-aligned buffer).
  int64_t (*q8a_row_bytes)(int64_t cols);
  // Quantizes n values (a multiple of 32) of x into q8a_row_bytes(n) bytes at
  // `out`. The rounding is BlockQ8A's on every ISA; the byte layout is the
  // ISA's own (BlockQ8A array for portable and AVX2).
  void (*quantize_q8a)(const float* x, int64_t n, void* out);
  // As dot_tile, for quantized weight rows w[r] (raw blocks) against
  // quantized activation rows xq + b * q8a_row_bytes(cols). Same order
  // guarantee.
  void (*dot_tile_q8a)(gguf::TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                       const void* xq, int64_t batch, float* y, int64_t y_stride);
  // The most rows passed to one dot_tile_q8a / dot_tile_q8a_packed call
  // (<= kMaxTileRows), or 0 to use the F32 paths' tile size.
  int q8a_tile_rows;
  // Optional pre-packed weight layout (0 / null on ISAs that read raw
  // blocks): rows are packed in panels of q8a_panel_rows (a divisor of
  // q8a_tile_rows). Bytes of one packed panel of `cols` values, a multiple
  // of 64.
  int q8a_panel_rows;
  int64_t (*q8a_panel_bytes)(gguf::TensorType type, int64_t cols);
  // Writes the panel of rows[0..nr) (nr <= q8a_panel_rows, raw rows of
  // `type`) at `out` (64-byte aligned, q8a_panel_bytes(type, cols) bytes).
  void (*pack_q8a_panel)(gguf::TensorType type, const uint8_t* const* rows, int nr, int64_t cols,
                         uint8_t* out);
  // As dot_tile_q8a, for nr (<= q8a_tile_rows) rows packed as consecutive
  // panels at `w`. Bit-identical to dot_tile_q8a on the unpacked rows.
  void (*dot_tile_q8a_packed)(gguf::TensorType type, const uint8_t* w, int nr, int64_t cols,
                              const void* xq, int64_t batch, float* y, int64_t y_stride);
  // Optional F32-activation panel layout (0 / null on ISAs without one) for
  // the types has_fpanels accepts: MatMul then packs rows into panels of
  // fpanel_rows (per tile, or once through PackForMatMul) and runs
  // dot_tile_fpanels on at most fpanel_tile_rows rows (consecutive panels
  // at w, fpanel_bytes apart), with the same order guarantee as dot_tile.
  int fpanel_rows;
  int fpanel_tile_rows;
  bool (*has_fpanels)(gguf::TensorType type);
  int64_t (*fpanel_bytes)(gguf::TensorType type, int64_t cols);
  void (*pack_fpanel)(gguf::TensorType type, const uint8_t* const* rows, int nr, int64_t cols, uint8_t* out);
  void (*dot_tile_fpanels)(gguf::TensorType type, const uint8_t* w, int nr, int64_t cols, const float* x,
                           int64_t batch, float* y, int64_t y_stride);
};

const KernelTable& PortableKernels();
const KernelTable& Avx2Kernels();
const KernelTable& Avx512Kernels();

}  // namespace steer::model::internal
