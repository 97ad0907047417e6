// The Potential interface: non-negative weights on strings, in log space.
//
// A potential φ over a vocabulary of V symbols (bytes: V = 256, or tokens)
// weighs strings x in V* (see docs/ARCHITECTURE.md, "The Potential contract"):
//   prefix(x)       the weight of x as a prefix (boolean: 1 iff some allowed
//                   completion exists);
//   complete(x)     the weight of x as a finished string;
//   logw_next(x)[t] = log prefix(x·t) − log prefix(x)      for t < V,
//   logw_next(x)[V] = log complete(x) − log prefix(x)      (the end marker).
// Every weight row therefore has V + 1 entries, the last one for the end.
//
// Zeros are absorbing: prefix(x) = 0 implies prefix(x·y) = 0 and complete(x·y)
// = 0 for every y. On a state whose prefix is zero, LogWeightNext fills −inf
// (never NaN) and LogComplete returns −inf.
//
// Contexts are held in opaque, forkable per-particle States, so extending a
// context by one token is incremental (an LM decodes one token, a grammar
// matcher accepts one token). All calls are batched over states; a batch of
// one equals a single call, and a batch equals its elements done one by one.
//
// Thread safety: a Potential and its states are used from one thread at a
// time. Failures that outside input can cause (an external checker that
// dies, an engine out of memory) come back as Status, never as aborts.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "steer/util/result.h"
#include "steer/util/types.h"

namespace steer::potential {

inline constexpr double kLogZero = -std::numeric_limits<double>::infinity();

// Per-context state of one potential. Each Potential defines its own subclass
// and only accepts states it created (Start/Fork) itself.
class State {
 public:
  virtual ~State() = default;
};
using StatePtr = std::unique_ptr<State>;

class Potential {
 public:
  virtual ~Potential() = default;

  // V. Ordinary symbols are 0..V-1; entry V of a weight row is the end marker.
  virtual int32_t vocab_size() const = 0;
  // A short description for messages ("toy-lm", "max-ident-len(10)", ...).
  virtual std::string name() const = 0;

  // The state of the empty context.
  virtual Result<StatePtr> Start() = 0;
  // An independent copy of `s` (shares what it can, recomputes nothing).
  virtual StatePtr Fork(const State& s) = 0;
  // Appends tokens[i] (0 <= tokens[i] < V) to *states[i] for every i.
  // Requires states.size() == tokens.size() and distinct states.
  virtual Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) = 0;
  // log prefix(x) of the state's context. O(1): states keep it up to date.
  virtual double LogPrefix(const State& s) const = 0;
  // out[i] = log complete(x_i). Requires out.size() == states.size().
  virtual Status LogComplete(std::span<const State* const> states, std::span<double> out) = 0;
  // Row i of out (entries [i*(V+1), (i+1)*(V+1))) = logw_next(x_i).
  // Requires out.size() == states.size() * (V + 1).
  virtual Status LogWeightNext(std::span<const State* const> states, std::span<double> out) = 0;
  // rows += LogWeightNext(states), entry by entry, for samplers that sum the
  // rows of several potentials (−inf absorbs). The default goes through a
  // scratch row; a boolean potential overrides it to write only its −inf
  // entries, without materializing its row of zeros.
  virtual Status AddLogWeightNext(std::span<const State* const> states, std::span<double> rows);

  // Optional views for the sampler's masked draw. When a proposal is one
  // potential with NextLogits times one with AllowedSet, the sampler builds
  // the summed row in single precision from the views instead of calling
  // LogWeightNext and AddLogWeightNext on double rows. A potential that
  // gives a view promises that its row is the one the view describes (up to
  // float rounding of the logits' exps, 4e-7 relative). The defaults give
  // none; false also means "no view for this state" (the sampler then uses
  // the rows).
  //
  // NextLogits: row[t] = logits[t] - log_norm for t < V except t == moved,
  // row[moved] = -inf and row[V] = logits[moved] - log_norm (an LM moves its
  // EOS token to the end marker). logits stays valid while s lives.
  // exps, when given: exp(logits[t] - max_logit) in single precision (the
  // terms of log_norm), for a draw without another exp pass.
  struct NextLogits {
    std::span<const float> logits;  // V entries
    std::span<const float> exps;    // V entries, or empty
    float max_logit = 0;
    double log_norm = 0;
    TokenId moved = -1;
  };
  virtual bool ViewNextLogits(const State& s, NextLogits* out) const;
  // AllowedSet: row[t] = 0 where bit t of words is set and -inf elsewhere
  // (t < V; bits past V are clear), row[V] = end ? 0 : -inf. words stays
  // valid until the next call on this potential.
  struct AllowedSet {
    const uint64_t* words = nullptr;
    bool end = false;
  };
  virtual bool ViewAllowed(const State& s, AllowedSet* out);

  // Single-context conveniences over the batched calls (not for hot paths:
  // they rebuild the state from the empty context).
  Result<StatePtr> StateOf(std::span<const TokenId> context);
  Result<double> LogPrefixOf(std::span<const TokenId> context);
  Result<double> LogCompleteOf(std::span<const TokenId> context);
  Status LogWeightNextOf(std::span<const TokenId> context, std::span<double> out);
  // Single-state forms of the batched calls.
  Status ExtendOne(State& s, TokenId token);
  Result<double> LogCompleteOne(const State& s);
  Status LogWeightNextOne(const State& s, std::span<double> out);

 private:
  std::vector<double> add_scratch_;  // AddLogWeightNext's default
};

// log(exp(a) + exp(b)) with −inf handled (never NaN for a, b in [−inf, +inf)).
double LogAddExp(double a, double b);
// log Σ exp(v[i]); −inf for an empty span or all −inf.
double LogSumExp(std::span<const double> v);

}  // namespace steer::potential
