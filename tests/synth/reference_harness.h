// Harness verdicts against a reference harness: HumanEval's own recipe (exec of
// prompt + completion + "\n" + test + "\n" + "check(entry_point)" by plain
// python, passed iff it returns without an exception), run in the sandbox.
// The verdicts (passed or not) of the harness must agree with it on the
// canonical solutions and their mutants.
#pragma once

#include <gtest/gtest.h>

#include "humaneval_checks.h"

namespace steer::synth::testing {

inline const char* const kReference = R"PY(import sys
src = open("program.py", encoding="utf-8").read()
try:
    exec(compile(src, "program.py", "exec"), {"__name__": "__reference__"})
except BaseException as e:
    print("failed:", type(e).__name__)
    sys.exit(1)
print("passed")
)PY";

inline bool ReferencePasses(const sandbox::Sandbox& sb, const Task& t, const std::string& completion, int slot) {
  sandbox::RunSpec spec;
  spec.argv = {sb.config().python, "-I", "-S", "-B", "reference.py"};
  spec.files = {{"reference.py", kReference},
                {"program.py", t.prompt + completion + "\n" + t.test + "\n" + "check(" + t.entry_point + ")\n"}};
  spec.timeout_s = 10;
  spec.memory_mb = 256;
  spec.slot = slot;
  auto r = sb.Run(spec);
  return r.ok() && r->status == sandbox::RunStatus::kOk && r->has_exit_code && r->exit_code == 0 &&
         r->stdout_data == "passed\n";
}

// Every stride-th task: its canonical solution and first `mutants` mutants.
inline void ExpectAgreesWithReference(const Harness& harness, const sandbox::Sandbox& sandbox,
                                      const std::vector<Task>& all, size_t stride, size_t mutants) {
  std::vector<std::pair<const Task*, std::string>> samples;
  for (size_t id = 0; id < all.size(); id += stride) {
    samples.emplace_back(&all[id], all[id].canonical_solution);
    std::vector<Mutant> ms = MutatePython(all[id].canonical_solution);
    for (size_t m = 0; m < ms.size() && m < mutants; ++m) samples.emplace_back(&all[id], ms[m].code);
  }
  std::vector<int> ours(samples.size()), reference(samples.size());
  harness.ParallelFor(samples.size(), "reference", [&](size_t i, int slot) {
    ours[i] = harness.RunTests(*samples[i].first, samples[i].second, slot).verdict == Verdict::kPassed;
    reference[i] = ReferencePasses(sandbox, *samples[i].first, samples[i].second, slot);
  });
  int passed = 0, failed = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(ours[i], reference[i]) << samples[i].first->task_id << " sample:\n" << samples[i].second;
    (reference[i] ? passed : failed) += 1;
  }
  std::fprintf(stderr, "%zu samples: reference passes %d, fails %d\n", samples.size(), passed, failed);
  EXPECT_GT(passed, 0);
  EXPECT_GT(failed, 0);
}

}  // namespace steer::synth::testing
