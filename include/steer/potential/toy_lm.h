// ToyLm: a small table- or callback-driven language model, as a Potential.
//
// Its logw_next(x) is a normalized log-distribution over V tokens plus the end
// marker, so prefix(x) = Π p(x_i | x_<i) and complete(x) = prefix(x)·p(end|x)
// (a finished document). Tests and examples use it where the exact posterior
// must be computable by enumeration; it is not meant for large vocabularies
// (each state holds its own V+1 row).
#pragma once

#include <functional>
#include <map>
#include <span>
#include <vector>

#include "steer/potential/potential.h"

namespace steer::potential {

class ToyLm final : public Potential {
 public:
  // Fills weights (V+1 entries, non-negative, at least one positive) for the
  // next symbol after `context`; entry V is the end marker. ToyLm normalizes.
  using NextFn = std::function<void(std::span<const TokenId> context, std::span<double> weights)>;
  // Rows keyed by context. The row for a context is the one of its longest
  // suffix present in the table (an n-gram with back-off); the empty context
  // must be present. Each row has V+1 non-negative weights.
  using Table = std::map<std::vector<TokenId>, std::vector<double>>;

  ToyLm(int32_t vocab_size, NextFn next);
  // Aborts (STEER_CHECK) on a malformed table: tests build tables in code.
  ToyLm(int32_t vocab_size, Table table);

  int32_t vocab_size() const override { return vocab_size_; }
  std::string name() const override { return "toy-lm"; }
  Result<StatePtr> Start() override;
  StatePtr Fork(const State& s) override;
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override;
  double LogPrefix(const State& s) const override;
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override;
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override;

 private:
  struct ToyState;
  void FillRow(ToyState& s) const;

  int32_t vocab_size_;
  NextFn next_;
};

}  // namespace steer::potential
