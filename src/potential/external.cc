#include "steer/potential/external.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "steer/util/check.h"
#include "steer/util/strings.h"

namespace steer::potential {

struct ExternalPotential::ExtState final : State {
  std::string text;
  double log_prefix = 0;
};

namespace {
std::string ExitDescription(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped";
}
}  // namespace

ExternalPotential::ExternalPotential(std::string command, std::vector<std::string> token_bytes,
                                     const ExternalOptions& options)
    : command_(std::move(command)), token_bytes_(std::move(token_bytes)), options_(options) {}

Result<std::shared_ptr<ExternalPotential>> ExternalPotential::Create(const std::string& command,
                                                                     std::vector<std::string> token_bytes,
                                                                     const ExternalOptions& options) {
  if (token_bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "external potential with an empty vocabulary", command);
  }
  if (options.timeout_ms <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "timeout must be > 0 ms", command);
  }
  std::shared_ptr<ExternalPotential> p(new ExternalPotential(command, std::move(token_bytes), options));
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return MakeError(ErrorCode::kIo, std::string("socketpair: ") + std::strerror(errno), command);
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return MakeError(ErrorCode::kIo, std::string("fork: ") + std::strerror(errno), command);
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Its own process group,
    // so a kill reaches whatever the shell starts.
    setpgid(0, 0);
    dup2(sv[1], STDIN_FILENO);
    dup2(sv[1], STDOUT_FILENO);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so the group exists before any kill
  close(sv[1]);
  fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
  p->fd_ = sv[0];
  p->pid_ = pid;
  return p;
}

ExternalPotential::~ExternalPotential() { Stop(); }

void ExternalPotential::Stop() {
  if (fd_ >= 0) {
    close(fd_);  // EOF on the checker's stdin: a polite checker exits now
    fd_ = -1;
  }
  if (pid_ > 0) {
    int status = 0;
    for (int i = 0; i < 20; ++i) {  // up to 100 ms for a clean exit
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      usleep(5000);
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

Status ExternalPotential::Fail(Error error) {
  error.location = command_;
  failed_ = std::make_unique<Error>(error);
  // Reap the child if it already died (so the message can say how), else kill it.
  if (pid_ > 0) {
    int status = 0;
    bool exited = false;
    // A checker that closed its output is usually exiting: give it 50 ms.
    for (int i = 0; i < 10 && error.code != ErrorCode::kResourceExhausted; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited = true;
        break;
      }
      usleep(5000);
    }
    if (!exited) {
      kill(-pid_, SIGKILL);  // the whole group: the shell and what it started
      waitpid(pid_, &status, 0);
    }
    failed_->message += " (the checker " + ExitDescription(status) + ")";
    pid_ = -1;
  }
  Stop();
  return *failed_;
}

Status ExternalPotential::Ask(const std::vector<Query>& queries, std::vector<double>* weights) {
  if (failed_) return *failed_;
  STEER_CHECK(!queries.empty());
  ++batches_;
  std::string request = std::to_string(queries.size()) + "\n";
  for (const Query& q : queries) {
    request += q.complete ? "c " : "p ";
    request += HexEncode(q.text);
    request += '\n';
  }
  weights->clear();
  size_t written = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  char buf[65536];
  while (weights->size() < queries.size()) {
    // Consume complete lines already received.
    size_t nl;
    while (weights->size() < queries.size() && (nl = inbox_.find('\n')) != std::string::npos) {
      std::string line = inbox_.substr(0, nl);
      inbox_.erase(0, nl + 1);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      const size_t index = weights->size();
      double w;
      if (line == "-inf") {
        w = kLogZero;
      } else {
        std::optional<double> v = ParseDouble(line);
        if (!v || std::isnan(*v) || std::isinf(*v)) {
          return Fail(MakeError(ErrorCode::kInvalidInput,
                                "answer " + std::to_string(index + 1) + " of batch " + std::to_string(batches_) +
                                    " is not a log weight (a number or -inf): '" + line.substr(0, 80) + "'"));
        }
        w = *v;
      }
      weights->push_back(w);
    }
    if (weights->size() == queries.size()) break;

    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Fail(MakeError(ErrorCode::kResourceExhausted,
                            "no complete answer within " + std::to_string(options_.timeout_ms) +
                                " ms; the checker was killed"));
    }
    const int wait_ms =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    pollfd pfd{fd_, static_cast<short>(POLLIN | (written < request.size() ? POLLOUT : 0)), 0};
    const int ready = poll(&pfd, 1, wait_ms);
    if (ready < 0 && errno != EINTR) {
      return Fail(MakeError(ErrorCode::kIo, std::string("poll: ") + std::strerror(errno)));
    }
    if (ready <= 0) continue;
    if ((pfd.revents & POLLOUT) && written < request.size()) {
      const ssize_t n = send(fd_, request.data() + written, request.size() - written, MSG_NOSIGNAL);
      if (n > 0) {
        written += static_cast<size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return Fail(MakeError(ErrorCode::kInternal, "the checker stopped reading its input"));
      }
    }
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n > 0) {
        inbox_.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        return Fail(MakeError(ErrorCode::kInternal,
                              "the checker closed its output after " + std::to_string(weights->size()) + " of " +
                                  std::to_string(queries.size()) + " answers in batch " +
                                  std::to_string(batches_)));
      }
    }
  }
  return {};
}

Result<StatePtr> ExternalPotential::Start() {
  queries_.assign(1, Query{false, ""});
  STEER_RETURN_IF_ERROR(Ask(queries_, &answers_));
  auto s = std::make_unique<ExtState>();
  s->log_prefix = answers_[0];
  return StatePtr(std::move(s));
}

StatePtr ExternalPotential::Fork(const State& s) {
  return std::make_unique<ExtState>(static_cast<const ExtState&>(s));
}

double ExternalPotential::LogPrefix(const State& s) const { return static_cast<const ExtState&>(s).log_prefix; }

Status ExternalPotential::Extend(std::span<State* const> states, std::span<const TokenId> tokens) {
  STEER_CHECK(states.size() == tokens.size());
  queries_.clear();
  for (size_t i = 0; i < states.size(); ++i) {
    auto& s = static_cast<ExtState&>(*states[i]);
    STEER_CHECK(tokens[i] >= 0 && tokens[i] < vocab_size());
    const std::string& bytes = token_bytes_[tokens[i]];
    s.text += bytes;
    if (bytes.empty()) s.log_prefix = kLogZero;  // tokens without bytes weigh zero
    if (s.log_prefix != kLogZero) queries_.push_back({false, s.text});
  }
  if (queries_.empty()) return {};
  STEER_RETURN_IF_ERROR(Ask(queries_, &answers_));
  size_t j = 0;
  for (State* st : states) {
    auto& s = static_cast<ExtState&>(*st);
    if (s.log_prefix != kLogZero) s.log_prefix = answers_[j++];
  }
  return {};
}

Status ExternalPotential::LogComplete(std::span<const State* const> states, std::span<double> out) {
  STEER_CHECK(out.size() == states.size());
  queries_.clear();
  for (const State* st : states) {
    const auto& s = static_cast<const ExtState&>(*st);
    if (s.log_prefix != kLogZero) queries_.push_back({true, s.text});
  }
  if (!queries_.empty()) STEER_RETURN_IF_ERROR(Ask(queries_, &answers_));
  size_t j = 0;
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const ExtState&>(*states[i]);
    out[i] = s.log_prefix == kLogZero ? kLogZero : answers_[j++];
  }
  return {};
}

Status ExternalPotential::LogWeightNext(std::span<const State* const> states, std::span<double> out) {
  const size_t v = token_bytes_.size();
  STEER_CHECK(out.size() == states.size() * (v + 1));
  queries_.clear();
  for (const State* st : states) {
    const auto& s = static_cast<const ExtState&>(*st);
    if (s.log_prefix == kLogZero) continue;
    for (size_t t = 0; t < v; ++t) {
      if (!token_bytes_[t].empty()) queries_.push_back({false, s.text + token_bytes_[t]});
    }
    queries_.push_back({true, s.text});
  }
  if (!queries_.empty()) STEER_RETURN_IF_ERROR(Ask(queries_, &answers_));
  size_t j = 0;
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const ExtState&>(*states[i]);
    std::span<double> row = out.subspan(i * (v + 1), v + 1);
    std::fill(row.begin(), row.end(), kLogZero);
    if (s.log_prefix == kLogZero) continue;
    for (size_t t = 0; t <= v; ++t) {
      if (t < v && token_bytes_[t].empty()) continue;
      const double w = answers_[j++];
      row[t] = w == kLogZero ? kLogZero : w - s.log_prefix;
    }
  }
  return {};
}

}  // namespace steer::potential
