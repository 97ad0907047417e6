// steer generate: plain sampling (temperature, top-k, top-p) from a prompt.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>

#include "command.h"
#include "lm_common.h"
#include "steer/gguf/gguf.h"
#include "steer/util/rng.h"

namespace steer::cli {
namespace {

struct GenerateOptions {
  ModelArgs model;
  PromptArgs prompt;
  int n = 32;
  double temp = 0.8;
  int top_k = 40;
  double top_p = 0.95;
  uint64_t seed = 0;
  bool ignore_eos = false;
  bool json = false;
};

// Picks the next token. temp <= 0 is greedy (lowest id on ties). Otherwise
// logits/temp, restricted to the top_k largest (0 = all), then to the
// smallest prefix (by descending probability) whose mass reaches top_p.
// `order` and `probs` are scratch.
TokenId SampleToken(std::span<const float> logits, const GenerateOptions& o, Rng& rng,
                    std::vector<int32_t>& order, std::vector<double>& probs) {
  if (o.temp <= 0) {
    return static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  order.resize(logits.size());
  std::iota(order.begin(), order.end(), 0);
  size_t k = o.top_k > 0 ? std::min<size_t>(o.top_k, order.size()) : order.size();
  auto desc = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::partial_sort(order.begin(), order.begin() + k, order.end(), desc);
  probs.resize(k);
  const double max = logits[order[0]];
  double sum = 0;
  for (size_t i = 0; i < k; ++i) sum += probs[i] = std::exp((logits[order[i]] - max) / o.temp);
  if (o.top_p < 1.0) {
    double mass = 0;
    size_t keep = 0;
    while (keep < k && mass < o.top_p * sum) mass += probs[keep++];
    k = std::max<size_t>(keep, 1);
    sum = 0;
    for (size_t i = 0; i < k; ++i) sum += probs[i];
  }
  double u = rng.Uniform() * sum;
  for (size_t i = 0; i < k; ++i) {
    u -= probs[i];
    if (u < 0) return order[i];
  }
  return order[k - 1];
}

int RunGenerate(const GenerateOptions& o) {
  auto session = OpenSession(o.model);
  if (!session.ok()) return ReportError("generate", session.error());
  engine::Engine& engine = *session->engine;
  auto prompt = PromptTokens(*session, o.prompt);
  if (!prompt.ok()) return ReportError("generate", prompt.error());
  const auto eos_or = engine.model().file().GetIntOr("tokenizer.ggml.eos_token_id", -1);
  const TokenId eos = eos_or.ok() ? static_cast<TokenId>(*eos_or) : kNoToken;

  const SeqId seq = engine.NewSequence();
  engine::Batch batch;
  for (size_t i = 0; i < prompt->size(); ++i) batch.Add((*prompt)[i], static_cast<Pos>(i), seq, i + 1 == prompt->size());
  Rng rng(o.seed);
  std::vector<int32_t> order;
  std::vector<double> probs;
  std::vector<TokenId> out;
  // The continuation's text: a stream decoder primed with the prompt, so the
  // first generated token keeps its leading space.
  std::optional<tokenizer::StreamDecoder> text;
  std::string text_out;
  if (session->tokenizer != nullptr) {
    text.emplace(*session->tokenizer);
    for (TokenId t : *prompt) text->Push(t);
  }
  for (int step = 0; step < o.n; ++step) {
    Status st = engine.Decode(batch);
    if (!st.ok()) return ReportError("generate", st.error());
    const TokenId t = SampleToken(engine.Logits(0), o, rng, order, probs);
    if (t == eos && !o.ignore_eos) break;
    out.push_back(t);
    const std::string piece = text ? text->Push(t) : " " + std::to_string(t);
    if (o.json) {
      text_out += piece;
    } else {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
    batch.Clear();
    batch.Add(t, engine.Length(seq), seq, true);
  }
  if (o.json) {
    nlohmann::json j;
    j["tokens"] = out;
    if (text) j["text"] = text_out + text->Finish();
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    if (text) std::printf("%s", text->Finish().c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace

void AddGenerateCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand("generate", "Sample a continuation of a prompt");
  AddModelOptions(cmd, o->model);
  AddPromptOptions(cmd, o->prompt);
  cmd->add_option("-n,--n-tokens", o->n, "Tokens to generate (stops early at EOS)")->check(CLI::Range(0, 1 << 24));
  cmd->add_option("--temp", o->temp, "Temperature; 0 is greedy")->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--top-k", o->top_k, "Keep the K most likely tokens; 0 keeps all")->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", o->top_p, "Keep the smallest set with probability >= P")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", o->seed, "Random seed");
  cmd->add_flag("--ignore-eos", o->ignore_eos, "Do not stop at the end-of-sequence token");
  cmd->add_flag("--json", o->json,
                "Print {\"tokens\":[...],\"text\":\"...\"} (the continuation only; no text without a tokenizer)");
  cmd->callback([o, &ctx]() { ctx.exit_code = RunGenerate(*o); });
}

}  // namespace steer::cli
