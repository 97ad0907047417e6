// steer run-tests --tasks T (--samples S | --canonical) [--timeout S] [--memory MB]
//                 [--workers N] [-k K]... [--json] [--insecure]
// steer cluster   --tasks T (--samples S | --canonical) [--inputs N] [--json] ...
#include <cstdio>
#include <map>
#include <memory>

#include "command.h"
#include "steer/sandbox/sandbox.h"
#include "steer/synth/cluster.h"
#include "steer/synth/harness.h"
#include "steer/synth/pass_at_k.h"
#include "steer/synth/task.h"
#include "steer/util/strings.h"
#include "steer/util/thread_pool.h"

namespace steer::cli {
namespace {

struct SynthRunOptions {
  std::string tasks_path;
  std::string samples_path;
  bool canonical = false;
  double timeout_s = 10;
  int64_t memory_mb = 512;
  int workers = 0;
  std::vector<int> ks = {1, 10, 100};
  int num_inputs = 100;
  bool json = false;
  bool insecure = false;
  bool site_packages = false;
};

struct Loaded {
  std::vector<synth::Task> tasks;
  std::vector<synth::Sample> samples;
};

Result<Loaded> Load(const SynthRunOptions& o) {
  Loaded l;
  STEER_ASSIGN_OR_RETURN(l.tasks, synth::LoadTasks(o.tasks_path));
  if (o.canonical == !o.samples_path.empty())
    return MakeError(ErrorCode::kInvalidArgument, "give exactly one of --samples FILE and --canonical", "");
  if (o.canonical) {
    for (const synth::Task& t : l.tasks) l.samples.push_back({t.task_id, t.canonical_solution, 0});
  } else {
    STEER_ASSIGN_OR_RETURN(l.samples, synth::LoadSamples(o.samples_path, l.tasks));
  }
  return l;
}

void AddCommonOptions(CLI::App* cmd, SynthRunOptions* o) {
  cmd->add_option("--tasks", o->tasks_path, "Tasks JSONL (HumanEval format; .gz accepted)")->required();
  cmd->add_option("--samples", o->samples_path, "Samples JSONL: {task_id, completion} per line");
  cmd->add_flag("--canonical", o->canonical, "Use each task's canonical_solution as its one sample");
  cmd->add_option("--timeout", o->timeout_s, "Wall-clock limit per run, seconds")->check(CLI::PositiveNumber);
  cmd->add_option("--memory", o->memory_mb, "Memory limit per run, MB")->check(CLI::PositiveNumber);
  cmd->add_option("--workers", o->workers, "Parallel sandboxes (default: hardware threads)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", o->json, "One JSON object per line on stdout");
  cmd->add_flag("--insecure", o->insecure, "Run even below the minimum isolation level");
  cmd->add_flag("--site-packages", o->site_packages,
                "Let programs import installed third-party packages (Python without -S; slower start)");
}

Result<sandbox::Sandbox> MakeSandbox(const SynthRunOptions& o) {
  sandbox::SandboxConfig config;
  config.insecure = o.insecure;
  return sandbox::Sandbox::Create(config);
}

synth::HarnessOptions MakeHarnessOptions(const SynthRunOptions& o) {
  synth::HarnessOptions h;
  h.timeout_s = o.timeout_s;
  h.memory_mb = o.memory_mb;
  h.workers = o.workers > 0 ? o.workers : ThreadPool::HardwareThreads();
  h.progress = true;
  h.site_packages = o.site_packages;
  return h;
}

int RunTestsMain(const SynthRunOptions& o) {
  auto loaded = Load(o);
  if (!loaded.ok()) return ReportError("run-tests", loaded.error());
  auto sb = MakeSandbox(o);
  if (!sb.ok()) return ReportError("run-tests", sb.error());
  synth::Harness harness(*sb, MakeHarnessOptions(o));
  const auto& samples = loaded->samples;
  std::vector<synth::TestOutcome> outcomes(samples.size());
  std::map<std::string, const synth::Task*> by_id;
  for (const auto& t : loaded->tasks) by_id[t.task_id] = &t;
  harness.ParallelFor(samples.size(), "run-tests", [&](size_t i, int slot) {
    outcomes[i] = harness.RunTests(*by_id[samples[i].task_id], samples[i].completion, slot);
  });
  std::map<std::string, std::pair<int, int>> per_task;  // n, c
  size_t passed = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& s = samples[i];
    const auto& out = outcomes[i];
    bool ok = out.verdict == synth::Verdict::kPassed;
    passed += ok;
    auto& nc = per_task[s.task_id];
    nc.first++;
    nc.second += ok;
    if (o.json) {
      std::string line = "{\"task_id\":" + JsonString(s.task_id) + ",\"sample_index\":" + std::to_string(s.index) +
                         ",\"verdict\":" + JsonString(synth::VerdictName(out.verdict)) +
                         ",\"passed\":" + (ok ? "true" : "false") + ",\"error\":" + JsonString(out.error) +
                         ",\"wall_ms\":" + std::to_string(out.wall_ms) + "}";
      std::printf("%s\n", line.c_str());
    } else {
      // The last line of a traceback names the exception.
      std::string last = out.error;
      while (!last.empty() && last.back() == '\n') last.pop_back();
      last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
      std::printf("%s #%d %s%s%s\n", s.task_id.c_str(), s.index, synth::VerdictName(out.verdict),
                  ok ? "" : ": ", last.c_str());
    }
  }
  double mean_pass1 = 0;
  int tasks_with_samples = 0;
  for (const auto& t : loaded->tasks) {
    auto it = per_task.find(t.task_id);
    if (it == per_task.end()) continue;
    auto [n, c] = it->second;
    ++tasks_with_samples;
    mean_pass1 += synth::PassAtK(n, c, 1);
    std::string ks;
    for (int k : o.ks) {
      if (k < 1 || k > n) continue;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s\"%d\":%.6f", ks.empty() ? "" : ",", k, synth::PassAtK(n, c, k));
      ks += buf;
    }
    if (o.json) {
      std::printf("{\"task_id\":%s,\"n\":%d,\"c\":%d,\"pass_at_k\":{%s}}\n", JsonString(t.task_id).c_str(), n, c,
                  ks.c_str());
    } else {
      std::printf("%s n=%d c=%d pass@k {%s}\n", t.task_id.c_str(), n, c, ks.c_str());
    }
  }
  if (tasks_with_samples > 0) mean_pass1 /= tasks_with_samples;
  if (o.json) {
    std::printf("{\"samples\":%zu,\"passed\":%zu,\"tasks\":%d,\"pass_at_1\":%.6f,\"isolation\":%s}\n",
                samples.size(), passed, tasks_with_samples, mean_pass1, JsonString(sb->probe().description).c_str());
  } else {
    std::printf("%zu/%zu samples passed; mean pass@1 over %d tasks: %.4f\nisolation: %s\n", passed, samples.size(),
                tasks_with_samples, mean_pass1, sb->probe().description.c_str());
  }
  return 0;
}

int ClusterMain(const SynthRunOptions& o) {
  auto loaded = Load(o);
  if (!loaded.ok()) return ReportError("cluster", loaded.error());
  auto sb = MakeSandbox(o);
  if (!sb.ok()) return ReportError("cluster", sb.error());
  synth::Harness harness(*sb, MakeHarnessOptions(o));
  synth::ClusterOptions copts;
  copts.num_inputs = o.num_inputs;
  auto report = synth::FilterAndCluster(harness, loaded->tasks, loaded->samples, copts);
  if (!report.ok()) return ReportError("cluster", report.error());
  const auto& samples = loaded->samples;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& info = report->samples[i];
    std::string cluster = info.cluster < 0 ? "null" : std::to_string(info.cluster);
    if (o.json) {
      std::printf("{\"task_id\":%s,\"sample_index\":%d,\"cluster\":%s,\"public\":%s}\n",
                  JsonString(samples[i].task_id).c_str(), samples[i].index, cluster.c_str(),
                  JsonString(synth::VerdictName(info.public_outcome.verdict)).c_str());
    } else {
      std::printf("%s #%d cluster %s (public tests: %s)\n", samples[i].task_id.c_str(), samples[i].index,
                  cluster.c_str(), synth::VerdictName(info.public_outcome.verdict));
    }
  }
  for (const auto& tc : report->tasks) {
    std::string clusters;
    for (size_t c = 0; c < tc.clusters.size(); ++c) {
      std::string members;
      for (size_t i : tc.clusters[c]) {
        if (!members.empty()) members += ',';
        members += std::to_string(samples[i].index);
      }
      if (c) clusters += ',';
      clusters += "{\"cluster\":" + std::to_string(c);
      clusters += ",\"size\":" + std::to_string(tc.clusters[c].size());
      clusters += ",\"samples\":[" + members + "]}";
    }
    if (o.json) {
      std::printf("{\"task_id\":%s,\"inputs\":%zu,\"clusters\":[%s]}\n", JsonString(tc.task_id).c_str(),
                  tc.inputs.size(), clusters.c_str());
    } else {
      std::printf("%s: %zu clusters on %zu inputs:", tc.task_id.c_str(), tc.clusters.size(), tc.inputs.size());
      for (const auto& cl : tc.clusters) std::printf(" %zu", cl.size());
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace

void AddRunTestsCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SynthRunOptions>();
  auto* cmd = app.add_subcommand("run-tests", "Run HumanEval-style samples against their tests in the sandbox");
  AddCommonOptions(cmd, o.get());
  cmd->add_option("-k", o->ks, "k for pass@k (repeatable; default 1 10 100, those <= n)");
  cmd->callback([o, &ctx]() { ctx.exit_code = RunTestsMain(*o); });
}

void AddClusterCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SynthRunOptions>();
  auto* cmd = app.add_subcommand(
      "cluster", "Filter samples by the public tests, then cluster survivors by behaviour on generated inputs");
  AddCommonOptions(cmd, o.get());
  cmd->add_option("--inputs", o->num_inputs, "Generated inputs per task")->check(CLI::PositiveNumber);
  cmd->callback([o, &ctx]() { ctx.exit_code = ClusterMain(*o); });
}

}  // namespace steer::cli
