#include "steer/model/ops.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "steer/util/fast_exp.h"

namespace steer::model {

// Per-row work at every layer: at batch 32 these loops ran scalar in ~6% of
// a decode step. Each is compiled for AVX-512, AVX2 and baseline x86-64 and
// picked at load time; all three do the same float operations in the same
// order (no FMA contraction in this file), so they give the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define STEER_OPS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define STEER_OPS_CLONES
#endif

// Eight partial sums of squares in a fixed order (a single running double
// sum is a dependency chain the compiler may not reorder).
STEER_OPS_CLONES void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) s[k] += static_cast<double>(x[i + k] * x[i + k]);
  for (; i < n; ++i) s[0] += static_cast<double>(x[i] * x[i]);
  const double sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC ivdep  // out may alias x, element by element
#endif
  for (int64_t j = 0; j < n; ++j) out[j] = (x[j] * scale) * w[j];
}

void RopeAngles(Pos pos, int32_t rope_dim, float base, const float* freq_factors, float* cos_sin) {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(rope_dim));
  float theta = static_cast<float>(pos);
  for (int32_t i = 0; i < rope_dim / 2; ++i) {
    const float ff = freq_factors != nullptr ? freq_factors[i] : 1.0f;
    const float t = theta / ff;
    cos_sin[2 * i] = std::cos(t);
    cos_sin[2 * i + 1] = std::sin(t);
    theta *= theta_scale;
  }
}

STEER_OPS_CLONES void ApplyRope(float* x, int32_t n_heads, int32_t head_dim, int32_t rope_dim, RopeStyle style,
                                const float* cos_sin) {
  const int32_t half = rope_dim / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    if (style == RopeStyle::kNorm) {  // adjacent pairs (2i, 2i + 1)
      for (int32_t i = 0; i < half; ++i) {
        const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
        const float x0 = v[2 * i], x1 = v[2 * i + 1];
        v[2 * i] = x0 * c - x1 * s;
        v[2 * i + 1] = x0 * s + x1 * c;
      }
    } else {  // halves (i, i + half)
      for (int32_t i = 0; i < half; ++i) {
        const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
        const float x0 = v[i], x1 = v[i + half];
        v[i] = x0 * c - x1 * s;
        v[i + half] = x0 * s + x1 * c;
      }
    }
  }
}

// exp(-g) comes from the vectorized single-precision exp, 1,024 values at a
// time.
STEER_OPS_CLONES void SwiGlu(float* gate, const float* up, int64_t n) {
  constexpr int64_t kChunk = 1024;
  float e[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = std::min(kChunk, n - i0);
    for (int64_t j = 0; j < m; ++j) e[j] = -gate[i0 + j];
    ExpFloat(std::span<const float>(e, static_cast<size_t>(m)), std::span<float>(e, static_cast<size_t>(m)));
    for (int64_t j = 0; j < m; ++j) gate[i0 + j] = gate[i0 + j] / (1.0f + e[j]) * up[i0 + j];
  }
}

// Three passes (max; shift, exp and sum; scale), the same bits as shifting,
// exponentiating and summing one after another.
void Softmax(float* x, int64_t n) {
  const std::span<float> row(x, static_cast<size_t>(n));
  const float max = MaxOf(row);
  const double sum = ExpShiftedFloat(row, max, row);
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace steer::model
