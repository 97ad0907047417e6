// Token-mask timing on real vocabularies (Llama-3 128k by default).
//
// Workload per grammar: each accepted string of the grammar's golden cases,
// tokenized greedily (longest vocabulary match among the allowed tokens),
// is fed token by token; every FillMask on the way (and the final one, where
// only EOS may be allowed) is timed. Each string is decoded twice on one
// CompiledGrammar: the first pass is cold (empty caches), the second warm.
// Reports p50/p99/max/mean in microseconds of thread CPU time per pass, and
// the cache hit rate. NO_MASK_CACHE=1 disables the per-state mask cache, so
// the warm pass measures trie walks over memoized parse transitions.
//
//   build/bench/grammar_mask_bench [--vocab PATH] [--shared DIR]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/gbnf.h"
#include "steer/util/file.h"
#include "vocab_loader.h"

using namespace steer;
using namespace steer::grammar;

namespace {

struct Stats {
  std::vector<double> us;
  void Print(const char* what) {
    if (us.empty()) return;
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (double x : us) sum += x;
    auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<size_t>(p * static_cast<double>(us.size())))]; };
    std::printf("  %-6s masks=%5zu p50=%8.2f p99=%9.2f max=%9.2f mean=%8.2f us\n", what, us.size(), pct(0.5),
                pct(0.99), us.back(), sum / static_cast<double>(us.size()));
  }
};

// This thread's CPU time: the machine is shared, and wall time would count
// the time other processes hold the core.
double CpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared = STEER_SHARED_DIR_DEFAULT;
  std::string vocab_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--vocab") vocab_path = argv[i + 1];
    if (a == "--shared") shared = argv[i + 1];
  }
  if (vocab_path.empty()) vocab_path = shared + "/vocab/hf/llama3/tokenizer.json";
  auto vocab = testing::LoadVocabulary(vocab_path);
  if (!vocab.ok()) {
    std::fprintf(stderr, "%s\n", vocab.error().ToString().c_str());
    return 1;
  }
  std::printf("vocab %s: %zu tokens\n", vocab_path.c_str(), vocab->token_bytes.size());
  auto i0 = std::chrono::steady_clock::now();
  auto index = VocabIndex::Build(std::move(*vocab));
  std::printf("vocab index (trie): %.1f ms, %d nodes\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - i0).count(),
              (*index)->num_trie_nodes());
  int32_t index_nodes = (*index)->num_trie_nodes();
  Stats all_cold, all_warm;
  for (const char* name : {"arithmetic", "c", "chess", "english", "japanese", "json", "json_arr", "list"}) {
    std::string base = shared + "/grammar-data/gbnf/" + name;
    auto g = ParseGbnf(ReadFile(base + ".gbnf").value());
    auto cases = nlohmann::json::parse(ReadFile(base + ".cases.json").value());
    auto t0 = std::chrono::steady_clock::now();
    CompileOptions opt;
    if (std::getenv("NO_MASK_CACHE")) opt.mask_cache_bytes = 0;
    auto cg = CompiledGrammar::Create(*g, *index, opt);
    double compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    Stats cold, warm;
    DynamicBitset mask;
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& s : cases["accept"]) {
        std::string text = s.get<std::string>();
        TokenMatcher m(*cg);
        size_t pos = 0;
        for (;;) {
          double a = CpuMicros();
          m.FillMask(&mask);
          double us = CpuMicros() - a;
          (pass == 0 ? cold : warm).us.push_back(us);
          (pass == 0 ? all_cold : all_warm).us.push_back(us);
          if (pos == text.size()) break;
          // Greedy: the longest allowed token that is a prefix of the rest.
          int32_t best = -1;
          size_t best_len = 0;
          mask.ForEachSet([&](size_t t) {
            const std::string& b = (*cg)->token_bytes(static_cast<int32_t>(t));
            if (b.size() > best_len && text.compare(pos, b.size(), b) == 0) {
              best = static_cast<int32_t>(t);
              best_len = b.size();
            }
          });
          if (best < 0 || !m.AcceptToken(best)) {
            std::fprintf(stderr, "%s: no allowed token at byte %zu\n", name, pos);
            return 1;
          }
          pos += best_len;
        }
      }
    }
    std::printf("%s: compile %.2f ms, cache hits %lld misses %lld, trie nodes per walk %.0f (of %d)\n", name,
                compile_ms, static_cast<long long>((*cg)->mask_cache_hits()),
                static_cast<long long>((*cg)->mask_cache_misses()),
                static_cast<double>((*cg)->trie_nodes_visited()) /
                    static_cast<double>(std::max<int64_t>(1, (*cg)->mask_cache_misses())),
                index_nodes);
    cold.Print("cold");
    warm.Print("warm");
  }
  {
    // Fork cost: a matcher after a 20 KB JSON text (json.gbnf), forked 1000 times.
    auto g = ParseGbnf(ReadFile(shared + "/grammar-data/gbnf/json.gbnf").value());
    auto cg = CompiledGrammar::Create(*g, *index);
    TokenMatcher m(*cg);
    std::string text = "{\"k\": [";
    while (text.size() < 20000) text += "{\"key\": [1, 2.5, \"abc\"]}, ";
    text += "0]}";
    std::vector<int32_t> byte_token(256, -1);
    for (int32_t t = 0; t < (*index)->vocab_size(); ++t) {
      const std::string& b = (*index)->token_bytes(t);
      if (b.size() == 1 && !(*index)->is_special(t)) byte_token[static_cast<uint8_t>(b[0])] = t;
    }
    for (char c : text) {
      if (!m.AcceptToken(byte_token[static_cast<uint8_t>(c)])) {  // single-byte tokens
        std::fprintf(stderr, "fork text rejected at %zu\n", m.num_tokens());
        return 1;
      }
    }
    std::vector<TokenMatcher> forks;
    forks.reserve(1000);
    double a = CpuMicros();
    for (int i = 0; i < 1000; ++i) forks.push_back(m.Fork());
    double us = (CpuMicros() - a) / 1000.0;
    std::printf("fork after %zu tokens: %.3f us\n", m.num_tokens(), us);
  }
  std::printf("all grammars:\n");
  all_cold.Print("cold");
  all_warm.Print("warm");
  return 0;
}
