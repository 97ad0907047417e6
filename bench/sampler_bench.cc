// Sampler speed on real models (skipped when ../shared is absent):
//   BM_Smc/32          SMC with 32 particles (one batched decode per step)
//   BM_LcdSequential/32  32 lcd runs one after another (one decode per token)
//   BM_Proposal/{0: masked, 1: awrs}  one SMC run (8 particles, 16 steps)
//                      with each proposal on the 32k-vocab llama-2-tiny-random
//                      (random weights: particles rarely finish, so compare
//                      time per run, which is 8×16 proposals either way)
// Counters (BM_Smc, BM_LcdSequential): tokens/s over all finished sequences. The grammar is lowercase words then
// a period; stop-when-complete; 24 tokens at most.
//
//   build/bench/sampler_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <string>

#include "steer/engine/engine.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/gbnf.h"
#include "steer/potential/grammar.h"
#include "steer/potential/lm.h"
#include "steer/sampler/sampler.h"
#include "steer/tokenizer/tokenizer.h"

using namespace steer;

namespace {

struct Setup {
  sampler::Target target;
  bool ok = false;
};

Setup Make(const std::string& model_name) {
  Setup s;
  const std::string path = std::string(STEER_SHARED_DIR_DEFAULT) + "/models/" + model_name;
  if (!std::ifstream(path).good()) return s;
  engine::EngineOptions eo;
  eo.threads = 1;
  auto eng = engine::Engine::Open(path, eo);
  auto tok = tokenizer::Tokenizer::Load(path);
  if (!eng.ok() || !tok.ok()) return s;
  const auto& t = **tok;
  grammar::Vocabulary vocab;
  for (TokenId i = 0; i < t.vocab_size(); ++i) {
    vocab.token_bytes.push_back(t.IsSpecial(i) ? std::string() : t.TokenBytes(i));
    if (t.IsSpecial(i) && i != t.eos()) vocab.special_ids.push_back(i);
  }
  vocab.eos = t.eos();
  auto g = grammar::ParseGbnf(R"(root ::= ([ ]? [a-z]+)+ ".")");
  if (!g.ok()) return s;
  auto compiled = grammar::CompiledGrammar::Create(*g, vocab);
  if (!compiled.ok()) return s;
  auto lm = potential::LmPotential::Create(std::shared_ptr<engine::Engine>(std::move(eng).value()),
                                           {t.bos()}, t.eos());
  if (!lm.ok()) return s;
  s.target.base = *lm;
  s.target.constraints = {std::make_shared<potential::GrammarPotential>(*compiled)};
  s.target.end_mode = sampler::EndMode::kStopWhenComplete;
  s.ok = true;
  return s;
}

void Count(benchmark::State& state, int64_t tokens) {
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

int64_t Tokens(const sampler::SampleSet& set) {
  int64_t n = 0;
  for (const auto& s : set.samples) n += static_cast<int64_t>(s.tokens.size());
  return n;
}

void BM_Smc(benchmark::State& state) {
  static Setup s = Make("stories260K.gguf");
  if (!s.ok) return state.SkipWithError("stories260K.gguf unavailable");
  sampler::Options o;
  o.method = sampler::Method::kSmc;
  o.particles = static_cast<int>(state.range(0));
  o.max_tokens = 24;
  int64_t tokens = 0;
  for (auto _ : state) {
    auto got = sampler::Run(s.target, o);
    if (!got.ok()) return state.SkipWithError(got.error().ToString().c_str());
    tokens += Tokens(*got);
    ++o.seed;
  }
  Count(state, tokens);
}
BENCHMARK(BM_Smc)->Arg(32)->Unit(benchmark::kMillisecond);

void BM_LcdSequential(benchmark::State& state) {
  static Setup s = Make("stories260K.gguf");
  if (!s.ok) return state.SkipWithError("stories260K.gguf unavailable");
  sampler::Options o;
  o.method = sampler::Method::kLcd;
  o.samples = 1;
  o.max_tokens = 24;
  int64_t tokens = 0;
  for (auto _ : state) {
    for (int i = 0; i < state.range(0); ++i) {
      auto got = sampler::Run(s.target, o);
      if (!got.ok()) return state.SkipWithError(got.error().ToString().c_str());
      tokens += Tokens(*got);
      ++o.seed;
    }
  }
  Count(state, tokens);
}
BENCHMARK(BM_LcdSequential)->Arg(32)->Unit(benchmark::kMillisecond);

void BM_Proposal(benchmark::State& state) {
  static Setup s = Make("llama-2-tiny-random.gguf");
  if (!s.ok) return state.SkipWithError("llama-2-tiny-random.gguf unavailable");
  sampler::Options o;
  o.method = sampler::Method::kSmc;
  o.particles = 8;
  o.max_tokens = 16;
  o.proposal = state.range(0) == 0 ? sampler::ProposalKind::kMasked : sampler::ProposalKind::kAwrs;
  state.SetLabel(sampler::ProposalName(o.proposal));
  for (auto _ : state) {
    auto got = sampler::Run(s.target, o);
    if (!got.ok()) return state.SkipWithError(got.error().ToString().c_str());
    ++o.seed;
  }
}
BENCHMARK(BM_Proposal)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
