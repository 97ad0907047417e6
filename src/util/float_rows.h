// The float row loops behind fast_exp.h (util-internal header): a portable
// set, which GCC's target clones vectorize and which serves as the oracle,
// and an AVX-512 set written with intrinsics. The two give bit-identical
// results: the same float operations in the same order (no FMA contraction),
// and sums over the same 32 partial sums.
//
// Sum order, for every row of n floats: s[k] (double, k < 32) accumulates
// x[32 j + k] for j = 0, 1, ... in order; then s[k] += s[k + w] for w = 16,
// 8, 4, 2, 1; the sum is s[0].
#pragma once

#include <cstddef>
#include <cstdint>

namespace steer::internal {

// Constants of the single-precision exp (fast_exp.cc, ExpSingle): n =
// round(x / ln 2), r = x - n ln 2 in two parts, exp(r) by Taylor to degree 7.
namespace exp_f {
constexpr float kLog2e = 1.44269504f;
constexpr float kLn2Hi = 0.693359375f;     // ln 2 to 9 bits: n·kLn2Hi is exact
constexpr float kLn2Lo = -2.12194440e-4f;  // ln 2 - kLn2Hi
constexpr float kRound = 12582912.0f;      // 1.5 · 2^23: adding it rounds to an integer
constexpr uint32_t kRoundBits = 0x4B400000u;
constexpr float kClampLo = -104.0f, kClampHi = 88.8f;  // arguments are clamped to these
constexpr float kZeroBelow = -104.0f, kInfAbove = 88.72f;
// Taylor coefficients 1/7!, 1/6!, ..., 1/1!, 1/0!, applied by Horner's rule.
constexpr float kPoly[8] = {1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f,
                            1.0f / 6.0f,    0.5f,          1.0f,          1.0f};
}  // namespace exp_f

struct FloatRowKernels {
  float (*max)(const float* x, size_t n);   // n >= 1; NaN entries skipped unless x[0] is NaN
  double (*sum)(const float* x, size_t n);  // in the order above
  void (*exp)(const float* x, float* out, size_t n);  // out may equal x
  // out[i] = exp(x[i] - shift) (the difference rounded to float); returns
  // sum(out) in the order above. out may equal x. copy, unless null,
  // receives x[i] too, in the same pass (copy != x, copy != out).
  double (*exp_shifted)(const float* x, float shift, float* out, float* copy, size_t n);
  // The sum of x[i] over the i whose bit i is set in words (bit i of
  // words[i / 64]), in the order above: the same bits as `sum` over x with
  // the clear entries replaced by 0.
  double (*masked_sum)(const float* x, const uint64_t* words, size_t n);
};

const FloatRowKernels& PortableFloatRows();
// Null unless this build targets x86-64 and the CPU has AVX-512F.
const FloatRowKernels* Avx512FloatRows();

}  // namespace steer::internal
