// The test harness: runs candidate programs against a task's tests in the
// sandbox and classifies the outcome.
//
// The program for the hidden tests is prompt + completion + test +
// "check(entry_point)". A Python driver (src/synth/driver.py, embedded)
// compiles and runs it; the verdict comes from the driver's exit code and a
// per-run nonce it prints at the end, so a candidate that exits early or
// prints cannot pass by accident.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "steer/sandbox/sandbox.h"
#include "steer/synth/task.h"
#include "steer/util/result.h"

namespace steer::synth {

enum class Verdict : uint8_t {
  kPassed,
  kSyntaxError,
  kRuntimeError,  // an exception other than AssertionError, or a crash
  kWrongAnswer,   // AssertionError (hidden tests) or a failed example
  kTimeout,
  kMemory,
  kOutputLimit,
  kError,         // the harness could not run the program
};
const char* VerdictName(Verdict verdict);

struct HarnessOptions {
  double timeout_s = 10;
  int64_t memory_mb = 512;
  int workers = 1;
  int first_slot = 0;  // workers use sandbox slots first_slot .. first_slot + workers - 1
  bool progress = false;
  // Python runs with -I (isolated) and, unless this is set, -S: no site
  // module, so no site-packages. -S halves Python's start-up CPU time (16.6
  // -> 8.4 ms measured); set it for tasks that import third-party packages.
  bool site_packages = false;
};

struct TestOutcome {
  Verdict verdict = Verdict::kError;
  std::string error;   // the traceback or message; empty when passed
  int64_t wall_ms = 0;
  int examples_checked = -1;  // RunPublicTests on docstring examples: how many
};

class Harness {
 public:
  // `sandbox` must outlive the harness.
  Harness(const sandbox::Sandbox& sandbox, HarnessOptions options);

  const HarnessOptions& options() const { return options_; }

  // The hidden tests: prompt + completion + test + check(entry_point).
  TestOutcome RunTests(const Task& task, const std::string& completion, int slot) const;

  // The public tests: task.public_tests when given, else the docstring
  // examples of the prompt. A task with no usable example passes every
  // sample (examples_checked == 0).
  TestOutcome RunPublicTests(const Task& task, const std::string& completion, int slot) const;

  // N argument lists (Python literals, one per element) for clustering: the
  // output of task.input_generator when given, else the docstring examples
  // followed by deterministic mutations of them. May return fewer than n.
  Result<std::vector<std::string>> GenerateInputs(const Task& task, int n, int slot) const;

  // Runs the completion on each input; outputs[i] is repr(result),
  // "EXC <type>" or "TIMEOUT" (1 s per call). When the whole run fails, the
  // outcome says how and `outputs` holds what was reported before.
  TestOutcome RunOnInputs(const Task& task, const std::string& completion, const std::vector<std::string>& inputs,
                          int slot, std::vector<std::string>* outputs) const;

  // Calls fn(i, slot) for i in [0, n) on options.workers threads, each with
  // its own sandbox slot; shows progress on stderr when options.progress.
  void ParallelFor(size_t n, const std::string& label, const std::function<void(size_t, int)>& fn) const;

 private:
  struct DriverRun {
    sandbox::RunResult run;
    std::vector<std::string> reports;  // the nonce-prefixed lines, prefix removed
    bool error = false;                // the sandbox refused the spec
    std::string error_text;
  };
  DriverRun RunDriver(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> files,
                      int slot, double timeout_s) const;
  TestOutcome Classify(const DriverRun& run, bool require_report) const;

  // The driver as a .pyc, compiled once by the sandbox's interpreter
  // (compiling its source cost ~2.5 ms of CPU per run); empty when that
  // failed, and runs then use the source.
  const std::string& CompiledDriver(int slot) const;

  struct DriverCache;
  const sandbox::Sandbox& sandbox_;
  HarnessOptions options_;
  std::shared_ptr<DriverCache> driver_cache_;  // shared by copies
};

}  // namespace steer::synth
