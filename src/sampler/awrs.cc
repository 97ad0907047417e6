#include "awrs.h"

#include <cmath>

#include "steer/potential/potential.h"

namespace steer::sampler::internal {

using potential::kLogZero;

namespace {
// Draws an index with probability p[i] / Σp (p[i] = 0 for removed ones).
// Returns −1 when nothing is left.
TokenId DrawRemaining(const std::vector<double>& p, double total, Rng& rng) {
  if (!(total > 0)) return -1;
  const double u = rng.Uniform() * total;
  double acc = 0;
  TokenId last = -1;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) continue;
    acc += p[i];
    last = static_cast<TokenId>(i);
    if (u < acc) return last;
  }
  return last;  // rounding
}

double Sum(const std::vector<double>& p) {
  double s = 0;
  for (double v : p) s += v;
  return s;
}
}  // namespace

Result<Choice> AwrsChoose(std::span<const double> base_row, const std::function<Result<bool>(TokenId)>& accept,
                          Rng& rng, std::vector<double>* scratch) {
  const TokenId end = static_cast<TokenId>(base_row.size()) - 1;
  const double log_z = potential::LogSumExp(base_row);
  if (log_z == kLogZero) return Choice{end, kLogZero};
  std::vector<double>& p = *scratch;
  p.resize(base_row.size());
  for (size_t i = 0; i < p.size(); ++i) p[i] = std::exp(base_row[i] - log_z);
  double remaining = 1.0;
  TokenId sample = -1;
  int64_t rejections = 0;
  double kept_after_round1 = 1.0;  // 1 − R1
  for (int round = 0; round < 2; ++round) {
    for (;;) {
      const TokenId t = DrawRemaining(p, remaining, rng);
      if (t < 0) break;  // everything left was rejected
      STEER_ASSIGN_OR_RETURN(const bool ok, accept(t));
      if (ok) {
        if (sample < 0) sample = t;
        break;
      }
      ++rejections;
      remaining -= p[t];
      p[t] = 0;
      if (remaining < 1e-6) remaining = Sum(p);  // no drift when almost all is gone
    }
    if (round == 0) {
      if (sample < 0) return Choice{end, kLogZero};
      kept_after_round1 = Sum(p);
      remaining = kept_after_round1;
    }
  }
  return Choice{sample, log_z + std::log(kept_after_round1) - std::log(static_cast<double>(rejections + 1))};
}

}  // namespace steer::sampler::internal
