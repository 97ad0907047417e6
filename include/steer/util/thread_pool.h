// A fixed pool of worker threads for data-parallel loops.
//
// ParallelFor splits [0, n) into one contiguous chunk per thread; the caller
// thread runs chunk 0, so a pool of T threads owns T-1 workers. Calls are
// blocking and must not be nested or made concurrently from several threads.
//
// Waking a thread through a condition variable costs tens of microseconds,
// more than a small matmul, so idle workers and the waiting caller first
// spin (about 50 µs) on atomics and only then block.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace steer {

class ThreadPool {
 public:
  // num_threads <= 0 means the number of hardware threads.
  explicit ThreadPool(int num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(begin, end, thread_index) on disjoint chunks covering [0, n).
  void ParallelFor(size_t n, const std::function<void(size_t, size_t, int)>& fn);

  static int HardwareThreads();

 private:
  void WorkerLoop(int index);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  // job_ and job_n_ are written under mu_ before generation_ is bumped
  // (release), and read by workers after they see the new generation.
  const std::function<void(size_t, size_t, int)>* job_ = nullptr;
  size_t job_n_ = 0;
  std::atomic<uint64_t> generation_{0};  // bumped per job; workers run each generation once
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<bool> stop_{false};
};

}  // namespace steer
