// The check_balance experiment (issue 4): on a real model, with a prompt
// that ends inside an identifier, max-ident-len and a small grammar, compare
// lcd and SMC against exact enumeration.
//
//   build/bench/check_balance [MODEL.gguf] [--seeds S] [--prompt P] [--open-ident X]
//       [--max-ident-len N] [--max-tokens T] [--grammar GBNF]
//
// Prints a markdown table: total-variation distance to `exact` (mean over S
// seeds) and the most frequent completions under each method. The target is
// stop-when-complete (a completion ends when the grammar is complete).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "steer/engine/engine.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/gbnf.h"
#include "steer/potential/byte_constraint.h"
#include "steer/potential/grammar.h"
#include "steer/potential/lm.h"
#include "steer/sampler/sampler.h"
#include "steer/tokenizer/tokenizer.h"

using namespace steer;

namespace {

using Dist = std::map<std::string, double>;

double Tv(const Dist& a, const Dist& b) {
  double tv = 0;
  for (const auto& [k, v] : a) tv += std::abs(v - (b.count(k) ? b.at(k) : 0.0));
  for (const auto& [k, v] : b) {
    if (!a.count(k)) tv += v;
  }
  return tv / 2;
}

std::string Top(const Dist& d, int n) {
  std::vector<std::pair<double, std::string>> v;
  for (const auto& [k, p] : d) v.push_back({p, k});
  std::sort(v.rbegin(), v.rend());
  std::string out;
  for (int i = 0; i < n && i < static_cast<int>(v.size()); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.3f", v[i].first);
    out += (i ? ", `" : "`") + v[i].second + "`" + buf;
  }
  return out;
}

int Fail(const Error& e) {
  std::fprintf(stderr, "check_balance: %s\n", e.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = std::string(STEER_SHARED_DIR_DEFAULT) + "/models/stories260K.gguf";
  int seeds = 10;
  std::string prompt = "def check_balance(account_";
  std::string open_ident = "account_";  // the identifier the prompt leaves open
  int max_ident = 10;
  int max_tokens = 4;
  std::string gbnf = R"g(root ::= [a-z0-9_]* ")")g";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--seeds" && has_value) {
      seeds = std::atoi(argv[++i]);
    } else if (a == "--prompt" && has_value) {
      prompt = argv[++i];
    } else if (a == "--open-ident" && has_value) {
      open_ident = argv[++i];
    } else if (a == "--max-ident-len" && has_value) {
      max_ident = std::atoi(argv[++i]);
    } else if (a == "--max-tokens" && has_value) {
      max_tokens = std::atoi(argv[++i]);
    } else if (a == "--grammar" && has_value) {
      gbnf = argv[++i];
    } else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr,
                   "usage: check_balance [MODEL] [--seeds S] [--prompt P] [--open-ident X] [--max-ident-len N]"
                   " [--max-tokens T] [--grammar GBNF]\n");
      return 2;
    } else {
      model = a;
    }
  }
  engine::EngineOptions eo;
  eo.threads = 1;
  auto engine = engine::Engine::Open(model, eo);
  if (!engine.ok()) return Fail(engine.error());
  std::shared_ptr<engine::Engine> eng = std::move(engine).value();
  auto tok = tokenizer::Tokenizer::Load(model);
  if (!tok.ok()) return Fail(tok.error());
  const auto& t = **tok;
  std::vector<std::string> token_bytes;
  grammar::Vocabulary vocab;
  for (TokenId i = 0; i < t.vocab_size(); ++i) {
    token_bytes.push_back(t.IsSpecial(i) ? std::string() : t.TokenBytes(i));
    if (t.IsSpecial(i) && i != t.eos()) vocab.special_ids.push_back(i);
  }
  vocab.token_bytes = token_bytes;
  vocab.eos = t.eos();

  auto ids = t.Encode(prompt, {});
  if (!ids.ok()) return Fail(ids.error());
  std::vector<TokenId> prompt_ids = {t.bos()};
  for (TokenId id : *ids) {
    if (id != t.bos()) prompt_ids.push_back(id);
  }
  auto lm = potential::LmPotential::Create(eng, prompt_ids, t.eos());
  if (!lm.ok()) return Fail(lm.error());
  auto g = grammar::ParseGbnf(gbnf);
  if (!g.ok()) return Fail(g.error());
  auto compiled = grammar::CompiledGrammar::Create(*g, vocab);
  if (!compiled.ok()) return Fail(compiled.error());
  // max-ident-len, counting the identifier the prompt leaves open.
  auto ident = std::make_shared<potential::MaxIdentLenTokens>(max_ident, token_bytes, open_ident);

  sampler::Target target;
  target.base = *lm;
  target.constraints = {std::make_shared<potential::GrammarPotential>(*compiled), ident};
  target.end_mode = sampler::EndMode::kStopWhenComplete;
  target.token_bytes = token_bytes;

  sampler::Options o;
  o.max_tokens = max_tokens;
  o.method = sampler::Method::kExact;
  auto exact = sampler::Run(target, o);
  if (!exact.ok()) return Fail(exact.error());
  Dist want;
  for (const auto& s : exact->samples) want[s.text] = std::exp(s.log_weight);
  std::printf("prompt `%s`, grammar `%s`, max-ident-len %d, stop-when-complete, max %d tokens, %lld prefixes\n\n",
              prompt.c_str(), gbnf.c_str(), max_ident, max_tokens, static_cast<long long>(exact->summary.nodes));
  std::printf("| method | N | TV to exact (mean of %d seeds) | log Z | most frequent completions |\n", seeds);
  std::printf("|---|---:|---:|---:|---|\n");
  std::printf("| exact | - | 0 | %.3f | %s |\n", exact->summary.log_z, Top(want, 3).c_str());

  auto run = [&](sampler::Method m, int n) -> Status {
    double tv = 0, log_z = 0;
    Dist pooled;
    for (int seed = 0; seed < seeds; ++seed) {
      o.method = m;
      o.particles = o.samples = n;
      o.seed = static_cast<uint64_t>(seed);
      auto got = sampler::Run(target, o);
      if (!got.ok()) return got.error();
      Dist d;
      const bool weighted = m != sampler::Method::kLcd;
      for (const auto& s : got->samples) {
        d[s.text] += weighted ? std::exp(s.log_weight) : 1.0 / static_cast<double>(got->samples.size());
      }
      tv += Tv(d, want) / seeds;
      log_z += got->summary.log_z / seeds;
      for (const auto& [k, v] : d) pooled[k] += v / seeds;
    }
    std::printf("| %s | %d | %.3f | %.3f | %s |\n", sampler::MethodName(m), n, tv, log_z, Top(pooled, 3).c_str());
    return {};
  };
  for (int n : {10, 100, 1000}) {
    Status st = run(sampler::Method::kLcd, n);
    if (!st.ok()) return Fail(st.error());
  }
  for (int n : {10, 100, 1000}) {
    Status st = run(sampler::Method::kSmc, n);
    if (!st.ok()) return Fail(st.error());
  }
  return 0;
}
