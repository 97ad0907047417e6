// SampleLog: draws follow exp(row) / Σ exp(row) (chi-square over a row of
// 5,000 entries, several blocks of its search, with -inf entries; and over
// blocks whose maxima differ by up to 60 nats, one of them all -inf), the
// returned log total is log Σ exp(row), and an all -inf row is reported.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "particles.h"
#include "steer/util/rng.h"

namespace steer::sampler::internal {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

TEST(SampleLog, DrawsFollowTheRow) {
  // 5,000 entries: 20 heavy ones spread over the row (one in the last,
  // partial block), the rest tiny or -inf.
  const size_t n = 5000;
  std::vector<double> row(n);
  Rng rng(3);
  for (size_t t = 0; t < n; ++t) row[t] = rng.Uniform() < 0.5 ? kNegInf : -20.0 + rng.Uniform();
  std::vector<size_t> heavy;
  for (size_t k = 0; k < 20; ++k) heavy.push_back(k * 249 + 7);
  heavy.back() = n - 3;
  for (size_t k = 0; k < heavy.size(); ++k) row[heavy[k]] = 3.0 + 0.1 * static_cast<double>(k);
  double total = 0;
  for (double v : row) total += std::exp(v);
  std::vector<float> scratch;
  std::vector<int64_t> counts(n, 0);
  const int draws = 200000;
  Rng draw_rng(4);
  for (int i = 0; i < draws; ++i) {
    const Draw d = SampleLog(row, draw_rng, &scratch);
    ASSERT_GE(d.index, 0);
    ASSERT_LT(static_cast<size_t>(d.index), n);
    ASSERT_NE(row[d.index], kNegInf) << "drew an impossible entry";
    ++counts[d.index];
    if (i == 0) {
      EXPECT_NEAR(d.log_total, std::log(total), 1e-6);
    }
  }
  // Chi-square over the heavy entries plus one cell for all the rest
  // (20 degrees of freedom: the 0.999 quantile is 45.3).
  double chi2 = 0, rest_p = 1, rest_count = draws;
  for (size_t t : heavy) {
    const double p = std::exp(row[t]) / total;
    chi2 += (counts[t] - draws * p) * (counts[t] - draws * p) / (draws * p);
    rest_p -= p;
    rest_count -= counts[t];
  }
  chi2 += (rest_count - draws * rest_p) * (rest_count - draws * rest_p) / (draws * rest_p);
  EXPECT_LT(chi2, 45.3);
}

TEST(SampleLog, BlocksOfDifferentScales) {
  // Five blocks of 1,024: levels around -30, -inf, 0, -3 and -60 (each
  // block is exponentiated against its own max and rescaled).
  const size_t n = 5 * 1024;
  const double level[5] = {-30.0, kNegInf, 0.0, -3.0, -60.0};
  std::vector<double> row(n);
  Rng rng(6);
  for (size_t t = 0; t < n; ++t) row[t] = level[t / 1024] + 2.0 * rng.Uniform();
  row[10] = -8.0;  // one entry of block 0 stands out: p ~ 1e-7 of the total
  double total = 0;
  double cell[5] = {0, 0, 0, 0, 0};
  for (size_t t = 0; t < n; ++t) {
    total += std::exp(row[t]);
    cell[t / 1024] += std::exp(row[t]);
  }
  std::vector<float> scratch;
  int64_t counts[5] = {0, 0, 0, 0, 0};
  const int draws = 100000;
  Rng draw_rng(7);
  for (int i = 0; i < draws; ++i) {
    const Draw d = SampleLog(row, draw_rng, &scratch);
    ASSERT_NE(row[d.index], kNegInf) << "drew an impossible entry";
    ++counts[d.index / 1024];
    if (i == 0) {
      EXPECT_NEAR(d.log_total, std::log(total), 1e-6);
    }
  }
  // Chi-square over block 2 and the rest (1 degree of freedom: the 0.999
  // quantile is 10.83); the rest is block 3 but for p ~ 1e-7.
  const double p2 = cell[2] / total;
  const double chi2 = (counts[2] - draws * p2) * (counts[2] - draws * p2) / (draws * p2) +
                      (draws - counts[2] - draws * (1 - p2)) * (draws - counts[2] - draws * (1 - p2)) /
                          (draws * (1 - p2));
  EXPECT_LT(chi2, 10.83);
  EXPECT_EQ(counts[1], 0);
  EXPECT_LE(counts[0] + counts[4], 2);
}

TEST(SampleLog, AllImpossibleIsReported) {
  std::vector<double> row(3000, kNegInf);
  std::vector<float> scratch;
  Rng rng(5);
  const Draw d = SampleLog(row, rng, &scratch);
  EXPECT_EQ(d.log_total, kNegInf);
  row[2999] = -1.0;  // a single possible entry, at the very end
  const Draw e = SampleLog(row, rng, &scratch);
  EXPECT_EQ(e.index, 2999);
  EXPECT_NEAR(e.log_total, -1.0, 1e-6);
}

}  // namespace
}  // namespace steer::sampler::internal
