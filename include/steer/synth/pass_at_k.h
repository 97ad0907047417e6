// pass@k: the probability that at least one of k samples drawn without
// replacement from n samples, c of them correct, is correct.
#pragma once

namespace steer::synth {

// The unbiased estimator 1 - C(n-c, k) / C(n, k), computed as
// 1 - prod_{i=n-c+1}^{n} (1 - k / i), which never forms a binomial
// coefficient. Requires 0 <= c <= n and 1 <= k <= n.
double PassAtK(int n, int c, int k);

}  // namespace steer::synth
