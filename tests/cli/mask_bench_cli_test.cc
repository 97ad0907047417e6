// Runs the built steer binary: `steer mask-bench` on hand-made MaskBench
// files with the GPT-2 vocabulary. Every verdict is known in advance: the
// summary line must count them exactly, and a schema steer cannot enforce is
// reported as not compiled.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "run_command.h"
#include "shared_data.h"
#include "steer/util/file.h"

namespace {

using steer::testing::RunResult;

RunResult RunSteer(const std::string& args) {
  return steer::testing::RunCommand(STEER_BINARY, args);
}

void Write(const std::string& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(); }

TEST(MaskBenchCli, CountsVerdictsAndFailures) {
  STEER_REQUIRE_SHARED(vocab, "vocab/ggml-vocab-gpt-2.gguf");
  const std::string dir = steer::testing::TempDir() + "/cases";
  std::filesystem::create_directories(dir);
  nlohmann::json ok = {
      {"schema", {{"type", "object"}, {"properties", {{"a", {{"type", "integer"}, {"maximum", 5}}}}}, {"required", {"a"}}}},
      {"tests",
       {{{"valid", true}, {"text", "{\"a\": 3}"}},
        {{"valid", true}, {"text", "{\"a\": -12}"}},
        {{"valid", false}, {"text", "{\"a\": 7}"}},
        {{"valid", false}, {"text", "{}"}}}}};
  nlohmann::json bad = {{"schema", {{"type", "array"}, {"uniqueItems", true}}},
                        {"tests", {{{"valid", true}, {"text", "[1]"}}}}};
  Write(dir + "/a.json", ok);
  Write(dir + "/b.json", bad);
  RunResult r = RunSteer("mask-bench --json --tokenizer '" + vocab + "' '" + dir + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json s = nlohmann::json::parse(r.out);
  EXPECT_EQ(s["schemas"], 2);
  EXPECT_EQ(s["compiled"], 1);
  EXPECT_EQ(s["passing"], 1);
  EXPECT_EQ(s["valid_accepted"], 2);
  EXPECT_EQ(s["valid_rejected"], 0);
  EXPECT_EQ(s["invalid_accepted"], 0);
  EXPECT_EQ(s["invalid_rejected"], 2);
  for (const char* k : {"p50", "p99", "max"}) EXPECT_TRUE(s["compile_ms"].contains(k));
  for (const char* k : {"p50", "p99", "max", "mean"}) EXPECT_TRUE(s["mask_us"].contains(k));
  EXPECT_NE(r.err.find("b.json: not compiled: /uniqueItems"), std::string::npos) << r.err;

  r = RunSteer("mask-bench --tokenizer '" + vocab + "' " + dir + "/missing.json");
  EXPECT_EQ(r.exit_code, 2);

  // An SPM vocabulary prefixes a space: such instances are skipped, not judged.
  STEER_REQUIRE_SHARED(spm, "models/stories260K.gguf");
  r = RunSteer("mask-bench --json --tokenizer '" + spm + "' '" + dir + "/a.json'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  s = nlohmann::json::parse(r.out);
  EXPECT_EQ(s["valid_accepted"].get<int>() + s["valid_rejected"].get<int>() + s["invalid_accepted"].get<int>() +
                s["invalid_rejected"].get<int>(),
            0);
  EXPECT_NE(r.err.find("do not spell the text"), std::string::npos) << r.err;
}

}  // namespace
