// Stepper::ViewedDraw (the masked draw from an LM's logits and exps and a
// constraint's mask bits) against SampleLog on the summed double rows of the
// same two potentials, on synthetic rows that reach its three paths: the
// LM's exps, the rescaled float row when what is allowed lies too far below
// the largest logit for the exps, and nothing allowed at all.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "particles.h"
#include "steer/util/fast_exp.h"
#include "steer/util/rng.h"

namespace steer::sampler::internal {
namespace {

using potential::kLogZero;
using potential::State;
using potential::StatePtr;

struct NoState final : State {};

// Potentials of one context only (no state to keep).
class OneContext : public potential::Potential {
 public:
  Result<StatePtr> Start() override { return StatePtr(std::make_unique<NoState>()); }
  StatePtr Fork(const State&) override { return std::make_unique<NoState>(); }
  Status Extend(std::span<State* const>, std::span<const TokenId>) override { return {}; }
  double LogPrefix(const State&) const override { return 0; }
};

// Rows and views of fixed logits, EOS moved to the end.
class FixedLm final : public OneContext {
 public:
  FixedLm(std::vector<float> logits, TokenId eos) : logits_(std::move(logits)), eos_(eos) {
    max_ = MaxOf(std::span<const float>(logits_));
    exps_.resize(logits_.size());
    log_norm_ = max_ + std::log(ExpShiftedFloat(logits_, max_, exps_));
  }
  int32_t vocab_size() const override { return static_cast<int32_t>(logits_.size()); }
  std::string name() const override { return "fixed-lm"; }
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override {
    for (size_t i = 0; i < states.size(); ++i) out[i] = logits_[static_cast<size_t>(eos_)] - log_norm_;
    return {};
  }
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override {
    const size_t width = logits_.size() + 1;
    for (size_t i = 0; i < states.size(); ++i) {
      for (size_t t = 0; t < logits_.size(); ++t) out[i * width + t] = logits_[t] - log_norm_;
      out[i * width + logits_.size()] = out[i * width + static_cast<size_t>(eos_)];
      out[i * width + static_cast<size_t>(eos_)] = kLogZero;
    }
    return {};
  }
  bool ViewNextLogits(const State&, NextLogits* out) const override {
    out->logits = logits_;
    out->exps = exps_;
    out->max_logit = max_;
    out->log_norm = log_norm_;
    out->moved = eos_;
    return true;
  }

 private:
  std::vector<float> logits_, exps_;
  float max_ = 0;
  double log_norm_ = 0;
  TokenId eos_;
};

// A boolean constraint with a fixed allowed set.
class FixedMask final : public OneContext {
 public:
  FixedMask(const std::vector<bool>& allowed, bool end) : v_(allowed.size()), end_(end) {
    words_.assign((v_ + 63) / 64, 0);
    for (size_t t = 0; t < v_; ++t) {
      if (allowed[t]) words_[t / 64] |= uint64_t{1} << (t % 64);
    }
  }
  int32_t vocab_size() const override { return static_cast<int32_t>(v_); }
  std::string name() const override { return "fixed-mask"; }
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override {
    for (size_t i = 0; i < states.size(); ++i) out[i] = end_ ? 0 : kLogZero;
    return {};
  }
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override {
    for (size_t i = 0; i < states.size(); ++i) {
      for (size_t t = 0; t < v_; ++t) out[i * (v_ + 1) + t] = (words_[t / 64] >> (t % 64)) & 1u ? 0 : kLogZero;
      out[i * (v_ + 1) + v_] = end_ ? 0 : kLogZero;
    }
    return {};
  }
  bool ViewAllowed(const State&, AllowedSet* out) override {
    out->words = words_.data();
    out->end = end_;
    return true;
  }

 private:
  size_t v_;
  bool end_;
  std::vector<uint64_t> words_;
};

// The viewed draw and SampleLog on the rows, over 300 seeds: the same log
// total and (but for a draw within float rounding of a boundary) token.
void ExpectSameDraws(const std::vector<float>& logits, const std::vector<bool>& allowed, bool end) {
  Target t;
  t.base = std::make_shared<FixedLm>(logits, 5);
  t.constraints = {std::make_shared<FixedMask>(allowed, end)};
  Stepper st(t);
  auto start = st.Start();
  ASSERT_TRUE(start.ok());
  Particle p = std::move(start).value();
  Particle* one[] = {&p};
  std::vector<double> rows;
  ASSERT_TRUE(st.SummedRows(one, 2, &rows).ok());
  std::vector<float> scratch;
  int same = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Rng a(seed), b(seed);
    const Draw d = SampleLog(rows, a, &scratch);
    const auto v = st.ViewedDraw(p, b);
    ASSERT_TRUE(v.has_value());
    same += v->token == d.index;
    if (d.log_total == kLogZero) {
      EXPECT_EQ(v->log_increment, kLogZero);
    } else {
      ASSERT_NEAR(v->log_increment, d.log_total, 1e-5 * std::max(1.0, std::abs(d.log_total)));
      ASSERT_NE(rows[static_cast<size_t>(v->token)], kLogZero) << "drew a ruled-out symbol";
    }
    EXPECT_EQ(a.Uniform(), b.Uniform()) << "the draws used the generator differently";
  }
  EXPECT_GE(same, 299);
}

TEST(ViewedDraw, FromTheExps) {
  const size_t v = 5000;  // five blocks of 1,024, the last partial
  Rng rng(3);
  std::vector<float> logits(v);
  std::vector<bool> allowed(v);
  for (size_t t = 0; t < v; ++t) {
    logits[t] = static_cast<float>(3 * rng.Normal());
    // Block 1 ruled out entirely; elsewhere about a third allowed.
    allowed[t] = t / 1024 != 1 && rng.Uniform() < 0.3;
  }
  ExpectSameDraws(logits, allowed, true);
  ExpectSameDraws(logits, allowed, false);
}

TEST(ViewedDraw, RescalesWhenTheAllowedLieFarBelowTheMax) {
  // What is allowed is 150 nats below the largest logit: its exps underflow,
  // so the draw rebuilds the row from the logits.
  const size_t v = 3000;
  Rng rng(4);
  std::vector<float> logits(v);
  std::vector<bool> allowed(v);
  for (size_t t = 0; t < v; ++t) {
    allowed[t] = rng.Uniform() < 0.1;
    logits[t] = static_cast<float>(allowed[t] ? -150 + rng.Normal() : rng.Normal());
  }
  ExpectSameDraws(logits, allowed, false);
}

TEST(ViewedDraw, NothingAllowedIsZeroWeight) {
  std::vector<float> logits(2000, 0.5f);
  ExpectSameDraws(logits, std::vector<bool>(2000, false), false);
}

}  // namespace
}  // namespace steer::sampler::internal
