// Resampling schemes for SMC. Each draws n ancestor indices from weights w
// (given as log weights, normalized internally) with E[#copies of i] = n·w_i.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "steer/util/result.h"
#include "steer/util/rng.h"

namespace steer::sampler {

enum class ResampleScheme { kMultinomial, kStratified, kSystematic, kResidual };

const char* ResampleSchemeName(ResampleScheme scheme);
// "multinomial" | "stratified" | "systematic" | "residual".
Result<ResampleScheme> ParseResampleScheme(std::string_view name);

// Fills *ancestors with n indices into log_weights, in ascending order.
// Requires n >= 0 and at least one finite log weight (STEER_CHECK): callers
// handle the all-zero case (every particle dead) themselves.
//   multinomial: n independent draws;                         O(n log m)
//   stratified:  one uniform in each of n strata [i/n, (i+1)/n); O(n + m)
//   systematic:  one uniform U, points (i + U)/n;               O(n + m)
//   residual:    floor(n·w_i) copies, the rest multinomial on the residuals.
void Resample(ResampleScheme scheme, std::span<const double> log_weights, int n, Rng& rng,
              std::vector<int>* ancestors);

// The same with reusable scratch: once its buffers and *ancestors have grown
// to the sizes in use, a call allocates nothing (SMC's hot path).
class Resampler {
 public:
  void Resample(ResampleScheme scheme, std::span<const double> log_weights, int n, Rng& rng,
                std::vector<int>* ancestors);

 private:
  std::vector<double> w_, cdf_, points_, residual_, rw_, rcdf_;
};

// Effective sample size (Σw)² / Σw² of unnormalized log weights; 0 when all
// weights are zero.
double EffectiveSampleSize(std::span<const double> log_weights);

}  // namespace steer::sampler
