// Grammar files as the CLI reads them, shared by `check`, `sample`, `demo`
// and `bench`: the format from the extension, parsing with errors located as
// FILE:line:column.
#pragma once

#include <string>
#include <string_view>

#include "steer/grammar/ir.h"
#include "steer/util/result.h"

namespace steer::cli {

// "gbnf", "lark", "json-schema" (.json), "regex" (.regex, .re), or "" when
// the extension says nothing.
std::string InferFormat(const std::string& path);

// Parses grammar text in `format`; a .regex file's trailing newline is not
// part of the pattern.
Result<grammar::Grammar> ParseGrammarText(const std::string& format, std::string_view text);

// Reads and parses a grammar file (format "" = an error asking for
// --format); errors are located as FILE:line:column.
Result<grammar::Grammar> LoadGrammarFile(const std::string& path, const std::string& format);

}  // namespace steer::cli
