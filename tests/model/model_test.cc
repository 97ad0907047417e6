// Model loading (hyperparameters, weight views, the errors that name what is
// wrong) on small GGUF images built with the Writer, and the RoPE/RMSNorm
// building blocks against their textbook formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "steer/gguf/gguf.h"
#include "steer/model/ops.h"
#include "steer/model/weights.h"

namespace steer::model {
namespace {

using gguf::TensorType;
using gguf::Value;

// A 1-layer model: n_embd 256 (one K-quant super-block per row), 4 heads of
// 64, 2 KV heads, n_ff 256, vocab 8. `edit` may change the writer's content
// before the tensors are added; `skip` names a tensor to leave out.
struct Builder {
  std::string arch = "llama";
  TensorType matrix_type = TensorType::kF32;
  std::string skip;
  std::string wrong_shape;  // a tensor written with its dims swapped
  bool qwen_bias = false;
  std::function<void(gguf::Writer&)> edit;

  Result<std::unique_ptr<Model>> Build() const {
    gguf::Writer w;
    w.Set("general.architecture", Value::String(arch));
    const std::string p = arch + ".";
    w.Set(p + "context_length", Value::U32(64));
    w.Set(p + "embedding_length", Value::U32(256));
    w.Set(p + "block_count", Value::U32(1));
    w.Set(p + "feed_forward_length", Value::U32(256));
    w.Set(p + "attention.head_count", Value::U32(4));
    w.Set(p + "attention.head_count_kv", Value::U32(2));
    w.Set(p + "attention.layer_norm_rms_epsilon", Value::F32(1e-5f));
    if (edit) edit(w);
    auto add = [&](const std::string& name, TensorType type, std::vector<int64_t> dims) {
      if (name == skip) return;
      if (name == wrong_shape) std::swap(dims[0], dims[1]);
      int64_t rows = 1;
      for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
      w.AddTensor(name, type, dims, std::string(gguf::RowBytes(type, dims[0]) * rows, '\0'));
    };
    add("token_embd.weight", matrix_type, {256, 8});
    add("output_norm.weight", TensorType::kF32, {256});
    add("output.weight", matrix_type, {256, 8});
    add("blk.0.attn_norm.weight", TensorType::kF32, {256});
    add("blk.0.attn_q.weight", matrix_type, {256, 256});
    add("blk.0.attn_k.weight", matrix_type, {256, 128});
    add("blk.0.attn_v.weight", matrix_type, {256, 128});
    add("blk.0.attn_output.weight", matrix_type, {256, 256});
    if (qwen_bias) {
      add("blk.0.attn_q.bias", TensorType::kF32, {256});
      add("blk.0.attn_k.bias", TensorType::kF32, {128});
      add("blk.0.attn_v.bias", TensorType::kF32, {128});
    }
    add("blk.0.ffn_norm.weight", TensorType::kF32, {256});
    add("blk.0.ffn_gate.weight", matrix_type, {256, 256});
    add("blk.0.ffn_up.weight", matrix_type, {256, 256});
    add("blk.0.ffn_down.weight", matrix_type, {256, 256});
    STEER_ASSIGN_OR_RETURN(auto file, gguf::File::FromBytes(w.Serialize()));
    return Model::FromFile(std::move(file));
  }
};

TEST(ModelTest, LoadsHyperparametersAndViews) {
  auto m = Builder{}.Build();
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  const HParams& hp = (*m)->hparams();
  EXPECT_EQ(hp.arch, Arch::kLlama);
  EXPECT_EQ(hp.rope_style, RopeStyle::kNorm);
  EXPECT_EQ(hp.n_vocab, 8);
  EXPECT_EQ(hp.head_dim, 64);
  EXPECT_EQ(hp.rope_dim, 64);  // defaults to the head size
  EXPECT_EQ(hp.kv_dim(), 128);
  EXPECT_FLOAT_EQ(hp.rope_base, 10000.0f);  // default
  EXPECT_FALSE((*m)->weights().tied_output);
  EXPECT_EQ((*m)->weights().layers[0].bq, nullptr);
  EXPECT_EQ((*m)->weights().layers[0].wk.rows, 128);
  EXPECT_EQ((*m)->weights().rope_freqs, nullptr);
}

TEST(ModelTest, TiedEmbeddingsWhenOutputIsAbsent) {
  Builder b;
  b.skip = "output.weight";
  auto m = b.Build();
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_TRUE((*m)->weights().tied_output);
  EXPECT_EQ((*m)->weights().output.data, (*m)->weights().token_embd.data);
}

TEST(ModelTest, Qwen2NeedsBiasesAndUsesNeoxRope) {
  Builder b;
  b.arch = "qwen2";
  auto missing = b.Build();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(missing.error().message.find("blk.0.attn_q.bias"), std::string::npos) << missing.error().ToString();
  b.qwen_bias = true;
  auto m = b.Build();
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ((*m)->hparams().rope_style, RopeStyle::kNeox);
  EXPECT_NE((*m)->weights().layers[0].bv, nullptr);
}

TEST(ModelTest, UnsupportedArchitectureIsNamed) {
  Builder b;
  b.arch = "gpt2";
  auto m = b.Build();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(m.error().message.find("'gpt2'"), std::string::npos) << m.error().ToString();
}

TEST(ModelTest, UnsupportedTensorTypeIsNamed) {
  Builder b;
  b.matrix_type = TensorType::kQ2_K;
  auto m = b.Build();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(m.error().message.find("token_embd.weight"), std::string::npos) << m.error().ToString();
  EXPECT_NE(m.error().message.find("Q2_K"), std::string::npos) << m.error().ToString();
}

TEST(ModelTest, MissingOrMisshapenTensorsAreNamed) {
  Builder b;
  b.skip = "blk.0.ffn_up.weight";
  auto m = b.Build();
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("missing tensor blk.0.ffn_up.weight"), std::string::npos) << m.error().ToString();
  Builder c;
  c.wrong_shape = "blk.0.attn_k.weight";
  m = c.Build();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(m.error().message.find("blk.0.attn_k.weight has dims [128, 256], expected [256, 128]"), std::string::npos)
      << m.error().ToString();
}

TEST(ModelTest, BadHyperparametersNameTheKey) {
  struct Case {
    std::function<void(gguf::Writer&)> edit;
    std::string key;
  };
  const Case cases[] = {
      {[](gguf::Writer& w) { w.Set("llama.attention.head_count", Value::U32(3)); }, "llama.attention.head_count"},
      {[](gguf::Writer& w) { w.Set("llama.attention.head_count_kv", Value::U32(3)); }, "llama.attention.head_count_kv"},
      {[](gguf::Writer& w) { w.Set("llama.rope.dimension_count", Value::U32(65)); }, "llama.rope.dimension_count"},
      {[](gguf::Writer& w) { w.Set("llama.block_count", Value::U32(0)); }, "llama.block_count"},
      {[](gguf::Writer& w) { w.Set("llama.embedding_length", Value::String("x")); }, "llama.embedding_length"},
  };
  for (const Case& c : cases) {
    Builder b;
    b.edit = c.edit;
    auto m = b.Build();
    ASSERT_FALSE(m.ok()) << c.key;
    EXPECT_NE(m.error().ToString().find(c.key), std::string::npos) << m.error().ToString();
  }
}

TEST(ModelTest, RopeFreqsMustMatchHalfTheRopeDims) {
  Builder b;
  b.edit = [](gguf::Writer& w) {
    w.AddTensor("rope_freqs.weight", TensorType::kF32, {31}, std::string(31 * 4, '\0'));
  };
  auto m = b.Build();
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("rope_freqs.weight"), std::string::npos) << m.error().ToString();
}

TEST(OpsTest, RopeStylesRotateTheirPairs) {
  const int32_t head_dim = 8, rope_dim = 6;
  const float base = 100.0f, freqs[3] = {1.0f, 2.0f, 4.0f};
  const Pos pos = 5;
  std::vector<float> cs(rope_dim);
  RopeAngles(pos, rope_dim, base, freqs, cs.data());
  for (RopeStyle style : {RopeStyle::kNorm, RopeStyle::kNeox}) {
    std::vector<float> x(2 * head_dim);
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.1f * static_cast<float>(i) - 0.7f;
    std::vector<float> y = x;
    ApplyRope(y.data(), 2, head_dim, rope_dim, style, cs.data());
    for (int h = 0; h < 2; ++h) {
      for (int i = 0; i < rope_dim / 2; ++i) {
        const double theta = pos * std::pow(double{base}, -2.0 * i / rope_dim) / freqs[i];
        const int a = h * head_dim + (style == RopeStyle::kNorm ? 2 * i : i);
        const int b = style == RopeStyle::kNorm ? a + 1 : a + rope_dim / 2;
        EXPECT_NEAR(y[a], x[a] * std::cos(theta) - x[b] * std::sin(theta), 1e-5);
        EXPECT_NEAR(y[b], x[a] * std::sin(theta) + x[b] * std::cos(theta), 1e-5);
      }
      for (int i = rope_dim; i < head_dim; ++i) EXPECT_EQ(y[h * head_dim + i], x[h * head_dim + i]);  // not rotated
    }
  }
}

TEST(OpsTest, RmsNormAndSwiGluMatchTheirFormulas) {
  const float x[4] = {1, -2, 3, 0.5f}, w[4] = {1, 2, 0.5f, -1};
  float y[4];
  RmsNorm(x, w, 4, 1e-5f, y);
  const double rms = std::sqrt((1 + 4 + 9 + 0.25) / 4 + 1e-5);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], x[i] / rms * w[i], 1e-6);
  // Rows long enough for the eight partial sums and the vector loops, with
  // out aliasing x.
  for (int n : {8, 37, 512}) {
    std::vector<float> xs(n), ws(n), ys(n);
    double ss = 0;
    for (int i = 0; i < n; ++i) {
      xs[i] = 0.37f * static_cast<float>(i % 11) - 1.1f;
      ws[i] = 1.0f + 0.01f * static_cast<float>(i);
      ss += static_cast<double>(xs[i]) * xs[i];
    }
    const double r = std::sqrt(ss / n + 1e-5);
    ys = xs;
    RmsNorm(ys.data(), ws.data(), n, 1e-5f, ys.data());
    for (int i = 0; i < n; ++i) EXPECT_NEAR(ys[i], xs[i] / r * ws[i], 2e-6 * std::fabs(ws[i])) << n << " " << i;
  }
  float g[3] = {-1, 0, 2};
  const float u[3] = {3, 4, 0.5f};
  SwiGlu(g, u, 3);
  EXPECT_NEAR(g[0], -1 / (1 + std::exp(1.0)) * 3, 1e-6);
  EXPECT_EQ(g[1], 0);
  EXPECT_NEAR(g[2], 2 / (1 + std::exp(-2.0)) * 0.5, 1e-6);
}

}  // namespace
}  // namespace steer::model
