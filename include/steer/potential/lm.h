// The language model as a Potential, over engine::Engine.
//
// Vocabulary: the model's tokens; the end marker is the EOS token. So
//   logw_next(x)[t] = log p(t | prompt·x) for t != eos,
//   logw_next(x)[eos] = −inf (EOS is not an ordinary symbol),
//   logw_next(x)[V] = log p(eos | prompt·x),
// prefix(x) = Π p(x_i | prompt·x_<i) and complete(x) = prefix(x)·p(eos | x):
// a finished document. Temperature is Power(lm, 1/T) — note that a power of
// the LM is no longer normalized.
//
// States are engine sequences. The prompt is decoded once, into a root
// sequence; Start forks it and Fork forks a state's sequence (copy-free: KV
// blocks are shared and copied on write). Each state holds its current
// logits (V floats, shared between forks, copied on write) and their
// log-normalizer; Extend decodes one token per state, all states in one
// batch. Twins, states forked from one another since either was extended,
// that are extended by the same token decode one row: the others become
// forks of the first (SMC's resampled copies often agree on the next token).
// A state whose prefix is zero (it took EOS as an ordinary token) releases
// nothing early and is never decoded again.
//
// Ownership: the potential shares the engine; states release their sequence
// on destruction and must not outlive the potential.
#pragma once

#include <memory>
#include <vector>

#include "steer/potential/potential.h"

namespace steer::engine {
class Engine;
}

namespace steer::potential {

class LmPotential final : public Potential {
 public:
  // prompt: at least one token (e.g. BOS). eos: in [0, n_vocab).
  static Result<std::shared_ptr<LmPotential>> Create(std::shared_ptr<engine::Engine> engine,
                                                     std::vector<TokenId> prompt, TokenId eos);
  ~LmPotential() override;

  int32_t vocab_size() const override { return vocab_; }
  std::string name() const override { return "lm"; }
  Result<StatePtr> Start() override;
  StatePtr Fork(const State& s) override;
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override;
  double LogPrefix(const State& s) const override;
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override;
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override;
  bool ViewNextLogits(const State& s, NextLogits* out) const override;

 private:
  LmPotential(std::shared_ptr<engine::Engine> engine, std::vector<TokenId> prompt, TokenId eos);
  struct LmState;
  std::shared_ptr<engine::Engine> engine_;
  std::vector<TokenId> prompt_;
  TokenId eos_;
  int32_t vocab_;
  int32_t root_ = -1;              // the prompt's sequence, decoded at the first Start
  std::shared_ptr<std::vector<float>> root_logits_, root_exps_;  // shared with states, never written
  float root_max_logit_ = 0;
  double root_log_norm_ = 0;
};

}  // namespace steer::potential
