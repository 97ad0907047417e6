// All 164 HumanEval tasks (about a minute with 2 workers on a quiet 2-core
// machine, longer under load): labelled slow.
#include <gtest/gtest.h>

#include "humaneval_checks.h"

namespace steer::synth {
namespace {

using testing::SynthTest;

TEST_F(SynthTest, AllCanonicalSolutionsPassAndAMutantFailsForEveryTask) {
  STEER_REQUIRE_SHARED(path, "humaneval/HumanEval.jsonl.gz");
  std::vector<Task> tasks = testing::HumanEvalTasks(path);
  ASSERT_EQ(tasks.size(), 164u);
  testing::ExpectCanonicalPassAndSomeMutantFails(*harness_, tasks);
}

TEST_F(SynthTest, AllHumanEvalPoolsClusterByBehaviour) {
  STEER_REQUIRE_SHARED(path, "humaneval/HumanEval.jsonl.gz");
  std::vector<Task> tasks = testing::HumanEvalTasks(path);
  ASSERT_EQ(tasks.size(), 164u);
  testing::ExpectPoolsClusterByBehaviour(*harness_, tasks, /*stride=*/1, /*min_wrong_kept=*/10);
}

}  // namespace
}  // namespace steer::synth
