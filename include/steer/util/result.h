// Result<T> and Error: how expected failures travel in steer.
//
// Every failure that bad input can cause (a malformed file, grammar, schema,
// prompt, a usage mistake, a sandbox refusal) is returned as an Error, never
// thrown across a module boundary. Broken invariants use STEER_CHECK instead.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace steer {

enum class ErrorCode : uint8_t {
  kInvalidArgument,    // bad usage or a bad option value            -> exit 2
  kInvalidInput,       // malformed file, grammar, schema or text    -> exit 2
  kUnsupported,        // well-formed but not supported (arch, type) -> exit 2
  kResourceExhausted,  // a configured limit was exceeded            -> exit 2
  kNotFound,           // a file or key that does not exist          -> exit 2
  kIo,                 // the OS refused (read, mmap, write)         -> exit 1
  kInternal,           // anything else                              -> exit 1
};

const char* ErrorCodeName(ErrorCode code);

// An error: what went wrong and where. `location` is free-form but precise:
// "file.gguf: offset 1234", "grammar.gbnf:3:14", "/properties/a/type".
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string location;

  // "location: message" (or just the message when there is no location).
  std::string ToString() const;
  // The process exit code the CLI uses for this error (2 for bad input, else 1).
  int ExitCode() const;
  // Returns a copy with `outer` prefixed to the location ("outer: inner").
  Error Within(const std::string& outer) const;
};

inline Error MakeError(ErrorCode code, std::string message, std::string location = {}) {
  return Error{code, std::move(message), std::move(location)};
}

// Result<T> holds either a T or an Error. Access to the wrong alternative is
// a broken invariant and aborts (see value() / error()).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { CheckOk(); return std::get<0>(v_); }
  const T& value() const& { CheckOk(); return std::get<0>(v_); }
  T&& value() && { CheckOk(); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { CheckError(); return std::get<1>(v_); }

 private:
  void CheckOk() const;
  void CheckError() const;
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const;

 private:
  Error error_;
  bool ok_ = true;
};

namespace internal {
[[noreturn]] void ResultAccessFailure(bool wanted_value, const Error* error);
}  // namespace internal

template <typename T>
void Result<T>::CheckOk() const {
  if (!ok()) internal::ResultAccessFailure(true, &std::get<1>(v_));
}
template <typename T>
void Result<T>::CheckError() const {
  if (ok()) internal::ResultAccessFailure(false, nullptr);
}

}  // namespace steer

// Propagate an error from an expression returning Status or Result<T>.
#define STEER_RETURN_IF_ERROR(expr)                  \
  do {                                               \
    auto steer_status_ = (expr);                     \
    if (!steer_status_.ok()) return steer_status_.error(); \
  } while (0)

#define STEER_CONCAT_INNER_(a, b) a##b
#define STEER_CONCAT_(a, b) STEER_CONCAT_INNER_(a, b)

// STEER_ASSIGN_OR_RETURN(auto x, MaybeX());
#define STEER_ASSIGN_OR_RETURN(lhs, expr) \
  STEER_ASSIGN_OR_RETURN_IMPL_(STEER_CONCAT_(steer_result_, __LINE__), lhs, expr)
#define STEER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.error();                 \
  lhs = std::move(tmp).value()
