// Real files from ../shared: the values their READMEs list.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "shared_data.h"
#include "steer/gguf/gguf.h"

namespace steer::gguf {
namespace {
namespace fs = std::filesystem;

std::unique_ptr<File> MustOpen(const std::string& path) {
  auto r = File::Open(path);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

int64_t Parameters(const File& f) {
  int64_t n = 0;
  for (const TensorInfo& t : f.tensors()) n += t.num_elements();
  return n;
}

TEST(GgufGolden, Stories260K) {
  STEER_REQUIRE_SHARED(path, "models/stories260K.gguf");
  auto f = MustOpen(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->Find("general.alignment"), nullptr);
  EXPECT_EQ(f->tensors().size(), 48u);
  EXPECT_EQ(Parameters(*f), 292800);
  for (const TensorInfo& t : f->tensors()) EXPECT_EQ(t.type, TensorType::kF32) << t.name;
  const TensorInfo* embd = f->FindTensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->dims, (std::vector<int64_t>{64, 512}));
  ASSERT_NE(f->FindTensor("output.weight"), nullptr);

  EXPECT_EQ(f->GetString("general.architecture").value(), "llama");
  EXPECT_EQ(f->GetInt("llama.context_length").value(), 2048);
  EXPECT_EQ(f->GetInt("llama.embedding_length").value(), 64);
  EXPECT_EQ(f->GetInt("llama.block_count").value(), 5);
  EXPECT_EQ(f->GetInt("llama.feed_forward_length").value(), 172);
  EXPECT_EQ(f->GetInt("llama.attention.head_count").value(), 8);
  EXPECT_EQ(f->GetInt("llama.attention.head_count_kv").value(), 4);
  EXPECT_EQ(f->GetInt("llama.rope.dimension_count").value(), 8);
  EXPECT_FLOAT_EQ(static_cast<float>(f->GetFloat("llama.attention.layer_norm_rms_epsilon").value()),
                  1e-5f);
  EXPECT_EQ(f->Find("llama.rope.freq_base"), nullptr);
  EXPECT_EQ(f->Find("general.file_type"), nullptr);

  EXPECT_EQ(f->GetString("tokenizer.ggml.model").value(), "llama");
  EXPECT_EQ(f->Find("tokenizer.ggml.pre"), nullptr);
  EXPECT_EQ(f->GetInt("tokenizer.ggml.bos_token_id").value(), 1);
  EXPECT_EQ(f->GetInt("tokenizer.ggml.eos_token_id").value(), 2);
  EXPECT_EQ(f->GetInt("tokenizer.ggml.unknown_token_id").value(), 0);
  EXPECT_EQ(f->GetUint("tokenizer.ggml.seperator_token_id").value(), 4294967295u);
  EXPECT_EQ(f->GetUint("tokenizer.ggml.padding_token_id").value(), 4294967295u);

  const Value* tokens = f->Find("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  ASSERT_EQ(tokens->element_type(), ValueType::kString);
  ASSERT_EQ(tokens->elements().size(), 512u);
  EXPECT_EQ(*tokens->elements()[0].GetString(), "<unk>");
  EXPECT_EQ(*tokens->elements()[1].GetString(), "<s>");
  EXPECT_EQ(*tokens->elements()[2].GetString(), "</s>");
  EXPECT_EQ(*tokens->elements()[3].GetString(), "<0x00>");
  EXPECT_EQ(*tokens->elements()[258].GetString(), "<0xFF>");

  const Value* scores = f->Find("tokenizer.ggml.scores");
  ASSERT_NE(scores, nullptr);
  ASSERT_EQ(scores->element_type(), ValueType::kFloat32);
  ASSERT_EQ(scores->elements().size(), 512u);
  for (int k = 0; k < 253; ++k) {  // normal pieces score 0, -1, ..., -252
    double s = 1;
    ASSERT_TRUE(scores->elements()[259 + k].GetFloat(&s));
    EXPECT_EQ(s, -k) << "token " << 259 + k;
  }
  const Value* types = f->Find("tokenizer.ggml.token_type");
  ASSERT_NE(types, nullptr);
  ASSERT_EQ(types->elements().size(), 512u);
  int64_t type = 0;
  ASSERT_TRUE(types->elements()[3].GetInt(&type));
  EXPECT_EQ(type, 6);  // BYTE
}

TEST(GgufGolden, EveryModelOpensWithConsistentTensors) {
  STEER_REQUIRE_SHARED(dir, "models");
  // Tensor and parameter counts from models/README.md.
  const std::map<std::string, std::pair<size_t, int64_t>> expected = {
      {"stories260K.gguf", {48, 292800}},
      {"llama-2-tiny-random.gguf", {12, 513048}},
      {"tiny-llama-F32.gguf", {21, 984320}},
      {"tiny-llama-Q4_K_M.gguf", {21, 984320}},
      {"tiny-qwen2-F32.gguf", {27, 985088}},
      {"tiny-llama-tied-F32.gguf", {20, 853248}},
  };
  size_t opened = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".gguf") continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto f = MustOpen(entry.path().string());
    if (!f) continue;
    ++opened;
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), 32u);
    std::vector<const TensorInfo*> by_offset;
    for (const TensorInfo& t : f->tensors()) {
      int64_t rows = 1;
      for (size_t d = 1; d < t.dims.size(); ++d) rows *= t.dims[d];
      EXPECT_EQ(t.num_bytes, RowBytes(t.type, t.dims[0]) * rows) << t.name;
      by_offset.push_back(&t);
    }
    std::sort(by_offset.begin(), by_offset.end(),
              [](auto* a, auto* b) { return a->offset < b->offset; });
    for (size_t k = 1; k < by_offset.size(); ++k) {
      EXPECT_LE(by_offset[k - 1]->offset + by_offset[k - 1]->num_bytes, by_offset[k]->offset)
          << by_offset[k - 1]->name << " overlaps " << by_offset[k]->name;
    }
    if (auto it = expected.find(name); it != expected.end()) {
      EXPECT_EQ(f->tensors().size(), it->second.first);
      EXPECT_EQ(Parameters(*f), it->second.second);
    }
  }
  EXPECT_GE(opened, 16u);
}

TEST(GgufGolden, QuantizedTensorTypes) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-Q4_K_M.gguf");
  auto f = MustOpen(path);
  ASSERT_TRUE(f);
  auto type_of = [&](const char* name) {
    const TensorInfo* t = f->FindTensor(name);
    EXPECT_NE(t, nullptr) << name;
    return t ? t->type : TensorType::kI64;
  };
  EXPECT_EQ(type_of("output.weight"), TensorType::kQ6_K);
  EXPECT_EQ(type_of("blk.1.attn_v.weight"), TensorType::kQ6_K);
  EXPECT_EQ(type_of("blk.1.ffn_down.weight"), TensorType::kQ6_K);
  EXPECT_EQ(type_of("token_embd.weight"), TensorType::kQ4_K);
  EXPECT_EQ(type_of("blk.0.attn_v.weight"), TensorType::kQ4_K);
  EXPECT_EQ(type_of("blk.0.attn_norm.weight"), TensorType::kF32);
  EXPECT_EQ(f->GetInt("general.file_type").value(), 15);
  EXPECT_EQ(f->GetInt("general.quantization_version").value(), 2);
}

TEST(GgufGolden, VocabFiles) {
  STEER_REQUIRE_SHARED(dir, "vocab");
  // n_vocab and n_merges from vocab/README.md.
  const std::map<std::string, std::pair<size_t, size_t>> expected = {
      {"ggml-vocab-baichuan.gguf", {64000, 0}},
      {"ggml-vocab-bert-bge.gguf", {30522, 0}},
      {"ggml-vocab-deepseek-coder.gguf", {32256, 31757}},
      {"ggml-vocab-deepseek-llm.gguf", {102400, 99757}},
      {"ggml-vocab-falcon.gguf", {65024, 64784}},
      {"ggml-vocab-gpt-2.gguf", {50257, 50000}},
      {"ggml-vocab-gpt-neox.gguf", {50432, 50009}},
      {"ggml-vocab-llama-spm.gguf", {32000, 0}},
      {"ggml-vocab-mpt.gguf", {50432, 50009}},
      {"ggml-vocab-phi-3.gguf", {32064, 0}},
      {"ggml-vocab-refact.gguf", {49216, 48891}},
      {"ggml-vocab-starcoder.gguf", {49152, 48872}},
  };
  size_t opened = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".gguf") continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto f = MustOpen(entry.path().string());
    if (!f) continue;
    ++opened;
    EXPECT_TRUE(f->tensors().empty());
    auto it = expected.find(name);
    ASSERT_NE(it, expected.end()) << "vocab file not listed in the README";
    const Value* tokens = f->Find("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    EXPECT_EQ(tokens->element_type(), ValueType::kString);
    EXPECT_EQ(tokens->elements().size(), it->second.first);
    const Value* merges = f->Find("tokenizer.ggml.merges");
    EXPECT_EQ(merges ? merges->elements().size() : 0u, it->second.second);
  }
  EXPECT_EQ(opened, expected.size());
}

}  // namespace
}  // namespace steer::gguf
