// Sandbox throughput and per-run overhead.
//
//   build/bench/sandbox_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// BM_BareProcess / BM_SandboxedProcess: one run of the same command, bare
// (posix_spawn + wait) and in the sandbox; the difference is the per-run
// overhead. BM_HarnessTrivialTest: a trivial HumanEval-style task through
// the full harness (driver, program file, nonce) on 1 and 2 threads, each
// thread its own sandbox slot; items_per_second is sandboxed test runs per
// second.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>

#include <memory>
#include <mutex>

#include "steer/sandbox/sandbox.h"
#include "steer/synth/harness.h"

extern char** environ;

namespace steer {
namespace {

// with_cgroup = false: memory through RLIMIT_AS, to show what the per-run
// cgroups cost.
const sandbox::Sandbox& SharedSandbox(bool with_cgroup = true) {
  static std::unique_ptr<sandbox::Sandbox> boxes[2];
  std::unique_ptr<sandbox::Sandbox>& sb = boxes[with_cgroup];
  if (!sb) {
    sandbox::SandboxConfig config;
    config.use_cgroup = with_cgroup;
    config.minimum = sandbox::IsolationLevel::kNamespaces;
    auto r = sandbox::Sandbox::Create(config);
    if (!r.ok()) {
      std::fprintf(stderr, "sandbox unavailable: %s\n", r.error().ToString().c_str());
      std::exit(1);
    }
    sb = std::make_unique<sandbox::Sandbox>(std::move(r).value());
  }
  return *sb;
}

std::vector<std::string> Command(int which) {
  if (which == 0) return {"/bin/true"};
  return {"/usr/bin/python3", "-I", "-c", "pass"};
}

void BM_BareProcess(benchmark::State& state) {
  std::vector<std::string> cmd = Command(static_cast<int>(state.range(0)));
  std::vector<char*> argv;
  for (auto& a : cmd) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto _ : state) {
    pid_t pid;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) state.SkipWithError("spawn");
    int st;
    waitpid(pid, &st, 0);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareProcess)->Arg(0)->Arg(1)->ArgName("python")->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_SandboxedProcess(benchmark::State& state) {
  const sandbox::Sandbox& sb = SharedSandbox(state.range(1) != 0);
  sandbox::RunSpec spec;
  spec.argv = Command(static_cast<int>(state.range(0)));
  spec.slot = 300;
  for (auto _ : state) {
    auto r = sb.Run(spec);
    if (!r.ok() || r->status != sandbox::RunStatus::kOk) state.SkipWithError("run failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SandboxedProcess)
    ->ArgsProduct({{0, 1}, {1, 0}})
    ->ArgNames({"python", "cgroup"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_HarnessTrivialTest(benchmark::State& state) {
  static synth::Harness harness(SharedSandbox(), synth::HarnessOptions{});
  synth::Task task;
  task.task_id = "bench/id";
  task.prompt = "def ident(x):\n";
  task.entry_point = "ident";
  task.test = "def check(candidate):\n    assert candidate(3) == 3\n";
  for (auto _ : state) {
    synth::TestOutcome o = harness.RunTests(task, "    return x\n", 310 + state.thread_index());
    if (o.verdict != synth::Verdict::kPassed) state.SkipWithError("test failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HarnessTrivialTest)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace steer

BENCHMARK_MAIN();
