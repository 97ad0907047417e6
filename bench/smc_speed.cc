// SMC speed on the 58M Q8_0 model (issue 4), ratios measured within one run
// (the machine is shared: each repetition runs every configuration back to
// back, and the medians of wall and CPU time are reported).
//
//   build/bench/smc_speed [--model M.gguf] [--tokenizer T] [--grammar G.gbnf|SCHEMA.json]
//       [--particles N] [--max-tokens T] [--reps R] [--exact-activations 0|1]
//       [--kv-type f32|f16] [--threads T] [--big-model M128k.gguf --big-tokenizer tokenizer.json
//       [--big-byte-ident N]]
//
// The engine runs with `steer sample`'s defaults: quantized weights multiply
// 8-bit activations (--exact-activations 1: F32 activations) and the KV
// cache stores F16 (--kv-type f32: F32).
//
// 1. SMC with N particles vs N lcd runs in sequence (same target): token
//    throughput = tokens the particles were extended by / time. Twins
//    (particles resampled from one parent that then draw the same token)
//    share one decoded row, so SMC decodes fewer rows than it extends
//    tokens: the share of rows and the ratio per decoded row are reported
//    too.
// 2. Overhead of SMC: time outside the LM potential (grammar masks, proposal,
//    resampling, bookkeeping) as a fraction of the LM potential's time
//    (decode in Extend plus the rows in LogWeightNext/LogComplete), split
//    into the grammar potential's calls and the rest; the decode alone is
//    reported too.
// 3. With --big-model (a model whose vocabulary matches --big-tokenizer, e.g.
//    a random tiny llama with 128,256 tokens and the llama3 tokenizer.json):
//    one SMC run with the masked proposal vs AWRS. --big-byte-ident N adds a
//    second constraint there: no identifier longer than N bytes, as the
//    byte-level MaxIdentLen lifted to tokens by Coerce, the path a user's
//    C++ byte callback takes (a full mask walks the token trie; AWRS checks
//    drawn tokens only).
// The model file may lack a tokenizer (make_random_model writes none): the
// tokenizer comes from --tokenizer (a GGUF or tokenizer.json with the same
// vocabulary size). Engines run on --threads threads (default 1; steer's
// own default is every core, which on a 2-core machine favours SMC's
// batched decode over lcd's memory-bound single rows: report both).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "steer/engine/engine.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/gbnf.h"
#include "steer/grammar/json_schema.h"
#include "steer/potential/byte_constraint.h"
#include "steer/potential/combinators.h"
#include "steer/potential/grammar.h"
#include "steer/potential/lm.h"
#include "steer/sampler/sampler.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/file.h"

using namespace steer;

namespace {

struct Clock {
  double wall = 0, cpu = 0;
  static Clock Now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    Clock c;
    c.wall = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    c.cpu = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    return c;
  }
  Clock operator-(const Clock& o) const { return {wall - o.wall, cpu - o.cpu}; }
  Clock& operator+=(const Clock& o) {
    wall += o.wall;
    cpu += o.cpu;
    return *this;
  }
};

// Forwards to a potential (the LM or the grammar), timing every call and
// counting the tokens it is extended by.
class Timed final : public potential::Potential {
 public:
  explicit Timed(std::shared_ptr<potential::Potential> inner) : inner_(std::move(inner)) {}
  int32_t vocab_size() const override { return inner_->vocab_size(); }
  std::string name() const override { return inner_->name(); }
  Result<potential::StatePtr> Start() override {
    const Clock t = Clock::Now();
    auto s = inner_->Start();
    total_ += Clock::Now() - t;
    return s;
  }
  potential::StatePtr Fork(const potential::State& s) override { return inner_->Fork(s); }
  Status Extend(std::span<potential::State* const> states, std::span<const TokenId> tokens) override {
    const Clock t = Clock::Now();
    Status st = inner_->Extend(states, tokens);
    const Clock d = Clock::Now() - t;
    decode_ += d;
    total_ += d;
    tokens_ += static_cast<int64_t>(tokens.size());
    return st;
  }
  double LogPrefix(const potential::State& s) const override { return inner_->LogPrefix(s); }
  Status LogComplete(std::span<const potential::State* const> states, std::span<double> out) override {
    const Clock t = Clock::Now();
    Status st = inner_->LogComplete(states, out);
    total_ += Clock::Now() - t;
    return st;
  }
  Status LogWeightNext(std::span<const potential::State* const> states, std::span<double> out) override {
    const Clock t = Clock::Now();
    Status st = inner_->LogWeightNext(states, out);
    total_ += Clock::Now() - t;
    return st;
  }
  Status AddLogWeightNext(std::span<const potential::State* const> states, std::span<double> rows) override {
    const Clock t = Clock::Now();
    Status st = inner_->AddLogWeightNext(states, rows);
    total_ += Clock::Now() - t;
    return st;
  }
  bool ViewNextLogits(const potential::State& s, NextLogits* out) const override {
    const Clock t = Clock::Now();
    const bool ok = inner_->ViewNextLogits(s, out);
    total_ += Clock::Now() - t;
    return ok;
  }
  bool ViewAllowed(const potential::State& s, AllowedSet* out) override {
    const Clock t = Clock::Now();
    const bool ok = inner_->ViewAllowed(s, out);
    total_ += Clock::Now() - t;
    return ok;
  }
  void Reset() {
    decode_ = total_ = {};
    tokens_ = 0;
  }
  Clock decode_;          // Extend only
  mutable Clock total_;   // every call (the const view too)
  int64_t tokens_ = 0;

 private:
  std::shared_ptr<potential::Potential> inner_;
};

struct Setup {
  sampler::Target target;
  std::shared_ptr<Timed> lm, grammar;  // grammar: null when not timed
  const engine::Engine* engine = nullptr;
};

int Fail(const Error& e) {
  std::fprintf(stderr, "smc_speed: %s\n", e.ToString().c_str());
  return 1;
}

Result<Setup> Make(const std::string& model, const std::string& tokenizer_path, const std::string& gbnf_path,
                   bool exact_activations, model::KvType kv_type, int threads, bool time_grammar,
                   int byte_ident = 0) {
  engine::EngineOptions eo;
  eo.threads = threads;
  eo.q8_activations = !exact_activations;
  eo.kv_type = kv_type;
  STEER_ASSIGN_OR_RETURN(auto eng, engine::Engine::Open(model, eo));
  STEER_ASSIGN_OR_RETURN(auto tok, tokenizer::Tokenizer::Load(tokenizer_path));
  if (tok->vocab_size() != eng->n_vocab()) {
    return MakeError(ErrorCode::kInvalidArgument, "tokenizer has " + std::to_string(tok->vocab_size()) +
                                                      " tokens, model " + std::to_string(eng->n_vocab()));
  }
  STEER_ASSIGN_OR_RETURN(std::string text, ReadFile(gbnf_path));
  // A .json file is a JSON Schema, anything else GBNF.
  const bool schema = gbnf_path.size() >= 5 && gbnf_path.compare(gbnf_path.size() - 5, 5, ".json") == 0;
  STEER_ASSIGN_OR_RETURN(auto g, schema ? grammar::CompileJsonSchema(text, {}) : grammar::ParseGbnf(text));
  STEER_ASSIGN_OR_RETURN(auto compiled, grammar::CompiledGrammar::Create(g, grammar::VocabularyOf(*tok)));
  const TokenId first = tok->bos() >= 0 ? tok->bos() : 0;
  Setup s;
  s.engine = eng.get();
  STEER_ASSIGN_OR_RETURN(auto lm, potential::LmPotential::Create(std::shared_ptr<engine::Engine>(std::move(eng)),
                                                                 {first}, tok->eos()));
  s.lm = std::make_shared<Timed>(lm);
  s.target.base = s.lm;
  // The grammar is timed only where no AWRS runs: AWRS checks every drawn
  // token through it (hundreds per step on a random model), and the four
  // clock reads per call would be most of what it measures.
  auto grammar = std::make_shared<potential::GrammarPotential>(compiled);
  if (time_grammar) {
    s.grammar = std::make_shared<Timed>(grammar);
    s.target.constraints = {s.grammar};
  } else {
    s.target.constraints = {grammar};
  }
  if (byte_ident > 0) {
    std::vector<std::string> token_bytes(static_cast<size_t>(tok->vocab_size()));
    for (TokenId t = 0; t < tok->vocab_size(); ++t) token_bytes[static_cast<size_t>(t)] = tok->TokenBytes(t);
    STEER_ASSIGN_OR_RETURN(auto coerced, potential::Coerce(std::make_shared<potential::MaxIdentLen>(byte_ident),
                                                           std::move(token_bytes)));
    s.target.constraints.push_back(std::move(coerced));
  }
  // Finished documents: with random weights EOS is rare, so every run decodes
  // max_tokens tokens (stop-when-complete would stop at the first "{}").
  s.target.end_mode = sampler::EndMode::kFinishedDocument;
  return s;
}

struct Measure {
  Clock all, lm, decode, grammar;
  int64_t tokens = 0;
  int64_t rows = 0;  // rows the engine decoded: tokens less the twins' (potential/lm.h)
};

// Runs `runs` samplers with options o (seed advanced per run).
Result<Measure> Time(Setup& s, sampler::Options o, int runs) {
  s.lm->Reset();
  if (s.grammar) s.grammar->Reset();
  const int64_t rows = s.engine->rows_decoded();
  const Clock t = Clock::Now();
  for (int i = 0; i < runs; ++i) {
    STEER_ASSIGN_OR_RETURN(auto got, sampler::Run(s.target, o));
    ++o.seed;
  }
  Measure m;
  m.all = Clock::Now() - t;
  m.lm = s.lm->total_;
  m.decode = s.lm->decode_;
  if (s.grammar) m.grammar = s.grammar->total_;
  m.tokens = s.lm->tokens_;
  m.rows = s.engine->rows_decoded() - rows;
  return m;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = "/tmp/engine_models/rand58m-Q8_0.gguf";
  std::string tokenizer_path = std::string(STEER_SHARED_DIR_DEFAULT) + "/models/llama-2-tiny-random.gguf";
  std::string gbnf = std::string(STEER_SHARED_DIR_DEFAULT) + "/grammar-data/gbnf/json.gbnf";
  std::string big_model, big_tokenizer;
  int particles = 32, max_tokens = 32, reps = 3, big_byte_ident = 0, threads = 1;
  bool exact_activations = false;
  model::KvType kv_type = model::KvType::kF16;
  if (argc % 2 == 0) {  // an option without its value, or --help
    std::fprintf(stderr,
                 "usage: smc_speed [--model M.gguf] [--tokenizer T] [--grammar G.gbnf|SCHEMA.json] [--particles N]\n"
                 "                 [--max-tokens T] [--reps R] [--exact-activations 0|1] [--kv-type f32|f16]\n"
                 "                 [--threads T]\n"
                 "                 [--big-model M128k.gguf --big-tokenizer tokenizer.json [--big-byte-ident N]]\n"
                 "(every option takes a value; see the top of bench/smc_speed.cc)\n");
    return 2;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--model") model = v;
    else if (a == "--tokenizer") tokenizer_path = v;
    else if (a == "--grammar") gbnf = v;
    else if (a == "--particles") particles = std::atoi(v.c_str());
    else if (a == "--max-tokens") max_tokens = std::atoi(v.c_str());
    else if (a == "--reps") reps = std::atoi(v.c_str());
    else if (a == "--threads") threads = std::atoi(v.c_str());
    else if (a == "--exact-activations") exact_activations = v == "1";
    else if (a == "--kv-type" && (v == "f32" || v == "f16"))
      kv_type = v == "f16" ? model::KvType::kF16 : model::KvType::kF32;
    else if (a == "--big-model") big_model = v;
    else if (a == "--big-tokenizer") big_tokenizer = v;
    else if (a == "--big-byte-ident") big_byte_ident = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "smc_speed: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  auto setup = Make(model, tokenizer_path, gbnf, exact_activations, kv_type, threads, /*time_grammar=*/true);
  if (!setup.ok()) return Fail(setup.error());
  sampler::Options smc;
  smc.method = sampler::Method::kSmc;
  smc.particles = particles;
  smc.max_tokens = max_tokens;
  sampler::Options lcd = smc;
  lcd.method = sampler::Method::kLcd;
  lcd.samples = 1;

  std::vector<double> smc_tps_wall, smc_tps_cpu, lcd_tps_wall, lcd_tps_cpu, ratio_wall, ratio_cpu;
  std::vector<double> row_share, ratio_rows_wall;
  std::vector<double> over_wall, over_cpu, over_dec_wall, over_dec_cpu, gram_wall, gram_cpu, rest_wall, rest_cpu;
  for (int r = 0; r < reps; ++r) {
    smc.seed = lcd.seed = static_cast<uint64_t>(1000 * r);
    auto a = Time(*setup, smc, 1);
    if (!a.ok()) return Fail(a.error());
    auto b = Time(*setup, lcd, particles);
    if (!b.ok()) return Fail(b.error());
    const double sw = a->tokens / a->all.wall, sc = a->tokens / a->all.cpu;
    const double lw = b->tokens / b->all.wall, lc = b->tokens / b->all.cpu;
    smc_tps_wall.push_back(sw);
    smc_tps_cpu.push_back(sc);
    lcd_tps_wall.push_back(lw);
    lcd_tps_cpu.push_back(lc);
    ratio_wall.push_back(sw / lw);
    ratio_cpu.push_back(sc / lc);
    row_share.push_back(static_cast<double>(a->rows) / static_cast<double>(a->tokens));
    ratio_rows_wall.push_back((a->rows / a->all.wall) / (b->rows / b->all.wall));
    over_wall.push_back((a->all.wall - a->lm.wall) / a->lm.wall);
    over_cpu.push_back((a->all.cpu - a->lm.cpu) / a->lm.cpu);
    over_dec_wall.push_back((a->all.wall - a->decode.wall) / a->decode.wall);
    gram_wall.push_back(a->grammar.wall / a->lm.wall);
    gram_cpu.push_back(a->grammar.cpu / a->lm.cpu);
    rest_wall.push_back((a->all.wall - a->lm.wall - a->grammar.wall) / a->lm.wall);
    rest_cpu.push_back((a->all.cpu - a->lm.cpu - a->grammar.cpu) / a->lm.cpu);
    over_dec_cpu.push_back((a->all.cpu - a->decode.cpu) / a->decode.cpu);
    std::fprintf(stderr,
                 "rep %d: smc %lld tokens (%lld rows) %.2f s wall %.2f s cpu (lm %.2f/%.2f, decode %.2f/%.2f); "
                 "lcd x%d %lld tokens %.2f s wall %.2f s cpu\n",
                 r, static_cast<long long>(a->tokens), static_cast<long long>(a->rows), a->all.wall, a->all.cpu,
                 a->lm.wall, a->lm.cpu, a->decode.wall, a->decode.cpu, particles, static_cast<long long>(b->tokens),
                 b->all.wall, b->all.cpu);
  }
  std::printf("model %s (%s activations, %s KV), grammar %s, %d particles, max %d tokens, finished documents, "
              "%d thread%s, median of %d\n\n",
              model.c_str(), exact_activations ? "F32" : "8-bit", kv_type == model::KvType::kF16 ? "F16" : "F32",
              gbnf.c_str(), particles, max_tokens, threads, threads == 1 ? "" : "s", reps);
  std::printf("| measure | wall | CPU |\n|---|---:|---:|\n");
  std::printf("| SMC throughput (particle tok/s) | %.1f | %.1f |\n", Median(smc_tps_wall), Median(smc_tps_cpu));
  std::printf("| %d lcd in sequence (tok/s) | %.1f | %.1f |\n", particles, Median(lcd_tps_wall),
              Median(lcd_tps_cpu));
  std::printf("| SMC / lcd throughput | %.2fx | %.2fx |\n", Median(ratio_wall), Median(ratio_cpu));
  std::printf("| SMC rows decoded / particle tokens (twins decode once) | %.1f%% | |\n", 100 * Median(row_share));
  std::printf("| SMC / lcd decoded rows per second | %.2fx | |\n", Median(ratio_rows_wall));
  std::printf("| SMC time outside the LM potential / LM time | %.1f%% | %.1f%% |\n", 100 * Median(over_wall),
              100 * Median(over_cpu));
  std::printf("| of which in the grammar potential / LM time | %.1f%% | %.1f%% |\n", 100 * Median(gram_wall),
              100 * Median(gram_cpu));
  std::printf("| of which in neither (draws, resampling, bookkeeping) / LM time | %.1f%% | %.1f%% |\n",
              100 * Median(rest_wall), 100 * Median(rest_cpu));
  std::printf("| SMC time outside decode / decode time | %.1f%% | %.1f%% |\n", 100 * Median(over_dec_wall),
              100 * Median(over_dec_cpu));

  if (!big_model.empty()) {
    auto big = Make(big_model, big_tokenizer, gbnf, exact_activations, kv_type, threads, /*time_grammar=*/false,
                    big_byte_ident);
    if (!big.ok()) return Fail(big.error());
    sampler::Options o = smc;
    std::vector<double> mw, mc, aw, ac, rw, rc, mt, at;
    for (int r = 0; r < reps; ++r) {
      o.seed = static_cast<uint64_t>(1000 * r);
      o.proposal = sampler::ProposalKind::kMasked;
      auto m = Time(*big, o, 1);
      if (!m.ok()) return Fail(m.error());
      o.proposal = sampler::ProposalKind::kAwrs;
      auto a = Time(*big, o, 1);
      if (!a.ok()) return Fail(a.error());
      // Per decoded token, since the two runs may stop at different lengths.
      mw.push_back(m->all.wall / m->tokens);
      mc.push_back(m->all.cpu / m->tokens);
      aw.push_back(a->all.wall / a->tokens);
      ac.push_back(a->all.cpu / a->tokens);
      rw.push_back(mw.back() / aw.back());
      rc.push_back(mc.back() / ac.back());
      mt.push_back(static_cast<double>(m->tokens));
      at.push_back(static_cast<double>(a->tokens));
    }
    std::printf("\n%s (%s), %d particles, max %d tokens, median of %d", big_model.c_str(), big_tokenizer.c_str(),
                particles, max_tokens, reps);
    if (big_byte_ident > 0) std::printf(", also max identifier length %d bytes through Coerce", big_byte_ident);
    std::printf("\n\n");
    std::printf("| proposal | ms per decoded token, wall | CPU | decoded tokens |\n|---|---:|---:|---:|\n");
    std::printf("| masked | %.3f | %.3f | %.0f |\n", 1e3 * Median(mw), 1e3 * Median(mc), Median(mt));
    std::printf("| awrs | %.3f | %.3f | %.0f |\n", 1e3 * Median(aw), 1e3 * Median(ac), Median(at));
    std::printf("| masked / awrs | %.2fx | %.2fx | |\n", Median(rw), Median(rc));
  }
  return 0;
}
