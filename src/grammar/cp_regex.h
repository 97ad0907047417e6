// A regex parser over CODE POINTS whose lowering is parameterized by how a
// code-point class becomes IR. The JSON-Schema front end lowers `pattern` and
// `format` regexes into JSON-string CONTENT (a class maps to every JSON
// spelling of its code points: literal, short escape, \uXXXX); the Lark front
// end lowers regex terminals to raw UTF-8 (a class maps to Grammar::Codepoints).
//
// Syntax: ECMAScript/Python without lookaround, backreferences, word
// boundaries or inline flags (each reported as unsupported, with the byte
// offset). Alternation, groups ((...), (?:...), (?<n>...), (?P<n>...)),
// quantifiers * + ? {n} {n,} {n,m} {,m} (a lazy '?' suffix is accepted: it
// changes match preference, never the language), classes with ranges and
// negation, . \d \w \s \D \W \S, escapes \n \r \t \f \v \0 \xHH \uHHHH
// \u{H..} \UHHHHHHHH. Nesting depth and repeat bounds are limited by
// GrammarLimits. Private to the grammar module.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "steer/grammar/ir.h"
#include "steer/util/result.h"

namespace steer::grammar::internal {

// Sorted, disjoint, inclusive code-point ranges.
using CpRanges = std::vector<std::pair<uint32_t, uint32_t>>;

// Normalizes (sorts and merges) ranges in place.
void NormalizeRanges(CpRanges* r);
// Complement within [0, 0x10FFFF] (surrogates included; callers drop them).
CpRanges Complement(const CpRanges& r);
CpRanges Intersect(const CpRanges& a, const CpRanges& b);

struct CpRegexOptions {
  // ECMAScript flavour ('.' excludes \n \r U+2028 U+2029; \s is ECMA's
  // white space) or Python's ('.' excludes \n; \s is str.isspace()). \d and
  // \w are ASCII in both (Python's Unicode \d/\w are wider: a subset).
  bool ecmascript = true;
  // ASCII-only case folding (Lark's /.../i flag).
  bool case_insensitive = false;
  // Whether ^ and $ are allowed (at the start/end of a top-level branch).
  bool allow_anchors = true;
};

// Lowers a non-empty class of code points to IR.
using ClassLowering = std::function<ExprId(Grammar&, const CpRanges&)>;

struct LoweredRegex {
  // One entry per top-level alternative: whether it was anchored with ^ at
  // its start / $ at its end, and its body.
  struct Branch {
    bool anchored_start = false;
    bool anchored_end = false;
    ExprId body = -1;
    // Code points the body matches: at least min_chars, at most max_chars
    // (-1: unbounded).
    int64_t min_chars = 0, max_chars = 0;
  };
  std::vector<Branch> branches;
};

// Parses `pattern` and lowers it. Errors carry "offset N" in the location.
Result<LoweredRegex> LowerCpRegex(Grammar& g, std::string_view pattern,
                                  const CpRegexOptions& opts, const ClassLowering& lower_class);

// A full-match lowering: anchors are allowed but redundant. `chars`, when
// given, receives the [min, max] code-point length of the matches (max -1:
// unbounded).
Result<ExprId> LowerCpRegexFullMatch(Grammar& g, std::string_view pattern,
                                     const CpRegexOptions& opts, const ClassLowering& lower_class,
                                     std::pair<int64_t, int64_t>* chars = nullptr);

// Search semantics (JSON Schema `pattern`): unanchored ends match any
// content, via `any_char` (an expression matching one character).
Result<ExprId> LowerCpRegexSearch(Grammar& g, std::string_view pattern, const CpRegexOptions& opts,
                                  const ClassLowering& lower_class, ExprId any_char);

}  // namespace steer::grammar::internal
