#include "steer/synth/harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

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

// A task whose example has an argument of each type the generator mutates.
Task MixedTask(const std::string& entry) {
  Task t = AddTask();
  t.task_id = "tiny/" + entry;
  t.entry_point = entry;
  t.prompt = "def " + entry + "(xs, s, x, d, t, b, nested):\n    \"\"\"\n    >>> " + entry +
             "([1, 2, 3], 'abc', 2.5, {'a': 1, 'b': 2}, (1, 'x'), True, [[1, 2], [3]])\n    0\n    \"\"\"\n";
  return t;
}

// Run on each input: 'ok' when every argument has the example's type (a
// container's elements, keys and values each that of some element of the
// example's), numbers are within +-1000, strings at most 16 characters and
// containers at most 8 elements (the driver's bounds for these examples),
// then three flags: xs has more than 5 elements (longer than any edge case;
// the longest is the palindrome [1, 2, 3, 2, 1]),
// x is neither the example's value nor a float edge case, s has a character
// outside 'abc', 'ABC' and ' '.
constexpr char kInputChecker[] = R"(
    ref = ([1, 2, 3], 'abc', 2.5, {'a': 1, 'b': 2}, (1, 'x'), True, [[1, 2], [3]])
    def fits(v, r):
        if type(v) is not type(r):
            return False
        if isinstance(v, (list, tuple)):
            return all(any(fits(e, f) for f in r) for e in v)
        if isinstance(v, dict):
            return all(any(fits(k, f) for f in r) and any(fits(e, f) for f in r.values()) for k, e in v.items())
        return True
    def sizes(v):
        if isinstance(v, bool):
            return (0, 0, 0)
        if isinstance(v, (int, float)):
            return (abs(v), 0, 0)
        if isinstance(v, str):
            return (0, len(v), 0)
        parts = list(v.keys()) + list(v.values()) if isinstance(v, dict) else list(v)
        return tuple(max(c) for c in zip((0, 0, len(v)), *map(sizes, parts)))
    args = (xs, s, x, d, t, b, nested)
    if not all(fits(a, r) for a, r in zip(args, ref)):
        return 'type changed'
    num, text, seq = (max(c) for c in zip(*map(sizes, args)))
    if num > 1000 or text > 16 or seq > 8:
        return 'too large'
    flags = (len(xs) > 5, x not in (0.0, 1.0, -1.0, 3.0, -2.5, 5.0, 0.5, 2.5), bool(set(s) - set('abcABC ')))
    return 'ok' + ''.join(' %d' % f for f in flags)
)";

TEST_F(SynthTest, GeneratedInputsMixEdgeCasesAndBoundedTypePreservingMutations) {
  const Task task = MixedTask("mixed");
  auto a = harness_->GenerateInputs(task, 300, 200);
  auto b = harness_->GenerateInputs(task, 300, 201);
  auto prefix = harness_->GenerateInputs(task, 20, 200);
  auto renamed = harness_->GenerateInputs(MixedTask("mixed2"), 300, 200);
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  ASSERT_TRUE(b.ok() && prefix.ok() && renamed.ok());
  // Seeded by the task (its entry point): the same inputs on every run, a
  // smaller n takes a prefix, another task gets other mutations.
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*prefix, std::vector<std::string>(a->begin(), a->begin() + 20));
  ASSERT_EQ(a->size(), 300u);  // the edge cases alone are fewer than 100
  EXPECT_EQ((*a)[0], "[[1, 2, 3], 'abc', 2.5, {'a': 1, 'b': 2}, (1, 'x'), True, [[1, 2], [3]]]");
  EXPECT_EQ(renamed->front(), a->front());
  EXPECT_NE(*renamed, *a);
  std::set<std::string> distinct(a->begin(), a->end());
  EXPECT_EQ(distinct.size(), a->size());

  std::vector<std::string> outputs;
  TestOutcome o = harness_->RunOnInputs(task, kInputChecker, *a, 200, &outputs);
  ASSERT_EQ(o.verdict, Verdict::kPassed) << o.error;
  ASSERT_EQ(outputs.size(), a->size());
  int flagged[3] = {0, 0, 0};
  for (size_t i = 0; i < outputs.size(); ++i) {
    ASSERT_EQ(outputs[i].rfind("'ok ", 0), 0u) << (*a)[i] << " -> " << outputs[i];
    for (int f = 0; f < 3; ++f) flagged[f] += outputs[i][4 + 2 * f] == '1';
  }
  // Mutations (and only they) grow lists past the edge cases, move numbers
  // off them and bring in characters from COMMON_CHARS (at this seed:
  // 2, 93 and 23 of the 300 inputs).
  for (int f = 0; f < 3; ++f) EXPECT_GE(flagged[f], 1) << "flag " << f;
}

// Outputs of `checker` (a completion) on the first n inputs derived for a
// task with this prompt and entry point.
std::vector<std::string> CheckInputs(const Harness& harness, const std::string& prompt, const std::string& entry,
                                     int n, const std::string& checker) {
  Task task = AddTask();
  task.task_id = "tiny/" + entry;
  task.entry_point = entry;
  task.prompt = prompt;
  auto inputs = harness.GenerateInputs(task, n, 200);
  EXPECT_TRUE(inputs.ok()) << inputs.error().ToString();
  if (!inputs.ok()) return {};
  std::vector<std::string> outputs;
  TestOutcome o = harness.RunOnInputs(task, checker, *inputs, 200, &outputs);
  EXPECT_EQ(o.verdict, Verdict::kPassed) << o.error;
  EXPECT_EQ(outputs.size(), inputs->size());
  return outputs;
}

TEST_F(SynthTest, GeneratedInputsCoverShortSizesAndTheValuesOfEveryArgument) {
  // A list argument takes every length from 0 to its own (6) within 30
  // inputs, through prefixes, and a palindrome within 40. (Before prefixes
  // and palindromes, 40 inputs held lengths 0, 1 and 5-8 only.)
  std::vector<std::string> out =
      CheckInputs(*harness_, "def g(xs, k):\n    \"\"\"\n    >>> g([4, 1, 3, 2, 5, 6], 2)\n    3\n    \"\"\"\n",
                  "g", 40, "    return [len(xs), len(xs) > 1 and xs == xs[::-1]]\n");
  ASSERT_EQ(out.size(), 40u);
  std::set<std::string> lengths;
  for (size_t i = 0; i < 30; ++i) lengths.insert(out[i].substr(1, out[i].find(',') - 1));
  for (int len = 0; len <= 6; ++len) EXPECT_TRUE(lengths.count(std::to_string(len))) << "length " << len;
  EXPECT_TRUE(std::any_of(out.begin(), out.end(),
                          [](const std::string& o) { return o.find("True") != std::string::npos; }));

  // Examples show ints and floats for x and y but only ints for z: x and y
  // also take an example's int as the equal float (5 -> 5.0), z stays an
  // int in all 300 inputs. Edge cases give each argument its distinct
  // values before repeating one, so within 40 inputs z (4 examples, 3
  // arguments) takes -1 and 0-4.
  const std::string prompt =
      "def f(x, y, z):\n    \"\"\"\n    >>> f(5, 2, 7)\n    1\n    >>> f(3, 2, 2)\n    0\n    >>> f(3, -2, 1)\n    1\n"
      "    >>> f(3.5, -2.5, 2)\n    0\n    \"\"\"\n";
  out = CheckInputs(*harness_, prompt, "f", 300,
                    "    return [type(z).__name__, z, type(x).__name__, x]\n");
  ASSERT_EQ(out.size(), 300u);
  EXPECT_TRUE(std::count(out.begin(), out.end(), "['int', 7, 'float', 5.0]"));
  std::set<std::string> z_values;
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(out[i].rfind("['int', ", 0), 0u) << out[i];
    if (i < 40) z_values.insert(out[i].substr(8, out[i].find(',', 8) - 8));
  }
  for (const char* z : {"-1", "0", "1", "2", "3", "4"}) EXPECT_TRUE(z_values.count(z)) << "z = " << z;
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
