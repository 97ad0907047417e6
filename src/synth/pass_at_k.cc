#include "steer/synth/pass_at_k.h"

#include "steer/util/check.h"

namespace steer::synth {

double PassAtK(int n, int c, int k) {
  STEER_CHECK(0 <= c && c <= n && 1 <= k && k <= n);
  if (n - c < k) return 1.0;
  double fail = 1.0;
  for (int i = n - c + 1; i <= n; ++i) fail *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - fail;
}

}  // namespace steer::synth
