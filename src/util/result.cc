#include "steer/util/result.h"

#include <cstdio>
#include <cstdlib>

#include "steer/util/check.h"

namespace steer {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kInvalidInput: return "invalid input";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kResourceExhausted: return "resource exhausted";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Error::ToString() const {
  if (location.empty()) return message;
  return location + ": " + message;
}

int Error::ExitCode() const {
  switch (code) {
    case ErrorCode::kIo:
    case ErrorCode::kInternal: return 1;
    default: return 2;
  }
}

Error Error::Within(const std::string& outer) const {
  Error e = *this;
  e.location = location.empty() ? outer : outer + ": " + location;
  return e;
}

const Error& Status::error() const {
  if (ok_) internal::ResultAccessFailure(false, nullptr);
  return error_;
}

namespace internal {

void ResultAccessFailure(bool wanted_value, const Error* error) {
  if (wanted_value) {
    std::fprintf(stderr, "steer: value() on a failed Result: %s\n",
                 error ? error->ToString().c_str() : "?");
  } else {
    std::fprintf(stderr, "steer: error() on a successful Result\n");
  }
  std::abort();
}

void CheckFailure(const char* cond, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "steer: CHECK failed at %s:%d: %s%s%s\n", file, line, cond,
               msg ? ": " : "", msg ? msg : "");
  std::abort();
}

}  // namespace internal
}  // namespace steer
