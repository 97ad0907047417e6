// A grammar as a boolean Potential over tokens, over grammar::TokenMatcher.
//
// prefix(x) = 1 iff the bytes of x extend to a string of the language
// (the matcher accepts every token of x); complete(x) = 1 iff the bytes of x
// are in the language. The EOS token is the end marker, never an ordinary
// symbol; special tokens are never allowed (as in CompiledGrammar). A weight
// row is one FillMask: O(1) when the mask for the parse state is cached.
#pragma once

#include <memory>

#include "steer/potential/potential.h"
#include "steer/util/bitset.h"

namespace steer::grammar {
class CompiledGrammar;
}

namespace steer::potential {

class GrammarPotential final : public Potential {
 public:
  explicit GrammarPotential(std::shared_ptr<const grammar::CompiledGrammar> compiled);
  ~GrammarPotential() override;

  int32_t vocab_size() const override;
  std::string name() const override { return "grammar"; }
  Result<StatePtr> Start() override;
  StatePtr Fork(const State& s) override;
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override;
  double LogPrefix(const State& s) const override;
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override;
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override;
  // Writes −inf where the mask is clear; O(V/64) for words that allow all.
  Status AddLogWeightNext(std::span<const State* const> states, std::span<double> rows) override;
  bool ViewAllowed(const State& s, AllowedSet* out) override;

 private:
  struct GrammarState;
  std::shared_ptr<const grammar::CompiledGrammar> compiled_;
  DynamicBitset mask_;  // scratch for LogWeightNext
};

}  // namespace steer::potential
