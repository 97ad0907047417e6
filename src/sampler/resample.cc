#include "steer/sampler/resample.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "steer/util/check.h"

namespace steer::sampler {
namespace {

// Normalized weights and their running sums (cdf[i] = Σ_{j<=i} w_j, last = 1).
void Normalize(std::span<const double> log_weights, std::vector<double>* w, std::vector<double>* cdf) {
  double m = -std::numeric_limits<double>::infinity();
  for (double lw : log_weights) m = std::max(m, lw);
  STEER_CHECK_MSG(std::isfinite(m), "resampling needs at least one positive, finite weight");
  w->resize(log_weights.size());
  double total = 0;
  for (size_t i = 0; i < log_weights.size(); ++i) total += (*w)[i] = std::exp(log_weights[i] - m);
  cdf->resize(w->size());
  double run = 0;
  for (size_t i = 0; i < w->size(); ++i) {
    (*w)[i] /= total;
    run += (*w)[i];
    (*cdf)[i] = run;
  }
  cdf->back() = 1.0;  // guard against rounding: every point < 1 finds an index
}

// Maps sorted points in [0, 1) to indices through the cdf, skipping zero weights.
void SortedPointsToIndices(std::span<const double> points, const std::vector<double>& cdf,
                           std::vector<int>* out) {
  size_t j = 0;
  for (double u : points) {
    while (cdf[j] <= u) ++j;
    out->push_back(static_cast<int>(j));
  }
}

void Multinomial(const std::vector<double>& cdf, int n, Rng& rng, std::vector<int>* out) {
  for (int i = 0; i < n; ++i) {
    const double u = rng.Uniform();
    const size_t j = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
    out->push_back(static_cast<int>(j));
  }
}

}  // namespace

const char* ResampleSchemeName(ResampleScheme scheme) {
  switch (scheme) {
    case ResampleScheme::kMultinomial: return "multinomial";
    case ResampleScheme::kStratified: return "stratified";
    case ResampleScheme::kSystematic: return "systematic";
    case ResampleScheme::kResidual: return "residual";
  }
  return "?";
}

Result<ResampleScheme> ParseResampleScheme(std::string_view name) {
  for (auto s : {ResampleScheme::kMultinomial, ResampleScheme::kStratified, ResampleScheme::kSystematic,
                 ResampleScheme::kResidual}) {
    if (name == ResampleSchemeName(s)) return s;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown resampling scheme '" + std::string(name) +
                       "' (expected multinomial, stratified, systematic or residual)",
                   "--resample");
}

void Resample(ResampleScheme scheme, std::span<const double> log_weights, int n, Rng& rng,
              std::vector<int>* ancestors) {
  Resampler r;
  r.Resample(scheme, log_weights, n, rng, ancestors);
}

void Resampler::Resample(ResampleScheme scheme, std::span<const double> log_weights, int n, Rng& rng,
                         std::vector<int>* ancestors) {
  STEER_CHECK(n >= 0);
  ancestors->clear();
  ancestors->reserve(n);
  Normalize(log_weights, &w_, &cdf_);
  switch (scheme) {
    case ResampleScheme::kMultinomial:
      Multinomial(cdf_, n, rng, ancestors);
      break;
    case ResampleScheme::kStratified:
    case ResampleScheme::kSystematic: {
      const double shared = rng.Uniform();
      points_.resize(n);
      for (int i = 0; i < n; ++i) {
        const double u = scheme == ResampleScheme::kSystematic ? shared : rng.Uniform();
        points_[i] = (i + u) / n;
      }
      SortedPointsToIndices(points_, cdf_, ancestors);
      break;
    }
    case ResampleScheme::kResidual: {
      int taken = 0;
      residual_.resize(w_.size());
      for (size_t i = 0; i < w_.size(); ++i) {
        const double expect = n * w_[i];
        const int copies = static_cast<int>(std::floor(expect));
        for (int c = 0; c < copies && taken < n; ++c, ++taken) ancestors->push_back(static_cast<int>(i));
        residual_[i] = std::max(0.0, expect - copies);
      }
      const int rest = n - taken;
      if (rest > 0) {
        for (double& r : residual_) r = std::log(r);
        Normalize(residual_, &rw_, &rcdf_);
        Multinomial(rcdf_, rest, rng, ancestors);
      }
      break;
    }
  }
  std::sort(ancestors->begin(), ancestors->end());
}

double EffectiveSampleSize(std::span<const double> log_weights) {
  double m = -std::numeric_limits<double>::infinity();
  for (double lw : log_weights) m = std::max(m, lw);
  if (!std::isfinite(m)) return 0;
  double s = 0, s2 = 0;
  for (double lw : log_weights) {
    const double x = std::exp(lw - m);
    s += x;
    s2 += x * x;
  }
  return s * s / s2;
}

}  // namespace steer::sampler
