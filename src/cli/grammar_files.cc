#include "grammar_files.h"

#include "steer/grammar/gbnf.h"
#include "steer/grammar/json_schema.h"
#include "steer/grammar/lark.h"
#include "steer/grammar/regex.h"
#include "steer/util/file.h"

namespace steer::cli {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string InferFormat(const std::string& path) {
  if (EndsWith(path, ".gbnf")) return "gbnf";
  if (EndsWith(path, ".lark")) return "lark";
  if (EndsWith(path, ".json")) return "json-schema";
  if (EndsWith(path, ".regex") || EndsWith(path, ".re")) return "regex";
  return "";
}

Result<grammar::Grammar> ParseGrammarText(const std::string& format, std::string_view text) {
  if (format == "gbnf") return grammar::ParseGbnf(text);
  if (format == "lark") return grammar::ParseLark(text);
  if (format == "json-schema") return grammar::CompileJsonSchema(text, {});
  if (format == "regex") {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    return grammar::ParseRegex(text);
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown grammar format '" + format + "' (expected gbnf, lark, regex or json-schema)", "--format");
}

Result<grammar::Grammar> LoadGrammarFile(const std::string& path, const std::string& format) {
  if (format.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot infer the grammar format of '" + path +
                         "' from its extension (.gbnf, .lark, .regex, .re, .json): pass --format");
  }
  STEER_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto g = ParseGrammarText(format, text);
  if (!g.ok()) {
    Error e = g.error();
    e.location = path + (e.location.empty() ? "" : ":" + e.location);
    return e;
  }
  return g;
}

}  // namespace steer::cli
