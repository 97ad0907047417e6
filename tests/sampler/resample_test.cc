// Resampling schemes: expected offspring counts equal n·w_i (chi-square), and
// the structural guarantees of each scheme.
#include "steer/sampler/resample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <cmath>
#include <limits>
#include <vector>

// Counts heap allocations (for the allocation-free check below); applies to
// the whole test binary, which only makes it count.
namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace
void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace steer::sampler {
namespace {

const ResampleScheme kSchemes[] = {ResampleScheme::kMultinomial, ResampleScheme::kStratified,
                                   ResampleScheme::kSystematic, ResampleScheme::kResidual};

// Weights with a zero, a dominant and tiny ones.
const std::vector<double> kWeights = {0.05, 0.0, 0.42, 0.13, 0.3, 0.1};

std::vector<double> Logs(const std::vector<double>& w) {
  std::vector<double> out;
  for (double x : w) out.push_back(std::log(x));
  return out;
}

// Over R rounds of n draws the total count of i has mean R·n·w_i. For
// multinomial the totals are Multinomial(R·n, w), so Σ (C_i − E_i)²/E_i over
// the 5 non-zero weights is chi-square with 4 degrees of freedom (99.9%
// quantile 18.47). The other schemes have smaller variance per index (they
// are the multinomial with variance removed), so the same bound holds for
// them with even more room; a scheme biased by a fraction δ of w_i would give
// a statistic near R·n·δ²·w_i, i.e. ~60 for δ = 1% here.
TEST(Resample, ExpectedOffspringEqualsNTimesWeight) {
  const int n = 10, rounds = 60000;
  for (ResampleScheme scheme : kSchemes) {
    Rng rng(123);
    std::vector<double> counts(kWeights.size());
    std::vector<int> anc;
    for (int r = 0; r < rounds; ++r) {
      Resample(scheme, Logs(kWeights), n, rng, &anc);
      ASSERT_EQ(anc.size(), static_cast<size_t>(n));
      for (int a : anc) counts[a]++;
    }
    EXPECT_EQ(counts[1], 0) << ResampleSchemeName(scheme) << " drew a zero-weight particle";
    double chi2 = 0;
    for (size_t i = 0; i < kWeights.size(); ++i) {
      if (kWeights[i] == 0) continue;
      const double expect = static_cast<double>(rounds) * n * kWeights[i];
      chi2 += (counts[i] - expect) * (counts[i] - expect) / expect;
    }
    EXPECT_LT(chi2, 18.47) << ResampleSchemeName(scheme);
  }
}

// Systematic keeps every count at floor or ceil of n·w_i, residual at least
// floor(n·w_i); ancestors come back sorted.
TEST(Resample, StructuralGuarantees) {
  const int n = 10;
  Rng rng(5);
  std::vector<int> anc;
  for (int r = 0; r < 2000; ++r) {
    for (ResampleScheme scheme : kSchemes) {
      Resample(scheme, Logs(kWeights), n, rng, &anc);
      ASSERT_TRUE(std::is_sorted(anc.begin(), anc.end()));
      std::vector<int> c(kWeights.size());
      for (int a : anc) c[a]++;
      for (size_t i = 0; i < kWeights.size(); ++i) {
        const double e = n * kWeights[i];
        if (scheme == ResampleScheme::kSystematic) {
          ASSERT_GE(c[i], std::floor(e) - 1e-9);
          ASSERT_LE(c[i], std::ceil(e) + 1e-9);
        }
        if (scheme == ResampleScheme::kResidual) {
          ASSERT_GE(c[i], std::floor(e + 1e-9));
        }
      }
    }
  }
}

TEST(Resample, SingleParticleAndUnnormalizedInputs) {
  Rng rng(1);
  std::vector<int> anc;
  const std::vector<double> lw = {-1e6, -1e6 + std::log(3.0)};  // would underflow if exponentiated raw
  for (ResampleScheme scheme : kSchemes) {
    Resample(scheme, lw, 4000, rng, &anc);
    int ones = 0;
    for (int a : anc) ones += a == 1;
    EXPECT_NEAR(ones / 4000.0, 0.75, 4 * std::sqrt(0.75 * 0.25 / 4000)) << ResampleSchemeName(scheme);
    Resample(scheme, std::vector<double>{0.0}, 3, rng, &anc);
    EXPECT_EQ(anc, (std::vector<int>{0, 0, 0}));
  }
}

// SMC's hot path: a warmed-up Resampler allocates nothing.
TEST(Resample, WarmResamplerAllocatesNothing) {
  Resampler r;
  Rng rng(2);
  std::vector<int> anc;
  const std::vector<double> lw = Logs(kWeights);
  for (ResampleScheme scheme : kSchemes) r.Resample(scheme, lw, 64, rng, &anc);  // warm up
  const int64_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    for (ResampleScheme scheme : kSchemes) r.Resample(scheme, lw, 64, rng, &anc);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  // The counter works: the one-shot function builds fresh scratch.
  Resample(ResampleScheme::kResidual, lw, 64, rng, &anc);
  EXPECT_GT(g_allocations.load() - before, 0);
}

TEST(Resample, EffectiveSampleSize) {
  EXPECT_DOUBLE_EQ(EffectiveSampleSize(std::vector<double>{0, 0, 0, 0}), 4.0);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_DOUBLE_EQ(EffectiveSampleSize(std::vector<double>{0, -inf, -inf}), 1.0);
  EXPECT_EQ(EffectiveSampleSize(std::vector<double>{-inf, -inf}), 0.0);
  EXPECT_NEAR(EffectiveSampleSize(std::vector<double>{std::log(1.0), std::log(3.0)}), 16.0 / 10.0, 1e-12);
}

TEST(Resample, ParsesNames) {
  for (ResampleScheme scheme : kSchemes) EXPECT_EQ(*ParseResampleScheme(ResampleSchemeName(scheme)), scheme);
  auto bad = ParseResampleScheme("bogus");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().location, "--resample");
}

}  // namespace
}  // namespace steer::sampler
