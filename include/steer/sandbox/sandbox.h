// Running untrusted programs under hard limits.
//
// Each Run starts a fresh PID-1 reaper in new PID, network, mount, IPC and UTS
// namespaces (plus a user namespace when the caller is not root). Inside it:
// a read-only view of the host root, a size- and inode-limited tmpfs as the
// working directory (/tmp, also HOME), a fresh /proc, a minimal /dev with a
// tiny /dev/shm, no network (the new namespace's loopback is down). The
// program runs under a per-slot unprivileged uid (kSlotUidBase + slot) with
// no_new_privs, a seccomp filter, rlimits (CPU, FSIZE, NOFILE, NPROC, CORE=0)
// and a memory limit from a run cgroup (v2, else v1 memory + pids), else
// RLIMIT_AS. When the program exits, hits the wall deadline or exceeds an
// output cap, the reaper and with it the whole PID namespace is killed:
// nothing outlives a run. Run cgroups are reused: one per concurrent run,
// checked empty after each run and given fresh limits and counter baselines
// before the next; the last copy of the Sandbox removes them. Network
// namespaces are reused the same way when the caller is root.
//
// Thread safety: Run may be called concurrently from several threads as long
// as each concurrent call uses a different slot (the slot picks the uid and so
// the RLIMIT_NPROC budget). The child side of the launcher allocates nothing
// between clone and execve.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "steer/util/result.h"

namespace steer::sandbox {

namespace internal {
class CgroupPool;
class NetnsPool;
}  // namespace internal

inline constexpr int kSlotUidBase = 60000;

enum class RunStatus : uint8_t {
  kOk,           // the program ran to its own exit, whatever its exit code
  kTimeout,      // wall deadline or CPU limit
  kMemory,       // the memory limit was hit (OOM kill or RLIMIT_AS failure)
  kOutputLimit,  // stdout or stderr exceeded the cap; the tree was killed
  kKilled,       // killed by a signal for another reason
  kError,        // the launcher failed (exec failed, setup refused, ...)
};
const char* RunStatusName(RunStatus status);

// What the machine supports, most isolated first. Each level includes the
// features of the levels below it.
enum class IsolationLevel : uint8_t {
  kNone = 0,        // plain fork + rlimits (insecure)
  kNamespaces = 1,  // namespaces, read-only root, seccomp, rlimits; memory via RLIMIT_AS
  kCgroup = 2,      // kNamespaces + run memory cgroup (+ pids cgroup where present)
};
const char* IsolationLevelName(IsolationLevel level);

struct SandboxConfig {
  // Run refuses when the probed level is below this, unless `insecure`.
  IsolationLevel minimum = IsolationLevel::kCgroup;
  bool insecure = false;
  // Feature switches (tests use them to exercise the degraded paths). A
  // feature the machine lacks is off whatever these say.
  bool use_cgroup = true;
  bool use_namespaces = true;
  // The interpreter path that Python helpers should use (not a pyenv shim).
  std::string python = "/usr/bin/python3";
};

struct RunSpec {
  std::vector<std::string> argv;  // argv[0] is resolved through PATH when it has no '/'
  std::string stdin_data;
  // Files created in the working directory (/tmp) before the program starts:
  // (relative name without '/', contents).
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<std::string> env;   // KEY=VALUE; PATH, HOME, LANG are added if absent
  double timeout_s = 10.0;        // wall clock
  double cpu_s = 0;               // RLIMIT_CPU; 0 means ceil(timeout_s) + 1
  int64_t memory_mb = 512;
  int64_t output_limit_bytes = 1 << 20;  // per stream
  int64_t file_size_mb = 64;             // RLIMIT_FSIZE
  int64_t tmpfs_mb = 64;                 // working-directory size
  int64_t tmpfs_inodes = 4096;
  int max_procs = 64;                    // RLIMIT_NPROC for the slot uid, pids.max
  int max_open_files = 256;              // RLIMIT_NOFILE
  int slot = 0;                          // worker slot: uid kSlotUidBase + slot
};

struct RunResult {
  RunStatus status = RunStatus::kError;
  bool has_exit_code = false;
  int exit_code = 0;
  bool has_signal = false;
  int signal = 0;
  int64_t cpu_ms = 0;       // user + system of the whole tree
  int64_t wall_ms = 0;
  int64_t max_rss_kb = 0;   // largest resident set of any process in the tree
  std::string stdout_data;  // truncated to the cap
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string isolation;  // the level and features used, e.g. "cgroup:ns=pid,net,..."
  std::string error;      // launcher error text when status == kError
};

// One JSON object on one line, in the CLI contract's shape.
std::string RunResultJson(const RunResult& result);

struct Probe {
  IsolationLevel level = IsolationLevel::kNone;
  bool root = false;
  bool user_namespaces = false;  // usable when not root
  bool namespaces = false;
  bool seccomp = false;
  int cgroup_version = 0;        // 0: no run memory cgroup
  std::string cgroup_memory;     // the directory run memory cgroups go in
  bool cgroup_memsw = false;     // v1 memory.memsw.limit_in_bytes exists
  std::string cgroup_pids;       // v1 pids dir or empty
  std::string cgroup_cpuacct;    // v1 cpuacct dir or empty
  std::string description;       // what `isolation` reports
};

class Sandbox {
 public:
  // Probes the machine (namespaces, cgroups, seccomp). Errors only when the
  // probed level is below config.minimum and config.insecure is false.
  static Result<Sandbox> Create(const SandboxConfig& config = {});

  const Probe& probe() const { return probe_; }
  const SandboxConfig& config() const { return config_; }

  // Runs spec.argv in the sandbox. A program that fails, crashes or
  // misbehaves is a RunResult with the matching status; only a bad spec
  // (empty argv, bad file name, slot < 0) is an Error.
  Result<RunResult> Run(const RunSpec& spec) const;

 private:
  Sandbox(SandboxConfig config, Probe probe);
  SandboxConfig config_;
  Probe probe_;
  std::vector<uint8_t> seccomp_bpf_;  // sock_filter array, built once
  // Idle run cgroups, shared by copies; null without cgroup support.
  std::shared_ptr<internal::CgroupPool> cgroups_;
  // Idle network namespaces (root only), shared by copies; else null.
  std::shared_ptr<internal::NetnsPool> netns_;
};

}  // namespace steer::sandbox
