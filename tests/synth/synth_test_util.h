// Shared fixtures for synth tests: a sandbox (skips without full isolation)
// and a tiny task with a docstring example.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "steer/sandbox/sandbox.h"
#include "steer/synth/harness.h"
#include "steer/synth/task.h"

namespace steer::synth::testing {

inline Task AddTask() {
  Task t;
  t.task_id = "tiny/add";
  t.prompt = "def add(a, b):\n    \"\"\"Add two numbers.\n    >>> add(2, 3)\n    5\n    \"\"\"\n";
  t.entry_point = "add";
  t.test = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n";
  t.canonical_solution = "    return a + b\n";
  return t;
}

class SynthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sb = sandbox::Sandbox::Create();
    if (!sb.ok()) GTEST_SKIP() << "no full isolation on this machine: " << sb.error().ToString();
    sandbox_ = std::make_unique<sandbox::Sandbox>(std::move(sb).value());
    HarnessOptions o;
    o.timeout_s = 5;
    o.memory_mb = 256;
    o.workers = 2;
    o.first_slot = 200;
    harness_ = std::make_unique<Harness>(*sandbox_, o);
  }
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  std::unique_ptr<Harness> harness_;
};

}  // namespace steer::synth::testing
