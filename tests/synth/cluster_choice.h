// AlphaCode's claim on pools made from HumanEval canonical solutions and
// mutants: does submitting one program per cluster, largest cluster first,
// solve more tasks at 10@k than submitting 10 programs chosen at random?
// Measures both exactly and prints them; shared by the default (every 24th
// HumanEval task) and slow (every 4th) tests.
//
// Two kinds of pool per task, both starting with the canonical solution and
// four rewrites of it with the same behaviour:
//  - kAllMutants: then the first 40 single mutants and 5 double mutants of
//    each of the first 6. Most mutants that pass the docstring examples also
//    pass the hidden tests, so random choice among public passers is already
//    near 1 and nothing can beat it.
//  - kWrongPassers: then up to 30 mutants (single, then double) that pass
//    the public tests but fail the hidden tests, and up to 20 that fail the
//    public tests. This is the regime AlphaCode reports on: most samples
//    that pass the public tests are still wrong. The hidden verdicts choose
//    which mutants make up the pool (they model the sampler); the method
//    under test never sees them, and every program is scored by a fresh run.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "humaneval_checks.h"
#include "steer/synth/pass_at_k.h"
#include "steer/synth/pipeline.h"

namespace steer::synth::testing {

enum class PoolKind { kAllMutants, kWrongPassers };

struct ClusterChoiceResult {
  size_t pools = 0;
  double cluster = 0, random = 0, random_filtered = 0;  // mean 10@k solve rates
};

// The canonical solution and four rewrites with its behaviour.
inline std::vector<std::string> CorrectRewrites(const std::string& canonical) {
  return {canonical, "    _steer_unused = [0] * 3\n" + canonical, canonical + "\n    # unreachable comment\n",
          "    if False:\n        return None\n" + canonical, "    pass\n" + canonical};
}

// Single mutants in source order, then double mutants (up to `children` per
// single mutant, of the first `parents`), without duplicates or programs
// equal to a rewrite.
inline std::vector<std::string> MutantCandidates(const std::string& canonical, size_t singles, size_t parents,
                                                 size_t children) {
  std::set<std::string> seen;
  for (const std::string& c : CorrectRewrites(canonical)) seen.insert(c);
  std::vector<std::string> out;
  std::vector<Mutant> ms = MutatePython(canonical);
  for (size_t m = 0; m < ms.size() && m < singles; ++m)
    if (seen.insert(ms[m].code).second) out.push_back(ms[m].code);
  for (size_t m = 0; m < ms.size() && m < parents; ++m) {
    std::vector<Mutant> cs = MutatePython(ms[m].code);
    for (size_t c = 0; c < cs.size() && c < children; ++c)
      if (seen.insert(cs[c].code).second) out.push_back(cs[c].code);
  }
  return out;
}

inline size_t TaskIndex(const std::vector<Task>& tasks, const std::string& id) {
  size_t t = 0;
  while (tasks[t].task_id != id) ++t;
  return t;
}

// Builds the pools for every `stride`-th task (tasks with known-bad
// docstrings left out) into tasks/samples.
inline void BuildPools(const Harness& harness, const std::vector<Task>& all, size_t stride, PoolKind kind,
                       std::vector<Task>* tasks, std::vector<Sample>* samples) {
  const size_t kWrongPassing = 30, kFailing = 20;
  for (size_t id = 0; id < all.size(); id += stride) {
    if (!kKnownBadDocstrings.count(all[id].task_id)) tasks->push_back(all[id]);
  }
  std::vector<std::vector<std::string>> mutants(tasks->size());
  for (size_t t = 0; t < tasks->size(); ++t) {
    const std::string& canonical = (*tasks)[t].canonical_solution;
    mutants[t] = kind == PoolKind::kAllMutants ? MutantCandidates(canonical, 40, 6, 5)
                                               : MutantCandidates(canonical, 80, 30, 8);
  }
  std::vector<std::vector<std::string>> chosen(tasks->size());
  if (kind == PoolKind::kAllMutants) {
    chosen = mutants;
  } else {
    // Public tests on every candidate, hidden tests on the public passers.
    std::vector<std::pair<size_t, size_t>> jobs;
    for (size_t t = 0; t < tasks->size(); ++t)
      for (size_t m = 0; m < mutants[t].size(); ++m) jobs.push_back({t, m});
    std::vector<int> label(jobs.size(), 0);  // 0 fails public, 1 wrong passer, 2 passes both
    harness.ParallelFor(jobs.size(), "pool", [&](size_t j, int slot) {
      const Task& task = (*tasks)[jobs[j].first];
      const std::string& code = mutants[jobs[j].first][jobs[j].second];
      if (harness.RunPublicTests(task, code, slot).verdict != Verdict::kPassed) return;
      label[j] = harness.RunTests(task, code, slot).verdict == Verdict::kPassed ? 2 : 1;
    });
    std::vector<size_t> wrong(tasks->size(), 0), failing(tasks->size(), 0);
    for (size_t j = 0; j < jobs.size(); ++j) {
      size_t t = jobs[j].first;
      if (label[j] == 1 && wrong[t] < kWrongPassing) {
        ++wrong[t];
        chosen[t].push_back(mutants[t][jobs[j].second]);
      } else if (label[j] == 0 && failing[t] < kFailing) {
        ++failing[t];
        chosen[t].push_back(mutants[t][jobs[j].second]);
      }
    }
  }
  for (size_t t = 0; t < tasks->size(); ++t) {
    int index = 0;
    for (const std::string& c : CorrectRewrites((*tasks)[t].canonical_solution))
      samples->push_back({(*tasks)[t].task_id, c, index++});
    for (const std::string& m : chosen[t]) samples->push_back({(*tasks)[t].task_id, m, index++});
  }
}

inline ClusterChoiceResult MeasureClusterChoice(const Harness& harness, const std::vector<Task>& all, size_t stride,
                                                PoolKind kind) {
  const int kSubmissions = 10;
  const size_t kRewrites = CorrectRewrites("").size();
  const char* name = kind == PoolKind::kAllMutants ? "all-mutants" : "wrong-passers";
  std::vector<Task> tasks;
  std::vector<Sample> samples;
  BuildPools(harness, all, stride, kind, &tasks, &samples);
  ClusterChoiceResult result;
  auto report = FilterAndCluster(harness, tasks, samples, ClusterOptions{});
  EXPECT_TRUE(report.ok()) << report.error().ToString();
  if (!report.ok()) return result;
  std::vector<TestOutcome> hidden(samples.size());
  harness.ParallelFor(samples.size(), "hidden", [&](size_t i, int slot) {
    hidden[i] = harness.RunTests(tasks[TaskIndex(tasks, samples[i].task_id)], samples[i].completion, slot);
  });

  size_t begin = 0;
  for (size_t t = 0; t < tasks.size(); ++t) {
    size_t end = begin;
    while (end < samples.size() && samples[end].task_id == tasks[t].task_id) ++end;
    const TaskClusters& tc = report->tasks[t];
    EXPECT_EQ(tc.task_id, tasks[t].task_id);
    // Equivalent rewrites share the canonical solution's cluster.
    for (size_t r = 1; r < kRewrites; ++r)
      EXPECT_EQ(report->samples[begin + r].cluster, report->samples[begin].cluster) << tasks[t].task_id;
    int n = static_cast<int>(end - begin), c = 0, kept = 0, kept_correct = 0;
    for (size_t i = begin; i < end; ++i) {
      const bool ok = hidden[i].verdict == Verdict::kPassed;
      c += ok;
      kept += report->samples[i].kept;
      kept_correct += ok && report->samples[i].kept;
    }
    EXPECT_GE(c, static_cast<int>(kRewrites)) << tasks[t].task_id;  // the canonical solution and its rewrites
    // Without usable public examples (HumanEval prompts that state examples
    // in prose) nothing is filtered and no inputs exist, so everything is one
    // cluster: the method does not apply, and the task is left out.
    if (report->samples[begin].public_outcome.examples_checked == 0) {
      std::fprintf(stderr, "%s: no docstring examples, left out\n", tasks[t].task_id.c_str());
      begin = end;
      continue;
    }
    ++result.pools;
    // Which member represents a cluster is arbitrary (ChooseFromClusters
    // takes the first, and the pools list correct programs first), so the
    // cluster method is scored by its exact expectation over a uniformly
    // chosen member per cluster: 1 - prod_j (1 - correct_j / size_j) over
    // the first 10 clusters.
    double all_wrong = 1;
    int mixed = 0;
    for (size_t j = 0; j < tc.clusters.size() && j < static_cast<size_t>(kSubmissions); ++j) {
      int correct_j = 0;
      for (size_t s : tc.clusters[j]) correct_j += hidden[s].verdict == Verdict::kPassed;
      all_wrong *= 1.0 - static_cast<double>(correct_j) / static_cast<double>(tc.clusters[j].size());
      mixed += correct_j > 0 && correct_j < static_cast<int>(tc.clusters[j].size());
    }
    const double solved = 1.0 - all_wrong;
    // Exact expected solve rates of 10 distinct samples drawn uniformly:
    // from the whole pool, and from the public-test passers.
    const double random = PassAtK(n, c, std::min(n, kSubmissions));
    const double random_filtered = kept == 0 ? 0.0 : PassAtK(kept, kept_correct, std::min(kept, kSubmissions));
    std::fprintf(stderr,
                 "%s %s: n=%d correct=%d kept=%d kept-correct=%d clusters=%zu mixed=%d cluster-choice=%.3f "
                 "random=%.3f random-kept=%.3f\n",
                 name, tasks[t].task_id.c_str(), n, c, kept, kept_correct, tc.clusters.size(), mixed, solved, random,
                 random_filtered);
    result.cluster += solved;
    result.random += random;
    result.random_filtered += random_filtered;
    begin = end;
  }
  if (result.pools > 0) {
    const double m = static_cast<double>(result.pools);
    result.cluster /= m;
    result.random /= m;
    result.random_filtered /= m;
  }
  std::fprintf(stderr, "%s pools: 10@k over %zu pools: cluster choice %.3f, random %.3f, random among public "
               "passers %.3f\n", name, result.pools, result.cluster, result.random, result.random_filtered);
  return result;
}

}  // namespace steer::synth::testing
