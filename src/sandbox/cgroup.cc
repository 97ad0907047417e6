#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

namespace steer::sandbox::internal {
namespace {

std::string ReadSmall(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteValue(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = write(fd, value.data(), value.size());
  close(fd);
  return n == static_cast<ssize_t>(value.size());
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

bool ProbeWritable(const std::string& dir) {
  std::string probe = dir + "/steer-probe-" + std::to_string(getpid());
  if (mkdir(probe.c_str(), 0755) != 0) return false;
  rmdir(probe.c_str());
  return true;
}

struct Hierarchy {
  std::string mount_point;
  std::string mount_root;
  std::string own_path;  // the caller's cgroup, relative to the hierarchy root
};

// Whether the comma-separated `list` contains `item`.
bool HasListItem(const std::string& list, const std::string& item) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string::npos) end = list.size();
    if (list.compare(pos, end - pos, item) == 0) return true;
    pos = end + 1;
  }
  return false;
}

// The caller's directory in a hierarchy: mount point + (own path - mount root).
std::string OwnDir(const Hierarchy& h) {
  std::string rel = h.own_path;
  if (h.mount_root != "/" && rel.rfind(h.mount_root, 0) == 0) rel = rel.substr(h.mount_root.size());
  if (rel == "/") rel.clear();
  return h.mount_point + rel;
}

// Finds the hierarchy with fstype `fstype` whose super options contain
// `controller` (empty for cgroup2), from /proc/self/mountinfo and /proc/self/cgroup.
bool FindHierarchy(const std::string& fstype, const std::string& controller, Hierarchy* out) {
  std::istringstream mounts(ReadSmall("/proc/self/mountinfo"));
  std::string line;
  bool found = false;
  while (std::getline(mounts, line)) {
    std::istringstream ls(line);
    std::vector<std::string> f;
    std::string w;
    while (ls >> w) f.push_back(w);
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 3 >= f.size() + 1 || dash + 1 >= f.size()) continue;
    if (f[dash + 1] != fstype) continue;
    if (!controller.empty()) {
      if (!HasListItem(dash + 3 < f.size() ? f[dash + 3] : std::string(), controller)) continue;
    }
    out->mount_root = f[3];
    out->mount_point = f[4];
    found = true;
    break;
  }
  if (!found) return false;
  std::istringstream groups(ReadSmall("/proc/self/cgroup"));
  while (std::getline(groups, line)) {
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1);
    bool match = controller.empty() ? line.substr(0, a) == "0" && ctrls.empty() : HasListItem(ctrls, controller);
    if (match) {
      out->own_path = line.substr(b + 1);
      return true;
    }
  }
  return false;
}

bool ContainsWord(const std::string& text, const std::string& word) {
  std::istringstream ss(text);
  std::string w;
  while (ss >> w)
    if (w == word) return true;
  return false;
}

}  // namespace

CgroupSupport ProbeCgroups() {
  CgroupSupport s;
  Hierarchy h;
  if (FindHierarchy("cgroup2", "", &h)) {
    std::string dir = OwnDir(h);
    if (ContainsWord(ReadSmall(dir + "/cgroup.subtree_control"), "memory") && ProbeWritable(dir)) {
      s.memory_version = 2;
      s.memory_parent = dir;
      if (ContainsWord(ReadSmall(dir + "/cgroup.subtree_control"), "pids")) s.pids_parent = dir;
      return s;
    }
  }
  if (FindHierarchy("cgroup", "memory", &h)) {
    std::string dir = OwnDir(h);
    if (Exists(dir + "/memory.limit_in_bytes") && ProbeWritable(dir)) {
      s.memory_version = 1;
      s.memory_parent = dir;
      s.memsw = Exists(dir + "/memory.memsw.limit_in_bytes");
    }
  }
  if (s.memory_version == 1 && FindHierarchy("cgroup", "pids", &h)) {
    std::string dir = OwnDir(h);
    if (ProbeWritable(dir)) s.pids_parent = dir;
  }
  if (s.memory_version == 1 && FindHierarchy("cgroup", "cpuacct", &h)) {
    std::string dir = OwnDir(h);
    if (Exists(dir + "/cpuacct.usage") && ProbeWritable(dir)) s.cpuacct_parent = dir;
  }
  return s;
}

Result<RunCgroup> RunCgroup::Create(const CgroupSupport& support, const std::string& name) {
  RunCgroup cg;
  cg.version_ = support.memory_version;
  cg.memsw_ = support.memsw;
  if (cg.version_ == 0) return cg;
  auto fail = [&](const std::string& what, const std::string& path) {
    std::string msg = what + " (" + std::strerror(errno) + ")";
    (void)cg.Remove();
    return MakeError(ErrorCode::kIo, msg, path);
  };
  cg.memory_dir_ = support.memory_parent + "/" + name;
  if (mkdir(cg.memory_dir_.c_str(), 0755) != 0) {
    std::string dir = cg.memory_dir_;
    cg.memory_dir_.clear();
    return fail("cannot create cgroup", dir);
  }
  if (cg.version_ == 2) {
    WriteValue(cg.memory_dir_ + "/memory.swap.max", "0");
    if (!support.pids_parent.empty()) cg.pids_dir_ = cg.memory_dir_;  // pids.max lives there
    return cg;
  }
  for (auto [parent, dir] : {std::pair{&support.pids_parent, &cg.pids_dir_},
                             std::pair{&support.cpuacct_parent, &cg.cpuacct_dir_}}) {
    if (parent->empty()) continue;
    *dir = *parent + "/" + name;
    if (mkdir(dir->c_str(), 0755) != 0) {
      std::string path = *dir;
      dir->clear();
      return fail("cannot create cgroup", path);
    }
  }
  return cg;
}

Status RunCgroup::Prepare(int64_t memory_bytes, int max_procs) {
  if (version_ == 0) return {};
  auto set = [&](const std::string& file, const std::string& value) -> Status {
    if (WriteValue(file, value)) return {};
    return MakeError(ErrorCode::kIo, std::string("cannot write cgroup limit (") + std::strerror(errno) + ")", file);
  };
  if (memory_bytes != memory_limit_) {
    const std::string mem = std::to_string(memory_bytes);
    memory_limit_ = -1;  // unknown until both writes succeed
    if (version_ == 2) {
      STEER_RETURN_IF_ERROR(set(memory_dir_ + "/memory.max", mem));
    } else {
      // v1 requires memsw >= limit at every step: raise memsw first, lower it last.
      const std::string limit = memory_dir_ + "/memory.limit_in_bytes";
      const std::string memsw = memory_dir_ + "/memory.memsw.limit_in_bytes";
      const bool raise = std::strtoll(ReadSmall(limit).c_str(), nullptr, 10) < memory_bytes;
      if (memsw_ && raise) STEER_RETURN_IF_ERROR(set(memsw, mem));
      STEER_RETURN_IF_ERROR(set(limit, mem));
      if (memsw_ && !raise) STEER_RETURN_IF_ERROR(set(memsw, mem));
    }
    memory_limit_ = memory_bytes;
  }
  if (!pids_dir_.empty() && max_procs != pids_limit_) {
    pids_limit_ = -1;
    STEER_RETURN_IF_ERROR(set(pids_dir_ + "/pids.max", std::to_string(max_procs)));
    pids_limit_ = max_procs;
  }
  oom_base_ = OomCounter();
  cpu_base_ns_ = CpuNs();
  return {};
}

std::vector<const std::string*> RunCgroup::Dirs() const {
  std::vector<const std::string*> dirs;
  for (const std::string* dir : {&memory_dir_, &pids_dir_, &cpuacct_dir_}) {
    if (!dir->empty() && (dir == &memory_dir_ || *dir != memory_dir_)) dirs.push_back(dir);
  }
  return dirs;
}

Status RunCgroup::Attach(pid_t pid) const {
  std::string p = std::to_string(pid);
  for (const std::string* dir : Dirs()) {
    if (!WriteValue(*dir + "/cgroup.procs", p))
      return MakeError(ErrorCode::kIo, std::string("cannot attach to cgroup (") + std::strerror(errno) + ")", *dir);
  }
  return {};
}

std::vector<std::string> RunCgroup::TaskFiles() const {
  std::vector<std::string> files;
  if (version_ != 1) return files;
  for (const std::string* dir : Dirs()) files.push_back(*dir + "/tasks");
  return files;
}

int64_t RunCgroup::OomCounter() const {
  if (memory_dir_.empty()) return 0;
  std::istringstream ss(ReadSmall(memory_dir_ + (version_ == 2 ? "/memory.events" : "/memory.oom_control")));
  std::string key;
  int64_t value;
  while (ss >> key >> value)
    if (key == "oom_kill") return value;
  return 0;
}

int64_t RunCgroup::OomKills() const { return OomCounter() - oom_base_; }

int64_t RunCgroup::CpuNs() const {
  if (version_ == 2) {
    std::istringstream ss(ReadSmall(memory_dir_ + "/cpu.stat"));
    std::string key;
    int64_t value;
    while (ss >> key >> value)
      if (key == "usage_usec") return value * 1000;
    return -1;
  }
  if (cpuacct_dir_.empty()) return -1;
  std::string s = ReadSmall(cpuacct_dir_ + "/cpuacct.usage");
  char* end = nullptr;
  long long ns = std::strtoll(s.c_str(), &end, 10);
  return end == s.c_str() ? -1 : ns;
}

int64_t RunCgroup::CpuMs() const {
  const int64_t now = CpuNs();
  return now < 0 || cpu_base_ns_ < 0 ? -1 : (now - cpu_base_ns_) / 1000000;
}

bool RunCgroup::WaitEmpty(int wait_ms) {
  if (version_ == 0) return true;
  auto empty = [&] {
    for (const std::string* dir : Dirs()) {
      std::string procs = ReadSmall(*dir + "/cgroup.procs");
      if (procs.find_first_not_of(" \n") != std::string::npos) return false;
    }
    return true;
  };
  if (empty()) return true;
  if (version_ == 2) WriteValue(memory_dir_ + "/cgroup.kill", "1");
  for (int waited = 0; waited < wait_ms; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (empty()) return true;
  }
  return false;
}

Status RunCgroup::Remove() {
  Status status;
  if (pids_dir_ == memory_dir_) pids_dir_.clear();  // v2: one directory
  for (std::string* dir : {&memory_dir_, &pids_dir_, &cpuacct_dir_}) {
    if (dir->empty()) continue;
    // The tree is dead when this is called, but the kernel may still be
    // releasing the last tasks; v2 can also kill stragglers itself.
    if (version_ == 2) WriteValue(*dir + "/cgroup.kill", "1");
    bool removed = false;
    for (int attempt = 0; attempt < 200 && !removed; ++attempt) {
      removed = rmdir(dir->c_str()) == 0 || errno == ENOENT;
      if (!removed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!removed && status.ok())
      status = MakeError(ErrorCode::kIo, std::string("cannot remove cgroup (") + std::strerror(errno) + ")", *dir);
    dir->clear();
  }
  return status;
}

CgroupPool::~CgroupPool() {
  if (getpid() != owner_) return;
  for (RunCgroup& cg : idle_) (void)cg.Remove();
}

Result<RunCgroup> CgroupPool::Take(int64_t memory_bytes, int max_procs) {
  RunCgroup cg;
  bool reused = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty() && getpid() == owner_) {
      cg = std::move(idle_.back());
      idle_.pop_back();
      reused = true;
    }
  }
  if (reused) {
    // Lowering a limit below what the last run left charged (page cache)
    // fails when the kernel cannot reclaim it; a fresh cgroup then.
    if (cg.Prepare(memory_bytes, max_procs).ok()) return cg;
    (void)cg.Remove();
  }
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = "steer-" + std::to_string(getpid()) + "-" + std::to_string(created_++);
  }
  STEER_ASSIGN_OR_RETURN(cg, RunCgroup::Create(support_, name));
  Status prepared = cg.Prepare(memory_bytes, max_procs);
  if (!prepared.ok()) {
    (void)cg.Remove();
    return prepared.error();
  }
  return cg;
}

void CgroupPool::Give(RunCgroup cgroup) {
  if (!cgroup.WaitEmpty(/*wait_ms=*/1000) || getpid() != owner_) {
    (void)cgroup.Remove();
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(cgroup));
}

}  // namespace steer::sandbox::internal
