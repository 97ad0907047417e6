#include "steer/util/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace steer {
namespace {

TEST(ThreadPool, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (size_t n : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](size_t b, size_t e, int) {
        for (size_t i = b; i < e; ++i) hits[i]++;
      });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << threads << " " << n;
    }
  }
}

TEST(ThreadPool, ManyJobsInARow) {
  ThreadPool pool(4);
  std::atomic<long> sum{0};
  for (int r = 0; r < 2000; ++r)
    pool.ParallelFor(10, [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; ++i) sum += static_cast<long>(i);
    });
  EXPECT_EQ(sum.load(), 2000L * 45);
}

}  // namespace
}  // namespace steer
