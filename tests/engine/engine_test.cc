// Engine properties on the tiny F32 fixtures:
//  - a naive single-sequence forward pass (contiguous K/V, double
//    accumulation, direct RoPE angles) agrees with the paged batched path;
//  - a batch of sequences gives the same logits as decoding each alone, and
//    fork-and-continue the same as recomputing from scratch (bit for bit);
//  - 1 and 2 threads give the same logits (bit for bit);
//  - errors (context overflow, memory budget, bad rows) change nothing.
#include "steer/engine/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "shared_data.h"
#include "steer/model/kernels.h"
#include "steer/util/rng.h"

namespace steer::engine {
namespace {

using model::HParams;
using model::Matrix;

// ---- The oracle: llama/qwen2 forward for one sequence, written plainly. ----

std::vector<float> Dense(const Matrix& m) {
  std::vector<float> out(m.rows * m.cols);
  for (int64_t r = 0; r < m.rows; ++r) model::DequantizeRow(m.type, m.Row(r), out.data() + r * m.cols, m.cols);
  return out;
}

// y[r] = sum_c W[r][c] x[c] (+ bias[r]), accumulated in double.
std::vector<double> MatVec(const std::vector<float>& w, int64_t rows, int64_t cols, const std::vector<double>& x,
                           const float* bias = nullptr) {
  std::vector<double> y(rows);
  for (int64_t r = 0; r < rows; ++r) {
    double s = bias != nullptr ? bias[r] : 0.0;
    for (int64_t c = 0; c < cols; ++c) s += static_cast<double>(w[r * cols + c]) * x[c];
    y[r] = s;
  }
  return y;
}

std::vector<double> Norm(const std::vector<double>& x, const float* w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double scale = 1.0 / std::sqrt(ss / x.size() + eps);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * w[i];
  return y;
}

void Rope(std::vector<double>& v, int32_t n_heads, const HParams& hp, const float* freqs, Pos pos) {
  const int32_t half = hp.rope_dim / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    for (int32_t i = 0; i < half; ++i) {
      double theta = pos * std::pow(static_cast<double>(hp.rope_base), -2.0 * i / hp.rope_dim);
      if (freqs != nullptr) theta /= freqs[i];
      const size_t a = h * hp.head_dim + (hp.rope_style == model::RopeStyle::kNorm ? 2 * i : i);
      const size_t b = hp.rope_style == model::RopeStyle::kNorm ? a + 1 : a + half;
      const double x0 = v[a], x1 = v[b];
      v[a] = x0 * std::cos(theta) - x1 * std::sin(theta);
      v[b] = x0 * std::sin(theta) + x1 * std::cos(theta);
    }
  }
}

// Logits after every prefix of `tokens`: [n][n_vocab].
std::vector<std::vector<float>> OracleLogits(const model::Model& m, const std::vector<TokenId>& tokens) {
  const HParams& hp = m.hparams();
  const model::Weights& w = m.weights();
  const int64_t E = hp.n_embd, Q = hp.q_dim(), KV = hp.kv_dim(), F = hp.n_ff, D = hp.head_dim;
  const std::vector<float> embd = Dense(w.token_embd), out = Dense(w.output);
  struct Layer { std::vector<float> q, k, v, o, g, u, d; };
  std::vector<Layer> layers;
  for (const auto& L : w.layers) {
    layers.push_back({Dense(L.wq), Dense(L.wk), Dense(L.wv), Dense(L.wo), Dense(L.gate), Dense(L.up), Dense(L.down)});
  }
  std::vector<std::vector<std::vector<double>>> keys(hp.n_layer), values(hp.n_layer);  // [layer][pos][KV]
  std::vector<std::vector<float>> result;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    std::vector<double> x(embd.begin() + tokens[pos] * E, embd.begin() + (tokens[pos] + 1) * E);
    for (int32_t l = 0; l < hp.n_layer; ++l) {
      const auto& L = w.layers[l];
      const Layer& D2 = layers[l];
      std::vector<double> xn = Norm(x, L.attn_norm, hp.rms_eps);
      std::vector<double> q = MatVec(D2.q, Q, E, xn, L.bq), k = MatVec(D2.k, KV, E, xn, L.bk),
                          v = MatVec(D2.v, KV, E, xn, L.bv);
      Rope(q, hp.n_head, hp, w.rope_freqs, static_cast<Pos>(pos));
      Rope(k, hp.n_head_kv, hp, w.rope_freqs, static_cast<Pos>(pos));
      keys[l].push_back(k);
      values[l].push_back(v);
      std::vector<double> att(Q, 0.0);
      for (int32_t h = 0; h < hp.n_head; ++h) {
        const int32_t g = h / (hp.n_head / hp.n_head_kv);
        std::vector<double> s(pos + 1);
        double mx = -1e300, sum = 0;
        for (size_t t = 0; t <= pos; ++t) {
          double dot = 0;
          for (int64_t i = 0; i < D; ++i) dot += q[h * D + i] * keys[l][t][g * D + i];
          s[t] = dot / std::sqrt(static_cast<double>(D));
          mx = std::max(mx, s[t]);
        }
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (size_t t = 0; t <= pos; ++t)
          for (int64_t i = 0; i < D; ++i) att[h * D + i] += s[t] / sum * values[l][t][g * D + i];
      }
      std::vector<double> o = MatVec(D2.o, E, Q, att);
      for (int64_t i = 0; i < E; ++i) x[i] += o[i];
      xn = Norm(x, L.ffn_norm, hp.rms_eps);
      std::vector<double> gt = MatVec(D2.g, F, E, xn), up = MatVec(D2.u, F, E, xn);
      for (int64_t i = 0; i < F; ++i) gt[i] = gt[i] / (1 + std::exp(-gt[i])) * up[i];
      std::vector<double> dn = MatVec(D2.d, E, F, gt);
      for (int64_t i = 0; i < E; ++i) x[i] += dn[i];
    }
    std::vector<double> logits = MatVec(out, hp.n_vocab, E, Norm(x, w.output_norm, hp.rms_eps));
    result.emplace_back(logits.begin(), logits.end());
  }
  return result;
}

// ---- Helpers ----

std::unique_ptr<Engine> OpenEngine(const std::string& path, EngineOptions options = {}) {
  if (options.threads == 0) options.threads = 2;
  auto e = Engine::Open(path, options);
  EXPECT_TRUE(e.ok()) << e.error().ToString();
  return e.ok() ? std::move(e).value() : nullptr;
}

std::vector<TokenId> RandomTokens(Rng& rng, size_t n, int32_t vocab) {
  std::vector<TokenId> t(n);
  for (auto& x : t) x = static_cast<TokenId>(rng.UniformInt(vocab));
  return t;
}

// Decodes `tokens` as one batch at the end of `seq`; returns every row's logits.
std::vector<std::vector<float>> DecodeAll(Engine& e, SeqId seq, const std::vector<TokenId>& tokens) {
  Batch batch;
  for (TokenId t : tokens) batch.Add(t, e.Length(seq) + static_cast<Pos>(batch.size()), seq, true);
  Status st = e.Decode(batch);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  std::vector<std::vector<float>> out;
  for (int32_t i = 0; st.ok() && i < e.num_logits(); ++i) out.emplace_back(e.Logits(i).begin(), e.Logits(i).end());
  return out;
}

double MaxDiff(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// ---- Tests ----

class OracleTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OracleTest, NaiveContiguousForwardAgreesWithPagedBatchedPath) {
  STEER_REQUIRE_SHARED(path, std::string("models/") + GetParam());
  auto e = OpenEngine(path);
  ASSERT_NE(e, nullptr);
  Rng rng(11);
  const std::vector<TokenId> tokens = RandomTokens(rng, 37, e->n_vocab());  // crosses 2 block boundaries
  const auto oracle = OracleLogits(e->model(), tokens);
  // The engine decodes the first 20 tokens in one batch, then one at a time.
  const SeqId s = e->NewSequence();
  auto got = DecodeAll(*e, s, std::vector<TokenId>(tokens.begin(), tokens.begin() + 20));
  for (size_t i = 20; i < tokens.size(); ++i) got.push_back(DecodeAll(*e, s, {tokens[i]})[0]);
  ASSERT_EQ(got.size(), oracle.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, MaxDiff(got[i], oracle[i]));
  EXPECT_LE(worst, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Models, OracleTest,
                         ::testing::Values("tiny-llama-F32.gguf", "tiny-qwen2-F32.gguf",
                                           "tiny-llama3-ropefreqs-F32.gguf", "tiny-llama-tied-F32.gguf"));

// Max |Δlogit| between 5 prompts (interleaved in one Decode) plus 6 batched
// steps, and the same sequences decoded one by one.
double BatchVersusAlone(const std::string& path, const EngineOptions& options) {
  auto batched = OpenEngine(path, options);
  auto single = OpenEngine(path, options);
  EXPECT_TRUE(batched && single);
  if (!batched || !single) return 1e9;
  Rng rng(3);
  const size_t lengths[] = {5, 17, 1, 32, 9};
  std::vector<std::vector<TokenId>> prompts;
  for (size_t n : lengths) prompts.push_back(RandomTokens(rng, n, batched->n_vocab()));
  // Batched: all prompts interleaved in one Decode, then 6 steps for all.
  std::vector<SeqId> seqs;
  for (size_t i = 0; i < prompts.size(); ++i) seqs.push_back(batched->NewSequence());
  Batch batch;
  for (size_t j = 0; j < 32; ++j)
    for (size_t i = 0; i < prompts.size(); ++i)
      if (j < prompts[i].size()) batch.Add(prompts[i][j], static_cast<Pos>(j), seqs[i], j + 1 == prompts[i].size());
  EXPECT_TRUE(batched->Decode(batch).ok());
  // Logits rows come in row order: the prompts end at different j.
  std::vector<size_t> order(prompts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return prompts[a].size() < prompts[b].size(); });
  std::vector<std::vector<float>> got_prompt(prompts.size());
  for (size_t k = 0; k < order.size(); ++k) got_prompt[order[k]].assign(batched->Logits(k).begin(), batched->Logits(k).end());
  std::vector<std::vector<TokenId>> steps;
  for (int s = 0; s < 6; ++s) steps.push_back(RandomTokens(rng, prompts.size(), batched->n_vocab()));
  std::vector<std::vector<std::vector<float>>> got_steps(6);
  for (int s = 0; s < 6; ++s) {
    batch.Clear();
    for (size_t i = 0; i < prompts.size(); ++i) batch.Add(steps[s][i], batched->Length(seqs[i]), seqs[i], true);
    EXPECT_TRUE(batched->Decode(batch).ok());
    for (size_t i = 0; i < prompts.size(); ++i) got_steps[s].emplace_back(batched->Logits(i).begin(), batched->Logits(i).end());
  }
  // Alone: each sequence by itself.
  double worst = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const SeqId s = single->NewSequence();
    worst = std::max(worst, MaxDiff(DecodeAll(*single, s, prompts[i]).back(), got_prompt[i]));
    for (int k = 0; k < 6; ++k) worst = std::max(worst, MaxDiff(DecodeAll(*single, s, {steps[k][i]})[0], got_steps[k][i]));
    EXPECT_TRUE(single->Release(s).ok());
  }
  return worst;
}

// The kernels' sums do not depend on the batch, and attention treats each row
// alone: bit-identical, with F32 activations and with 8-bit ones.
TEST(EngineTest, BatchOfSequencesEqualsEachAlone) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-F32.gguf");
  EXPECT_EQ(BatchVersusAlone(path, {}), 0.0);
}

TEST(EngineTest, BatchOfSequencesEqualsEachAloneQuantized) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-Q4_K_M.gguf");
  EngineOptions options;
  EXPECT_EQ(BatchVersusAlone(path, options), 0.0);
  options.q8_activations = true;
  EXPECT_EQ(BatchVersusAlone(path, options), 0.0);
}

TEST(EngineTest, BatchOfSequencesEqualsEachAloneF16Cache) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-F32.gguf");
  EngineOptions options;
  options.kv_type = model::KvType::kF16;
  EXPECT_EQ(BatchVersusAlone(path, options), 0.0);
}

TEST(EngineTest, ThreadCountDoesNotChangeLogits) {
  STEER_REQUIRE_SHARED(path, "models/tiny-qwen2-F32.gguf");
  EngineOptions one, two;
  one.threads = 1;
  two.threads = 2;
  auto a = OpenEngine(path, one);
  auto b = OpenEngine(path, two);
  ASSERT_TRUE(a && b);
  Rng rng(9);
  const std::vector<TokenId> tokens = RandomTokens(rng, 40, a->n_vocab());
  const auto la = DecodeAll(*a, a->NewSequence(), tokens);
  const auto lb = DecodeAll(*b, b->NewSequence(), tokens);
  ASSERT_EQ(la.size(), lb.size());
  for (size_t i = 0; i < la.size(); ++i) EXPECT_EQ(MaxDiff(la[i], lb[i]), 0.0) << "position " << i;
}

TEST(EngineTest, ForkAndContinueEqualsRecompute) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-F32.gguf");
  for (size_t prefix_len : {21u, 32u}) {  // mid-block (copy on write) and block boundary
    auto e = OpenEngine(path);
    auto fresh = OpenEngine(path);
    ASSERT_TRUE(e && fresh);
    Rng rng(prefix_len);
    const std::vector<TokenId> prefix = RandomTokens(rng, prefix_len, e->n_vocab());
    const SeqId root = e->NewSequence();
    DecodeAll(*e, root, prefix);
    std::vector<SeqId> seqs = {root};
    for (int i = 0; i < 3; ++i) {
      auto f = e->Fork(root);
      ASSERT_TRUE(f.ok());
      seqs.push_back(*f);
    }
    // All four continue with their own 20 tokens, in one batch per step.
    std::vector<std::vector<TokenId>> tails;
    for (size_t i = 0; i < seqs.size(); ++i) tails.push_back(RandomTokens(rng, 20, e->n_vocab()));
    std::vector<std::vector<std::vector<float>>> got(seqs.size());
    for (size_t j = 0; j < 20; ++j) {
      Batch batch;
      for (size_t i = 0; i < seqs.size(); ++i) batch.Add(tails[i][j], e->Length(seqs[i]), seqs[i], true);
      ASSERT_TRUE(e->Decode(batch).ok());
      for (size_t i = 0; i < seqs.size(); ++i) got[i].emplace_back(e->Logits(i).begin(), e->Logits(i).end());
    }
    double worst = 0;
    for (size_t i = 0; i < seqs.size(); ++i) {
      std::vector<TokenId> all = prefix;
      all.insert(all.end(), tails[i].begin(), tails[i].end());
      const SeqId s = fresh->NewSequence();
      const auto want = DecodeAll(*fresh, s, all);
      for (size_t j = 0; j < 20; ++j) worst = std::max(worst, MaxDiff(got[i][j], want[prefix_len + j]));
    }
    EXPECT_EQ(worst, 0.0) << "prefix " << prefix_len;  // same arithmetic as from scratch
    // Sharing: the prefix's full blocks are stored once.
    const int64_t per_seq = (prefix_len + 20 + 15) / 16;
    EXPECT_LT(e->kv_cache().blocks_in_use(), per_seq * 4);
    for (SeqId s : seqs) ASSERT_TRUE(e->Release(s).ok());
    EXPECT_EQ(e->kv_cache().blocks_in_use(), 0);
  }
}

TEST(EngineTest, ContextOverflowIsAnErrorAndChangesNothing) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-F32.gguf");
  EngineOptions options;
  options.n_ctx = 8;
  auto e = OpenEngine(path, options);
  ASSERT_TRUE(e);
  const SeqId s = e->NewSequence();
  DecodeAll(*e, s, {1, 2, 3, 4, 5, 6});
  Batch batch;
  for (Pos p = 6; p < 9; ++p) batch.Add(7, p, s, p == 8);
  Status st = e->Decode(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(st.error().message.find("context overflow"), std::string::npos) << st.error().ToString();
  EXPECT_EQ(e->Length(s), 6);
  EXPECT_EQ(e->kv_cache().blocks_in_use(), 1);
  DecodeAll(*e, s, {7, 8});  // still usable up to n_ctx
  EXPECT_EQ(e->Length(s), 8);
}

TEST(EngineTest, MemoryBudgetIsAnErrorAndChangesNothing) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-F32.gguf");
  auto probe = OpenEngine(path);
  ASSERT_TRUE(probe);
  EngineOptions options;
  options.kv_budget_bytes = 3 * probe->kv_cache().block_bytes();  // 48 positions
  auto e = OpenEngine(path, options);
  ASSERT_TRUE(e);
  const SeqId a = e->NewSequence();
  DecodeAll(*e, a, std::vector<TokenId>(20, 5));
  auto b = e->Fork(a);
  ASSERT_TRUE(b.ok());
  // a holds 2 blocks; b's first write copies the shared partial one: the last free block.
  DecodeAll(*e, *b, {6});
  Batch batch;
  batch.Add(7, e->Length(a), a, true);
  batch.Add(7, e->Length(*b), *b, true);
  batch.Add(8, e->Length(*b) + 1, *b, true);
  ASSERT_TRUE(e->Decode(batch).ok());  // fits: no new block needed
  batch.Clear();
  for (Pos p = e->Length(a); p < 33; ++p) batch.Add(9, p, a, false);
  Status st = e->Decode(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(st.error().message.find("memory budget"), std::string::npos) << st.error().ToString();
  EXPECT_EQ(e->Length(a), 21);
  EXPECT_EQ(e->kv_cache().blocks_in_use(), 3);
}

TEST(EngineTest, BadRowsAreErrors) {
  STEER_REQUIRE_SHARED(path, "models/tiny-llama-F32.gguf");
  auto e = OpenEngine(path);
  ASSERT_TRUE(e);
  const SeqId s = e->NewSequence();
  auto expect_invalid = [&](TokenId t, Pos p, SeqId q) {
    Batch batch;
    batch.Add(1, 0, s, false);
    batch.Add(t, p, q, true);
    Status st = e->Decode(batch);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(e->Length(s), 0);
  };
  expect_invalid(-1, 1, s);
  expect_invalid(e->n_vocab(), 1, s);
  expect_invalid(1, 2, s);   // skips a position
  expect_invalid(1, 0, s);   // repeats a position
  expect_invalid(1, 0, 99);  // unknown sequence
  EXPECT_EQ(e->kv_cache().blocks_in_use(), 0);
}

}  // namespace
}  // namespace steer::engine
