// Execution critics: potentials that run partial programs in the sandbox.
//
// CompileCritic weighs a completion x of a fixed prompt by whether Python
// still accepts it. With cuts(x) the prefixes of x that end just after a
// newline (every completed line), and check(s) a sandboxed compile() of
// prompt + s:
//   prefix(x)   = 1 if check_prefix(prompt + c) holds for every c in cuts(x),
//                 else 0;
//   complete(x) = prefix(x) · [check_complete(prompt + x)].
// check_complete is compile() succeeding; check_prefix also accepts sources
// that fail only for being unfinished (an unclosed bracket, an open block, an
// unterminated triple-quoted string): text may still come that fixes them.
// Defining prefix over all cuts makes zeros absorbing by construction, so the
// potential meets the Potential contract although compile() alone is not
// monotone in the text.
//
// Checks run in batches: one sandboxed `python3 -I -S checker FILES...` per
// call, one file per uncached source, answering one line per file ("1" or
// "0"). Results are memoized by source, so only tokens that complete a new
// line cost an execution. Use the critic in Target::weights (only chosen
// tokens are asked); LogWeightNext asks about every token containing a
// newline.
//
// Failure: a checker run that times out returns kResourceExhausted (the
// sandbox kills the whole tree); any other bad run (crash, wrong number of
// answers) returns kInternal with its stderr. After a failure the critic
// stays failed and returns the same error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "steer/potential/potential.h"
#include "steer/sandbox/sandbox.h"

namespace steer::synth {

struct CriticOptions {
  double timeout_s = 5;  // per checker run
  int64_t memory_mb = 256;
  int slot = 0;          // sandbox worker slot
  // The checker's Python source; empty means the built-in compile() checker.
  // It is run as `checker NAME...`; a NAME starting with 'p' asks the prefix
  // check, with 'c' the complete check; it prints one line per NAME.
  std::string checker;
};

class CompileCritic final : public potential::Potential {
 public:
  // token_bytes[t]: the bytes of token t (256 one-byte strings for bytes).
  // `sandbox` must outlive the critic.
  CompileCritic(const sandbox::Sandbox& sandbox, std::string prompt, std::vector<std::string> token_bytes,
                CriticOptions options = {});
  ~CompileCritic() override;

  int32_t vocab_size() const override { return static_cast<int32_t>(token_bytes_.size()); }
  std::string name() const override { return "compile-critic"; }
  Result<potential::StatePtr> Start() override;
  potential::StatePtr Fork(const potential::State& s) override;
  Status Extend(std::span<potential::State* const> states, std::span<const TokenId> tokens) override;
  double LogPrefix(const potential::State& s) const override;
  Status LogComplete(std::span<const potential::State* const> states, std::span<double> out) override;
  Status LogWeightNext(std::span<const potential::State* const> states, std::span<double> out) override;

  int64_t executions() const { return executions_; }  // sandbox runs so far
  int64_t checks() const { return checks_; }          // sources checked (cache misses)

 private:
  struct CriticState;
  // Sources whose prefix (complete == false) or complete check is wanted;
  // answers them all, running the uncached ones in one sandbox run.
  Status Check(const std::vector<std::pair<bool, std::string>>& queries, std::vector<bool>* ok);
  // The cut sources that appending `bytes` to `text` creates.
  void NewCuts(const std::string& text, const std::string& bytes, std::vector<std::string>* cuts) const;

  const sandbox::Sandbox& sandbox_;
  std::string prompt_;
  std::vector<std::string> token_bytes_;
  CriticOptions options_;
  std::unordered_map<std::string, bool> prefix_cache_, complete_cache_;
  std::unique_ptr<Error> failed_;
  int64_t executions_ = 0;
  int64_t checks_ = 0;
};

// The built-in checker's source (CriticOptions::checker when empty).
extern const char* const kCompileCheckerSource;

}  // namespace steer::synth
