#include "reference_harness.h"

namespace steer::synth {
namespace {

using testing::SynthTest;

TEST_F(SynthTest, RunTestsAgreesWithTheReferenceHarness) {
  STEER_REQUIRE_SHARED(path, "humaneval/HumanEval.jsonl.gz");
  std::vector<Task> all = testing::HumanEvalTasks(path);
  ASSERT_EQ(all.size(), 164u);
  testing::ExpectAgreesWithReference(*harness_, *sandbox_, all, /*stride=*/8, /*mutants=*/6);
}

}  // namespace
}  // namespace steer::synth
