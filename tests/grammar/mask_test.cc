// Oracle agreement for token masks: FillMask must equal the brute-force mask
// (every token's bytes fed to a fork of the byte matcher; specials never,
// EOS iff complete) on random reachable states, reached by sampling allowed
// tokens, across llama.cpp's grammars and three real vocabularies (SPM 32k,
// GPT-2 50k, Llama-3 128k). Rollback to an earlier point must give back the
// mask seen there.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "shared_data.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/gbnf.h"
#include "steer/grammar/json_schema.h"
#include "steer/grammar/regex.h"
#include "steer/util/rng.h"
#include "steer/util/file.h"
#include "vocab_loader.h"

namespace steer::grammar {
namespace {

DynamicBitset BruteForceMask(const CompiledGrammar& cg, const TokenMatcher& m) {
  DynamicBitset mask(static_cast<size_t>(cg.vocab_size()));
  if (m.IsFinished()) return mask;
  for (int32_t t = 0; t < cg.vocab_size(); ++t) {
    if (t == cg.eos()) {
      mask.Assign(static_cast<size_t>(t), m.IsComplete());
      continue;
    }
    const std::string& b = cg.token_bytes(t);
    if (cg.is_special(t) || b.empty()) continue;
    Matcher f = m.bytes().Fork();
    mask.Assign(static_cast<size_t>(t), f.AcceptBytes(b));
  }
  return mask;
}

int32_t SampleAllowed(const DynamicBitset& mask, Rng* rng) {
  size_t count = mask.Count();
  if (count == 0) return -1;
  size_t k = static_cast<size_t>(rng->UniformInt(count));
  int32_t pick = -1;
  mask.ForEachSet([&](size_t i) {
    if (k-- == 0) pick = static_cast<int32_t>(i);
  });
  return pick;
}

// Random walks from the root; returns the number of states compared.
int CheckWalks(const std::shared_ptr<const CompiledGrammar>& cg, int states, uint64_t seed, const std::string& what) {
  Rng rng(seed);
  TokenMatcher m(cg);
  std::vector<DynamicBitset> history;  // history[k] = mask after k tokens on the current path
  DynamicBitset mask;
  int compared = 0;
  while (compared < states) {
    m.FillMask(&mask);
    DynamicBitset expect = BruteForceMask(*cg, m);
    if (!(mask == expect)) {
      size_t shown = 0;
      std::string diff;
      for (int32_t t = 0; t < cg->vocab_size() && shown < 5; ++t) {
        if (mask.Test(static_cast<size_t>(t)) != expect.Test(static_cast<size_t>(t))) {
          std::string shown_bytes;  // printable, other bytes as \\NNN (decimal)
          for (char ch : cg->token_bytes(t)) {
            const auto u = static_cast<uint8_t>(ch);
            if (u >= 32 && u < 127) {
              shown_bytes += ch;
            } else {
              shown_bytes += '\\';
              shown_bytes += std::to_string(u);
            }
          }
          diff += " token " + std::to_string(t) + " [" + shown_bytes + "] fill=" +
                  std::to_string(mask.Test(static_cast<size_t>(t)));
          ++shown;
        }
      }
      ADD_FAILURE() << what << ": mask differs after " << m.num_tokens() << " tokens:" << diff;
      return compared;
    }
    ++compared;
    history.resize(m.num_tokens());
    history.push_back(mask);
    int32_t t = SampleAllowed(mask, &rng);
    if (t < 0 || m.num_tokens() >= 40 || rng.UniformInt(50) == 0) {
      // Roll back to a random earlier point and check the mask there.
      size_t back = static_cast<size_t>(rng.UniformInt(m.num_tokens() + 1));
      m.Rollback(m.num_tokens() - back);
      m.FillMask(&mask);
      EXPECT_TRUE(mask == history[back]) << what << ": mask after rollback to " << back << " tokens differs";
      continue;
    }
    if (!m.AcceptToken(t)) {
      ADD_FAILURE() << what << ": an allowed token was refused";
      return compared;
    }
  }
  return compared;
}

struct VocabCase {
  const char* name;
  const char* path;
};

constexpr VocabCase kVocabs[] = {
    {"llama-spm-32k", "vocab/ggml-vocab-llama-spm.gguf"},
    {"gpt2-50k", "vocab/ggml-vocab-gpt-2.gguf"},
    {"llama3-128k", "vocab/hf/llama3/tokenizer.json"},
};

void RunAgreement(int states_per_grammar) {
  for (const VocabCase& vc : kVocabs) {
    STEER_REQUIRE_SHARED(vpath, vc.path);
    auto vocab = testing::LoadVocabulary(vpath);
    ASSERT_TRUE(vocab.ok()) << vocab.error().ToString();
    ASSERT_GE(vocab->eos, 0) << vc.name;
    STEER_REQUIRE_SHARED(dir, "grammar-data/gbnf");
    std::vector<std::pair<std::string, Grammar>> grammars;
    for (const char* name : {"arithmetic", "c", "chess", "english", "japanese", "json", "json_arr", "list"}) {
      auto g = ParseGbnf(ReadFile(dir + "/" + name + ".gbnf").value());
      ASSERT_TRUE(g.ok());
      grammars.emplace_back(name, std::move(*g));
    }
    for (const char* re : {"[a-z]+( [a-z]+)*\\.", "\\d{1,3}(,\\d{3})*", "(\"[^\"]*\"|\\w+)\\s*=\\s*\\d+"}) {
      auto g = ParseRegex(re);
      ASSERT_TRUE(g.ok());
      grammars.emplace_back(re, std::move(*g));
    }
    uint64_t seed = 1;
    for (auto& [name, g] : grammars) {
      auto cg = CompiledGrammar::Create(g, *vocab);
      ASSERT_TRUE(cg.ok()) << cg.error().ToString();
      std::string what = std::string(vc.name) + " / " + name;
      EXPECT_EQ(CheckWalks(*cg, states_per_grammar, seed++, what), states_per_grammar) << what;
      // The same walk with the mask cache disabled agrees too (cold path only).
      CompileOptions no_cache;
      no_cache.mask_cache_bytes = 0;
      auto cold = CompiledGrammar::Create(g, *vocab, no_cache);
      ASSERT_TRUE(cold.ok());
      EXPECT_EQ(CheckWalks(*cold, states_per_grammar / 4, seed++, what + " (no cache)"), states_per_grammar / 4);
    }
  }
}

// The default build checks 24 states per (vocabulary, grammar) plus 6 with
// the mask cache off (990 states in all); the `slow` build (STEER_MASK_SLOW)
// checks 200 + 50 (8250 states).
#ifdef STEER_MASK_SLOW
TEST(MaskAgreementSlowTest, RandomReachableStates) { RunAgreement(200); }
#else
TEST(MaskAgreementTest, RandomReachableStates) { RunAgreement(24); }

// A synthetic vocabulary: EOS (id 0, special) then `count` tokens, each the
// concatenation of 1..max_units units chosen by pick(rng).
template <typename Pick>
Vocabulary RandomVocabulary(int count, int max_units, uint64_t seed, Pick pick) {
  Rng rng(seed);
  Vocabulary v;
  v.token_bytes = {"<eos>"};
  v.eos = 0;
  v.special_ids = {0};
  for (int t = 0; t < count; ++t) {
    std::string tok;
    for (int k = 0, len = 1 + static_cast<int>(rng.UniformInt(static_cast<uint64_t>(max_units))); k < len; ++k) {
      tok += pick(rng);
    }
    v.token_bytes.push_back(tok);
  }
  return v;
}

// Trie nodes below the root: the distinct non-empty token prefixes.
int64_t TrieNodes(const Vocabulary& v) {
  std::set<std::string> prefixes;
  for (const std::string& t : v.token_bytes) {
    for (size_t k = 1; k <= t.size(); ++k) prefixes.insert(t.substr(0, k));
  }
  return static_cast<int64_t>(prefixes.size());
}

// Trie nodes one cold FillMask visits from the state after `text` (on a
// fresh compile, so that nothing is cached).
int64_t NodesVisitedAfter(const Grammar& g, const Vocabulary& v, std::string_view text) {
  auto cg = CompiledGrammar::Create(g, v);
  EXPECT_TRUE(cg.ok());
  Matcher probe((*cg)->parser());
  EXPECT_TRUE(probe.AcceptBytes(text));
  DynamicBitset mask;
  int64_t before = (*cg)->trie_nodes_visited();
  (*cg)->FillMaskForState(probe.state(), &mask);
  return (*cg)->trie_nodes_visited() - before;
}

// One CompiledGrammar shared by 4 threads (parse states and masks are built
// concurrently under its lock) gives the masks a private one gives.
TEST(MaskTest, SharedAcrossThreadsEqualsSingleThreaded) {
  STEER_REQUIRE_SHARED(vpath, "vocab/ggml-vocab-gpt-2.gguf");
  STEER_REQUIRE_SHARED(gpath, "grammar-data/gbnf/json.gbnf");
  auto vocab = testing::LoadVocabulary(vpath);
  ASSERT_TRUE(vocab.ok());
  auto index = VocabIndex::Build(std::move(*vocab));
  ASSERT_TRUE(index.ok());
  auto g = ParseGbnf(ReadFile(gpath).value());
  ASSERT_TRUE(g.ok());
  constexpr int kThreads = 4, kSteps = 40;
  std::vector<std::vector<int32_t>> walks(kThreads);
  std::vector<std::vector<DynamicBitset>> expect(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    auto cg = CompiledGrammar::Create(*g, *index);
    ASSERT_TRUE(cg.ok());
    TokenMatcher m(*cg);
    Rng rng(100 + static_cast<uint64_t>(t));
    DynamicBitset mask;
    for (int step = 0; step < kSteps; ++step) {
      m.FillMask(&mask);
      expect[static_cast<size_t>(t)].push_back(mask);
      if (mask.Test(static_cast<size_t>(cg.value()->eos()))) mask.Reset(static_cast<size_t>(cg.value()->eos()));
      int32_t tok = SampleAllowed(mask, &rng);
      if (tok < 0) break;
      ASSERT_TRUE(m.AcceptToken(tok));
      walks[static_cast<size_t>(t)].push_back(tok);
    }
  }
  auto shared = CompiledGrammar::Create(*g, *index);
  ASSERT_TRUE(shared.ok());
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TokenMatcher m(*shared);
      DynamicBitset mask;
      const auto& walk = walks[static_cast<size_t>(t)];
      for (size_t step = 0; step < expect[static_cast<size_t>(t)].size(); ++step) {
        m.FillMask(&mask);
        if (!(mask == expect[static_cast<size_t>(t)][step])) ++mismatches[static_cast<size_t>(t)];
        if (step < walk.size() && !m.AcceptToken(walk[step])) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[static_cast<size_t>(t)], 0) << "thread " << t;
}

// Inside a string most bytes loop on one parse state, and the walk jumps
// between the trie nodes that leave the loop (quotes, escapes, non-ASCII
// bytes) instead of stepping through every node. Synthetic vocabulary: 6,000
// random tokens over 40 ASCII characters (quote and backslash included) plus
// a few UTF-8 bytes, so that subtrees are large and mix loop and exit bytes.
TEST(MaskTest, LoopJumpAgreesWithBruteForce) {
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \\\",\xC3\xA9";
  Vocabulary v = RandomVocabulary(6000, 8, 7, [&](Rng& rng) {
    return std::string(1, alphabet[static_cast<size_t>(rng.UniformInt(alphabet.size()))]);
  });
  auto g = ParseGbnf(R"(root ::= "\"" ([^"\\] | "\\" ["\\n])* "\"" ("," root)?)");
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  auto cg = CompiledGrammar::Create(*g, v);
  ASSERT_TRUE(cg.ok());
  EXPECT_EQ(CheckWalks(*cg, 60, 11, "string grammar"), 60);
  // Every walk from a string-body state would visit the whole trie without
  // the jump; with it, only nodes on paths that leave the loop.
  EXPECT_LT(NodesVisitedAfter(*g, v, "\"ab"), TrieNodes(v) / 3) << "the loop jump was not taken";
}

// The same jump through non-ASCII text: a string body returns to itself
// through every valid multi-byte character, so the walk also jumps over
// those (TokenTrie::ExitTable with utf8). The vocabulary is mostly 2-, 3- and
// 4-byte characters, with broken pieces (a lone lead byte, a stray
// continuation byte) that make exits inside a character.
TEST(MaskTest, Utf8LoopJumpAgreesWithBruteForce) {
  const std::vector<std::string> units = {"a", "b", " ", "\"", "\\", "\xC3\xA9", "\xD0\xB6", "\xD0\xBF",
                                          "\xE4\xB8\xAD", "\xE6\x96\x87", "\xED\x9F\xBF", "\xF0\x9F\x98\x80",
                                          "\xF4\x8F\xBF\xBF", "\xC3", "\xE4\xB8", "\x80", "\xBF",
                                          "\xE2\x80\xA8", "\xC2\x85", "\xE2\x80\xA7"};
  // Mostly whole multi-byte characters (units 5..12).
  Vocabulary v = RandomVocabulary(6000, 5, 8, [&](Rng& rng) {
    return units[rng.UniformInt(10) < 7 ? 5 + rng.UniformInt(8) : rng.UniformInt(units.size())];
  });
  // The second grammar's body also excludes U+2028 and U+0085 (as a regex
  // `.` excludes line separators): a few characters that fail only at their
  // last byte are exits of the UTF-8 table, not a reason to walk it all.
  for (const char* body : {R"([^"\\])", R"([^"\\\u2028\x85])"}) {
    SCOPED_TRACE(body);
    auto g = ParseGbnf(std::string(R"(root ::= "\"" ()") + body + R"( | "\\" ["\\n])* "\"" ("," root)?)");
    ASSERT_TRUE(g.ok()) << g.error().ToString();
    auto cg = CompiledGrammar::Create(*g, v);
    ASSERT_TRUE(cg.ok());
    EXPECT_EQ(CheckWalks(*cg, 60, 12, "utf8 string grammar"), 60);
    EXPECT_LT(NodesVisitedAfter(*g, v, "\"a\xE4\xB8\xAD"), TrieNodes(v) / 3) << "the UTF-8 loop jump was not taken";
    // Right after the opening quote the state is not the body yet but enters
    // it on every character: the jump is taken from there too.
    EXPECT_LT(NodesVisitedAfter(*g, v, "\""), TrieNodes(v) / 3) << "the loop entry jump was not taken";
  }
}

// Whether every multi-byte character loops in a string body is proved once
// per character class, not once per context: each of the 12 keys below puts
// the same body in a new context (new parse states). A cold mask in the first
// body builds the class proof's states; later bodies reuse the proof and
// build only the states their walk visits (none here), where a proof inside
// each body would build 16 per context.
TEST(MaskTest, Utf8ProofIsSharedBetweenContexts) {
  const std::vector<std::string> units = {"a", "b", " ", "\"", "\xC3\xA9", "\xD0\xB6", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80"};
  Vocabulary v = RandomVocabulary(6000, 5, 21, [&](Rng& rng) { return units[rng.UniformInt(units.size())]; });
  auto g = ParseGbnf(R"(root ::= "{" member "}"
member ::= "k0" str | "k1" str | "k2" str | "k3" str | "k4" str | "k5" str | "k6" str | "k7" str | "k8" str | "k9" str | "ka" str | "kb" str
str ::= "\"" [^"\\]* "\"")");
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  auto cg = CompiledGrammar::Create(*g, v);
  ASSERT_TRUE(cg.ok());
  DynamicBitset mask;
  std::vector<int64_t> added;
  for (const char* key : {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "ka", "kb"}) {
    Matcher m((*cg)->parser());
    ASSERT_TRUE(m.AcceptBytes(std::string("{") + key + "\"ab"));
    const int64_t before = (*cg)->parse_states();
    (*cg)->FillMaskForState(m.state(), &mask);
    added.push_back((*cg)->parse_states() - before);
    EXPECT_TRUE(mask.Count() > 0);
  }
  for (size_t k = 1; k < added.size(); ++k) EXPECT_LE(added[k], 6) << "context " << k << "; the first built " << added[0];
}

// A string with a length bound has one parse state per position (a chain)
// and no loop; the walk still jumps: member paths of m characters end in
// the chain's m-th state, and paths longer than the chain are cut at their
// first character past it (ChainJump). Bounds of 20 and 60 exercise exits
// along the chain and the cut (tokens of up to 40 units), 3 and 12 the
// plain walk that short chains fall back to; all against brute force.
TEST(MaskTest, ChainJumpAgreesWithBruteForce) {
  const std::vector<std::string> units = {"a", "b", "c", " ", "\"", "\\", "\xC3\xA9", "\xD0\xB6",
                                          "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xC3", "\x80", ","};
  auto pick = [&](Rng& rng) {
    return units[rng.UniformInt(10) < 6 ? rng.UniformInt(4) : rng.UniformInt(units.size())];
  };
  Vocabulary v = RandomVocabulary(6000, 8, 9, pick);
  // Some tokens longer than 16 characters, so that a chain of 16+ positions
  // is cut (shorter chains that need a cut are walked plainly).
  Vocabulary long_tokens = RandomVocabulary(300, 40, 10, pick);
  v.token_bytes.insert(v.token_bytes.end(), long_tokens.token_bytes.begin() + 1, long_tokens.token_bytes.end());
  for (int bound : {3, 12, 20, 60}) {
    SCOPED_TRACE("bound " + std::to_string(bound));
    auto g = ParseGbnf("root ::= \"\\\"\" ([^\"\\\\] | \"\\\\\" [\"\\\\n]){0," + std::to_string(bound) +
                       "} \"\\\"\" (\",\" root)?");
    ASSERT_TRUE(g.ok()) << g.error().ToString();
    auto compiled = CompiledGrammar::Create(*g, v);
    ASSERT_TRUE(compiled.ok());
    EXPECT_EQ(CheckWalks(*compiled, 80, 13 + static_cast<uint64_t>(bound), "bounded string"), 80);
    if (bound >= 20) {
      EXPECT_LT(NodesVisitedAfter(*g, v, "\"ab"), TrieNodes(v) / 3) << "the chain jump was not taken";
    }
  }
}

// Loops start after their first character, so that the walk can jump there:
// x+ is lowered as P ::= x | P x (not x x*), and a free JSON key (one that
// is not a named property) as R ::= c | R char.
TEST(MaskTest, LoopsStartAfterTheFirstCharacter) {
  auto g = ParseGbnf(R"(root ::= "a" [b-z]+ "!")");
  ASSERT_TRUE(g.ok());
  auto parser = CompileParser(*g, {});
  ASSERT_TRUE(parser.ok());
  Matcher one(*parser), two(*parser);
  ASSERT_TRUE(one.AcceptBytes("ab"));
  ASSERT_TRUE(two.AcceptBytes("abc"));
  EXPECT_EQ(one.state(), two.state());
  auto schema = CompileJsonSchema(R"({"type": "object", "properties": {"name": {"type": "string"}}})", {});
  ASSERT_TRUE(schema.ok()) << schema.error().ToString();
  auto sp = CompileParser(*schema, {});
  ASSERT_TRUE(sp.ok());
  Matcher k1(*sp), k2(*sp), named(*sp);
  ASSERT_TRUE(k1.AcceptBytes("{\"x"));
  ASSERT_TRUE(k2.AcceptBytes("{\"xy"));
  EXPECT_EQ(k1.state(), k2.state());
  ASSERT_TRUE(named.AcceptBytes("{\"na"));
  EXPECT_NE(named.state(), k1.state());  // still possibly the named property
}

TEST(MaskTest, EosSpecialAndEmptyTokens) {
  Vocabulary v;
  v.token_bytes = {"a", "b", "ab", "", "<eos>", "<ctl>", "\xC3", "\xA9", "\xC3\xA9"};
  v.eos = 4;
  v.special_ids = {4, 5};
  auto g = ParseGbnf("root ::= \"a\"+ \"\xC3\xA9\"?");
  ASSERT_TRUE(g.ok());
  auto cg = CompiledGrammar::Create(*g, v);
  ASSERT_TRUE(cg.ok());
  TokenMatcher m(*cg);
  DynamicBitset mask;
  m.FillMask(&mask);
  auto bits = [&]() {
    std::string s;
    for (size_t i = 0; i < mask.size(); ++i) s += mask.Test(i) ? '1' : '0';
    return s;
  };
  EXPECT_EQ(bits(), "100000000");
  EXPECT_FALSE(m.AcceptToken(4));  // EOS before complete
  EXPECT_FALSE(m.AcceptToken(3));  // empty token
  ASSERT_TRUE(m.AcceptToken(0));
  m.FillMask(&mask);
  EXPECT_EQ(bits(), "100010101");  // a, EOS, the lead byte alone, the whole character
  EXPECT_FALSE(m.AcceptToken(5));  // special
  ASSERT_TRUE(m.AcceptToken(6));   // ends inside the UTF-8 character
  m.FillMask(&mask);
  EXPECT_EQ(bits(), "000000010");
  ASSERT_TRUE(m.AcceptToken(7));
  m.FillMask(&mask);
  EXPECT_EQ(bits(), "000010000");
  ASSERT_TRUE(m.AcceptToken(4));
  EXPECT_TRUE(m.IsFinished());
  m.FillMask(&mask);
  EXPECT_EQ(bits(), "000000000");
  EXPECT_FALSE(m.AcceptToken(0));
  m.Rollback(3);
  EXPECT_EQ(m.num_tokens(), 1u);
  m.FillMask(&mask);
  EXPECT_EQ(bits(), "100010101");
}
#endif  // STEER_MASK_SLOW

}  // namespace
}  // namespace steer::grammar
