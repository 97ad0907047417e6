// ModelSampler on a real (tiny) model: stories260K writes stories, not code,
// so these tests check the mechanics: the stop rule, token accounting,
// determinism under a seed, and SMC with the compile critic.
#include <gtest/gtest.h>

#include "shared_data.h"
#include "steer/engine/engine.h"
#include "steer/model/weights.h"
#include "steer/synth/critic.h"
#include "steer/synth/program_sampler.h"
#include "steer/tokenizer/tokenizer.h"
#include "synth_test_util.h"

namespace steer::synth {
namespace {

using testing::SynthTest;

struct Loaded {
  std::shared_ptr<engine::Engine> engine;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

Loaded Load(const std::string& path) {
  Loaded l;
  engine::EngineOptions eo;
  eo.threads = 1;
  auto e = engine::Engine::Open(path, eo);
  EXPECT_TRUE(e.ok()) << e.error().ToString();
  if (!e.ok()) return l;
  l.engine = std::move(e).value();
  auto t = tokenizer::Tokenizer::FromGguf(l.engine->model().file());
  EXPECT_TRUE(t.ok());
  if (t.ok()) l.tokenizer = std::move(t).value();
  return l;
}

const char* kPrompt = "def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n";

TEST(ModelSamplerTest, AncestralStopsAndIsDeterministicUnderASeed) {
  STEER_REQUIRE_SHARED(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tokenizer);
  ModelSamplerOptions o;
  o.max_tokens = 40;
  o.seed = 3;
  ModelSampler a(l.engine, l.tokenizer.get(), o), b(l.engine, l.tokenizer.get(), o);
  auto ra = a.Sample(kPrompt, 4);
  auto rb = b.Sample(kPrompt, 4);
  ASSERT_TRUE(ra.ok()) << ra.error().ToString();
  ASSERT_TRUE(rb.ok());
  ASSERT_EQ(ra->completions.size(), 4u);
  EXPECT_EQ(ra->completions, rb->completions);
  EXPECT_EQ(ra->tokens, rb->tokens);
  EXPECT_GT(ra->tokens, 0);
  EXPECT_LE(ra->tokens, 4 * 40);
  for (const auto& c : ra->completions) EXPECT_EQ(FunctionEnd(c), std::string::npos) << c;
  // A second call continues the stream instead of repeating it.
  auto again = a.Sample(kPrompt, 4);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->completions, ra->completions);
}

TEST_F(SynthTest, ModelSmcWithTheCriticKeepsOnlyCompilingPrograms) {
  STEER_REQUIRE_SHARED(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tokenizer);
  ModelSamplerOptions o;
  o.method = "smc";
  o.max_tokens = 12;
  o.particles = 4;
  o.seed = 1;
  CriticOptions co;
  co.slot = 211;
  std::vector<std::string> bytes(l.engine->n_vocab());
  for (int32_t t = 0; t < l.engine->n_vocab(); ++t) bytes[t] = l.tokenizer->TokenBytes(t);
  int64_t critic_runs = 0;
  std::shared_ptr<CompileCritic> last;
  ModelSampler s(l.engine, l.tokenizer.get(), o,
                 [&](const std::string& prompt) -> Result<std::shared_ptr<potential::Potential>> {
                   last = std::make_shared<CompileCritic>(*sandbox_, prompt, bytes, co);
                   return std::shared_ptr<potential::Potential>(last);
                 });
  auto r = s.Sample(kPrompt, 3);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->completions.size(), 3u);
  ASSERT_TRUE(last);
  critic_runs = last->executions();
  EXPECT_GT(critic_runs, 0);
  // Every returned program compiles after the prompt (empty ones included:
  // a docstring-only function compiles), checked by a fresh critic.
  std::vector<std::string> byte_vocab(256);
  for (int i = 0; i < 256; ++i) byte_vocab[i] = std::string(1, static_cast<char>(i));
  CompileCritic oracle(*sandbox_, kPrompt, byte_vocab, co);
  for (const auto& c : r->completions) {
    std::vector<TokenId> ids;
    for (unsigned char ch : c) ids.push_back(ch);
    EXPECT_EQ(oracle.LogCompleteOf(ids).value(), 0.0) << c;
  }
  // The story model's prose never compiles, so all particles may die; with a
  // checker that accepts everything the same run returns the prose.
  CriticOptions accept_all = co;
  accept_all.checker = "import sys\nprint('\\n'.join('1' for _ in sys.argv[1:]))\n";
  ModelSampler loose(l.engine, l.tokenizer.get(), o,
                     [&](const std::string& prompt) -> Result<std::shared_ptr<potential::Potential>> {
                       return std::shared_ptr<potential::Potential>(
                           std::make_shared<CompileCritic>(*sandbox_, prompt, bytes, accept_all));
                     });
  auto prose = loose.Sample(kPrompt, 3);
  ASSERT_TRUE(prose.ok()) << prose.error().ToString();
  EXPECT_GT(prose->tokens, 0);
  size_t nonempty = 0;
  for (const auto& c : prose->completions) nonempty += !c.empty();
  EXPECT_GT(nonempty, 0u);
}

}  // namespace
}  // namespace steer::synth
