// AlphaCode's selection for samples from any source: drop the samples that
// fail the public tests, run the survivors on generated inputs and group
// samples whose outputs (results, exception types, per-call timeouts) agree
// on every input.
#pragma once

#include <string>
#include <vector>

#include "steer/synth/harness.h"
#include "steer/synth/task.h"
#include "steer/util/result.h"

namespace steer::synth {

struct ClusterOptions {
  int num_inputs = 100;
};

struct SampleClusterInfo {
  TestOutcome public_outcome;  // verdict on the public tests
  bool kept = false;           // passed the public tests
  int cluster = -1;            // index into its task's clusters; -1 when dropped
};

struct TaskClusters {
  std::string task_id;
  std::vector<std::string> inputs;  // what the survivors ran on
  // Positions into the samples vector; clusters are ordered largest first
  // (ties: the cluster whose first member comes first), members ascending.
  std::vector<std::vector<size_t>> clusters;
};

struct ClusterReport {
  std::vector<SampleClusterInfo> samples;  // parallel to the samples argument
  std::vector<TaskClusters> tasks;         // tasks with at least one sample, in task order
};

// Fails only when inputs cannot be generated for a task (a failing
// input_generator); a task without examples or generator has no inputs and
// puts all its survivors in one cluster.
Result<ClusterReport> FilterAndCluster(const Harness& harness, const std::vector<Task>& tasks,
                                       const std::vector<Sample>& samples, const ClusterOptions& options);

}  // namespace steer::synth
