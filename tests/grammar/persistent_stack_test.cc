#include "steer/grammar/persistent_stack.h"

#include <gtest/gtest.h>

#include "steer/util/rng.h"

namespace steer::grammar {
namespace {

// Random pushes, pops and forks; every stack (forks included) must always
// equal a plain vector model.
TEST(PersistentStackTest, MatchesVectorModelUnderForks) {
  Rng rng(3);
  std::vector<std::pair<PersistentStack<int>, std::vector<int>>> live(1);
  for (int step = 0; step < 20000; ++step) {
    auto& [s, model] = live[rng.UniformInt(live.size())];
    uint64_t op = rng.UniformInt(100);
    if (op < 55) {
      int v = static_cast<int>(rng.UniformInt(1000000));
      s.Push(v);
      model.push_back(v);
    } else if (op < 85 && !model.empty()) {
      s.Pop();
      model.pop_back();
    } else if (op < 95 && !model.empty()) {
      size_t n = rng.UniformInt(std::min<size_t>(model.size(), 700) + 1);
      s.PopN(n);
      model.resize(model.size() - n);
    } else if (live.size() < 16) {
      auto copy = live[rng.UniformInt(live.size())];
      live.push_back(std::move(copy));
    }
    for (auto& [t, m] : live) {
      ASSERT_EQ(t.size(), m.size());
      if (!m.empty()) {
        ASSERT_EQ(t.Back(), m.back());
      }
    }
  }
  // Drain every stack and compare all values.
  for (auto& [t, m] : live) {
    while (!m.empty()) {
      ASSERT_EQ(t.Back(), m.back());
      t.Pop();
      m.pop_back();
    }
    EXPECT_TRUE(t.empty());
  }
}

}  // namespace
}  // namespace steer::grammar
