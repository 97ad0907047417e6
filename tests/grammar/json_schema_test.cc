// JSON Schema front end: exact numeric ranges against brute force, string
// spellings, key exclusion, errors that name the keyword and pointer, and
// the shared cases (cases-visible.jsonl) through the real Matcher.
#include "steer/grammar/json_schema.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <string>

#include "language.h"
#include "shared_data.h"
#include "steer/grammar/matcher.h"

namespace steer::grammar {
namespace {

using Json = nlohmann::json;

// Compiles a schema for matching; fails the test on error.
class Checker : public Language {
 public:
  explicit Checker(const std::string& schema, JsonSchemaOptions opts = {})
      : Language(CompileJsonSchema(schema, opts)) {}
};

Error CompileError(const std::string& schema) {
  Result<Grammar> g = CompileJsonSchema(schema, {});
  EXPECT_FALSE(g.ok()) << schema;
  return g.ok() ? Error{} : g.error();
}

// Integer bounds: every integer in [-130, 130] plus non-canonical spellings,
// against the exact predicate, for many bound combinations.
TEST(JsonSchemaNumbers, IntegerBoundsMatchBruteForce) {
  const int kBounds[] = {-101, -100, -99, -11, -10, -9, -1, 0, 1, 9, 10, 11, 99, 100, 101};
  for (int lo : kBounds) {
    for (int hi : kBounds) {
      for (int mode = 0; mode < 4; ++mode) {
        const bool lo_ex = mode & 1, hi_ex = mode & 2;
        if (lo > hi) continue;
        Json s = {{"type", "integer"},
                  {lo_ex ? "exclusiveMinimum" : "minimum", lo},
                  {hi_ex ? "exclusiveMaximum" : "maximum", hi}};
        const int elo = lo_ex ? lo + 1 : lo, ehi = hi_ex ? hi - 1 : hi;
        if (elo > ehi) {
          EXPECT_FALSE(CompileJsonSchema(s.dump(), {}).ok()) << s.dump();
          continue;
        }
        Checker c(s.dump());
        ASSERT_TRUE(c.ok()) << s.dump() << ": " << c.error();
        for (int v = -130; v <= 130; ++v) {
          ASSERT_EQ(c.Accepts(std::to_string(v)), v >= elo && v <= ehi) << s.dump() << " v=" << v;
        }
        EXPECT_FALSE(c.Accepts("-0"));
        EXPECT_FALSE(c.Accepts("01"));
        EXPECT_FALSE(c.Accepts("1.0"));
      }
    }
  }
}

TEST(JsonSchemaNumbers, HalfOpenIntegerBounds) {
  Checker lo(R"({"type":"integer","minimum":-12})");
  Checker hi(R"({"type":"integer","exclusiveMaximum":37})");
  ASSERT_TRUE(lo.ok() && hi.ok());
  for (int v = -2000; v <= 2000; ++v) {
    ASSERT_EQ(lo.Accepts(std::to_string(v)), v >= -12) << v;
    ASSERT_EQ(hi.Accepts(std::to_string(v)), v < 37) << v;
  }
  EXPECT_TRUE(lo.Accepts("123456789012345678901234567890"));
  EXPECT_FALSE(hi.Accepts("123456789012345678901234567890"));
  EXPECT_TRUE(hi.Accepts("-123456789012345678901234567890"));
}

// Decimal bounds: random decimals against exact rational comparison (values
// are integers scaled by 1000, so double arithmetic is exact enough).
TEST(JsonSchemaNumbers, DecimalBoundsMatchBruteForce) {
  const char* kBounds[] = {"-11.5", "-2", "-0.25", "0", "0.001", "0.5", "1", "1.25", "10.125"};
  std::mt19937 rng(7);
  for (const char* lo : kBounds) {
    for (const char* hi : kBounds) {
      for (int mode = 0; mode < 4; ++mode) {
        const bool lo_ex = mode & 1, hi_ex = mode & 2;
        const double l = std::stod(lo), h = std::stod(hi);
        if (l > h) continue;
        std::string s = std::string("{\"type\":\"number\",\"") + (lo_ex ? "exclusiveMinimum" : "minimum") +
                        "\":" + lo + ",\"" + (hi_ex ? "exclusiveMaximum" : "maximum") + "\":" + hi + "}";
        if (l == h && (lo_ex || hi_ex)) {
          EXPECT_FALSE(CompileJsonSchema(s, {}).ok()) << s;
          continue;
        }
        Checker c(s);
        ASSERT_TRUE(c.ok()) << s << ": " << c.error();
        for (int t = 0; t < 300; ++t) {
          int milli = static_cast<int>(rng() % 30000) - 15000;
          if (t < 40) milli = static_cast<int>(std::lround(l * 1000)) + t % 5 - 2;
          if (t >= 40 && t < 80) milli = static_cast<int>(std::lround(h * 1000)) + t % 5 - 2;
          const double v = milli / 1000.0;
          const bool want = (lo_ex ? v > l : v >= l) && (hi_ex ? v < h : v <= h);
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.3f", v);
          std::string text = buf;
          if (text == "-0.000") continue;
          ASSERT_EQ(c.Accepts(text), want) << s << " " << text;
          // The same value with trailing zeros, and without fraction when integral.
          ASSERT_EQ(c.Accepts(text + "00"), want) << s << " " << text << "00";
          if (milli % 1000 == 0) {
            std::string ip = std::to_string(milli / 1000);
            if (ip != "-0") {
              ASSERT_EQ(c.Accepts(ip), want) << s << " " << ip;
            }
          }
        }
      }
    }
  }
}

TEST(JsonSchemaStrings, LengthCountsCodePointsInEverySpelling) {
  Checker c(R"({"type":"string","minLength":2,"maxLength":3})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_FALSE(c.Accepts("\"a\""));
  EXPECT_TRUE(c.Accepts("\"ab\""));
  EXPECT_TRUE(c.Accepts("\"a\\n\""));
  EXPECT_TRUE(c.Accepts("\"\\u00e9\\u00E9\""));
  EXPECT_TRUE(c.Accepts("\"\xC3\xA9\xF0\x9F\x98\x80\""));  // é + one astral code point
  EXPECT_TRUE(c.Accepts("\"a\\uD83D\\uDE00\""));          // a surrogate pair is one character
  EXPECT_FALSE(c.Accepts("\"\\uD83D\""));                 // lone surrogate
  EXPECT_FALSE(c.Accepts("\"abcd\""));
  EXPECT_FALSE(c.Accepts("\"a\x01\""));                   // raw control character
}

TEST(JsonSchemaStrings, PatternSeesDecodedCharacters) {
  Checker c(R"({"type":"string","pattern":"^a/b$"})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Accepts("\"a/b\""));
  EXPECT_TRUE(c.Accepts("\"a\\/b\""));
  EXPECT_TRUE(c.Accepts("\"\\u0061/b\""));
  EXPECT_FALSE(c.Accepts("\"a/bc\""));
}

TEST(JsonSchemaStrings, LengthWithPatternOnlyWhenImplied) {
  Checker date(R"({"type":"string","format":"date","minLength":10,"maxLength":12})");
  EXPECT_TRUE(date.ok()) << date.error();
  Checker pat(R"({"type":"string","pattern":"^[a-z]{2,3}$","minLength":2,"maxLength":3})");
  ASSERT_TRUE(pat.ok()) << pat.error();
  EXPECT_TRUE(pat.Accepts("\"abc\""));
  EXPECT_FALSE(pat.Accepts("\"abcd\""));
  Error e = CompileError(R"({"type":"string","pattern":"^[a-z]+$","maxLength":3})");
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.location, "/maxLength");
}

TEST(JsonSchemaObjects, AdditionalKeysCannotSpellANamedKey) {
  Checker c(R"({"type":"object","properties":{"ab":{"type":"integer"}},"additionalProperties":{"type":"string"}})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Accepts("{\"ab\":1}"));
  EXPECT_TRUE(c.Accepts("{\"a\":\"x\"}"));
  EXPECT_TRUE(c.Accepts("{\"abc\":\"x\"}"));
  EXPECT_FALSE(c.Accepts("{\"ab\":\"x\"}"));
  EXPECT_FALSE(c.Accepts("{\"\\u0061b\":\"x\"}"));
  EXPECT_FALSE(c.Accepts("{\"a\\u0062\":\"x\"}"));
}

TEST(JsonSchemaObjects, SchemaOrderOptionalAndCounts) {
  JsonSchemaOptions compact;
  compact.whitespace = JsonWhitespace::kCompact;
  Checker c(R"({"properties":{"a":{},"b":{},"c":{}},"required":["b"],"additionalProperties":false,"maxProperties":2})",
            compact);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Accepts("{\"b\":1}"));
  EXPECT_TRUE(c.Accepts("{\"a\":1,\"b\":2}"));
  EXPECT_TRUE(c.Accepts("{\"b\":1,\"c\":2}"));
  EXPECT_FALSE(c.Accepts("{\"a\":1,\"b\":2,\"c\":3}"));
  EXPECT_FALSE(c.Accepts("{\"a\":1}"));
  EXPECT_FALSE(c.Accepts("{\"b\": 1}"));  // compact whitespace
  EXPECT_TRUE(c.Accepts("{\"c\":1,\"b\":2}"));  // few properties: any order
  EXPECT_FALSE(c.Accepts("{\"b\":1,\"b\":2}"));  // but each at most once
  JsonSchemaOptions ordered;
  ordered.max_any_order_properties = 0;
  Checker o(R"({"properties":{"a":{},"b":{}}})", ordered);
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_TRUE(o.Accepts("{\"a\":1,\"b\":2}"));
  EXPECT_FALSE(o.Accepts("{\"b\":1,\"a\":2}"));
}

TEST(JsonSchemaObjects, PatternProperties) {
  Checker c(R"({"type":"object","properties":{"id":{"type":"integer"}},"patternProperties":{"^x-[a-z]+$":{"type":"string"}},"additionalProperties":false})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Accepts(R"({"id":1,"x-ab":"s"})"));
  EXPECT_TRUE(c.Accepts(R"({"x-ab":"s","x-cd":"t"})"));
  EXPECT_FALSE(c.Accepts(R"({"x-ab":1})"));
  EXPECT_FALSE(c.Accepts(R"({"y":"s"})"));
  EXPECT_FALSE(c.Accepts(R"({"x-AB":"s"})"));
  // A named key that matches a pattern would need both schemas.
  Error e = CompileError(R"({"properties":{"xy":{}},"patternProperties":{"x":{}}})");
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.location, "/patternProperties/x");
}

TEST(JsonSchemaCombinations, OneOfOnlyWhenDisjoint) {
  // Disjoint by a const discriminator, under a base type of object.
  Checker tagged(R"({"type":"object","oneOf":[{"properties":{"k":{"const":"a"},"x":{"type":"integer"}},"required":["k"]},{"properties":{"k":{"const":"b"}},"required":["k"]}]})");
  ASSERT_TRUE(tagged.ok()) << tagged.error();
  EXPECT_TRUE(tagged.Accepts(R"({"k":"a","x":1})"));
  EXPECT_TRUE(tagged.Accepts(R"({"k":"b","x":"s"})"));
  EXPECT_FALSE(tagged.Accepts(R"({"k":"a","x":"s"})"));
  // Disjoint because the enum value fails the other branch's pattern.
  Checker pat(R"({"oneOf":[{"type":"string","pattern":"^[0-9]+$"},{"enum":["any"]}]})");
  ASSERT_TRUE(pat.ok()) << pat.error();
  EXPECT_TRUE(pat.Accepts("\"12\""));
  EXPECT_TRUE(pat.Accepts("\"any\""));
  EXPECT_FALSE(pat.Accepts("\"anything\""));
  // Overlapping: an object with both properties matches both branches.
  Error e = CompileError(R"({"type":"object","oneOf":[{"required":["a"]},{"required":["b"]}]})");
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  // Without a base type, any non-object matches both branches.
  e = CompileError(R"({"oneOf":[{"required":["a"]},{"properties":{"b":{}},"additionalProperties":false}]})");
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  Checker obj(R"({"type":"object","oneOf":[{"required":["a"]},{"properties":{"b":{}},"additionalProperties":false}]})");
  EXPECT_TRUE(obj.ok()) << obj.error();
}

TEST(JsonSchemaRefs, RecursiveRef) {
  Checker c(R"({"$defs":{"t":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/t"}}},"required":["v"],"additionalProperties":false}},"$ref":"#/$defs/t"})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Accepts(R"({"v":1,"kids":[{"v":2},{"v":3,"kids":[]}]})"));
  EXPECT_FALSE(c.Accepts(R"({"v":1,"kids":[{"w":2}]})"));
}

TEST(JsonSchemaErrors, UnsupportedKeywordsAreNamedWithTheirPointer) {
  Error e = CompileError(R"({"properties":{"a":{"type":"array","uniqueItems":true}}})");
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.location, "/properties/a/uniqueItems");
  EXPECT_NE(e.message.find("uniqueItems"), std::string::npos);
  e = CompileError(R"({"anyOf":[{"type":"string"},{"not":{"type":"null"}}]})");
  EXPECT_EQ(e.location, "/anyOf/1/not");
  e = CompileError(R"({"oneOf":[{"type":"integer"},{"type":"number"}]})");
  EXPECT_EQ(e.location, "/oneOf");
  e = CompileError(R"({"type":"string","format":"hostname"})");
  EXPECT_EQ(e.location, "/format");
  e = CompileError(R"js({"type":"string","pattern":"(?=a)"})js");
  EXPECT_EQ(e.location, "/pattern");
  e = CompileError(R"({"$ref":"http://example.com/s.json"})");
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  e = CompileError(R"({"type":"object",)");
  EXPECT_EQ(e.code, ErrorCode::kInvalidInput);
  EXPECT_NE(e.location.find("offset"), std::string::npos);
}

TEST(JsonSchemaErrors, AnnotationsAndUnknownKeywordsAreIgnored) {
  Checker c(R"({"title":"t","description":"d","examples":[1],"default":2,"$comment":"c","x-custom":{"not":1},"type":"integer"})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Accepts("5"));
  Checker f(R"({"type":"string","format":"int32"})");  // not a JSON Schema format
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_TRUE(f.Accepts("\"x\""));
}

TEST(JsonSchemaErrors, DeepNestingIsALimitNotACrash) {
  std::string s;
  for (int i = 0; i < 5000; ++i) s += "{\"items\":";
  s += "{}";
  for (int i = 0; i < 5000; ++i) s += "}";
  Result<Grammar> g = CompileJsonSchema(s, {});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kResourceExhausted);
  // Far deeper documents and enum values: rejected before any recursion.
  for (const std::string& deep : {std::string(200000, '[') + std::string(200000, ']'),
                                  "{\"enum\":[" + std::string(200000, '[') + std::string(200000, ']') + "]}"}) {
    Result<Grammar> d = CompileJsonSchema(deep, {});
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, ErrorCode::kResourceExhausted);
  }
  std::string nested;
  for (int i = 0; i < 100000; ++i) nested += "{\"items\":";
  nested += "{}" + std::string(100000, '}');
  EXPECT_FALSE(CompileJsonSchema(nested, {}).ok());
}

TEST(JsonSchemaFormats, DatesRespectMonthLengthsAndLeapYears) {
  Checker c(R"({"type":"string","format":"date"})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Accepts("\"2024-02-29\""));
  EXPECT_TRUE(c.Accepts("\"2000-02-29\""));
  EXPECT_FALSE(c.Accepts("\"1900-02-29\""));
  EXPECT_FALSE(c.Accepts("\"2023-02-29\""));
  EXPECT_FALSE(c.Accepts("\"2023-04-31\""));
  EXPECT_TRUE(c.Accepts("\"2023-12-31\""));
  EXPECT_FALSE(c.Accepts("\"2023-13-01\""));
}

// Every json-schema case of ../shared/grammar-data/cases-visible.jsonl.
TEST(JsonSchemaCases, VisibleCases) {
  STEER_REQUIRE_SHARED(path, "grammar-data/cases-visible.jsonl");
  std::ifstream in(path);
  std::string line;
  int cases = 0, spec_valid_accepted = 0;
  while (std::getline(in, line)) {
    Json c = Json::parse(line);
    if (c["format"] != "json-schema") continue;
    ++cases;
    const std::string id = c["id"];
    const std::string expect = c.value("expect", "match");
    if (expect == "error" || expect == "parse_error") {
      Result<Grammar> g = CompileJsonSchema(c["grammar"].get<std::string>(), {});
      EXPECT_FALSE(g.ok()) << id;
      continue;
    }
    Checker k(c["grammar"].get<std::string>());
    ASSERT_TRUE(k.ok()) << id << ": " << k.error();
    for (const auto& s : c.value("accept", Json::array())) {
      EXPECT_TRUE(k.Accepts(s.get<std::string>())) << id << " should accept " << s.dump();
    }
    Json spec_valid = c.value("reject_spec_valid", Json::array());
    for (const auto& s : c.value("reject", Json::array())) {
      const bool accepted = k.Accepts(s.get<std::string>());
      if (std::find(spec_valid.begin(), spec_valid.end(), s) != spec_valid.end()) {
        // Valid per the specification, rejected by the peer's stricter
        // spelling rules (e.g. "\u00e9" escapes, big numbers): steer may
        // accept them.
        spec_valid_accepted += accepted;
        continue;
      }
      EXPECT_FALSE(accepted) << id << " should reject " << s.dump();
    }
  }
  EXPECT_GT(cases, 100);
  std::printf("json-schema cases: %d, spec-valid rejects accepted: %d\n", cases, spec_valid_accepted);
}

}  // namespace
}  // namespace steer::grammar
