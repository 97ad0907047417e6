// Empty network namespaces reused across runs. Creating one costs about
// 0.3 ms in clone plus asynchronous teardown work in the kernel; a run
// instead joins an idle one with setns. Nothing a run can do outlives it
// there: the program has no capability in the namespace (its loopback stays
// down, routes and sysctls unchanged), and its sockets close when the tree
// dies. Used only when steer is root, since joining a namespace owned by
// the initial user namespace needs CAP_SYS_ADMIN in it.
#pragma once

#include <unistd.h>

#include <mutex>
#include <vector>

#include "steer/util/result.h"

namespace steer::sandbox::internal {

// Idle namespaces as open descriptors (close-on-exec), shared by the copies
// of one Sandbox; one per concurrent run, so concurrent runs never share a
// namespace. Thread-safe. After a fork the child does not reuse the
// parent's idle namespaces (they could be in use there): it makes its own
// per run.
class NetnsPool {
 public:
  NetnsPool() : owner_(getpid()) {}
  ~NetnsPool();  // closes the descriptors; the kernel frees each namespace
  NetnsPool(const NetnsPool&) = delete;
  NetnsPool& operator=(const NetnsPool&) = delete;

  // A descriptor of an idle namespace, or of a new one.
  Result<int> Take();
  // Back into the pool once the run's tree is dead.
  void Give(int fd);

 private:
  const pid_t owner_;  // the process the idle namespaces are reused in
  std::mutex mu_;
  std::vector<int> idle_;  // guarded by mu_
};

}  // namespace steer::sandbox::internal
