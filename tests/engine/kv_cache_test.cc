// KvCache unit tests: block sharing, copy on write, release, truncate, budget.
#include "steer/engine/kv_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "steer/util/rng.h"

namespace steer::engine {
namespace {

constexpr int32_t kLayers = 2, kKvDim = 3, kBlock = 4;

KvCache MakeCache(int64_t budget = 0) { return KvCache(kLayers, kKvDim, KvCacheOptions{kBlock, budget}); }

// Writes a recognizable value at every (layer, slot) of positions [from, to).
void Fill(KvCache& kv, SeqId seq, Pos from, Pos to, float tag) {
  kv.Prepare(seq, to);
  const int32_t* table = kv.BlockTable(seq);
  for (Pos p = from; p < to; ++p) {
    for (int32_t l = 0; l < kLayers; ++l) {
      static_cast<float*>(kv.Keys(table[p / kBlock], l))[(p % kBlock) * kKvDim] = tag + p;
      static_cast<float*>(kv.Values(table[p / kBlock], l))[(p % kBlock) * kKvDim] = -(tag + p);
    }
  }
  kv.SetLength(seq, to);
}

float KeyAt(KvCache& kv, SeqId seq, Pos p, int32_t layer) {
  return static_cast<float*>(kv.Keys(kv.BlockTable(seq)[p / kBlock], layer))[(p % kBlock) * kKvDim];
}

TEST(KvCacheTest, ForkSharesBlocksAndCopiesOnWrite) {
  KvCache kv = MakeCache();
  const SeqId a = kv.NewSequence();
  Fill(kv, a, 0, 6, 100);  // blocks: [0..3], [4..5 of 4]
  EXPECT_EQ(kv.blocks_in_use(), 2);
  auto b = kv.Fork(a);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(kv.blocks_in_use(), 2);  // fork copies nothing
  EXPECT_EQ(kv.Length(*b), 6);
  EXPECT_EQ(kv.RefCount(kv.BlockTable(a)[0]), 2);
  EXPECT_EQ(kv.RefCount(kv.BlockTable(a)[1]), 2);
  // b writes position 6, inside the shared partly filled block: it is copied.
  EXPECT_EQ(kv.BlocksNeeded(*b, 7), 1);
  Fill(kv, *b, 6, 7, 200);
  EXPECT_EQ(kv.blocks_in_use(), 3);
  EXPECT_EQ(kv.BlockTable(a)[0], kv.BlockTable(*b)[0]);  // full block still shared
  EXPECT_NE(kv.BlockTable(a)[1], kv.BlockTable(*b)[1]);
  EXPECT_EQ(kv.RefCount(kv.BlockTable(a)[1]), 1);
  // The copy kept the shared prefix; the parent did not see b's write.
  for (int32_t l = 0; l < kLayers; ++l) {
    EXPECT_EQ(KeyAt(kv, *b, 5, l), 105);
    EXPECT_EQ(KeyAt(kv, *b, 6, l), 206);
  }
  // a now writes its own position 6 in its (now unshared) block: no copy.
  EXPECT_EQ(kv.BlocksNeeded(a, 7), 0);
  Fill(kv, a, 6, 7, 300);
  EXPECT_EQ(KeyAt(kv, a, 6, 1), 306);
  EXPECT_EQ(KeyAt(kv, *b, 6, 1), 206);
  ASSERT_TRUE(kv.Release(a).ok());
  EXPECT_EQ(kv.blocks_in_use(), 2);
  EXPECT_EQ(KeyAt(kv, *b, 0, 0), 100);
  ASSERT_TRUE(kv.Release(*b).ok());
  EXPECT_EQ(kv.blocks_in_use(), 0);
  EXPECT_FALSE(kv.Release(*b).ok());
  EXPECT_FALSE(kv.Fork(a).ok());
}

TEST(KvCacheTest, ForkAtBlockBoundaryNeedsNoCopy) {
  KvCache kv = MakeCache();
  const SeqId a = kv.NewSequence();
  Fill(kv, a, 0, 8, 0);
  auto b = kv.Fork(a);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(kv.BlocksNeeded(*b, 9), 1);  // a fresh block, no copy
  Fill(kv, *b, 8, 9, 0);
  EXPECT_EQ(kv.blocks_in_use(), 3);
}

TEST(KvCacheTest, TruncateDropsBlocksAndRewritesCopyOnWrite) {
  KvCache kv = MakeCache();
  const SeqId a = kv.NewSequence();
  Fill(kv, a, 0, 10, 0);
  auto b = kv.Fork(a);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(kv.Truncate(*b, 5).ok());
  EXPECT_EQ(kv.Length(*b), 5);
  EXPECT_EQ(kv.RefCount(kv.BlockTable(a)[2]), 1);  // b dropped its third block
  Fill(kv, *b, 5, 6, 50);                          // block 1 is shared: copied
  EXPECT_EQ(KeyAt(kv, a, 5, 0), 5);
  EXPECT_EQ(KeyAt(kv, *b, 5, 0), 55);
  EXPECT_EQ(KeyAt(kv, *b, 4, 0), 4);
  EXPECT_FALSE(kv.Truncate(*b, 7).ok());
  EXPECT_FALSE(kv.Truncate(*b, -1).ok());
}

TEST(KvCacheTest, BudgetLimitsBlocks) {
  KvCache probe = MakeCache();
  KvCache kv = MakeCache(3 * probe.block_bytes() + 1);
  EXPECT_EQ(kv.BlocksAvailable(), 3);
  const SeqId a = kv.NewSequence();
  EXPECT_EQ(kv.BlocksNeeded(a, 12), 3);
  EXPECT_EQ(kv.BlocksNeeded(a, 13), 4);
  Fill(kv, a, 0, 12, 0);
  EXPECT_EQ(kv.BlocksAvailable(), 0);
  ASSERT_TRUE(kv.Release(a).ok());
  EXPECT_EQ(kv.BlocksAvailable(), 3);
}

// Random forks, writes, truncations and releases against a model of the
// expected reference counts: refcount(b) == table entries naming b, and
// everything returns to zero at the end.
TEST(KvCacheTest, RandomOperationsKeepRefcountsExact) {
  KvCache kv = MakeCache();
  Rng rng(7);
  std::vector<SeqId> live;
  for (int step = 0; step < 2000; ++step) {
    const uint64_t op = rng.UniformInt(10);
    if (live.empty() || op == 0) {
      live.push_back(kv.NewSequence());
    } else if (op <= 2) {
      auto f = kv.Fork(live[rng.UniformInt(live.size())]);
      ASSERT_TRUE(f.ok());
      live.push_back(*f);
    } else if (op <= 6) {
      const SeqId s = live[rng.UniformInt(live.size())];
      const Pos len = kv.Length(s);
      if (len < 60) Fill(kv, s, len, len + 1 + static_cast<Pos>(rng.UniformInt(5)), 0);
    } else if (op == 7) {
      const SeqId s = live[rng.UniformInt(live.size())];
      ASSERT_TRUE(kv.Truncate(s, static_cast<Pos>(rng.UniformInt(kv.Length(s) + 1))).ok());
    } else if (live.size() > 1) {
      const size_t i = rng.UniformInt(live.size());
      ASSERT_TRUE(kv.Release(live[i]).ok());
      live.erase(live.begin() + i);
    }
    std::map<int32_t, int32_t> expected;
    for (SeqId s : live) {
      const int32_t n = (kv.Length(s) + kBlock - 1) / kBlock;
      for (int32_t i = 0; i < n; ++i) ++expected[kv.BlockTable(s)[i]];
    }
    ASSERT_EQ(static_cast<int64_t>(expected.size()), kv.blocks_in_use()) << "step " << step;
    for (auto [block, refs] : expected) ASSERT_EQ(kv.RefCount(block), refs) << "step " << step;
  }
  for (SeqId s : live) ASSERT_TRUE(kv.Release(s).ok());
  EXPECT_EQ(kv.blocks_in_use(), 0);
  EXPECT_EQ(kv.num_live_sequences(), 0);
}

// The memory bar: 32 forks of a 1024-position prefix, each with 64
// positions of its own, use at most 1.2x the K/V of one prefix plus 32 tails.
TEST(KvCacheTest, ForkedPrefixMemory) {
  for (Pos prefix : {1024, 1021}) {
    KvCache kv(kLayers, kKvDim, KvCacheOptions{16, 0});
    const SeqId root = kv.NewSequence();
    kv.Prepare(root, prefix);
    kv.SetLength(root, prefix);
    std::vector<SeqId> forks;
    for (int i = 0; i < 32; ++i) {
      auto f = kv.Fork(root);
      ASSERT_TRUE(f.ok());
      kv.Prepare(*f, prefix + 64);
      kv.SetLength(*f, prefix + 64);
      forks.push_back(*f);
    }
    const double ideal = static_cast<double>(prefix + 32 * 64) / 16 * kv.block_bytes();
    EXPECT_LE(static_cast<double>(kv.bytes_in_use()), 1.2 * ideal) << "prefix " << prefix;
    std::printf("[ memory ] prefix %d: %lld bytes, %.3fx of prefix + 32 tails\n", prefix,
                static_cast<long long>(kv.bytes_in_use()), kv.bytes_in_use() / ideal);
  }
}

}  // namespace
}  // namespace steer::engine
