#include "steer/potential/toy_lm.h"

#include <algorithm>
#include <cmath>

#include "steer/util/check.h"

namespace steer::potential {

struct ToyLm::ToyState final : State {
  std::vector<TokenId> context;
  double log_prefix = 0;
  std::vector<double> row;  // normalized logw_next(context), V+1 entries
};

namespace {
const std::vector<double>& LookupRow(const ToyLm::Table& table, std::span<const TokenId> context) {
  for (size_t start = 0; start <= context.size(); ++start) {
    std::vector<TokenId> key(context.begin() + start, context.end());
    auto it = table.find(key);
    if (it != table.end()) return it->second;
  }
  STEER_CHECK_MSG(false, "ToyLm table lacks the empty context");
  __builtin_unreachable();
}
}  // namespace

ToyLm::ToyLm(int32_t vocab_size, NextFn next) : vocab_size_(vocab_size), next_(std::move(next)) {
  STEER_CHECK(vocab_size > 0);
}

ToyLm::ToyLm(int32_t vocab_size, Table table) : vocab_size_(vocab_size) {
  STEER_CHECK(vocab_size > 0);
  STEER_CHECK_MSG(table.count({}) == 1, "ToyLm table lacks the empty context");
  for (const auto& [key, row] : table) {
    STEER_CHECK(row.size() == static_cast<size_t>(vocab_size) + 1);
    for (TokenId t : key) STEER_CHECK(t >= 0 && t < vocab_size);
  }
  next_ = [table = std::move(table)](std::span<const TokenId> context, std::span<double> w) {
    const std::vector<double>& row = LookupRow(table, context);
    std::copy(row.begin(), row.end(), w.begin());
  };
}

void ToyLm::FillRow(ToyState& s) const {
  s.row.assign(vocab_size_ + 1, 0.0);
  next_(s.context, s.row);
  double total = 0;
  for (double w : s.row) {
    STEER_CHECK_MSG(w >= 0 && std::isfinite(w), "ToyLm weights must be finite and non-negative");
    total += w;
  }
  STEER_CHECK_MSG(total > 0, "ToyLm row has no positive weight");
  for (double& w : s.row) w = w > 0 ? std::log(w / total) : kLogZero;
}

Result<StatePtr> ToyLm::Start() {
  auto s = std::make_unique<ToyState>();
  FillRow(*s);
  return StatePtr(std::move(s));
}

StatePtr ToyLm::Fork(const State& s) {
  return std::make_unique<ToyState>(static_cast<const ToyState&>(s));
}

Status ToyLm::Extend(std::span<State* const> states, std::span<const TokenId> tokens) {
  STEER_CHECK(states.size() == tokens.size());
  for (size_t i = 0; i < states.size(); ++i) {
    auto& s = static_cast<ToyState&>(*states[i]);
    const TokenId t = tokens[i];
    STEER_CHECK(t >= 0 && t < vocab_size_);
    s.log_prefix += s.row[t];
    s.context.push_back(t);
    if (s.log_prefix == kLogZero) {
      s.row.assign(vocab_size_ + 1, kLogZero);
    } else {
      FillRow(s);
    }
  }
  return {};
}

double ToyLm::LogPrefix(const State& s) const { return static_cast<const ToyState&>(s).log_prefix; }

Status ToyLm::LogComplete(std::span<const State* const> states, std::span<double> out) {
  STEER_CHECK(out.size() == states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const ToyState&>(*states[i]);
    out[i] = s.log_prefix + s.row[vocab_size_];
  }
  return {};
}

Status ToyLm::LogWeightNext(std::span<const State* const> states, std::span<double> out) {
  const size_t width = static_cast<size_t>(vocab_size_) + 1;
  STEER_CHECK(out.size() == states.size() * width);
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const ToyState&>(*states[i]);
    std::copy(s.row.begin(), s.row.end(), out.begin() + i * width);
  }
  return {};
}

}  // namespace steer::potential
