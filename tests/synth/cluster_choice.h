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
#include "steer/util/strings.h"

namespace steer::synth::testing {

enum class PoolKind { kAllMutants, kWrongPassers };

// Submission budgets n of n@k; AlphaCode's claim is at 10.
inline constexpr int kBudgets[] = {1, 3, 10};

struct ClusterChoiceResult {
  size_t pools = 0;
  // Mean n@k solve rates, one per kBudgets entry.
  double cluster[3] = {}, cluster_one_each[3] = {}, random[3] = {}, random_filtered[3] = {};
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

struct Parameter {
  std::string name;
  std::string annotation;  // "" when absent
};

// Parameters of `entry` in `prompt` (defaults and stars dropped); empty
// when the signature is not found.
inline std::vector<Parameter> Parameters(const std::string& prompt, const std::string& entry) {
  std::vector<Parameter> params;
  size_t pos = prompt.find("def " + entry + "(");
  if (pos == std::string::npos) return params;
  pos += entry.size() + 5;
  auto trim = [](std::string x) {
    x.erase(0, x.find_first_not_of(" \n\t*"));
    x.erase(x.find_last_not_of(" \n\t") + 1);
    return x;
  };
  int depth = 0;
  std::string current;
  for (; pos < prompt.size(); ++pos) {
    char c = prompt[pos];
    if (depth == 0 && (c == ',' || c == ')')) {
      std::string decl = current.substr(0, current.find('='));
      size_t colon = decl.find(':');
      Parameter p{trim(decl.substr(0, colon)), colon == std::string::npos ? "" : trim(decl.substr(colon + 1))};
      if (!p.name.empty()) params.push_back(p);
      current.clear();
      if (c == ')') break;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    current += c;
  }
  return params;
}

// Edge-case bugs: the canonical solution, except that when a condition on
// one argument holds the result is off in one of three ways (numbers +1,
// -1 or 0/1; sequences lose the last or first element or are reversed;
// bools negated). The conditions are typed properties of one
// argument (sign, size, parity, particular small values, length, order,
// duplicates, spaces, case, digits); whether a program passes the public
// tests and fails the hidden ones is found by running it.
inline std::vector<std::string> EdgeCaseBugs(const Task& task) {
  static const char* kInt = "isinstance({p}, int) and not isinstance({p}, bool) and ";
  static const char* kNum = "isinstance({p}, (int, float)) and not isinstance({p}, bool) and ";
  static const char* kSeq = "isinstance({p}, (str, list, tuple)) and ";
  static const char* kStr = "isinstance({p}, str) and ";
  static const char* kNums = "isinstance({p}, (list, tuple)) and all(isinstance(x, (int, float)) for x in {p}) and ";
  const std::pair<const char*, const char*> kGuards[] = {
      {kNum, "{p} < 0"}, {kNum, "{p} == 0"}, {kNum, "{p} > 3"}, {kNum, "{p} > 5"}, {kNum, "{p} > 20"},
      {kNum, "{p} > 100"}, {kInt, "{p} == 2"}, {kInt, "{p} == 3"}, {kInt, "{p} == 4"}, {kInt, "{p} == 5"},
      {kInt, "{p} == 7"}, {kInt, "{p} % 2 == 0"}, {kInt, "{p} % 3 == 0"}, {kNum, "{p} != int({p})"},
      {kSeq, "len({p}) == 0"}, {kSeq, "len({p}) == 1"}, {kSeq, "len({p}) == 2"}, {kSeq, "len({p}) == 3"},
      {kSeq, "len({p}) == 4"}, {kSeq, "len({p}) > 3"}, {kSeq, "len({p}) > 8"}, {kSeq, "len({p}) % 2 == 0"},
      {kSeq, "len({p}) > 1 and {p} == {p}[::-1]"}, {kSeq, "len(set(map(repr, {p}))) < len({p})"},
      {kStr, "' ' in {p}"}, {kStr, "any(c.isupper() for c in {p})"}, {kStr, "any(c.isdigit() for c in {p})"},
      {kStr, "{p}[:1] in ('a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U')"},
      {kNums, "any(x < 0 for x in {p})"}, {kNums, "sum({p}) > 10"}, {kNums, "len({p}) > 1 and {p}[0] > {p}[-1]"},
      {kNums, "0 in {p}"},
  };

  std::vector<Parameter> params = Parameters(task.prompt, task.entry_point);
  std::string call;
  for (const Parameter& p : params) call += (call.empty() ? "" : ", ") + p.name;
  std::string body;
  for (std::string_view line : Split(task.canonical_solution, "\n")) {
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) body += "    ";
    body += std::string(line) + "\n";
  }
  std::vector<std::string> out;
  // Conditions that cannot hold for the annotated type are skipped: such a
  // program behaves exactly like the canonical solution.
  auto applies = [](const std::string& annotation, const char* type) {
    if (annotation.empty()) return true;
    const bool number = annotation == "int" || annotation == "float";
    const bool str = annotation == "str";
    const bool list = annotation.rfind("List", 0) == 0 || annotation.rfind("list", 0) == 0 ||
                      annotation.rfind("Tuple", 0) == 0 || annotation.rfind("tuple", 0) == 0;
    if (type == kInt) return annotation == "int";
    if (type == kNum) return number;
    if (type == kSeq) return str || list;
    if (type == kStr) return str;
    return list;  // kNums
  };
  for (const Parameter& p : params) {
    for (const auto& [type, condition] : kGuards) {
      if (!applies(p.annotation, type)) continue;
      std::string g = std::string(type) + condition;
      for (size_t at; (at = g.find("{p}")) != std::string::npos;) g.replace(at, 3, p.name);
      // Three ways to be off, each a different wrong behaviour (a bool
      // result is negated by all three, so those coincide).
      static const char* kOff[][3] = {
          {"_steer_r + 1", "_steer_r[:-1] if len(_steer_r) > 0 else _steer_r * 2", "not _steer_r"},
          {"_steer_r - 1", "_steer_r[1:] if len(_steer_r) > 0 else _steer_r * 2", "not _steer_r"},
          {"0 if _steer_r else 1", "_steer_r[::-1] if len(_steer_r) > 1 else _steer_r[:0]", "not _steer_r"},
      };
      for (const auto& off : kOff) {
        out.push_back("    _steer_hit = " + g + "\n    def _steer_original(" + call + "):\n" + body +
                      "    _steer_r = _steer_original(" + call + ")\n"
                      "    if not _steer_hit:\n"
                      "        return _steer_r\n"
                      "    if isinstance(_steer_r, bool):\n"
                      "        return " + off[2] + "\n"
                      "    if isinstance(_steer_r, (int, float)):\n"
                      "        return " + off[0] + "\n"
                      "    if isinstance(_steer_r, (str, list, tuple)):\n"
                      "        return " + off[1] + "\n"
                      "    return None\n");
      }
    }
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
    if (kind == PoolKind::kAllMutants) {
      mutants[t] = MutantCandidates(canonical, 40, 6, 5);
    } else {
      mutants[t] = MutantCandidates(canonical, 80, 30, 8);
      for (std::string& bug : EdgeCaseBugs((*tasks)[t])) mutants[t].push_back(std::move(bug));
    }
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
    for (size_t t = 0; t < tasks->size(); ++t) {
      int counts[3] = {0, 0, 0};
      for (size_t j = 0; j < jobs.size(); ++j)
        if (jobs[j].first == t) ++counts[label[j]];
      std::fprintf(stderr, "%s: %zu candidates: %d fail the public tests, %d pass them but fail the hidden tests, "
                   "%d pass both\n", (*tasks)[t].task_id.c_str(), mutants[t].size(), counts[0], counts[1], counts[2]);
    }
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
    // Which members represent a cluster is arbitrary (ChooseFromClusters
    // takes them in pool order, and the pools list correct programs first),
    // so cluster choice is scored by its exact expectation when the m_j
    // submissions ChooseFromClusters gives cluster j are distinct members
    // drawn uniformly: 1 - prod_j (1 - PassAtK(size_j, correct_j, m_j)).
    // "One each" scores one submission from each of the first n clusters
    // (AlphaCode's rule, and ChooseFromClusters' with >= n clusters).
    int mixed = 0;
    std::string line;
    for (size_t b = 0; b < std::size(kBudgets); ++b) {
      const int budget = kBudgets[b];
      std::vector<int> picks(tc.clusters.size(), 0);
      for (size_t s : ChooseFromClusters(tc, budget))
        for (size_t j = 0; j < tc.clusters.size(); ++j)
          picks[j] += std::count(tc.clusters[j].begin(), tc.clusters[j].end(), s) > 0;
      double all_wrong = 1, all_wrong_one_each = 1;
      for (size_t j = 0; j < tc.clusters.size(); ++j) {
        const int size_j = static_cast<int>(tc.clusters[j].size());
        int correct_j = 0;
        for (size_t s : tc.clusters[j]) correct_j += hidden[s].verdict == Verdict::kPassed;
        if (picks[j] > 0) all_wrong *= 1.0 - PassAtK(size_j, correct_j, picks[j]);
        if (j < static_cast<size_t>(budget)) all_wrong_one_each *= 1.0 - PassAtK(size_j, correct_j, 1);
        if (b + 1 == std::size(kBudgets) && j < static_cast<size_t>(budget))
          mixed += correct_j > 0 && correct_j < size_j;
      }
      const double solved = 1.0 - all_wrong;
      // Exact expected solve rates of n distinct samples drawn uniformly:
      // from the whole pool, and from the public-test passers.
      const double random = PassAtK(n, c, std::min(n, budget));
      const double random_filtered = kept == 0 ? 0.0 : PassAtK(kept, kept_correct, std::min(kept, budget));
      result.cluster[b] += solved;
      result.cluster_one_each[b] += 1.0 - all_wrong_one_each;
      result.random[b] += random;
      result.random_filtered[b] += random_filtered;
      char buf[160];
      std::snprintf(buf, sizeof buf, " %d@k %.3f/%.3f/%.3f", budget, solved, random, random_filtered);
      line += buf;
    }
    std::fprintf(stderr, "%s %s: n=%d correct=%d kept=%d kept-correct=%d clusters=%zu mixed=%d; cluster/random/"
                 "random-kept:%s\n", name, tasks[t].task_id.c_str(), n, c, kept, kept_correct, tc.clusters.size(),
                 mixed, line.c_str());
    begin = end;
  }
  for (size_t b = 0; b < std::size(kBudgets) && result.pools > 0; ++b) {
    const double m = static_cast<double>(result.pools);
    result.cluster[b] /= m;
    result.cluster_one_each[b] /= m;
    result.random[b] /= m;
    result.random_filtered[b] /= m;
    std::fprintf(stderr, "%s pools: %d@k over %zu pools: cluster choice %.3f (one each of the first n clusters "
                 "%.3f), random %.3f, random among public passers %.3f\n", name, kBudgets[b], result.pools,
                 result.cluster[b], result.cluster_one_each[b], result.random[b], result.random_filtered[b]);
  }
  return result;
}

}  // namespace steer::synth::testing
