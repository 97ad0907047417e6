#include "steer/synth/cluster.h"

#include <gtest/gtest.h>

#include "synth_test_util.h"

namespace steer::synth {
namespace {

using testing::AddTask;
using testing::SynthTest;

TEST_F(SynthTest, EquivalentProgramsShareAClusterAndOthersDoNot) {
  std::vector<Task> tasks = {AddTask()};
  const char* completions[] = {
      "    return a + b\n",                  // 0: class A
      "    return b + a\n",                  // 1: class A
      "    c = a\n    return c + b\n",       // 2: class A
      "    return a * b + 1 - a\n",          // 3: class B (passes the example only)
      "    return a - b\n",                  // 4: fails the example: dropped
      "    return (a * b) - a + 1\n",        // 5: class B
      "    return a + b if a != 4 else 0\n", // 6: class C (differs from A only at a == 4)
  };
  std::vector<Sample> samples;
  for (int i = 0; i < static_cast<int>(std::size(completions)); ++i)
    samples.push_back({"tiny/add", completions[i], i});
  ClusterOptions options;
  options.num_inputs = 30;
  auto report = FilterAndCluster(*harness_, tasks, samples, options);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  ASSERT_EQ(report->tasks.size(), 1u);
  const auto& clusters = report->tasks[0].clusters;
  ASSERT_EQ(report->tasks[0].inputs.size(), 30u);
  // Class C is separated only if some input has a == 4: among the first 30
  // derived inputs are a random mutation [4, 36] and the edge case 2 * 2.
  EXPECT_EQ(clusters, (std::vector<std::vector<size_t>>{{0, 1, 2}, {3, 5}, {6}}));
  EXPECT_FALSE(report->samples[4].kept);
  EXPECT_EQ(report->samples[4].cluster, -1);
  EXPECT_EQ(report->samples[4].public_outcome.verdict, Verdict::kWrongAnswer);
  EXPECT_EQ(report->samples[0].cluster, 0);
  EXPECT_EQ(report->samples[5].cluster, 1);
  EXPECT_EQ(report->samples[6].cluster, 2);
}

}  // namespace
}  // namespace steer::synth
