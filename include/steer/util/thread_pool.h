// A fixed pool of worker threads for data-parallel loops.
//
// ParallelFor splits [0, n) into one contiguous chunk per thread; the caller
// thread runs chunk 0, so a pool of T threads owns T-1 workers. Calls are
// blocking and must not be nested or made concurrently from several threads.
#pragma once

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
  const std::function<void(size_t, size_t, int)>* job_ = nullptr;  // guarded by mu_
  size_t job_n_ = 0;
  uint64_t generation_ = 0;  // bumped per job; workers run each generation once
  int pending_ = 0;          // workers still running the current job
  bool stop_ = false;
};

}  // namespace steer
