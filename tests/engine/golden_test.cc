// Golden tests: the engine reproduces llama.cpp's logits and greedy
// continuations on every model in ../shared/golden (see its README).
//
// Method, per prompt: decode the prompt in one batch, compare the logits
// (every position when the golden has prompt_logits, else the last), then
// teacher-force the golden greedy ids one token at a time, comparing each
// step's logits. The argmax must equal the golden id at every step whose
// golden top-2 margin exceeds twice the tolerance (below that, llama.cpp's own
// rounding may pick either token), which includes every step before the first
// close call: greedy continuations are identical up to there.
//
// Tolerances:
//  - F32 models: 1e-4 absolute.
//  - Quantized, F16 and BF16 models against their .deqf32 goldens: 1e-4
//    absolute. The kernels multiply with F32 activations, so they compute the
//    same function as llama.cpp on the exactly dequantized F32 copy.
//  - The same models against the native (llama.cpp-rounded activation)
//    goldens: the README's bars, F16 0.02, BF16 0.15, Q8_0/Q4_0/K-quants 0.5.
//  - llama-2-tiny-random (F16; no deqf32 file): 0.02.
//  - Quantized models with 8-bit activations (q8_activations, llama.cpp's
//    own rounding) against the native goldens: 0.5, the README's bar.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shared_data.h"
#include "steer/engine/engine.h"
#include "steer/util/file.h"

namespace steer::engine {
namespace {

using nlohmann::json;

struct Spec {
  std::string golden;  // file under golden/
  std::string model;   // file under models/
  double tol;
  bool q8_activations = false;  // EngineOptions::q8_activations
};

std::ostream& operator<<(std::ostream& os, const Spec& s) { return os << s.golden; }

int Argmax(std::span<const float> v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

double Top2Margin(const std::vector<float>& v) {
  std::vector<float> s(v);
  std::partial_sort(s.begin(), s.begin() + 2, s.end(), std::greater<float>());
  return static_cast<double>(s[0]) - s[1];
}

class GoldenTest : public ::testing::TestWithParam<Spec> {
 protected:
  // Max |Δlogit| over one golden row (full logits) and updates max_diff_.
  void CompareFull(std::span<const float> got, const json& want, double tol, const std::string& what) {
    ASSERT_EQ(want.size(), got.size()) << what;
    double worst = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const double d = std::abs(static_cast<double>(got[i]) - want[i].get<double>());
      if (d > worst) worst = d, worst_i = i;
    }
    max_diff_ = std::max(max_diff_, worst);
    EXPECT_LE(worst, tol) << what << ": logit " << worst_i << " got " << got[worst_i] << " want " << want[worst_i];
  }

  // Compares the 5 (id, logit) pairs of a step_top5 entry.
  void CompareTop5(std::span<const float> got, const json& top5, double tol, const std::string& what) {
    double worst = 0;
    for (const json& p : top5) {
      const int id = p[0].get<int>();
      ASSERT_TRUE(id >= 0 && static_cast<size_t>(id) < got.size()) << what;
      worst = std::max(worst, std::abs(static_cast<double>(got[id]) - p[1].get<double>()));
    }
    max_diff_ = std::max(max_diff_, worst);
    EXPECT_LE(worst, tol) << what;
  }

  double max_diff_ = 0;
};

// Reads the golden file and opens its model with *options, on 2 threads with
// a 512-position context (set in *options too).
void OpenGolden(const std::string& golden_path, const std::string& model_path, EngineOptions* options, json* golden,
                std::unique_ptr<Engine>* engine) {
  auto text = ReadFile(golden_path);
  ASSERT_TRUE(text.ok()) << text.error().ToString();
  *golden = json::parse(*text);
  options->threads = 2;
  options->n_ctx = 512;
  auto opened = Engine::Open(model_path, *options);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  *engine = std::move(opened).value();
}

TEST_P(GoldenTest, LogitsAndTeacherForcedGreedy) {
  const Spec& spec = GetParam();
  STEER_REQUIRE_SHARED(golden_path, "golden/" + spec.golden);
  STEER_REQUIRE_SHARED(model_path, "models/" + spec.model);
  EngineOptions options;
  options.q8_activations = spec.q8_activations;
  json golden;
  std::unique_ptr<Engine> opened;
  ASSERT_NO_FATAL_FAILURE(OpenGolden(golden_path, model_path, &options, &golden, &opened));
  Engine& engine = *opened;
  ASSERT_EQ(engine.n_vocab(), golden["model"]["n_vocab"].get<int>());
  const double tol = spec.tol;

  for (size_t c = 0; c < golden["cases"].size(); ++c) {
    const json& cs = golden["cases"][c];
    const std::string where = spec.golden + " case " + std::to_string(c);
    const std::vector<TokenId> tokens = cs["tokens"].get<std::vector<TokenId>>();
    const bool all_positions = cs.contains("prompt_logits");
    const SeqId seq = engine.NewSequence();
    Batch batch;
    for (size_t i = 0; i < tokens.size(); ++i) {
      batch.Add(tokens[i], static_cast<Pos>(i), seq, all_positions || i + 1 == tokens.size());
    }
    Status st = engine.Decode(batch);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
    if (all_positions) {
      ASSERT_EQ(engine.num_logits(), static_cast<int32_t>(tokens.size()));
      for (size_t i = 0; i < tokens.size(); ++i) {
        CompareFull(engine.Logits(static_cast<int32_t>(i)), cs["prompt_logits"][i], tol,
                    where + " prompt position " + std::to_string(i));
      }
    }
    CompareFull(engine.Logits(engine.num_logits() - 1), cs["next_token_logits"], tol, where + " next token");

    const json& greedy = cs["greedy"];
    const std::vector<TokenId> ids = greedy["ids"].get<std::vector<TokenId>>();
    for (size_t k = 0; k < ids.size(); ++k) {
      const std::string step = where + " greedy step " + std::to_string(k);
      std::span<const float> got = engine.Logits(engine.num_logits() - 1);
      double margin;
      if (greedy.contains("step_logits")) {
        CompareFull(got, greedy["step_logits"][k], tol, step);
        margin = Top2Margin(greedy["step_logits"][k].get<std::vector<float>>());
      } else {
        const json& top5 = greedy["step_top5"][k];
        CompareTop5(got, top5, tol, step);
        margin = top5[0][1].get<double>() - top5[1][1].get<double>();
      }
      if (margin > 2 * tol) {
        EXPECT_EQ(Argmax(got), ids[k]) << step << " (golden margin " << margin << ")";
      }
      if (k + 1 == ids.size()) break;
      batch.Clear();
      batch.Add(ids[k], engine.Length(seq), seq, true);  // teacher forcing
      st = engine.Decode(batch);
      ASSERT_TRUE(st.ok()) << st.error().ToString();
    }
    ASSERT_TRUE(engine.Release(seq).ok());
  }
  EXPECT_EQ(engine.kv_cache().blocks_in_use(), 0);
  RecordProperty("max_abs_diff", std::to_string(max_diff_));
  std::printf("[ golden ] %s%s: max |dlogit| = %.3g (tolerance %.3g)\n", spec.golden.c_str(),
              spec.q8_activations ? " (8-bit activations)" : "", max_diff_, tol);
}

const Spec kF32[] = {
    {"stories260K.json", "stories260K.gguf", 1e-4},
    {"tiny-llama-F32.json", "tiny-llama-F32.gguf", 1e-4},
    {"tiny-llama-tied-F32.json", "tiny-llama-tied-F32.gguf", 1e-4},
    {"tiny-llama-rope500k-F32.json", "tiny-llama-rope500k-F32.gguf", 1e-4},
    {"tiny-llama3-ropefreqs-F32.json", "tiny-llama3-ropefreqs-F32.gguf", 1e-4},
    {"tiny-qwen2-F32.json", "tiny-qwen2-F32.gguf", 1e-4},
};
INSTANTIATE_TEST_SUITE_P(F32, GoldenTest, ::testing::ValuesIn(kF32));

const Spec kDequantizedF32[] = {
    {"tiny-llama-F16.deqf32.json", "tiny-llama-F16.gguf", 1e-4},
    {"tiny-llama-BF16.deqf32.json", "tiny-llama-BF16.gguf", 1e-4},
    {"tiny-llama-Q8_0.deqf32.json", "tiny-llama-Q8_0.gguf", 1e-4},
    {"tiny-llama-Q4_0.deqf32.json", "tiny-llama-Q4_0.gguf", 1e-4},
    {"tiny-llama-Q6_K.deqf32.json", "tiny-llama-Q6_K.gguf", 1e-4},
    {"tiny-llama-Q5_K_M.deqf32.json", "tiny-llama-Q5_K_M.gguf", 1e-4},
    {"tiny-llama-Q4_K_M.deqf32.json", "tiny-llama-Q4_K_M.gguf", 1e-4},
    {"tiny-llama-ff512-Q4_K_M.deqf32.json", "tiny-llama-ff512-Q4_K_M.gguf", 1e-4},
    {"tiny-qwen2-Q8_0.deqf32.json", "tiny-qwen2-Q8_0.gguf", 1e-4},
};
INSTANTIATE_TEST_SUITE_P(DequantizedF32, GoldenTest, ::testing::ValuesIn(kDequantizedF32));

const Spec kNative[] = {
    {"llama-2-tiny-random.json", "llama-2-tiny-random.gguf", 0.02},
    {"tiny-llama-F16.json", "tiny-llama-F16.gguf", 0.02},
    {"tiny-llama-BF16.json", "tiny-llama-BF16.gguf", 0.15},
    {"tiny-llama-Q8_0.json", "tiny-llama-Q8_0.gguf", 0.5},
    {"tiny-llama-Q4_0.json", "tiny-llama-Q4_0.gguf", 0.5},
    {"tiny-llama-Q6_K.json", "tiny-llama-Q6_K.gguf", 0.5},
    {"tiny-llama-Q5_K_M.json", "tiny-llama-Q5_K_M.gguf", 0.5},
    {"tiny-llama-Q4_K_M.json", "tiny-llama-Q4_K_M.gguf", 0.5},
    {"tiny-llama-ff512-Q4_K_M.json", "tiny-llama-ff512-Q4_K_M.gguf", 0.5},
    {"tiny-qwen2-Q8_0.json", "tiny-qwen2-Q8_0.gguf", 0.5},
};
INSTANTIATE_TEST_SUITE_P(NativeActivationRounding, GoldenTest, ::testing::ValuesIn(kNative));

const Spec kQ8Activations[] = {
    {"tiny-llama-Q8_0.json", "tiny-llama-Q8_0.gguf", 0.5, true},
    {"tiny-llama-Q4_0.json", "tiny-llama-Q4_0.gguf", 0.5, true},
    {"tiny-qwen2-Q8_0.json", "tiny-qwen2-Q8_0.gguf", 0.5, true},
    {"tiny-llama-Q6_K.json", "tiny-llama-Q6_K.gguf", 0.5, true},
    {"tiny-llama-Q5_K_M.json", "tiny-llama-Q5_K_M.gguf", 0.5, true},
    {"tiny-llama-Q4_K_M.json", "tiny-llama-Q4_K_M.gguf", 0.5, true},
    {"tiny-llama-ff512-Q4_K_M.json", "tiny-llama-ff512-Q4_K_M.gguf", 0.5, true},
};
INSTANTIATE_TEST_SUITE_P(Q8Activations, GoldenTest, ::testing::ValuesIn(kQ8Activations));

// F16 KV cache (--kv-type f16) against llama.cpp's own F16-cache runs
// (check_kv_f16 in the F32 goldens): the next-token logits stay within twice
// the distance llama.cpp itself measured between its F16 and F32 caches, and
// free-running greedy decoding gives llama.cpp's F16-cache ids up to the
// first step whose golden top-2 margin is below twice its step distance.
class KvF16GoldenTest : public ::testing::TestWithParam<Spec> {};

TEST_P(KvF16GoldenTest, MatchesLlamaCppF16Cache) {
  const Spec& spec = GetParam();
  STEER_REQUIRE_SHARED(golden_path, "golden/" + spec.golden);
  STEER_REQUIRE_SHARED(model_path, "models/" + spec.model);
  EngineOptions options;
  options.kv_type = model::KvType::kF16;
  json golden;
  std::unique_ptr<Engine> opened;
  ASSERT_NO_FATAL_FAILURE(OpenGolden(golden_path, model_path, &options, &golden, &opened));
  Engine& engine = *opened;
  EXPECT_EQ(engine.kv_cache().block_bytes() * 2,
            int64_t{2} * engine.hparams().n_layer * options.kv_block_size * engine.hparams().kv_dim() * 4);
  int compared = 0;
  for (size_t c = 0; c < golden["cases"].size(); ++c) {
    const json& cs = golden["cases"][c];
    const json& check = cs["check_kv_f16"];
    const std::string where = spec.golden + " case " + std::to_string(c);
    const std::vector<TokenId> tokens = cs["tokens"].get<std::vector<TokenId>>();
    const SeqId seq = engine.NewSequence();
    Batch batch;
    for (size_t i = 0; i < tokens.size(); ++i) batch.Add(tokens[i], static_cast<Pos>(i), seq, i + 1 == tokens.size());
    ASSERT_TRUE(engine.Decode(batch).ok());
    const double next_tol = 2 * check["max_abs_diff_next_token_logits"].get<double>() + 1e-4;
    const std::vector<float> want = cs["next_token_logits"].get<std::vector<float>>();
    std::span<const float> got = engine.Logits(0);
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(got[i]) - want[i]));
    EXPECT_LE(worst, next_tol) << where;
    const double step_tol = 2 * check["max_abs_diff_step_logits_over_agreeing_prefix"].get<double>() + 1e-4;
    const std::vector<TokenId> ids = check["greedy_ids"].get<std::vector<TokenId>>();
    const json& steps = cs["greedy"]["step_logits"];
    for (size_t k = 0; k < ids.size() && k < steps.size(); ++k) {
      if (Top2Margin(steps[k].get<std::vector<float>>()) <= 2 * step_tol) break;
      const int token = Argmax(engine.Logits(0));
      ASSERT_EQ(token, ids[k]) << where << " step " << k;
      ++compared;
      batch.Clear();
      batch.Add(token, engine.Length(seq), seq, true);
      ASSERT_TRUE(engine.Decode(batch).ok());
    }
    ASSERT_TRUE(engine.Release(seq).ok());
  }
  EXPECT_GT(compared, 0);
  std::printf("[ golden ] %s with an F16 KV cache: %d greedy steps equal llama.cpp's\n", spec.golden.c_str(),
              compared);
}

INSTANTIATE_TEST_SUITE_P(F32, KvF16GoldenTest, ::testing::ValuesIn(kF32));

}  // namespace
}  // namespace steer::engine
