// The matcher's form of a grammar: plain productions over symbols, where a
// terminal is a byte set. Built from the IR by Flatten():
//   - a rule becomes a nonterminal (its top-level alternatives become its
//     productions);
//   - a nested alternation becomes a helper nonterminal;
//   - X* becomes  S ::= ε | S X   (left recursion: constant-size Earley sets);
//   - X{m,n} becomes m copies of X then a chain O_k ::= ε | X O_{k-1};
//   - a sequence is inlined into the production that contains it.
// Unproductive productions (that can derive no string) are removed, so every
// Earley item of a non-empty set can be completed: a non-empty set means a
// viable prefix.
//
// Productions are stored as "slots": production p with k symbols owns k + 1
// consecutive slots, slot j meaning "dot before symbol j"; the last one is the
// completed item. An Earley item is then (slot, origin).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "steer/grammar/ir.h"
#include "steer/util/result.h"

namespace steer::grammar {

// Symbol encoding: a nonterminal n is n >= 0; terminal t is -1 - t; the end of
// a production is kEndOfProduction (sorts after every symbol).
inline constexpr int32_t kEndOfProduction = std::numeric_limits<int32_t>::max();
inline int32_t TerminalSymbol(int32_t t) { return -1 - t; }
inline int32_t TerminalOf(int32_t sym) { return -1 - sym; }

struct FlatGrammar {
  std::vector<ByteSet> terminals;
  std::vector<std::string> nt_names;         // per nonterminal (helpers get derived names)
  std::vector<std::vector<int32_t>> prods;   // nonterminal -> first slot of each production
  std::vector<uint8_t> nullable;             // per nonterminal
  std::vector<int32_t> slot_next;            // symbol after the dot, or kEndOfProduction
  std::vector<int32_t> slot_lhs;             // the production's nonterminal
  int32_t start_slot = -1;                   // S' -> . start
  int32_t accept_slot = -1;                  // S' -> start .

  int32_t num_nonterminals() const { return static_cast<int32_t>(prods.size()); }
};

// Lowers a validated grammar. Fails only on limits (the grammar's own
// max_exprs also bounds the number of flat symbols, times the repeat bounds).
Result<FlatGrammar> Flatten(const Grammar& g);

}  // namespace steer::grammar
