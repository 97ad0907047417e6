#include "steer/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>

#include "cgroup.h"
#include "launcher.h"
#include "netns.h"
#include "seccomp_filter.h"
#include "steer/util/strings.h"

namespace steer::sandbox {

using internal::CgroupSupport;
using internal::ChildPlan;
using internal::RunCgroup;

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kOk: return "ok";
    case RunStatus::kTimeout: return "timeout";
    case RunStatus::kMemory: return "memory";
    case RunStatus::kOutputLimit: return "output_limit";
    case RunStatus::kKilled: return "killed";
    case RunStatus::kError: return "error";
  }
  return "error";
}

const char* IsolationLevelName(IsolationLevel level) {
  switch (level) {
    case IsolationLevel::kNone: return "none";
    case IsolationLevel::kNamespaces: return "namespaces";
    case IsolationLevel::kCgroup: return "cgroup";
  }
  return "none";
}

std::string RunResultJson(const RunResult& r) {
  std::string out = "{\"status\":";
  AppendJsonString(RunStatusName(r.status), &out);
  out += ",\"exit_code\":" + (r.has_exit_code ? std::to_string(r.exit_code) : std::string("null"));
  out += ",\"signal\":" + (r.has_signal ? std::to_string(r.signal) : std::string("null"));
  out += ",\"cpu_ms\":" + std::to_string(r.cpu_ms);
  out += ",\"wall_ms\":" + std::to_string(r.wall_ms);
  out += ",\"max_rss_kb\":" + std::to_string(r.max_rss_kb);
  out += ",\"stdout\":";
  AppendJsonString(r.stdout_data, &out);
  out += ",\"stderr\":";
  AppendJsonString(r.stderr_data, &out);
  out += ",\"isolation\":";
  AppendJsonString(r.isolation, &out);
  if (!r.error.empty()) {
    out += ",\"error\":";
    AppendJsonString(r.error, &out);
  }
  out += "}";
  return out;
}

namespace {

constexpr int kNamespaceFlags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
constexpr const char* kPath = "/usr/local/bin:/usr/bin:/bin";

bool ProbeNamespaces(bool user) {
  int flags = kNamespaceFlags | (user ? CLONE_NEWUSER : 0);
  long pid = syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) return false;
  if (pid == 0) _exit(0);
  int st = 0;
  waitpid(static_cast<pid_t>(pid), &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

// Mount points of the caller's namespace, in /proc/self/mountinfo order
// (parents before children), with octal escapes decoded.
std::vector<std::string> MountPoints() {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> points;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string f[5];
    for (auto& x : f) ls >> x;
    std::string decoded;
    for (size_t i = 0; i < f[4].size(); ++i) {
      auto octal = [&](size_t k) { return k < f[4].size() && f[4][k] >= '0' && f[4][k] <= '7'; };
      if (f[4][i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
        decoded += static_cast<char>((f[4][i + 1] - '0') * 64 + (f[4][i + 2] - '0') * 8 + (f[4][i + 3] - '0'));
        i += 3;
      } else {
        decoded += f[4][i];
      }
    }
    points.push_back(decoded);
  }
  return points;
}

bool Under(const std::string& path, const char* dir) {
  size_t n = std::strlen(dir);
  return path.compare(0, n, dir) == 0 && (path.size() == n || path[n] == '/');
}

std::string ResolveExe(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  for (std::string_view dir : Split(kPath, ":")) {
    std::string p = std::string(dir) + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

int64_t MonotonicMs(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

struct Pipe {
  int r = -1, w = -1;
  bool Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    r = fds[0];
    w = fds[1];
    return true;
  }
  void CloseR() { if (r >= 0) close(r); r = -1; }
  void CloseW() { if (w >= 0) close(w); w = -1; }
  ~Pipe() { CloseR(); CloseW(); }
};

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}

// Insecure level (no PID namespace): the tree is the reaper and the program's
// process group, whose id is the program pid, the first int on the status pipe.
void KillInsecureTree(pid_t reaper, const std::string& status_bytes) {
  if (status_bytes.size() >= sizeof(int)) {
    int program = 0;
    std::memcpy(&program, status_bytes.data(), sizeof(int));
    if (program > 0) kill(-program, SIGKILL);
  }
  kill(reaper, SIGKILL);
}

}  // namespace

Sandbox::Sandbox(SandboxConfig config, Probe probe) : config_(std::move(config)), probe_(std::move(probe)) {}

Result<Sandbox> Sandbox::Create(const SandboxConfig& config) {
  Probe p;
  p.root = geteuid() == 0;
  if (config.use_namespaces) {
    if (p.root) {
      p.namespaces = ProbeNamespaces(false);
    } else {
      p.user_namespaces = ProbeNamespaces(true);
      p.namespaces = p.user_namespaces;
    }
  }
  auto bpf = internal::BuildSeccompFilter();
  p.seccomp = bpf.ok();
  const CgroupSupport cg = config.use_cgroup ? internal::ProbeCgroups() : CgroupSupport{};
  if (cg.memory_version != 0) {
    p.cgroup_version = cg.memory_version;
    p.cgroup_memory = cg.memory_parent;
    p.cgroup_memsw = cg.memsw;
    p.cgroup_pids = cg.pids_parent;
    p.cgroup_cpuacct = cg.cpuacct_parent;
  }
  if (p.namespaces && p.seccomp) {
    p.level = p.cgroup_memory.empty() ? IsolationLevel::kNamespaces : IsolationLevel::kCgroup;
  }
  std::string d = IsolationLevelName(p.level);
  if (p.namespaces) {
    d += p.user_namespaces ? " ns=user,pid,net,mnt,ipc,uts uid=ns-root,caps-dropped"
                           : " ns=pid,net,mnt,ipc,uts uid=" + std::to_string(kSlotUidBase) + "+slot";
    d += " root=ro work=tmpfs dev=minimal";
  } else {
    d += p.root ? " ns=none uid=" + std::to_string(kSlotUidBase) + "+slot" : " ns=none uid=caller";
  }
  if (p.seccomp) d += " seccomp";
  d += " nnp";
  if (!p.cgroup_memory.empty()) {
    d += " memory=cgroup-v" + std::to_string(cg.memory_version);
    if (!p.cgroup_pids.empty()) d += " pids=cgroup";
  } else {
    d += " memory=rlimit-as";
  }
  d += " rlimits=cpu,fsize,nofile,nproc,core";
  p.description = d;
  if (p.level < config.minimum && !config.insecure) {
    return MakeError(ErrorCode::kUnsupported,
                     std::string("this machine supports isolation level '") + IsolationLevelName(p.level) +
                         "' but the minimum is '" + IsolationLevelName(config.minimum) +
                         "' (" + d + "); use --insecure to run anyway",
                     "sandbox");
  }
  Sandbox sb(config, std::move(p));
  if (bpf.ok()) sb.seccomp_bpf_ = std::move(bpf).value();
  if (cg.memory_version != 0) sb.cgroups_ = std::make_shared<internal::CgroupPool>(cg);
  if (sb.probe_.namespaces && !sb.probe_.user_namespaces) sb.netns_ = std::make_shared<internal::NetnsPool>();
  return sb;
}

Result<RunResult> Sandbox::Run(const RunSpec& spec) const {
  if (spec.argv.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty command", "sandbox run");
  if (spec.slot < 0 || spec.slot > 4000)
    return MakeError(ErrorCode::kInvalidArgument, "slot must be in [0, 4000]", "sandbox run");
  if (spec.timeout_s <= 0 || spec.memory_mb <= 0 || spec.output_limit_bytes < 0 || spec.max_procs <= 0)
    return MakeError(ErrorCode::kInvalidArgument, "timeout, memory and max_procs must be positive", "sandbox run");
  for (const auto& [name, data] : spec.files) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos)
      return MakeError(ErrorCode::kInvalidArgument, "bad file name '" + name + "'", "sandbox run files");
  }

  RunResult result;
  const bool ns = probe_.namespaces;
  const bool userns = ns && probe_.user_namespaces;
  const bool drop_uid = probe_.root;
  const uid_t uid = static_cast<uid_t>(kSlotUidBase + spec.slot);
  result.isolation = probe_.description;
  if (drop_uid) result.isolation += " slot_uid=" + std::to_string(uid);

  std::string exe = ResolveExe(spec.argv[0]);
  if (exe.empty()) {
    result.status = RunStatus::kError;
    result.error = "command not found in " + std::string(kPath) + ": " + spec.argv[0];
    return result;
  }

  // Strings the child points into; a deque keeps c_str() stable.
  std::deque<std::string> keep;
  auto cs = [&](std::string s) { keep.push_back(std::move(s)); return keep.back().c_str(); };

  ChildPlan plan;
  plan.namespaces = ns;
  plan.user_namespace = userns;
  plan.drop_uid = drop_uid;
  plan.uid = uid;
  plan.gid = static_cast<gid_t>(uid);
  const std::string root = "/tmp/root";
  std::string host_work;  // insecure level: a host temporary directory
  if (ns) {
    plan.stage = "/tmp";
    plan.new_root = cs(root);
    for (const char* d : {"/proc", "/sys", "/dev", "/tmp"}) plan.detach.push_back(cs(root + d));
    for (const std::string& m : MountPoints()) {
      if (Under(m, "/proc") || Under(m, "/sys") || Under(m, "/dev") || Under(m, "/tmp")) continue;
      plan.read_only.push_back(cs(m == "/" ? root : root + m));
    }
    for (const char* d : {"/run", "/var/run"}) {
      struct stat st;
      if (lstat(d, &st) == 0 && S_ISDIR(st.st_mode)) plan.hide.push_back(cs(root + d));
    }
    plan.proc_dir = cs(root + "/proc");
    plan.dev_dir = cs(root + "/dev");
    for (const char* n : {"null", "zero", "full", "random", "urandom"}) {
      plan.dev_nodes.push_back(cs(std::string("/dev/") + n));
      plan.dev_targets.push_back(cs(root + "/dev/" + n));
    }
    const char* links[][2] = {{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
                              {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
    for (auto& l : links) {
      plan.dev_links_from.push_back(cs(root + "/dev/" + l[0]));
      plan.dev_links_to.push_back(l[1]);
    }
    plan.shm_dir = cs(root + "/dev/shm");
    plan.shm_options = "size=1m,nr_inodes=64,mode=1777";
    plan.work_dir = cs(root + "/tmp");
    uid_t owner = drop_uid ? uid : 0;
    plan.work_options = cs("size=" + std::to_string(spec.tmpfs_mb) + "m,nr_inodes=" +
                           std::to_string(spec.tmpfs_inodes) + ",mode=0700,uid=" + std::to_string(owner) +
                           ",gid=" + std::to_string(owner));
    plan.work_dir_inside = "/tmp";
    for (const auto& [name, data] : spec.files)
      plan.files.push_back({cs(root + "/tmp/" + name), data.data(), data.size()});
  } else {
    char tmpl[] = "/tmp/steer-sandbox-XXXXXX";
    if (!mkdtemp(tmpl)) return MakeError(ErrorCode::kIo, "mkdtemp failed", "/tmp");
    host_work = tmpl;
    for (const auto& [name, data] : spec.files) {
      std::string p = host_work + "/" + name;
      std::ofstream(p, std::ios::binary) << data;
      if (drop_uid) (void)chown(p.c_str(), uid, uid);
    }
    if (drop_uid) (void)chown(host_work.c_str(), uid, uid);
    plan.work_dir_inside = cs(host_work);
  }

  double cpu_s = spec.cpu_s > 0 ? spec.cpu_s : std::ceil(spec.timeout_s) + 1;
  auto lim = [&](int res, uint64_t soft, uint64_t hard) {
    plan.limits.push_back({res, rlimit{soft, hard}});
  };
  lim(RLIMIT_CPU, static_cast<uint64_t>(std::ceil(cpu_s)), static_cast<uint64_t>(std::ceil(cpu_s)) + 1);
  uint64_t fsize = static_cast<uint64_t>(spec.file_size_mb) << 20;
  lim(RLIMIT_FSIZE, fsize, fsize);
  lim(RLIMIT_NOFILE, spec.max_open_files, spec.max_open_files);
  lim(RLIMIT_NPROC, spec.max_procs, spec.max_procs);
  lim(RLIMIT_CORE, 0, 0);
  const bool use_cgroup = !probe_.cgroup_memory.empty();
  const uint64_t memory_bytes = static_cast<uint64_t>(spec.memory_mb) << 20;
  if (!use_cgroup) lim(RLIMIT_AS, memory_bytes, memory_bytes);
  if (!seccomp_bpf_.empty()) {
    plan.seccomp.len = static_cast<unsigned short>(seccomp_bpf_.size() / sizeof(sock_filter));
    plan.seccomp.filter = reinterpret_cast<sock_filter*>(const_cast<uint8_t*>(seccomp_bpf_.data()));
  }
  plan.exe = cs(exe);
  std::vector<char*> argv, envp;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(cs(a)));
  argv.push_back(nullptr);
  bool has_path = false, has_home = false, has_lang = false;
  for (const std::string& e : spec.env) {
    has_path |= e.rfind("PATH=", 0) == 0;
    has_home |= e.rfind("HOME=", 0) == 0;
    has_lang |= e.rfind("LANG=", 0) == 0;
    envp.push_back(const_cast<char*>(cs(e)));
  }
  if (!has_path) envp.push_back(const_cast<char*>(cs(std::string("PATH=") + kPath)));
  if (!has_home) envp.push_back(const_cast<char*>(cs(std::string("HOME=") + plan.work_dir_inside)));
  if (!has_lang) envp.push_back(const_cast<char*>("LANG=C.UTF-8"));
  envp.push_back(nullptr);
  plan.argv = argv.data();
  plan.envp = envp.data();

  Pipe in, out, err, go, errp, status;
  for (Pipe* p : {&in, &out, &err, &go, &errp, &status}) {
    if (!p->Open()) return MakeError(ErrorCode::kIo, "pipe failed", "sandbox run");
  }
  plan.stdin_r = in.r;
  plan.stdout_w = out.w;
  plan.stderr_w = err.w;
  plan.go_r = go.r;
  plan.err_w = errp.w;
  plan.status_w = status.w;

  RunCgroup cgroup;
  if (use_cgroup) {
    STEER_ASSIGN_OR_RETURN(cgroup, cgroups_->Take(static_cast<int64_t>(memory_bytes), spec.max_procs + 2));
  }
  for (const std::string& tasks : cgroup.TaskFiles()) plan.cgroup_tasks.push_back(cs(tasks));
  if (netns_) {
    Result<int> net = netns_->Take();
    if (!net.ok()) {
      if (use_cgroup) cgroups_->Give(std::move(cgroup));
      return net.error();
    }
    plan.net_fd = *net;
  }

  // SIGPIPE from writing stdin to a program that exited is thread-directed:
  // block it here and discard it before returning.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

  auto t0 = std::chrono::steady_clock::now();
  int flags = SIGCHLD | (ns ? kNamespaceFlags | (userns ? CLONE_NEWUSER : 0) : 0);
  if (plan.net_fd >= 0) flags &= ~CLONE_NEWNET;
  long cloned = syscall(SYS_clone, flags, nullptr, nullptr, nullptr, 0);
  if (cloned == 0) internal::RunChild(plan);
  auto cleanup_common = [&]() {
    if (use_cgroup) cgroups_->Give(std::move(cgroup));
    if (plan.net_fd >= 0) netns_->Give(plan.net_fd);
    if (!host_work.empty()) nftw(host_work.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
    struct timespec zero {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  };
  if (cloned < 0) {
    int e = errno;
    cleanup_common();
    return MakeError(ErrorCode::kIo, std::string("clone failed: ") + std::strerror(e), "sandbox run");
  }
  const pid_t pid = static_cast<pid_t>(cloned);
  in.CloseR();
  out.CloseW();
  err.CloseW();
  go.CloseR();
  errp.CloseW();
  status.CloseW();

  Status setup;
  if (userns) {
    std::string base = "/proc/" + std::to_string(pid);
    std::pair<std::string, std::string> maps[] = {{"/setgroups", "deny"},
                                                  {"/uid_map", "0 " + std::to_string(geteuid()) + " 1"},
                                                  {"/gid_map", "0 " + std::to_string(getegid()) + " 1"}};
    for (const auto& [file, text] : maps) {
      std::ofstream f(base + file);
      f << text;
      f.flush();
      if (!f && setup.ok())
        setup = MakeError(ErrorCode::kIo, "cannot write the user namespace map (is this process dumpable?)",
                          base + file);
    }
  }
  if (use_cgroup && plan.cgroup_tasks.empty() && setup.ok()) setup = cgroup.Attach(pid);
  if (!setup.ok()) {
    kill(pid, SIGKILL);
  } else {
    char one = 1;
    (void)!write(go.w, &one, 1);
  }
  go.CloseW();

  // Pump stdin/stdout/stderr until the reaper exits, the deadline passes or
  // an output cap is exceeded.
  fcntl(in.w, F_SETFL, O_NONBLOCK);
  size_t stdin_off = 0;
  if (spec.stdin_data.empty()) in.CloseW();
  bool timed_out = false, overflow = false;
  const int64_t deadline_ms = static_cast<int64_t>(spec.timeout_s * 1000.0);
  const size_t cap = static_cast<size_t>(spec.output_limit_bytes);
  char buf[65536];
  int program_status = -1;
  bool got_status = false;
  std::string status_bytes;
  while (out.r >= 0 || err.r >= 0 || status.r >= 0) {
    int64_t left = deadline_ms - MonotonicMs(t0);
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[4];
    int n = 0;
    int* owners[4];
    for (int* fd : {&out.r, &err.r, &status.r}) {
      if (*fd >= 0) {
        fds[n] = {*fd, POLLIN, 0};
        owners[n++] = fd;
      }
    }
    if (in.w >= 0) {
      fds[n] = {in.w, POLLOUT, 0};
      owners[n++] = &in.w;
    }
    int rc = poll(fds, n, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (rc < 0 && errno != EINTR) break;
    for (int i = 0; i < n && rc > 0; ++i) {
      if (!fds[i].revents) continue;
      if (owners[i] == &in.w) {
        ssize_t w = write(in.w, spec.stdin_data.data() + stdin_off, spec.stdin_data.size() - stdin_off);
        if (w > 0) stdin_off += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || stdin_off == spec.stdin_data.size()) in.CloseW();
        continue;
      }
      ssize_t r = read(*owners[i], buf, sizeof buf);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) {
        // Reaper gone: without a PID namespace its process group may live on.
        if (owners[i] == &status.r && !ns) KillInsecureTree(pid, status_bytes);
        close(*owners[i]);
        *owners[i] = -1;
        continue;
      }
      if (owners[i] == &status.r) {
        status_bytes.append(buf, static_cast<size_t>(r));
        continue;
      }
      bool is_out = owners[i] == &out.r;
      std::string& dst = is_out ? result.stdout_data : result.stderr_data;
      size_t room = cap - std::min(cap, dst.size());
      dst.append(buf, std::min(room, static_cast<size_t>(r)));
      if (static_cast<size_t>(r) > room) {
        (is_out ? result.stdout_truncated : result.stderr_truncated) = true;
        overflow = true;
      }
    }
    if (overflow) break;
  }
  if (timed_out || overflow || !setup.ok()) {
    if (ns) {
      kill(pid, SIGKILL);  // the PID namespace dies with its init
    } else {
      KillInsecureTree(pid, status_bytes);
    }
  }
  int reaper_status = 0;
  rusage ru{};
  while (wait4(pid, &reaper_status, __WALL, &ru) < 0 && errno == EINTR) {
  }
  result.wall_ms = MonotonicMs(t0);
  in.CloseW();
  // The reaper may have written its status after we stopped reading.
  if (status.r >= 0) {
    ssize_t r;
    while ((r = read(status.r, buf, sizeof buf)) > 0) status_bytes.append(buf, static_cast<size_t>(r));
  }
  if (status_bytes.size() >= 2 * sizeof(int)) {
    std::memcpy(&program_status, status_bytes.data() + sizeof(int), sizeof(int));
    got_status = program_status != -1;
  }
  std::string setup_error;
  {
    fcntl(errp.r, F_SETFL, O_NONBLOCK);
    ssize_t r;
    while ((r = read(errp.r, buf, sizeof buf)) > 0) setup_error.append(buf, static_cast<size_t>(r));
  }
  result.cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
  result.max_rss_kb = ru.ru_maxrss;
  const int64_t oom_kills = cgroup.OomKills();
  result.cpu_ms = std::max(result.cpu_ms, cgroup.CpuMs());
  cleanup_common();

  if (got_status) {
    if (WIFEXITED(program_status)) {
      result.has_exit_code = true;
      result.exit_code = WEXITSTATUS(program_status);
    } else if (WIFSIGNALED(program_status)) {
      result.has_signal = true;
      result.signal = WTERMSIG(program_status);
    }
  }
  if (!setup.ok()) {
    result.status = RunStatus::kError;
    result.error = setup.error().ToString();
  } else if (!setup_error.empty()) {
    result.status = RunStatus::kError;
    result.error = "sandbox setup failed: " + setup_error;
  } else if (timed_out) {
    result.status = RunStatus::kTimeout;
  } else if (overflow) {
    result.status = RunStatus::kOutputLimit;
  } else if (oom_kills > 0) {
    result.status = RunStatus::kMemory;
  } else if (result.has_signal && result.signal == SIGXCPU) {
    result.status = RunStatus::kTimeout;
  } else if (result.has_signal && result.signal == SIGXFSZ) {
    result.status = RunStatus::kOutputLimit;
  } else if (result.has_signal) {
    result.status = RunStatus::kKilled;
  } else if (result.has_exit_code) {
    result.status = RunStatus::kOk;
  } else {
    result.status = RunStatus::kError;
    result.error = "the sandbox reaper died without reporting (status " + std::to_string(reaper_status) + ")";
  }
  return result;
}

}  // namespace steer::sandbox
