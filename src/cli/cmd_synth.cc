// steer synth --tasks T (-m MODEL | --scripted FILE)
//             --method rejection|filter-cluster|self-repair|smc
//             [--samples N] [-k K] [--initial NP] [--repairs NFR] [--json] ...
//
// Per task one JSON line (with --json) or one text line; then a summary.
// smc samples with the sampler module's SMC and the compile critic as a
// weight, then runs the rejection pipeline on those samples (budget N).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "command.h"
#include "lm_common.h"
#include "steer/sandbox/sandbox.h"
#include "steer/synth/critic.h"
#include "steer/synth/pipeline.h"
#include "steer/synth/program_sampler.h"
#include "steer/synth/task.h"
#include "steer/util/progress.h"
#include "steer/util/thread_pool.h"

namespace steer::cli {
namespace {

using nlohmann::json;

struct SynthOptions {
  std::string tasks_path;
  ModelArgs model;
  std::string scripted_path;
  std::string method = "rejection";
  int samples = 10;
  int k = 10;
  int initial = 2;
  int repairs = 2;
  int num_inputs = 100;
  double temperature = 0.8;
  int max_tokens = 256;
  int particles = 8;
  uint64_t seed = 0;
  double timeout_s = 10;
  int64_t memory_mb = 512;
  int workers = 0;
  int limit = 0;  // first N tasks only
  bool json = false;
  bool insecure = false;
};

// --scripted FILE: JSON lines {"key": "...", "completions": ["...", ...]}.
Result<std::vector<synth::ScriptedSampler::Rule>> LoadScript(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot open the script", path);
  std::vector<synth::ScriptedSampler::Rule> rules;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("key") || !j["key"].is_string() ||
        !j.contains("completions") || !j["completions"].is_array() || j["completions"].empty())
      return MakeError(ErrorCode::kInvalidInput, "expected {\"key\": string, \"completions\": [string, ...]}", where);
    synth::ScriptedSampler::Rule r;
    r.key = j["key"].get<std::string>();
    for (const auto& c : j["completions"]) {
      if (!c.is_string()) return MakeError(ErrorCode::kInvalidInput, "completions must be strings", where);
      r.completions.push_back(c.get<std::string>());
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

json SpentJson(const synth::Spent& s) {
  return {{"samples", s.samples}, {"tokens", s.tokens}, {"executions", s.executions}};
}

json CurveJson(const std::vector<synth::BudgetPoint>& curve) {
  json a = json::array();
  for (const auto& p : curve)
    a.push_back({{"samples", p.spent.samples}, {"tokens", p.spent.tokens}, {"executions", p.spent.executions},
                 {"found", p.found}});
  return a;
}

Result<json> RunOne(const SynthOptions& o, const synth::Harness& harness, synth::ProgramSampler& sampler,
                    const synth::Task& task) {
  json j = {{"task_id", task.task_id}, {"method", o.method}};
  if (o.method == "rejection" || o.method == "smc") {
    STEER_ASSIGN_OR_RETURN(auto r, synth::RunRejection(harness, sampler, task, o.samples, harness.options().first_slot));
    const bool solved = r.found && r.hidden.verdict == synth::Verdict::kPassed;
    j.update({{"found", r.found}, {"solved", solved}, {"program", r.program},
              {"hidden_verdict", r.found ? json(synth::VerdictName(r.hidden.verdict)) : json(nullptr)},
              {"spent", SpentJson(r.spent)}, {"curve", CurveJson(r.curve)}});
  } else if (o.method == "filter-cluster") {
    synth::ClusterOptions co;
    co.num_inputs = o.num_inputs;
    STEER_ASSIGN_OR_RETURN(auto r, synth::RunFilterCluster(harness, sampler, task, o.samples, o.k, co));
    json verdicts = json::array();
    for (const auto& h : r.submitted_hidden) verdicts.push_back(synth::VerdictName(h.verdict));
    j.update({{"n", r.samples}, {"k", o.k}, {"solved", r.solved},
              {"public_pass_fraction", r.samples ? double(r.public_passers) / r.samples : 0.0},
              {"cluster_sizes", r.cluster_sizes}, {"submitted", r.submitted}, {"submitted_verdicts", verdicts},
              {"spent", SpentJson(r.spent)}});
  } else {
    STEER_ASSIGN_OR_RETURN(auto r, synth::RunSelfRepair(harness, sampler, task, o.initial, o.repairs,
                                                        harness.options().first_slot));
    const bool solved = r.found && r.hidden.verdict == synth::Verdict::kPassed;
    json attempts = json::array();
    for (const auto& a : r.attempts)
      attempts.push_back({{"initial", a.initial}, {"repair", a.repair},
                          {"public_verdict", synth::VerdictName(a.public_outcome.verdict)}});
    j.update({{"initial", o.initial}, {"repairs", o.repairs}, {"found", r.found}, {"solved", solved},
              {"program", r.program}, {"hidden_verdict", r.found ? json(synth::VerdictName(r.hidden.verdict)) : json(nullptr)},
              {"attempts", attempts}, {"spent", SpentJson(r.spent)}, {"curve", CurveJson(r.curve)}});
  }
  return j;
}

int SynthMain(const SynthOptions& o) {
  const char* kCmd = "synth";
  if (o.method != "rejection" && o.method != "filter-cluster" && o.method != "self-repair" && o.method != "smc")
    return ReportError(kCmd, MakeError(ErrorCode::kInvalidArgument, "unknown --method '" + o.method + "'"));
  if (o.model.model.empty() == o.scripted_path.empty())
    return ReportError(kCmd, MakeError(ErrorCode::kInvalidArgument, "give exactly one of -m MODEL and --scripted FILE"));
  if (o.method == "smc" && o.model.model.empty())
    return ReportError(kCmd, MakeError(ErrorCode::kInvalidArgument, "--method smc needs -m MODEL"));
  auto tasks = synth::LoadTasks(o.tasks_path);
  if (!tasks.ok()) return ReportError(kCmd, tasks.error());
  if (o.limit > 0 && tasks->size() > static_cast<size_t>(o.limit)) tasks->resize(o.limit);
  sandbox::SandboxConfig config;
  config.insecure = o.insecure;
  auto sb = sandbox::Sandbox::Create(config);
  if (!sb.ok()) return ReportError(kCmd, sb.error());
  synth::HarnessOptions ho;
  ho.timeout_s = o.timeout_s;
  ho.memory_mb = o.memory_mb;
  ho.workers = o.workers > 0 ? o.workers : ThreadPool::HardwareThreads();
  synth::Harness harness(*sb, ho);

  std::unique_ptr<synth::ProgramSampler> sampler;
  LmSession session;
  if (!o.scripted_path.empty()) {
    auto rules = LoadScript(o.scripted_path);
    if (!rules.ok()) return ReportError(kCmd, rules.error());
    sampler = std::make_unique<synth::ScriptedSampler>(std::move(rules).value());
  } else {
    auto s = OpenSession(o.model);
    if (!s.ok()) return ReportError(kCmd, s.error());
    session = std::move(s).value();
    auto tok = session.Tokenizer();
    if (!tok.ok()) return ReportError(kCmd, tok.error());
    synth::ModelSamplerOptions mo;
    mo.method = o.method == "smc" ? "smc" : "ancestral";
    mo.temperature = o.temperature;
    mo.max_tokens = o.max_tokens;
    mo.particles = o.particles;
    mo.seed = o.seed;
    std::shared_ptr<engine::Engine> engine = std::move(session.engine);
    synth::CriticFactory critic;
    std::vector<std::string> token_bytes(engine->n_vocab());
    for (int32_t t = 0; t < engine->n_vocab(); ++t) token_bytes[t] = (*tok)->TokenBytes(t);
    if (o.method == "smc") {
      synth::CriticOptions copt;
      copt.slot = ho.first_slot + ho.workers;  // not used by the harness
      const sandbox::Sandbox* box = &*sb;
      critic = [box, token_bytes, copt](const std::string& prompt)
          -> Result<std::shared_ptr<potential::Potential>> {
        return std::shared_ptr<potential::Potential>(std::make_shared<synth::CompileCritic>(*box, prompt, token_bytes, copt));
      };
    }
    sampler = std::make_unique<synth::ModelSampler>(engine, *tok, mo, critic);
  }

  Progress progress(o.method, tasks->size());
  int solved = 0, found = 0;
  synth::Spent total;
  // Per task: the samples spent when the first public passer came (-1: none),
  // for the pass-rate-against-budget summary.
  std::vector<int64_t> found_at;
  int64_t max_samples = 0;
  for (size_t i = 0; i < tasks->size(); ++i) {
    auto r = RunOne(o, harness, *sampler, (*tasks)[i]);
    if (!r.ok()) return ReportError(kCmd, r.error());
    solved += (*r)["solved"].get<bool>();
    total.samples += (*r)["spent"]["samples"].get<int64_t>();
    total.tokens += (*r)["spent"]["tokens"].get<int64_t>();
    total.executions += (*r)["spent"]["executions"].get<int64_t>();
    if (r->contains("found")) found += (*r)["found"].get<bool>();
    if (r->contains("curve")) {
      int64_t at = -1;
      for (const auto& p : (*r)["curve"]) {
        max_samples = std::max(max_samples, p["samples"].get<int64_t>());
        if (at < 0 && p["found"].get<bool>()) at = p["samples"].get<int64_t>();
      }
      found_at.push_back(at);
    }
    if (o.json) {
      std::printf("%s\n", r->dump().c_str());
    } else {
      std::printf("%s %s (samples %lld, tokens %lld, executions %lld)\n", (*tasks)[i].task_id.c_str(),
                  (*r)["solved"].get<bool>() ? "solved" : "unsolved",
                  static_cast<long long>((*r)["spent"]["samples"].get<int64_t>()),
                  static_cast<long long>((*r)["spent"]["tokens"].get<int64_t>()),
                  static_cast<long long>((*r)["spent"]["executions"].get<int64_t>()));
    }
    std::fflush(stdout);
    if (i + 1 < tasks->size()) progress.Update(i + 1, std::to_string(solved) + " solved");
  }
  progress.Finish(std::to_string(solved) + " solved");
  const double n = tasks->empty() ? 1.0 : static_cast<double>(tasks->size());
  json summary = {{"summary", true}, {"method", o.method}, {"tasks", tasks->size()}, {"solved", solved},
                  {"solve_rate", solved / n}, {"spent", SpentJson(total)}};
  if (o.method != "filter-cluster") {
    summary["found"] = found;
    // found_by_samples[b - 1]: the fraction of tasks with a public-test passer
    // within b samples; compare methods at a matched budget with it.
    json by = json::array();
    for (int64_t b = 1; b <= max_samples; ++b) {
      int64_t c = 0;
      for (int64_t at : found_at) c += at >= 0 && at <= b;
      by.push_back(c / n);
    }
    summary["found_by_samples"] = by;
  }
  if (o.json) {
    std::printf("%s\n", summary.dump().c_str());
  } else {
    std::printf("%d/%zu tasks solved; spent %lld samples, %lld tokens, %lld executions\n", solved, tasks->size(),
                static_cast<long long>(total.samples), static_cast<long long>(total.tokens),
                static_cast<long long>(total.executions));
  }
  return 0;
}

}  // namespace

void AddSynthCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* cmd = app.add_subcommand("synth", "Program synthesis: rejection, filter-cluster, self-repair, smc");
  cmd->add_option("--tasks", o->tasks_path, "Tasks JSONL (HumanEval format; .gz accepted)")->required();
  AddModelOptions(cmd, o->model);
  cmd->get_option("--model")->required(false);
  cmd->add_option("--scripted", o->scripted_path,
                  "Instead of a model: JSON lines {\"key\", \"completions\"}; the first rule whose key occurs in "
                  "the prompt answers, cycling through its completions");
  cmd->add_option("--method", o->method, "rejection | filter-cluster | self-repair | smc");
  cmd->add_option("--samples", o->samples, "rejection, smc: budget of draws; filter-cluster: n")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-k", o->k, "filter-cluster: submissions (n@k)")->check(CLI::PositiveNumber);
  cmd->add_option("--initial", o->initial, "self-repair: initial samples (n_p)")->check(CLI::PositiveNumber);
  cmd->add_option("--repairs", o->repairs, "self-repair: repairs per initial sample (n_fr)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--inputs", o->num_inputs, "filter-cluster: generated inputs")->check(CLI::PositiveNumber);
  cmd->add_option("--temp", o->temperature, "Sampling temperature")->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-tokens", o->max_tokens, "Tokens per completion at most")->check(CLI::PositiveNumber);
  cmd->add_option("--particles", o->particles, "smc: particles")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "Random seed");
  cmd->add_option("--timeout", o->timeout_s, "Wall-clock limit per test run, seconds")->check(CLI::PositiveNumber);
  cmd->add_option("--memory", o->memory_mb, "Memory limit per test run, MB")->check(CLI::PositiveNumber);
  cmd->add_option("--workers", o->workers, "Parallel sandboxes (default: hardware threads)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--limit", o->limit, "Only the first N tasks")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", o->json, "One JSON object per task on stdout, then a summary");
  cmd->add_flag("--insecure", o->insecure, "Run even below the minimum isolation level");
  cmd->callback([o, &ctx] { ctx.exit_code = SynthMain(*o); });
}

}  // namespace steer::cli
