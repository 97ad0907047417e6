// The LM and grammar adapters on a real model (stories260K): the Potential
// contract, and the LM's prefix against an independent whole-sequence decode.
#include <gtest/gtest.h>

#include <cmath>

#include "real_model.h"
#include "steer/potential/contract.h"
#include "shared_data.h"

namespace steer::potential {
namespace {

using testing::RealModel;

TEST(LmPotential, PassesContract) {
  STEER_REQUIRE_SHARED(path, "models/stories260K.gguf");
  RealModel m = RealModel::Open(path);
  auto lm = m.Lm("Once upon a time");
  const std::vector<TokenId> x = m.Encode("there was a");
  ASSERT_GE(x.size(), 2u);
  std::vector<std::vector<TokenId>> contexts = {{}, {x[0]}, {x[0], x[1]}, {m.tokenizer->eos()}};
  // Batched decodes may round differently from single ones: float tolerance.
  Status st = CheckContract(*lm, contexts, 1e-4);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
}

// prefix(x) equals Σ log softmax over one decode of prompt·x with logits at
// every position, in a fresh sequence.
TEST(LmPotential, PrefixMatchesWholeSequenceDecode) {
  STEER_REQUIRE_SHARED(path, "models/stories260K.gguf");
  RealModel m = RealModel::Open(path);
  auto lm = m.Lm("Once upon a time");
  const std::vector<TokenId> x = m.Encode("there was a little girl");
  auto got = lm->LogPrefixOf(x);
  ASSERT_TRUE(got.ok());
  auto complete = lm->LogCompleteOf(x);
  ASSERT_TRUE(complete.ok());

  std::vector<TokenId> all = {m.tokenizer->bos()};
  for (TokenId t : m.Encode("Once upon a time")) all.push_back(t);
  const size_t prompt_len = all.size();
  all.insert(all.end(), x.begin(), x.end());
  const SeqId seq = m.engine->NewSequence();
  engine::Batch batch;
  for (size_t i = 0; i < all.size(); ++i) batch.Add(all[i], static_cast<Pos>(i), seq, i + 1 >= prompt_len);
  ASSERT_TRUE(m.engine->Decode(batch).ok());
  auto log_softmax = [](std::span<const float> l, TokenId t) {
    double mx = l[0];
    for (float v : l) mx = std::max<double>(mx, v);
    double s = 0;
    for (float v : l) s += std::exp(v - mx);
    return l[t] - mx - std::log(s);
  };
  double want = 0;
  for (size_t j = 0; j < x.size(); ++j) want += log_softmax(m.engine->Logits(static_cast<int32_t>(j)), x[j]);
  EXPECT_NEAR(*got, want, 1e-4);
  EXPECT_NEAR(*complete, want + log_softmax(m.engine->Logits(static_cast<int32_t>(x.size())), m.tokenizer->eos()),
              1e-4);
  ASSERT_TRUE(m.engine->Release(seq).ok());
}

// Twins (states forked from each other since their last extension) given
// the same token decode one row; the twin becomes a fork of the leader. Each
// state then carries on as if decoded on its own: prefixes and next rows
// equal those of a state extended one token at a time.
TEST(LmPotential, TwinsDecodeOnceAndCarryOnAlone) {
  STEER_REQUIRE_SHARED(path, "models/stories260K.gguf");
  RealModel m = RealModel::Open(path);
  auto lm = m.Lm("Once upon a time");
  const std::vector<TokenId> x = m.Encode("there was a little girl");
  ASSERT_GE(x.size(), 4u);
  auto start = [&]() {
    auto s = lm->Start();
    STEER_CHECK(s.ok());
    return std::move(s).value();
  };
  StatePtr a = start();
  ASSERT_TRUE(lm->ExtendOne(*a, x[0]).ok());
  StatePtr b = lm->Fork(*a), c = lm->Fork(*a);
  StatePtr d = start();  // the same history, but not a twin: decoded apart
  ASSERT_TRUE(lm->ExtendOne(*d, x[0]).ok());

  const int64_t before = m.engine->rows_decoded();
  {
    std::vector<State*> ss = {a.get(), b.get(), c.get(), d.get()};
    const std::vector<TokenId> ts = {x[1], x[1], x[2], x[1]};
    ASSERT_TRUE(lm->Extend(ss, ts).ok());
  }
  EXPECT_EQ(m.engine->rows_decoded() - before, 3);  // a (and its twin b), c, d
  // b now continues apart from a: different tokens, two rows.
  {
    std::vector<State*> ss = {a.get(), b.get()};
    const std::vector<TokenId> ts = {x[2], x[3]};
    ASSERT_TRUE(lm->Extend(ss, ts).ok());
  }
  EXPECT_EQ(m.engine->rows_decoded() - before, 5);

  const size_t width = static_cast<size_t>(lm->vocab_size()) + 1;
  auto check = [&](const State& got, std::vector<TokenId> history) {
    StatePtr want = start();
    for (TokenId t : history) ASSERT_TRUE(lm->ExtendOne(*want, t).ok());
    EXPECT_NEAR(lm->LogPrefix(got), lm->LogPrefix(*want), 1e-4);
    std::vector<double> row_got(width), row_want(width);
    const State* g = &got;
    const State* w = want.get();
    ASSERT_TRUE(lm->LogWeightNext({&g, 1}, row_got).ok());
    ASSERT_TRUE(lm->LogWeightNext({&w, 1}, row_want).ok());
    double worst = 0;
    for (size_t t = 0; t < width; ++t) {
      if (std::isinf(row_want[t])) {
        EXPECT_EQ(row_got[t], row_want[t]) << t;
      } else {
        worst = std::max(worst, std::abs(row_got[t] - row_want[t]));
      }
    }
    EXPECT_LT(worst, 1e-4);
  };
  check(*a, {x[0], x[1], x[2]});
  check(*b, {x[0], x[1], x[3]});
  check(*c, {x[0], x[2]});
  check(*d, {x[0], x[1]});
}

TEST(LmPotential, BadArgumentsAreErrors) {
  STEER_REQUIRE_SHARED(path, "models/stories260K.gguf");
  RealModel m = RealModel::Open(path);
  EXPECT_FALSE(LmPotential::Create(m.engine, {}, 2).ok());
  EXPECT_FALSE(LmPotential::Create(m.engine, {1}, 512).ok());
  EXPECT_FALSE(LmPotential::Create(m.engine, {1, -3}, 2).ok());
}

TEST(GrammarPotential, PassesContract) {
  STEER_REQUIRE_SHARED(path, "models/stories260K.gguf");
  RealModel m = RealModel::Open(path);
  auto g = m.Grammar(R"(root ::= " Tim" | " Lily was" | " Lily and" [a-z]*)");
  const std::vector<TokenId> lily = m.Encode("Lily was");
  const std::vector<TokenId> tim = m.Encode("Tim");
  std::vector<std::vector<TokenId>> contexts = {{}, tim, lily, {lily[0]}, {m.tokenizer->eos()}, m.Encode("Bob")};
  Status st = CheckContract(*g, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(*g->LogCompleteOf(tim), 0.0);
  EXPECT_EQ(*g->LogCompleteOf(std::vector<TokenId>{lily[0]}), kLogZero);
  EXPECT_EQ(*g->LogPrefixOf(m.Encode("Bob")), kLogZero);
}

}  // namespace
}  // namespace steer::potential
