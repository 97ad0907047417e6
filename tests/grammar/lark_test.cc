// Lark front end: syntax, %ignore and %import semantics, errors with
// line:column, the shared lark cases, and the Lark conversions of llama.cpp's
// grammars against their verified strings (CFG semantics make the languages
// equal to the GBNF originals).
#include "steer/grammar/lark.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "language.h"
#include "shared_data.h"
#include "steer/grammar/matcher.h"

namespace steer::grammar {
namespace {

using Json = nlohmann::json;

class Lark : public Language {
 public:
  explicit Lark(std::string_view text) : Language(ParseLark(text)) {}
};

TEST(Lark, RulesTerminalsAndOperators) {
  Lark l(R"(
start: greeting ("," NAME)* "!"?
?greeting: "hello"i -> hi
         | "bye"
NAME: /[a-z]+/ | "X" ~ 2..3
)");
  ASSERT_TRUE(l.ok()) << l.error();
  EXPECT_TRUE(l.Accepts("hello"));
  EXPECT_TRUE(l.Accepts("HeLLo,abc,XX!"));
  EXPECT_TRUE(l.Accepts("bye,XXX"));
  EXPECT_FALSE(l.Accepts("bye,X"));
  EXPECT_FALSE(l.Accepts("bye,XXXX"));
  EXPECT_FALSE(l.Accepts("BYE"));
}

TEST(Lark, IgnoreGoesBetweenTokensNotInsideThem) {
  Lark l(R"(
%import common.WS
%import common.INT
%ignore WS
start: INT ("+" INT)*
)");
  ASSERT_TRUE(l.ok()) << l.error();
  EXPECT_TRUE(l.Accepts("1+2"));
  EXPECT_TRUE(l.Accepts("  1 +\n 23  "));
  EXPECT_FALSE(l.Accepts("1 2"));    // no "+"
  EXPECT_FALSE(l.Accepts("1+2 3"));  // whitespace may not split an INT
}

TEST(Lark, CommonTerminals) {
  Lark l(R"(
%import common (SIGNED_NUMBER, ESCAPED_STRING, CNAME)
%import common.WS_INLINE -> SP
start: CNAME SP SIGNED_NUMBER SP ESCAPED_STRING
)");
  ASSERT_TRUE(l.ok()) << l.error();
  EXPECT_TRUE(l.Accepts("_x1 -1.5e3 \"a\\\"b\""));
  EXPECT_TRUE(l.Accepts("x +7 \"\""));
  EXPECT_FALSE(l.Accepts("1x 7 \"\""));
  EXPECT_TRUE(l.Accepts("x 7. \"\""));  // DECIMAL allows "7."
  EXPECT_FALSE(l.Accepts("x 7.. \"\""));
  EXPECT_FALSE(l.Accepts("x 7 \"a\"b\""));
}

TEST(Lark, CfgSemanticsNotMaximalMunch) {
  // A greedy lexer gives A all of "aa" and then fails on B; the CFG reading
  // accepts it (documented in lark.h).
  Lark l("start: A B\nA: /a+/\nB: \"a\"\n");
  ASSERT_TRUE(l.ok()) << l.error();
  EXPECT_TRUE(l.Accepts("aa"));
  EXPECT_FALSE(l.Accepts("a"));
}

TEST(Lark, ErrorsCarryLineAndColumn) {
  struct Case {
    const char* text;
    const char* location;
    const char* message;
  };
  const Case kCases[] = {
      {"start: a\n", "1:8", "undefined rule a"},
      {"start: \"a\"\nstart: \"b\"\n", "2:1", "duplicate rule"},
      {"start: A\nA: \"a\" B\nB: \"b\" A\n", "", "circular reference in token"},
      {"start: \"a\"{3,2}\n", "1:11", "range end must be >= start"},
      {"start: (\"a\"\n", "", "expected ')'"},
      {"%import common.NOPE\nstart: \"a\"\n", "1:16", "Unknown common"},
      {"start: /a(?=b)/\n", "1:8", "regex"},
      {"start: A\nA: b\nb: \"x\"\n", "2:4", "references rule"},
      {"x: \"a\"\n", "", "no start rule"},
  };
  for (const Case& c : kCases) {
    Result<Grammar> g = ParseLark(c.text);
    ASSERT_FALSE(g.ok()) << c.text;
    if (*c.location) {
      EXPECT_EQ(g.error().location, c.location) << c.text << " -> " << g.error().ToString();
    }
    EXPECT_NE(g.error().message.find(c.message), std::string::npos) << c.text << " -> " << g.error().ToString();
  }
}

TEST(Lark, DeepNestingIsALimit) {
  std::string t = "start: " + std::string(5000, '(') + "\"a\"" + std::string(5000, ')') + "\n";
  Result<Grammar> g = ParseLark(t);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kResourceExhausted);
}

TEST(LarkCases, VisibleCases) {
  STEER_REQUIRE_SHARED(path, "grammar-data/cases-visible.jsonl");
  std::ifstream in(path);
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    Json c = Json::parse(line);
    if (c["format"] != "lark") continue;
    ++cases;
    const std::string id = c["id"];
    const std::string expect = c.value("expect", "match");
    if (expect == "parse_error") {
      EXPECT_FALSE(ParseLark(c["grammar"].get<std::string>()).ok()) << id;
      continue;
    }
    Lark l(c["grammar"].get<std::string>());
    ASSERT_TRUE(l.ok()) << id << ": " << l.error();
    for (const auto& s : c.value("accept", Json::array())) {
      EXPECT_TRUE(l.Accepts(s.get<std::string>())) << id << " should accept " << s.dump();
    }
    Json viable = c.value("reject_viable_prefix", Json::array());
    for (const auto& s : c.value("reject", Json::array())) {
      EXPECT_FALSE(l.Accepts(s.get<std::string>())) << id << " should reject " << s.dump();
      // The data marks only some viable prefixes ("A" of "AB" is not marked).
      if (std::find(viable.begin(), viable.end(), s) != viable.end()) {
        EXPECT_TRUE(l.Prefix(s.get<std::string>())) << id << " prefix " << s.dump();
      }
    }
  }
  EXPECT_EQ(cases, 16);
}

TEST(LarkCases, LlamaCppGrammarsConvertedToLark) {
  STEER_REQUIRE_SHARED(dir, "grammar-data/gbnf");
  int grammars = 0;
  for (const char* name : {"arithmetic", "c", "chess", "english", "japanese", "json", "json_arr", "list"}) {
    std::ifstream lf(dir + "/" + name + ".lark"), cf(dir + "/" + name + ".cases.json");
    std::stringstream ls, cs;
    ls << lf.rdbuf();
    cs << cf.rdbuf();
    Lark l(ls.str());
    ASSERT_TRUE(l.ok()) << name << ": " << l.error();
    Json c = Json::parse(cs.str());
    for (const auto& s : c["accept"]) EXPECT_TRUE(l.Accepts(s.get<std::string>())) << name << " " << s.dump();
    for (const auto& s : c["reject"]) EXPECT_FALSE(l.Accepts(s.get<std::string>())) << name << " " << s.dump();
    ++grammars;
  }
  EXPECT_EQ(grammars, 8);
}

}  // namespace
}  // namespace steer::grammar
