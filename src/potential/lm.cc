#include "steer/potential/lm.h"

#include <algorithm>
#include <cmath>
#include <compare>
#include <tuple>
#include <utility>
#include <vector>

#include "steer/engine/engine.h"
#include "steer/util/check.h"
#include "steer/util/fast_exp.h"

namespace steer::potential {

struct LmPotential::LmState final : State {
  engine::Engine* engine = nullptr;
  SeqId seq = -1;
  // Logits at the current position (V entries), and exp(logits - max_logit)
  // in single precision, shared between forks; Extend overwrites them in
  // place only when this state is the sole owner.
  std::shared_ptr<std::vector<float>> logits, exps;
  float max_logit = 0;
  double log_norm = 0;  // log Σ exp(logits) = max_logit + log Σ exps
  double log_prefix = 0;
  ~LmState() override {
    if (seq >= 0) (void)engine->Release(seq);
  }
};

namespace {
// Copies the engine's logits into *copy and their exps, shifted by the
// largest, into *exps (both resized to the logits), in one pass after the
// max; returns {max logit, log Σ exp}.
std::pair<float, double> Normalize(std::span<const float> logits, std::vector<float>* copy,
                                   std::vector<float>* exps) {
  const float m = MaxOf(logits);
  copy->resize(logits.size());
  exps->resize(logits.size());
  return {m, m + std::log(CopyExpShiftedFloat(logits, m, *copy, *exps))};
}
// The buffer at *p, reused when this state is its only owner.
std::vector<float>& Own(std::shared_ptr<std::vector<float>>* p) {
  if (*p == nullptr || p->use_count() > 1) *p = std::make_shared<std::vector<float>>();
  return **p;
}
}  // namespace

LmPotential::LmPotential(std::shared_ptr<engine::Engine> engine, std::vector<TokenId> prompt, TokenId eos)
    : engine_(std::move(engine)), prompt_(std::move(prompt)), eos_(eos), vocab_(engine_->n_vocab()) {}

LmPotential::~LmPotential() {
  if (root_ >= 0) (void)engine_->Release(root_);
}

Result<std::shared_ptr<LmPotential>> LmPotential::Create(std::shared_ptr<engine::Engine> engine,
                                                         std::vector<TokenId> prompt, TokenId eos) {
  if (!engine) return MakeError(ErrorCode::kInvalidArgument, "LM potential without an engine");
  if (prompt.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the prompt must have at least one token (e.g. BOS)", "lm");
  }
  const int32_t v = engine->n_vocab();
  if (eos < 0 || eos >= v) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "EOS token " + std::to_string(eos) + " is outside the vocabulary of size " + std::to_string(v),
                     "lm");
  }
  for (TokenId t : prompt) {
    if (t < 0 || t >= v) {
      return MakeError(ErrorCode::kInvalidArgument, "prompt token " + std::to_string(t) + " is outside the vocabulary",
                       "lm");
    }
  }
  return std::shared_ptr<LmPotential>(new LmPotential(std::move(engine), std::move(prompt), eos));
}

Result<StatePtr> LmPotential::Start() {
  if (root_ < 0) {
    const SeqId seq = engine_->NewSequence();
    engine::Batch batch;
    for (size_t i = 0; i < prompt_.size(); ++i) {
      batch.Add(prompt_[i], static_cast<Pos>(i), seq, i + 1 == prompt_.size());
    }
    Status st = engine_->Decode(batch);
    if (!st.ok()) {
      (void)engine_->Release(seq);
      return st.error().Within("lm: prompt");
    }
    root_logits_ = std::make_shared<std::vector<float>>();
    root_exps_ = std::make_shared<std::vector<float>>();
    std::tie(root_max_logit_, root_log_norm_) = Normalize(engine_->Logits(0), root_logits_.get(), root_exps_.get());
    root_ = seq;
  }
  auto s = std::make_unique<LmState>();
  s->engine = engine_.get();
  Result<SeqId> fork = engine_->Fork(root_);
  STEER_CHECK(fork.ok());  // fails only for a sequence that is not live
  s->seq = *fork;
  s->logits = root_logits_;
  s->exps = root_exps_;
  s->max_logit = root_max_logit_;
  s->log_norm = root_log_norm_;
  return StatePtr(std::move(s));
}

StatePtr LmPotential::Fork(const State& state) {
  const auto& s = static_cast<const LmState&>(state);
  auto out = std::make_unique<LmState>();
  out->engine = engine_.get();
  Result<SeqId> fork = engine_->Fork(s.seq);
  STEER_CHECK(fork.ok());
  out->seq = *fork;
  out->logits = s.logits;
  out->exps = s.exps;
  out->max_logit = s.max_logit;
  out->log_norm = s.log_norm;
  out->log_prefix = s.log_prefix;
  return out;
}

// Twins: a state forked from another since either was last extended shares
// its logits buffer with it, hence its whole token history. Twins given the
// same token would decode the same row, so only the first of them (the
// leader) is decoded; each other becomes a fork of the leader afterwards.
// Finding them sorts (buffer, token, index) keys: O(n log n) in the number
// of states, next to a decode of n rows.
Status LmPotential::Extend(std::span<State* const> states, std::span<const TokenId> tokens) {
  STEER_CHECK(states.size() == tokens.size());
  struct Key {
    const void* logits;
    TokenId token;
    size_t state;
    auto operator<=>(const Key&) const = default;
  };
  std::vector<Key> keys;
  keys.reserve(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    auto& s = static_cast<LmState&>(*states[i]);
    const TokenId t = tokens[i];
    STEER_CHECK(t >= 0 && t < vocab_);
    if (s.log_prefix == kLogZero) continue;
    if (t == eos_) {  // EOS is the end marker, not an ordinary token
      s.log_prefix = kLogZero;
      continue;
    }
    keys.push_back({s.logits.get(), t, i});
  }
  if (keys.empty()) return {};
  std::sort(keys.begin(), keys.end());
  // leader[i]: the state whose row state i shares (itself for a leader;
  // kNone for a state not decoded). A run of equal keys leads with its
  // lowest index, and rows keep the states' order.
  constexpr size_t kNone = static_cast<size_t>(-1);
  std::vector<size_t> leader(states.size(), kNone);
  for (size_t k = 0; k < keys.size(); ++k) {
    const bool twin = k > 0 && keys[k].logits == keys[k - 1].logits && keys[k].token == keys[k - 1].token;
    leader[keys[k].state] = twin ? leader[keys[k - 1].state] : keys[k].state;
  }
  engine::Batch batch;
  std::vector<LmState*> decoded;                  // the leaders, one per batch row
  std::vector<size_t> row_of(states.size());      // a leader's batch row
  std::vector<std::pair<LmState*, size_t>> twins;  // (state, its leader's row)
  for (size_t i = 0; i < states.size(); ++i) {
    if (leader[i] == kNone) continue;
    auto& s = static_cast<LmState&>(*states[i]);
    if (leader[i] != i) {
      twins.emplace_back(&s, row_of[leader[i]]);
      continue;
    }
    row_of[i] = decoded.size();
    batch.Add(tokens[i], engine_->Length(s.seq), s.seq, true);
    decoded.push_back(&s);
  }
  STEER_RETURN_IF_ERROR(engine_->Decode(batch));
  for (size_t j = 0; j < decoded.size(); ++j) {
    LmState& s = *decoded[j];
    const TokenId t = batch.rows()[j].token;
    s.log_prefix += static_cast<double>((*s.logits)[t]) - s.log_norm;
    std::tie(s.max_logit, s.log_norm) =
        Normalize(engine_->Logits(static_cast<int32_t>(j)), &Own(&s.logits), &Own(&s.exps));
  }
  // A twin still holds the leader's old logits (the leader's Own() above
  // found them shared and took a new buffer).
  for (auto& [s, row] : twins) {
    const LmState& lead = *decoded[row];
    s->log_prefix += static_cast<double>((*s->logits)[batch.rows()[row].token]) - s->log_norm;
    (void)engine_->Release(s->seq);
    Result<SeqId> fork = engine_->Fork(lead.seq);
    STEER_CHECK(fork.ok());  // the leader's sequence is live
    s->seq = *fork;
    s->logits = lead.logits;
    s->exps = lead.exps;
    s->max_logit = lead.max_logit;
    s->log_norm = lead.log_norm;
  }
  return {};
}

double LmPotential::LogPrefix(const State& s) const { return static_cast<const LmState&>(s).log_prefix; }

Status LmPotential::LogComplete(std::span<const State* const> states, std::span<double> out) {
  STEER_CHECK(out.size() == states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const LmState&>(*states[i]);
    out[i] = s.log_prefix == kLogZero ? kLogZero : s.log_prefix + ((*s.logits)[eos_] - s.log_norm);
  }
  return {};
}

Status LmPotential::LogWeightNext(std::span<const State* const> states, std::span<double> out) {
  const size_t width = static_cast<size_t>(vocab_) + 1;
  STEER_CHECK(out.size() == states.size() * width);
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const LmState&>(*states[i]);
    std::span<double> row = out.subspan(i * width, width);
    if (s.log_prefix == kLogZero) {
      std::fill(row.begin(), row.end(), kLogZero);
      continue;
    }
    const std::vector<float>& logits = *s.logits;
    for (int32_t t = 0; t < vocab_; ++t) row[t] = static_cast<double>(logits[t]) - s.log_norm;
    row[vocab_] = row[eos_];
    row[eos_] = kLogZero;
  }
  return {};
}

bool LmPotential::ViewNextLogits(const State& state, NextLogits* out) const {
  const auto& s = static_cast<const LmState&>(state);
  if (s.log_prefix == kLogZero) return false;
  out->logits = *s.logits;
  out->exps = *s.exps;
  out->max_logit = s.max_logit;
  out->log_norm = s.log_norm;
  out->moved = eos_;
  return true;
}

}  // namespace steer::potential
