// Per-run cgroups: a memory limit for the whole process tree, a process-count
// limit where the pids controller is available, and a kill switch.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "steer/util/result.h"

namespace steer::sandbox::internal {

// Where per-run cgroups can be created. Found by ProbeCgroups: the caller's
// own cgroup in each hierarchy, checked writable by creating and removing a
// probe directory.
struct CgroupSupport {
  int memory_version = 0;     // 0 none, 1 v1 memory controller, 2 unified
  std::string memory_parent;  // directory the per-run memory cgroup goes in
  bool memsw = false;         // v1 memory.memsw.limit_in_bytes exists
  std::string pids_parent;    // v1 pids directory (v2: same as memory_parent)
  std::string cpuacct_parent; // v1 cpuacct directory (v2: cpu.stat of the memory cgroup)
};

CgroupSupport ProbeCgroups();

// One run's cgroups. Remove() must be called after the tree is dead.
class RunCgroup {
 public:
  static Result<RunCgroup> Create(const CgroupSupport& support, const std::string& name,
                                  int64_t memory_bytes, int max_procs);
  RunCgroup() = default;

  Status Attach(pid_t pid) const;
  // OOM kills in this cgroup so far (v1 memory.oom_control / v2 memory.events).
  int64_t OomKills() const;
  // CPU time of every task that ran in the cgroup, ms; -1 when unknown. Unlike
  // rusage it includes tasks killed with the PID namespace.
  int64_t CpuMs() const;
  // Removes the directories, retrying while the kernel finishes teardown.
  Status Remove();

 private:
  int version_ = 0;
  std::string memory_dir_;
  std::string pids_dir_;
  std::string cpuacct_dir_;
};

}  // namespace steer::sandbox::internal
