#include "steer/grammar/ir.h"

#include <gtest/gtest.h>

#include "oracle.h"
#include "steer/util/rng.h"
#include "steer/util/utf8.h"

namespace steer::grammar {
namespace {

using testing::OracleMatcher;

TEST(ByteSetTest, Basics) {
  ByteSet s = ByteSet::Range('a', 'c');
  s.Add(0xFF);
  EXPECT_EQ(s.Count(), 4);
  EXPECT_TRUE(s.Contains('b'));
  EXPECT_FALSE(s.Contains('d'));
  EXPECT_TRUE(s.Contains(0xFF));
  EXPECT_EQ(ByteSet::All().Count(), 256);
  EXPECT_TRUE(ByteSet().Empty());
  ByteSet t = ByteSet::Single('z');
  t |= s;
  EXPECT_EQ(t.Count(), 5);
  EXPECT_FALSE(t == s);
}

// Word-level range and set operations against byte-by-byte oracles.
TEST(ByteSetTest, RangesAndSetOperationsMatchBytewiseOracle) {
  for (int lo = 0; lo < 256; ++lo) {
    for (int hi = lo; hi < 256; ++hi) {
      ByteSet r = ByteSet::Range(static_cast<uint8_t>(lo), static_cast<uint8_t>(hi));
      ASSERT_EQ(r.Count(), hi - lo + 1) << lo << ".." << hi;
      ASSERT_TRUE(r.Contains(static_cast<uint8_t>(lo)) && r.Contains(static_cast<uint8_t>(hi)));
      if (lo > 0) {
        ASSERT_FALSE(r.Contains(static_cast<uint8_t>(lo - 1)));
      }
      if (hi < 255) {
        ASSERT_FALSE(r.Contains(static_cast<uint8_t>(hi + 1)));
      }
    }
  }
  Rng rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    ByteSet a, b;
    for (int k = 0; k < 100; ++k) a.Add(static_cast<uint8_t>(rng.UniformInt(256)));
    for (int k = 0; k < 100; ++k) b.Add(static_cast<uint8_t>(rng.UniformInt(256)));
    ByteSet both = a, minus = a;
    both &= b;
    minus.Subtract(b);
    for (int x = 0; x < 256; ++x) {
      uint8_t c = static_cast<uint8_t>(x);
      ASSERT_EQ(both.Contains(c), a.Contains(c) && b.Contains(c));
      ASSERT_EQ(minus.Contains(c), a.Contains(c) && !b.Contains(c));
    }
  }
}

TEST(GrammarTest, DeclareDefineAndValidate) {
  Grammar g;
  RuleId root = g.DeclareRule("root");
  EXPECT_EQ(g.DeclareRule("root"), root);
  RuleId item = g.DeclareRule("item");
  EXPECT_EQ(g.FindRule("item"), item);
  EXPECT_EQ(g.FindRule("nope"), -1);
  g.DefineRule(root, g.Star(g.Ref(item)));
  g.SetStart(root);
  Status st = g.Validate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("'item'"), std::string::npos) << st.error().message;
  g.DefineRule(item, g.Literal("ab"));
  EXPECT_TRUE(g.Validate().ok());
  EXPECT_EQ(g.ToString(), "root ::= (item)*\nitem ::= (\"a\" \"b\")\n");
}

TEST(GrammarTest, ValidateNeedsStartAndChecksLimits) {
  Grammar g;
  RuleId r = g.DeclareRule("r");
  g.DefineRule(r, g.Empty());
  EXPECT_FALSE(g.Validate().ok());  // no start
  g.SetStart(r);
  EXPECT_TRUE(g.Validate().ok());

  GrammarLimits lim;
  lim.max_repeat_bound = 5;
  Grammar h(lim);
  RuleId s = h.DeclareRule("s");
  h.DefineRule(s, h.Repeat(h.Literal("a"), 2, 6));
  h.SetStart(s);
  Status st = h.Validate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(st.error().message.find("max_repeat_bound"), std::string::npos);

  Grammar bad;
  RuleId b = bad.DeclareRule("b");
  bad.DefineRule(b, bad.Repeat(bad.Literal("a"), 3, 2));
  bad.SetStart(b);
  EXPECT_FALSE(bad.Validate().ok());

  GrammarLimits deep;
  deep.max_expr_depth = 10;
  Grammar d(deep);
  RuleId dr = d.DeclareRule("d");
  ExprId e = d.Literal("x");
  for (int i = 0; i < 20; ++i) e = d.Optional(e);
  d.DefineRule(dr, e);
  d.SetStart(dr);
  st = d.Validate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("max_expr_depth"), std::string::npos);
}

TEST(GrammarTest, NewRuleIsFresh) {
  Grammar g;
  g.DeclareRule("x_0");
  RuleId a = g.NewRule("x");
  RuleId b = g.NewRule("x");
  EXPECT_NE(a, b);
  EXPECT_NE(g.rule(a).name, "x_0");
  EXPECT_NE(g.rule(a).name, g.rule(b).name);
}

// Checks the expression against every scalar value (in a stride, plus all
// edges) and a sample of invalid sequences, through the oracle.
void CheckCodepoints(const std::vector<std::pair<uint32_t, uint32_t>>& ranges, bool negated) {
  Grammar g;
  ExprId e = g.Codepoints(ranges, negated);
  RuleId r = g.DeclareRule("r");
  g.DefineRule(r, e);
  g.SetStart(r);
  ASSERT_TRUE(g.Validate().ok());
  OracleMatcher oracle(g);
  auto in_set = [&](uint32_t cp) {
    bool in = false;
    for (auto [lo, hi] : ranges) in = in || (cp >= lo && cp <= hi);
    return negated ? !in : in;
  };
  std::vector<uint32_t> cps;
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x3000 ? 1 : 97)) cps.push_back(cp);
  for (auto [lo, hi] : ranges) {
    for (int64_t d = -2; d <= 2; ++d) {
      for (int64_t base : {int64_t{lo}, int64_t{hi}}) {
        int64_t cp = base + d;
        if (cp >= 0 && cp <= 0x10FFFF) cps.push_back(static_cast<uint32_t>(cp));
      }
    }
  }
  for (uint32_t edge : {0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
    cps.push_back(edge);
  }
  for (uint32_t cp : cps) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    EXPECT_EQ(oracle.Complete(utf8::Encode(cp)), in_set(cp)) << std::hex << "U+" << cp;
  }
  // Surrogates (encoded CESU-style), overlongs, truncations and stray
  // continuation bytes are never matched.
  for (std::string bad : {std::string("\xED\xA0\x80"), std::string("\xC0\x80"), std::string("\xE0\x80\x80"),
                          std::string("\x80"), std::string("\xF4\x90\x80\x80"), std::string("\xE2\x82")}) {
    EXPECT_FALSE(oracle.Complete(bad));
  }
  // Random byte strings: matched iff they are exactly one valid code point in the set.
  Rng rng(7);
  for (int t = 0; t < 3000; ++t) {
    std::string s;
    int n = 1 + static_cast<int>(rng.UniformInt(4));
    for (int i = 0; i < n; ++i) {
      uint8_t b = static_cast<uint8_t>(rng.UniformInt(2) ? 0x80 + rng.UniformInt(64) : rng.UniformInt(256));
      s.push_back(static_cast<char>(b));
    }
    size_t len = 0;
    uint32_t cp = utf8::Decode(s, 0, &len);
    bool expect = cp != utf8::kInvalid && len == s.size() && in_set(cp);
    EXPECT_EQ(oracle.Complete(s), expect) << "bytes " << s.size();
  }
}

TEST(CodepointsTest, Ascii) { CheckCodepoints({{'a', 'z'}, {'0', '9'}}, false); }
TEST(CodepointsTest, NegatedAscii) { CheckCodepoints({{'"', '"'}, {'\\', '\\'}}, true); }
TEST(CodepointsTest, AnyCodepoint) { CheckCodepoints({}, true); }
TEST(CodepointsTest, CrossesEveryLengthBoundary) { CheckCodepoints({{0x70, 0x10005}}, false); }
TEST(CodepointsTest, OddRanges) {
  CheckCodepoints({{0x3B1, 0x3C9}, {0x4E00, 0x9FFF}, {0x1F600, 0x1F64F}, {0xD000, 0xE100}}, false);
  CheckCodepoints({{0x3B1, 0x3C9}, {0x4E00, 0x9FFF}, {0x1F600, 0x1F64F}}, true);
}
TEST(CodepointsTest, EmptyMatchesNothing) {
  Grammar g;
  RuleId r = g.DeclareRule("r");
  g.DefineRule(r, g.Codepoints({{0xD800, 0xDFFF}}));
  g.SetStart(r);
  ASSERT_TRUE(g.Validate().ok());
  OracleMatcher oracle(g);
  EXPECT_FALSE(oracle.Complete(""));
  EXPECT_FALSE(oracle.Prefix("\xED"));
  EXPECT_EQ(g.ToString(), "r ::= []\n");
}

TEST(CodepointsTest, AnyCodepointIsCompact) {
  Grammar g;
  int before = g.num_exprs();
  g.AnyCodepoint();
  EXPECT_LE(g.num_exprs() - before, 32);  // 29 today: 4 lengths, shared suffixes
}

TEST(OracleTest, PrefixAndLeftRecursion) {
  // e ::= e "+" "a" | "a"
  Grammar g;
  RuleId e = g.DeclareRule("e");
  g.DefineRule(e, g.Alt({g.Seq({g.Ref(e), g.Literal("+a")}), g.Literal("a")}));
  g.SetStart(e);
  ASSERT_TRUE(g.Validate().ok());
  OracleMatcher o(g);
  EXPECT_TRUE(o.Complete("a+a+a"));
  EXPECT_FALSE(o.Complete("a+a+"));
  EXPECT_TRUE(o.Prefix("a+a+"));
  EXPECT_TRUE(o.Prefix(""));
  EXPECT_FALSE(o.Prefix("a++"));
  EXPECT_FALSE(o.Prefix("+"));
}

}  // namespace
}  // namespace steer::grammar
