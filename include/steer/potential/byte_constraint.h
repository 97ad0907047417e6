// Boolean constraints over bytes (V = 256): weights are 1 (log 0) or 0 (−inf).
// Lift them to tokens with Coerce (combinators.h).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "steer/potential/potential.h"

namespace steer::potential {

inline constexpr int32_t kByteVocab = 256;

// A constraint from user callbacks over the byte string so far.
//   prefix_ok(x):   some allowed completion of x exists;
//   complete_ok(x): x itself is allowed as a finished string.
// The callbacks must be consistent: prefix_ok(x·y) implies prefix_ok(x), and
// complete_ok(x) implies prefix_ok(x). Each call sees the whole string, so a
// weight row costs 257 callback calls over the context (O(257·|x|) if the
// callbacks are linear).
class ByteConstraint final : public Potential {
 public:
  using Predicate = std::function<bool(std::string_view bytes)>;
  ByteConstraint(std::string name, Predicate prefix_ok, Predicate complete_ok);

  int32_t vocab_size() const override { return kByteVocab; }
  std::string name() const override { return name_; }
  Result<StatePtr> Start() override;
  StatePtr Fork(const State& s) override;
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override;
  double LogPrefix(const State& s) const override;
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override;
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override;

 private:
  struct ByteState;
  std::string name_;
  Predicate prefix_ok_;
  Predicate complete_ok_;
};

// No identifier longer than max_len bytes. An identifier is a maximal run of
// [A-Za-z0-9_] that starts with [A-Za-z_]; a run that starts with a digit is a
// number and is not limited. Non-ASCII bytes end a run (identifiers are
// counted in ASCII only). Incremental: O(1) per byte, 257 steps per row.
class MaxIdentLen final : public Potential {
 public:
  explicit MaxIdentLen(int max_len);

  int32_t vocab_size() const override { return kByteVocab; }
  std::string name() const override;
  Result<StatePtr> Start() override;
  StatePtr Fork(const State& s) override;
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override;
  double LogPrefix(const State& s) const override;
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override;
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override;

 private:
  struct IdentState;
  int max_len_;
};

// MaxIdentLen over a token vocabulary directly: equal to
// Coerce(Primed(MaxIdentLen(max_len), bytes(initial_text)), token_bytes) (the
// slow oracle its tests compare against), but a weight row costs O(V) from
// per-token summaries instead of a trie walk. initial_text is what precedes
// the generated text (e.g. the prompt), so an identifier it leaves open is
// counted. Tokens with no bytes weigh zero, as in Coerce.
class MaxIdentLenTokens final : public Potential {
 public:
  MaxIdentLenTokens(int max_len, const std::vector<std::string>& token_bytes, std::string_view initial_text = {});

  int32_t vocab_size() const override { return static_cast<int32_t>(tokens_.size()); }
  std::string name() const override;
  Result<StatePtr> Start() override;
  StatePtr Fork(const State& s) override;
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override;
  double LogPrefix(const State& s) const override;
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override;
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override;

 private:
  // What a token does to the scanner, whatever state it starts in.
  struct Summary {
    bool empty = true;
    bool all_word = false;     // every byte is [A-Za-z0-9_]
    int32_t lead = 0;          // length of the leading word run
    bool lead_digit = false;   // the leading run starts with a digit
    bool inner_ok = true;      // no identifier run strictly inside is too long
    int32_t trail = 0;         // length of the trailing word run (after the last non-word byte)
    bool trail_digit = false;  // the trailing run starts with a digit
  };
  struct Scan {  // the MaxIdentLen scanner state
    int32_t run = 0;
    bool in_number = false;
    bool viable = true;
  };
  struct TokState;
  Scan Step(const Scan& s, TokenId t) const;

  int max_len_;
  std::vector<Summary> tokens_;
  Scan initial_;
};

}  // namespace steer::potential
