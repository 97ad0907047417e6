#include <gtest/gtest.h>

#include "steer/grammar/gbnf.h"
#include "steer/grammar/matcher.h"
#include "steer/grammar/regex.h"

namespace steer::grammar {
namespace {

// "accept", "prefix" or "reject" for s under the grammar.
std::string Verdict(const Grammar& g, std::string_view s) {
  auto p = CompileParser(g);
  EXPECT_TRUE(p.ok());
  Matcher m(*p);
  if (!m.AcceptBytes(s)) return "reject";
  return m.IsComplete() ? "accept" : "prefix";
}

std::string GbnfVerdict(std::string_view grammar, std::string_view s) {
  auto g = ParseGbnf(grammar);
  EXPECT_TRUE(g.ok()) << g.error().ToString();
  return g.ok() ? Verdict(*g, s) : "bad grammar";
}

std::string RegexVerdict(std::string_view pattern, std::string_view s) {
  auto g = ParseRegex(pattern);
  EXPECT_TRUE(g.ok()) << pattern << ": " << g.error().ToString();
  return g.ok() ? Verdict(*g, s) : "bad pattern";
}

std::string GbnfError(std::string_view grammar) {
  auto g = ParseGbnf(grammar);
  return g.ok() ? "ok" : g.error().ToString();
}

TEST(GbnfTest, Basics) {
  EXPECT_EQ(GbnfVerdict("root ::= \"ab\" | \"c\"+", "ab"), "accept");
  EXPECT_EQ(GbnfVerdict("root ::= \"ab\" | \"c\"+", "a"), "prefix");
  EXPECT_EQ(GbnfVerdict("root ::= \"ab\" | \"c\"+", "ccc"), "accept");
  EXPECT_EQ(GbnfVerdict("root ::= \"ab\" | \"c\"+", "ca"), "reject");
  EXPECT_EQ(GbnfVerdict("root ::= x{2,3}\nx ::= [0-9]", "12"), "accept");
  EXPECT_EQ(GbnfVerdict("root ::= x{2,3}\nx ::= [0-9]", "1234"), "reject");
  EXPECT_EQ(GbnfVerdict("root ::= x{2,}\nx ::= [0-9]", "1234567"), "accept");
  EXPECT_EQ(GbnfVerdict("root ::= x{2}\nx ::= [0-9]", "123"), "reject");
  EXPECT_EQ(GbnfVerdict("root ::= [^a-c]", "d"), "accept");
  EXPECT_EQ(GbnfVerdict("root ::= [^a-c]", "b"), "reject");
  EXPECT_EQ(GbnfVerdict("root ::= .", "\xE2\x98\x95"), "accept");  // one code point, three bytes
  EXPECT_EQ(GbnfVerdict("root ::= .", "\xE2\x98"), "prefix");
  // Escapes are code points: \xE9 is U+00E9, two bytes in UTF-8.
  EXPECT_EQ(GbnfVerdict("root ::= \"\\xE9\\u00e8\\U0001F600\\n\"", "\xC3\xA9\xC3\xA8\xF0\x9F\x98\x80\n"), "accept");
  EXPECT_EQ(GbnfVerdict("root ::= [\\x00-\\x1F]", "\t"), "accept");
  // Newlines end a rule except inside parentheses; comments anywhere.
  EXPECT_EQ(GbnfVerdict("# c\nroot ::= (\n  \"a\" # x\n  | \"b\"\n) # y\n\nother ::= \"z\"\n", "b"), "accept");
  EXPECT_EQ(GbnfVerdict("root ::= | \"a\"", ""), "accept");
  EXPECT_EQ(GbnfVerdict("root ::= [\\]\\[]", "]"), "accept");
}

TEST(GbnfTest, ErrorsCarryLineAndColumn) {
  EXPECT_EQ(GbnfError("root ::= \"a\"\nx ::= [a-"), "2:7: unterminated character class");
  EXPECT_EQ(GbnfError("root ::= foo"), "1:10: undefined rule 'foo'");
  EXPECT_EQ(GbnfError("rot ::= \"a\""), "1:12: grammar has no 'root' rule");
  EXPECT_EQ(GbnfError("root ::= \"a\n"), "1:10: unterminated string literal");
  EXPECT_EQ(GbnfError("root ::= \"\\q\""), "1:11: unknown escape '\\q'");
  EXPECT_EQ(GbnfError("root ::= * \"a\""), "1:10: '*' has nothing to repeat");
  EXPECT_EQ(GbnfError("root ::= (\"a\""), "1:14: expected ')' to close the group");
  EXPECT_EQ(GbnfError("root = \"a\""), "1:6: expected '::=' after rule name");
  EXPECT_EQ(GbnfError("root ::= \"a\" )"), "1:14: expected newline or end of input, found ')'");
  EXPECT_EQ(GbnfError("root ::= \"a\"{3,2}"), "1:13: repetition maximum is below its minimum");
  EXPECT_EQ(GbnfError("root ::= \"a\"\nroot ::= \"b\""), "2:1: rule 'root' is defined twice");
  EXPECT_EQ(GbnfError("root ::= [z-a]"), "1:13: character range is out of order");
  EXPECT_EQ(GbnfError("root ::= a\na ::= a \"x\" | \"y\""), "2:1: rule 'a' is left-recursive (not allowed in GBNF)");
}

TEST(GbnfTest, LeftRecursionWhenAllowed) {
  GbnfOptions opt;
  opt.allow_left_recursion = true;
  auto g = ParseGbnf("root ::= root \"+\" n | n\nn ::= [0-9]", opt);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(Verdict(*g, "1+2+3"), "accept");
  EXPECT_EQ(Verdict(*g, "1+2+"), "prefix");
  // Hidden left recursion through a nullable prefix is still found.
  EXPECT_NE(GbnfError("root ::= e\ne ::= o e \"x\" | \"y\"\no ::= \"z\"?"), "ok");
}

TEST(GbnfTest, LimitsAndPathologicalInput) {
  GbnfOptions opt;
  opt.limits.max_nesting = 50;
  auto deep = ParseGbnf("root ::= " + std::string(100, '(') + "\"a\"" + std::string(100, ')'), opt);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(deep.error().location, "1:60");
  auto big = ParseGbnf("root ::= \"a\"{0,100000}");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("max_repeat_bound"), std::string::npos);
  // x? repeated 50 times: ambiguous and nullable everywhere, still linear.
  std::string g = "root ::=";
  for (int i = 0; i < 50; ++i) g += " \"x\"?";
  EXPECT_EQ(GbnfVerdict(g, std::string(50, 'x')), "accept");
  EXPECT_EQ(GbnfVerdict(g, std::string(51, 'x')), "reject");
  // A huge class lowers to a handful of byte alternatives.
  EXPECT_EQ(GbnfVerdict("root ::= [\\u0001-\\U0010FFFF]+", "a\xF4\x8F\xBF\xBF"), "accept");
}

TEST(RegexTest, Basics) {
  EXPECT_EQ(RegexVerdict("\\d+", "123"), "accept");
  EXPECT_EQ(RegexVerdict("\\d+", ""), "prefix");
  EXPECT_EQ(RegexVerdict("\\d+", "12a"), "reject");
  EXPECT_EQ(RegexVerdict("^(ab|c)*?$", "abcab"), "accept");
  EXPECT_EQ(RegexVerdict("a{2,3}", "aaa"), "accept");
  EXPECT_EQ(RegexVerdict("a{2,3}", "aaaa"), "reject");
  EXPECT_EQ(RegexVerdict("a{,2}", "aa"), "accept");
  EXPECT_EQ(RegexVerdict("a{2,}", "aaaaa"), "accept");
  EXPECT_EQ(RegexVerdict("a{x}", "a{x}"), "accept");  // not a quantifier: literal braces
  EXPECT_EQ(RegexVerdict("[\\w.-]+@[a-z]+\\.com", "a.b-c@ex.com"), "accept");
  EXPECT_EQ(RegexVerdict("[^\\d\\s]", "x"), "accept");
  EXPECT_EQ(RegexVerdict("[^\\d\\s]", "5"), "reject");
  EXPECT_EQ(RegexVerdict("[\\D]", "5"), "reject");
  EXPECT_EQ(RegexVerdict(".", "\n"), "reject");
  EXPECT_EQ(RegexVerdict("(?s).", "\n"), "accept");
  EXPECT_EQ(RegexVerdict("(?i)abc", "AbC"), "accept");
  EXPECT_EQ(RegexVerdict("x(?i:b)y", "xBy"), "accept");
  EXPECT_EQ(RegexVerdict("x(?i:b)y", "xBY"), "reject");
  EXPECT_EQ(RegexVerdict("(?P<n>a)(?<m>b)(?:c)", "abc"), "accept");
  EXPECT_EQ(RegexVerdict("\\u00e9\\x41\\u{1F600}\\.", "\xC3\xA9" "A\xF0\x9F\x98\x80."), "accept");
  EXPECT_EQ(RegexVerdict("[]a]", "]"), "accept");
  EXPECT_EQ(RegexVerdict("[a-]", "-"), "accept");
  EXPECT_EQ(RegexVerdict("caf\xC3\xA9|na\xC3\xAFve", "na\xC3\xAFve"), "accept");
  EXPECT_EQ(RegexVerdict("a|", ""), "accept");
}

TEST(RegexTest, UnsupportedAndErrors) {
  struct Case {
    const char* pattern;
    ErrorCode code;
    const char* location;
  };
  for (Case c : {Case{"a(?=b)", ErrorCode::kUnsupported, "1:2"}, Case{"(?<!a)b", ErrorCode::kUnsupported, "1:1"},
                 Case{"(a)\\1", ErrorCode::kUnsupported, "1:4"}, Case{"\\bword", ErrorCode::kUnsupported, "1:1"},
                 Case{"a^b", ErrorCode::kUnsupported, "1:2"}, Case{"a$b", ErrorCode::kUnsupported, "1:2"},
                 Case{"(^a)", ErrorCode::kUnsupported, "1:2"}, Case{"a*+", ErrorCode::kUnsupported, "1:3"},
                 Case{"\\p{L}", ErrorCode::kUnsupported, "1:1"}, Case{"(?P=n)", ErrorCode::kUnsupported, "1:1"},
                 Case{"*a", ErrorCode::kInvalidInput, "1:1"}, Case{"a**", ErrorCode::kInvalidInput, "1:3"},
                 Case{"(ab", ErrorCode::kInvalidInput, "1:1"}, Case{"ab)", ErrorCode::kInvalidInput, "1:3"},
                 Case{"[ab", ErrorCode::kInvalidInput, "1:1"}, Case{"[z-a]", ErrorCode::kInvalidInput, "1:4"},
                 Case{"\\q", ErrorCode::kInvalidInput, "1:1"}, Case{"a{3,2}", ErrorCode::kInvalidInput, "1:2"},
                 Case{"(?P", ErrorCode::kInvalidInput, "1:1"}, Case{"(?P<", ErrorCode::kInvalidInput, "1:5"},
                 Case{"\\xZZ", ErrorCode::kInvalidInput, "1:3"}, Case{"[\\d-z]", ErrorCode::kInvalidInput, "1:2"}}) {
    auto g = ParseRegex(c.pattern);
    ASSERT_FALSE(g.ok()) << c.pattern;
    EXPECT_EQ(g.error().code, c.code) << c.pattern << ": " << g.error().ToString();
    EXPECT_EQ(g.error().location, c.location) << c.pattern << ": " << g.error().ToString();
  }
  EXPECT_TRUE(ParseRegex("^a|^b$").ok());
}

TEST(RegexTest, NestingLimit) {
  GrammarLimits lim;
  lim.max_nesting = 100;
  auto g = ParseRegex(std::string(5000, '(') + std::string(5000, ')'), lim);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace steer::grammar
