// AVX-512 float row loops (float_rows.h); this file alone in util is compiled
// with -mavx512f, and Avx512FloatRows hands them out only on CPUs with it.
#include "util/float_rows.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

namespace steer::internal {
namespace {

// ExpSingle's first half: x = n ln 2 + r, and exp(r) by the polynomial.
// *shifted holds x / ln 2 rounded by adding kRound: its bits minus
// kRoundBits are n.
inline __m512 ExpOfRemainder(__m512 x, __m512* shifted) {
  using namespace exp_f;
  *shifted = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)), _mm512_set1_ps(kRound));
  const __m512 n = _mm512_sub_ps(*shifted, _mm512_set1_ps(kRound));
  const __m512 r = _mm512_sub_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(kLn2Hi))),
                                 _mm512_mul_ps(n, _mm512_set1_ps(kLn2Lo)));
  __m512 p = _mm512_set1_ps(kPoly[0]);
  for (int i = 1; i < 8; ++i) p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kPoly[i]));
  return p;
}

// ExpSingle on 16 lanes, operation for operation (fast_exp.cc).
inline __m512 Exp16Any(__m512 x) {
  using namespace exp_f;
  // max_ps(a, b) is a > b ? a : b and min_ps(a, b) a < b ? a : b, so NaN
  // (the second operand) passes through both, as in the scalar form.
  const __m512 clamped =
      _mm512_min_ps(_mm512_set1_ps(kClampHi), _mm512_max_ps(_mm512_set1_ps(kClampLo), x));
  __m512 shifted;
  const __m512 p = ExpOfRemainder(clamped, &shifted);
  const __m512i ni = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(static_cast<int>(kRoundBits)));
  const __m512i h = _mm512_srai_epi32(ni, 1);
  const __m512i bias = _mm512_set1_epi32(127);
  const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(h, bias), 23));
  const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(ni, h), bias), 23));
  __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, _mm512_set1_ps(kInfAbove), _CMP_GT_OQ),
                         _mm512_set1_ps(__builtin_inff()));
  return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, _mm512_set1_ps(kZeroBelow), _CMP_LT_OQ),
                            _mm512_setzero_ps());
}

// Exp16Any for lanes in [-86, 88], the same bits with a third fewer
// operations: there the clamps and the edge masks change nothing, and
// exp(r) * 2^n is a normal float, so scaling by 2^n in one multiplication
// rounds as scaling by its two halves does (each product is exact).
inline __m512 Exp16Normal(__m512 x) {
  using namespace exp_f;
  __m512 shifted;
  const __m512 p = ExpOfRemainder(x, &shifted);
  // (shifted's bits - kRoundBits) = n; adding 127 and shifting makes 2^n.
  const __m512i e = _mm512_add_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(127 - static_cast<int>(kRoundBits)));
  return _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(e, 23)));
}

// Takes Exp16Normal when every lane allows it (NaN does not).
inline __m512 Exp16(__m512 x) {
  const __mmask16 in = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-86.0f), _CMP_GE_OQ) &
                       _mm512_cmp_ps_mask(x, _mm512_set1_ps(88.0f), _CMP_LE_OQ);
  return in == 0xFFFF ? Exp16Normal(x) : Exp16Any(x);
}

inline __mmask16 Head(size_t m) { return static_cast<__mmask16>((1u << m) - 1); }  // m < 16

// The 32 partial sums of float_rows.h as four 8-lane accumulators.
struct Sum32 {
  __m512d a[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd()};
  // Adds 32 floats (v0: partials 0-15, v1: 16-31); lanes past the row are 0.
  void Add(__m512 v0, __m512 v1) {
    a[0] = _mm512_add_pd(a[0], _mm512_cvtps_pd(_mm512_castps512_ps256(v0)));
    a[1] = _mm512_add_pd(a[1], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v0), 1))));
    a[2] = _mm512_add_pd(a[2], _mm512_cvtps_pd(_mm512_castps512_ps256(v1)));
    a[3] = _mm512_add_pd(a[3], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v1), 1))));
  }
  double Total() const {
    alignas(64) double s[32];
    for (int i = 0; i < 4; ++i) _mm512_store_pd(s + 8 * i, a[i]);
    for (int w = 16; w >= 1; w /= 2)
      for (int k = 0; k < w; ++k) s[k] += s[k + w];
    return s[0];
  }
};

float Max(const float* x, size_t n) {
  __m512 m0 = _mm512_set1_ps(x[0]), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    m0 = _mm512_max_ps(_mm512_loadu_ps(x + i), m0);  // x > m ? x : m: NaN entries leave m
    m1 = _mm512_max_ps(_mm512_loadu_ps(x + i + 16), m1);
    m2 = _mm512_max_ps(_mm512_loadu_ps(x + i + 32), m2);
    m3 = _mm512_max_ps(_mm512_loadu_ps(x + i + 48), m3);
  }
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : Head(n - i);
    m0 = _mm512_mask_max_ps(m0, k, _mm512_maskz_loadu_ps(k, x + i), m0);
  }
  // Lanes that started at a NaN x[0] stay NaN, and max_ps returns its
  // second operand when either is NaN, so the NaN reaches the result.
  return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

// Runs f(v) -> w on the row 32 floats at a time (masked at the end, lanes
// past the row loaded as 0 and summed as 0), storing w when out is set and
// v when copy is set.
template <class F>
double Stream(const float* x, float* out, float* copy, size_t n, F f) {
  Sum32 sum;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    if (copy != nullptr) _mm512_storeu_ps(copy + i, v0), _mm512_storeu_ps(copy + i + 16, v1);
    const __m512 w0 = f(v0), w1 = f(v1);
    if (out != nullptr) _mm512_storeu_ps(out + i, w0), _mm512_storeu_ps(out + i + 16, w1);
    sum.Add(w0, w1);
  }
  if (i < n) {
    const size_t m = n - i;
    const __mmask16 k0 = m >= 16 ? static_cast<__mmask16>(0xFFFF) : Head(m);
    const __mmask16 k1 = m > 16 ? Head(m - 16) : 0;
    const __m512 v0 = _mm512_maskz_loadu_ps(k0, x + i), v1 = _mm512_maskz_loadu_ps(k1, x + i + 16);
    if (copy != nullptr) _mm512_mask_storeu_ps(copy + i, k0, v0), _mm512_mask_storeu_ps(copy + i + 16, k1, v1);
    const __m512 w0 = _mm512_maskz_mov_ps(k0, f(v0));
    const __m512 w1 = _mm512_maskz_mov_ps(k1, f(v1));
    if (out != nullptr) _mm512_mask_storeu_ps(out + i, k0, w0), _mm512_mask_storeu_ps(out + i + 16, k1, w1);
    sum.Add(w0, w1);
  }
  return sum.Total();
}

double MaskedSum(const float* x, const uint64_t* words, size_t n) {
  Sum32 sum;
  for (size_t i = 0; i < n; i += 32) {
    const uint32_t bits = static_cast<uint32_t>(words[i / 64] >> (i % 64));  // bits of x[i .. i + 32)
    const size_t m = n - i;  // lanes past the row are masked out too
    const uint32_t in_row = m >= 32 ? ~0u : (1u << m) - 1;
    const auto k0 = static_cast<__mmask16>(bits & in_row), k1 = static_cast<__mmask16>((bits & in_row) >> 16);
    sum.Add(_mm512_maskz_loadu_ps(k0, x + i), _mm512_maskz_loadu_ps(k1, x + i + 16));
  }
  return sum.Total();
}

double Sum(const float* x, size_t n) {
  return Stream(x, nullptr, nullptr, n, [](__m512 v) { return v; });
}

void Exp(const float* x, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, Exp16(_mm512_loadu_ps(x + i)));
  if (i < n) _mm512_mask_storeu_ps(out + i, Head(n - i), Exp16(_mm512_maskz_loadu_ps(Head(n - i), x + i)));
}

double ExpShifted(const float* x, float shift, float* out, float* copy, size_t n) {
  const __m512 s = _mm512_set1_ps(shift);
  return Stream(x, out, copy, n, [s](__m512 v) { return Exp16(_mm512_sub_ps(v, s)); });
}

}  // namespace

const FloatRowKernels* Avx512FloatRows() {
  static const FloatRowKernels kernels{Max, Sum, Exp, ExpShifted, MaskedSum};
  return __builtin_cpu_supports("avx512f") ? &kernels : nullptr;
}

}  // namespace steer::internal

#else

namespace steer::internal {
const FloatRowKernels* Avx512FloatRows() { return nullptr; }
}  // namespace steer::internal

#endif
