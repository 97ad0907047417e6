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

// ---- MaxIdentLenTokens -------------------------------------------------------

struct MaxIdentLenTokens::TokState final : State {
  Scan scan;
};

MaxIdentLenTokens::MaxIdentLenTokens(int max_len, const std::vector<std::string>& token_bytes,
                                     std::string_view initial_text)
    : max_len_(max_len) {
  STEER_CHECK(max_len >= 0);
  tokens_.resize(token_bytes.size());
  for (size_t t = 0; t < token_bytes.size(); ++t) {
    const std::string& b = token_bytes[t];
    Summary& s = tokens_[t];
    if (b.empty()) continue;
    s.empty = false;
    size_t i = 0;
    while (i < b.size() && IsWordByte(static_cast<uint8_t>(b[i]))) ++i;
    s.lead = static_cast<int32_t>(i);
    s.lead_digit = i > 0 && IsDigit(static_cast<uint8_t>(b[0]));
    s.all_word = i == b.size();
    if (s.all_word) continue;
    // Runs strictly between the first and the last non-word byte.
    size_t end_of_inner = b.size();
    while (end_of_inner > 0 && IsWordByte(static_cast<uint8_t>(b[end_of_inner - 1]))) --end_of_inner;
    // [end_of_inner, size) is the trailing run.
    s.trail = static_cast<int32_t>(b.size() - end_of_inner);
    s.trail_digit = s.trail > 0 && IsDigit(static_cast<uint8_t>(b[end_of_inner]));
    for (size_t j = i; j < end_of_inner;) {
      if (!IsWordByte(static_cast<uint8_t>(b[j]))) {
        ++j;
        continue;
      }
      size_t k = j;
      while (k < end_of_inner && IsWordByte(static_cast<uint8_t>(b[k]))) ++k;
      if (!IsDigit(static_cast<uint8_t>(b[j])) && static_cast<int>(k - j) > max_len_) s.inner_ok = false;
      j = k;
    }
  }
  // Scan the initial text byte by byte.
  for (char c : initial_text) {
    const int b = static_cast<uint8_t>(c);
    if (!IsWordByte(b)) {
      initial_.run = 0;
      initial_.in_number = false;
    } else if (initial_.in_number) {
    } else if (initial_.run == 0 && IsDigit(b)) {
      initial_.in_number = true;
    } else if (++initial_.run > max_len_) {
      initial_.viable = false;
    }
  }
}

std::string MaxIdentLenTokens::name() const { return "max-ident-len(" + std::to_string(max_len_) + ")"; }

MaxIdentLenTokens::Scan MaxIdentLenTokens::Step(const Scan& s, TokenId t) const {
  const Summary& k = tokens_[t];
  Scan out = s;
  if (!s.viable || k.empty) {
    out.viable = false;
    return out;
  }
  // The leading run continues the current one.
  if (k.lead > 0) {
    if (s.in_number) {
      // stays a number
    } else if (s.run == 0 && k.lead_digit) {
      out.in_number = true;
    } else {
      out.run = s.run + k.lead;
      if (out.run > max_len_) out.viable = false;
    }
  }
  if (k.all_word) return out;
  if (!k.inner_ok) out.viable = false;
  // After the last non-word byte, the trailing run starts afresh.
  out.in_number = k.trail > 0 && k.trail_digit;
  out.run = out.in_number ? 0 : k.trail;
  if (out.run > max_len_) out.viable = false;
  return out;
}

Result<StatePtr> MaxIdentLenTokens::Start() {
  auto s = std::make_unique<TokState>();
  s->scan = initial_;
  return StatePtr(std::move(s));
}

StatePtr MaxIdentLenTokens::Fork(const State& s) {
  return std::make_unique<TokState>(static_cast<const TokState&>(s));
}

Status MaxIdentLenTokens::Extend(std::span<State* const> states, std::span<const TokenId> tokens) {
  STEER_CHECK(states.size() == tokens.size());
  for (size_t i = 0; i < states.size(); ++i) {
    STEER_CHECK(tokens[i] >= 0 && tokens[i] < vocab_size());
    auto& s = static_cast<TokState&>(*states[i]);
    s.scan = Step(s.scan, tokens[i]);
  }
  return {};
}

double MaxIdentLenTokens::LogPrefix(const State& s) const {
  return Bool(static_cast<const TokState&>(s).scan.viable);
}

Status MaxIdentLenTokens::LogComplete(std::span<const State* const> states, std::span<double> out) {
  STEER_CHECK(out.size() == states.size());
  for (size_t i = 0; i < states.size(); ++i) out[i] = LogPrefix(*states[i]);
  return {};
}

Status MaxIdentLenTokens::LogWeightNext(std::span<const State* const> states, std::span<double> out) {
  const size_t width = tokens_.size() + 1;
  STEER_CHECK(out.size() == states.size() * width);
  for (size_t i = 0; i < states.size(); ++i) {
    const Scan& s = static_cast<const TokState&>(*states[i]).scan;
    std::span<double> row = out.subspan(i * width, width);
    if (!s.viable) {
      std::fill(row.begin(), row.end(), kLogZero);
      continue;
    }
    for (size_t t = 0; t < tokens_.size(); ++t) row[t] = Bool(Step(s, static_cast<TokenId>(t)).viable);
    row[tokens_.size()] = 0.0;
  }
  return {};
}

}  // namespace steer::potential
