// steer sample: constrained sampling (sampler::Run) from the command line.
//
// stdout: one line per sample, then a summary line (with --json, one JSON
// object each); stderr: progress and errors. Exit 0 with at least one
// sample, 1 when no sample satisfies the constraints (log Z = -inf), 2 for
// bad usage or bad input (grammar errors name FILE:line:column).
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "lm_common.h"
#include "steer/sampler/sampler.h"
#include "target_builder.h"

namespace steer::cli {
namespace {

struct SampleOptions {
  ModelArgs model;
  PromptArgs prompt;
  ConstraintArgs constraints;
  std::string tokenizer;  // overrides the model's (a GGUF or tokenizer.json)
  std::string method = "smc";
  int particles = 16;
  double ess_threshold = 0.5;
  std::string resample = "systematic";
  std::string proposal = "masked";
  int samples = 1;
  int max_tokens = 64;
  uint64_t seed = 0;
  double temp = 1.0;
  int top_k = 0;
  double top_p = 1.0;
  int max_tries = 100;
  int beam_width = 4;
  int64_t exact_max_nodes = 1'000'000;
  bool json = false;
  bool quiet = false;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// User + system CPU time of this process (all threads).
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// JSON has no infinities: non-finite numbers are written as null.
nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string FormatLog(double v) {
  if (!std::isfinite(v)) return v < 0 ? "-inf" : "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Why a run gave no sample, for the exit-1 message.
std::string NoSampleReason(sampler::Method method, const sampler::Options& o, const sampler::Summary& s) {
  const std::string within = " of at most " + std::to_string(o.max_tokens) + " tokens";
  switch (method) {
    case sampler::Method::kExact:
      return "the constraints admit no sequence" + within + " (exact enumeration of " + std::to_string(s.nodes) +
             " prefixes)";
    case sampler::Method::kAncestral:
    case sampler::Method::kRejection:
      return "none of the " + std::to_string(s.tries) + " unconstrained runs satisfied the constraints";
    default:
      return "no sequence" + within + " satisfying the constraints was found: every particle died";
  }
}

int RunSample(const SampleOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  auto say = [&](const std::string& line) {
    if (!o.quiet) std::fprintf(stderr, "steer sample: %s\n", line.c_str());
  };

  sampler::Options so;
  {
    auto method = sampler::ParseMethod(o.method);
    if (!method.ok()) return ReportError("sample", method.error().Within("--method"));
    so.method = *method;
    auto resample = sampler::ParseResampleScheme(o.resample);
    if (!resample.ok()) return ReportError("sample", resample.error().Within("--resample"));
    so.resample = *resample;
    auto proposal = sampler::ParseProposal(o.proposal);
    if (!proposal.ok()) return ReportError("sample", proposal.error().Within("--proposal"));
    so.proposal = *proposal;
  }
  const bool unconstrained_sampling =
      so.method == sampler::Method::kAncestral || so.method == sampler::Method::kRejection;
  if (!unconstrained_sampling && (o.top_k != 0 || o.top_p != 1.0)) {
    return ReportError("sample", MakeError(ErrorCode::kInvalidArgument,
                                           "--top-k and --top-p apply to --method ancestral and rejection only"));
  }
  if (!unconstrained_sampling && so.method != sampler::Method::kGreedy && o.temp <= 0) {
    return ReportError("sample", MakeError(ErrorCode::kInvalidArgument,
                                           "--temp 0 is argmax: use --method greedy (or ancestral)", "--temp"));
  }
  so.particles = o.particles;
  so.ess_threshold = o.ess_threshold;
  so.samples = o.samples;
  so.max_tokens = o.max_tokens;
  so.seed = o.seed;
  so.temperature = unconstrained_sampling ? o.temp : 1.0;
  so.top_k = o.top_k;
  so.top_p = o.top_p;
  so.max_tries = o.max_tries;
  so.beam_width = o.beam_width;
  so.exact_max_nodes = o.exact_max_nodes;

  say("loading " + o.model.model);
  auto session = OpenSession(o.model);
  if (!session.ok()) return ReportError("sample", session.error());
  if (!o.tokenizer.empty()) {
    Status st = OverrideTokenizer(*session, o.tokenizer);
    if (!st.ok()) return ReportError("sample", st.error().Within("--tokenizer"));
  }
  auto prompt = PromptTokens(*session, o.prompt);
  if (!prompt.ok()) return ReportError("sample", prompt.error());
  auto tok = session->Tokenizer();
  if (!tok.ok()) return ReportError("sample", tok.error());
  const double load_s = Seconds(start);

  // Temperature: in Options for ancestral/rejection (with top-k/top-p), else
  // a power of the LM (the target changes accordingly); greedy ignores it.
  const double lm_temp = unconstrained_sampling || so.method == sampler::Method::kGreedy ? 1.0 : o.temp;
  std::shared_ptr<engine::Engine> engine(std::move(session->engine));
  auto built = BuildTarget(o.constraints, engine, **tok, *prompt, lm_temp);
  if (!built.ok()) return ReportError("sample", built.error());
  for (const std::string& d : built->descriptions) say("constraint: " + d);
  const bool stop_when_complete = built->target.end_mode == sampler::EndMode::kStopWhenComplete;
  say(std::string("sampling: method ") + sampler::MethodName(so.method) +
      (so.method == sampler::Method::kSmc ? ", " + std::to_string(so.particles) + " particles" : "") +
      ", max " + std::to_string(so.max_tokens) + " tokens, end " + (stop_when_complete ? "complete" : "finished") +
      ", prompt " + std::to_string(prompt->size()) + " tokens");

  const double cpu_before = CpuSeconds();
  auto result = sampler::Run(built->target, so);
  const double sample_cpu_s = CpuSeconds() - cpu_before;
  if (!result.ok()) return ReportError("sample", result.error());
  const sampler::SampleSet& set = *result;
  say("done: " + std::to_string(set.samples.size()) + " samples, log Z " + FormatLog(set.summary.log_z) + ", " +
      FormatLog(set.summary.seconds) + " s");

  std::string out;
  for (const sampler::Sequence& s : set.samples) {
    if (o.json) {
      nlohmann::json j;
      j["text"] = s.text;
      j["tokens"] = s.tokens;
      j["log_weight"] = Number(s.log_weight);
      j["log_prob"] = Number(s.log_prob);
      out += Dump(j) + "\n";
    } else {
      out += "log_weight " + FormatLog(s.log_weight) + "  log_prob " + FormatLog(s.log_prob) + "  " +
             Dump(nlohmann::json(s.text)) + "\n";
    }
  }
  const sampler::Summary& sum = set.summary;
  if (o.json) {
    nlohmann::json j;
    j["method"] = sampler::MethodName(so.method);
    j["end"] = stop_when_complete ? "complete" : "finished";
    j["samples"] = set.samples.size();
    j["log_z"] = Number(sum.log_z);
    nlohmann::json ess = nlohmann::json::array();
    for (double e : sum.ess_history) ess.push_back(Number(e));
    j["ess_history"] = ess;
    j["resamples"] = sum.resamples;
    j["tries"] = sum.tries;
    j["forced_ends"] = sum.forced_ends;
    j["nodes"] = sum.nodes;
    j["seconds"] = {{"load", load_s},
                    {"compile", built->compile_seconds},
                    {"sample", sum.seconds},
                    {"total", Seconds(start)}};
    j["cpu_seconds"] = {{"sample", sample_cpu_s}, {"total", CpuSeconds()}};
    out += Dump(j) + "\n";
  } else {
    out += std::to_string(set.samples.size()) + " samples, log Z " + FormatLog(sum.log_z) + " (" +
           sampler::MethodName(so.method) + ", end " + (stop_when_complete ? "complete" : "finished");
    if (so.method == sampler::Method::kSmc) out += ", " + std::to_string(sum.resamples) + " resamples";
    if (sum.forced_ends > 0) out += ", " + std::to_string(sum.forced_ends) + " forced ends";
    if (sum.tries > 0) out += ", " + std::to_string(sum.tries) + " tries";
    if (sum.nodes > 0) out += ", " + std::to_string(sum.nodes) + " prefixes";
    out += "), sampling " + FormatLog(sum.seconds) + " s wall, " + FormatLog(sample_cpu_s) + " s CPU\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);

  if (set.samples.empty()) {
    std::fprintf(stderr, "steer sample: %s; log Z = -inf\n", NoSampleReason(so.method, so, sum).c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddSampleCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SampleOptions>();
  auto* cmd = app.add_subcommand("sample", "Sample continuations under constraints");
  cmd->description(
      "Sample continuations of a prompt from the model times the constraints (repeatable; they\n"
      "multiply). Methods: ancestral (unconstrained, then rejected), greedy, lcd (locally\n"
      "constrained decoding: masking, biased), beam, rejection, is (importance sampling), smc\n"
      "(sequential Monte Carlo), exact (enumeration up to --max-tokens: the ground truth).\n"
      "Every method targets sequences of at most --max-tokens tokens: a particle that reaches it\n"
      "is forced to end with its end weight as a correction (under --end complete it dies unless\n"
      "complete).");
  cmd->footer(
      "Output: with --json, one line per sample {\"text\" (the continuation only), \"tokens\",\n"
      "\"log_weight\", \"log_prob\"}, then a summary line {\"method\", \"end\", \"samples\", \"log_z\",\n"
      "\"ess_history\", \"resamples\", \"tries\", \"forced_ends\", \"nodes\", \"seconds\":{\"load\",\n"
      "\"compile\", \"sample\", \"total\"}, \"cpu_seconds\":{\"sample\", \"total\"}}. JSON has no\n"
      "infinities: log Z = -inf is written as null. For exact, each line is one text of the\n"
      "language: log_prob sums its tokenizations, log_weight is its normalized log posterior.\n"
      "Exit codes: 0 samples found; 1 none (every particle died: log Z = -inf), with the reason on\n"
      "stderr; 2 bad usage or input (grammar errors name FILE:line:column).\n"
      "Example:\n"
      "  steer sample -m stories260K.gguf -p 'Once upon a time, there was a girl named' \\\n"
      "      --regex ' [A-Z][a-z]+\\.' --method smc --particles 64 --max-tokens 8 --json");
  AddModelOptions(cmd, o->model);
  AddPromptOptions(cmd, o->prompt);
  AddConstraintOptions(cmd, o->constraints);
  cmd->add_option("--tokenizer", o->tokenizer,
                  "Tokenizer to use instead of the model's: a GGUF or an HF tokenizer.json with the\n"
                  "model's vocabulary size (for models without one, e.g. make_random_model's)")
      ->type_name("FILE");
  cmd->add_option("--method", o->method, "ancestral, greedy, lcd, beam, rejection, is, smc or exact")
      ->check(CLI::IsMember({"ancestral", "greedy", "lcd", "beam", "rejection", "is", "smc", "exact"}))
      ->capture_default_str();
  cmd->add_option("--particles", o->particles, "smc: number of particles")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--ess-threshold", o->ess_threshold,
                  "smc: resample when the ESS of the unfinished particles < X times their count")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--resample", o->resample, "smc: multinomial, stratified, systematic or residual")
      ->check(CLI::IsMember({"multinomial", "stratified", "systematic", "residual"}))
      ->capture_default_str();
  cmd->add_option("--proposal", o->proposal,
                  "is, smc: masked (LM times constraints, normalized), direct (the LM alone) or awrs\n"
                  "(adaptive weighted rejection: constraints checked on drawn tokens only)")
      ->check(CLI::IsMember({"masked", "direct", "awrs"}))
      ->capture_default_str();
  cmd->add_option("--samples", o->samples, "ancestral, lcd, rejection, is, beam: number of samples")
      ->check(CLI::Range(1, 1 << 24))
      ->capture_default_str();
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens per sample")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--temp", o->temp,
                  "Temperature. ancestral/rejection: of the sampled rows (0 = argmax); other methods:\n"
                  "the LM is raised to 1/T (the target changes); greedy ignores it")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--top-k", o->top_k, "ancestral, rejection: keep the K most likely tokens (0: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", o->top_p, "ancestral, rejection: keep the smallest set with probability >= P")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--max-tries", o->max_tries, "rejection: unconstrained runs per sample at most")
      ->check(CLI::Range(1, 1 << 30))
      ->capture_default_str();
  cmd->add_option("--beam-width", o->beam_width, "beam: number of beams")
      ->check(CLI::Range(1, 1 << 16))
      ->capture_default_str();
  cmd->add_option("--exact-max-nodes", o->exact_max_nodes, "exact: most prefixes to enumerate")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON lines on stdout (see below)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress on stderr");
  cmd->callback([o, &ctx] { ctx.exit_code = RunSample(*o); });
}

}  // namespace steer::cli
