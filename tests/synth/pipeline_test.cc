#include "steer/synth/pipeline.h"

#include <gtest/gtest.h>

#include "steer/synth/program_sampler.h"
#include "synth_test_util.h"

namespace steer::synth {
namespace {

using testing::AddTask;
using testing::SynthTest;

const char* kBuggy = "    return ad + b\n";
const char* kFixed = "    return a + b\n";

TEST(FunctionEndTest, CutsAtTheFirstUnindentedLineAfterABlankLine) {
  EXPECT_EQ(FunctionEnd("    return a\n\ndef g():\n"), 13u);
  EXPECT_EQ(FunctionEnd("    x = 1\n\n\n\nprint(x)"), 10u);
  EXPECT_EQ(FunctionEnd("    x = 1\n\n    return x\n"), std::string::npos);  // indented: same body
  EXPECT_EQ(FunctionEnd("    x = 1\nprint(x)\n"), std::string::npos);          // no blank line before it
  EXPECT_EQ(FunctionEnd("    x = 1\n\n"), std::string::npos);                  // nothing after the blank yet
  EXPECT_EQ(FunctionEnd("    x = 1\n  \n\tfoo\n\nbar"), 18u);  // after "\tfoo\n"
}

TEST(ScriptedSamplerTest, FirstMatchingRuleAnswersAndCycles) {
  ScriptedSampler s({{"needle", {"A"}}, {"", {"B", "C"}}});
  auto r = s.Sample("hay needle hay", 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->completions, (std::vector<std::string>{"A", "A", "A"}));
  r = s.Sample("hay", 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->completions, (std::vector<std::string>{"B", "C", "B"}));
  EXPECT_EQ(r->tokens, 3);
  EXPECT_EQ(ScriptedTokenCount("    return a + b\n"), 5);
  ScriptedSampler none(std::vector<ScriptedSampler::Rule>{{"x", {"A"}}});
  EXPECT_EQ(none.Sample("y", 1).error().code, ErrorCode::kNotFound);
}

TEST(RepairPromptTest, DocumentedFormat) {
  Task t = AddTask();
  std::string p = RepairPrompt(t, "    return 0", "Traceback\nNameError: x\n");
  EXPECT_EQ(p, t.prompt + "    return 0\n# The function above fails its checks:\n# Traceback\n# NameError: x\n" +
                   "# A corrected version:\n" + t.prompt);
}

TEST(ChooseFromClustersTest, OnePerClusterLargestFirstThenFurtherMembersRoundRobin) {
  TaskClusters tc;
  tc.clusters = {{0, 1, 2}, {3, 5}, {6}};
  EXPECT_EQ(ChooseFromClusters(tc, 1), (std::vector<size_t>{0}));
  EXPECT_EQ(ChooseFromClusters(tc, 3), (std::vector<size_t>{0, 3, 6}));
  EXPECT_EQ(ChooseFromClusters(tc, 5), (std::vector<size_t>{0, 3, 6, 1, 5}));
  // Never more submissions than programs.
  EXPECT_EQ(ChooseFromClusters(tc, 10), (std::vector<size_t>{0, 3, 6, 1, 5, 2}));
  EXPECT_TRUE(ChooseFromClusters(TaskClusters{}, 10).empty());
}

TEST_F(SynthTest, SelfRepairFeedsTheErrorBack) {
  Task task = AddTask();
  // The repair rule answers only prompts that carry the error text.
  ScriptedSampler sampler({{"NameError: name 'ad' is not defined", {kFixed}}, {"def add(a, b)", {kBuggy}}});
  auto r = RunSelfRepair(*harness_, sampler, task, /*initial=*/2, /*repairs=*/2, 200);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->attempts.size(), 2u);
  EXPECT_EQ(r->attempts[0].repair, 0);
  EXPECT_EQ(r->attempts[0].public_outcome.verdict, Verdict::kRuntimeError);
  EXPECT_EQ(r->attempts[1].repair, 1);
  EXPECT_EQ(r->attempts[1].public_outcome.verdict, Verdict::kPassed);
  EXPECT_TRUE(r->found);
  EXPECT_EQ(r->program, kFixed);
  EXPECT_EQ(r->hidden.verdict, Verdict::kPassed);
  EXPECT_EQ(sampler.served(0), 1);
  EXPECT_EQ(r->spent.samples, 2);
  EXPECT_EQ(r->spent.tokens, ScriptedTokenCount(kBuggy) + ScriptedTokenCount(kFixed));
  EXPECT_EQ(r->spent.executions, 3);  // two public runs, one hidden
  ASSERT_EQ(r->curve.size(), 2u);
  EXPECT_FALSE(r->curve[0].found);
  EXPECT_TRUE(r->curve[1].found);
}

TEST_F(SynthTest, SelfRepairWithoutTheRightFeedbackNeverRepairs) {
  Task task = AddTask();
  // The repair rule waits for an error that never happens.
  ScriptedSampler sampler({{"ZeroDivisionError", {kFixed}}, {"def add(a, b)", {kBuggy}}});
  auto r = RunSelfRepair(*harness_, sampler, task, 2, 2, 200);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE(r->found);
  EXPECT_EQ(r->attempts.size(), 6u);  // 2 initial × (1 + 2 repairs)
  EXPECT_EQ(r->spent.samples, 6);
  EXPECT_EQ(r->spent.executions, 6);
  EXPECT_EQ(sampler.served(0), 0);
  EXPECT_EQ(r->hidden.verdict, Verdict::kError);
}

TEST_F(SynthTest, RejectionStopsAtTheFirstPasserAndCountsBudget) {
  Task task = AddTask();
  ScriptedSampler sampler({{"def add", {"    return a - b\n", kBuggy, kFixed, "    return b + a\n"}}});
  auto r = RunRejection(*harness_, sampler, task, 10, 200);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->found);
  EXPECT_EQ(r->program, kFixed);
  EXPECT_EQ(r->hidden.verdict, Verdict::kPassed);
  EXPECT_EQ(r->spent.samples, 3);
  EXPECT_EQ(sampler.served(0), 3);
  EXPECT_EQ(r->spent.executions, 4);
  ASSERT_EQ(r->curve.size(), 3u);
  EXPECT_TRUE(r->curve[2].found);
  EXPECT_FALSE(r->curve[1].found);

  ScriptedSampler wrong({{"def add", {"    return a - b\n", kBuggy}}});
  r = RunRejection(*harness_, wrong, task, 2, 200);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->found);
  EXPECT_EQ(r->spent.samples, 2);
  EXPECT_EQ(r->spent.executions, 2);
}

TEST_F(SynthTest, FilterClusterSubmitsOnePerClusterLargestFirst) {
  Task task = AddTask();
  // Behaviour classes as in cluster_test: A = {0, 1, 2} (correct), B = {3, 5}
  // (passes the example only), 4 fails the example, C = {6}.
  ScriptedSampler sampler({{"def add",
                            {"    return a + b\n", "    return b + a\n", "    c = a\n    return c + b\n",
                             "    return a * b + 1 - a\n", "    return a - b\n", "    return (a * b) - a + 1\n",
                             "    return a + b if a != 4 else 0\n"}}});
  ClusterOptions co;
  co.num_inputs = 30;
  auto r = RunFilterCluster(*harness_, sampler, task, 7, 2, co);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->samples, 7);
  EXPECT_EQ(r->public_passers, 6);
  EXPECT_EQ(r->cluster_sizes, (std::vector<int>{3, 2, 1}));
  EXPECT_EQ(r->submitted, (std::vector<size_t>{0, 3}));
  ASSERT_EQ(r->submitted_hidden.size(), 2u);
  EXPECT_EQ(r->submitted_hidden[0].verdict, Verdict::kPassed);
  EXPECT_EQ(r->submitted_hidden[1].verdict, Verdict::kWrongAnswer);
  EXPECT_TRUE(r->solved);
  EXPECT_EQ(r->spent.executions, 7 + 1 + 6 + 2);  // public, input generation, inputs, hidden
}

}  // namespace
}  // namespace steer::synth
