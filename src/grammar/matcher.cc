#include "steer/grammar/matcher.h"

#include <string>

#include "grammar/earley.h"
#include "steer/util/check.h"

namespace steer::grammar {

Result<Parser> CompileParser(const Grammar& grammar, const MatcherOptions& options) {
  STEER_ASSIGN_OR_RETURN(FlatGrammar fg, Flatten(grammar));
  auto parser = std::make_shared<EarleyAutomaton>(std::move(fg), options);
  if (!parser->root_ok()) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "the grammar's first parse set has more than max_set_items (" +
                         std::to_string(options.max_set_items) + ") Earley items");
  }
  return parser;
}

Matcher::Matcher(Parser parser) : parser_(std::move(parser)) {
  STEER_CHECK(parser_ != nullptr);
  stack_.Push(parser_->root());
}

bool Matcher::AcceptByte(uint8_t byte) {
  int32_t next = parser_->Next(stack_.Back(), byte);
  if (next < 0) return false;
  stack_.Push(next);
  return true;
}

bool Matcher::AcceptBytes(std::string_view bytes) {
  // Runs the transitions first, then pushes: a rejection changes nothing.
  std::lock_guard<std::mutex> lock(parser_->mu());
  int32_t state = stack_.Back();
  for (char c : bytes) {
    state = parser_->NextLocked(state, static_cast<uint8_t>(c));
    if (state < 0) return false;
  }
  state = stack_.Back();
  for (char c : bytes) {
    state = parser_->NextLocked(state, static_cast<uint8_t>(c));
    stack_.Push(state);
  }
  return true;
}

bool Matcher::IsComplete() const { return parser_->IsComplete(stack_.Back()); }

bool Matcher::CanContinue() const { return !parser_->First(stack_.Back()).Empty(); }

ByteSet Matcher::NextBytes() const { return parser_->First(stack_.Back()); }

void Matcher::Rollback(size_t n) {
  STEER_CHECK(n <= num_bytes());
  stack_.PopN(n);
}

bool Matcher::limit_hit() const { return parser_->limit_hit(); }

}  // namespace steer::grammar
