// Program-synthesis pipelines over a ProgramSampler and the test harness:
// rejection on the public tests, AlphaCode's filter and cluster (n@k), and
// self-repair. Each reports the budget it spent (samples, generated tokens,
// sandbox executions) and the verdict of the hidden tests (the task's
// `test`) on what it submits. All candidate code runs in the sandbox.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "steer/synth/cluster.h"
#include "steer/synth/harness.h"
#include "steer/synth/program_sampler.h"
#include "steer/synth/task.h"
#include "steer/util/result.h"

namespace steer::synth {

struct Spent {
  int64_t samples = 0;     // completions drawn
  int64_t tokens = 0;      // tokens generated
  int64_t executions = 0;  // sandboxed test runs (public, inputs, hidden)
};

// A point of a pass-rate-against-budget curve: after `spent`, whether some
// program found so far passes the public tests.
struct BudgetPoint {
  Spent spent;
  bool found = false;
};

// rejection: draw one completion at a time, at most `budget` of them, until
// one passes the public tests; that one is submitted to the hidden tests.
struct RejectionResult {
  bool found = false;        // a public-test passer was drawn
  std::string program;       // its completion
  TestOutcome hidden;        // its hidden-test verdict (kError when !found)
  Spent spent;
  std::vector<BudgetPoint> curve;  // one point per draw
};
Result<RejectionResult> RunRejection(const Harness& harness, ProgramSampler& sampler, const Task& task, int budget,
                                     int slot);

// filter-cluster (n@k): draw n completions, keep public-test passers,
// cluster them by behaviour on generated inputs, and submit the first
// member of each cluster, largest cluster first, up to k; with fewer than k
// clusters the remaining submissions go to further members, round robin.
struct FilterClusterResult {
  int samples = 0;
  int public_passers = 0;
  std::vector<int> cluster_sizes;  // largest first
  std::vector<size_t> submitted;   // indices into `completions`
  std::vector<TestOutcome> submitted_hidden;
  bool solved = false;             // some submission passes the hidden tests
  std::vector<std::string> completions;
  Spent spent;
};
// The (at most) k submissions for one task's clusters: the first member of
// each cluster in cluster order, then the second member of each cluster
// that has one, and so on. A submission left unused cannot solve the task,
// so when there are fewer than k clusters the rest go to distinct further
// members rather than being dropped; with k or more clusters this is
// AlphaCode's one per cluster, largest first.
std::vector<size_t> ChooseFromClusters(const TaskClusters& clusters, int k);
Result<FilterClusterResult> RunFilterCluster(const Harness& harness, ProgramSampler& sampler, const Task& task, int n,
                                             int k, const ClusterOptions& options);

// self-repair: `initial` (n_p) completions; each one that fails the public
// tests gets up to `repairs` (n_fr) repair attempts in a chain: the failing
// program and its error text go into RepairPrompt, and the sampler's answer
// replaces the program. The first program passing the public tests is
// submitted to the hidden tests and the run stops.
struct RepairAttempt {
  int initial = 0;     // which initial sample
  int repair = 0;      // 0 for the initial sample, 1.. for repairs
  std::string program;
  TestOutcome public_outcome;
};
struct SelfRepairResult {
  bool found = false;
  std::string program;
  TestOutcome hidden;
  std::vector<RepairAttempt> attempts;  // in order
  Spent spent;
  std::vector<BudgetPoint> curve;  // one point per attempt
};
// The repair prompt (a completion-style prompt for base models):
//   <prompt><program>
//   # The function above fails its checks:
//   # <error line 1>
//   # ...            (at most 20 lines, the last ones of the error)
//   # A corrected version:
//   <prompt>
// so the model's continuation is again a completion of the original prompt.
std::string RepairPrompt(const Task& task, const std::string& program, const std::string& error);
Result<SelfRepairResult> RunSelfRepair(const Harness& harness, ProgramSampler& sampler, const Task& task, int initial,
                                       int repairs, int slot);

}  // namespace steer::synth
