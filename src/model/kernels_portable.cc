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

void QuantizeQ8APortable(const float* x, int64_t n, void* out_bytes) {
  auto* out = static_cast<BlockQ8A*>(out_bytes);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* xb = x + i * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int32_t sum = 0;
    // nearbyint rounds half to even, as the SIMD paths' round instruction.
    for (int j = 0; j < kQK; ++j) {
      out[i].qs[j] = static_cast<int8_t>(std::nearbyint(xb[j] * id));
      sum += out[i].qs[j];
    }
    out[i].d = d;
    out[i].sd = d * static_cast<float>(sum);
  }
}

// Per block: exact integer dots of each half, then
// sum += (scale0 * dx) * lo + (scale1 * dx) * hi - min * sd.
void DotTileQ8APortable(TensorType type, const uint8_t* const* w, int nr, int64_t cols,
                        const void* xq_bytes, int64_t batch, float* y, int64_t y_stride) {
  const int64_t nb = cols / kQK;
  WeightBlock32 wb;
  for (int r = 0; r < nr; ++r) {
    for (int64_t b = 0; b < batch; ++b) {
      const auto* xb = reinterpret_cast<const BlockQ8A*>(static_cast<const uint8_t*>(xq_bytes) +
                                                        b * BlockQ8ARowBytes(cols));
      float sum = 0.0f;
      for (int64_t i = 0; i < nb; ++i) {
        DecodeWeightBlock32(type, w[r], i, &wb);
        int32_t lo = 0, hi = 0;
        for (int j = 0; j < kQK / 2; ++j) lo += wb.q[j] * xb[i].qs[j];
        for (int j = kQK / 2; j < kQK; ++j) hi += wb.q[j] * xb[i].qs[j];
        sum += (wb.scale[0] * xb[i].d) * static_cast<float>(lo);
        sum += (wb.scale[1] * xb[i].d) * static_cast<float>(hi);
        sum -= wb.min * xb[i].sd;
      }
      y[b * y_stride + r] = sum;
    }
  }
}

}  // namespace

void DecodeWeightBlock32(TensorType type, const uint8_t* row, int64_t k, WeightBlock32* out) {
  out->min = 0.0f;
  switch (type) {
    case TensorType::kQ8_0: {
      const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + k;
      std::memcpy(out->q, b->qs, kQK);
      out->scale[0] = out->scale[1] = Fp16ToFp32(b->d);
      return;
    }
    case TensorType::kQ4_0: {
      const auto* b = reinterpret_cast<const BlockQ4_0*>(row) + k;
      for (int j = 0; j < kQK / 2; ++j) {
        out->q[j] = static_cast<int8_t>((b->qs[j] & 0xF) - 8);
        out->q[j + kQK / 2] = static_cast<int8_t>((b->qs[j] >> 4) - 8);
      }
      out->scale[0] = out->scale[1] = Fp16ToFp32(b->d);
      return;
    }
    case TensorType::kQ4_K:
    case TensorType::kQ5_K: {
      // Sub-block j of super-block k / 8: low nibbles of qs[32 (j / 2) ..] for
      // even j, high nibbles for odd j; Q5_K's fifth bit is bit j of qh[l].
      const int j = static_cast<int>(k % 8);
      const uint8_t *scales, *qs, *qh = nullptr;
      uint16_t d, dmin;
      if (type == TensorType::kQ4_K) {
        const auto* b = reinterpret_cast<const BlockQ4_K*>(row) + k / 8;
        scales = b->scales, qs = b->qs, d = b->d, dmin = b->dmin;
      } else {
        const auto* b = reinterpret_cast<const BlockQ5_K*>(row) + k / 8;
        scales = b->scales, qs = b->qs, qh = b->qh, d = b->d, dmin = b->dmin;
      }
      const uint8_t* q = qs + 32 * (j / 2);
      for (int l = 0; l < kQK; ++l) {
        int v = j % 2 == 0 ? (q[l] & 0xF) : (q[l] >> 4);
        if (qh != nullptr && (qh[l] >> j & 1)) v += 16;
        out->q[l] = static_cast<int8_t>(v);
      }
      uint8_t sc, m;
      ScaleMinK4(j, scales, &sc, &m);
      out->scale[0] = out->scale[1] = Fp16ToFp32(d) * sc;
      out->min = Fp16ToFp32(dmin) * m;
      return;
    }
    case TensorType::kQ6_K: {
      // Block j of super-block k / 8 is values 32 j .. 32 j + 31: half n = j / 4,
      // quarter m = j % 4 of it (see DequantQ6_K).
      const auto* b = reinterpret_cast<const BlockQ6_K*>(row) + k / 8;
      const int j = static_cast<int>(k % 8), n = j / 4, m = j % 4;
      const uint8_t* ql = b->ql + 64 * n + (m % 2 == 1 ? 32 : 0);
      const uint8_t* qh = b->qh + 32 * n;
      for (int l = 0; l < kQK; ++l) {
        const int low = m < 2 ? (ql[l] & 0xF) : (ql[l] >> 4);
        const int high = (qh[l] >> (2 * m)) & 3;
        out->q[l] = static_cast<int8_t>((low | high << 4) - 32);
      }
      const float d = Fp16ToFp32(b->d);
      out->scale[0] = d * b->scales[8 * n + 2 * m];
      out->scale[1] = d * b->scales[8 * n + 2 * m + 1];
      return;
    }
    default:
      STEER_CHECK_MSG(false, "no 8-bit-activation kernel for this weight type");
  }
}

const KernelTable& PortableKernels() {
  static const KernelTable table = {DequantizeRowPortable, DotTilePortable, nullptr, BlockQ8ARowBytes,
                                    QuantizeQ8APortable, DotTileQ8APortable, 0, 0, nullptr, nullptr, nullptr,
                                    0, 0, nullptr, nullptr, nullptr, nullptr};
  return table;
}

}  // namespace steer::model::internal
