// RE2-style exhaustive testing: every small grammar over the alphabet {a, b}
// (expression trees up to a few nodes, with recursive references) against
// every string up to a small length, comparing the Earley matcher with the
// naive fixpoint oracle on membership, viable prefix, next bytes and
// rollback.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "oracle.h"
#include "steer/grammar/ir.h"
#include "steer/grammar/matcher.h"

namespace steer::grammar {
namespace {

// A grammar-independent description of an expression tree.
struct Tree {
  enum Kind { kA, kB, kAB, kEps, kRef0, kRef1, kSeq, kAlt, kStar, kPlus, kOpt, kTwice, kOneTwo } kind;
  std::vector<int> kids;  // indices into the pool
};

class Enumerator {
 public:
  Enumerator(bool two_rules, int max_size) {
    by_size_.resize(static_cast<size_t>(max_size) + 1);
    std::vector<Tree::Kind> atoms = {Tree::kA, Tree::kB, Tree::kAB, Tree::kEps, Tree::kRef0};
    if (two_rules) atoms.push_back(Tree::kRef1);
    for (auto k : atoms) Push(1, {k, {}});
    for (int s = 2; s <= max_size; ++s) {
      for (int c : by_size_[static_cast<size_t>(s - 1)]) {
        for (auto k : {Tree::kStar, Tree::kPlus, Tree::kOpt, Tree::kTwice, Tree::kOneTwo}) Push(s, {k, {c}});
      }
      for (int l = 1; l + 1 < s; ++l) {
        int r = s - 1 - l;
        for (int a : by_size_[static_cast<size_t>(l)])
          for (int b : by_size_[static_cast<size_t>(r)])
            for (auto k : {Tree::kSeq, Tree::kAlt}) Push(s, {k, {a, b}});
      }
    }
  }
  const std::vector<int>& OfSize(int s) const { return by_size_[static_cast<size_t>(s)]; }

  ExprId Build(int t, Grammar* g, RuleId r0, RuleId r1) const {
    const Tree& n = pool_[static_cast<size_t>(t)];
    switch (n.kind) {
      case Tree::kA: return g->Literal("a");
      case Tree::kB: return g->Literal("b");
      case Tree::kAB: return g->Bytes(ByteSet::Range('a', 'b'));
      case Tree::kEps: return g->Empty();
      case Tree::kRef0: return g->Ref(r0);
      case Tree::kRef1: return g->Ref(r1);
      case Tree::kSeq: return g->Seq({Build(n.kids[0], g, r0, r1), Build(n.kids[1], g, r0, r1)});
      case Tree::kAlt: return g->Alt({Build(n.kids[0], g, r0, r1), Build(n.kids[1], g, r0, r1)});
      case Tree::kStar: return g->Star(Build(n.kids[0], g, r0, r1));
      case Tree::kPlus: return g->Plus(Build(n.kids[0], g, r0, r1));
      case Tree::kOpt: return g->Optional(Build(n.kids[0], g, r0, r1));
      case Tree::kTwice: return g->Repeat(Build(n.kids[0], g, r0, r1), 2, 2);
      case Tree::kOneTwo: return g->Repeat(Build(n.kids[0], g, r0, r1), 1, 2);
    }
    return -1;
  }

 private:
  void Push(int size, Tree t) {
    pool_.push_back(std::move(t));
    by_size_[static_cast<size_t>(size)].push_back(static_cast<int>(pool_.size() - 1));
  }
  std::vector<Tree> pool_;
  std::vector<std::vector<int>> by_size_;
};

// Walks every string over {a, b} up to max_len depth-first with Rollback and
// compares with the oracle. Returns the number of mismatches (reported).
int CheckGrammar(const Grammar& g, int max_len) {
  auto parser = CompileParser(g);
  EXPECT_TRUE(parser.ok()) << parser.error().ToString();
  if (!parser.ok()) return 1;
  testing::OracleMatcher oracle(g);
  Matcher m(*parser);
  int failures = 0;
  std::string s;
  std::function<void()> visit = [&]() {
    bool complete = oracle.Complete(s);
    if (m.IsComplete() != complete) {
      ADD_FAILURE() << "complete(\"" << s << "\") matcher=" << m.IsComplete() << " oracle=" << complete << "\n"
                    << g.ToString();
      ++failures;
    }
    ByteSet next;
    for (char c : {'a', 'b'}) {
      s.push_back(c);
      if (oracle.Prefix(s)) next.Add(static_cast<uint8_t>(c));
      s.pop_back();
    }
    if (!(m.NextBytes() == next) || m.CanContinue() != !next.Empty()) {
      ADD_FAILURE() << "next bytes after \"" << s << "\" differ\n" << g.ToString();
      ++failures;
    }
    if (static_cast<int>(s.size()) == max_len || failures > 0) return;
    for (char c : {'a', 'b'}) {
      bool accepted = m.AcceptByte(static_cast<uint8_t>(c));
      if (accepted != next.Contains(static_cast<uint8_t>(c))) {
        ADD_FAILURE() << "accept '" << c << "' after \"" << s << "\" matcher=" << accepted << "\n" << g.ToString();
        ++failures;
      }
      if (!accepted) continue;
      s.push_back(c);
      visit();
      s.pop_back();
      m.Rollback(1);
    }
  };
  visit();
  return failures;
}

TEST(ExhaustiveTest, OneRuleUpTo5Nodes) {
  Enumerator en(/*two_rules=*/false, 5);
  int grammars = 0;
  for (int size = 1; size <= 5; ++size) {
    for (int t : en.OfSize(size)) {
      Grammar g;
      RuleId r = g.DeclareRule("r");
      g.DefineRule(r, en.Build(t, &g, r, r));
      g.SetStart(r);
      ++grammars;
      ASSERT_EQ(CheckGrammar(g, 6), 0);
    }
  }
  EXPECT_GT(grammars, 10000);
}

TEST(ExhaustiveTest, TwoRulesUpTo2NodesEach) {
  Enumerator en(/*two_rules=*/true, 3);
  std::vector<int> small;
  for (int size = 1; size <= 3; ++size)
    for (int t : en.OfSize(size)) small.push_back(t);
  int grammars = 0;
  for (size_t i = 0; i < small.size(); i += 1) {
    for (size_t j = 0; j < small.size(); j += 3) {
      Grammar g;
      RuleId r0 = g.DeclareRule("s");
      RuleId r1 = g.DeclareRule("t");
      g.DefineRule(r0, en.Build(small[i], &g, r0, r1));
      g.DefineRule(r1, en.Build(small[j], &g, r0, r1));
      g.SetStart(r0);
      ++grammars;
      ASSERT_EQ(CheckGrammar(g, 5), 0);
    }
  }
  EXPECT_GT(grammars, 5000);
}

TEST(ExhaustiveTest, ForkIsIndependent) {
  // s ::= "a" s "b" | ""   (a^n b^n)
  Grammar g;
  RuleId s = g.DeclareRule("s");
  g.DefineRule(s, g.Alt({g.Seq({g.Literal("a"), g.Ref(s), g.Literal("b")}), g.Empty()}));
  g.SetStart(s);
  auto p = CompileParser(g);
  ASSERT_TRUE(p.ok());
  Matcher m(*p);
  ASSERT_TRUE(m.AcceptBytes("aa"));
  Matcher f = m.Fork();
  EXPECT_TRUE(f.AcceptBytes("bb"));
  EXPECT_TRUE(f.IsComplete());
  EXPECT_FALSE(m.IsComplete());
  EXPECT_TRUE(m.AcceptBytes("ab"));
  EXPECT_FALSE(m.IsComplete());
  EXPECT_FALSE(m.AcceptBytes("bbb"));  // all or nothing
  EXPECT_EQ(m.num_bytes(), 4u);
  EXPECT_TRUE(m.AcceptBytes("bb"));
  EXPECT_TRUE(m.IsComplete());
  m.Rollback(3);
  EXPECT_EQ(m.num_bytes(), 3u);
  EXPECT_TRUE(m.AcceptBytes("bbb"));
  EXPECT_TRUE(m.IsComplete());
}

}  // namespace
}  // namespace steer::grammar

namespace steer::grammar {
namespace {

TEST(MatcherLimitsTest, EarleySetSizeLimitRejectsAndIsReported) {
  // s ::= s s | "a": maximally ambiguous; set k holds items for every origin.
  Grammar g;
  RuleId s = g.DeclareRule("s");
  g.DefineRule(s, g.Alt({g.Seq({g.Ref(s), g.Ref(s)}), g.Literal("a")}));
  g.SetStart(s);
  auto free = CompileParser(g);
  ASSERT_TRUE(free.ok());
  Matcher m(*free);
  EXPECT_TRUE(m.AcceptBytes(std::string(200, 'a')));
  EXPECT_TRUE(m.IsComplete());
  EXPECT_FALSE(m.limit_hit());

  MatcherOptions tight;
  tight.max_set_items = 64;
  auto capped = CompileParser(g, tight);
  ASSERT_TRUE(capped.ok());
  Matcher c(*capped);
  EXPECT_FALSE(c.AcceptBytes(std::string(200, 'a')));
  EXPECT_TRUE(c.limit_hit());
  EXPECT_EQ(c.num_bytes(), 0u);  // all or nothing

  MatcherOptions few_states;
  few_states.max_states = 10;
  auto small = CompileParser(g, few_states);
  ASSERT_TRUE(small.ok());
  Matcher d(*small);
  EXPECT_FALSE(d.AcceptBytes(std::string(50, 'a')));
  EXPECT_TRUE(d.limit_hit());
}

// The first parse set alone can pass the limit (found by mask_fuzz: a GBNF
// grammar of a hundred nested `+`); that is a compile error, not a crash.
TEST(MatcherLimitsTest, FirstSetOverTheLimitIsACompileError) {
  Grammar g;
  RuleId r = g.DeclareRule("r");
  std::vector<ExprId> alts;
  for (char c = 'a'; c <= 'z'; ++c) alts.push_back(g.Literal(std::string(1, c)));
  g.DefineRule(r, g.Alt(std::move(alts)));
  g.SetStart(r);
  MatcherOptions tight;
  tight.max_set_items = 8;
  auto capped = CompileParser(g, tight);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(capped.error().message.find("max_set_items (8)"), std::string::npos) << capped.error().message;
  EXPECT_TRUE(CompileParser(g).ok());
}

TEST(MatcherLimitsTest, PathologicalGrammarsStayFast) {
  // ("x"?){50} style: 50 optional atoms in a row, fed 50 x's, and a deeply
  // nested one; each must finish far below a second (checked by ctest's
  // timeout; here we check the answers).
  Grammar g;
  RuleId r = g.DeclareRule("r");
  std::vector<ExprId> opts;
  for (int i = 0; i < 50; ++i) opts.push_back(g.Optional(g.Literal("x")));
  g.DefineRule(r, g.Seq(opts));
  g.SetStart(r);
  auto p = CompileParser(g);
  ASSERT_TRUE(p.ok());
  Matcher m(*p);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(m.AcceptByte('x'));
    EXPECT_TRUE(m.IsComplete());
  }
  EXPECT_FALSE(m.AcceptByte('x'));

  Grammar h;
  RuleId q = h.DeclareRule("q");
  ExprId e = h.Literal("y");
  for (int i = 0; i < 500; ++i) e = h.Seq({h.Literal("("), h.Optional(e), h.Literal(")")});
  h.DefineRule(q, e);
  h.SetStart(q);
  auto ph = CompileParser(h);
  ASSERT_TRUE(ph.ok()) << ph.error().ToString();
  Matcher n(*ph);
  EXPECT_TRUE(n.AcceptBytes(std::string(500, '(') + "y" + std::string(500, ')')));
  EXPECT_TRUE(n.IsComplete());
}

}  // namespace
}  // namespace steer::grammar
