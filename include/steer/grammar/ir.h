// The grammar IR: one context-free grammar over BYTES that every front end
// (GBNF, Lark, regex, JSON Schema) lowers to.
//
// A grammar is a set of named rules; each rule's body is an expression tree:
// empty, a byte set, a reference to a rule, a sequence, an alternation or a
// bounded/unbounded repetition. Unicode lives only in the front ends: a
// code-point class is lowered to UTF-8 byte-sequence alternatives by
// Codepoints(), so the matcher sees bytes only (tokens are bytes too).
//
// Ownership: a Grammar owns all its expressions (an arena indexed by ExprId).
// Once built and validated it is immutable and may be shared between threads.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <string_view>
#include <utility>
#include <vector>

#include "steer/util/result.h"

namespace steer::grammar {

// A set of byte values 0..255.
class ByteSet {
 public:
  ByteSet() = default;
  static ByteSet Single(uint8_t b);
  static ByteSet Range(uint8_t lo, uint8_t hi);  // inclusive
  static ByteSet All();

  void Add(uint8_t b) { w_[b >> 6] |= uint64_t{1} << (b & 63); }
  void AddRange(uint8_t lo, uint8_t hi);
  bool Contains(uint8_t b) const { return (w_[b >> 6] >> (b & 63)) & 1u; }
  bool Empty() const { return (w_[0] | w_[1] | w_[2] | w_[3]) == 0; }
  int Count() const;
  ByteSet& operator|=(const ByteSet& o);
  ByteSet& operator&=(const ByteSet& o);
  ByteSet& Subtract(const ByteSet& o);  // this minus o
  bool operator==(const ByteSet& o) const;
  const uint64_t* words() const { return w_; }

 private:
  uint64_t w_[4] = {0, 0, 0, 0};
};

using ExprId = int32_t;
using RuleId = int32_t;
inline constexpr int32_t kUnbounded = -1;  // Repeat max with no upper bound

enum class ExprKind : uint8_t {
  kEmpty,   // matches ""
  kBytes,   // matches one byte in `bytes`
  kRule,    // matches rule `rule`
  kSeq,     // children in order
  kAlt,     // any one child
  kRepeat,  // child repeated min..max times (max == kUnbounded for no bound)
};

struct Expr {
  ExprKind kind = ExprKind::kEmpty;
  ByteSet bytes;                 // kBytes
  RuleId rule = -1;              // kRule
  std::vector<ExprId> children;  // kSeq, kAlt, kRepeat (exactly one child)
  int32_t min = 0, max = 0;      // kRepeat
};

struct Rule {
  std::string name;
  ExprId body = -1;  // -1 until defined
};

// Limits applied while building and compiling; exceeding one is a
// kResourceExhausted error that names the limit.
struct GrammarLimits {
  int32_t max_exprs = 1 << 20;
  int32_t max_rules = 1 << 16;
  int32_t max_nesting = 200;        // front-end nesting depth (parens, schemas)
  int32_t max_repeat_bound = 10000;  // {m,n} bounds
  // Depth of any expression tree (children before parents), so passes that
  // walk a tree recursively are bounded whatever the input.
  int32_t max_expr_depth = 2000;
};

class Grammar {
 public:
  explicit Grammar(GrammarLimits limits = {});

  // Rules. DeclareRule returns the existing id for a known name, so forward
  // references and recursion work: declare, reference, define later.
  RuleId DeclareRule(std::string_view name);
  void DefineRule(RuleId rule, ExprId body);
  // A fresh rule with a unique name derived from `hint` (for front ends that
  // need helper rules).
  RuleId NewRule(std::string_view hint);
  RuleId FindRule(std::string_view name) const;  // -1 if absent
  void SetStart(RuleId rule) { start_ = rule; }

  // Expression constructors. They never fail; limits are checked by Validate.
  ExprId Empty();
  ExprId Bytes(const ByteSet& set);
  ExprId Literal(std::string_view bytes);  // sequence of single bytes
  // Any code point in the union of inclusive [lo, hi] ranges (or, negated,
  // any Unicode scalar value NOT in them), as valid UTF-8 byte sequences.
  // Surrogates are never matched.
  ExprId Codepoints(std::vector<std::pair<uint32_t, uint32_t>> ranges, bool negated = false);
  ExprId AnyCodepoint() { return Codepoints({}, true); }
  ExprId Ref(RuleId rule);
  ExprId Seq(std::vector<ExprId> children);
  ExprId Alt(std::vector<ExprId> children);
  ExprId Repeat(ExprId child, int32_t min, int32_t max);
  ExprId Optional(ExprId child) { return Repeat(child, 0, 1); }
  ExprId Star(ExprId child) { return Repeat(child, 0, kUnbounded); }
  ExprId Plus(ExprId child) { return Repeat(child, 1, kUnbounded); }

  // Checks that the start rule is set, every referenced rule is defined
  // (naming the first undefined one), repeat bounds are sane, and the limits
  // hold. Every child id is smaller than its parent's (the constructors
  // guarantee it), so expression trees are acyclic.
  Status Validate() const;

  const Expr& expr(ExprId id) const { return exprs_[static_cast<size_t>(id)]; }
  const Rule& rule(RuleId id) const { return rules_[static_cast<size_t>(id)]; }
  int32_t num_exprs() const { return static_cast<int32_t>(exprs_.size()); }
  int32_t num_rules() const { return static_cast<int32_t>(rules_.size()); }
  RuleId start() const { return start_; }
  const GrammarLimits& limits() const { return limits_; }

  // A rule that can derive a string starting with itself (directly or
  // through other rules, past nullable prefixes), or -1. The matcher handles
  // left recursion; front ends whose dialect forbids it (llama.cpp's GBNF)
  // use this to reject it. Requires a validated grammar.
  RuleId FindLeftRecursiveRule() const;

  // A GBNF-like rendering, for debugging and error messages.
  std::string ToString() const;

 private:
  ExprId Add(Expr e);
  GrammarLimits limits_;
  std::vector<Expr> exprs_;
  std::vector<Rule> rules_;
  std::unordered_map<std::string, RuleId> rule_ids_;
  RuleId start_ = -1;
  int32_t fresh_counter_ = 0;
};

}  // namespace steer::grammar
