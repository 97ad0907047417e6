#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace steer::sandbox::internal {
namespace {

// A child in a new network namespace waits on a pipe while the parent opens
// its /proc/PID/ns/net; the open descriptor keeps the namespace alive.
Result<int> NewNetns() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, "pipe failed", "network namespace");
  long pid = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid == 0) {
    char c;
    close(fds[1]);
    while (read(fds[0], &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  const int clone_errno = errno;
  close(fds[0]);
  int fd = -1;
  int open_errno = 0;
  if (pid > 0) {
    fd = open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
    open_errno = errno;
  }
  close(fds[1]);  // the child exits
  if (pid < 0)
    return MakeError(ErrorCode::kIo, std::string("clone(CLONE_NEWNET) failed: ") + std::strerror(clone_errno),
                     "network namespace");
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
