// SMC, importance sampling and lcd: one particle system, with or without
// resampling. Invariants: particles.size() == n throughout; the log-Z
// estimate log((1/n) Σ_i w_i) is unbiased in Z because every step multiplies
// weights by properly weighted increments and resampling among the
// unfinished particles preserves their total weight in expectation.
#include <algorithm>
#include <cmath>

#include "awrs.h"
#include "methods.h"
#include "particles.h"
#include "steer/util/check.h"

namespace steer::sampler::internal {

using potential::kLogZero;
using potential::LogSumExp;

namespace {

// Resamples the unfinished particles among themselves (dead ones included,
// with weight zero); finished particles are untouched. Returns whether it
// resampled. Appends the ESS of the unfinished particles to history.
// Scratch reused across steps, so resampling allocates only for forks.
struct ResampleScratch {
  Resampler resampler;
  std::vector<int> slots, ancestors;
  std::vector<double> lw;
  std::vector<Particle> fresh;
};

bool MaybeResample(Stepper& st, std::vector<Particle>& particles, const Options& options, Rng& rng,
                   std::vector<double>* history, ResampleScratch* scratch) {
  std::vector<int>* slots = &scratch->slots;
  std::vector<double>* lw = &scratch->lw;
  std::vector<int>* ancestors = &scratch->ancestors;
  slots->clear();
  lw->clear();
  for (int i = 0; i < static_cast<int>(particles.size()); ++i) {
    if (particles[i].finished) continue;
    slots->push_back(i);
    lw->push_back(particles[i].log_weight);
  }
  if (slots->empty()) return false;
  const double ess = EffectiveSampleSize(*lw);
  history->push_back(ess);
  const double total = LogSumExp(*lw);
  if (total == kLogZero) return false;  // all unfinished are dead: nothing to move
  const int m = static_cast<int>(slots->size());
  if (!(ess < options.ess_threshold * m)) return false;
  scratch->resampler.Resample(options.resample, *lw, m, rng, ancestors);
  std::vector<Particle>& fresh = scratch->fresh;
  fresh.clear();
  for (int j = 0; j < m; ++j) {
    const int a = (*slots)[(*ancestors)[j]];
    if (j > 0 && (*ancestors)[j] == (*ancestors)[j - 1]) {
      fresh.push_back(st.Fork(fresh.back()));
    } else {
      fresh.push_back(std::move(particles[a]));
    }
  }
  const double shared = total - std::log(static_cast<double>(m));
  for (int j = 0; j < m; ++j) {
    fresh[j].log_weight = shared;
    particles[(*slots)[j]] = std::move(fresh[j]);
  }
  return true;
}

}  // namespace

Result<SampleSet> RunWeighted(const Target& target, const Options& options, int n, bool resample) {
  Stepper st(target, /*with_twists=*/true);
  Rng rng(options.seed);
  SampleSet out;
  std::vector<Particle> particles;
  {
    STEER_ASSIGN_OR_RETURN(Particle first, st.Start());
    particles.push_back(std::move(first));
    for (int i = 1; i < n; ++i) particles.push_back(st.Fork(particles[0]));
  }
  // Masked: rows of base·constraints; direct and AWRS: the base's row only.
  // AWRS enforces the constraints itself, so only Target::weights weigh.
  const bool masked = options.proposal == ProposalKind::kMasked || options.method == Method::kLcd;
  const bool awrs = !masked && options.proposal == ProposalKind::kAwrs;
  const size_t num_proposal = masked ? st.num_maskable() : 1;
  st.set_viewed_draws(masked);  // the chooser below is SampleLog on the summed rows
  const size_t first_weighted = awrs ? st.num_maskable() : num_proposal;
  AwrsScratch awrs_scratch;
  std::vector<float> draw_scratch;
  const Chooser sample = [&](std::span<const double> row, Rng& r, const Particle& p) -> Result<Choice> {
    if (awrs) {
      return AwrsChoose(row, [&](TokenId t) { return st.Allows(p, t); }, r, &awrs_scratch);
    }
    const Draw d = SampleLog(row, r, &draw_scratch);
    return Choice{d.index, d.log_total};
  };
  std::vector<Particle*> active;
  ResampleScratch scratch;
  std::vector<double>& lw = scratch.lw;
  for (;;) {
    active.clear();
    for (auto& p : particles) {
      if (p.active()) active.push_back(&p);
    }
    if (active.empty()) break;
    STEER_ASSIGN_OR_RETURN(const int64_t forced, st.Step(active, options.max_tokens, num_proposal, first_weighted, sample, rng));
    out.summary.forced_ends += forced;
    if (resample) {
      if (MaybeResample(st, particles, options, rng, &out.summary.ess_history, &scratch)) {
        ++out.summary.resamples;
      }
    } else {
      lw.clear();
      for (const auto& p : particles) {
        if (!p.finished) lw.push_back(p.log_weight);
      }
      if (!lw.empty()) out.summary.ess_history.push_back(EffectiveSampleSize(lw));
    }
  }
  lw.clear();
  for (const auto& p : particles) lw.push_back(p.finished && !p.dead ? p.log_weight : kLogZero);
  const double total = LogSumExp(lw);
  out.summary.log_z = total == kLogZero ? kLogZero : total - std::log(static_cast<double>(n));
  for (auto& p : particles) {
    if (!p.finished || p.dead || p.log_weight == kLogZero) continue;
    Sequence s;
    s.tokens = std::move(p.tokens);
    s.log_weight = p.log_weight - total;
    s.log_prob = p.log_prob;
    out.samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace steer::sampler::internal
