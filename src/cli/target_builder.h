// Constraint options and the sampling target they describe, shared by the
// commands that sample under constraints (`steer sample`, later `steer demo`).
//
// The target is the LM (prompted, optionally at a temperature) times every
// constraint given; constraints are repeatable and multiply:
//   --grammar FILE        GBNF/Lark/regex/JSON Schema file (format from the
//                         extension; --format overrides for every file)
//   --regex PATTERN       the continuation must fully match PATTERN
//   --json-schema FILE    the continuation is JSON valid under the schema
//   --max-ident-len N     no identifier longer than N bytes, counting an
//                         identifier the prompt leaves open
//   --critic-cmd CMD      an external checker (ExternalPotential's line
//                         protocol) used as a weight: asked only about the
//                         chosen tokens, never inside a masked proposal
// Grammars and max-ident-len are boolean constraints (they enter masked
// proposals); critics are Target::weights.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "steer/engine/engine.h"
#include "steer/sampler/sampler.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/result.h"
#include "steer/util/types.h"

namespace steer::cli {

struct ConstraintArgs {
  std::vector<std::string> grammars;      // files
  std::string format;                     // overrides the extension for every --grammar
  std::vector<std::string> regexes;       // patterns
  std::vector<std::string> json_schemas;  // files
  std::vector<int> max_ident_lens;
  std::vector<std::string> critic_cmds;
  int critic_timeout_ms = 10000;
  std::string end;  // "", "finished" or "complete"; "" = the default below
};

// Adds the constraint options above plus --format, --critic-timeout-ms and
// --end finished|complete.
void AddConstraintOptions(CLI::App* cmd, ConstraintArgs& args);

struct BuiltTarget {
  sampler::Target target;
  // One line per constraint, for progress output ("grammar names.gbnf", ...).
  std::vector<std::string> descriptions;
  double compile_seconds = 0;  // parsing and binding the grammars
};

// The end mode when --end is absent: stop-when-complete if a grammar, regex
// or JSON Schema constrains the text, else finished documents (under
// stop-when-complete a constraint that is complete everywhere, such as
// max-ident-len alone, would stop at the empty string).
sampler::EndMode DefaultEndMode(const ConstraintArgs& args);

// Builds the target over `engine` for the continuation of `prompt` (token
// ids, BOS included as the model wants it). temperature > 0 raises the LM to
// 1/temperature (Power); 1 leaves it as is. Errors: bad grammar files carry
// "FILE:line:column", bad regexes "--regex:1:column", a tokenizer without EOS
// or a vocabulary that differs from the model's kInvalidInput.
Result<BuiltTarget> BuildTarget(const ConstraintArgs& args, std::shared_ptr<engine::Engine> engine,
                                const tokenizer::Tokenizer& tokenizer, std::span<const TokenId> prompt,
                                double temperature = 1.0);

}  // namespace steer::cli
