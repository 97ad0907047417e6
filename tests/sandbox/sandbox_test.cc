#include "steer/sandbox/sandbox.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/netns.h"
#include "sandbox_test_util.h"
#include "steer/util/strings.h"

namespace steer::sandbox {
namespace {

using testing::EntriesWithPrefix;
using testing::kPython;
using testing::ProcessesOfUid;
using testing::SandboxTest;
using testing::SlotFor;

TEST_F(SandboxTest, RunsAndReportsExitCodeAndOutput) {
  RunResult r = RunOk(Python("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_TRUE(r.has_exit_code);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.has_signal);
  EXPECT_EQ(r.stdout_data, "out\n");
  EXPECT_EQ(r.stderr_data, "err\n");
  EXPECT_NE(r.isolation.find("cgroup"), std::string::npos);
  EXPECT_GT(r.wall_ms, 0);
}

TEST_F(SandboxTest, PassesStdinAndFiles) {
  RunSpec spec = Python("import sys; print(sys.stdin.read().upper() + open('data.txt').read())");
  spec.stdin_data = "hello ";
  spec.files = {{"data.txt", "world"}};
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.stdout_data, "HELLO world\n");
}

TEST_F(SandboxTest, EnvironmentIsIsolated) {
  RunResult r = RunOk(Python(
      "import os, socket\n"
      "print(os.getuid(), os.getgid(), os.getpid(), os.getcwd(), socket.gethostname())\n"
      "print(sorted(p for p in os.listdir('/proc') if p.isdigit()))\n"
      "print(os.listdir('/sys'), sorted(os.listdir('/dev')))\n"
      "for path in ['/etc/steer_x', '/usr/steer_x', '/dev/steer_x']:\n"
      "  try: open(path, 'w'); print('wrote', path)\n"
      "  except OSError as e: print(e.errno)\n"
      "open('/tmp/ok', 'w').write('x'); print(os.path.exists('/tmp/ok'))\n"
      "print(os.listdir('/run'))\n"));
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  const int uid = kSlotUidBase + slot_;
  EXPECT_EQ(r.stdout_data, std::to_string(uid) + " " + std::to_string(uid) +
                               " 2 /tmp sandbox\n['1', '2']\n[] ['fd', 'full', 'null', 'random', 'shm', "
                               "'stderr', 'stdin', 'stdout', 'urandom', 'zero']\n30\n30\n30\nTrue\n[]\n");
}

TEST_F(SandboxTest, BadSpecsAreErrors) {
  RunSpec spec = Python("pass");
  spec.argv.clear();
  EXPECT_FALSE(sandbox_->Run(spec).ok());
  spec = Python("pass");
  spec.files = {{"../escape", "x"}};
  EXPECT_FALSE(sandbox_->Run(spec).ok());
  spec = Python("pass");
  spec.slot = -1;
  EXPECT_FALSE(sandbox_->Run(spec).ok());
  spec = Python("pass");
  spec.argv[0] = "steer-no-such-command";
  auto r = sandbox_->Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kError);
  spec.argv[0] = "/nonexistent/python";
  r = sandbox_->Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kError);
  EXPECT_NE(r->error.find("execve"), std::string::npos) << r->error;
  ExpectNothingLeft();
}

// If the process calling Run dies, the reaper gets SIGKILL (parent-death
// signal) and the whole PID namespace goes with it.
TEST_F(SandboxTest, SandboxDiesWithItsCaller) {
  if (!sandbox_->probe().root) GTEST_SKIP() << "checks the slot uid's processes";
  pid_t caller = fork();
  ASSERT_GE(caller, 0);
  if (caller == 0) {
    RunSpec spec = Python("import time; time.sleep(60)");
    spec.timeout_s = 60;
    (void)sandbox_->Run(spec);
    _exit(0);
  }
  const int uid = kSlotUidBase + slot_;
  bool started = false;
  for (int i = 0; i < 500 && !started; ++i) {
    started = !ProcessesOfUid(uid).empty();
    if (!started) usleep(10000);
  }
  EXPECT_TRUE(started);
  kill(caller, SIGKILL);
  int st;
  waitpid(caller, &st, 0);
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    gone = ProcessesOfUid(uid).empty();
    if (!gone) usleep(10000);
  }
  EXPECT_TRUE(gone) << "the sandboxed program outlived its caller";
  // The killed caller could not remove its per-run cgroups; do it here.
  const Probe& p = sandbox_->probe();
  for (const std::string& dir : {p.cgroup_memory, p.cgroup_pids, p.cgroup_cpuacct}) {
    if (dir.empty()) continue;
    for (const std::string& name : EntriesWithPrefix(dir, "steer-" + std::to_string(caller) + "-"))
      EXPECT_EQ(rmdir((dir + "/" + name).c_str()), 0) << dir << "/" << name;
  }
}

// Run cgroups are reused. Each run still gets its own limits (the memory
// limit raised and lowered again across runs), its own OOM and CPU counts
// (an OOM or a CPU burn in one run does not leak into the next), and one
// cgroup per hierarchy serves a sequence of runs.
TEST_F(SandboxTest, ReusedRunCgroupsGetFreshLimitsAndCounters) {
  const Probe& p = sandbox_->probe();
  if (p.cgroup_memory.empty()) GTEST_SKIP() << "no cgroup memory controller";
  const std::string allocate = "x = b'x' * (200 << 20)\nprint(len(x))";
  RunSpec small = Python(allocate);
  small.memory_mb = 100;
  RunResult r = RunOk(small);
  EXPECT_EQ(r.status, RunStatus::kMemory);
  const std::vector<std::string> dirs = RunCgroupDirs(p);
  EXPECT_EQ(dirs.size(), RunCgroupParents(p).size()) << "one cgroup per hierarchy";
  RunSpec trivial = Python("print('ok')");
  trivial.memory_mb = 100;
  r = RunOk(trivial);
  EXPECT_EQ(r.status, RunStatus::kOk) << "the previous run's OOM kill was counted again";
  EXPECT_EQ(r.stdout_data, "ok\n");
  RunSpec large = Python(allocate);
  large.memory_mb = 400;
  r = RunOk(large);
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, std::to_string(200 << 20) + "\n");
  r = RunOk(small);
  EXPECT_EQ(r.status, RunStatus::kMemory) << "the raised limit stayed";
  RunSpec burn = Python("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass");
  r = RunOk(burn);
  EXPECT_GE(r.cpu_ms, 500);
  r = RunOk(trivial);
  EXPECT_LT(r.cpu_ms, 400) << "CPU time of the previous run was counted again";
  if (!p.cgroup_pids.empty()) {
    // pids.max follows max_procs: 12 sleeping children need more than 8.
    RunSpec forks = Python(
        "import os, time\n"
        "n = 0\n"
        "for _ in range(12):\n"
        "  try:\n"
        "    if os.fork() == 0: time.sleep(5); os._exit(0)\n"
        "    n += 1\n"
        "  except OSError: pass\n"
        "print(n)");
    forks.max_procs = 8;
    r = RunOk(forks);
    ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
    EXPECT_LT(std::stoi(r.stdout_data), 12);
    forks.max_procs = 40;
    r = RunOk(forks);
    ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
    EXPECT_EQ(r.stdout_data, "12\n");
  }
  EXPECT_EQ(RunCgroupDirs(p), dirs) << "a later run did not reuse the idle cgroups";
}

// Concurrent runs each get a cgroup of their own; the pool keeps as many as
// ran at once, and every one is empty afterwards.
TEST_F(SandboxTest, ConcurrentRunsUseSeparateRunCgroups) {
  const Probe& p = sandbox_->probe();
  if (p.cgroup_memory.empty()) GTEST_SKIP() << "no cgroup memory controller";
  RunResult results[2];
  std::thread other([&] {
    RunSpec spec = Python("import time; time.sleep(0.5); print('b')");
    spec.slot = slot_ + 1;
    auto r = sandbox_->Run(spec);
    if (r.ok()) results[1] = std::move(r).value();
  });
  auto mine = sandbox_->Run(Python("import time; time.sleep(0.5); print('a')"));
  other.join();
  ASSERT_TRUE(mine.ok()) << mine.error().ToString();
  results[0] = std::move(mine).value();
  EXPECT_EQ(results[0].stdout_data, "a\n");
  EXPECT_EQ(results[1].stdout_data, "b\n");
  size_t memory_dirs = 0;
  for (const std::string& dir : RunCgroupDirs(p)) memory_dirs += dir.rfind(p.cgroup_memory + "/", 0) == 0;
  EXPECT_EQ(memory_dirs, 2u);
  ExpectNothingLeft();
}

// When root, runs reuse idle network namespaces: a later run joins the
// namespace of an earlier one, concurrent runs never share one, and a
// program cannot change it (bringing loopback up fails; it stays down).
TEST_F(SandboxTest, NetworkNamespacesAreReusedButStayDown) {
  if (!sandbox_->probe().root) GTEST_SKIP() << "network namespaces are reused only when root";
  const std::string code =
      "import fcntl, os, socket, struct\n"
      "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
      "up = struct.pack('16sH14s', b'lo', 1, b'')\n"
      "try:\n"
      "  fcntl.ioctl(s, 0x8914, up); print('raised')\n"  // SIOCSIFFLAGS
      "except OSError as e: print('refused', e.errno)\n"
      "flags = struct.unpack('16sH14s', fcntl.ioctl(s, 0x8913, up))[1]\n"  // SIOCGIFFLAGS
      "print('lo up' if flags & 1 else 'lo down', os.readlink('/proc/self/ns/net'))\n";
  auto lines = [](const std::string& out) { return Split(out, "\n"); };
  RunResult first = RunOk(Python(code));
  ASSERT_EQ(first.status, RunStatus::kOk) << first.stderr_data;
  RunResult second = RunOk(Python(code));
  ASSERT_EQ(second.status, RunStatus::kOk) << second.stderr_data;
  ASSERT_GE(lines(first.stdout_data).size(), 2u);
  ASSERT_GE(lines(second.stdout_data).size(), 2u);
  EXPECT_EQ(std::string(lines(first.stdout_data)[0]).rfind("refused", 0), 0u) << first.stdout_data;
  const std::string first_ns(lines(first.stdout_data)[1]);
  EXPECT_EQ(first_ns.rfind("lo down net:[", 0), 0u) << first.stdout_data;
  EXPECT_EQ(std::string(lines(second.stdout_data)[1]), first_ns) << "the idle namespace was not reused";
  char host[64] = {};
  ASSERT_GT(readlink("/proc/self/ns/net", host, sizeof host - 1), 0);
  EXPECT_EQ(first_ns.find(host), std::string::npos) << "the run shared the host's network namespace";
  // Two at once: two namespaces.
  RunResult other;
  std::thread t([&] {
    RunSpec spec = Python("import os, time; time.sleep(0.4); print(os.readlink('/proc/self/ns/net'))");
    spec.slot = slot_ + 1;
    auto r = sandbox_->Run(spec);
    if (r.ok()) other = std::move(r).value();
  });
  auto r = sandbox_->Run(Python("import os, time; time.sleep(0.4); print(os.readlink('/proc/self/ns/net'))"));
  t.join();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ExpectNothingLeft();
  const RunResult& mine = *r;
  EXPECT_NE(mine.stdout_data, other.stdout_data);
  EXPECT_EQ(mine.stdout_data.rfind("net:[", 0), 0u) << mine.stdout_data;
  EXPECT_EQ(other.stdout_data.rfind("net:[", 0), 0u) << other.stdout_data;
}

// A forked child runs with cgroups of its own: it neither takes the
// parent's idle cgroup (the parent may be using it) nor removes it when its
// copy of the Sandbox is destroyed.
TEST_F(SandboxTest, ForkedChildLeavesTheParentsIdleCgroupsAlone) {
  const Probe& p = sandbox_->probe();
  if (p.cgroup_memory.empty()) GTEST_SKIP() << "no cgroup memory controller";
  RunResult r = RunOk(Python("print('parent')"));
  ASSERT_EQ(r.status, RunStatus::kOk);
  const std::vector<std::string> dirs = RunCgroupDirs(p);
  ASSERT_FALSE(dirs.empty());
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto c = sandbox_->Run(Python("print('child')"));
    const bool ok = c.ok() && c->status == RunStatus::kOk && c->stdout_data == "child\n";
    sandbox_.reset();
    _exit(ok ? 0 : 1);
  }
  int st = 0;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "the child's run failed";
  EXPECT_EQ(RunCgroupDirs(p), dirs) << "the child removed or added run cgroups of the parent";
  for (const std::string& dir : RunCgroupParents(p))
    EXPECT_TRUE(EntriesWithPrefix(dir, "steer-" + std::to_string(child) + "-").empty()) << "child cgroup left";
  r = RunOk(Python("print('parent again')"));
  EXPECT_EQ(r.status, RunStatus::kOk) << r.error;
  EXPECT_EQ(RunCgroupDirs(p), dirs);
}

TEST(SandboxJson, OneLineInTheContractShape) {
  RunResult r;
  r.status = RunStatus::kTimeout;
  r.has_signal = true;
  r.signal = 9;
  r.cpu_ms = 5;
  r.wall_ms = 7;
  r.max_rss_kb = 11;
  r.stdout_data = "a\"\n";
  r.isolation = "x";
  EXPECT_EQ(RunResultJson(r),
            "{\"status\":\"timeout\",\"exit_code\":null,\"signal\":9,\"cpu_ms\":5,\"wall_ms\":7,"
            "\"max_rss_kb\":11,\"stdout\":\"a\\\"\\n\",\"stderr\":\"\",\"isolation\":\"x\"}");
}

TEST(SandboxLevels, RefusesBelowMinimumUnlessInsecure) {
  SandboxConfig config;
  config.use_cgroup = false;
  config.minimum = IsolationLevel::kCgroup;
  auto refused = Sandbox::Create(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("--insecure"), std::string::npos);
  config.insecure = true;
  auto allowed = Sandbox::Create(config);
  ASSERT_TRUE(allowed.ok());
  EXPECT_NE(allowed->probe().description.find("memory=rlimit-as"), std::string::npos);
}

TEST(SandboxLevels, WithoutCgroupMemoryFallsBackToRlimitAs) {
  SandboxConfig config;
  config.use_cgroup = false;
  config.minimum = IsolationLevel::kNamespaces;
  auto sb = Sandbox::Create(config);
  if (!sb.ok()) GTEST_SKIP() << sb.error().ToString();
  RunSpec spec;
  spec.argv = {kPython, "-I", "-c", "x = 'y' * (1 << 30)"};
  spec.memory_mb = 256;
  spec.slot = SlotFor("rlimit-as");
  auto r = sb->Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kOk);  // Python's own exit after MemoryError
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_NE(r->stderr_data.find("MemoryError"), std::string::npos) << r->stderr_data;
}

TEST(SandboxLevels, InsecureLevelStillLimitsAndCleansUp) {
  SandboxConfig config;
  config.use_cgroup = false;
  config.use_namespaces = false;
  config.insecure = true;
  auto sb = Sandbox::Create(config);
  ASSERT_TRUE(sb.ok());
  EXPECT_EQ(sb->probe().level, IsolationLevel::kNone);
  RunSpec spec;
  spec.argv = {kPython, "-I", "-c",
               "import os, subprocess, sys\n"
               "print(open('in.txt').read(), os.getuid() >= 60000)\n"
               "subprocess.Popen(['/bin/sleep', '30'])\n"};
  spec.files = {{"in.txt", "hi"}};
  spec.slot = SlotFor("insecure");
  auto r = sb->Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kOk) << r->stderr_data << r->error;
  EXPECT_EQ(r->stdout_data, sb->probe().root ? "hi True\n" : "hi False\n");
  if (sb->probe().root) {
    EXPECT_TRUE(ProcessesOfUid(kSlotUidBase + spec.slot).empty());
  }
  EXPECT_TRUE(EntriesWithPrefix("/tmp", "steer-sandbox-").empty());
}


// The non-root path: a user namespace, the program as the namespace's root
// with every capability dropped. Run by forking and dropping to nobody.
TEST(SandboxLevels, UserNamespaceWhenNotRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to another uid for the test";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
      _exit(10);
    prctl(PR_SET_DUMPABLE, 1);  // as after an exec: the uid maps need it
    SandboxConfig config;
    config.minimum = IsolationLevel::kNamespaces;
    auto sb = Sandbox::Create(config);
    if (!sb.ok()) _exit(11);
    RunSpec spec;
    spec.argv = {kPython, "-I", "-c",
                 "import os\n"
                 "caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1]\n"
                 "print(os.getuid(), os.getpid(), caps)\n"
                 "try: open('/etc/steer_x', 'w')\n"
                 "except OSError as e: print(e.errno)\n"};
    auto r = sb->Run(spec);
    if (!r.ok()) _exit(12);
    std::string line = std::string(RunStatusName(r->status)) + "|" + r->stdout_data + "|" + r->isolation + r->error;
    (void)!write(fds[1], line.data(), line.size());
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  if (WEXITSTATUS(st) == 11) GTEST_SKIP() << "user namespaces are not available to unprivileged users here";
  ASSERT_EQ(WEXITSTATUS(st), 0);
  EXPECT_EQ(got.substr(0, got.find("|namespaces")), "ok|0 2 0000000000000000\n30\n");
  EXPECT_NE(got.find("ns=user"), std::string::npos) << got;
}

// Two threads making new network namespaces at once must not wait on each
// other (the namespace-holding child once waited for EOF on a pipe whose
// write end a concurrent child had inherited: about one pair in a hundred
// hung forever). A watchdog turns a hang into a failure. Without root every
// Take must fail, promptly and with an error that names the namespace.
TEST(NetnsPool, ConcurrentNewNamespacesNeverWaitOnEachOther) {
  constexpr int kPerThread = 300;
  internal::NetnsPool pool;
  std::atomic<int> made{0}, failed{0}, unnamed{0};
  auto make = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      auto fd = pool.Take();  // the pool stays empty: every Take makes one
      if (fd.ok()) {
        close(*fd);
        made.fetch_add(1);
      } else {
        failed.fetch_add(1);
        if (fd.error().ToString().find("namespace") == std::string::npos) unnamed.fetch_add(1);
      }
    }
  };
  std::promise<void> done;
  std::thread worker([&] {
    std::thread other(make);
    make();
    other.join();
    done.set_value();
  });
  if (done.get_future().wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
    ADD_FAILURE() << "namespace creation hung after " << made.load() << " of " << 2 * kPerThread;
    std::fflush(nullptr);
    std::_Exit(1);  // the hung threads cannot be joined
  }
  worker.join();
  EXPECT_EQ(made.load(), geteuid() == 0 ? 2 * kPerThread : 0);
  EXPECT_EQ(made.load() + failed.load(), 2 * kPerThread);
  EXPECT_EQ(unnamed.load(), 0);
}

}  // namespace
}  // namespace steer::sandbox
