// Helpers for sandbox tests: leftover checks after a run.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "steer/sandbox/sandbox.h"

namespace steer::sandbox::testing {

// Processes whose real uid is `uid`, as "pid cmdline" strings.
inline std::vector<std::string> ProcessesOfUid(int uid) {
  std::vector<std::string> found;
  DIR* d = opendir("/proc");
  if (!d) return found;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Uid:", 0) == 0) {
        std::istringstream ls(line.substr(4));
        int real = -1;
        ls >> real;
        if (real == uid) found.push_back(e->d_name);
        break;
      }
    }
  }
  closedir(d);
  return found;
}

// Entries of `dir` whose name starts with `prefix`.
inline std::vector<std::string> EntriesWithPrefix(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> found;
  DIR* d = opendir(dir.c_str());
  if (!d) return found;
  while (dirent* e = readdir(d)) {
    if (std::string(e->d_name).rfind(prefix, 0) == 0) found.push_back(e->d_name);
  }
  closedir(d);
  return found;
}

inline std::string MountInfo() {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A slot per test name, so tests running in parallel processes do not share
// a uid (and so an RLIMIT_NPROC budget or the leftover checks).
inline int SlotFor(const std::string& name) { return 100 + static_cast<int>(std::hash<std::string>{}(name) % 3800); }

inline constexpr const char* kPython = "/usr/bin/python3";

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sb = Sandbox::Create();
    if (!sb.ok()) GTEST_SKIP() << "no full isolation on this machine: " << sb.error().ToString();
    sandbox_ = std::make_unique<Sandbox>(std::move(sb).value());
    slot_ = SlotFor(::testing::UnitTest::GetInstance()->current_test_info()->name());
    mounts_before_ = MountInfo();
  }

  RunSpec Python(const std::string& code) {
    RunSpec spec;
    spec.argv = {kPython, "-I", "-c", code};
    spec.slot = slot_;
    spec.timeout_s = 5;
    spec.memory_mb = 256;
    return spec;
  }

  RunResult RunOk(const RunSpec& spec) {
    auto r = sandbox_->Run(spec);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
    ExpectNothingLeft();
    return r.ok() ? std::move(r).value() : RunResult{};
  }

  // No process of the slot uid, no task in any of this process's run
  // cgroups (they stay, idle, for the next run), no new mount.
  void ExpectNothingLeft() {
    const Probe& p = sandbox_->probe();
    if (p.root) {
      EXPECT_TRUE(ProcessesOfUid(kSlotUidBase + slot_).empty()) << "a process of the slot uid survived";
    }
    for (const std::string& dir : RunCgroupDirs(p)) {
      std::ifstream in(dir + "/cgroup.procs");
      std::string pid;
      EXPECT_FALSE(in >> pid) << "task " << pid << " left in " << dir;
    }
    EXPECT_EQ(MountInfo(), mounts_before_);
  }

  // The distinct directories run cgroups go in (v2: one).
  static std::vector<std::string> RunCgroupParents(const Probe& p) {
    std::vector<std::string> parents;
    for (const std::string& dir : {p.cgroup_memory, p.cgroup_pids, p.cgroup_cpuacct}) {
      if (!dir.empty() && std::find(parents.begin(), parents.end(), dir) == parents.end()) parents.push_back(dir);
    }
    return parents;
  }

  // This process's run cgroup directories, in every hierarchy.
  static std::vector<std::string> RunCgroupDirs(const Probe& p) {
    std::vector<std::string> dirs;
    const std::string prefix = "steer-" + std::to_string(getpid()) + "-";
    for (const std::string& dir : RunCgroupParents(p)) {
      for (const std::string& name : EntriesWithPrefix(dir, prefix)) dirs.push_back(dir + "/" + name);
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
  }

  // Destroying the last copy of the Sandbox removes its run cgroups.
  void TearDown() override {
    if (!sandbox_) return;
    const Probe probe = sandbox_->probe();
    sandbox_.reset();
    EXPECT_TRUE(RunCgroupDirs(probe).empty()) << "run cgroups left after the Sandbox was destroyed";
  }

  std::unique_ptr<Sandbox> sandbox_;
  int slot_ = 0;
  std::string mounts_before_;
};

}  // namespace steer::sandbox::testing
