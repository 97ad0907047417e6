// A potential computed by an external process (a user's checker, in any
// language) over a line protocol on its stdin/stdout.
//
// Protocol. steer writes a batch, then reads one answer line per query:
//   steer -> checker:  N\n                      (the number of queries, N >= 1)
//                      KIND HEX\n   × N         KIND is p (prefix) or c (complete);
//                                               HEX the text's bytes in lowercase
//                                               hex ("" for the empty text)
//   checker -> steer:  WEIGHT\n     × N         a log weight: a decimal number or
//                                               -inf (a zero weight), in query order
// The checker must flush after each batch. Its stderr passes through. It
// must honour the Potential contract: prefix weights for p, complete weights
// for c, zeros absorbing (a zero prefix means zero for every extension).
//
// A Python checker:
//   import sys
//   while line := sys.stdin.readline():
//       n = int(line)
//       for _ in range(n):
//           kind, _, hexed = sys.stdin.readline().rstrip("\n").partition(" ")
//           text = bytes.fromhex(hexed).decode("utf-8", "replace")
//           print(0.0 if ok(kind, text) else "-inf")
//       sys.stdout.flush()
//
// Batching. Extend sends one p query per state (the extended texts), all
// states in one batch; LogComplete one c query per state; LogWeightNext
// sends V p queries and one c query per state in one batch, so use external
// potentials as weights (Target::weights) rather than inside a masked
// proposal when V is large.
//
// Failure. Each batch must be answered within `timeout_ms`; otherwise the
// process group (the shell and everything it started) is killed and the
// call returns kResourceExhausted. If the process
// exits or closes its stdout, or answers with a malformed line, the call
// returns an error naming the command, the exit status or the line. After
// any failure the potential stays failed and returns the same error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "steer/potential/potential.h"

namespace steer::potential {

struct ExternalOptions {
  int timeout_ms = 10000;  // per batch
};

class ExternalPotential final : public Potential {
 public:
  // Starts `command` under /bin/sh -c. token_bytes[t] are the bytes of token
  // t (for a byte-level potential: the 256 one-byte strings).
  static Result<std::shared_ptr<ExternalPotential>> Create(const std::string& command,
                                                           std::vector<std::string> token_bytes,
                                                           const ExternalOptions& options = {});
  ~ExternalPotential() override;

  int32_t vocab_size() const override { return static_cast<int32_t>(token_bytes_.size()); }
  std::string name() const override { return "external(" + command_ + ")"; }
  Result<StatePtr> Start() override;
  StatePtr Fork(const State& s) override;
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override;
  double LogPrefix(const State& s) const override;
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override;
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override;

  // The number of batches sent so far (for tests and benchmarks).
  int64_t batches() const { return batches_; }

 private:
  ExternalPotential(std::string command, std::vector<std::string> token_bytes, const ExternalOptions& options);
  struct Query {
    bool complete;
    std::string text;
  };
  // Sends the queries as one batch and reads one weight per query.
  Status Ask(const std::vector<Query>& queries, std::vector<double>* weights);
  Status Fail(Error error);
  void Stop();

  struct ExtState;
  std::string command_;
  std::vector<std::string> token_bytes_;
  ExternalOptions options_;
  int fd_ = -1;     // our end of a socketpair: the child's stdin and stdout
  int pid_ = -1;
  std::string inbox_;  // bytes read but not yet consumed
  std::unique_ptr<Error> failed_;
  int64_t batches_ = 0;
  std::vector<Query> queries_;  // scratch
  std::vector<double> answers_;
};

}  // namespace steer::potential
