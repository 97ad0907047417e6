// HumanEval golden checks on a 21-task subset (every 8th task); the slow
// suite covers all 164.
#include <gtest/gtest.h>

#include "humaneval_checks.h"

namespace steer::synth {
namespace {

using testing::SynthTest;

std::vector<Task> Subset(const std::vector<Task>& all) {
  std::vector<Task> out;
  for (size_t i = 0; i < all.size(); i += 8) out.push_back(all[i]);
  return out;
}

TEST_F(SynthTest, SubsetCanonicalSolutionsPassAndAMutantFails) {
  STEER_REQUIRE_SHARED(path, "humaneval/HumanEval.jsonl.gz");
  std::vector<Task> tasks = testing::HumanEvalTasks(path);
  ASSERT_EQ(tasks.size(), 164u);
  testing::ExpectCanonicalPassAndSomeMutantFails(*harness_, Subset(tasks));
}

TEST_F(SynthTest, HumanEvalPoolsClusterByBehaviour) {
  STEER_REQUIRE_SHARED(path, "humaneval/HumanEval.jsonl.gz");
  std::vector<Task> all = testing::HumanEvalTasks(path);
  ASSERT_EQ(all.size(), 164u);
  testing::ExpectPoolsClusterByBehaviour(*harness_, all, /*stride=*/24, /*min_checked=*/1);
}

}  // namespace
}  // namespace steer::synth
