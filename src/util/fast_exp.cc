// exp(x) = 2^n · exp(r), n = round(x / ln 2), r = x - n·ln 2 (Cody-Waite, two
// parts), |r| <= ln2 / 2; exp(r) by its Taylor series to degree 12
// (truncation below 2e-16 relative); 2^n built in the exponent bits. Every
// step is branch-free, so the loops vectorize; target_clones compiles them
// for AVX-512, AVX2 and baseline x86-64 and picks one at load time.
#include "steer/util/fast_exp.h"

#include "steer/util/check.h"
#include "util/float_rows.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace steer {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define STEER_EXP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define STEER_EXP_CLONES
#endif

constexpr int kChunk = 256;  // stack scratch for the sum-only forms

inline double Exp(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 0.6931471803691238;     // ln 2 to 33 bits: n·kLn2Hi is exact
  constexpr double kLn2Lo = 1.9082149292705877e-10;  // ln 2 - kLn2Hi
  constexpr double kRound = 6755399441055744.0;      // 1.5 · 2^52: adding it rounds to an integer
  const double clamped = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
  const double shifted = clamped * kLog2e + kRound;
  const double n = shifted - kRound;
  const double r = (clamped - n * kLn2Hi) - n * kLn2Lo;
  double p = 1.0 / 479001600.0;  // 1/12!
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // The low bits of `shifted` hold n (two's complement); n + 1023 is in
  // [1, 2046] for the clamped range, so it is a valid biased exponent.
  uint64_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  const uint64_t scale_bits = (bits + 1023) << 52;
  double scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  const double y = p * scale;
  return x < -708.0 ? 0.0 : y;  // (NaN compares false and stays NaN)
}

// Single precision, the same scheme: |r| <= ln2 / 2, Taylor series to
// degree 7 (truncation below 2e-9 relative). 2^n is applied as two normal
// powers of two, 2^h · 2^(n-h) with h = floor(n / 2), so that n from -150
// to 128 gives subnormal results and exp(88.7) without overflow in between.
// float_rows_avx512.cc's Exp16Any repeats it operation for operation.
inline float ExpSingle(float x) {
  using namespace internal::exp_f;
  const float clamped = x < kClampLo ? kClampLo : (x > kClampHi ? kClampHi : x);
  const float shifted = clamped * kLog2e + kRound;
  const float n = shifted - kRound;
  const float r = (clamped - n * kLn2Hi) - n * kLn2Lo;
  float p = kPoly[0];
  for (int i = 1; i < 8; ++i) p = p * r + kPoly[i];
  uint32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  const auto ni = static_cast<int32_t>(bits - kRoundBits);  // n, exactly (|n| < 2^22)
  const int32_t h = ni >> 1;                                // floor(n / 2)
  const uint32_t s1_bits = static_cast<uint32_t>(h + 127) << 23;
  const uint32_t s2_bits = static_cast<uint32_t>(ni - h + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &s1_bits, sizeof s1);
  std::memcpy(&s2, &s2_bits, sizeof s2);
  const float y = p * s1 * s2;
  return x < kZeroBelow ? 0.0f : (x > kInfAbove ? __builtin_inff() : y);
}

// out may equal x (each out[i] depends on x[i] alone): ivdep spares the
// vectorized loop a run-time overlap check, which in-place calls fail.
STEER_EXP_CLONES void ExpRowSingle(const float* x, float* out, size_t n) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC ivdep
#endif
  for (size_t i = 0; i < n; ++i) out[i] = ExpSingle(x[i]);
}

STEER_EXP_CLONES void ExpRow(const double* __restrict x, double shift, double* __restrict out, int n) {
  for (int i = 0; i < n; ++i) out[i] = Exp(x[i] - shift);
}

// Eight partial sums: the compiler may not reorder a floating-point sum.
double Sum(const double* v, size_t n) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) s[k] += v[i + k];
  }
  for (; i < n; ++i) s[0] += v[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

}  // namespace

double ExpShifted(std::span<const double> x, double shift, std::span<double> out) {
  double total = 0;  // summed chunk by chunk, as SumExpShifted: the same bits
  for (size_t i = 0; i < x.size(); i += kChunk) {
    const int n = static_cast<int>(std::min<size_t>(kChunk, x.size() - i));
    ExpRow(x.data() + i, shift, out.data() + i, n);
    total += Sum(out.data() + i, static_cast<size_t>(n));
  }
  return total;
}

namespace {

// Runs row(begin, n, buf) over [0, size) in chunks of kChunk, where row
// fills buf[0, n) with exps; returns the sum of all of them.
template <class Row>
double ChunkedSum(size_t size, const Row& row) {
  double buf[kChunk];
  double total = 0;
  for (size_t i = 0; i < size; i += kChunk) {
    const int n = static_cast<int>(std::min<size_t>(kChunk, size - i));
    row(i, n, buf);
    total += Sum(buf, static_cast<size_t>(n));
  }
  return total;
}

}  // namespace

double SumExpShifted(std::span<const double> x, double shift) {
  return ChunkedSum(x.size(), [&](size_t i, int n, double* buf) { ExpRow(x.data() + i, shift, buf, n); });
}


namespace {

// Sixteen partial maxima (a single running max is a dependency chain, and
// the compiler may not reorder it); NaN entries compare false and are
// skipped unless x[0] is NaN.
// (Always inlined, so that each ISA clone below compiles it for its ISA.)
template <class T>
__attribute__((always_inline)) inline T MaxRow(const T* x, size_t n) {
  T m[16];
  for (T& v : m) v = x[0];
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) m[k] = x[i + k] > m[k] ? x[i + k] : m[k];
  T best = m[0];
  for (T v : m) best = v > best ? v : best;
  for (; i < n; ++i) best = x[i] > best ? x[i] : best;
  return best;
}

STEER_EXP_CLONES float MaxRowF(const float* x, size_t n) { return MaxRow(x, n); }
STEER_EXP_CLONES double MaxRowD(const double* x, size_t n) { return MaxRow(x, n); }

// The 32 partial sums of float_rows.h: AddRowF adds x[0 .. n) to s[k] for
// k = i % 32 (a row may arrive in pieces whose lengths, all but the last,
// are multiples of 32), and Fold32 folds s into the row's sum.
STEER_EXP_CLONES void AddRowF(double* s, const float* x, size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 32; ++k) s[k] += x[i + k];
  for (size_t k = 0; i + k < n; ++k) s[k] += x[i + k];
}

double Fold32(double* s) {
  for (int w = 16; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) s[k] += s[k + w];
  return s[0];
}

double SumRowF(const float* x, size_t n) {
  double s[32] = {};
  AddRowF(s, x, n);
  return Fold32(s);
}

// SumRowF's order, 32 entries and 32 mask bits at a time.
STEER_EXP_CLONES double MaskedSumRowF(const float* x, const uint64_t* words, size_t n) {
  double s[32] = {};
  for (size_t i = 0; i < n; i += 32) {
    const auto bits = static_cast<uint32_t>(words[i / 64] >> (i % 64));
    const size_t m = std::min<size_t>(32, n - i);
    for (size_t k = 0; k < m; ++k) s[k] += (bits >> k) & 1 ? x[i + k] : 0.0f;
  }
  return Fold32(s);
}

// Copied, shifted, exponentiated and summed chunk by chunk while in L1
// (kChunk is a multiple of 32, so the sum's order is SumRowF's).
double ExpShiftedRowF(const float* x, float shift, float* out, float* copy, size_t n) {
  static_assert(kChunk % 32 == 0);
  double s[32] = {};
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t m = std::min<size_t>(kChunk, n - i);
    if (copy != nullptr) std::memcpy(copy + i, x + i, m * sizeof(float));
    float* e = out + i;
    for (size_t j = 0; j < m; ++j) e[j] = x[i + j] - shift;
    ExpRowSingle(e, e, m);
    AddRowF(s, e, m);
  }
  return Fold32(s);
}

const internal::FloatRowKernels& FloatRows() {
  static const internal::FloatRowKernels* const fast = internal::Avx512FloatRows();
  return fast != nullptr ? *fast : internal::PortableFloatRows();
}

}  // namespace

namespace internal {
const FloatRowKernels& PortableFloatRows() {
  static const FloatRowKernels kernels{MaxRowF, SumRowF, ExpRowSingle, ExpShiftedRowF, MaskedSumRowF};
  return kernels;
}
}  // namespace internal

float MaxOf(std::span<const float> x) { return x.empty() ? -__builtin_inff() : FloatRows().max(x.data(), x.size()); }
double MaxOf(std::span<const double> x) { return x.empty() ? -__builtin_inf() : MaxRowD(x.data(), x.size()); }
double SumOf(std::span<const float> x) { return FloatRows().sum(x.data(), x.size()); }

void ExpFloat(std::span<const float> x, std::span<float> out) { FloatRows().exp(x.data(), out.data(), x.size()); }

double ExpShiftedFloat(std::span<const float> x, float shift, std::span<float> out) {
  return FloatRows().exp_shifted(x.data(), shift, out.data(), nullptr, x.size());
}

double MaskedSumOf(std::span<const float> x, const uint64_t* words, size_t bit0) {
  STEER_CHECK(bit0 % 64 == 0);
  return FloatRows().masked_sum(x.data(), words + bit0 / 64, x.size());
}

double CopyExpShiftedFloat(std::span<const float> x, float shift, std::span<float> copy, std::span<float> out) {
  return FloatRows().exp_shifted(x.data(), shift, out.data(), copy.data(), x.size());
}

}  // namespace steer
