// steer bench: engine speed. Each run decodes a random P-token prompt in one
// batch (pp), generates G tokens for one sequence forked from it (tg), then
// generates G tokens for each of B sequences forked from it, B rows per
// Decode (batch). Prints the median of the runs; kv_bytes is the K/V memory
// in use at the end of the batched phase (the shared prompt plus B tails).
// With --grammar, a constrained phase repeats tg under the grammar's token
// masks (FillMask, masked argmax, AcceptToken every step; a finished text
// starts over). grammar_overhead is the time of that grammar work over the
// phase's decode time (timed step by step within the phase, so it does not
// depend on how fast memory was during the separate tg phase);
// grammar_tg_tok_s is the phase's rate.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <ctime>
#include <nlohmann/json.hpp>

#include "command.h"
#include "grammar_files.h"
#include "lm_common.h"
#include "steer/gguf/gguf.h"
#include "steer/util/fast_exp.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/util/rng.h"

namespace steer::cli {
namespace {

struct BenchOptions {
  ModelArgs model;
  int batch = 1;
  int prompt_tokens = 128;
  int gen_tokens = 64;
  int runs = 3;
  bool json = false;
  std::string grammar;    // file; "" = no constrained phase
  std::string format;     // overrides the grammar file's extension
  std::string tokenizer;  // overrides the model's (for models without one)
};

struct RunResult {
  double pp_tok_s = 0, tg_tok_s = 0, batch_tok_s = 0;
  double grammar_tg_tok_s = 0, grammar_overhead = 0;  // with --grammar
  // The same rates per second of process CPU time (all threads): on a loaded
  // machine, with one thread, close to what an idle machine would give.
  double pp_cpu = 0, tg_cpu = 0, batch_cpu = 0;
  int64_t kv_bytes = 0;
};

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Wall-clock and CPU time since construction.
struct Timer {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = CpuNow();
  double Wall() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(); }
  double Cpu() const { return CpuNow() - cpu; }
};

// The first index of the largest logit.
TokenId Argmax(std::span<const float> l) {
  const float best = MaxOf(l);
  const auto it = std::find(l.begin(), l.end(), best);
  return it == l.end() ? 0 : static_cast<TokenId>(it - l.begin());  // end: every logit is NaN
}

// The allowed token with the largest logit, or -1 when none is allowed.
TokenId MaskedArgmax(std::span<const float> l, const DynamicBitset& mask) {
  TokenId best = -1;
  mask.ForEachSet([&](size_t i) {
    if (best < 0 || l[i] > l[static_cast<size_t>(best)]) best = static_cast<TokenId>(i);
  });
  return best;
}

struct ConstrainedTiming {
  double seconds = 0;          // the whole phase
  double grammar_seconds = 0;  // FillMask, masked argmax and AcceptToken
};

// G tokens for one sequence forked from `root` under the grammar. `start`
// holds the root's last logits.
Result<ConstrainedTiming> ConstrainedTg(engine::Engine& e, const BenchOptions& o, SeqId root,
                                        std::span<const float> start,
                                        const std::shared_ptr<const grammar::CompiledGrammar>& grammar) {
  engine::Batch batch;
  STEER_ASSIGN_OR_RETURN(SeqId seq, e.Fork(root));
  grammar::TokenMatcher m(grammar);
  DynamicBitset mask;
  std::vector<float> logits(start.begin(), start.end());
  ConstrainedTiming timing;
  Timer t0;
  for (int g = 0; g < o.gen_tokens; ++g) {
    Timer tg;
    m.FillMask(&mask);
    TokenId t = MaskedArgmax(logits, mask);
    if (t < 0 || !m.AcceptToken(t) || m.IsFinished()) {
      m = grammar::TokenMatcher(grammar);  // a finished (or dead) text starts over
      if (t < 0) {
        m.FillMask(&mask);
        t = MaskedArgmax(logits, mask);
        if (t < 0 || !m.AcceptToken(t)) return MakeError(ErrorCode::kInvalidInput, "the grammar allows no token");
      }
    }
    timing.grammar_seconds += tg.Wall();
    batch.Clear();
    batch.Add(t, e.Length(seq), seq, true);
    STEER_RETURN_IF_ERROR(e.Decode(batch));
    std::span<const float> l = e.Logits(0);
    logits.assign(l.begin(), l.end());
  }
  timing.seconds = t0.Wall();
  STEER_RETURN_IF_ERROR(e.Release(seq));
  return timing;
}

Result<RunResult> BenchOnce(engine::Engine& e, const BenchOptions& o, uint64_t seed,
                            const std::shared_ptr<const grammar::CompiledGrammar>& grammar) {
  RunResult r;
  Rng rng(seed);
  engine::Batch batch;
  const SeqId root = e.NewSequence();
  for (int i = 0; i < o.prompt_tokens; ++i) {
    batch.Add(static_cast<TokenId>(rng.UniformInt(e.n_vocab())), i, root, i + 1 == o.prompt_tokens);
  }
  Timer t0;
  STEER_RETURN_IF_ERROR(e.Decode(batch));
  r.pp_tok_s = o.prompt_tokens / t0.Wall();
  r.pp_cpu = o.prompt_tokens / t0.Cpu();
  const TokenId first = Argmax(e.Logits(0));
  const std::vector<float> root_logits(e.Logits(0).begin(), e.Logits(0).end());

  STEER_ASSIGN_OR_RETURN(SeqId single, e.Fork(root));
  TokenId t = first;
  t0 = Timer();
  for (int g = 0; g < o.gen_tokens; ++g) {
    batch.Clear();
    batch.Add(t, e.Length(single), single, true);
    STEER_RETURN_IF_ERROR(e.Decode(batch));
    t = Argmax(e.Logits(0));
  }
  r.tg_tok_s = o.gen_tokens / t0.Wall();
  r.tg_cpu = o.gen_tokens / t0.Cpu();
  STEER_RETURN_IF_ERROR(e.Release(single));
  if (grammar != nullptr) {
    STEER_ASSIGN_OR_RETURN(ConstrainedTiming c, ConstrainedTg(e, o, root, root_logits, grammar));
    r.grammar_tg_tok_s = o.gen_tokens / c.seconds;
    r.grammar_overhead = c.grammar_seconds / (c.seconds - c.grammar_seconds);
  }

  std::vector<SeqId> seqs;
  std::vector<TokenId> next(o.batch);
  for (int b = 0; b < o.batch; ++b) {
    STEER_ASSIGN_OR_RETURN(SeqId s, e.Fork(root));
    seqs.push_back(s);
    next[b] = static_cast<TokenId>(rng.UniformInt(e.n_vocab()));  // the forks diverge at once
  }
  t0 = Timer();
  for (int g = 0; g < o.gen_tokens; ++g) {
    batch.Clear();
    for (int b = 0; b < o.batch; ++b) batch.Add(next[b], e.Length(seqs[b]), seqs[b], true);
    STEER_RETURN_IF_ERROR(e.Decode(batch));
    for (int b = 0; b < o.batch; ++b) next[b] = Argmax(e.Logits(b));
  }
  r.batch_tok_s = static_cast<double>(o.batch) * o.gen_tokens / t0.Wall();
  r.batch_cpu = static_cast<double>(o.batch) * o.gen_tokens / t0.Cpu();
  r.kv_bytes = e.kv_cache().bytes_in_use();
  for (SeqId s : seqs) STEER_RETURN_IF_ERROR(e.Release(s));
  STEER_RETURN_IF_ERROR(e.Release(root));
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int RunBench(BenchOptions o) {
  if (o.model.n_ctx == 0) o.model.n_ctx = o.prompt_tokens + o.gen_tokens;
  auto session = OpenSession(o.model);
  if (!session.ok()) return ReportError("bench", session.error());
  engine::Engine& e = *session->engine;
  std::shared_ptr<const grammar::CompiledGrammar> grammar;
  if (!o.grammar.empty()) {
    if (!o.tokenizer.empty()) {
      Status st = OverrideTokenizer(*session, o.tokenizer);
      if (!st.ok()) return ReportError("bench", st.error().Within("--tokenizer"));
    }
    auto tok = session->Tokenizer();
    if (!tok.ok()) return ReportError("bench", tok.error());
    auto g = LoadGrammarFile(o.grammar, o.format.empty() ? InferFormat(o.grammar) : o.format);
    if (!g.ok()) return ReportError("bench", g.error());
    auto compiled = grammar::CompiledGrammar::Create(*g, grammar::VocabularyOf(**tok));
    if (!compiled.ok()) return ReportError("bench", compiled.error().Within(o.grammar));
    grammar = std::move(compiled).value();
  }
  // One untimed warm-up run grows every scratch buffer to its final size
  // (the grammar's parse states and masks stay cold: each run starts at its
  // root again, so later runs find the states earlier runs built, as a
  // long-running sampler would).
  BenchOptions warm = o;
  warm.gen_tokens = std::min(o.gen_tokens, 2);
  auto w = BenchOnce(e, warm, 0, nullptr);
  if (!w.ok()) return ReportError("bench", w.error());
  std::vector<double> pp, tg, bt, pp_cpu, tg_cpu, bt_cpu, gtg, gover;
  int64_t kv_bytes = 0;
  for (int i = 0; i < o.runs; ++i) {
    auto r = BenchOnce(e, o, i + 1, grammar);
    if (!r.ok()) return ReportError("bench", r.error());
    pp.push_back(r->pp_tok_s);
    tg.push_back(r->tg_tok_s);
    bt.push_back(r->batch_tok_s);
    pp_cpu.push_back(r->pp_cpu);
    tg_cpu.push_back(r->tg_cpu);
    bt_cpu.push_back(r->batch_cpu);
    gtg.push_back(r->grammar_tg_tok_s);
    gover.push_back(r->grammar_overhead);
    kv_bytes = r->kv_bytes;
  }
  // K and V of every layer for one position, in the cache's element type.
  const double per_position = static_cast<double>(e.kv_cache().block_bytes()) / e.kv_cache().block_size();
  const double ideal = per_position * (o.prompt_tokens + static_cast<double>(o.batch) * o.gen_tokens);
  std::fprintf(stderr,
               "bench: %s, %d threads, %d runs; kv_bytes %lld = %.3fx of prompt + %d tails (%.0f bytes); "
               "per CPU second: pp %.1f, tg %.1f, batch %.1f tok/s\n",
               e.model().file().path().c_str(), e.num_threads(), o.runs, static_cast<long long>(kv_bytes), kv_bytes / ideal,
               o.batch, ideal, Median(pp_cpu), Median(tg_cpu), Median(bt_cpu));
  if (o.json) {
    nlohmann::json j;
    j["pp_tok_s"] = Median(pp);
    j["tg_tok_s"] = Median(tg);
    j["batch"] = o.batch;
    j["batch_tok_s"] = Median(bt);
    j["kv_bytes"] = kv_bytes;
    if (grammar != nullptr) {
      j["grammar_tg_tok_s"] = Median(gtg);
      j["grammar_overhead"] = Median(gover);
    }
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("pp%d %.1f tok/s | tg%d %.1f tok/s | batch %d: %.1f tok/s | kv %lld bytes\n", o.prompt_tokens,
                Median(pp), o.gen_tokens, Median(tg), o.batch, Median(bt), static_cast<long long>(kv_bytes));
    if (grammar != nullptr) {
      std::printf("tg%d under %s: %.1f tok/s (grammar overhead %+.1f%%)\n", o.gen_tokens, o.grammar.c_str(),
                  Median(gtg), 100 * Median(gover));
    }
  }
  return 0;
}

}  // namespace

void AddBenchCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Measure prompt, generation and batched-generation speed");
  AddModelOptions(cmd, o->model);
  cmd->add_option("--batch", o->batch, "Sequences forked from the prompt for the batched phase")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--prompt-tokens", o->prompt_tokens, "Prompt length")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--gen-tokens", o->gen_tokens, "Tokens generated per sequence")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--runs", o->runs, "Timed runs (the median is printed)")->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", o->json, "Print one JSON line");
  auto* grammar = cmd->add_option("--grammar", o->grammar,
                                  "Also time tg under this grammar's token masks (GBNF, Lark, regex or JSON Schema)")
                       ->type_name("FILE");
  cmd->add_option("--format", o->format, "Format of --grammar: gbnf, lark, regex or json-schema (default: extension)")
      ->needs(grammar);
  cmd->add_option("--tokenizer", o->tokenizer,
                  "Tokenizer for --grammar instead of the model's (a GGUF or tokenizer.json), for models without one")
      ->type_name("FILE")
      ->needs(grammar);
  cmd->callback([o, &ctx]() { ctx.exit_code = RunBench(*o); });
}

}  // namespace steer::cli
