// Internal: adaptive weighted rejection sampling (AWRS) of one symbol, after
// Lipkin et al. 2025, "Fast Controlled Generation from Language Models with
// Adaptive Weighted Rejection Sampling".
//
// Target: q(t) ∝ p(t)·c(t), p = normalize(exp(base_row)) over V+1 symbols,
// c boolean and only evaluated on drawn symbols (accept). Round 1 draws from
// p without replacement until accept holds; the first accepted symbol is the
// sample (exactly q-distributed, since removing rejected symbols and
// renormalizing keeps the allowed ones in proportion). Round 2 continues
// without replacement from what round 1 left, again until acceptance.
// With Z_p = Σ exp(base_row), R1 = p-mass rejected in round 1 and r = the
// number of rejections in both rounds, the log weight
//   log Z_p + log(1 − R1) − log(r + 1)
// is an unbiased estimate of log-normalizer Z_p·Σ_t p(t)c(t) given the
// sample (proper weighting), without evaluating c on the whole vocabulary.
// Cost: one O(V) exp pass per call, which also sums blocks of the row; a
// draw before the first rejection walks the block sums and one block; the
// first rejection builds a Fenwick tree (O(V)), and later draws cost
// O(log V). c runs r + 2 times.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "particles.h"

namespace steer::sampler::internal {

// Buffers reused across calls: p (V + 1 unnormalized probabilities) and the
// Fenwick tree over them (V + 2 entries).
struct AwrsScratch {
  std::vector<float> p;
  std::vector<double> tree;
};

// Returns {V, −inf} when no symbol is allowed. p is computed in single
// precision (relative error below 4e-7), sums in double.
Result<Choice> AwrsChoose(std::span<const double> base_row, const std::function<Result<bool>(TokenId)>& accept,
                          Rng& rng, AwrsScratch* scratch);

}  // namespace steer::sampler::internal
