// Runs the built steer binary: `steer synth` with a scripted sampler (the
// JSON-lines output of each method) and its exit codes on bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.h"
#include "shared_data.h"
#include "steer/util/file.h"

namespace {

using nlohmann::json;

struct RunResult {
  int exit_code;
  std::vector<json> lines;
  std::string err;
};

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = steer::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

RunResult RunSteer(const std::string& args) {
  steer::testing::RunResult run = steer::testing::RunCommand(STEER_BINARY, args);
  RunResult r{run.exit_code, {}, run.err};
  std::istringstream in(run.out);
  for (std::string line; std::getline(in, line);) r.lines.push_back(json::parse(line));
  return r;
}

class SynthCli : public ::testing::Test {
 protected:
  void SetUp() override {
    json task = {{"task_id", "tiny/add"},
                 {"prompt", "def add(a, b):\n    \"\"\"Add.\n    >>> add(2, 3)\n    5\n    \"\"\"\n"},
                 {"entry_point", "add"},
                 {"test", "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"}};
    tasks_ = Write("synth_tasks.jsonl", task.dump() + "\n");
    json fix = {{"key", "NameError"}, {"completions", {"    return a + b\n"}}};
    json first = {{"key", "def add"}, {"completions", {"    return ad + b\n"}}};
    script_ = Write("synth_script.jsonl", fix.dump() + "\n" + first.dump() + "\n");
  }
  RunResult Synth(const std::string& args) {
    return RunSteer("synth --tasks '" + tasks_ + "' --scripted '" + script_ + "' --workers 1 --json " + args);
  }
  std::string tasks_, script_;
};

TEST_F(SynthCli, SelfRepairRejectionAndFilterClusterPrintJsonLines) {
  RunResult r = Synth("--method self-repair --initial 1 --repairs 1");
  if (r.exit_code != 0 && r.err.find("isolation") != std::string::npos) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0]["task_id"], "tiny/add");
  EXPECT_EQ(r.lines[0]["solved"], true);
  EXPECT_EQ(r.lines[0]["attempts"].size(), 2u);
  EXPECT_EQ(r.lines[0]["attempts"][0]["public_verdict"], "runtime_error");
  EXPECT_EQ(r.lines[0]["spent"]["executions"], 3);
  EXPECT_EQ(r.lines[1]["summary"], true);
  EXPECT_EQ(r.lines[1]["solve_rate"], 1.0);
  EXPECT_EQ(r.lines[1]["found_by_samples"], json({0.0, 1.0}));

  r = Synth("--method rejection --samples 3");  // the buggy program only
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.lines[0]["found"], false);
  EXPECT_EQ(r.lines[0]["spent"]["samples"], 3);
  EXPECT_TRUE(r.lines[0]["hidden_verdict"].is_null());

  r = Synth("--method filter-cluster --samples 4 -k 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.lines[0]["public_pass_fraction"], 0.0);
  EXPECT_EQ(r.lines[0]["solved"], false);
}

TEST_F(SynthCli, BadInputExitsWithTwo) {
  EXPECT_EQ(Synth("--method nope").exit_code, 2);
  EXPECT_EQ(RunSteer("synth --tasks '" + tasks_ + "' --method rejection").exit_code, 2);  // no sampler
  EXPECT_EQ(Synth("--method smc").exit_code, 2);  // smc needs a model
  const std::string bad = Write("synth_bad_script.jsonl", "{\"key\": 1}\n");
  RunResult r = RunSteer("synth --tasks '" + tasks_ + "' --scripted '" + bad + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("synth_bad_script.jsonl:1"), std::string::npos) << r.err;
}

}  // namespace
