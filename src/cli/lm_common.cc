#include "lm_common.h"

#include <sstream>

#include "embedded.h"
#include "steer/model/weights.h"

namespace steer::cli {

void AddModelOptions(CLI::App* cmd, ModelArgs& args) {
  cmd->add_option("-m,--model", args.model, "GGUF model file (default: the embedded steer-code model)");
  cmd->add_option("--threads", args.threads, "Worker threads (default: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--ctx-size", args.n_ctx, "Maximum sequence length (default: the model's)")
      ->check(CLI::Range(0, 1 << 24));
  cmd->add_option("--kv-budget-mb", args.kv_budget_mb, "KV cache memory limit in MiB (default: none)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--kv-type", args.kv_type,
                  "Stored keys and values: f16 (default, as llama.cpp's; half the memory and attention\n"
                  "traffic of f32) or f32 (exact: reproduces F32-cache references; logits move by\n"
                  "about 1e-2 between the two)")
      ->check(CLI::IsMember({"f32", "f16"}));
  cmd->add_flag("--exact-activations", args.exact_activations,
                "Multiply quantized weights with F32 activations (slower; by default activations are\n"
                "rounded to 8 bits for quantized weights, as llama.cpp does). F32/F16/BF16 models are\n"
                "unaffected");
}

Result<const tokenizer::Tokenizer*> LmSession::Tokenizer() const {
  if (tokenizer == nullptr) {
    return tokenizer_error ? *tokenizer_error : MakeError(ErrorCode::kInternal, "no tokenizer");
  }
  return tokenizer.get();
}

Result<LmSession> OpenSession(const ModelArgs& args) {
  engine::EngineOptions options;
  options.threads = args.threads;
  options.n_ctx = args.n_ctx;
  options.kv_budget_bytes = static_cast<int64_t>(args.kv_budget_mb * 1024 * 1024);
  options.q8_activations = !args.exact_activations;
  options.kv_type = args.kv_type == "f16" ? model::KvType::kF16 : model::KvType::kF32;
  LmSession s;
  STEER_ASSIGN_OR_RETURN(std::unique_ptr<gguf::File> file, OpenModelFile(args.model));
  const std::string name = file->path();
  STEER_ASSIGN_OR_RETURN(std::shared_ptr<const model::Model> model, model::Model::FromFile(std::move(file)));
  STEER_ASSIGN_OR_RETURN(s.engine, engine::Engine::Create(std::move(model), options));
  auto tok = tokenizer::Tokenizer::FromGguf(s.engine->model().file());
  if (tok.ok()) {
    s.tokenizer = std::move(tok).value();
    if (s.tokenizer->vocab_size() != s.engine->n_vocab()) {
      s.tokenizer_error = MakeError(ErrorCode::kInvalidInput,
                                    "the tokenizer has " + std::to_string(s.tokenizer->vocab_size()) +
                                        " tokens but the model " + std::to_string(s.engine->n_vocab()),
                                    name);
      s.tokenizer.reset();
    }
  } else {
    s.tokenizer_error = tok.error().Within(name + " tokenizer");
  }
  return s;
}

Status OverrideTokenizer(LmSession& session, const std::string& path) {
  auto t = tokenizer::Tokenizer::Load(path);
  if (!t.ok()) return t.error().Within(path);
  if ((*t)->vocab_size() != session.engine->n_vocab()) {
    return MakeError(ErrorCode::kInvalidInput,
                     "the tokenizer has " + std::to_string((*t)->vocab_size()) + " tokens but the model " +
                         std::to_string(session.engine->n_vocab()),
                     path);
  }
  session.tokenizer = std::move(t).value();
  session.tokenizer_error.reset();
  return {};
}

void AddPromptOptions(CLI::App* cmd, PromptArgs& args) {
  auto* p = cmd->add_option("-p,--prompt", args.prompt, "Prompt text");
  auto* t = cmd->add_option("--tokens", args.tokens, "Prompt as token ids, e.g. \"1 306 4317\"");
  p->excludes(t);
  t->excludes(p);
  p->each([&args](const std::string&) { args.prompt_given = true; });
}

Result<std::vector<TokenId>> PromptTokens(const LmSession& session, const PromptArgs& args) {
  std::vector<TokenId> ids;
  const int32_t n_vocab = session.engine->n_vocab();
  if (!args.tokens.empty()) {
    std::istringstream in(args.tokens);
    std::string word;
    while (in >> word) {
      char* end = nullptr;
      const long v = std::strtol(word.c_str(), &end, 10);
      if (end == word.c_str() || *end != '\0' || v < 0 || v >= n_vocab) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "'" + word + "' is not a token id in [0, " + std::to_string(n_vocab) + ")", "--tokens");
      }
      ids.push_back(static_cast<TokenId>(v));
    }
  } else if (args.prompt_given) {
    STEER_ASSIGN_OR_RETURN(const tokenizer::Tokenizer* tok, session.Tokenizer());
    auto encoded = tok->Encode(args.prompt);
    if (!encoded.ok()) return encoded.error().Within("--prompt");
    ids = std::move(encoded).value();
  }
  if (ids.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the prompt has no tokens: give -p TEXT (a model whose vocabulary adds no BOS needs "
                     "non-empty text) or --tokens IDS");
  }
  return ids;
}

}  // namespace steer::cli
