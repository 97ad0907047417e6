// AlphaCode's claim on pools made from HumanEval canonical solutions and
// mutants: does submitting one program per cluster, largest cluster first,
// solve more tasks at 10@k than submitting 10 programs chosen at random?
// Measures both exactly and prints them; shared by the default (every 24th
// HumanEval task) and slow (every 4th) tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "humaneval_checks.h"
#include "steer/synth/pass_at_k.h"
#include "steer/synth/pipeline.h"

namespace steer::synth::testing {

inline void ExpectClusterChoiceBeatsRandom(const Harness& harness, const std::vector<Task>& all, size_t stride) {
  const size_t kMutants = 40, kParents = 6, kChildren = 5;
  const int kSubmissions = 10;
  // Pool per task: the canonical solution, two rewrites with its behaviour,
  // its first single-point mutants, and double mutants (the first mutants
  // of the first mutants). Wrong programs are many and diverse, as samples
  // of a model are; the correct class is 3 programs.
  std::vector<Task> tasks;
  std::vector<Sample> samples;
  for (size_t id = 0; id < all.size(); id += stride) {
    const Task& t = all[id];
    if (kKnownBadDocstrings.count(t.task_id)) continue;
    tasks.push_back(t);
    int index = 0;
    samples.push_back({t.task_id, t.canonical_solution, index++});
    samples.push_back({t.task_id, "    _steer_unused = [0] * 3\n" + t.canonical_solution, index++});
    samples.push_back({t.task_id, t.canonical_solution + "\n    # unreachable comment\n", index++});
    std::vector<Mutant> ms = MutatePython(t.canonical_solution);
    for (size_t m = 0; m < ms.size() && m < kMutants; ++m) samples.push_back({t.task_id, ms[m].code, index++});
    for (size_t m = 0; m < ms.size() && m < kParents; ++m) {
      std::vector<Mutant> children = MutatePython(ms[m].code);
      for (size_t c = 0; c < children.size() && c < kChildren; ++c)
        samples.push_back({t.task_id, children[c].code, index++});
    }
  }
  auto report = FilterAndCluster(harness, tasks, samples, ClusterOptions{});
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  std::vector<TestOutcome> hidden(samples.size());
  harness.ParallelFor(samples.size(), "hidden", [&](size_t i, int slot) {
    size_t t = 0;
    while (tasks[t].task_id != samples[i].task_id) ++t;
    hidden[i] = harness.RunTests(tasks[t], samples[i].completion, slot);
  });

  double cluster_sum = 0, random_sum = 0, random_filtered_sum = 0;
  size_t used = 0;
  size_t begin = 0;
  for (size_t t = 0; t < tasks.size(); ++t) {
    size_t end = begin;
    while (end < samples.size() && samples[end].task_id == tasks[t].task_id) ++end;
    const TaskClusters& tc = report->tasks[t];
    ASSERT_EQ(tc.task_id, tasks[t].task_id);
    // Equivalent rewrites share the canonical solution's cluster.
    EXPECT_EQ(report->samples[begin + 1].cluster, report->samples[begin].cluster) << tasks[t].task_id;
    EXPECT_EQ(report->samples[begin + 2].cluster, report->samples[begin].cluster) << tasks[t].task_id;
    int n = static_cast<int>(end - begin), c = 0, kept = 0, kept_correct = 0;
    for (size_t i = begin; i < end; ++i) {
      const bool ok = hidden[i].verdict == Verdict::kPassed;
      c += ok;
      kept += report->samples[i].kept;
      kept_correct += ok && report->samples[i].kept;
    }
    ASSERT_GE(c, 3) << tasks[t].task_id;  // the canonical solution and its rewrites
    // Without usable public examples (HumanEval prompts that state examples
    // in prose) nothing is filtered and no inputs exist, so everything is one
    // cluster: the method does not apply, and the task is left out.
    if (report->samples[begin].public_outcome.examples_checked == 0) {
      std::fprintf(stderr, "%s: no docstring examples, left out\n", tasks[t].task_id.c_str());
      begin = end;
      continue;
    }
    ++used;
    // Which member represents a cluster is arbitrary (ChooseFromClusters
    // takes the first, and the pools list correct programs first), so the
    // cluster method is scored by its exact expectation over a uniformly
    // chosen member per cluster: 1 - prod_j (1 - correct_j / size_j) over
    // the first 10 clusters.
    double all_wrong = 1;
    for (size_t j = 0; j < tc.clusters.size() && j < static_cast<size_t>(kSubmissions); ++j) {
      int correct_j = 0;
      for (size_t s : tc.clusters[j]) correct_j += hidden[s].verdict == Verdict::kPassed;
      all_wrong *= 1.0 - static_cast<double>(correct_j) / static_cast<double>(tc.clusters[j].size());
    }
    const double solved = 1.0 - all_wrong;
    // Exact expected solve rates of 10 distinct samples drawn uniformly:
    // from the whole pool, and from the public-test passers.
    const double random = PassAtK(n, c, std::min(n, kSubmissions));
    const double random_filtered = kept == 0 ? 0.0 : PassAtK(kept, kept_correct, std::min(kept, kSubmissions));
    std::fprintf(stderr, "%s: n=%d correct=%d kept=%d clusters=%zu cluster-choice=%.3f random=%.3f random-kept=%.3f\n",
                 tasks[t].task_id.c_str(), n, c, kept, tc.clusters.size(), solved, random, random_filtered);
    cluster_sum += solved;
    random_sum += random;
    random_filtered_sum += random_filtered;
    begin = end;
  }
  ASSERT_GE(used, 3u);
  const double m = static_cast<double>(used);
  std::fprintf(stderr, "10@k over %zu pools: cluster choice %.3f, random %.3f, random among public passers %.3f\n",
               used, cluster_sum / m, random_sum / m, random_filtered_sum / m);
  // The comparison is measured, not asserted: with fair scoring it does not
  // hold on these pools (docs/synth.md, "Measured"). The derived inputs leave
  // wrong mutants in the correct programs' cluster, and few wrong programs
  // survive the public tests, so random choice is already near 1.
  EXPECT_GE(cluster_sum / m, 0.5);
}

}  // namespace steer::synth::testing
