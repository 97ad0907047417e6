#include "steer/synth/harness.h"

#include <gtest/gtest.h>

#include "synth_test_util.h"

namespace steer::synth {
namespace {

using testing::AddTask;
using testing::SynthTest;

struct Case {
  const char* completion;
  Verdict verdict;
  const char* error_contains;
};

TEST_F(SynthTest, ClassifiesEachOutcome) {
  const Case cases[] = {
      {"    return a + b\n", Verdict::kPassed, ""},
      {"    return a +\n", Verdict::kSyntaxError, "SyntaxError"},
      {"    return a - b\n", Verdict::kWrongAnswer, "AssertionError"},
      {"    return undefined_name\n", Verdict::kRuntimeError, "NameError"},
      {"    while True: pass\n", Verdict::kTimeout, "timed out"},
      {"    x = 'y' * (1 << 33)\n    return a + b\n", Verdict::kMemory, "memory"},
      {"    print('x' * 10**7)\n    return a + b\n", Verdict::kOutputLimit, "output"},
      {"    import sys; sys.exit(0)\n", Verdict::kRuntimeError, "SystemExit"},
      // Exiting early or printing a fake report does not pass.
      {"    import os; os._exit(0)\n", Verdict::kRuntimeError, "exited before"},
      {"    return a + b\nimport os\nos._exit(0)\n", Verdict::kRuntimeError, "exited before"},
      {"    import os; print('0' * 24 + ' done'); os._exit(0)\n", Verdict::kRuntimeError, "exited before"},
      // The driver runs precompiled (Harness::CompiledDriver), and its
      // tracebacks still quote its source lines.
      {"    import sys; assert False, sys.argv[0]\n", Verdict::kWrongAnswer, "AssertionError: steer_driver.pyc"},
      {"    import sys; assert False, sys.argv[0]\n", Verdict::kWrongAnswer, "exec(code, g)"},
  };
  Task task = AddTask();
  std::vector<TestOutcome> got(std::size(cases));
  harness_->ParallelFor(std::size(cases), "cases",
                        [&](size_t i, int slot) { got[i] = harness_->RunTests(task, cases[i].completion, slot); });
  for (size_t i = 0; i < std::size(cases); ++i) {
    EXPECT_EQ(VerdictName(got[i].verdict), std::string(VerdictName(cases[i].verdict))) << cases[i].completion;
    EXPECT_NE(got[i].error.find(cases[i].error_contains), std::string::npos)
        << cases[i].completion << " -> " << got[i].error;
  }
}

TEST_F(SynthTest, PublicTestsUseDocstringExamplesOrTheGivenCode) {
  Task task = AddTask();
  TestOutcome ok = harness_->RunPublicTests(task, "    return a + b\n", 0 + 200);
  EXPECT_EQ(ok.verdict, Verdict::kPassed);
  EXPECT_EQ(ok.examples_checked, 1);
  // Right on the example, wrong on the hidden tests.
  EXPECT_EQ(harness_->RunPublicTests(task, "    return a * b + 1 - a\n", 200).verdict, Verdict::kPassed);
  EXPECT_EQ(harness_->RunTests(task, "    return a * b + 1 - a\n", 200).verdict, Verdict::kWrongAnswer);
  TestOutcome bad = harness_->RunPublicTests(task, "    return a - b\n", 200);
  EXPECT_EQ(bad.verdict, Verdict::kWrongAnswer);
  EXPECT_NE(bad.error.find("add(2, 3) returned -1, expected 5"), std::string::npos) << bad.error;

  task.public_tests = "assert add(10, 1) == 11\n";
  EXPECT_EQ(harness_->RunPublicTests(task, "    return a + b\n", 200).verdict, Verdict::kPassed);
  EXPECT_EQ(harness_->RunPublicTests(task, "    return a * b + 1 - a\n", 200).verdict, Verdict::kWrongAnswer);

  Task no_examples = AddTask();
  no_examples.prompt = "def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n";
  TestOutcome none = harness_->RunPublicTests(no_examples, "    return a - b\n", 200);
  EXPECT_EQ(none.verdict, Verdict::kPassed);
  EXPECT_EQ(none.examples_checked, 0);
}

TEST_F(SynthTest, GeneratedInputsAreDeterministicAndStartWithTheExamples) {
  Task task = AddTask();
  auto a = harness_->GenerateInputs(task, 12, 200);
  auto b = harness_->GenerateInputs(task, 12, 201);
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  ASSERT_EQ(a->size(), 12u);
  EXPECT_EQ((*a)[0], "[2, 3]");
  std::set<std::string> distinct(a->begin(), a->end());
  EXPECT_EQ(distinct.size(), a->size());

  task.input_generator = "import sys\nfor i in range(int(sys.argv[1])): print([i, 2 * i])\n";
  auto g = harness_->GenerateInputs(task, 3, 200);
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  EXPECT_EQ(*g, (std::vector<std::string>{"[0, 0]", "[1, 2]", "[2, 4]"}));
  task.input_generator = "raise SystemExit(1)\n";
  EXPECT_FALSE(harness_->GenerateInputs(task, 3, 200).ok());
}

TEST_F(SynthTest, RunOnInputsReportsResultsExceptionsAndPerCallTimeouts) {
  Task task = AddTask();
  std::vector<std::string> outputs;
  TestOutcome o = harness_->RunOnInputs(task,
                                        "    print('noise')\n"
                                        "    while a == 0: pass\n"
                                        "    if a < 0: raise ValueError(a)\n"
                                        "    return a / b\n",
                                        {"[0, 1]", "[1, 2]", "[-1, 1]", "[3, 0]", "['x', 'y']"}, 200, &outputs);
  EXPECT_EQ(o.verdict, Verdict::kPassed) << o.error;
  EXPECT_EQ(outputs, (std::vector<std::string>{"TIMEOUT", "0.5", "EXC ValueError", "EXC ZeroDivisionError",
                                               "EXC TypeError"}));
}

}  // namespace
}  // namespace steer::synth
