// Regular expressions (the common subset of Python `re` and ECMAScript),
// lowered to the IR. The language is the set of strings the pattern matches
// in full (as re.fullmatch).
//
// Supported: literals (UTF-8), `.`, classes with ranges and negation, \d \w \s
// (ASCII, as in ECMAScript) and their negations, escapes \n \t \r \f \v \0
// \xHH \uHHHH \U........ \u{...}, groups ( ) (?: ) (?P<n> ) (?<n> ),
// alternation, * + ? {m} {m,} {m,n} {,n} with optional lazy `?` (same
// language), flags i and s as (?is) at the start or (?is:...) scoped (i is
// ASCII-only). `^`/`\A` only at the start and `$`/`\Z`/`\z` only at the end
// of a top-level alternative.
// Unsupported, reported with the position: lookaround, backreferences,
// word boundaries, \p{..} classes, possessive quantifiers, other flags.
#pragma once

#include <string_view>

#include "steer/grammar/ir.h"
#include "steer/util/result.h"

namespace steer::grammar {

struct RegexFlags {
  bool case_insensitive = false;  // i
  bool dot_all = false;           // s: `.` also matches \n
};

// A grammar whose start rule is the pattern. Error locations are
// "1:column" (byte column in the pattern).
Result<Grammar> ParseRegex(std::string_view pattern, const GrammarLimits& limits = {}, RegexFlags flags = {});

// Adds the pattern to an existing grammar (for front ends that embed
// regexes: Lark terminals, JSON Schema "pattern") and returns its expression.
Result<ExprId> AddRegex(Grammar* grammar, std::string_view pattern, RegexFlags flags = {});

}  // namespace steer::grammar
