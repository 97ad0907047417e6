#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>

namespace steer::sandbox::internal {
namespace {

// Only raw system calls below: see launcher.h.

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Reports "<step> <detail>: errno N" on the error pipe and exits.
[[noreturn]] void Fail(const ChildPlan& plan, const char* step, const char* detail) {
  int err = errno;
  char buf[512];
  size_t n = 0;
  auto put = [&](const char* s) {
    while (*s && n + 1 < sizeof buf) buf[n++] = *s++;
  };
  put(step);
  if (detail) {
    put(" ");
    put(detail);
  }
  put(": errno ");
  char digits[16];
  int d = 0;
  unsigned v = static_cast<unsigned>(err);
  do {
    digits[d++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v && d < 15);
  while (d > 0 && n + 1 < sizeof buf) buf[n++] = digits[--d];
  WriteAll(plan.err_w, buf, n);
  _exit(127);
}

// Mount flags that a bind remount must keep (they are locked inside a user
// namespace, and harmless to keep otherwise).
unsigned long KeptFlags(const char* path) {
  struct statvfs st;
  if (statvfs(path, &st) != 0) return 0;
  unsigned long f = 0;
  if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

void SetupMounts(const ChildPlan& plan) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Fail(plan, "make-rprivate", "/");
  if (mount("steer-stage", plan.stage, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,nr_inodes=16,mode=0755") != 0)
    Fail(plan, "mount stage", plan.stage);
  if (mkdir(plan.new_root, 0755) != 0) Fail(plan, "mkdir", plan.new_root);
  if (mount("/", plan.new_root, nullptr, MS_BIND | MS_REC, nullptr) != 0) Fail(plan, "rbind", "/");
  // Hidden host mounts (proc, sys, dev, the copy of the stage): detached; a
  // missing one (EINVAL: not a mount point) is fine.
  for (const char* path : plan.detach) {
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) Fail(plan, "detach", path);
  }
  for (const char* path : plan.read_only) {
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | KeptFlags(path);
    if (mount(nullptr, path, nullptr, flags, nullptr) != 0) Fail(plan, "remount read-only", path);
  }
  for (const char* path : plan.hide) {
    if (mount("steer-hide", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,nr_inodes=4,mode=0755") != 0)
      Fail(plan, "hide", path);
  }
  if (mount("proc", plan.proc_dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    Fail(plan, "mount proc", plan.proc_dir);
  if (mount("steer-dev", plan.dev_dir, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755") != 0)
    Fail(plan, "mount dev", plan.dev_dir);
  for (size_t i = 0; i < plan.dev_nodes.size(); ++i) {
    int fd = open(plan.dev_targets[i], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) Fail(plan, "create", plan.dev_targets[i]);
    close(fd);
    if (mount(plan.dev_nodes[i], plan.dev_targets[i], nullptr, MS_BIND, nullptr) != 0)
      Fail(plan, "bind", plan.dev_nodes[i]);
  }
  for (size_t i = 0; i < plan.dev_links_from.size(); ++i) {
    if (symlink(plan.dev_links_to[i], plan.dev_links_from[i]) != 0) Fail(plan, "symlink", plan.dev_links_from[i]);
  }
  if (mkdir(plan.shm_dir, 0755) != 0) Fail(plan, "mkdir", plan.shm_dir);
  if (mount("steer-shm", plan.shm_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, plan.shm_options) != 0)
    Fail(plan, "mount shm", plan.shm_dir);
  if (mount(nullptr, plan.dev_dir, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
            "size=64k,nr_inodes=64,mode=0755") != 0)
    Fail(plan, "remount read-only", plan.dev_dir);
  if (mount("steer-work", plan.work_dir, "tmpfs", MS_NOSUID | MS_NODEV, plan.work_options) != 0)
    Fail(plan, "mount work", plan.work_dir);
  for (const PlannedFile& f : plan.files) {
    int fd = open(f.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) Fail(plan, "create", f.path);
    size_t done = 0;
    while (done < f.size) {
      ssize_t n = write(fd, f.data + done, f.size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) Fail(plan, "write", f.path);
      done += static_cast<size_t>(n);
    }
    if (plan.drop_uid && fchown(fd, plan.uid, plan.gid) != 0) Fail(plan, "chown", f.path);
    close(fd);
  }
  if (chdir(plan.new_root) != 0) Fail(plan, "chdir", plan.new_root);
  if (syscall(SYS_pivot_root, ".", ".") != 0) Fail(plan, "pivot_root", plan.new_root);
  if (umount2(".", MNT_DETACH) != 0) Fail(plan, "detach old root", nullptr);
  if (chdir(plan.work_dir_inside) != 0) Fail(plan, "chdir", plan.work_dir_inside);
  if (sethostname("sandbox", 7) != 0) Fail(plan, "sethostname", nullptr);
}

// The program's side: descriptors, limits, identity, seccomp, exec.
[[noreturn]] void ExecProgram(const ChildPlan& plan) {
  // Its own session (namespaces) or process group (insecure level), so that
  // the reaper and parent can kill it with everything it started.
  if (plan.namespaces ? setsid() < 0 : setpgid(0, 0) != 0) Fail(plan, "setsid", nullptr);
  if (dup2(plan.stdin_r, 0) < 0 || dup2(plan.stdout_w, 1) < 0 || dup2(plan.stderr_w, 2) < 0)
    Fail(plan, "dup2", nullptr);
  // Only the error pipe (close-on-exec) stays open above stderr.
  for (int fd : {plan.stdin_r, plan.stdout_w, plan.stderr_w, plan.go_r, plan.status_w}) {
    if (fd > 2 && fd != plan.err_w) close(fd);
  }
  if (!plan.namespaces && chdir(plan.work_dir_inside) != 0) Fail(plan, "chdir", plan.work_dir_inside);
  for (const PlannedLimit& l : plan.limits) {
    if (syscall(SYS_prlimit64, 0, l.resource, &l.limit, nullptr) != 0) Fail(plan, "setrlimit", nullptr);
  }
  if (plan.drop_uid) {
    if (syscall(SYS_setgroups, 0, nullptr) != 0) Fail(plan, "setgroups", nullptr);
    if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) Fail(plan, "setresgid", nullptr);
    if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) Fail(plan, "setresuid", nullptr);
  } else if (plan.user_namespace) {
    // Root of a user namespace: drop every capability so exec gains none.
    for (int cap = 0; cap <= 63; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capset, &hdr, data) != 0) Fail(plan, "capset", nullptr);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail(plan, "no_new_privs", nullptr);
  if (plan.seccomp.len > 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &plan.seccomp) != 0)
    Fail(plan, "seccomp", nullptr);
  execve(plan.exe, plan.argv, plan.envp);
  Fail(plan, "execve", plan.exe);
}

// Other threads of the parent may hold pipes of concurrent runs; the reaper
// must not keep them open.
void CloseInheritedDescriptors(const ChildPlan& plan) {
  int keep[] = {plan.stdin_r, plan.stdout_w, plan.stderr_w, plan.go_r, plan.err_w, plan.status_w};
  std::sort(std::begin(keep), std::end(keep));
  unsigned lo = 3;
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned>(fd) < lo) continue;
    if (static_cast<unsigned>(fd) > lo) syscall(SYS_close_range, lo, static_cast<unsigned>(fd) - 1, 0);
    lo = static_cast<unsigned>(fd) + 1;
  }
  syscall(SYS_close_range, lo, ~0U, 0);
}

}  // namespace

void RunChild(const ChildPlan& plan) {
  if (plan.net_fd >= 0 && setns(plan.net_fd, CLONE_NEWNET) != 0) Fail(plan, "setns", "net");
  for (const char* tasks : plan.cgroup_tasks) {
    int fd = open(tasks, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) Fail(plan, "join cgroup", tasks);
    close(fd);
  }
  CloseInheritedDescriptors(plan);  // net_fd too
  // Without a PID namespace, orphans of the program are reparented here
  // rather than to the host's init.
  if (!plan.namespaces) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  // If the parent thread dies, so does the reaper (and with it the PID
  // namespace). A parent that died before this call never sends "go".
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char go = 0;
  ssize_t n;
  while ((n = read(plan.go_r, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) _exit(126);
  if (plan.namespaces) SetupMounts(plan);
  pid_t pid = static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, 0));
  if (pid < 0) Fail(plan, "fork", nullptr);
  if (pid == 0) ExecProgram(plan);
  // Reaper. It reports the program's pid, then its wait status, on the
  // status pipe. Keep no pipe end open that would hold the parent's reads.
  WriteAll(plan.status_w, reinterpret_cast<const char*>(&pid), sizeof pid);
  close(plan.stdin_r);
  close(plan.stdout_w);
  close(plan.stderr_w);
  close(plan.err_w);
  int program_status = -1;
  for (;;) {
    int st;
    pid_t got = static_cast<pid_t>(syscall(SYS_wait4, -1, &st, __WALL, nullptr));
    if (got < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: the namespace is empty
    }
    if (got == pid) {
      program_status = st;
      // The program is done: everything it left behind goes now.
      kill(plan.namespaces ? -1 : -pid, SIGKILL);
    }
  }
  WriteAll(plan.status_w, reinterpret_cast<const char*>(&program_status), sizeof program_status);
  _exit(0);
}

}  // namespace steer::sandbox::internal
