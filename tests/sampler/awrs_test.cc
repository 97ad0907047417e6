// AWRS's block and Fenwick-tree draws against a linear-scan oracle in double
// precision (the textbook form of the algorithm): same seed, same accepted
// token, same weight up to AWRS's single-precision exps (4e-7 relative).
#include "awrs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "steer/potential/potential.h"
#include "steer/util/rng.h"

namespace steer::sampler::internal {
namespace {

// The oracle: sampling without replacement by scanning the row per draw.
Choice LinearAwrs(const std::vector<double>& row, const std::vector<bool>& allowed, Rng& rng) {
  const double log_z = potential::LogSumExp(row);
  if (log_z == potential::kLogZero) return Choice{static_cast<TokenId>(row.size()) - 1, potential::kLogZero};
  std::vector<double> p(row.size());
  for (size_t i = 0; i < p.size(); ++i) p[i] = std::exp(row[i] - log_z);
  auto sum = [&] {
    double s = 0;
    for (double v : p) s += v;
    return s;
  };
  double remaining = 1.0, kept = 1.0;
  TokenId sample = -1;
  int64_t rejections = 0;
  for (int round = 0; round < 2; ++round) {
    for (;;) {
      if (!(remaining > 0)) break;
      const double u = rng.Uniform() * remaining;
      double acc = 0;
      TokenId t = -1;
      for (size_t i = 0; i < p.size(); ++i) {
        if (p[i] == 0) continue;
        acc += p[i];
        t = static_cast<TokenId>(i);
        if (u < acc) break;
      }
      if (t < 0) break;
      if (allowed[static_cast<size_t>(t)]) {
        if (sample < 0) sample = t;
        break;
      }
      ++rejections;
      p[static_cast<size_t>(t)] = 0;
      remaining = sum();
    }
    if (round == 0) {
      if (sample < 0) return Choice{static_cast<TokenId>(row.size()) - 1, potential::kLogZero};
      kept = remaining = sum();
    }
  }
  return Choice{sample, log_z + std::log(kept) - std::log(static_cast<double>(rejections + 1))};
}

TEST(Awrs, FenwickDrawsAgreeWithLinearScan) {
  Rng gen(11);
  AwrsScratch scratch;
  int rejections_seen = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + gen.UniformInt(trial < 100 ? 8 : 3000);
    std::vector<double> row(n);
    std::vector<bool> allowed(n);
    const double density = gen.Uniform();
    for (size_t i = 0; i < n; ++i) {
      row[i] = gen.Uniform() < 0.1 ? potential::kLogZero : 3 * gen.Normal();
      allowed[i] = gen.Uniform() < density;
    }
    for (uint64_t seed = 0; seed < 3; ++seed) {
      Rng a(seed), b(seed);
      int calls = 0;
      auto got = AwrsChoose(
          row,
          [&](TokenId t) -> Result<bool> {
            ++calls;
            return static_cast<bool>(allowed[static_cast<size_t>(t)]);
          },
          a, &scratch);
      ASSERT_TRUE(got.ok());
      const Choice want = LinearAwrs(row, allowed, b);
      ASSERT_EQ(got->token, want.token) << trial << " " << seed;
      if (std::isinf(want.log_increment)) {
        EXPECT_EQ(got->log_increment, want.log_increment);
      } else {
        EXPECT_NEAR(got->log_increment, want.log_increment, 2e-6) << trial;
      }
      rejections_seen += calls > 2;
    }
  }
  EXPECT_GT(rejections_seen, 100);  // the cases exercise removal, not just first draws
}

}  // namespace
}  // namespace steer::sampler::internal
