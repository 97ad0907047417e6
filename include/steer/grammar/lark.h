// Lark grammars (the format of Lark, llguidance, Outlines and SynCode) to the
// grammar IR.
//
// Supported: rules (lowercase) and terminals (UPPERCASE) with `?`/`!`/`_`
// prefixes and `.N` priorities (both ignored: they shape trees and lexer
// conflicts, not the language); alternatives (also on `|` continuation
// lines) with `-> alias` (ignored); groups ( ), optional [ ]; `? * +`,
// `~ n`, `~ n..m` and `{n}`, `{n,}`, `{,m}`, `{n,m}`; strings "..." with
// Python escapes and the `i` flag; regexes /.../ with flags i and s (Python
// syntax through the regex front end: `.` excludes \n unless s); literal
// ranges "a".."z"; `%ignore`; `%import common.X` (also `-> Y` and
// `common (X, Y)`) for WS, WS_INLINE, NEWLINE, CR, LF, INT, SIGNED_INT,
// DECIMAL, FLOAT, SIGNED_FLOAT, NUMBER, SIGNED_NUMBER, ESCAPED_STRING,
// CNAME, WORD, LETTER, LCASE_LETTER, UCASE_LETTER, DIGIT, HEXDIGIT;
// `%llguidance {}` (no options) is accepted. The start rule is `start`.
// Errors (kInvalidInput / kUnsupported) carry "line:column".
//
// Semantics: the grammar is read as a context-free grammar over bytes.
// Terminals are sub-languages, not lexemes: there is no maximal munch and no
// lexer priority, so the language is the set of strings that SOME split into
// terminals derives. A lexer-based Lark parser accepts a subset of it. For
// example, with `start: A B`, `A: /a+/`, `B: "a"`, the text "aa" is in the
// language here, while a greedy lexer gives A the whole "aa" and fails. Tokens
// listed in %ignore may appear before, between and after the tokens of rules
// (never inside a terminal). Terminals may not be recursive (an error, as in
// Lark).
#pragma once

#include <string_view>

#include "steer/grammar/ir.h"
#include "steer/util/result.h"

namespace steer::grammar {

Result<Grammar> ParseLark(std::string_view text, const GrammarLimits& limits = {});

}  // namespace steer::grammar
