// `steer demo` on the embedded model: every completion it reports is in the
// grammar's language (checked by `steer check`), keeps identifiers within
// --max-ident-len (the prompt's open identifier included), and each method's
// weights sum to 1; a prompt the grammar cannot continue is exit 2.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "shared_data.h"
#include "steer/util/file.h"
#include "steer/util/strings.h"

namespace {

using nlohmann::json;

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

RunResult RunSteer(const std::string& args, const std::string& stdin_path = "/dev/null") {
  const std::string dir = steer::testing::TempDir();
  const std::string cmd = std::string(STEER_BINARY) + " " + args + " <" + stdin_path + " >" + dir + "/out 2>" + dir + "/err";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, steer::ReadFile(dir + "/out").value(),
          steer::ReadFile(dir + "/err").value()};
}

size_t LongestIdentifier(const std::string& s) {
  size_t best = 0, run = 0;
  bool number = false;
  for (char c : s) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!word) {
      run = 0;
      continue;
    }
    if (run == 0) number = std::isdigit(static_cast<unsigned char>(c));
    ++run;
    if (!number) best = std::max(best, run);
  }
  return best;
}

TEST(DemoCli, CompletionsSatisfyBothConstraints) {
  if (std::string(STEER_EMBEDDED_MODEL_FILE).empty()) GTEST_SKIP() << "this build embeds no model";
  const std::string prompt = "def check_balance(account_";
  const std::string grammar = steer::testing::SourceDir() + "/models/python_function.gbnf";
  RunResult r = RunSteer("demo --json --particles 16 --runs 2 --samples 64 --max-tokens 64 --max-ident-len 12 --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  double lcd_sum = 0, smc_sum = 0;
  int summaries = 0, checked = 0;
  for (std::string_view line : steer::Split(r.out, "\n")) {
    if (line.empty()) continue;
    const json j = json::parse(std::string(line));
    if (!j.contains("text")) {
      ++summaries;
      continue;
    }
    const std::string text = prompt + j["text"].get<std::string>();
    (j["method"] == "lcd" ? lcd_sum : smc_sum) += j["weight"].get<double>();
    EXPECT_LE(LongestIdentifier(text.substr(text.find('(') + 1)), 12u) << text;
    const std::string path = steer::testing::TempDir() + "/completion.py";
    ASSERT_TRUE(steer::WriteFile(path, text).ok());
    EXPECT_EQ(RunSteer("check --grammar '" + grammar + "'", path).exit_code, 0) << text;
    ++checked;
  }
  EXPECT_EQ(summaries, 2);
  if (lcd_sum > 0) {
    EXPECT_NEAR(lcd_sum, 1.0, 1e-9);
  }
  if (smc_sum > 0) {
    EXPECT_NEAR(smc_sum, 1.0, 1e-9);
  }
  EXPECT_GT(checked, 0);  // 7 with the shipped model and this seed
}

TEST(DemoCli, PromptOutsideTheGrammarIsExit2) {
  if (std::string(STEER_EMBEDDED_MODEL_FILE).empty()) GTEST_SKIP() << "this build embeds no model";
  RunResult r = RunSteer("demo --prompt 'class Foo(' --particles 2 --runs 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--prompt"), std::string::npos) << r.err;
  r = RunSteer("demo --prompt 'def f(abcdefghijk' --max-ident-len 5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("max-ident-len"), std::string::npos) << r.err;
}

}  // namespace
