// All 164 HumanEval tasks (43 s with 2 workers on the loaded 2-core dev
// machine) and pools on every 4th task (minutes): labelled slow.
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
  testing::ExpectPoolsClusterByBehaviour(*harness_, tasks, /*stride=*/4, /*min_checked=*/20);
}

}  // namespace
}  // namespace steer::synth
