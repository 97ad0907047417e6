// Ancestral sampling, rejection sampling, greedy decoding and beam search.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "methods.h"
#include "particles.h"
#include "steer/util/check.h"

namespace steer::sampler::internal {

using potential::kLogZero;
using potential::LogSumExp;

namespace {

TokenId ArgMax(std::span<const double> row) {
  return static_cast<TokenId>(std::max_element(row.begin(), row.end()) - row.begin());
}

// Samples from the base row reshaped by temperature, top-k and top-p.
// Increments are 0: the constraints alone decide acceptance.
class AncestralChooser {
 public:
  explicit AncestralChooser(const Options& o) : options_(o) {}

  Choice operator()(std::span<const double> row, Rng& rng) {
    if (options_.temperature == 0) return {ArgMax(row), 0.0};
    scratch_.assign(row.begin(), row.end());
    for (double& v : scratch_) v = v == kLogZero ? kLogZero : v / options_.temperature;
    const bool top_k = options_.top_k > 0 && options_.top_k < static_cast<int>(scratch_.size());
    if (top_k || options_.top_p < 1) {
      order_.resize(scratch_.size());
      std::iota(order_.begin(), order_.end(), 0);
      std::stable_sort(order_.begin(), order_.end(), [&](int a, int b) { return scratch_[a] > scratch_[b]; });
      size_t keep = top_k ? static_cast<size_t>(options_.top_k) : order_.size();
      if (options_.top_p < 1) {
        const double total = LogSumExp(scratch_);
        double acc = 0;
        size_t j = 0;
        while (j < keep && acc < options_.top_p) acc += std::exp(scratch_[order_[j++]] - total);
        keep = std::max<size_t>(j, 1);
      }
      for (size_t j = keep; j < order_.size(); ++j) scratch_[order_[j]] = kLogZero;
    }
    const Draw d = SampleLog(scratch_, rng, &draw_);
    if (d.log_total == kLogZero) return {0, kLogZero};
    return {d.index, 0.0};
  }

 private:
  const Options& options_;
  std::vector<double> scratch_;
  std::vector<int> order_;
  std::vector<float> draw_;
};

}  // namespace

Result<SampleSet> RunAncestral(const Target& target, const Options& options) {
  Stepper st(target);
  Rng rng(options.seed);
  SampleSet out;
  AncestralChooser chooser_state(options);
  const Chooser choose = [&](std::span<const double> row, Rng& r, const Particle&) -> Result<Choice> {
    return chooser_state(row, r);
  };
  STEER_ASSIGN_OR_RETURN(Particle start, st.Start());
  // Runs a batch of independent sequences to the end; returns the accepted.
  auto run_batch = [&](int count, std::vector<Particle>* accepted) -> Status {
    std::vector<Particle> batch;
    for (int i = 0; i < count; ++i) batch.push_back(st.Fork(start));
    std::vector<Particle*> active;
    for (;;) {
      active.clear();
      for (auto& p : batch) {
        if (p.active()) active.push_back(&p);
      }
      if (active.empty()) break;
      STEER_ASSIGN_OR_RETURN(const int64_t forced, st.Step(active, options.max_tokens, 1, 1, choose, rng));
      out.summary.forced_ends += forced;
    }
    out.summary.tries += count;
    // Accept with probability min(1, w): w is the constraints' weight, times
    // p(end | x) for a run forced to end at max_tokens.
    for (auto& p : batch) {
      if (!p.finished || p.dead) continue;
      if (p.log_weight >= 0 || rng.Uniform() < std::exp(p.log_weight)) accepted->push_back(std::move(p));
    }
    return {};
  };
  std::vector<Particle> accepted;
  if (options.method == Method::kAncestral) {
    STEER_RETURN_IF_ERROR(run_batch(options.samples, &accepted));
  } else {
    // Rejection: each sample retries alone until accepted or out of tries.
    for (int i = 0; i < options.samples; ++i) {
      for (int attempt = 0; attempt < options.max_tries; ++attempt) {
        const size_t before = accepted.size();
        STEER_RETURN_IF_ERROR(run_batch(1, &accepted));
        if (accepted.size() > before) break;
      }
    }
  }
  // P(accept) = Σ_x p(x)·[constraints accept x] = Z for boolean constraints
  // when the base is sampled unmodified; otherwise just the acceptance rate.
  out.summary.log_z = accepted.empty() ? kLogZero
                                       : std::log(static_cast<double>(accepted.size()) /
                                                  static_cast<double>(out.summary.tries));
  for (auto& p : accepted) {
    Sequence s;
    s.tokens = std::move(p.tokens);
    s.log_weight = -std::log(static_cast<double>(accepted.size()));
    s.log_prob = p.log_prob;
    out.samples.push_back(std::move(s));
  }
  return out;
}

Result<SampleSet> RunGreedy(const Target& target, const Options& options) {
  Stepper st(target);
  Rng rng(options.seed);
  SampleSet out;
  out.summary.log_z = kLogZero;
  STEER_ASSIGN_OR_RETURN(Particle p, st.Start());
  const Chooser argmax = [](std::span<const double> row, Rng&, const Particle&) -> Result<Choice> {
    const TokenId t = ArgMax(row);
    return Choice{t, row[t]};
  };
  Particle* ps[1] = {&p};
  while (p.active()) {
    STEER_ASSIGN_OR_RETURN(const int64_t forced, st.Step(ps, options.max_tokens, st.num_potentials(), st.num_potentials(), argmax, rng));
    out.summary.forced_ends += forced;
  }
  if (!p.dead) {
    out.summary.log_z = p.log_weight;
    Sequence s;
    s.tokens = std::move(p.tokens);
    s.log_weight = p.log_weight;
    s.log_prob = p.log_prob;
    out.samples.push_back(std::move(s));
  }
  return out;
}

// Beam search on log Φ. Each step scores every (beam, symbol) pair by the
// beam's log Φ prefix plus the summed row entry and keeps the best
// beam_width; pairs choosing the end marker leave the beam as finished
// hypotheses. Stops when no beam is left or the best finished score is at
// least the best open one (scores never rise when every potential has
// log weights <= 0, as LMs and boolean constraints do).
Result<SampleSet> RunBeam(const Target& target, const Options& options) {
  Stepper st(target);
  SampleSet out;
  out.summary.log_z = kLogZero;
  const size_t k_all = st.num_potentials();
  const size_t width = static_cast<size_t>(st.vocab()) + 1;
  std::vector<Particle> beams, finished;
  {
    STEER_ASSIGN_OR_RETURN(Particle start, st.Start());
    if (start.active()) beams.push_back(std::move(start));
  }
  std::vector<double> rows;
  struct Candidate {
    double score;
    int beam;
    TokenId token;
  };
  std::vector<Candidate> cands;
  std::vector<Particle*> ptrs;
  while (!beams.empty()) {
    ptrs.clear();
    for (auto& b : beams) ptrs.push_back(&b);
    STEER_RETURN_IF_ERROR(st.StopIfComplete(ptrs));
    std::vector<Particle> open;
    for (auto& b : beams) {
      if (b.finished) {
        finished.push_back(std::move(b));
      } else if (static_cast<int>(b.tokens.size()) >= options.max_tokens) {
        Particle* one[1] = {&b};
        if (st.end_mode() == EndMode::kFinishedDocument) {
          STEER_RETURN_IF_ERROR(st.ApplyEnd(one, 0));
          if (!b.dead) finished.push_back(std::move(b));
        }
        ++out.summary.forced_ends;
      } else {
        open.push_back(std::move(b));
      }
    }
    beams.clear();
    if (open.empty()) break;
    double best_finished = kLogZero;
    for (const auto& f : finished) best_finished = std::max(best_finished, f.log_weight);
    double best_open = kLogZero;
    for (const auto& b : open) best_open = std::max(best_open, b.log_weight);
    if (best_finished >= best_open) break;

    ptrs.clear();
    for (auto& b : open) ptrs.push_back(&b);
    STEER_RETURN_IF_ERROR(st.SummedRows(ptrs, k_all, &rows));
    cands.clear();
    for (size_t i = 0; i < open.size(); ++i) {
      for (size_t t = 0; t < width; ++t) {
        const double v = rows[i * width + t];
        if (v != kLogZero) cands.push_back({open[i].log_weight + v, static_cast<int>(i), static_cast<TokenId>(t)});
      }
    }
    const size_t keep = std::min(cands.size(), static_cast<size_t>(options.beam_width));
    std::partial_sort(cands.begin(), cands.begin() + keep, cands.end(),
                      [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    for (size_t j = 0; j < keep; ++j) {
      Particle child = st.Fork(open[cands[j].beam]);
      Particle* one[1] = {&child};
      if (cands[j].token == st.vocab()) {
        STEER_RETURN_IF_ERROR(st.ApplyEnd(one, k_all));
        child.log_weight = cands[j].score;
        finished.push_back(std::move(child));
      } else {
        const TokenId tok[1] = {cands[j].token};
        STEER_RETURN_IF_ERROR(st.ApplyTokens(one, tok, k_all));
        child.log_weight = cands[j].score;
        beams.push_back(std::move(child));
      }
    }
  }
  std::stable_sort(finished.begin(), finished.end(),
                   [](const Particle& a, const Particle& b) { return a.log_weight > b.log_weight; });
  for (auto& f : finished) {
    if (static_cast<int>(out.samples.size()) == options.samples) break;
    if (f.log_weight == kLogZero) continue;
    out.summary.log_z = potential::LogAddExp(out.summary.log_z, f.log_weight);
    Sequence s;
    s.tokens = std::move(f.tokens);
    s.log_weight = f.log_weight;
    s.log_prob = f.log_prob;
    out.samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace steer::sampler::internal
