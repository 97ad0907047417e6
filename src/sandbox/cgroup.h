// Run cgroups: a memory limit for the whole process tree, a process-count
// limit where the pids controller is available, and CPU accounting. Each is
// created once and reused by later runs (CgroupPool): creating and removing
// cgroup directories cost about 1 ms of wall time per run.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "steer/util/result.h"

namespace steer::sandbox::internal {

// Where run cgroups can be created. Found by ProbeCgroups: the caller's
// own cgroup in each hierarchy, checked writable by creating and removing a
// probe directory.
struct CgroupSupport {
  int memory_version = 0;     // 0 none, 1 v1 memory controller, 2 unified
  std::string memory_parent;  // directory the run memory cgroup goes in
  bool memsw = false;         // v1 memory.memsw.limit_in_bytes exists
  std::string pids_parent;    // v1 pids directory (v2: same as memory_parent)
  std::string cpuacct_parent; // v1 cpuacct directory (v2: cpu.stat of the memory cgroup)
};

CgroupSupport ProbeCgroups();

// One cgroup per hierarchy (memory, pids, cpuacct; v2: one directory), used
// by one run at a time. Life cycle: Create, then per run Prepare, Attach,
// the run, OomKills/CpuMs, WaitEmpty; finally Remove.
class RunCgroup {
 public:
  static Result<RunCgroup> Create(const CgroupSupport& support, const std::string& name);
  RunCgroup() = default;

  // Sets the limits for the next run (rewritten only when they differ from
  // the last run's) and takes the baselines OomKills and CpuMs count from.
  // Requires an empty cgroup (after Create, or WaitEmpty returned true).
  Status Prepare(int64_t memory_bytes, int max_procs);
  // Moves the process `pid` (all its threads) into the cgroup.
  Status Attach(pid_t pid) const;
  // v1: the "tasks" file of each directory, for a process to join by
  // itself (launcher.h, cgroup_tasks); v2: empty, use Attach.
  std::vector<std::string> TaskFiles() const;
  // OOM kills in this cgroup since Prepare (v1 memory.oom_control / v2 memory.events).
  int64_t OomKills() const;
  // CPU time of every task that ran in the cgroup since Prepare, ms; -1 when
  // unknown. Unlike rusage it includes tasks killed with the PID namespace.
  int64_t CpuMs() const;
  // Whether no task is left in any of the directories, polling for up to
  // `wait_ms` while the kernel releases exiting tasks. v2 kills stragglers
  // through cgroup.kill first.
  bool WaitEmpty(int wait_ms);
  // Removes the directories, retrying while the kernel finishes teardown.
  Status Remove();

 private:
  // The distinct directories (v2: memory_dir_ only), memory first.
  std::vector<const std::string*> Dirs() const;
  int64_t OomCounter() const;
  int64_t CpuNs() const;

  int version_ = 0;
  bool memsw_ = false;
  std::string memory_dir_;
  std::string pids_dir_;     // v2: equal to memory_dir_ when pids is delegated
  std::string cpuacct_dir_;
  int64_t memory_limit_ = -1;  // as last written; -1: never
  int pids_limit_ = -1;
  int64_t oom_base_ = 0;
  int64_t cpu_base_ns_ = 0;
};

// Idle run cgroups, shared by the copies of one Sandbox. A run takes one
// (creating it when none is idle) and gives it back once its tree is dead;
// there are at most as many as runs were ever concurrent, i.e. worker slots.
// The destructor removes them. Thread-safe. After a fork the child neither
// reuses nor removes the parent's idle cgroups: it creates and removes its
// own per run.
class CgroupPool {
 public:
  explicit CgroupPool(CgroupSupport support) : support_(std::move(support)), owner_(getpid()) {}
  ~CgroupPool();
  CgroupPool(const CgroupPool&) = delete;
  CgroupPool& operator=(const CgroupPool&) = delete;

  // An empty cgroup with the limits set and baselines taken.
  Result<RunCgroup> Take(int64_t memory_bytes, int max_procs);
  // Back into the pool when empty; otherwise (a task survived the run, which
  // only the insecure level without a PID namespace allows) removed.
  void Give(RunCgroup cgroup);

 private:
  const CgroupSupport support_;
  const pid_t owner_;  // the process the idle cgroups belong to
  std::mutex mu_;
  std::vector<RunCgroup> idle_;  // guarded by mu_
  uint64_t created_ = 0;         // guarded by mu_; names the next cgroup
};

}  // namespace steer::sandbox::internal
