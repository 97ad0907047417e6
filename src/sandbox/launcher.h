// The child side of Sandbox::Run. Everything the child needs is computed by
// the parent into a ChildPlan before clone; the child then only makes system
// calls (no allocation, no locks, no glibc functions that touch thread state)
// because the parent may be multi-threaded.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <vector>

namespace steer::sandbox::internal {

struct PlannedFile {
  const char* path;  // absolute, under the staged root
  const char* data;
  size_t size;
};

struct PlannedLimit {
  int resource;
  rlimit limit;
};

struct ChildPlan {
  // Pipe ends the child uses; every other descriptor is closed before exec.
  int stdin_r = -1, stdout_w = -1, stderr_w = -1;
  int go_r = -1;      // the parent writes one byte once (v2) cgroups and uid maps are set
  int err_w = -1;     // close-on-exec: a setup failure writes "<step>: errno"
  int status_w = -1;  // the reaper writes the program's wait status (int)

  bool namespaces = false;  // false: plain fork + rlimits (insecure level)
  bool user_namespace = false;
  // An idle network namespace the reaper joins first (cloned without
  // CLONE_NEWNET then); -1: the clone made a new one (or none, insecure).
  int net_fd = -1;
  // v1 cgroup "tasks" files the reaper writes "0" to, joining each cgroup
  // itself before anything else. A thread moving only itself skips the
  // global threadgroup lock (and its RCU grace period, up to ~15 ms seen
  // here) that the parent writing the reaper's pid to cgroup.procs takes.
  std::vector<const char*> cgroup_tasks;
  bool drop_uid = false;
  uid_t uid = 0;
  gid_t gid = 0;

  // Mount plan (namespaces only). Paths are absolute in the child's view.
  const char* stage = nullptr;     // where a scratch tmpfs is mounted
  const char* new_root = nullptr;  // stage + "/root": the recursive bind of "/"
  std::vector<const char*> detach;        // host mounts hidden from the sandbox
  std::vector<const char*> read_only;     // mounts remounted read-only, parents first
  // Directories covered by an empty read-only tmpfs: /run holds host unix
  // sockets, which a read-only bind does not stop connect() from reaching.
  std::vector<const char*> hide;
  const char* proc_dir = nullptr;
  const char* dev_dir = nullptr;
  std::vector<const char*> dev_nodes;      // host paths, e.g. "/dev/null"
  std::vector<const char*> dev_targets;    // same, under new_root
  std::vector<const char*> dev_links_from; // link names under new_root/dev
  std::vector<const char*> dev_links_to;
  const char* shm_dir = nullptr;
  const char* shm_options = nullptr;
  const char* work_dir = nullptr;          // under new_root
  const char* work_options = nullptr;
  const char* work_dir_inside = nullptr;   // "/tmp" after pivot
  std::vector<PlannedFile> files;

  std::vector<PlannedLimit> limits;
  sock_fprog seccomp{};  // len == 0: no filter
  const char* exe = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
};

// Runs in the cloned child (PID 1 of the new PID namespace when
// plan.namespaces). Never returns.
[[noreturn]] void RunChild(const ChildPlan& plan);

}  // namespace steer::sandbox::internal
