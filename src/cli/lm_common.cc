#include "lm_common.h"

#include <sstream>

namespace steer::cli {

void AddModelOptions(CLI::App* cmd, ModelArgs& args) {
  cmd->add_option("-m,--model", args.model, "GGUF model file")->required();
  cmd->add_option("--threads", args.threads, "Worker threads (default: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--ctx-size", args.n_ctx, "Maximum sequence length (default: the model's)")
      ->check(CLI::Range(0, 1 << 24));
  cmd->add_option("--kv-budget-mb", args.kv_budget_mb, "KV cache memory limit in MiB (default: none)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--q8-activations", args.q8_activations,
                "Round activations to 8 bits for Q8_0/Q4_0 weights, as llama.cpp does (faster, inexact)");
}

Result<std::unique_ptr<engine::Engine>> OpenEngine(const ModelArgs& args) {
  engine::EngineOptions options;
  options.threads = args.threads;
  options.n_ctx = args.n_ctx;
  options.kv_budget_bytes = static_cast<int64_t>(args.kv_budget_mb * 1024 * 1024);
  options.q8_activations = args.q8_activations;
  return engine::Engine::Open(args.model, options);
}

void AddPromptOptions(CLI::App* cmd, PromptArgs& args) {
  auto* p = cmd->add_option("-p,--prompt", args.prompt, "Prompt text");
  auto* t = cmd->add_option("--tokens", args.tokens, "Prompt as token ids, e.g. \"1 306 4317\"");
  p->excludes(t);
  t->excludes(p);
}

Result<std::vector<TokenId>> PromptTokens(const engine::Engine& engine, const PromptArgs& args) {
  std::vector<TokenId> ids;
  if (!args.tokens.empty()) {
    std::istringstream in(args.tokens);
    std::string word;
    while (in >> word) {
      char* end = nullptr;
      const long v = std::strtol(word.c_str(), &end, 10);
      if (end == word.c_str() || *end != '\0' || v < 0 || v >= engine.n_vocab()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "'" + word + "' is not a token id in [0, " + std::to_string(engine.n_vocab()) + ")",
                         "--tokens");
      }
      ids.push_back(static_cast<TokenId>(v));
    }
  } else if (!args.prompt.empty()) {
    // The tokenizer module is not merged into this branch yet. When it is:
    //   STEER_ASSIGN_OR_RETURN(auto tok, tokenizer::Tokenizer::FromGguf(engine.model().file()));
    //   STEER_ASSIGN_OR_RETURN(ids, tok->Encode(args.prompt));
    return MakeError(ErrorCode::kUnsupported,
                     "text prompts need the tokenizer, which this build lacks; pass --tokens \"ID ID ...\"",
                     "--prompt");
  }
  if (ids.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the prompt is empty: give -p TEXT or --tokens IDS");
  }
  return ids;
}

Result<std::string> TokensText(const engine::Engine& engine, std::span<const TokenId> tokens) {
  // Needs the tokenizer (see PromptTokens): return tok->Decode(tokens);
  return MakeError(ErrorCode::kUnsupported, "detokenizing needs the tokenizer, which this build lacks");
}

}  // namespace steer::cli
