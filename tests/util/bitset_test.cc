#include "steer/util/bitset.h"

#include <gtest/gtest.h>

#include <vector>

#include "steer/util/rng.h"

namespace steer {
namespace {

TEST(Bitset, AgreesWithVectorBool) {
  Rng rng(3);
  for (size_t n : {1u, 63u, 64u, 65u, 200u}) {
    DynamicBitset b(n);
    std::vector<bool> ref(n);
    for (int i = 0; i < 500; ++i) {
      size_t j = rng.UniformInt(n);
      bool v = rng.UniformInt(2);
      b.Assign(j, v);
      ref[j] = v;
    }
    size_t count = 0;
    for (size_t j = 0; j < n; ++j) {
      EXPECT_EQ(b.Test(j), ref[j]);
      count += ref[j];
    }
    EXPECT_EQ(b.Count(), count);
    std::vector<size_t> seen;
    b.ForEachSet([&](size_t j) { seen.push_back(j); });
    EXPECT_EQ(seen.size(), count);
  }
}

TEST(Bitset, SetAllKeepsTailClear) {
  DynamicBitset b(70);
  b.SetAll();
  EXPECT_EQ(b.Count(), 70u);
  DynamicBitset c(70, true);
  EXPECT_TRUE(b == c);
  c.Reset(69);
  b &= c;
  EXPECT_EQ(b.Count(), 69u);
}

}  // namespace
}  // namespace steer
