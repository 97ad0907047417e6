// libFuzzer target: token masks against the brute-force oracle. The input is
// a GBNF grammar, then an optional "\x00" and a text. Over a fixed
// vocabulary of ASCII, multi-byte and broken UTF-8 pieces (so every jump of
// the mask walk is reachable: loops, loop entries, UTF-8 loops, chains), the
// text is tokenized greedily through the grammar and, at every step,
// FillMask must equal the mask found by trying each token's bytes on a fork.
// A mismatch traps. Complexity is capped like the front-end targets.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grammar_fuzz_common.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/gbnf.h"

namespace {

const steer::grammar::Vocabulary& FuzzVocabulary() {
  static const steer::grammar::Vocabulary vocab = [] {
    const std::vector<std::string> units = {"a", "b", "0", " ", "\"", "\\", ",", ":", "{", "}", "[", "]", "\n",
                                            "\xC3\xA9", "\xD0\xB6", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xC3",
                                            "\xE4\xB8", "\x80", "\xFF"};
    steer::grammar::Vocabulary v;
    v.token_bytes = {"<eos>"};
    v.eos = 0;
    v.special_ids = {0};
    // Every unit, every pair, and a deterministic spread of longer pieces.
    for (const auto& u : units) v.token_bytes.push_back(u);
    for (const auto& u : units) {
      for (const auto& w : units) v.token_bytes.push_back(u + w);
    }
    uint64_t x = 88172645463325252ull;
    for (int t = 0; t < 300; ++t) {
      std::string tok;
      for (int k = 0; k < 3 + t % 6; ++k) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        tok += units[x % (x % 3 == 0 ? units.size() : 4)];
      }
      v.token_bytes.push_back(tok);
    }
    return v;
  }();
  return vocab;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
  auto [grammar_text, text] = steer::fuzz::SplitGrammarInput(data, size, /*whole_input_is_text=*/false);
  steer::grammar::GbnfOptions opt;
  opt.limits.max_repeat_bound = 64;
  opt.limits.max_exprs = 1 << 12;
  opt.limits.max_nesting = 32;
  auto g = steer::grammar::ParseGbnf(grammar_text, opt);
  if (!g.ok()) return 0;
  steer::grammar::CompileOptions co;
  co.matcher.max_set_items = 1024;
  co.matcher.max_states = 4096;
  auto cg = steer::grammar::CompiledGrammar::Create(*g, FuzzVocabulary(), co);
  if (!cg.ok()) return 0;
  const auto& c = **cg;
  steer::grammar::TokenMatcher m(*cg);
  steer::DynamicBitset mask;
  for (int step = 0; step < 32; ++step) {
    m.FillMask(&mask);
    if (m.bytes().limit_hit()) return 0;  // limits turn states into rejections: the oracle would differ
    int32_t next = -1;
    size_t next_len = 0;
    for (int32_t t = 0; t < c.vocab_size(); ++t) {
      bool allowed;
      if (t == c.eos()) {
        allowed = m.IsComplete();
      } else {
        steer::grammar::Matcher f = m.bytes().Fork();
        allowed = f.AcceptBytes(c.token_bytes(t));
      }
      if (m.bytes().limit_hit()) return 0;
      if (allowed != mask.Test(static_cast<size_t>(t))) __builtin_trap();
      const std::string& b = c.token_bytes(t);
      if (allowed && t != c.eos() && b.size() > next_len && text.substr(0, b.size()) == b) next = t, next_len = b.size();
    }
    if (next < 0 || !m.AcceptToken(next)) return 0;
    text.remove_prefix(next_len);
  }
  return 0;
}
