// Runs the built steer binary: `steer tokenize` output and exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "run_command.h"
#include "shared_data.h"
#include "steer/util/file.h"

namespace {

using steer::testing::RunResult;

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

RunResult RunSteer(const std::string& args) {
  return steer::testing::RunCommand(STEER_BINARY, args);
}

size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(TokenizeCli, PrintsIdsForGgufVocab) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  RunResult r = RunSteer("tokenize -m " + Quote(model) + " 'Hello world'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 346 306 414 263 304 341\n");
  r = RunSteer("tokenize -m " + Quote(model) + " --no-special --json 'Hello world'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"tokens\":[346,306,414,263,304,341]}\n");
  r = RunSteer("tokenize -m " + Quote(model) + " --no-special --parse-special 'a<s>b'");
  EXPECT_EQ(r.out, "261 1 268\n");
}

TEST(TokenizeCli, HfTokenizerJsonAndDashText) {
  STEER_REQUIRE_SHARED(tok, "vocab/hf/llama3/tokenizer.json");
  RunResult r = RunSteer("tokenize --tokenizer " + Quote(tok) + " --no-special -- 'Hello world'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "9906 1917\n");
  r = RunSteer("tokenize --tokenizer " + Quote(tok) + " --no-special -- '-x'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
}

TEST(TokenizeCli, InvalidUtf8IsExit2NamingTheOffset) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  RunResult r = RunSteer("tokenize -m " + Quote(model) + " $(printf 'ab\\377')");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("byte offset 2"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(TokenizeCli, TruncatedGgufIsExit2) {
  STEER_REQUIRE_SHARED(model, "vocab/ggml-vocab-gpt-2.gguf");
  std::string bytes = steer::ReadFile(model).value();
  std::string path = steer::testing::TempDir() + "/truncated.gguf";
  ASSERT_TRUE(steer::WriteFile(path, bytes.substr(0, bytes.size() / 2)).ok());
  RunResult r = RunSteer("tokenize -m " + Quote(path) + " hello");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("truncated.gguf"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
}

TEST(TokenizeCli, UnknownPreTokenizerIsExit2NamingIt) {
  std::string path = steer::testing::TempDir() + "/tokenizer.json";
  ASSERT_TRUE(steer::WriteFile(path, R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
      "pre_tokenizer": {"type": "WhitespaceSplit"}})")
                  .ok());
  RunResult r = RunSteer("tokenize --tokenizer " + Quote(path) + " hello");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("WhitespaceSplit"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
}

// Without -m or --tokenizer: the embedded model's vocabulary, or (in a build
// without one) exit 2 saying what to pass.
TEST(TokenizeCli, NoModelUsesTheEmbeddedOne) {
  RunResult r = RunSteer("tokenize 'def f(x):'");
  if (std::string(STEER_EMBEDDED_MODEL_FILE).empty()) {
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no model given"), std::string::npos) << r.err;
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult direct = RunSteer("tokenize -m " + Quote(STEER_EMBEDDED_MODEL_FILE) + " 'def f(x):'");
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(r.out, direct.out);
  EXPECT_GT(Lines(r.out), 0u);
}

TEST(TokenizeCli, HelpTeachesWithAnExample) {
  RunResult r = RunSteer("tokenize --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("steer tokenize -m model.gguf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--parse-special"), std::string::npos);
}

TEST(TokenizeCli, MissingTextIsUsageError) {
  RunResult r = RunSteer("tokenize --tokenizer x.json");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
