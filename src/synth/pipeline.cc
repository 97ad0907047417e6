#include "steer/synth/pipeline.h"

namespace steer::synth {

namespace {

constexpr int kMaxErrorLines = 20;

void AddPoint(std::vector<BudgetPoint>* curve, const Spent& spent, bool found) {
  curve->push_back({spent, found});
}

}  // namespace

Result<RejectionResult> RunRejection(const Harness& harness, ProgramSampler& sampler, const Task& task, int budget,
                                     int slot) {
  if (budget < 1) return MakeError(ErrorCode::kInvalidArgument, "rejection: the budget must be >= 1");
  RejectionResult r;
  for (int i = 0; i < budget && !r.found; ++i) {
    STEER_ASSIGN_OR_RETURN(SampledPrograms drawn, sampler.Sample(task.prompt, 1));
    r.spent.samples += 1;
    r.spent.tokens += drawn.tokens;
    TestOutcome pub = harness.RunPublicTests(task, drawn.completions.at(0), slot);
    r.spent.executions += 1;
    if (pub.verdict == Verdict::kPassed) {
      r.found = true;
      r.program = drawn.completions[0];
    }
    AddPoint(&r.curve, r.spent, r.found);
  }
  if (r.found) {
    r.hidden = harness.RunTests(task, r.program, slot);
    r.spent.executions += 1;
  }
  return r;
}

std::vector<size_t> ChooseFromClusters(const TaskClusters& clusters, int k) {
  std::vector<size_t> out;
  // Round r takes the r-th member of each cluster that has one, in cluster
  // order; stops at k or when every member is taken.
  for (size_t round = 0; static_cast<int>(out.size()) < k; ++round) {
    const size_t before = out.size();
    for (const auto& c : clusters.clusters) {
      if (static_cast<int>(out.size()) >= k) break;
      if (round < c.size()) out.push_back(c[round]);
    }
    if (out.size() == before) break;
  }
  return out;
}

Result<FilterClusterResult> RunFilterCluster(const Harness& harness, ProgramSampler& sampler, const Task& task, int n,
                                             int k, const ClusterOptions& options) {
  if (n < 1 || k < 1) return MakeError(ErrorCode::kInvalidArgument, "filter-cluster: n and k must be >= 1");
  FilterClusterResult r;
  STEER_ASSIGN_OR_RETURN(SampledPrograms drawn, sampler.Sample(task.prompt, n));
  r.samples = static_cast<int>(drawn.completions.size());
  r.spent.samples = r.samples;
  r.spent.tokens = drawn.tokens;
  r.completions = std::move(drawn.completions);
  std::vector<Sample> samples;
  for (size_t i = 0; i < r.completions.size(); ++i) samples.push_back({task.task_id, r.completions[i], static_cast<int>(i)});
  STEER_ASSIGN_OR_RETURN(ClusterReport report, FilterAndCluster(harness, {task}, samples, options));
  r.spent.executions += r.samples;  // public tests
  for (const auto& s : report.samples) r.public_passers += s.kept;
  if (!report.tasks.empty()) {
    const TaskClusters& tc = report.tasks[0];
    // FilterAndCluster generates inputs (one run) only for two or more
    // survivors, then runs each survivor on them once.
    if (r.public_passers > 1) r.spent.executions += 1 + (tc.inputs.empty() ? 0 : r.public_passers);
    for (const auto& c : tc.clusters) r.cluster_sizes.push_back(static_cast<int>(c.size()));
    r.submitted = ChooseFromClusters(tc, k);
  }
  r.submitted_hidden.resize(r.submitted.size());
  harness.ParallelFor(r.submitted.size(), "hidden tests", [&](size_t i, int slot) {
    r.submitted_hidden[i] = harness.RunTests(task, r.completions[r.submitted[i]], slot);
  });
  r.spent.executions += static_cast<int64_t>(r.submitted.size());
  for (const auto& o : r.submitted_hidden) r.solved = r.solved || o.verdict == Verdict::kPassed;
  return r;
}

std::string RepairPrompt(const Task& task, const std::string& program, const std::string& error) {
  std::vector<std::string> lines;
  for (size_t p = 0; p < error.size();) {
    size_t e = error.find('\n', p);
    if (e == std::string::npos) e = error.size();
    if (e > p) lines.push_back(error.substr(p, e - p));
    p = e + 1;
  }
  if (lines.empty()) lines.push_back("(no error text)");
  if (lines.size() > kMaxErrorLines) lines.erase(lines.begin(), lines.end() - kMaxErrorLines);
  std::string out = task.prompt + program;
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += "# The function above fails its checks:\n";
  for (const auto& l : lines) out += "# " + l + "\n";
  out += "# A corrected version:\n";
  out += task.prompt;
  return out;
}

Result<SelfRepairResult> RunSelfRepair(const Harness& harness, ProgramSampler& sampler, const Task& task, int initial,
                                       int repairs, int slot) {
  if (initial < 1 || repairs < 0)
    return MakeError(ErrorCode::kInvalidArgument, "self-repair: need initial >= 1 and repairs >= 0");
  SelfRepairResult r;
  for (int i = 0; i < initial && !r.found; ++i) {
    STEER_ASSIGN_OR_RETURN(SampledPrograms drawn, sampler.Sample(task.prompt, 1));
    std::string program = drawn.completions.at(0);
    int64_t tokens = drawn.tokens;
    for (int j = 0; j <= repairs; ++j) {
      if (j > 0) {
        const TestOutcome& last = r.attempts.back().public_outcome;
        std::string error = std::string(VerdictName(last.verdict)) + "\n" + last.error;
        STEER_ASSIGN_OR_RETURN(SampledPrograms fixed, sampler.Sample(RepairPrompt(task, program, error), 1));
        program = fixed.completions.at(0);
        tokens = fixed.tokens;
      }
      r.spent.samples += 1;
      r.spent.tokens += tokens;
      RepairAttempt a{i, j, program, harness.RunPublicTests(task, program, slot)};
      r.spent.executions += 1;
      const bool passed = a.public_outcome.verdict == Verdict::kPassed;
      r.attempts.push_back(std::move(a));
      if (passed) {
        r.found = true;
        r.program = program;
      }
      AddPoint(&r.curve, r.spent, r.found);
      if (passed) break;
    }
  }
  if (r.found) {
    r.hidden = harness.RunTests(task, r.program, slot);
    r.spent.executions += 1;
  }
  return r;
}

}  // namespace steer::synth
