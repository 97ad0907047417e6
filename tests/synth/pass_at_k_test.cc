#include "steer/synth/pass_at_k.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace steer::synth {
namespace {

// Exact: the fraction of k-subsets of n items (the first c correct) holding
// at least one correct item, by enumerating all subsets as bit masks.
double ExactPassAtK(int n, int c, int k) {
  int64_t total = 0, hit = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) != k) continue;
    ++total;
    hit += (mask & ((1u << c) - 1)) != 0;
  }
  return static_cast<double>(hit) / static_cast<double>(total);
}

TEST(PassAtK, AgreesWithExactEnumeration) {
  for (int n = 1; n <= 12; ++n)
    for (int c = 0; c <= n; ++c)
      for (int k = 1; k <= n; ++k)
        EXPECT_NEAR(PassAtK(n, c, k), ExactPassAtK(n, c, k), 1e-12) << n << " " << c << " " << k;
}

TEST(PassAtK, EdgeCasesAndLargeN) {
  EXPECT_EQ(PassAtK(10, 0, 5), 0.0);
  EXPECT_EQ(PassAtK(10, 10, 1), 1.0);
  EXPECT_NEAR(PassAtK(200, 13, 1), 13.0 / 200.0, 1e-12);
  // C(1000, 100) overflows a double; the product form does not.
  double v = PassAtK(1000, 1, 100);
  EXPECT_NEAR(v, 0.1, 1e-12);
}

}  // namespace
}  // namespace steer::synth
