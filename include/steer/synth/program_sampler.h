// Program samplers: prompt -> completions, the source of candidate programs
// for the synthesis pipelines (pipeline.h).
//
// Two implementations: ScriptedSampler (completions from a table keyed by
// prompt content; for tests) and ModelSampler (a language model through the
// engine, potential and sampler modules).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "steer/util/result.h"

namespace steer::engine {
class Engine;
}
namespace steer::tokenizer {
class Tokenizer;
}
namespace steer::potential {
class Potential;
class LmPotential;
}

namespace steer::synth {

struct SampledPrograms {
  std::vector<std::string> completions;  // each continues the prompt
  // Tokens generated to produce them, all work counted (for SMC: the tokens
  // of every finished particle, not only of the returned ones).
  int64_t tokens = 0;
};

class ProgramSampler {
 public:
  virtual ~ProgramSampler() = default;
  // n >= 1 completions of `prompt`.
  virtual Result<SampledPrograms> Sample(const std::string& prompt, int n) = 0;
};

// Where a function body ends: the offset just after the first newline that
// is followed by (optional blank lines and) a non-empty line starting with
// neither a space nor a tab. npos when the text has no such line yet.
size_t FunctionEnd(std::string_view completion);

// Completions from a table. Rules are tried in order and the first whose key
// occurs in the prompt answers, cycling through its completions (one cursor
// per rule). A prompt that matches no rule is kNotFound. A completion counts
// as one token per whitespace-separated word plus one per newline (a
// deterministic stand-in for a tokenizer, for budget accounting).
class ScriptedSampler final : public ProgramSampler {
 public:
  struct Rule {
    std::string key;
    std::vector<std::string> completions;  // at least one
  };
  explicit ScriptedSampler(std::vector<Rule> rules);
  Result<SampledPrograms> Sample(const std::string& prompt, int n) override;
  // How many completions the rule at `index` has answered so far.
  int64_t served(size_t index) const { return cursors_.at(index); }

 private:
  std::vector<Rule> rules_;
  std::vector<int64_t> cursors_;
};
int64_t ScriptedTokenCount(std::string_view text);

struct ModelSamplerOptions {
  // "ancestral": one run per completion from the LM at `temperature`, cut at
  // FunctionEnd, EOS or max_tokens. "smc": the sampler module's SMC with
  // `particles` particles and the critic (when set) in Target::weights; the
  // particles end at EOS or max_tokens, n completions are drawn from them in
  // proportion to their weights and cut at FunctionEnd. When every particle
  // gets zero weight the n completions are empty (they fail every test).
  std::string method = "ancestral";
  double temperature = 0.8;
  int max_tokens = 256;
  int particles = 8;
  uint64_t seed = 0;
};

// Builds the critic potential for a prompt (token-level, over the model's
// vocabulary); null means no critic.
using CriticFactory = std::function<Result<std::shared_ptr<potential::Potential>>(const std::string& prompt)>;

class ModelSampler final : public ProgramSampler {
 public:
  // The tokenizer must be the model's and outlive the sampler.
  ModelSampler(std::shared_ptr<engine::Engine> engine, const tokenizer::Tokenizer* tokenizer,
               ModelSamplerOptions options, CriticFactory critic = nullptr);
  Result<SampledPrograms> Sample(const std::string& prompt, int n) override;
  // The bytes of each model token (empty for ids the tokenizer lacks).
  const std::vector<std::string>& token_bytes() const { return token_bytes_; }

 private:
  // The LM potential for `prompt`, kept while successive calls share the
  // prompt (the prompt is decoded once).
  Result<std::shared_ptr<potential::LmPotential>> LmFor(const std::string& prompt);
  Result<SampledPrograms> SampleAncestral(const std::string& prompt, int n);
  Result<SampledPrograms> SampleSmc(const std::string& prompt, int n);
  std::shared_ptr<engine::Engine> engine_;
  const tokenizer::Tokenizer* tokenizer_;
  ModelSamplerOptions options_;
  CriticFactory critic_;
  std::vector<std::string> token_bytes_;
  std::string lm_prompt_;
  std::shared_ptr<potential::LmPotential> lm_;
  uint64_t calls_ = 0;  // mixes into the seed so successive calls differ
};

}  // namespace steer::synth
