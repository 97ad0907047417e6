// STEER_CHECK: invariants that must hold whatever the input. A failure is a
// bug in steer, so it prints the condition and location and aborts.
#pragma once

namespace steer::internal {
[[noreturn]] void CheckFailure(const char* cond, const char* file, int line, const char* msg);
}  // namespace steer::internal

#define STEER_CHECK(cond)                                                      \
  do {                                                                         \
    if (__builtin_expect(!(cond), 0))                                          \
      ::steer::internal::CheckFailure(#cond, __FILE__, __LINE__, nullptr);     \
  } while (0)

#define STEER_CHECK_MSG(cond, msg)                                             \
  do {                                                                         \
    if (__builtin_expect(!(cond), 0))                                          \
      ::steer::internal::CheckFailure(#cond, __FILE__, __LINE__, (msg));       \
  } while (0)

#ifdef NDEBUG
#define STEER_DCHECK(cond) \
  do {                     \
  } while (0)
#else
#define STEER_DCHECK(cond) STEER_CHECK(cond)
#endif
