// The seccomp filter every sandboxed program runs under.
#pragma once

#include <cstdint>
#include <vector>

#include "steer/util/result.h"

namespace steer::sandbox::internal {

// A BPF program (array of struct sock_filter) for the native architecture.
// Default: allow. Denied with EPERM: tracing (ptrace, process_vm_*), mounts
// and namespaces (mount, umount2, pivot_root, chroot, unshare, setns, the new
// mount API, clone with CLONE_NEW* flags), kernel-level calls (kexec, module
// loading, reboot, swap, bpf, perf_event_open, keyrings, userfaultfd, acct,
// quotactl, clock and time setting, iopl/ioperm, syslog), io_uring.
// clone3 fails with ENOSYS so that libc falls back to clone, whose flags the
// filter can inspect. Other architectures (x32, i386) are killed.
Result<std::vector<uint8_t>> BuildSeccompFilter();

}  // namespace steer::sandbox::internal
