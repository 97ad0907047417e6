// llama.cpp's GBNF grammar format, lowered to the IR.
//
//   root   ::= item ("," item)*     # comment
//   item   ::= [a-z]+ | "\"" [^"]* "\"" | . | x{2,5}
//
// Rules are `name ::= alternatives`; a rule ends at a newline unless inside
// parentheses. Literals and classes are code points (UTF-8 in, UTF-8 out);
// escapes: \x.. \u.... \U........ \t \n \r \\ \" \[ \]. `.` is any code
// point. The start rule is `root`.
#pragma once

#include <string_view>

#include "steer/grammar/ir.h"
#include "steer/util/result.h"

namespace steer::grammar {

struct GbnfOptions {
  GrammarLimits limits;
  // llama.cpp refuses left-recursive grammars (its matcher would loop);
  // steer's Earley matcher does not need that, but by default the dialect
  // is kept.
  bool allow_left_recursion = false;
};

// Errors carry "line:column" (1-based) in Error::location.
Result<Grammar> ParseGbnf(std::string_view text, const GbnfOptions& options = {});

}  // namespace steer::grammar
