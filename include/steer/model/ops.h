// The transformer's elementwise building blocks, on F32 vectors. Each follows
// ggml's CPU arithmetic (accumulation width, RoPE angle recurrence) so that
// results agree with llama.cpp to F32 rounding.
#pragma once

#include <cstdint>

#include "steer/model/hparams.h"
#include "steer/util/types.h"

namespace steer::model {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i], i < n. The sum of squares is
// accumulated in double. out may alias x.
void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* out);

// RoPE angles for one position: cos_sin[2*i], cos_sin[2*i+1] = cos, sin of
// pos * base^(-2i/rope_dim) / freq_factors[i], i < rope_dim/2. The power is
// formed by repeated multiplication in float, as ggml does.
void RopeAngles(Pos pos, int32_t rope_dim, float base, const float* freq_factors, float* cos_sin);

// Rotates the first rope_dim values of each of n_heads heads of head_dim
// values at x, in place, with the angles from RopeAngles.
void ApplyRope(float* x, int32_t n_heads, int32_t head_dim, int32_t rope_dim, RopeStyle style,
               const float* cos_sin);

// gate[i] = silu(gate[i]) * up[i], i < n.
void SwiGlu(float* gate, const float* up, int64_t n);

// In-place softmax of x[0..n).
void Softmax(float* x, int64_t n);

}  // namespace steer::model
