#include "particles.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "steer/util/bitset.h"
#include "steer/util/check.h"
#include "steer/util/fast_exp.h"

namespace steer::sampler::internal {

using potential::kLogZero;

Stepper::Stepper(const Target& target, bool with_twists) : end_mode_(target.end_mode) {
  pots_.push_back(target.base.get());
  for (const auto& c : target.constraints) pots_.push_back(c.get());
  num_maskable_ = pots_.size();
  for (const auto& w : target.weights) pots_.push_back(w.get());
  num_target_ = pots_.size();
  if (with_twists) {
    for (const auto& t : target.twists) pots_.push_back(t.get());
  }
  vocab_ = target.base->vocab_size();
}

Result<Particle> Stepper::Start() {
  Particle p;
  for (auto* pot : pots_) {
    STEER_ASSIGN_OR_RETURN(StatePtr s, pot->Start());
    p.log_weight += pot->LogPrefix(*s);
    p.states.push_back(std::move(s));
  }
  p.log_prob = pots_[0]->LogPrefix(*p.states[0]);
  if (p.log_weight == kLogZero) p.dead = true;
  return p;
}

Particle Stepper::Fork(const Particle& p) {
  Particle q;
  for (size_t k = 0; k < pots_.size(); ++k) q.states.push_back(pots_[k]->Fork(*p.states[k]));
  q.tokens = p.tokens;
  q.log_weight = p.log_weight;
  q.log_prob = p.log_prob;
  q.finished = p.finished;
  q.dead = p.dead;
  return q;
}

Status Stepper::ApplyEnd(std::span<Particle* const> ps, size_t first_weighted) {
  if (ps.empty()) return {};
  values_.resize(ps.size());
  for (size_t k = 0; k < pots_.size(); ++k) {
    if (k >= num_target_) {  // a twist: divide it out
      for (Particle* p : ps) {
        const double prefix = pots_[k]->LogPrefix(*p->states[k]);
        p->log_weight = prefix == kLogZero ? kLogZero : p->log_weight - prefix;
      }
      continue;
    }
    cstates_.clear();
    for (Particle* p : ps) cstates_.push_back(p->states[k].get());
    STEER_RETURN_IF_ERROR(pots_[k]->LogComplete(cstates_, values_));
    for (size_t i = 0; i < ps.size(); ++i) {
      const double prefix = pots_[k]->LogPrefix(*ps[i]->states[k]);
      const double delta = prefix == kLogZero ? kLogZero : values_[i] - prefix;
      if (k == 0) ps[i]->log_prob += delta;
      if (k >= first_weighted) ps[i]->log_weight += delta;
    }
  }
  for (Particle* p : ps) {
    p->finished = true;
    if (p->log_weight == kLogZero) p->dead = true;
  }
  return {};
}

Status Stepper::ApplyTokens(std::span<Particle* const> ps, std::span<const TokenId> tokens,
                            size_t first_weighted) {
  if (ps.empty()) return {};
  before_.resize(ps.size());
  for (size_t k = 0; k < pots_.size(); ++k) {
    mstates_.clear();
    for (size_t i = 0; i < ps.size(); ++i) {
      mstates_.push_back(ps[i]->states[k].get());
      before_[i] = pots_[k]->LogPrefix(*ps[i]->states[k]);
    }
    STEER_RETURN_IF_ERROR(pots_[k]->Extend(mstates_, tokens));
    for (size_t i = 0; i < ps.size(); ++i) {
      const double after = pots_[k]->LogPrefix(*ps[i]->states[k]);
      const double delta = after == kLogZero ? kLogZero : after - before_[i];
      if (k == 0) ps[i]->log_prob += delta;
      if (k >= first_weighted) ps[i]->log_weight += delta;
    }
  }
  for (size_t i = 0; i < ps.size(); ++i) {
    ps[i]->tokens.push_back(tokens[i]);
    if (ps[i]->log_weight == kLogZero) ps[i]->dead = true;
  }
  return {};
}

Status Stepper::StopIfComplete(std::span<Particle* const> ps) {
  if (end_mode_ != EndMode::kStopWhenComplete || ps.empty()) return {};
  // Σ over constraints of log complete.
  values_.assign(ps.size(), 0.0);
  part_.resize(ps.size());
  for (size_t k = 1; k < num_target_; ++k) {
    cstates_.clear();
    for (Particle* p : ps) cstates_.push_back(p->states[k].get());
    STEER_RETURN_IF_ERROR(pots_[k]->LogComplete(cstates_, part_));
    for (size_t i = 0; i < ps.size(); ++i) values_[i] += part_[i];
  }
  for (size_t i = 0; i < ps.size(); ++i) {
    Particle* p = ps[i];
    if (values_[i] == kLogZero || !p->active()) continue;
    // Constraints: prefix → complete; twists: divided out.
    for (size_t k = 1; k < pots_.size(); ++k) p->log_weight -= pots_[k]->LogPrefix(*p->states[k]);
    p->log_weight += values_[i];
    p->finished = true;
  }
  return {};
}

Status Stepper::SummedRows(std::span<Particle* const> ps, size_t num_potentials, std::vector<double>* rows) {
  const size_t width = static_cast<size_t>(vocab_) + 1;
  rows->resize(ps.size() * width);
  for (size_t k = 0; k < num_potentials; ++k) {
    cstates_.clear();
    for (Particle* p : ps) cstates_.push_back(p->states[k].get());
    if (k == 0) {
      STEER_RETURN_IF_ERROR(pots_[0]->LogWeightNext(cstates_, *rows));
    } else {
      STEER_RETURN_IF_ERROR(pots_[k]->AddLogWeightNext(cstates_, *rows));
    }
  }
  return {};
}

Result<bool> Stepper::Allows(const Particle& p, TokenId t) {
  for (size_t k = 1; k < num_maskable_; ++k) {
    double w;
    if (t == vocab_) {
      STEER_ASSIGN_OR_RETURN(w, pots_[k]->LogCompleteOne(*p.states[k]));
    } else {
      StatePtr probe = pots_[k]->Fork(*p.states[k]);
      STEER_RETURN_IF_ERROR(pots_[k]->ExtendOne(*probe, t));
      w = pots_[k]->LogPrefix(*probe);
    }
    if (w != 0 && w != kLogZero) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "adaptive rejection sampling needs boolean constraints, but " + pots_[k]->name() +
                           " gave log weight " + std::to_string(w) + " (pass it as a weight instead)",
                       "--proposal awrs");
    }
    if (w == kLogZero) return false;
  }
  return true;
}

Result<int64_t> Stepper::Step(std::span<Particle* const> ps, int max_tokens, size_t num_proposal,
                              size_t first_weighted, const Chooser& choose, Rng& rng) {
  STEER_CHECK(first_weighted >= num_proposal);
  STEER_RETURN_IF_ERROR(StopIfComplete(ps));
  group_.clear();
  ended_.clear();
  for (Particle* p : ps) {
    if (!p->active()) continue;
    (static_cast<int>(p->tokens.size()) >= max_tokens ? ended_ : group_).push_back(p);
  }
  const int64_t forced = static_cast<int64_t>(ended_.size());
  if (end_mode_ == EndMode::kStopWhenComplete) {
    for (Particle* p : ended_) {
      p->dead = true;
      p->log_weight = kLogZero;
    }
  } else {
    STEER_RETURN_IF_ERROR(ApplyEnd(ended_, 0));
  }
  if (group_.empty()) return forced;

  // Rows are built and consumed a few particles at a time, so that each row
  // is still in cache when the proposal reads it (all of a step's rows at
  // once, 32 x 32k doubles = 8 MiB, would go out to memory and back).
  const size_t width = static_cast<size_t>(vocab_) + 1;
  constexpr size_t kRowBytesPerChunk = size_t{1} << 20;
  const size_t chunk = std::max<size_t>(1, kRowBytesPerChunk / (width * sizeof(double)));
  // Choose, then split into enders and extenders (ended_ and group_ reused).
  std::vector<Particle*>& extend = extend_;
  extend.clear();
  tokens_.clear();
  ended_.clear();
  // With viewed draws, one particle at a time: its row comes from the views
  // (or, without them, from SummedRows for that particle alone).
  const bool viewed = viewed_draws_ && num_proposal == 2;
  const size_t step = viewed ? 1 : chunk;
  for (size_t c0 = 0; c0 < group_.size(); c0 += step) {
    const std::span<Particle* const> part(group_.data() + c0, std::min(step, group_.size() - c0));
    std::optional<Choice> fast = viewed ? ViewedDraw(*part[0], rng) : std::nullopt;
    if (!fast) STEER_RETURN_IF_ERROR(SummedRows(part, num_proposal, &rows_));
    for (size_t i = 0; i < part.size(); ++i) {
      Particle* p = part[i];
      Choice c;
      if (fast) {
        c = *fast;
      } else {
        STEER_ASSIGN_OR_RETURN(c, choose(std::span<const double>(rows_.data() + i * width, width), rng, *p));
      }
      p->log_weight += c.log_increment;
      if (p->log_weight == kLogZero) {
        p->dead = true;
        continue;
      }
      if (c.token == vocab_) {
        ended_.push_back(p);
      } else {
        extend.push_back(p);
        tokens_.push_back(c.token);
      }
    }
  }
  STEER_RETURN_IF_ERROR(ApplyEnd(ended_, first_weighted));
  STEER_RETURN_IF_ERROR(ApplyTokens(extend, tokens_, first_weighted));
  return forced;
}

Found FindInBlocks(const float* p, size_t n, size_t block, std::span<const double> sums, const double* scale,
                   double u, const std::function<void(size_t)>& prepare) {
  double acc = 0;
  size_t last_block = sums.size();  // the last block with positive mass so far (none yet)
  for (size_t b = 0; b < sums.size(); ++b) {
    if (sums[b] == 0) continue;
    last_block = b;
    if (acc + sums[b] <= u) {
      acc += sums[b];
      continue;
    }
    const double s = scale != nullptr ? scale[b] : 1.0;
    if (prepare) prepare(b);
    for (size_t t = b * block; t < std::min(n, (b + 1) * block); ++t) {
      if (p[t] == 0) continue;
      acc += p[t] * s;
      if (u < acc) return {t, true};
    }
  }
  if (last_block == sums.size()) return {n, false};
  if (prepare) prepare(last_block);
  size_t t = std::min(n, (last_block + 1) * block);
  while (t > 0 && p[t - 1] == 0) --t;
  return {t - 1, false};
}

std::optional<Choice> Stepper::DrawFromExps(const potential::Potential::NextLogits& lm,
                                             const potential::Potential::AllowedSet& allowed, Rng& rng) {
  const auto v = static_cast<size_t>(vocab_);
  constexpr size_t kBlock = 1024;  // 16 mask words
  const size_t blocks = (v + kBlock - 1) / kBlock;
  view_row_.resize(v + 1);
  view_sums_.resize(blocks);
  float* q = view_row_.data();
  // Block b of q: the exps where allowed, 0 elsewhere and at the moved token.
  // Only the blocks the search reads are written (the moved token's once);
  // the others' sums come from the mask and the exps directly (the same
  // bits).
  size_t filled = blocks;
  auto fill = [&](size_t b) {
    if (b == filled) return;
    filled = b;
    const size_t begin = b * kBlock, end = std::min(v, begin + kBlock);
    std::copy(lm.exps.begin() + static_cast<std::ptrdiff_t>(begin), lm.exps.begin() + static_cast<std::ptrdiff_t>(end),
              q + begin);
    FillWhereClear(allowed.words, begin, end, 0.0f, q);
    if (lm.moved >= 0 && static_cast<size_t>(lm.moved) >= begin && static_cast<size_t>(lm.moved) < end) q[lm.moved] = 0;
  };
  double total = 0;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t begin = b * kBlock, end = std::min(v, begin + kBlock);
    view_sums_[b] = 0;
    bool any = false;
    for (size_t w = begin / 64; w * 64 < end; ++w) any = any || allowed.words[w] != 0;
    if (!any) continue;  // the grammar rules the whole block out
    if (lm.moved >= 0 && static_cast<size_t>(lm.moved) >= begin && static_cast<size_t>(lm.moved) < end) {
      fill(b);
      view_sums_[b] = SumOf(std::span<const float>(q + begin, end - begin));
    } else {
      view_sums_[b] = MaskedSumOf(lm.exps.subspan(begin, end - begin), allowed.words, begin);
    }
    total += view_sums_[b];
  }
  const double end_mass = allowed.end && lm.moved >= 0 ? lm.exps[static_cast<size_t>(lm.moved)] : 0.0;
  total += end_mass;
  // Exps are relative to the largest logit: when what is allowed lies so far
  // below it that they lose precision (or underflow), the caller rescales.
  if (!(total >= 1e-30)) return std::nullopt;
  const double log_total = lm.max_logit + std::log(total) - lm.log_norm;
  // std::ref: the std::function holds a reference, not a heap copy.
  const Found f = FindInBlocks(q, v, kBlock, view_sums_, nullptr, rng.Uniform() * total, std::ref(fill));
  if (f.found) return Choice{static_cast<TokenId>(f.index), log_total};
  // The end marker comes last, as in the rows; rounding that leaves u at or
  // beyond the total takes the last symbol with positive mass.
  if (end_mass > 0) return Choice{vocab_, log_total};
  return Choice{static_cast<TokenId>(f.index), log_total};
}

std::optional<Choice> Stepper::ViewedDraw(const Particle& p, Rng& rng) {
  potential::Potential::NextLogits lm;
  potential::Potential::AllowedSet allowed;
  if (!pots_[0]->ViewNextLogits(*p.states[0], &lm)) return std::nullopt;
  if (!pots_[1]->ViewAllowed(*p.states[1], &allowed)) return std::nullopt;
  const auto v = static_cast<size_t>(vocab_);
  STEER_CHECK(lm.logits.size() == v);
  if (lm.exps.size() == v) {
    if (std::optional<Choice> c = DrawFromExps(lm, allowed, rng)) return c;
  }
  // The summed row, shifted by +log_norm: logits where allowed, -inf
  // elsewhere, the moved token's logit at the end marker.
  view_row_.resize(v + 1);
  float* f = view_row_.data();
  std::copy(lm.logits.begin(), lm.logits.end(), f);
  constexpr float kNone = -std::numeric_limits<float>::infinity();
  FillWhereClear(allowed.words, 0, v, kNone, f);
  f[v] = allowed.end && lm.moved >= 0 ? lm.logits[static_cast<size_t>(lm.moved)] : kNone;
  if (lm.moved >= 0) f[lm.moved] = kNone;
  const Draw d = SampleLogInPlace(std::span<float>(f, v + 1), rng);
  return Choice{d.index, d.log_total == kLogZero ? kLogZero : d.log_total - lm.log_norm};
}

namespace {

// SampleLog's body for a row of doubles (p is scratch) or of floats (p may
// be the row itself: each entry is read before it is overwritten).
template <class T>
Draw SampleLogRow(const T* row, size_t n, Rng& rng, float* p) {
  // One pass over the row, block by block (at most kMaxBlocks) while each is
  // in L1: the block's max m_b, then exp(row - m_b) in float and its sum.
  // A block the constraints rule out entirely (all -inf) costs its max only.
  // Blocks combine with scale_b = exp(m_b - M), M the largest m_b; the
  // search walks the scaled block sums and only the block where the running
  // sum passes u entry by entry. (Blocks without mass keep stale p entries,
  // which nothing reads.)
  constexpr size_t kMaxBlocks = 256;
  const size_t block = std::max<size_t>(1024, (n + kMaxBlocks - 1) / kMaxBlocks);
  const size_t blocks = (n + block - 1) / block;
  double sums[kMaxBlocks], scale[kMaxBlocks];
  double top = kLogZero;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t begin = b * block, len = std::min(block, n - begin);
    const double mb = MaxOf(std::span<const T>(row + begin, len));
    scale[b] = mb;
    sums[b] = 0;
    if (mb == kLogZero) continue;
    for (size_t t = begin; t < begin + len; ++t) p[t] = static_cast<float>(row[t] - static_cast<T>(mb));
    const std::span<float> part(p + begin, len);
    ExpFloat(part, part);
    sums[b] = SumOf(std::span<const float>(part));
    top = std::max(top, mb);
  }
  if (top == kLogZero) return {0, kLogZero};
  double total = 0;
  for (size_t b = 0; b < blocks; ++b) {
    scale[b] = sums[b] > 0 ? std::exp(scale[b] - top) : 0;
    sums[b] *= scale[b];
    total += sums[b];
  }
  const double log_total = top + std::log(total);
  const Found f = FindInBlocks(p, n, block, std::span<const double>(sums, blocks), scale, rng.Uniform() * total);
  return {static_cast<TokenId>(f.index), log_total};
}

}  // namespace

Draw SampleLog(std::span<const double> row, Rng& rng, std::vector<float>* scratch) {
  scratch->resize(row.size());
  return SampleLogRow(row.data(), row.size(), rng, scratch->data());
}

Draw SampleLogInPlace(std::span<float> row, Rng& rng) { return SampleLogRow(row.data(), row.size(), rng, row.data()); }

}  // namespace steer::sampler::internal
