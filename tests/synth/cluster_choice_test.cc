#include "cluster_choice.h"

namespace steer::synth {
namespace {

using testing::SynthTest;

TEST_F(SynthTest, ClusterChoiceAgainstRandomChoiceAt10AtK) {
  STEER_REQUIRE_SHARED(path, "humaneval/HumanEval.jsonl.gz");
  std::vector<Task> all = testing::HumanEvalTasks(path);
  ASSERT_EQ(all.size(), 164u);
  testing::ClusterChoiceResult r =
      testing::MeasureClusterChoice(*harness_, all, /*stride=*/24, testing::PoolKind::kWrongPassers);
  ASSERT_GE(r.pools, 3u);
  EXPECT_GE(r.cluster[2], 0.5);
}

}  // namespace
}  // namespace steer::synth
