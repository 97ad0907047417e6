// Runs the built steer binary: `steer logits`, `generate` and `bench` output
// and their exit codes on bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_command.h"
#include "shared_data.h"
#include "steer/gguf/gguf.h"
#include "steer/util/file.h"

namespace {

using nlohmann::json;

using steer::testing::RunResult;

RunResult RunSteer(const std::string& args) {
  return steer::testing::RunCommand(STEER_BINARY, args);
}

json Golden(const std::string& path) { return json::parse(steer::ReadFile(path).value()); }

TEST(EngineCli, LogitsMatchGoldenAndTokenizeThePrompt) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  STEER_REQUIRE_SHARED(golden_path, "golden/stories260K.json");
  const json golden = Golden(golden_path);
  const json& cs = golden["cases"][0];
  // The goldens were made with an F32 cache; the CLI's default is F16.
  RunResult r = RunSteer("logits -m '" + model + "' -p '" + cs["prompt"].get<std::string>() +
                         "' --json --threads 1 --kv-type f32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["tokens"], cs["tokens"]);
  ASSERT_EQ(out["logits"].size(), cs["next_token_logits"].size());
  for (size_t i = 0; i < out["logits"].size(); ++i) {
    EXPECT_NEAR(out["logits"][i].get<double>(), cs["next_token_logits"][i].get<double>(), 1e-4) << i;
  }
  r = RunSteer("logits -m '" + model + "' --tokens '1 403 407' --all-positions --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["logits"].size(), 3u);
}

TEST(EngineCli, GreedyGenerateMatchesGolden) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  STEER_REQUIRE_SHARED(golden_path, "golden/stories260K.json");
  const json golden = Golden(golden_path);
  const json& cs = golden["cases"][0];
  RunResult r = RunSteer("generate -m '" + model + "' -p '" + cs["prompt"].get<std::string>() +
                         "' -n 32 --temp 0 --ignore-eos --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["tokens"], cs["greedy"]["ids"]);
  EXPECT_EQ(out["text"], cs["greedy"]["text"]);
}

TEST(EngineCli, SampledGenerateIsReproducibleBySeed) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  const std::string cmd = "generate -m '" + model + "' -p 'Once' -n 24 --temp 1.5 --top-k 0 --top-p 1 --json --seed ";
  RunResult a = RunSteer(cmd + "1"), b = RunSteer(cmd + "1"), c = RunSteer(cmd + "2");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);  // 24 draws at temperature 1.5: equal only by a fluke
}

TEST(EngineCli, BenchPrintsOneJsonLine) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  RunResult r = RunSteer("bench -m '" + model + "' --batch 4 --prompt-tokens 20 --gen-tokens 4 --runs 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  for (const char* key : {"pp_tok_s", "tg_tok_s", "batch_tok_s"}) EXPECT_GT(out[key].get<double>(), 0) << key;
  EXPECT_EQ(out["batch"], 4);
  // stories260K: 5 layers x kv_dim 32 x K and V x F16 (the default) = 640
  // bytes a position; 20 prompt positions (2 blocks of 16), 4 tails of 4
  // that copy the shared partial block: 2 + 4 = 6 blocks of 16 positions.
  EXPECT_EQ(out["kv_bytes"], 6 * 16 * 640);
  r = RunSteer("bench -m '" + model + "' --batch 4 --prompt-tokens 20 --gen-tokens 4 --runs 1 --json --kv-type f32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["kv_bytes"], 6 * 16 * 1280);
}

TEST(EngineCli, BenchUnderAGrammarReportsItsOverhead) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  const std::string dir = steer::testing::TempDir();
  std::ofstream(dir + "/names.regex") << "( [A-Z][a-z]+)+\\.\n";
  RunResult r = RunSteer("bench -m '" + model + "' --prompt-tokens 8 --gen-tokens 16 --runs 1 --json --grammar '" + dir +
                         "/names.regex'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_GT(out["grammar_tg_tok_s"].get<double>(), 0);
  EXPECT_GT(out["grammar_overhead"].get<double>(), -1);
  EXPECT_FALSE(json::parse(RunSteer("bench -m '" + model + "' --gen-tokens 2 --runs 1 --json").out).contains(
      "grammar_overhead"));
  // A malformed grammar is exit 2 with its location.
  std::ofstream(dir + "/bad.gbnf") << "root ::= (\"a\"\n";
  r = RunSteer("bench -m '" + model + "' --runs 1 --grammar '" + dir + "/bad.gbnf'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.gbnf:"), std::string::npos) << r.err;
}

TEST(EngineCli, BadInputIsExit2WithAMessage) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  RunResult r = RunSteer("logits -m '" + model + "' --tokens '1 2 3 4' --ctx-size 3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("context overflow"), std::string::npos) << r.err;
  r = RunSteer("generate -m '" + model + "' -p 'Once upon a time' -n 100 --ctx-size 40");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("context overflow"), std::string::npos) << r.err;
  r = RunSteer("logits -m '" + model + "' --tokens '1 2 3' --kv-budget-mb 0.005");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("memory budget"), std::string::npos) << r.err;
  r = RunSteer("logits -m '" + model + "' --tokens '1 999'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'999'"), std::string::npos) << r.err;

  // An unsupported architecture.
  steer::gguf::Writer w;
  w.Set("general.architecture", steer::gguf::Value::String("mamba"));
  const std::string path = steer::testing::TempDir() + "/mamba.gguf";
  ASSERT_TRUE(w.WriteTo(path).ok());
  r = RunSteer("logits -m '" + path + "' --tokens 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unsupported architecture 'mamba'"), std::string::npos) << r.err;
}

TEST(EngineCli, UnsupportedTensorTypeIsExit2) {
  // A 1-layer llama whose matrices are Q2_K (no kernel).
  steer::gguf::Writer w;
  using steer::gguf::TensorType;
  using steer::gguf::Value;
  w.Set("general.architecture", Value::String("llama"));
  for (auto [k, v] : {std::pair<const char*, uint32_t>{"context_length", 64}, {"embedding_length", 256},
                      {"block_count", 1}, {"feed_forward_length", 256}, {"attention.head_count", 4}}) {
    w.Set(std::string("llama.") + k, Value::U32(v));
  }
  w.Set("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5f));
  w.AddTensor("token_embd.weight", TensorType::kQ2_K, {256, 8},
              std::string(steer::gguf::RowBytes(TensorType::kQ2_K, 256) * 8, '\0'));
  const std::string path = steer::testing::TempDir() + "/q2k.gguf";
  ASSERT_TRUE(w.WriteTo(path).ok());
  RunResult r = RunSteer("logits -m '" + path + "' --tokens 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("token_embd.weight has type Q2_K"), std::string::npos) << r.err;
}

}  // namespace
