// The hot path allocates nothing once warmed up: after one Decode of each
// shape, further prompt and generation Decodes (batched, with forks writing
// into fresh blocks the cache already owns) perform no heap allocation.
// This binary replaces the global operator new to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "shared_data.h"
#include "steer/engine/engine.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_allocations{0};
}  // namespace

void* operator new(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(n ? n : 1);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace steer::engine {
namespace {

TEST(AllocationTest, DecodeAllocatesNothingAfterWarmUp) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-F32.gguf");
  EngineOptions options;
  options.threads = 2;
  auto e_or = Engine::Open(path, options);
  ASSERT_TRUE(e_or.ok()) << e_or.error().ToString();
  Engine& e = **e_or;
  Batch batch;
  batch.Clear();
  auto run = [&](int round) {
    // A 40-token prompt, 4 forks, 20 steps of 4 rows; then release all.
    const SeqId root = e.NewSequence();
    batch.Clear();
    for (Pos p = 0; p < 40; ++p) batch.Add((p * 7 + round) % 500, p, root, p == 39);
    ASSERT_TRUE(e.Decode(batch).ok());
    SeqId forks[4];
    for (SeqId& f : forks) f = *e.Fork(root);
    for (int step = 0; step < 20; ++step) {
      batch.Clear();
      for (SeqId f : forks) batch.Add((step * 13 + f) % 500, e.Length(f), f, true);
      ASSERT_TRUE(e.Decode(batch).ok());
    }
    for (SeqId f : forks) ASSERT_TRUE(e.Release(f).ok());
    ASSERT_TRUE(e.Release(root).ok());
  };
  run(0);  // warm-up: scratch buffers, KV blocks, block tables, sequence slots
  const SeqId root = e.NewSequence();
  batch.Clear();
  for (Pos p = 0; p < 40; ++p) batch.Add(p % 500, p, root, p == 39);
  g_counting = true;
  Status st = e.Decode(batch);
  g_counting = false;
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(g_allocations.load(), 0) << "prompt Decode allocated";
  // The counter works: 8 forks need more sequence slots than the warm-up
  // made, and a new slot's block table is allocated on first copy. (Forks
  // into reused slots copy into the retained capacity: no allocation.)
  SeqId forks[4], extra[4];
  g_counting = true;
  for (SeqId& f : forks) f = *e.Fork(root);
  for (SeqId& f : extra) f = *e.Fork(root);
  g_counting = false;
  EXPECT_GT(g_allocations.load(), 0);
  for (SeqId f : extra) ASSERT_TRUE(e.Release(f).ok());
  g_allocations = 0;
  for (int step = 0; step < 20; ++step) {
    batch.Clear();
    for (SeqId f : forks) batch.Add((step * 13 + f) % 500, e.Length(f), f, true);
    g_counting = true;
    st = e.Decode(batch);
    g_counting = false;
    ASSERT_TRUE(st.ok());
  }
  EXPECT_EQ(g_allocations.load(), 0) << "generation Decodes allocated";
}

}  // namespace
}  // namespace steer::engine
