// steer demo: the main job on the embedded model. A Python function header
// that ends inside an identifier is completed under (a) a grammar of Python
// function definitions with simple bodies and (b) a maximum identifier
// length, by locally constrained decoding (lcd) and by SMC, side by side.
//
// The target is stop-when-complete (a completion ends at the blank line that
// closes the function): π(x) ∝ p(x | prompt) · grammar(prompt·x) ·
// ident(prompt·x). lcd masks each step and reports its draws as they are
// (biased toward what the model commits to early); SMC reweights and
// resamples, so its weighted samples and log-Z estimate target π.
//
// SMC runs as R independent runs of N particles, pooled by their Ẑ (each
// run's normalized weights times Ẑ_r / Σ Ẑ): the pooled Ẑ is the mean of
// the runs' Ẑ, still unbiased, and progress can be shown between runs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "embedded.h"
#include "grammar_files.h"
#include "lm_common.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/gbnf.h"
#include "steer/potential/byte_constraint.h"
#include "steer/potential/combinators.h"
#include "steer/potential/grammar.h"
#include "steer/potential/lm.h"
#include "steer/sampler/sampler.h"
#include "steer/util/file.h"
#include "steer/util/progress.h"

namespace steer::cli {
namespace {

struct DemoOptions {
  ModelArgs model;
  std::string prompt = "def check_balance(account_";
  std::string grammar_file;  // empty: the embedded models/python_function.gbnf
  int particles = 64;
  int runs = 4;
  int samples = 0;  // lcd samples; 0: particles · runs
  int max_ident_len = 10;
  int max_tokens = 64;
  uint64_t seed = 0;
  std::string methods = "lcd,smc";
  bool json = false;
};

// One method's pooled result: each distinct completion with its weight
// (frequencies for lcd, normalized importance weights for smc).
struct MethodResult {
  std::string method;
  std::string setup;                   // "64 samples", "4 runs x 16 particles"
  std::map<std::string, double> mass;  // completion text -> weight (sums to 1 unless empty)
  int64_t draws = 0;                   // sequences returned (finished, non-zero weight)
  double log_z = potential::kLogZero;  // pooled estimate
  double seconds = 0;
  int resamples = 0;
};

// The identifier the prompt leaves open: its trailing [A-Za-z0-9_] run when
// that run starts with a letter or '_' (a run of digits is a number).
std::string OpenIdentifier(const std::string& prompt) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  size_t start = prompt.size();
  while (start > 0 && word(prompt[start - 1])) --start;
  if (start == prompt.size() || std::isdigit(static_cast<unsigned char>(prompt[start]))) return "";
  return prompt.substr(start);
}

struct DemoTarget {
  sampler::Target target;
  std::vector<TokenId> prompt_ids;
  std::string open_ident;
};

// LM (prompt decoded once) × grammar primed with the prompt's tokens ×
// max-ident-len counting the open identifier; stop when complete.
Result<DemoTarget> BuildTarget(LmSession& session, const DemoOptions& o) {
  STEER_ASSIGN_OR_RETURN(const tokenizer::Tokenizer* tok, session.Tokenizer());
  DemoTarget d;
  grammar::Vocabulary vocab = grammar::VocabularyOf(*tok);
  const std::vector<std::string>& token_bytes = vocab.token_bytes;
  if (tok->eos() < 0) return MakeError(ErrorCode::kInvalidInput, "the model's vocabulary has no EOS token");

  auto encoded = tok->Encode(o.prompt);
  if (!encoded.ok()) return encoded.error().Within("--prompt");
  d.prompt_ids = std::move(encoded).value();
  if (d.prompt_ids.empty()) return MakeError(ErrorCode::kInvalidArgument, "the prompt has no tokens", "--prompt");
  std::vector<TokenId> text_ids;  // the prompt without BOS: what the grammar sees
  for (TokenId t : d.prompt_ids) {
    if (!tok->IsSpecial(t)) text_ids.push_back(t);
  }

  std::string gbnf;
  std::string grammar_name = "models/python_function.gbnf (embedded)";
  if (o.grammar_file.empty()) {
    gbnf = std::string(EmbeddedPythonGrammar());
  } else {
    STEER_ASSIGN_OR_RETURN(gbnf, ReadFile(o.grammar_file));
    grammar_name = o.grammar_file;
  }
  auto g = grammar::ParseGbnf(gbnf);
  if (!g.ok()) return g.error().Within(grammar_name);
  STEER_ASSIGN_OR_RETURN(auto compiled, grammar::CompiledGrammar::Create(*g, vocab));
  STEER_ASSIGN_OR_RETURN(auto primed,
                         potential::Primed(std::make_shared<potential::GrammarPotential>(compiled), text_ids));
  STEER_ASSIGN_OR_RETURN(double prompt_ok, primed->LogPrefixOf({}));
  if (prompt_ok == potential::kLogZero) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the prompt is not the beginning of a function the grammar allows (" + grammar_name +
                         "); it should start like 'def name('",
                     "--prompt");
  }
  d.open_ident = OpenIdentifier(o.prompt);
  if (static_cast<int>(d.open_ident.size()) > o.max_ident_len) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the prompt's open identifier '" + d.open_ident + "' is already longer than --max-ident-len " +
                         std::to_string(o.max_ident_len));
  }
  auto ident = std::make_shared<potential::MaxIdentLenTokens>(o.max_ident_len, token_bytes, d.open_ident);

  std::shared_ptr<engine::Engine> engine = std::move(session.engine);
  STEER_ASSIGN_OR_RETURN(auto lm, potential::LmPotential::Create(engine, d.prompt_ids, tok->eos()));
  d.target.base = lm;
  d.target.constraints = {primed, ident};
  d.target.end_mode = sampler::EndMode::kStopWhenComplete;
  d.target.token_bytes = token_bytes;
  return d;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// `samples` lcd runs, in chunks so progress shows; each chunk is independent.
Result<MethodResult> RunLcd(const sampler::Target& target, const DemoOptions& o, int samples) {
  MethodResult r;
  r.method = "lcd";
  r.setup = std::to_string(samples) + " samples";
  const auto start = std::chrono::steady_clock::now();
  Progress progress("lcd", static_cast<size_t>(samples), true, 0.5);
  constexpr int kChunk = 8;
  double z_ref = potential::kLogZero;
  std::vector<std::pair<int, double>> chunk_z;
  for (int done = 0; done < samples;) {
    sampler::Options so;
    so.method = sampler::Method::kLcd;
    so.samples = std::min(kChunk, samples - done);
    so.max_tokens = o.max_tokens;
    so.seed = o.seed * 1000003 + static_cast<uint64_t>(done);
    STEER_ASSIGN_OR_RETURN(sampler::SampleSet set, sampler::Run(target, so));
    for (const auto& s : set.samples) r.mass[s.text] += 1.0;
    r.draws += static_cast<int64_t>(set.samples.size());
    chunk_z.push_back({so.samples, set.summary.log_z});
    z_ref = std::max(z_ref, set.summary.log_z);
    done += so.samples;
    progress.Update(static_cast<size_t>(done), std::to_string(r.draws) + " finished");
  }
  progress.Finish();
  if (z_ref != potential::kLogZero) {
    double z_sum = 0;  // Σ over chunks of n_k · Ẑ_k / exp(z_ref)
    for (const auto& [n, lz] : chunk_z) z_sum += n * std::exp(lz - z_ref);
    r.log_z = z_ref + std::log(z_sum / samples);
  }
  for (auto& [text, m] : r.mass) m /= static_cast<double>(r.draws);
  r.seconds = Seconds(start);
  return r;
}

// o.runs SMC runs of o.particles particles, pooled by Ẑ.
Result<MethodResult> RunSmc(const sampler::Target& target, const DemoOptions& o) {
  MethodResult r;
  r.method = "smc";
  r.setup = std::to_string(o.runs) + " runs x " + std::to_string(o.particles) + " particles";
  const auto start = std::chrono::steady_clock::now();
  Progress progress("smc", static_cast<size_t>(o.runs), true, 0.5);
  std::vector<sampler::SampleSet> sets;
  double z_ref = potential::kLogZero;
  for (int run = 0; run < o.runs; ++run) {
    sampler::Options so;
    so.method = sampler::Method::kSmc;
    so.particles = o.particles;
    so.max_tokens = o.max_tokens;
    so.seed = o.seed * 1000003 + 500000 + static_cast<uint64_t>(run);
    STEER_ASSIGN_OR_RETURN(sampler::SampleSet set, sampler::Run(target, so));
    z_ref = std::max(z_ref, set.summary.log_z);
    r.resamples += set.summary.resamples;
    r.draws += static_cast<int64_t>(set.samples.size());
    sets.push_back(std::move(set));
    progress.Update(static_cast<size_t>(run + 1), std::to_string(r.draws) + " finished");
  }
  progress.Finish();
  if (z_ref != potential::kLogZero) {
    double z_sum = 0;  // Σ_r Ẑ_r / exp(z_ref)
    for (const auto& set : sets) z_sum += std::exp(set.summary.log_z - z_ref);
    r.log_z = z_ref + std::log(z_sum / o.runs);
    for (const auto& set : sets) {
      if (set.summary.log_z == potential::kLogZero) continue;
      const double run_share = std::exp(set.summary.log_z - z_ref) / z_sum;
      for (const auto& s : set.samples) r.mass[s.text] += run_share * std::exp(s.log_weight);
    }
  }
  r.seconds = Seconds(start);
  return r;
}

// Text on one line: newlines as "⏎", other control bytes as '?'.
std::string OneLine(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\u23ce";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

// The completed header: the completion up to the end of its first line.
std::string HeaderOf(const std::string& completion) { return completion.substr(0, completion.find('\n')); }

// Display width of UTF-8 text (code points; the demo's text is ASCII and ⏎).
size_t Width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

std::string Fit(const std::string& s, size_t width) {
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) len = 4; else if (c >= 0xE0) len = 3; else if (c >= 0xC0) len = 2;
    if (w + 1 > width) break;
    if (w + 1 == width && i + len < s.size()) {
      out += "\u2026";
      ++w;
      break;
    }
    out += s.substr(i, len);
    ++w;
    i += len;
  }
  return out + std::string(width - std::min(width, w), ' ');
}

void PrintSideBySide(const DemoOptions& o, const DemoTarget& d, const std::vector<MethodResult>& results) {
  std::printf("\nprompt: %s\n", OneLine(o.prompt).c_str());
  std::printf("constraints: Python function grammar (%s) x max identifier length %d (open identifier '%s')\n",
              o.grammar_file.empty() ? "models/python_function.gbnf" : o.grammar_file.c_str(), o.max_ident_len,
              d.open_ident.c_str());
  std::printf("target: stop when the function is complete (blank line), at most %d tokens\n\n", o.max_tokens);
  // Table 1: completed headers (the open identifier's fate), grouped.
  std::vector<std::map<std::string, double>> by_header(results.size());
  std::map<std::string, double> total;
  for (size_t k = 0; k < results.size(); ++k) {
    for (const auto& [text, m] : results[k].mass) {
      by_header[k][HeaderOf(text)] += m;
      total[HeaderOf(text)] += m;
    }
  }
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [h, m] : total) order.push_back({m, h});
  std::sort(order.rbegin(), order.rend());
  constexpr size_t kCol = 44;
  std::string line = Fit("completed header (" + OneLine(o.prompt) + "...)", kCol);
  for (const auto& r : results) line += " | " + Fit(r.method + " (" + r.setup + ")", 28);
  std::printf("%s\n%s\n", line.c_str(), std::string(Width(line), '-').c_str());
  const size_t rows = std::min<size_t>(order.size(), 12);
  for (size_t i = 0; i < rows; ++i) {
    line = Fit(OneLine(order[i].second), kCol);
    for (size_t k = 0; k < results.size(); ++k) {
      auto it = by_header[k].find(order[i].second);
      char cell[64];
      if (it == by_header[k].end()) {
        std::snprintf(cell, sizeof cell, "%s", "");
      } else {
        std::snprintf(cell, sizeof cell, "%6.3f %s", it->second, std::string(static_cast<int>(std::lround(it->second * 20)), '#').c_str());
      }
      line += " | " + Fit(cell, 28);
    }
    std::printf("%s\n", line.c_str());
  }
  if (order.size() > rows) std::printf("%s\n", Fit("(" + std::to_string(order.size() - rows) + " more headers)", kCol).c_str());
  std::printf("%s\n", std::string(Width(line), '-').c_str());
  auto row = [&](const std::string& label, auto cell) {
    std::string l = Fit(label, kCol);
    for (const auto& r : results) l += " | " + Fit(cell(r), 28);
    std::printf("%s\n", l.c_str());
  };
  row("distinct completions / finished draws", [](const MethodResult& r) {
    return std::to_string(r.mass.size()) + " / " + std::to_string(r.draws);
  });
  row("log Z estimate (log P(constraints | prompt))", [](const MethodResult& r) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", r.log_z);
    return std::string(b);
  });
  row("time", [](const MethodResult& r) {
    char b[64];
    std::snprintf(b, sizeof b, "%.1f s", r.seconds);
    return std::string(b) + (r.method == "smc" ? ", " + std::to_string(r.resamples) + " resamples" : "");
  });
  // The most likely whole completions under each method.
  for (const auto& r : results) {
    std::vector<std::pair<double, std::string>> top;
    for (const auto& [text, m] : r.mass) top.push_back({m, text});
    std::sort(top.rbegin(), top.rend());
    std::printf("\n%s: most frequent completions\n", r.method.c_str());
    for (size_t i = 0; i < top.size() && i < 3; ++i) {
      std::printf("  [%.3f] %s%s\n", top[i].first, o.prompt.c_str(), top[i].second.c_str());
    }
  }
  std::printf("\nlcd reports its draws as they are; smc weights them toward the constrained posterior, and its\n"
              "log Z estimate is unbiased in Z (lcd's is the same estimator over masked draws).\n");
}

void PrintJson(const std::vector<MethodResult>& results) {
  for (const auto& r : results) {
    for (const auto& [text, m] : r.mass) {
      nlohmann::json j{{"method", r.method}, {"text", text}, {"weight", m}};
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
  }
  for (const auto& r : results) {
    nlohmann::json j{{"method", r.method}, {"setup", r.setup}, {"draws", r.draws}, {"seconds", r.seconds},
                     {"log_z", std::isfinite(r.log_z) ? nlohmann::json(r.log_z) : nlohmann::json(nullptr)}};
    if (r.method == "smc") j["resamples"] = r.resamples;
    std::printf("%s\n", j.dump().c_str());
  }
}

int RunDemo(DemoOptions o) {
  const auto start = std::chrono::steady_clock::now();
  if (o.samples == 0) o.samples = o.particles * o.runs;
  const bool lcd = o.methods.find("lcd") != std::string::npos;
  const bool smc = o.methods.find("smc") != std::string::npos;
  if (!lcd && !smc) {
    return ReportError("demo", MakeError(ErrorCode::kInvalidArgument, "no method among lcd, smc", "--methods"));
  }
  if (o.model.threads == 0) o.model.threads = 1;  // the demo's batches are small: threads cost more than they give
  auto session = OpenSession(o.model);
  if (!session.ok()) return ReportError("demo", session.error());
  std::fprintf(stderr, "steer demo: model %s (%lld parameters)\n",
               session->engine->model().file().path().c_str(),
               static_cast<long long>(session->engine->model().num_params()));
  auto target = BuildTarget(*session, o);
  if (!target.ok()) return ReportError("demo", target.error());
  std::vector<MethodResult> results;
  if (lcd) {
    auto r = RunLcd(target->target, o, o.samples);
    if (!r.ok()) return ReportError("demo", r.error());
    results.push_back(std::move(r).value());
  }
  if (smc) {
    auto r = RunSmc(target->target, o);
    if (!r.ok()) return ReportError("demo", r.error());
    results.push_back(std::move(r).value());
  }
  if (o.json) {
    PrintJson(results);
  } else {
    PrintSideBySide(o, *target, results);
    std::printf("total time %.1f s\n", Seconds(start));
  }
  return 0;
}

}  // namespace

void AddDemoCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "The main job: complete a Python function header under constraints");
  cmd->description(
      "Complete a Python function header that ends inside an identifier, under a grammar of\n"
      "Python function definitions (models/python_function.gbnf, embedded) and a maximum\n"
      "identifier length, with locally constrained decoding (lcd) and SMC, side by side:\n"
      "the completed headers with their frequencies (lcd) or posterior weights (smc), the\n"
      "log-Z estimates and timings. Progress goes to stderr. Runs on the embedded model\n"
      "unless -m is given.");
  cmd->footer(
      "Examples:\n"
      "  steer demo\n"
      "  steer demo --prompt 'def parse_header(line, ' --max-ident-len 8 --particles 32\n"
      "  steer demo --methods smc --json     (one JSON line per completion, then summaries)");
  AddModelOptions(cmd, o->model);
  cmd->add_option("-p,--prompt", o->prompt, "The function's beginning (default: 'def check_balance(account_')");
  cmd->add_option("--grammar", o->grammar_file, "A GBNF grammar file instead of the embedded Python one");
  cmd->add_option("--particles", o->particles, "SMC particles per run")->check(CLI::Range(1, 100000));
  cmd->add_option("--runs", o->runs, "Independent SMC runs, pooled by their Z estimates")->check(CLI::Range(1, 100000));
  cmd->add_option("--samples", o->samples, "lcd samples (default: particles x runs)")->check(CLI::Range(0, 1000000));
  cmd->add_option("--max-ident-len", o->max_ident_len, "No identifier longer than this (the prompt's open one included)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--max-tokens", o->max_tokens, "Longest completion in tokens")->check(CLI::Range(1, 4096));
  cmd->add_option("--seed", o->seed, "Random seed");
  cmd->add_option("--methods", o->methods, "Which of lcd,smc to run (default: both)");
  cmd->add_flag("--json", o->json, "One JSON line per distinct completion, then one summary line per method");
  cmd->callback([o, &ctx]() { ctx.exit_code = RunDemo(*o); });
}

}  // namespace steer::cli
