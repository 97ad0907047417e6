// Program-synthesis tasks (HumanEval-compatible JSONL) and candidate samples.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "steer/util/result.h"

namespace steer::synth {

// One task. Required: task_id, prompt, entry_point, test (which defines
// check(candidate)). Optional: canonical_solution; public_tests (Python code
// a method may look at; empty means the docstring examples of the prompt);
// input_generator (Python code run as `prog N` that prints N argument lists,
// one Python literal per line, for filter-and-cluster).
struct Task {
  std::string task_id;
  std::string prompt;
  std::string entry_point;
  std::string test;
  std::string canonical_solution;
  std::string public_tests;
  std::string input_generator;
};

// A candidate: the completion follows the task's prompt. `index` counts the
// samples of the same task in file order, from 0.
struct Sample {
  std::string task_id;
  std::string completion;
  int index = 0;
};

// Reads a .jsonl file, or a gzip-compressed one (.gz). Errors name the line.
Result<std::vector<Task>> LoadTasks(const std::string& path);
Result<std::vector<Task>> ParseTasks(std::string_view jsonl, const std::string& source);

// Samples must name tasks in `tasks`.
Result<std::vector<Sample>> LoadSamples(const std::string& path, const std::vector<Task>& tasks);
Result<std::vector<Sample>> ParseSamples(std::string_view jsonl, const std::string& source,
                                         const std::vector<Task>& tasks);

// Reads a file, inflating it when it starts with the gzip magic bytes.
Result<std::string> ReadMaybeGzip(const std::string& path);

}  // namespace steer::synth
