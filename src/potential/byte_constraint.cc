#include "steer/potential/byte_constraint.h"

#include <string>

#include "steer/util/check.h"

namespace steer::potential {

namespace {
double Bool(bool ok) { return ok ? 0.0 : kLogZero; }
}  // namespace

// ---- ByteConstraint ---------------------------------------------------------

struct ByteConstraint::ByteState final : State {
  std::string bytes;
  bool viable = true;  // prefix_ok(bytes); false is absorbing
};

ByteConstraint::ByteConstraint(std::string name, Predicate prefix_ok, Predicate complete_ok)
    : name_(std::move(name)), prefix_ok_(std::move(prefix_ok)), complete_ok_(std::move(complete_ok)) {}

Result<StatePtr> ByteConstraint::Start() {
  auto s = std::make_unique<ByteState>();
  s->viable = prefix_ok_(s->bytes);
  return StatePtr(std::move(s));
}

StatePtr ByteConstraint::Fork(const State& s) {
  return std::make_unique<ByteState>(static_cast<const ByteState&>(s));
}

Status ByteConstraint::Extend(std::span<State* const> states, std::span<const TokenId> tokens) {
  STEER_CHECK(states.size() == tokens.size());
  for (size_t i = 0; i < states.size(); ++i) {
    auto& s = static_cast<ByteState&>(*states[i]);
    STEER_CHECK(tokens[i] >= 0 && tokens[i] < kByteVocab);
    s.bytes.push_back(static_cast<char>(tokens[i]));
    s.viable = s.viable && prefix_ok_(s.bytes);
  }
  return {};
}

double ByteConstraint::LogPrefix(const State& s) const {
  return Bool(static_cast<const ByteState&>(s).viable);
}

Status ByteConstraint::LogComplete(std::span<const State* const> states, std::span<double> out) {
  STEER_CHECK(out.size() == states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const ByteState&>(*states[i]);
    out[i] = Bool(s.viable && complete_ok_(s.bytes));
  }
  return {};
}

Status ByteConstraint::LogWeightNext(std::span<const State* const> states, std::span<double> out) {
  constexpr size_t kWidth = kByteVocab + 1;
  STEER_CHECK(out.size() == states.size() * kWidth);
  std::string scratch;
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const ByteState&>(*states[i]);
    std::span<double> row = out.subspan(i * kWidth, kWidth);
    if (!s.viable) {
      std::fill(row.begin(), row.end(), kLogZero);
      continue;
    }
    scratch = s.bytes;
    scratch.push_back('\0');
    for (int b = 0; b < kByteVocab; ++b) {
      scratch.back() = static_cast<char>(b);
      row[b] = Bool(prefix_ok_(scratch));
    }
    row[kByteVocab] = Bool(complete_ok_(s.bytes));
  }
  return {};
}

// ---- MaxIdentLen ------------------------------------------------------------

struct MaxIdentLen::IdentState final : State {
  int run = 0;             // length of the current identifier run; 0 outside one
  bool in_number = false;  // inside a run that started with a digit
  bool viable = true;
};

namespace {
bool IsWordByte(int b) {
  return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_';
}
bool IsDigit(int b) { return b >= '0' && b <= '9'; }
}  // namespace

MaxIdentLen::MaxIdentLen(int max_len) : max_len_(max_len) { STEER_CHECK(max_len >= 0); }

std::string MaxIdentLen::name() const { return "max-ident-len(" + std::to_string(max_len_) + ")"; }

Result<StatePtr> MaxIdentLen::Start() { return StatePtr(std::make_unique<IdentState>()); }

StatePtr MaxIdentLen::Fork(const State& s) {
  return std::make_unique<IdentState>(static_cast<const IdentState&>(s));
}

Status MaxIdentLen::Extend(std::span<State* const> states, std::span<const TokenId> tokens) {
  STEER_CHECK(states.size() == tokens.size());
  for (size_t i = 0; i < states.size(); ++i) {
    auto& s = static_cast<IdentState&>(*states[i]);
    const int b = tokens[i];
    STEER_CHECK(b >= 0 && b < kByteVocab);
    if (!IsWordByte(b)) {
      s.run = 0;
      s.in_number = false;
    } else if (s.in_number) {
      // digits and letters continuing a number: not an identifier
    } else if (s.run == 0 && IsDigit(b)) {
      s.in_number = true;
    } else {
      ++s.run;
      if (s.run > max_len_) s.viable = false;
    }
  }
  return {};
}

double MaxIdentLen::LogPrefix(const State& s) const {
  return Bool(static_cast<const IdentState&>(s).viable);
}

Status MaxIdentLen::LogComplete(std::span<const State* const> states, std::span<double> out) {
  STEER_CHECK(out.size() == states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    out[i] = Bool(static_cast<const IdentState&>(*states[i]).viable);
  }
  return {};
}

Status MaxIdentLen::LogWeightNext(std::span<const State* const> states, std::span<double> out) {
  constexpr size_t kWidth = kByteVocab + 1;
  STEER_CHECK(out.size() == states.size() * kWidth);
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const IdentState&>(*states[i]);
    std::span<double> row = out.subspan(i * kWidth, kWidth);
    if (!s.viable) {
      std::fill(row.begin(), row.end(), kLogZero);
      continue;
    }
    // Only a byte that lengthens an identifier run past max_len can fail.
    const bool at_limit = !s.in_number && s.run == max_len_;
    const bool fresh_run = !s.in_number && s.run == 0;
    for (int b = 0; b < kByteVocab; ++b) {
      const bool grows = IsWordByte(b) && !(fresh_run && IsDigit(b));
      row[b] = Bool(!(grows && at_limit));
    }
    row[kByteVocab] = 0.0;
  }
  return {};
}

}  // namespace steer::potential
