// The model linked into steer (models/steer-code-*.gguf): its bytes are the
// file's, it loads in place, and steer's tokens and logits agree with the
// training tool's own PyTorch forward (models/steer-code.reference.json,
// written by tools/train/train.py) on its 5 prompts: token ids exactly,
// logits within the file's tolerance (1e-3).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "embedded.h"
#include "shared_data.h"
#include "steer/engine/engine.h"
#include "steer/model/weights.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/file.h"

namespace {

using nlohmann::json;

#define REQUIRE_EMBEDDED()                                                                  \
  if (std::string(STEER_EMBEDDED_MODEL_FILE).empty())                                       \
  GTEST_SKIP() << "this build embeds no model (STEER_EMBED_MODEL=OFF or no models/steer-code-*.gguf)"

json Reference() {
  auto text = steer::ReadFile(steer::testing::SourceDir() + "/models/steer-code.reference.json");
  EXPECT_TRUE(text.ok()) << text.error().ToString();
  return text.ok() ? json::parse(*text) : json();
}

TEST(EmbeddedModel, BytesAreTheModelFileAligned) {
  REQUIRE_EMBEDDED();
  auto file = steer::ReadFile(STEER_EMBEDDED_MODEL_FILE);
  ASSERT_TRUE(file.ok()) << file.error().ToString();
  const std::span<const uint8_t> bytes = steer::cli::EmbeddedModelBytes();
  ASSERT_EQ(bytes.size(), file->size());
  EXPECT_EQ(std::memcmp(bytes.data(), file->data(), bytes.size()), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(bytes.data()) % 64, 0u);
  auto g = steer::cli::OpenEmbeddedModel();
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  // Tensor data points into the binary's copy: nothing was copied.
  const auto& t = (*g)->tensors().front();
  EXPECT_GE((*g)->TensorData(t), bytes.data());
  EXPECT_LE((*g)->TensorData(t) + t.num_bytes, bytes.data() + bytes.size());
}

TEST(EmbeddedModel, TokensAndLogitsMatchTheTrainingTool) {
  REQUIRE_EMBEDDED();
  const json ref = Reference();
  ASSERT_EQ(ref["cases"].size(), 5u);
  const double tol = ref["tolerance"].get<double>();
  ASSERT_LE(tol, 1e-3);
  auto file = steer::cli::OpenEmbeddedModel();
  ASSERT_TRUE(file.ok()) << file.error().ToString();
  auto tok = steer::tokenizer::Tokenizer::FromGguf(**file);
  ASSERT_TRUE(tok.ok()) << tok.error().ToString();
  auto model = steer::model::Model::FromFile(std::move(file).value());
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  auto engine = steer::engine::Engine::Create(std::move(model).value(), {.threads = 1});
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  for (const json& c : ref["cases"]) {
    const std::string prompt = c["prompt"].get<std::string>();
    SCOPED_TRACE(prompt);
    auto ids = (*tok)->Encode(prompt);
    ASSERT_TRUE(ids.ok()) << ids.error().ToString();
    ASSERT_EQ(*ids, c["tokens"].get<std::vector<steer::TokenId>>());
    const steer::SeqId seq = (*engine)->NewSequence();
    steer::engine::Batch batch;
    for (size_t i = 0; i < ids->size(); ++i) {
      batch.Add((*ids)[i], static_cast<steer::Pos>(i), seq, i + 1 == ids->size());
    }
    ASSERT_TRUE((*engine)->Decode(batch).ok());
    const auto want = c["next_token_logits"].get<std::vector<double>>();
    const auto got = (*engine)->Logits(0);
    ASSERT_EQ(got.size(), want.size());
    double max_diff = 0;
    for (size_t i = 0; i < want.size(); ++i) max_diff = std::max(max_diff, std::abs(got[i] - want[i]));
    EXPECT_LE(max_diff, tol);
    ASSERT_TRUE((*engine)->Release(seq).ok());
  }
}

// `steer logits` without -m runs the embedded model.
TEST(EmbeddedModel, LogitsCommandDefaultsToIt) {
  REQUIRE_EMBEDDED();
  const json ref = Reference();
  const json& c = ref["cases"][0];
  std::string ids;
  for (const json& t : c["tokens"]) {
    if (!ids.empty()) ids += ' ';
    ids += std::to_string(t.get<int>());
  }
  const std::string out_path = steer::testing::TempDir() + "/logits.json";
  const std::string cmd =
      std::string(STEER_BINARY) + " logits --tokens '" + ids + "' --json --threads 1 --kv-type f32 >" + out_path;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  const json out = json::parse(steer::ReadFile(out_path).value());
  const auto want = c["next_token_logits"].get<std::vector<double>>();
  ASSERT_EQ(out["logits"].size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(out["logits"][i].get<double>(), want[i], 1e-3) << i;
}

}  // namespace
