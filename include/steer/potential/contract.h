// Executable form of the Potential contract (docs/ARCHITECTURE.md). Tests of
// every potential (and adapters over the engine and the grammar) call it.
#pragma once

#include <span>
#include <vector>

#include "steer/potential/potential.h"

namespace steer::potential {

// Checks, for each context x (token sequences valid for p):
//   - no NaN in prefix, complete or logw_next;
//   - logw_next(x)[t] = log prefix(x·t) − log prefix(x) for every t < V, and
//     logw_next(x)[V] = log complete(x) − log prefix(x) (when prefix(x) > 0);
//   - zero prefixes are absorbing: prefix(x) = 0 gives an all −inf row and
//     complete(x) = 0;
//   - the autoregressive factorization: log prefix(x) = log prefix(ε) +
//     Σ_i logw_next(x_<i)[x_i], and log complete(x) = log prefix(x) +
//     logw_next(x)[V];
//   - batched calls (all contexts in one batch) equal single calls;
//   - Fork is independent: extending a fork leaves the original unchanged, and
//     a forked-then-extended state equals one rebuilt from scratch;
//   - the optional views (ViewNextLogits, ViewAllowed), where given, describe
//     logw_next(x).
// Values agree when both are −inf or |a − b| <= tolerance·max(1, |a|).
// Returns the first violation, naming the check, the context and the symbol.
Status CheckContract(Potential& p, std::span<const std::vector<TokenId>> contexts,
                     double tolerance = 1e-9);

}  // namespace steer::potential
