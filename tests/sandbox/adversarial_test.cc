// The adversarial suite: each program is contained, gets the right status and
// leaves no process, cgroup or mount behind (SandboxTest::RunOk checks).
// Every limit here was first checked at small scale (200 MB against 100 MB,
// 50 forks against 20) before the full-size attack was added.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "sandbox_test_util.h"
#include "steer/sandbox/sandbox.h"

namespace steer::sandbox {
namespace {

using testing::SandboxTest;

TEST_F(SandboxTest, ForkBombIsBoundedAndKilled) {
  RunSpec spec = Python(
      "import os\n"
      "while True:\n"
      "  try: os.fork()\n"
      "  except OSError: pass\n");
  spec.timeout_s = 2;
  spec.max_procs = 32;
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kTimeout);
  EXPECT_LT(r.wall_ms, 4000);
}

TEST_F(SandboxTest, InfiniteLoopTimesOut) {
  RunSpec spec = Python("while True: pass");
  spec.timeout_s = 1;
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kTimeout);
  EXPECT_GE(r.wall_ms, 1000);
  EXPECT_LT(r.wall_ms, 2500);
}

TEST_F(SandboxTest, CpuLimitIsATimeout) {
  RunSpec spec = Python("while True: pass");
  spec.timeout_s = 20;
  spec.cpu_s = 1;
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kTimeout);
  EXPECT_TRUE(r.has_signal);
  // The kernel stops it at 1 s of CPU time, but the rusage it reports can
  // read lower on a saturated VM (750-860 ms seen with both cores busy).
  EXPECT_GE(r.cpu_ms, 500);
}

TEST_F(SandboxTest, TenGigabyteAllocationHitsMemoryLimit) {
  RunSpec spec = Python("x = b'x' * (10 << 30)\nprint(len(x))");
  spec.memory_mb = 256;
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kMemory);
  EXPECT_TRUE(r.has_signal);
  EXPECT_EQ(r.stdout_data, "");
}

TEST_F(SandboxTest, FiveGigabyteFileStopsAtTheFileSizeLimit) {
  // Python ignores SIGXFSZ, so the write fails with EFBIG and Python exits.
  RunSpec spec = Python(
      "with open('/tmp/big', 'wb') as f:\n"
      "  for i in range(5 * 1024): f.write(b'x' * (1 << 20)); f.flush()\n");
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_data.find("File too large"), std::string::npos) << r.stderr_data;
}

TEST_F(SandboxTest, FiveGigabyteFileByDdIsAnOutputLimit) {
  RunSpec spec;
  spec.argv = {"/bin/dd", "if=/dev/zero", "of=/tmp/big", "bs=1M", "count=5120"};
  spec.slot = slot_;
  spec.tmpfs_mb = 128;  // the 64 MB RLIMIT_FSIZE hits first: SIGXFSZ
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kOutputLimit);
  EXPECT_TRUE(r.has_signal);
}

TEST_F(SandboxTest, TwoHundredThousandFilesStopAtTheInodeLimit) {
  RunSpec spec = Python(
      "for i in range(200000): open('/tmp/f%d' % i, 'w').close()\n");
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_data.find("No space left on device"), std::string::npos) << r.stderr_data;
  EXPECT_LT(r.wall_ms, 5000);
}

TEST_F(SandboxTest, FillingDevShmStopsAtItsTinySize) {
  std::string name = "steer-shm-test-" + std::to_string(getpid());
  RunSpec spec = Python(
      "import sys\n"
      "with open('/dev/shm/" + name + "', 'wb') as f:\n"
      "  for i in range(1024): f.write(b'x' * (1 << 20)); f.flush()\n");
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_data.find("No space left on device"), std::string::npos) << r.stderr_data;
  EXPECT_NE(access(("/dev/shm/" + name).c_str(), F_OK), 0) << "the host /dev/shm was written";
}

TEST_F(SandboxTest, LoopbackConnectionsFail) {
  // Loopback only: no test may aim traffic off this machine.
  RunResult r = RunOk(Python(
      "import socket\n"
      "for fam, addr in [(socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')]:\n"
      "  for port in (22, 80, 443, 8080, 11434):\n"
      "    s = socket.socket(fam); s.settimeout(1)\n"
      "    try: s.connect((addr, port)); print('connected', addr, port)\n"
      "    except OSError as e: print('refused')\n"));
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data.find("connected"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.size(), std::string("refused\n").size() * 10);
}

TEST_F(SandboxTest, PrivilegedCallsFail) {
  RunResult r = RunOk(Python(
      "import ctypes, os\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "print(libc.ptrace(0, 0, 0, 0), ctypes.get_errno())\n"        // PTRACE_TRACEME
      "print(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())\n"
      "print(libc.unshare(0x10000000), ctypes.get_errno())\n"       // CLONE_NEWUSER
      "print(libc.unshare(0x00020000), ctypes.get_errno())\n"       // CLONE_NEWNS
      "print(libc.setns(0, 0), ctypes.get_errno())\n"
      "print(libc.chroot(b'/tmp'), ctypes.get_errno())\n"));
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "-1 1\n-1 1\n-1 1\n-1 1\n-1 1\n-1 1\n");
}

TEST_F(SandboxTest, SetsidDoubleForkDaemonDiesWithTheRun) {
  RunResult r = RunOk(Python(
      "import os, time\n"
      "if os.fork() == 0:\n"
      "  os.setsid()\n"
      "  if os.fork() == 0:\n"
      "    time.sleep(60)\n"
      "  os._exit(0)\n"
      "print('parent done')\n"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "parent done\n");
  EXPECT_LT(r.wall_ms, 3000);  // the daemon did not hold the run open
}

TEST_F(SandboxTest, GigabyteOfStdoutIsCutAtTheCap) {
  RunSpec spec = Python(
      "import sys\n"
      "chunk = b'x' * (1 << 20)\n"
      "for i in range(1024): sys.stdout.buffer.write(chunk)\n");
  spec.output_limit_bytes = 1 << 20;
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kOutputLimit);
  EXPECT_EQ(r.stdout_data.size(), size_t{1} << 20);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_LT(r.wall_ms, 3000);
}

TEST_F(SandboxTest, UnreadEightMegabytesOfStdinDoNotHang) {
  RunSpec spec = Python("print('ignoring stdin')");
  spec.stdin_data.assign(8 << 20, 'x');
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.stdout_data, "ignoring stdin\n");
  EXPECT_LT(r.wall_ms, 3000);
}

TEST_F(SandboxTest, KillMinusOneReachesOnlyTheSandbox) {
  RunResult r = RunOk(Python(
      "import os, signal, subprocess\n"
      "child = subprocess.Popen(['/bin/sleep', '30'])\n"
      "os.kill(-1, signal.SIGKILL)\n"
      "print('child', child.wait())\n"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.stdout_data, "child -9\n");
  EXPECT_EQ(kill(getpid(), 0), 0);
}

TEST_F(SandboxTest, MultiprocessingPoolBusyLoopIsKilled) {
  RunSpec spec = Python(
      "from multiprocessing import Pool\n"
      "def spin(i):\n"
      "  while True: pass\n"
      "if __name__ == '__main__':\n"
      "  with Pool(8) as p: p.map(spin, range(8))\n");
  spec.timeout_s = 2;
  RunResult r = RunOk(spec);
  EXPECT_EQ(r.status, RunStatus::kTimeout);
  EXPECT_LT(r.wall_ms, 4000);
}

}  // namespace
}  // namespace steer::sandbox
