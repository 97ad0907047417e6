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
#include <sys/resource.h>
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

double CpuMsSelfAndChildren() {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(self.ru_utime) + ms(self.ru_stime) + ms(children.ru_utime) + ms(children.ru_stime);
}

// CPU time (user + system, this process and every reaped child) per run: on
// a machine shared with other work this is steadier than wall time, and
// 2000 / cpu_ms_per_run bounds the runs per second two idle cores could do.
void BM_CpuPerRun(benchmark::State& state) {
  static synth::Harness harness(SharedSandbox(), synth::HarnessOptions{});
  synth::Task task;
  task.task_id = "bench/id";
  task.prompt = "def ident(x):\n";
  task.entry_point = "ident";
  task.test = "def check(candidate):\n    assert candidate(3) == 3\n";
  // 0: python3 -I -c pass; 2: python3 -I -S -c pass (the harness's flags).
  char* bare[] = {const_cast<char*>("/usr/bin/python3"), const_cast<char*>("-I"), const_cast<char*>("-c"),
                  const_cast<char*>("pass"), nullptr};
  char* bare_s[] = {const_cast<char*>("/usr/bin/python3"), const_cast<char*>("-I"), const_cast<char*>("-S"),
                    const_cast<char*>("-c"), const_cast<char*>("pass"), nullptr};
  double cpu0 = CpuMsSelfAndChildren();
  for (auto _ : state) {
    if (state.range(0) != 1) {
      char** argv = state.range(0) == 0 ? bare : bare_s;
      pid_t pid;
      posix_spawn(&pid, argv[0], nullptr, nullptr, argv, environ);
      int st;
      waitpid(pid, &st, 0);
    } else {
      synth::TestOutcome o = harness.RunTests(task, "    return x\n", 320);
      if (o.verdict != synth::Verdict::kPassed) state.SkipWithError("test failed");
    }
  }
  double per_run = (CpuMsSelfAndChildren() - cpu0) / static_cast<double>(state.iterations());
  state.counters["cpu_ms_per_run"] = per_run;
  state.counters["runs_per_s_2_idle_cores"] = 2000.0 / per_run;
}
BENCHMARK(BM_CpuPerRun)->Arg(0)->Arg(2)->Arg(1)->ArgName("bare0_bareS2_sandboxed1")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace steer

BENCHMARK_MAIN();
