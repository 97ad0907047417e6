#include "steer/potential/potential.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "steer/util/check.h"
#include "steer/util/fast_exp.h"

namespace steer::potential {

Result<StatePtr> Potential::StateOf(std::span<const TokenId> context) {
  STEER_ASSIGN_OR_RETURN(StatePtr s, Start());
  for (TokenId t : context) {
    if (t < 0 || t >= vocab_size()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "token " + std::to_string(t) + " is outside the vocabulary of size " +
                           std::to_string(vocab_size()),
                       name());
    }
    STEER_RETURN_IF_ERROR(ExtendOne(*s, t));
  }
  return s;
}

Result<double> Potential::LogPrefixOf(std::span<const TokenId> context) {
  STEER_ASSIGN_OR_RETURN(StatePtr s, StateOf(context));
  return LogPrefix(*s);
}

Result<double> Potential::LogCompleteOf(std::span<const TokenId> context) {
  STEER_ASSIGN_OR_RETURN(StatePtr s, StateOf(context));
  return LogCompleteOne(*s);
}

Status Potential::LogWeightNextOf(std::span<const TokenId> context, std::span<double> out) {
  STEER_ASSIGN_OR_RETURN(StatePtr s, StateOf(context));
  return LogWeightNextOne(*s, out);
}

Status Potential::ExtendOne(State& s, TokenId token) {
  State* states[1] = {&s};
  const TokenId tokens[1] = {token};
  return Extend(states, tokens);
}

Result<double> Potential::LogCompleteOne(const State& s) {
  const State* states[1] = {&s};
  double out[1];
  STEER_RETURN_IF_ERROR(LogComplete(states, out));
  return out[0];
}

Status Potential::LogWeightNextOne(const State& s, std::span<double> out) {
  STEER_CHECK(out.size() == static_cast<size_t>(vocab_size()) + 1);
  const State* states[1] = {&s};
  return LogWeightNext(states, out);
}

Status Potential::AddLogWeightNext(std::span<const State* const> states, std::span<double> rows) {
  add_scratch_.resize(rows.size());
  STEER_RETURN_IF_ERROR(LogWeightNext(states, add_scratch_));
  for (size_t j = 0; j < rows.size(); ++j) rows[j] += add_scratch_[j];
  return {};
}

double LogAddExp(double a, double b) {
  if (a == kLogZero) return b;
  if (b == kLogZero) return a;
  const double m = std::max(a, b);
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

double LogSumExp(std::span<const double> v) {
  double m = kLogZero;
  for (double x : v) m = std::max(m, x);
  if (m == kLogZero) return kLogZero;
  return m + std::log(SumExpShifted(v, m));
}

bool Potential::ViewNextLogits(const State&, NextLogits*) const { return false; }
bool Potential::ViewAllowed(const State&, AllowedSet*) { return false; }

}  // namespace steer::potential
