#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace steer::sandbox::internal {
namespace {

// A child in a new network namespace sleeps while the parent opens its
// /proc/PID/ns/net (the open descriptor keeps the namespace alive), then is
// killed. The child waits on nothing inherited: with a pipe, a concurrent
// run's child holding this pipe's write end (clone copies every descriptor)
// kept this child, and so both runs, waiting forever.
Result<int> NewNetns() {
  const pid_t parent = getpid();
  long pid = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);  // a parent thread gone before the kill below
    if (getppid() != parent) _exit(0);
    for (;;) pause();
  }
  if (pid < 0) {
    return MakeError(ErrorCode::kIo, std::string("clone(CLONE_NEWNET) failed: ") + std::strerror(errno),
                     "network namespace");
  }
  const int fd = open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
  const int open_errno = errno;
  kill(static_cast<pid_t>(pid), SIGKILL);
  int st;
  while (waitpid(static_cast<pid_t>(pid), &st, 0) < 0 && errno == EINTR) {
  }
  if (fd < 0)
    return MakeError(ErrorCode::kIo, std::string("cannot open the namespace: ") + std::strerror(open_errno),
                     "/proc/" + std::to_string(pid) + "/ns/net");
  return fd;
}

}  // namespace

NetnsPool::~NetnsPool() {
  for (int fd : idle_) close(fd);
}

Result<int> NetnsPool::Take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty() && getpid() == owner_) {
      int fd = idle_.back();
      idle_.pop_back();
      return fd;
    }
  }
  return NewNetns();
}

void NetnsPool::Give(int fd) {
  if (getpid() != owner_) {
    close(fd);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(fd);
}

}  // namespace steer::sandbox::internal
