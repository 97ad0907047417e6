#include "steer/synth/critic.h"

#include <gtest/gtest.h>

#include <chrono>

#include "steer/potential/contract.h"
#include "steer/potential/toy_lm.h"
#include "steer/sampler/sampler.h"
#include "synth_test_util.h"

namespace steer::synth {
namespace {

using testing::SynthTest;

std::vector<std::string> ByteVocab() {
  std::vector<std::string> v(256);
  for (int i = 0; i < 256; ++i) v[i] = std::string(1, static_cast<char>(i));
  return v;
}

std::vector<TokenId> Bytes(std::string_view s) {
  std::vector<TokenId> out;
  for (unsigned char c : s) out.push_back(c);
  return out;
}

const char* kPrompt = "def f(x):\n";

CriticOptions Options() {
  CriticOptions o;
  o.slot = 210;
  o.timeout_s = 5;
  return o;
}

TEST_F(SynthTest, CompileCriticWeighsLineCuts) {
  CompileCritic c(*sandbox_, kPrompt, ByteVocab(), Options());
  auto prefix = [&](std::string_view s) { return c.LogPrefixOf(Bytes(s)).value(); };
  auto complete = [&](std::string_view s) { return c.LogCompleteOf(Bytes(s)).value(); };
  EXPECT_EQ(prefix("    return x +"), 0.0);       // no complete line yet
  EXPECT_EQ(prefix("    return x +\n"), potential::kLogZero);
  EXPECT_EQ(prefix("    return x +\n    1\n"), potential::kLogZero);  // zeros absorb
  EXPECT_EQ(prefix("    return (x +\n"), 0.0);    // an open bracket may still close
  EXPECT_EQ(prefix("    if x:\n"), 0.0);          // an open block may still get a body
  EXPECT_EQ(complete("    if x:\n"), potential::kLogZero);
  EXPECT_EQ(complete("    return (x +\n 1)\n"), 0.0);
  EXPECT_EQ(complete("    return x"), 0.0);
  EXPECT_EQ(complete("    return x)"), potential::kLogZero);
  EXPECT_GT(c.executions(), 0);
}

TEST_F(SynthTest, CompileCriticMeetsThePotentialContract) {
  CompileCritic c(*sandbox_, kPrompt, ByteVocab(), Options());
  std::vector<std::vector<TokenId>> contexts = {Bytes(""), Bytes(" return (x\n"), Bytes("  y =\n z"),
                                                Bytes(" if x:\n  return 1\n")};
  Status st = potential::CheckContract(c, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  // Cached: only new sources cost a run.
  const int64_t runs = c.executions();
  st = potential::CheckContract(c, contexts);
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(c.executions(), runs);
}

TEST_F(SynthTest, CompileCriticKillsAHangingCheckerAtItsTimeout) {
  CriticOptions o = Options();
  o.checker = "while True:\n    pass\n";
  o.timeout_s = 0.5;
  CompileCritic c(*sandbox_, kPrompt, ByteVocab(), o);
  auto start = std::chrono::steady_clock::now();
  auto r = c.LogPrefixOf(Bytes(" x\n"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_LT(seconds, 3.0);
  // The critic stays failed.
  auto again = c.Start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kResourceExhausted);
}

TEST_F(SynthTest, CompileCriticRejectsAMalformedChecker) {
  CriticOptions o = Options();
  o.checker = "print('yes')\n";
  CompileCritic c(*sandbox_, kPrompt, ByteVocab(), o);
  auto r = c.LogPrefixOf(Bytes(" x\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
}

// SMC over a toy LM of code fragments with the critic as a weight: every
// returned program compiles, while the LM alone often writes ones that do
// not.
TEST_F(SynthTest, SmcWithTheCriticReturnsOnlyCompilingPrograms) {
  const std::vector<std::string> vocab = {"    return ", "x", " +", "(", ")", "\n", " 1"};
  const int32_t v = static_cast<int32_t>(vocab.size());
  potential::ToyLm::Table table;
  table[std::vector<TokenId>{}] = std::vector<double>(v + 1, 1.0);
  auto lm = std::make_shared<potential::ToyLm>(v, table);
  auto critic = std::make_shared<CompileCritic>(*sandbox_, kPrompt, vocab, Options());
  sampler::Target target;
  target.base = lm;
  target.weights.push_back(critic);
  target.token_bytes = vocab;
  sampler::Options o;
  o.method = sampler::Method::kSmc;
  o.proposal = sampler::ProposalKind::kDirect;
  o.particles = 32;
  o.max_tokens = 6;
  o.seed = 7;
  auto set = sampler::Run(target, o);
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  ASSERT_FALSE(set->samples.empty());
  CompileCritic oracle(*sandbox_, kPrompt, vocab, Options());
  for (const auto& s : set->samples) {
    EXPECT_EQ(oracle.LogCompleteOf(s.tokens).value(), 0.0) << s.text;
  }
  // The same LM without the critic (ancestral, 32 runs) produces programs
  // that do not compile.
  sampler::Target plain;
  plain.base = lm;
  plain.token_bytes = vocab;
  sampler::Options a = o;
  a.method = sampler::Method::kAncestral;
  a.samples = 32;
  auto runs = sampler::Run(plain, a);
  ASSERT_TRUE(runs.ok());
  int bad = 0;
  for (const auto& s : runs->samples) bad += oracle.LogCompleteOf(s.tokens).value() != 0.0;
  EXPECT_GT(bad, 0);
}

}  // namespace
}  // namespace steer::synth
