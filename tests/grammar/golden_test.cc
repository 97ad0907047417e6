// Golden cases from ../shared/grammar-data: the visible accept/reject cases
// (llama.cpp and llguidance test suites) and llama.cpp's grammars with
// verified strings. Every string's verdict must agree.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "shared_data.h"
#include "steer/grammar/gbnf.h"
#include "steer/grammar/matcher.h"
#include "steer/grammar/regex.h"
#include "steer/util/file.h"

namespace steer::grammar {
namespace {

// The front ends this binary knows; other formats are counted and skipped.
Result<Grammar> ParseFormat(const std::string& format, const std::string& text) {
  if (format == "gbnf") return ParseGbnf(text);
  if (format == "regex") return ParseRegex(text);
  return MakeError(ErrorCode::kUnsupported, "format " + format + " is not in this test yet");
}

struct Verdict {
  bool complete;
  bool viable;
};

Verdict Check(const Parser& parser, const std::string& s) {
  Matcher m(parser);
  bool viable = m.AcceptBytes(s);
  return {viable && m.IsComplete(), viable};
}

TEST(GoldenTest, VisibleCases) {
  STEER_REQUIRE_SHARED(path, "grammar-data/cases-visible.jsonl");
  std::ifstream in(path);
  std::string line;
  int checked_cases = 0, checked_strings = 0, skipped = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto c = nlohmann::json::parse(line);
    std::string id = c["id"], format = c["format"], expect = c.value("expect", "match");
    if (format != "gbnf" && format != "regex") {
      ++skipped;
      continue;
    }
    auto g = ParseFormat(format, c["grammar"].get<std::string>());
    if (expect == "parse_error") {
      EXPECT_FALSE(g.ok()) << id << " should fail to load";
      if (!g.ok()) {
        EXPECT_FALSE(g.error().location.empty()) << id << ": " << g.error().ToString();
      }
      ++checked_cases;
      continue;
    }
    ASSERT_TRUE(g.ok()) << id << ": " << g.error().ToString();
    auto parser = CompileParser(*g);
    ASSERT_TRUE(parser.ok()) << id << ": " << parser.error().ToString();
    for (const auto& s : c.value("accept", nlohmann::json::array())) {
      EXPECT_TRUE(Check(*parser, s.get<std::string>()).complete) << id << " should accept " << s;
      ++checked_strings;
    }
    std::set<std::string> viable_rejects;
    for (const auto& s : c.value("reject_viable_prefix", nlohmann::json::array())) viable_rejects.insert(s);
    for (const auto& s : c.value("reject", nlohmann::json::array())) {
      Verdict v = Check(*parser, s.get<std::string>());
      EXPECT_FALSE(v.complete) << id << " should reject " << s;
      if (viable_rejects.count(s.get<std::string>())) {
        EXPECT_TRUE(v.viable) << id << " viable prefix " << s;
      }
      ++checked_strings;
    }
    ++checked_cases;
  }
  EXPECT_GE(checked_cases, 14);
  EXPECT_GE(checked_strings, 80);
  std::printf("checked %d cases (%d strings); %d cases of other formats skipped\n", checked_cases,
              checked_strings, skipped);
}

TEST(GoldenTest, LlamaCppGrammars) {
  STEER_REQUIRE_SHARED(dir, "grammar-data/gbnf");
  int files = 0;
  for (const char* name : {"arithmetic", "c", "chess", "english", "japanese", "json", "json_arr", "list"}) {
    std::string base = dir + "/" + name;
    auto cases = nlohmann::json::parse(ReadFile(base + ".cases.json").value());
    auto g = ParseGbnf(ReadFile(base + ".gbnf").value());
    ASSERT_TRUE(g.ok()) << name << ": " << g.error().ToString();
    auto parser = CompileParser(*g);
    ASSERT_TRUE(parser.ok()) << name << ": " << parser.error().ToString();
    for (const auto& s : cases["accept"]) {
      EXPECT_TRUE(Check(*parser, s.get<std::string>()).complete) << name << " should accept " << s;
    }
    for (const auto& s : cases["reject"]) {
      EXPECT_FALSE(Check(*parser, s.get<std::string>()).complete) << name << " should reject " << s;
    }
    ++files;
  }
  EXPECT_EQ(files, 8);
}

}  // namespace
}  // namespace steer::grammar
