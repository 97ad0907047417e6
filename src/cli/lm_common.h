// Shared by the commands that run the model (logits, generate, bench):
// prompt handling and engine options.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "steer/engine/engine.h"
#include "steer/util/result.h"
#include "steer/util/types.h"

namespace steer::cli {

struct ModelArgs {
  std::string model;
  int threads = 0;  // 0: all cores
  int n_ctx = 0;    // 0: the model's
  double kv_budget_mb = 0;
  bool q8_activations = false;
};

// Adds -m/--model, --threads, --ctx-size, --kv-budget-mb and --q8-activations.
void AddModelOptions(CLI::App* cmd, ModelArgs& args);
Result<std::unique_ptr<engine::Engine>> OpenEngine(const ModelArgs& args);

struct PromptArgs {
  std::string prompt;  // -p/--prompt: text, tokenized with the model's tokenizer
  std::string tokens;  // --tokens: "1 2 3", token ids used as given
};

// Adds -p/--prompt and --tokens (one of them is required).
void AddPromptOptions(CLI::App* cmd, PromptArgs& args);

// The prompt's token ids, validated against the vocabulary.
Result<std::vector<TokenId>> PromptTokens(const engine::Engine& engine, const PromptArgs& args);

// The text of generated tokens (their bytes, concatenated).
Result<std::string> TokensText(const engine::Engine& engine, std::span<const TokenId> tokens);

}  // namespace steer::cli
