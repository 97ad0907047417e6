#include "seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace steer::sandbox::internal {
namespace {

constexpr const char* kDenied[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "bpf", "perf_event_open", "add_key", "request_key",
    "keyctl", "userfaultfd", "acct", "quotactl", "quotactl_fd", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "iopl", "ioperm", "syslog", "lookup_dcookie",
    "open_by_handle_at", "name_to_handle_at", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "personality", "vhangup", "sethostname", "setdomainname",
};

constexpr uint64_t kNamespaceFlags[] = {
    CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
    CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, 0x80 /* CLONE_NEWTIME */,
};

}  // namespace

Result<std::vector<uint8_t>> BuildSeccompFilter() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return MakeError(ErrorCode::kInternal, "seccomp_init failed", "sandbox seccomp");
  auto fail = [&](const std::string& what, int rc) {
    seccomp_release(ctx);
    return MakeError(ErrorCode::kInternal, what + " failed (" + std::to_string(-rc) + ")", "sandbox seccomp");
  };
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp/arch
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    if (rc != 0) return fail(std::string("rule for ") + name, rc);
  }
  for (uint64_t flag : kNamespaceFlags) {
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    if (rc != 0) return fail("clone rule", rc);
  }
  int clone3 = seccomp_syscall_resolve_name("clone3");
  if (clone3 != __NR_SCMP_ERROR) {
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), clone3, 0);
    if (rc != 0) return fail("clone3 rule", rc);
  }
  // Exported, not loaded: the sandboxed child loads the raw program itself
  // (prctl after no_new_privs) without calling into libseccomp.
  int fd = memfd_create("steer-seccomp", MFD_CLOEXEC);
  if (fd < 0) return fail("memfd_create", -errno);
  int rc = seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  if (rc != 0) {
    close(fd);
    return MakeError(ErrorCode::kInternal, "seccomp_export_bpf failed", "sandbox seccomp");
  }
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<uint8_t> bpf(static_cast<size_t>(size > 0 ? size : 0));
  size_t done = 0;
  while (done < bpf.size()) {
    ssize_t n = pread(fd, bpf.data() + done, bpf.size() - done, static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  if (done != bpf.size() || bpf.empty())
    return MakeError(ErrorCode::kInternal, "could not read back the seccomp program", "sandbox seccomp");
  return bpf;
}

}  // namespace steer::sandbox::internal
