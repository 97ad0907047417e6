// The potential algebra: product, power (temperature) and coerce (bytes to
// tokens). Each result is itself a Potential satisfying the contract whenever
// its arguments do.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "steer/potential/potential.h"

namespace steer::potential {

// φ(x) = Π_k φ_k(x) for prefix, complete and logw_next (sums in log space).
// All factors must share one vocabulary size; at least one factor.
Result<std::shared_ptr<Potential>> Product(std::vector<std::shared_ptr<Potential>> factors);

// φ(x)^alpha, alpha > 0 (a temperature T is alpha = 1/T). Zeros stay zeros.
Result<std::shared_ptr<Potential>> Power(std::shared_ptr<Potential> base, double alpha);

// Lifts a byte-level potential (V = 256) to tokens: the token sequence x
// weighs what its concatenated bytes weigh, so
//   logw_next(x)[t] = log prefix_b(bytes(x)·bytes(t)) − log prefix_b(bytes(x)),
// and the end marker is the byte potential's end marker. token_bytes[t] are
// the bytes of token t (the tokenizer's TokenBytes); tokens with no bytes
// (control tokens) get weight zero, since no byte constraint can vouch for
// them. A weight row walks a trie of the token bytes, asking the byte
// potential for one row per trie node reached and pruning below zero
// prefixes: O(trie nodes reached) rows, not O(Σ token lengths).
Result<std::shared_ptr<Potential>> Coerce(std::shared_ptr<Potential> bytes,
                                          std::vector<std::string> token_bytes);

// φ'(x) = φ(context·x): the potential seen after a fixed context, e.g. a
// byte-level max-ident-len primed with the prompt's bytes, so that an
// identifier the prompt leaves open is counted. The context is replayed once
// per Start.
Result<std::shared_ptr<Potential>> Primed(std::shared_ptr<Potential> base, std::vector<TokenId> context);

}  // namespace steer::potential
