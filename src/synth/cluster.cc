#include "steer/synth/cluster.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

namespace steer::synth {

Result<ClusterReport> FilterAndCluster(const Harness& harness, const std::vector<Task>& tasks,
                                       const std::vector<Sample>& samples, const ClusterOptions& options) {
  std::unordered_map<std::string, size_t> task_index;
  for (size_t i = 0; i < tasks.size(); ++i) task_index[tasks[i].task_id] = i;
  for (const Sample& s : samples) {
    if (!task_index.count(s.task_id))
      return MakeError(ErrorCode::kInvalidInput, "sample names unknown task \"" + s.task_id + "\"", "cluster");
  }

  ClusterReport report;
  report.samples.resize(samples.size());
  harness.ParallelFor(samples.size(), "public tests", [&](size_t i, int slot) {
    SampleClusterInfo& info = report.samples[i];
    info.public_outcome = harness.RunPublicTests(tasks[task_index[samples[i].task_id]], samples[i].completion, slot);
    info.kept = info.public_outcome.verdict == Verdict::kPassed;
  });

  // Tasks with samples, in task order, and their surviving samples.
  std::vector<size_t> task_order;
  std::vector<std::vector<size_t>> survivors(tasks.size());
  std::vector<bool> has_samples(tasks.size(), false);
  for (size_t i = 0; i < samples.size(); ++i) {
    size_t t = task_index[samples[i].task_id];
    has_samples[t] = true;
    if (report.samples[i].kept) survivors[t].push_back(i);
  }
  for (size_t t = 0; t < tasks.size(); ++t)
    if (has_samples[t]) task_order.push_back(t);

  std::vector<Result<std::vector<std::string>>> inputs(tasks.size(), std::vector<std::string>{});
  std::vector<size_t> need_inputs;
  for (size_t t : task_order)
    if (survivors[t].size() > 1) need_inputs.push_back(t);
  harness.ParallelFor(need_inputs.size(), "inputs", [&](size_t j, int slot) {
    size_t t = need_inputs[j];
    inputs[t] = harness.GenerateInputs(tasks[t], options.num_inputs, slot);
  });
  for (size_t t : need_inputs)
    if (!inputs[t].ok()) return inputs[t].error();

  // Behaviour signature of each survivor: its outputs, or how the run failed.
  std::vector<std::string> signature(samples.size());
  std::vector<size_t> to_run;
  for (size_t t : need_inputs)
    if (!inputs[t]->empty()) to_run.insert(to_run.end(), survivors[t].begin(), survivors[t].end());
  harness.ParallelFor(to_run.size(), "clustering runs", [&](size_t j, int slot) {
    size_t i = to_run[j];
    const Task& task = tasks[task_index[samples[i].task_id]];
    std::vector<std::string> outputs;
    TestOutcome o = harness.RunOnInputs(task, samples[i].completion, *inputs[task_index[samples[i].task_id]], slot,
                                        &outputs);
    std::string sig;
    for (const std::string& out : outputs) sig += out + "\n";
    if (o.verdict != Verdict::kPassed) sig += std::string("RUN ") + VerdictName(o.verdict) + "\n";
    signature[i] = std::move(sig);
  });

  for (size_t t : task_order) {
    TaskClusters tc;
    tc.task_id = tasks[t].task_id;
    if (inputs[t].ok()) tc.inputs = *inputs[t];
    std::map<std::string, std::vector<size_t>> groups;
    for (size_t i : survivors[t]) groups[signature[i]].push_back(i);
    for (auto& [sig, members] : groups) tc.clusters.push_back(std::move(members));
    std::sort(tc.clusters.begin(), tc.clusters.end(), [](const auto& a, const auto& b) {
      return a.size() != b.size() ? a.size() > b.size() : a.front() < b.front();
    });
    for (size_t c = 0; c < tc.clusters.size(); ++c)
      for (size_t i : tc.clusters[c]) report.samples[i].cluster = static_cast<int>(c);
    report.tasks.push_back(std::move(tc));
  }
  return report;
}

}  // namespace steer::synth
