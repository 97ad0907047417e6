// Byte-level matching of a grammar: an incremental Earley recognizer.
//
//   STEER_ASSIGN_OR_RETURN(auto parser, CompileParser(grammar));
//   Matcher m(parser);
//   m.AcceptBytes("{\"a\":");      // false (and nothing consumed) if rejected
//   m.IsComplete(); m.CanContinue(); m.Rollback(2); Matcher f = m.Fork();
//
// A Parser is immutable in meaning and shared (it memoizes parse states
// internally, under a lock), so matchers on many threads may share one. A
// Matcher is a stack of state ids, one per consumed byte plus the root, in a
// PersistentStack: Fork shares the history (O(256) whatever the length),
// Rollback pops.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "steer/grammar/ir.h"
#include "steer/grammar/persistent_stack.h"
#include "steer/util/result.h"

namespace steer::grammar {

struct MatcherOptions {
  // An Earley set with more items than this rejects the byte that built it
  // (and Matcher::limit_hit() says so).
  int32_t max_set_items = 1 << 16;
  // Distinct memoized parse states per parser; past it, new states are
  // rejected the same way.
  int32_t max_states = 1 << 22;
};

class EarleyAutomaton;  // src/grammar/earley.h
using Parser = std::shared_ptr<EarleyAutomaton>;

// Validates and compiles the grammar for matching.
Result<Parser> CompileParser(const Grammar& grammar, const MatcherOptions& options = {});

class Matcher {
 public:
  explicit Matcher(Parser parser);

  // Consumes one byte if some string of the language continues with it.
  bool AcceptByte(uint8_t byte);
  // All or nothing: on rejection nothing is consumed.
  bool AcceptBytes(std::string_view bytes);
  // The consumed text is in the language.
  bool IsComplete() const;
  // Some non-empty continuation exists.
  bool CanContinue() const;
  // Bytes that may come next.
  ByteSet NextBytes() const;
  // Undoes the last n bytes (n <= num_bytes()).
  void Rollback(size_t n);
  void Reset() { stack_.PopN(num_bytes()); }
  size_t num_bytes() const { return stack_.size() - 1; }
  Matcher Fork() const { return *this; }
  // Whether any Earley set or state limit rejected a byte (for this parser).
  bool limit_hit() const;

  // The current state id: equal ids accept equal continuations.
  int32_t state() const { return stack_.Back(); }
  const Parser& parser() const { return parser_; }

 private:
  Parser parser_;
  PersistentStack<int32_t> stack_;  // bottom: the root state; one entry per byte after it
};

}  // namespace steer::grammar
