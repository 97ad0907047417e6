// Shared by the commands that run the model (logits, generate, bench):
// engine options, and prompts as text (through the model's tokenizer) or as
// token ids.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "steer/engine/engine.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/result.h"
#include "steer/util/types.h"

namespace steer::cli {

struct ModelArgs {
  std::string model;  // empty: the embedded model (embedded.h)
  int threads = 0;  // 0: all cores
  int n_ctx = 0;    // 0: the model's
  double kv_budget_mb = 0;
  std::string kv_type = "f16";  // f16 or f32
  bool exact_activations = false;  // F32 activations for quantized weights (default: 8-bit, as llama.cpp)
};

// Adds -m/--model (optional: the embedded model by default), --threads, --ctx-size, --kv-budget-mb,
// --kv-type and --exact-activations.
void AddModelOptions(CLI::App* cmd, ModelArgs& args);

// An engine plus the model's tokenizer. A model without (or with a broken)
// tokenizer still runs on token-id prompts; the tokenizer's load error is
// reported only when text is needed.
struct LmSession {
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;  // null when unavailable
  std::optional<Error> tokenizer_error;             // why it is null

  Result<const tokenizer::Tokenizer*> Tokenizer() const;
};
Result<LmSession> OpenSession(const ModelArgs& args);

// Replaces the session's tokenizer with the one in `path` (a GGUF or an HF
// tokenizer.json), which must have the model's vocabulary size: for models
// without one, such as make_random_model's. Errors are located at `path`.
Status OverrideTokenizer(LmSession& session, const std::string& path);

struct PromptArgs {
  std::string prompt;  // -p/--prompt: text, tokenized with the model's tokenizer
  std::string tokens;  // --tokens: "1 2 3", token ids used as given
  bool prompt_given = false;
};

// Adds -p/--prompt and --tokens (exclusive).
void AddPromptOptions(CLI::App* cmd, PromptArgs& args);

// The prompt's token ids: text is encoded as llama.cpp does (BOS added when
// the vocabulary asks for it); ids are checked against the vocabulary.
Result<std::vector<TokenId>> PromptTokens(const LmSession& session, const PromptArgs& args);

}  // namespace steer::cli
