// The vectorized exp against libm's: relative error, the edges of its range,
// and the sums.
#include "steer/util/fast_exp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "steer/util/rng.h"
#include "util/float_rows.h"

namespace steer {
namespace {

TEST(FastExp, MatchesLibmWithinOneE14) {
  Rng rng(3);
  std::vector<double> x;
  for (int i = 0; i < 200000; ++i) x.push_back(-708.0 + 1417.0 * rng.Uniform());
  for (int i = -2000; i <= 2000; ++i) x.push_back(i * 0.001);  // around 0, where n flips
  for (int k = -1021; k <= 1022; ++k) x.push_back(k * std::log(2.0));  // at the scale boundaries
  x.push_back(709.0);
  std::vector<double> out(x.size());
  ExpShifted(x, 0.0, out);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(x[i]);
    worst = std::max(worst, std::abs(out[i] - want) / want);
  }
  EXPECT_LT(worst, 1e-14);
}

TEST(FastExp, EdgesOfTheRange) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> x = {-inf, -1e300, -709.0, -708.5, 0.0, std::nan("")};
  std::vector<double> out(x.size());
  ExpShifted(x, 0.0, out);
  EXPECT_EQ(out[0], 0.0);
  EXPECT_EQ(out[1], 0.0);
  EXPECT_EQ(out[2], 0.0);
  EXPECT_EQ(out[3], 0.0);
  EXPECT_EQ(out[4], 1.0);
  EXPECT_TRUE(std::isnan(out[5]));
  // The shift is subtracted first: exp(710 - 10) is in range.
  const std::vector<double> big = {710.0};
  std::vector<double> one(1);
  ExpShifted(big, 10.0, one);
  EXPECT_NEAR(one[0] / std::exp(700.0), 1.0, 1e-14);
}

TEST(FastExp, SumsAgreeWithNaiveSums) {
  Rng rng(5);
  // Lengths around the internal chunk and lane counts.
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{255}, size_t{256}, size_t{257}, size_t{32001}}) {
    std::vector<double> x(n);
    std::vector<float> xf(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = rng.Uniform() < 0.2 ? -std::numeric_limits<double>::infinity() : -30.0 * rng.Uniform();
      xf[i] = static_cast<float>(x[i]);
    }
    double want = 0, want_f = 0;
    for (size_t i = 0; i < n; ++i) {
      want += std::exp(x[i] - 2.0);
      want_f += std::exp(static_cast<double>(xf[i]) - 2.0);
    }
    std::vector<double> out(n);
    const double with_row = ExpShifted(x, 2.0, out);
    EXPECT_NEAR(with_row, want, 1e-13 * std::max(1.0, want)) << n;
    EXPECT_EQ(SumExpShifted(std::span<const double>(x), 2.0), with_row) << n;
    // The float form: its sum, and the exps themselves.
    std::vector<float> exps(n);
    EXPECT_NEAR(ExpShiftedFloat(xf, 2.0f, exps), want_f, 5e-7 * std::max(1.0, want_f)) << n;
    for (size_t i = 0; i < n; ++i) {
      const double e = std::exp(static_cast<double>(xf[i] - 2.0f));  // of the difference rounded to float
      EXPECT_NEAR(exps[i], e, 4e-7 * e) << n << " " << i;
    }
    // In place, the same exps; the sum is SumOf's over them, bit for bit.
    std::vector<float> in_place = xf;
    const double sum_in_place = ExpShiftedFloat(in_place, 2.0f, in_place);
    EXPECT_EQ(in_place, exps) << n;
    EXPECT_EQ(sum_in_place, SumOf(exps)) << n;
    // The masked sum equals SumOf over a copy zeroed where the mask is clear,
    // bit for bit; bit0 picks the mask's words.
    std::vector<uint64_t> words(2 + (n + 63) / 64);
    for (auto& w : words) w = rng.Next() & rng.Next();
    std::vector<float> masked = exps;
    for (size_t i = 0; i < n; ++i)
      if (!((words[2 + i / 64] >> (i % 64)) & 1)) masked[i] = 0;
    const double masked_sum = MaskedSumOf(exps, words.data(), 128), want_masked = SumOf(masked);
    EXPECT_EQ(std::memcmp(&masked_sum, &want_masked, sizeof masked_sum), 0) << n;
    // With a copy: x itself lands in the copy, and exps and sum are the same.
    std::vector<float> copy(n, -1.0f), exps2(n);
    EXPECT_EQ(CopyExpShiftedFloat(xf, 2.0f, copy, exps2), sum_in_place) << n;
    EXPECT_EQ(copy, xf) << n;
    EXPECT_EQ(exps2, exps) << n;
  }
}

}  // namespace
// The single-precision exp against libm's double exp over its range, and
// its edges.
TEST(FastExp, FloatWithinFourE7) {
  std::vector<float> x;
  for (float v = -87.0f; v <= 88.7f; v += 0.0137f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1.0f, -1.0f, 0.5f}) x.push_back(v);
  std::vector<float> y(x.size());
  ExpFloat(x, y);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    worst = std::max(worst, std::fabs(y[i] - want) / want);
  }
  EXPECT_LT(worst, 4e-7);
  EXPECT_GT(worst, 0.0);  // it is not libm itself
  const float edges[] = {-INFINITY, -1000.0f, -104.5f, -100.0f, -88.0f, 88.8f, 1000.0f, INFINITY, NAN};
  float out[9];
  ExpFloat(edges, out);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(out[2], 0.0f);
  EXPECT_NEAR(out[3], std::exp(-100.0), 1.5e-45);  // subnormal: within one of its steps
  EXPECT_NEAR(out[4], std::exp(-88.0), 1e-6 * std::exp(-88.0));
  EXPECT_EQ(out[5], INFINITY);
  EXPECT_EQ(out[6], INFINITY);
  EXPECT_EQ(out[7], INFINITY);
  EXPECT_TRUE(std::isnan(out[8]));
  std::vector<float> in_place = x;
  ExpFloat(in_place, in_place);
  EXPECT_EQ(in_place, y);
}

// MaxOf equals the largest entry and SumOf the double sum, for every
// length around the partial-sum widths (and an empty row).
TEST(RowReductions, MaxAndSum) {
  Rng rng(21);
  EXPECT_EQ(MaxOf(std::span<const float>()), -INFINITY);
  for (size_t n : {1, 2, 7, 8, 15, 16, 17, 33, 1000, 1025}) {
    std::vector<float> x(n);
    std::vector<double> xd(n);
    for (size_t i = 0; i < n; ++i) xd[i] = x[i] = static_cast<float>(rng.Normal());
    EXPECT_EQ(MaxOf(x), *std::max_element(x.begin(), x.end())) << n;
    EXPECT_EQ(MaxOf(xd), *std::max_element(xd.begin(), xd.end())) << n;
    double want = 0, abs_sum = 0;
    for (float v : x) want += v, abs_sum += std::fabs(v);
    EXPECT_NEAR(SumOf(x), want, 1e-15 * n * abs_sum) << n;
  }
}

// The AVX-512 float rows against the portable ones (the oracle), bit for
// bit: every length around the vector widths and the 32 partial sums, rows
// with the exp's edge arguments, and a NaN for the max. On a CPU without
// AVX-512F (or a build without the file's code) the dispatch must refuse
// them, and the portable rows serve alone.
TEST(FloatRows, Avx512MatchesPortableBitForBit) {
  const internal::FloatRowKernels* fast = internal::Avx512FloatRows();
  if (fast == nullptr) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    EXPECT_FALSE(__builtin_cpu_supports("avx512f")) << "AVX-512F present, yet its rows were not handed out";
#endif
    return;
  }
  const internal::FloatRowKernels& slow = internal::PortableFloatRows();
  auto bits = [](const std::vector<float>& v) {
    std::vector<uint32_t> b(v.size());
    std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
    return b;
  };
  Rng rng(8);
  for (size_t n : {1, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 32000}) {
    std::vector<float> x(n);
    for (float& v : x) v = static_cast<float>(30.0 * rng.Normal());
    const float edges[] = {-INFINITY, -104.5f, -100.0f, 88.8f, 1000.0f, INFINITY, -0.0f};
    for (size_t i = 0; i < std::min<size_t>(n, 7); ++i) x[(i * 7919) % n] = edges[i];
    EXPECT_EQ(fast->max(x.data(), n), slow.max(x.data(), n)) << n;
    const double fs = fast->sum(x.data(), n), ss = slow.sum(x.data(), n);
    EXPECT_EQ(std::memcmp(&fs, &ss, sizeof fs), 0) << n << ": " << fs << " vs " << ss;
    std::vector<float> fe(n), se(n);
    fast->exp(x.data(), fe.data(), n);
    slow.exp(x.data(), se.data(), n);
    EXPECT_EQ(bits(fe), bits(se)) << n;
    std::vector<float> fc(n), sc(n);  // the copies
    const double fz = fast->exp_shifted(x.data(), 3.5f, fe.data(), fc.data(), n);
    const double sz = slow.exp_shifted(x.data(), 3.5f, se.data(), sc.data(), n);
    EXPECT_EQ(bits(fe), bits(se)) << n;
    EXPECT_EQ(bits(fc), bits(x)) << n;
    EXPECT_EQ(bits(sc), bits(x)) << n;
    EXPECT_EQ(std::memcmp(&fz, &sz, sizeof fz), 0) << n << ": " << fz << " vs " << sz;
    std::vector<float> in_place = x;  // out == x
    fast->exp(in_place.data(), in_place.data(), n);
    slow.exp(x.data(), se.data(), n);
    EXPECT_EQ(bits(in_place), bits(se)) << n;
    // Masked sums: a random mask, with all-clear and all-set words.
    std::vector<uint64_t> words((n + 63) / 64);
    for (size_t w = 0; w < words.size(); ++w) words[w] = w % 5 == 1 ? 0 : w % 5 == 2 ? ~uint64_t{0} : rng.Next();
    const double fm = fast->masked_sum(fe.data(), words.data(), n), sm = slow.masked_sum(fe.data(), words.data(), n);
    EXPECT_EQ(std::memcmp(&fm, &sm, sizeof fm), 0) << n << ": " << fm << " vs " << sm;
  }
  std::vector<float> with_nan(100, 1.0f);
  with_nan[50] = NAN;
  with_nan[70] = 2.0f;
  EXPECT_EQ(fast->max(with_nan.data(), 100), 2.0f);  // skipped
  with_nan[0] = NAN;
  EXPECT_TRUE(std::isnan(fast->max(with_nan.data(), 100)));  // unless it comes first
  EXPECT_TRUE(std::isnan(slow.max(with_nan.data(), 100)));
}

}  // namespace steer
