// Test support: a grammar front end's result compiled for membership tests.
#pragma once

#include <string>
#include <string_view>

#include "steer/grammar/ir.h"
#include "steer/grammar/matcher.h"
#include "steer/util/result.h"

namespace steer::grammar {

// Holds the compiled parser, or the front end's or compiler's error.
class Language {
 public:
  explicit Language(const Result<Grammar>& g) {
    if (!g.ok()) {
      error_ = g.error().ToString();
      return;
    }
    Result<Parser> p = CompileParser(*g);
    if (!p.ok()) {
      error_ = p.error().ToString();
      return;
    }
    parser_ = *p;
  }
  bool ok() const { return parser_ != nullptr; }
  const std::string& error() const { return error_; }
  // s is a complete string of the language.
  bool Accepts(std::string_view s) const {
    Matcher m(parser_);
    return m.AcceptBytes(s) && m.IsComplete();
  }
  // s is a prefix of some string of the language.
  bool Prefix(std::string_view s) const {
    Matcher m(parser_);
    return m.AcceptBytes(s);
  }

 private:
  Parser parser_;
  std::string error_;
};

}  // namespace steer::grammar
