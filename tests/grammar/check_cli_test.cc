// Runs the built steer binary: `steer check` verdicts, exit codes and errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "run_command.h"
#include "shared_data.h"
#include "steer/util/file.h"

namespace {

using steer::testing::RunResult;

RunResult RunSteer(const std::string& args, const std::string& stdin_text = "") {
  return steer::testing::RunCommand(STEER_BINARY, args, stdin_text);
}

std::string Write(const std::string& name, const std::string& text) {
  std::string path = steer::testing::TempDir() + "/" + name;
  EXPECT_TRUE(steer::WriteFile(path, text).ok());
  return path;
}

TEST(CheckCli, VerdictsAndExitCodes) {
  std::string g = Write("sum.gbnf", "root ::= [0-9]+ (\"+\" [0-9]+)*\n");
  RunResult r = RunSteer("check --grammar " + g, "12+3");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "accept\n");
  r = RunSteer("check --grammar " + g, "12+");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "prefix\n");
  r = RunSteer("check --grammar " + g, "12+a");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "reject\n");
  std::string input = Write("input.txt", "7");
  r = RunSteer("check --json --grammar " + g + " " + input);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"verdict\":\"accept\"}\n");
}

TEST(CheckCli, RegexFormatFromExtensionOrFlag) {
  std::string re = Write("num.regex", "-?\\d+(\\.\\d+)?\n");
  EXPECT_EQ(RunSteer("check --grammar " + re, "-1.5").exit_code, 0);
  EXPECT_EQ(RunSteer("check --grammar " + re, "-1.").exit_code, 3);
  std::string txt = Write("pattern.txt", "ab*");
  EXPECT_EQ(RunSteer("check --format regex --grammar " + txt, "abbb").exit_code, 0);
  RunResult r = RunSteer("check --grammar " + txt, "a");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--format"), std::string::npos) << r.err;
}

TEST(CheckCli, Jsonl) {
  std::string g = Write("ab.gbnf", "root ::= \"a\" \"b\"*\n");
  std::string cases = Write("cases.jsonl", "\"ab\"\n\"\"\n\"ba\"\n\"abbb\"\n");
  RunResult r = RunSteer("check --grammar " + g + " --jsonl " + cases);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "{\"verdict\":\"accept\"}\n{\"verdict\":\"prefix\"}\n{\"verdict\":\"reject\"}\n{\"verdict\":\"accept\"}\n");
  std::string bad = Write("bad.jsonl", "\"a\"\nnot json\n");
  r = RunSteer("check --grammar " + g + " --jsonl " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.jsonl:2"), std::string::npos) << r.err;
}

TEST(CheckCli, BadGrammarExitsTwoWithLineAndColumn) {
  std::string g = Write("bad.gbnf", "root ::= item\nitem ::= [a-z\n");
  RunResult r = RunSteer("check --grammar " + g, "a");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.gbnf:2:10: unterminated character class"), std::string::npos) << r.err;
  std::string re = Write("bad.regex", "a(?=b)");
  r = RunSteer("check --grammar " + re, "a");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.regex:1:2: lookahead is not supported"), std::string::npos) << r.err;
}

TEST(CheckCli, GoldenGrammarFile) {
  STEER_REQUIRE_SHARED(json, "grammar-data/gbnf/json.gbnf");
  EXPECT_EQ(RunSteer("check --grammar " + json, "{\"a\": [1, true]}").exit_code, 0);
  EXPECT_EQ(RunSteer("check --grammar " + json, "{\"a\": [1, tr").exit_code, 3);
  EXPECT_EQ(RunSteer("check --grammar " + json, "{\"a\" 1}").exit_code, 1);
}

}  // namespace
