#include "target_builder.h"

#include <chrono>
#include <string_view>
#include <utility>

#include "grammar_files.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/regex.h"
#include "steer/potential/byte_constraint.h"
#include "steer/potential/combinators.h"
#include "steer/potential/external.h"
#include "steer/potential/grammar.h"
#include "steer/potential/lm.h"

namespace steer::cli {
namespace {

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The identifier (or number) run the text ends with, if any.
std::string TrailingWordRun(std::string_view text) {
  size_t start = text.size();
  while (start > 0 && IsWordByte(text[start - 1])) --start;
  return std::string(text.substr(start));
}

}  // namespace

void AddConstraintOptions(CLI::App* cmd, ConstraintArgs& args) {
  cmd->add_option("--grammar", args.grammars, "Grammar file (repeatable); format from the extension")
      ->type_name("FILE");
  cmd->add_option("--format", args.format,
                  "Format of every --grammar file: gbnf, lark, regex or json-schema\n"
                  "(default: from the extension: .gbnf, .lark, .regex/.re, .json)");
  cmd->add_option("--regex", args.regexes, "The continuation must fully match PATTERN (repeatable)")
      ->type_name("PATTERN");
  cmd->add_option("--json-schema", args.json_schemas, "The continuation is JSON valid under the schema (repeatable)")
      ->type_name("FILE");
  cmd->add_option("--max-ident-len", args.max_ident_lens,
                  "No identifier ([A-Za-z_][A-Za-z0-9_]*) longer than N bytes, counting one the prompt\n"
                  "leaves open")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--critic-cmd", args.critic_cmds,
                  "External checker over the line protocol of include/steer/potential/external.h,\n"
                  "used as a weight on chosen tokens (repeatable)")
      ->type_name("CMD");
  cmd->add_option("--critic-timeout-ms", args.critic_timeout_ms,
                  "Per-batch timeout of --critic-cmd; the checker is killed past it")
      ->check(CLI::Range(1, 3600 * 1000));
  cmd->add_option("--end", args.end,
                  "finished: a sample is a finished document (ends with the model's EOS);\n"
                  "complete: a sample stops as soon as every constraint is complete.\n"
                  "Default: complete when a grammar, regex or JSON Schema is given, else finished")
      ->check(CLI::IsMember({"finished", "complete"}));
}

sampler::EndMode DefaultEndMode(const ConstraintArgs& args) {
  if (args.end == "finished") return sampler::EndMode::kFinishedDocument;
  if (args.end == "complete") return sampler::EndMode::kStopWhenComplete;
  const bool has_grammar = !args.grammars.empty() || !args.regexes.empty() || !args.json_schemas.empty();
  return has_grammar ? sampler::EndMode::kStopWhenComplete : sampler::EndMode::kFinishedDocument;
}

Result<BuiltTarget> BuildTarget(const ConstraintArgs& args, std::shared_ptr<engine::Engine> engine,
                                const tokenizer::Tokenizer& tokenizer, std::span<const TokenId> prompt,
                                double temperature) {
  const int32_t n_vocab = engine->n_vocab();
  if (tokenizer.vocab_size() != n_vocab) {
    return MakeError(ErrorCode::kInvalidInput, "the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                                                   " tokens but the model " + std::to_string(n_vocab));
  }
  if (tokenizer.eos() < 0 || tokenizer.eos() >= n_vocab) {
    return MakeError(ErrorCode::kInvalidInput, "the model's vocabulary has no EOS token, which sampling needs");
  }
  BuiltTarget built;
  sampler::Target& target = built.target;
  target.end_mode = DefaultEndMode(args);

  // Special tokens have no bytes: no byte-level constraint can allow them.
  grammar::Vocabulary vocab = grammar::VocabularyOf(tokenizer);
  target.token_bytes = vocab.token_bytes;

  STEER_ASSIGN_OR_RETURN(auto lm, potential::LmPotential::Create(
                                      engine, std::vector<TokenId>(prompt.begin(), prompt.end()), tokenizer.eos()));
  target.base = lm;
  if (temperature != 1.0) {
    if (!(temperature > 0)) {
      return MakeError(ErrorCode::kInvalidArgument, "temperature must be > 0 for this method", "--temp");
    }
    STEER_ASSIGN_OR_RETURN(target.base, potential::Power(lm, 1.0 / temperature));
  }

  // Grammars, regexes and schemas: parsed, then bound to one shared vocabulary index.
  const auto compile_start = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string, grammar::Grammar>> grammars;
  for (const std::string& path : args.grammars) {
    const std::string format = args.format.empty() ? InferFormat(path) : args.format;
    STEER_ASSIGN_OR_RETURN(grammar::Grammar g, LoadGrammarFile(path, format));
    grammars.emplace_back(format + " " + path, std::move(g));
  }
  for (const std::string& pattern : args.regexes) {
    auto g = grammar::ParseRegex(pattern);
    if (!g.ok()) {
      Error e = g.error();
      e.location = "--regex" + (e.location.empty() ? "" : ":" + e.location);
      return e;
    }
    grammars.emplace_back("regex " + pattern, std::move(g).value());
  }
  for (const std::string& path : args.json_schemas) {
    STEER_ASSIGN_OR_RETURN(grammar::Grammar g, LoadGrammarFile(path, "json-schema"));
    grammars.emplace_back("json-schema " + path, std::move(g));
  }
  if (!grammars.empty()) {
    STEER_ASSIGN_OR_RETURN(auto index, grammar::VocabIndex::Build(vocab));
    for (auto& [description, g] : grammars) {
      auto compiled = grammar::CompiledGrammar::Create(g, index);
      if (!compiled.ok()) return compiled.error().Within(description);
      target.constraints.push_back(std::make_shared<potential::GrammarPotential>(*compiled));
      built.descriptions.push_back(description);
    }
  }
  built.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compile_start).count();

  if (!args.max_ident_lens.empty()) {
    // The identifier the prompt leaves open counts toward the limit. One the
    // prompt already made too long is cut to the limit: the continuation may
    // end it but not extend it (the prompt's own text is not judged).
    const std::string open = TrailingWordRun(tokenizer.Decode(prompt));
    for (int n : args.max_ident_lens) {
      const std::string counted = open.substr(0, static_cast<size_t>(n));
      target.constraints.push_back(std::make_shared<potential::MaxIdentLenTokens>(n, vocab.token_bytes, counted));
      built.descriptions.push_back("max-ident-len " + std::to_string(n) +
                                   (counted.empty() ? "" : " (counting '" + counted + "', left open by the prompt)"));
    }
  }
  potential::ExternalOptions external;
  external.timeout_ms = args.critic_timeout_ms;
  for (const std::string& cmd : args.critic_cmds) {
    auto critic = potential::ExternalPotential::Create(cmd, vocab.token_bytes, external);
    if (!critic.ok()) return critic.error().Within("--critic-cmd");
    target.weights.push_back(*critic);
    built.descriptions.push_back("critic " + cmd);
  }
  return built;
}

}  // namespace steer::cli
