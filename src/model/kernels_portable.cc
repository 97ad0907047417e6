// Portable scalar kernels: the oracle every SIMD path is tested against.
// Dequantization follows ggml's reference (dequantize_row_*) operation for
// operation, so it is bit-identical to it.
#include <algorithm>
#include <cmath>

#include "model/kernels_internal.h"
#include "steer/util/check.h"

namespace steer::model::internal {
namespace {

using gguf::TensorType;

void DequantQ8_0(const BlockQ8_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Fp16ToFp32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[i * kQK + j] = x[i].qs[j] * d;
  }
}

void DequantQ4_0(const BlockQ4_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Fp16ToFp32(x[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int x0 = (x[i].qs[j] & 0x0F) - 8;
      const int x1 = (x[i].qs[j] >> 4) - 8;
      y[i * kQK + j] = x0 * d;
      y[i * kQK + j + kQK / 2] = x1 * d;
    }
  }
}

void DequantQ4_K(const BlockQ4_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* q = x[i].qs;
    const float d = Fp16ToFp32(x[i].d);
    const float min = Fp16ToFp32(x[i].dmin);
    int is = 0;
    uint8_t sc, m;
    for (int j = 0; j < kQKK; j += 64) {
      ScaleMinK4(is + 0, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      ScaleMinK4(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
      q += 32;
      is += 2;
    }
  }
}

void DequantQ5_K(const BlockQ5_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    const float d = Fp16ToFp32(x[i].d);
    const float min = Fp16ToFp32(x[i].dmin);
    int is = 0;
    uint8_t sc, m;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < kQKK; j += 64) {
      ScaleMinK4(is + 0, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      ScaleMinK4(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      ql += 32;
      is += 2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}

void DequantQ6_K(const BlockQ6_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Fp16ToFp32(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    for (int n = 0; n < kQKK; n += 128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = static_cast<int8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = static_cast<int8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = static_cast<int8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = static_cast<int8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = d * sc[is + 0] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

void DequantizeRowPortable(TensorType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::kF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = Fp16ToFp32(h[i]);
      return;
    }
    case TensorType::kBF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToFp32(h[i]);
      return;
    }
    case TensorType::kQ8_0:
      return DequantQ8_0(static_cast<const BlockQ8_0*>(src), dst, n / kQK);
    case TensorType::kQ4_0:
      return DequantQ4_0(static_cast<const BlockQ4_0*>(src), dst, n / kQK);
    case TensorType::kQ4_K:
      return DequantQ4_K(static_cast<const BlockQ4_K*>(src), dst, n / kQKK);
    case TensorType::kQ5_K:
      return DequantQ5_K(static_cast<const BlockQ5_K*>(src), dst, n / kQKK);
    case TensorType::kQ6_K:
      return DequantQ6_K(static_cast<const BlockQ6_K*>(src), dst, n / kQKK);
    default:
      STEER_CHECK_MSG(false, "unsupported weight type");
  }
}

// Plain left-to-right float sums.
void DotTilePortable(const float* const* w, int nr, int64_t cols, const float* x,
                     int64_t batch, float* y, int64_t y_stride) {
  for (int r = 0; r < nr; ++r) {
    for (int64_t b = 0; b < batch; ++b) {
      const float* xb = x + b * cols;
      float sum = 0.0f;
      for (int64_t i = 0; i < cols; ++i) sum += w[r][i] * xb[i];
      y[b * y_stride + r] = sum;
    }
  }
}

void QuantizeQ8APortable(const float* x, int64_t n, BlockQ8A* out) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* xb = x + i * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[i].d = d;
    // nearbyint rounds half to even, as the SIMD paths' round instruction.
    for (int j = 0; j < kQK; ++j) out[i].qs[j] = static_cast<int8_t>(std::nearbyint(xb[j] * id));
  }
}

// The 32 signed weight quants of block `blk` of a Q8_0 / Q4_0 row, and its scale.
float WeightQuants(TensorType type, const uint8_t* row, int64_t blk, int8_t* q) {
  if (type == TensorType::kQ8_0) {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + blk;
    std::memcpy(q, b->qs, kQK);
    return Fp16ToFp32(b->d);
  }
  STEER_CHECK(type == TensorType::kQ4_0);
  const auto* b = reinterpret_cast<const BlockQ4_0*>(row) + blk;
  for (int j = 0; j < kQK / 2; ++j) {
    q[j] = static_cast<int8_t>((b->qs[j] & 0xF) - 8);
    q[j + kQK / 2] = static_cast<int8_t>((b->qs[j] >> 4) - 8);
  }
  return Fp16ToFp32(b->d);
}

// Per block: exact integer dot, then sum += (dw * dx) * idot.
void DotTileQ8APortable(TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                        const BlockQ8A* xq, int64_t batch, float* y, int64_t y_stride) {
  const int64_t nb = cols / kQK;
  int8_t q[kQK];
  for (int r = 0; r < nr; ++r) {
    for (int64_t b = 0; b < batch; ++b) {
      const BlockQ8A* xb = xq + b * nb;
      float sum = 0.0f;
      for (int64_t i = 0; i < nb; ++i) {
        const float dw = WeightQuants(type, w[r], i, q);
        int32_t idot = 0;
        for (int j = 0; j < kQK; ++j) idot += q[j] * xb[i].qs[j];
        sum += (dw * xb[i].d) * static_cast<float>(idot);
      }
      y[b * y_stride + r] = sum;
    }
  }
}

}  // namespace

const KernelTable& PortableKernels() {
  static const KernelTable table = {DequantizeRowPortable, DotTilePortable, QuantizeQ8APortable,
                                    DotTileQ8APortable};
  return table;
}

}  // namespace steer::model::internal
