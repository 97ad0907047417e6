// Contract checks for every potential, plus oracle agreement for the
// incremental implementations (MaxIdentLen, Coerce's trie walk).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "steer/potential/byte_constraint.h"
#include "steer/potential/combinators.h"
#include "steer/potential/contract.h"
#include "steer/potential/toy_lm.h"
#include "steer/util/rng.h"

namespace steer::potential {
namespace {

std::vector<std::vector<TokenId>> AllContexts(int32_t v, int max_len) {
  std::vector<std::vector<TokenId>> out = {{}};
  for (size_t i = 0; i < out.size(); ++i) {
    if (static_cast<int>(out[i].size()) == max_len) continue;
    for (TokenId t = 0; t < v; ++t) {
      auto next = out[i];
      next.push_back(t);
      out.push_back(next);
    }
  }
  return out;
}

std::vector<TokenId> Bytes(std::string_view s) {
  std::vector<TokenId> out;
  for (char c : s) out.push_back(static_cast<uint8_t>(c));
  return out;
}

// A ToyLm whose next-token weights depend on the whole context, with a zero
// (token 2 never follows token 1) so −inf rows appear.
std::shared_ptr<ToyLm> ContextLm() {
  return std::make_shared<ToyLm>(3, [](std::span<const TokenId> ctx, std::span<double> w) {
    const double n = static_cast<double>(ctx.size());
    w[0] = 1.0 + n;
    w[1] = 2.0;
    w[2] = (!ctx.empty() && ctx.back() == 1) ? 0.0 : 0.5;
    w[3] = 0.25 * (1 + n);
  });
}

TEST(ToyLm, PassesContract) {
  auto lm = ContextLm();
  auto contexts = AllContexts(3, 4);
  Status st = CheckContract(*lm, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
}

TEST(ToyLm, TableBacksOffToLongestSuffix) {
  ToyLm::Table table = {{{}, {1, 1, 2}}, {{0}, {3, 1, 0}}, {{1, 0}, {0, 1, 1}}};
  ToyLm lm(2, table);
  double row[3];
  const std::vector<TokenId> ctx = {1, 0};
  ASSERT_TRUE(lm.LogWeightNextOf(ctx, row).ok());
  EXPECT_EQ(row[0], kLogZero);
  EXPECT_NEAR(row[1], std::log(0.5), 1e-12);
  const std::vector<TokenId> ctx2 = {0, 0};  // backs off to {0}
  ASSERT_TRUE(lm.LogWeightNextOf(ctx2, row).ok());
  EXPECT_NEAR(row[0], std::log(0.75), 1e-12);
  EXPECT_EQ(row[2], kLogZero);
  EXPECT_NEAR(*lm.LogCompleteOf(std::vector<TokenId>{1}), std::log(0.25) + std::log(0.5), 1e-12);
  auto contexts = AllContexts(2, 4);
  Status st = CheckContract(lm, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
}

// Balanced parentheses over bytes with depth <= 2; other bytes forbidden.
std::shared_ptr<ByteConstraint> Parens() {
  auto depth_ok = [](std::string_view s, bool need_closed) {
    int d = 0;
    for (char c : s) {
      if (c == '(') ++d;
      else if (c == ')') --d;
      else return false;
      if (d < 0 || d > 2) return false;
    }
    return !need_closed || d == 0;
  };
  return std::make_shared<ByteConstraint>(
      "parens", [=](std::string_view s) { return depth_ok(s, false); },
      [=](std::string_view s) { return depth_ok(s, true); });
}

TEST(ByteConstraint, PassesContract) {
  auto p = Parens();
  std::vector<std::vector<TokenId>> contexts = {{}, Bytes("("), Bytes("(("), Bytes("(()"), Bytes("()"),
                                                Bytes("(((") /* dead */, Bytes("x"), Bytes(")(")};
  Status st = CheckContract(*p, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(*p->LogCompleteOf(Bytes("(())")), 0.0);
  EXPECT_EQ(*p->LogCompleteOf(Bytes("(()")), kLogZero);
  EXPECT_EQ(*p->LogPrefixOf(Bytes("(((")), kLogZero);
}

// Naive oracle for max-ident-len: split into word runs, check each.
bool IdentsWithin(std::string_view s, int n) {
  size_t i = 0;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < s.size()) {
    if (!word(s[i]) || (s[i] & 0x80)) { ++i; continue; }
    size_t j = i;
    while (j < s.size() && word(s[j]) && !(s[j] & 0x80)) ++j;
    const bool number = std::isdigit(static_cast<unsigned char>(s[i]));
    if (!number && static_cast<int>(j - i) > n) return false;
    i = j;
  }
  return true;
}

TEST(MaxIdentLen, PassesContract) {
  MaxIdentLen p(3);
  std::vector<std::vector<TokenId>> contexts = {{},          Bytes("ab"),   Bytes("abc"), Bytes("abcd"),
                                                Bytes("1"),  Bytes("12345abcd"), Bytes("a b"), Bytes("_x_"),
                                                Bytes("x.y")};
  Status st = CheckContract(p, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  MaxIdentLen zero(0);
  std::vector<std::vector<TokenId>> z = {{}, Bytes(" "), Bytes("1")};
  st = CheckContract(zero, z);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
}

TEST(MaxIdentLen, AgreesWithNaiveOracleOnRandomStrings) {
  const std::string alphabet = "ab_1 .(\xc3";
  Rng rng(7);
  for (int n : {0, 1, 3, 5}) {
    MaxIdentLen p(n);
    for (int trial = 0; trial < 2000; ++trial) {
      std::string s;
      const int len = static_cast<int>(rng.UniformInt(12));
      for (int i = 0; i < len; ++i) s.push_back(alphabet[rng.UniformInt(alphabet.size())]);
      const double want = IdentsWithin(s, n) ? 0.0 : kLogZero;
      ASSERT_EQ(*p.LogPrefixOf(Bytes(s)), want) << "n=" << n << " s=" << s;
      ASSERT_EQ(*p.LogCompleteOf(Bytes(s)), want) << "n=" << n << " s=" << s;
    }
  }
}

const std::vector<std::string> kToyTokens = {"a", "b", "ab", "ba", "_", "", "abc", "(", ")", "1"};

TEST(Coerce, PassesContractOverMaxIdentLen) {
  auto c = Coerce(std::make_shared<MaxIdentLen>(3), kToyTokens);
  ASSERT_TRUE(c.ok());
  auto contexts = AllContexts(static_cast<int32_t>(kToyTokens.size()), 2);
  Status st = CheckContract(**c, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
}

TEST(Coerce, PassesContractOverUserCallback) {
  auto c = Coerce(Parens(), kToyTokens);
  ASSERT_TRUE(c.ok());
  auto contexts = AllContexts(static_cast<int32_t>(kToyTokens.size()), 2);
  Status st = CheckContract(**c, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
}

// The trie walk equals the byte potential applied to concatenated bytes.
TEST(Coerce, TrieRowEqualsConcatenatedBytes) {
  auto inner = std::make_shared<MaxIdentLen>(3);
  auto c = Coerce(inner, kToyTokens);
  ASSERT_TRUE(c.ok());
  const int32_t v = static_cast<int32_t>(kToyTokens.size());
  std::vector<double> row(v + 1);
  for (const auto& ctx : AllContexts(v, 2)) {
    std::string bytes;
    bool has_empty = false;
    for (TokenId t : ctx) {
      bytes += kToyTokens[t];
      has_empty |= kToyTokens[t].empty();
    }
    ASSERT_TRUE((*c)->LogWeightNextOf(ctx, row).ok());
    const double base = has_empty ? kLogZero : *inner->LogPrefixOf(Bytes(bytes));
    for (TokenId t = 0; t < v; ++t) {
      double want = kLogZero;
      if (base != kLogZero && !kToyTokens[t].empty()) want = *inner->LogPrefixOf(Bytes(bytes + kToyTokens[t])) - base;
      ASSERT_EQ(row[t], want) << "token " << t;
    }
  }
}

TEST(Product, PassesContractAndMultiplies) {
  auto lm = std::make_shared<ToyLm>(static_cast<int32_t>(kToyTokens.size()),
                                    [](std::span<const TokenId> ctx, std::span<double> w) {
                                      for (size_t i = 0; i < w.size(); ++i) w[i] = 1.0 + (i + ctx.size()) % 3;
                                    });
  auto c = Coerce(std::make_shared<MaxIdentLen>(2), kToyTokens);
  ASSERT_TRUE(c.ok());
  auto prod = Product({lm, *c});
  ASSERT_TRUE(prod.ok());
  auto contexts = AllContexts(static_cast<int32_t>(kToyTokens.size()), 2);
  Status st = CheckContract(**prod, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  for (const auto& ctx : contexts) {
    EXPECT_EQ(*(*prod)->LogPrefixOf(ctx), *lm->LogPrefixOf(ctx) + *(*c)->LogPrefixOf(ctx));
  }
}

TEST(Power, PassesContractAndScales) {
  auto lm = ContextLm();
  auto pw = Power(lm, 0.5);
  ASSERT_TRUE(pw.ok());
  auto contexts = AllContexts(3, 3);
  Status st = CheckContract(**pw, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  for (const auto& ctx : contexts) EXPECT_EQ(*(*pw)->LogCompleteOf(ctx), 0.5 * *lm->LogCompleteOf(ctx));
  // Zeros stay zeros, never NaN.
  EXPECT_EQ(*(*pw)->LogPrefixOf(std::vector<TokenId>{1, 2}), kLogZero);
}

TEST(Primed, EqualsTheBaseAfterTheContext) {
  auto ident = std::make_shared<MaxIdentLen>(10);
  auto primed = Primed(ident, Bytes("(account_"));
  ASSERT_TRUE(primed.ok());
  std::vector<std::vector<TokenId>> contexts = {{}, Bytes("nu"), Bytes("num"), Bytes("1)")};
  Status st = CheckContract(**primed, contexts);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(*(*primed)->LogPrefixOf(Bytes("nu")), 0.0);   // account_nu: 10
  EXPECT_EQ(*(*primed)->LogPrefixOf(Bytes("num")), kLogZero);  // account_num: 11
  EXPECT_FALSE(Primed(ident, {300}).ok());
}

// The O(V) token-level fast path equals the coerced byte scanner (oracle)
// on random token sequences over a vocabulary of awkward tokens.
TEST(MaxIdentLenTokens, AgreesWithCoercedByteScanner) {
  const std::vector<std::string> vocab = {"a", "bc", "_x", "1", "12ab", "a b", " ", "(x", "x)", "ab.cd",
                                          "a.bcdef.g", "9z.", "", "..", "xy1", ".1a", "q(r)s"};
  Rng rng(3);
  for (int n : {0, 2, 4}) {
    for (const char* init : {"", "acc", "12", "x.", "abcde"}) {
      MaxIdentLenTokens fast(n, vocab, init);
      std::vector<TokenId> init_bytes = Bytes(init);
      auto slow = *Coerce(*Primed(std::make_shared<MaxIdentLen>(n), init_bytes), vocab);
      const int32_t v = static_cast<int32_t>(vocab.size());
      std::vector<double> rf(v + 1), rs(v + 1);
      for (int trial = 0; trial < 150; ++trial) {
        std::vector<TokenId> ctx;
        const int len = static_cast<int>(rng.UniformInt(4));
        for (int i = 0; i < len; ++i) ctx.push_back(static_cast<TokenId>(rng.UniformInt(v)));
        ASSERT_EQ(*fast.LogPrefixOf(ctx), *slow->LogPrefixOf(ctx)) << "n=" << n << " init=" << init;
        ASSERT_EQ(*fast.LogCompleteOf(ctx), *slow->LogCompleteOf(ctx));
        ASSERT_TRUE(fast.LogWeightNextOf(ctx, rf).ok());
        ASSERT_TRUE(slow->LogWeightNextOf(ctx, rs).ok());
        ASSERT_EQ(rf, rs) << "n=" << n << " init=" << init << " trial " << trial;
      }
      std::vector<std::vector<TokenId>> contexts = {{}, {0}, {4, 9}, {10}};
      Status st = CheckContract(fast, contexts);
      ASSERT_TRUE(st.ok()) << st.error().ToString();
    }
  }
}

TEST(Combinators, RejectBadArguments) {
  auto lm = ContextLm();
  EXPECT_FALSE(Product({}).ok());
  EXPECT_FALSE(Product({lm, std::make_shared<MaxIdentLen>(2)}).ok());
  EXPECT_FALSE(Power(lm, 0).ok());
  EXPECT_FALSE(Power(lm, std::nan("")).ok());
  EXPECT_FALSE(Coerce(lm, kToyTokens).ok());
  EXPECT_EQ(Product({lm, std::make_shared<MaxIdentLen>(2)}).error().code, ErrorCode::kInvalidArgument);
}

// The checker itself must catch a broken potential: an LM whose prefix
// forgets one factor.
class BrokenLm final : public Potential {
 public:
  struct S : State { double lp = 0; int n = 0; };
  int32_t vocab_size() const override { return 2; }
  std::string name() const override { return "broken"; }
  Result<StatePtr> Start() override { return StatePtr(std::make_unique<S>()); }
  StatePtr Fork(const State& s) override { return std::make_unique<S>(static_cast<const S&>(s)); }
  Status Extend(std::span<State* const> st, std::span<const TokenId> t) override {
    for (size_t i = 0; i < st.size(); ++i) {
      auto& s = static_cast<S&>(*st[i]);
      if (s.n++ != 1) s.lp += std::log(0.25);  // skips the second factor
    }
    return {};
  }
  double LogPrefix(const State& s) const override { return static_cast<const S&>(s).lp; }
  Status LogComplete(std::span<const State* const> st, std::span<double> out) override {
    for (size_t i = 0; i < st.size(); ++i) out[i] = LogPrefix(*st[i]) + std::log(0.5);
    return {};
  }
  Status LogWeightNext(std::span<const State* const> st, std::span<double> out) override {
    for (size_t i = 0; i < st.size(); ++i) {
      out[3 * i] = out[3 * i + 1] = std::log(0.25);
      out[3 * i + 2] = std::log(0.5);
    }
    return {};
  }
};

TEST(CheckContract, CatchesABrokenPotential) {
  BrokenLm broken;
  auto contexts = AllContexts(2, 2);
  Status st = CheckContract(broken, contexts);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("logw_next"), std::string::npos) << st.error().ToString();
}

}  // namespace
}  // namespace steer::potential
