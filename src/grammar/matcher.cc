#include "steer/grammar/matcher.h"

#include "grammar/earley.h"
#include "steer/util/check.h"

namespace steer::grammar {

Result<Parser> CompileParser(const Grammar& grammar, const MatcherOptions& options) {
  STEER_ASSIGN_OR_RETURN(FlatGrammar fg, Flatten(grammar));
  return std::make_shared<EarleyAutomaton>(std::move(fg), options);
}

Matcher::Matcher(Parser parser) : parser_(std::move(parser)) {
  STEER_CHECK(parser_ != nullptr);
  stack_.push_back(parser_->root());
}

bool Matcher::AcceptByte(uint8_t byte) {
  int32_t next = parser_->Next(stack_.back(), byte);
  if (next < 0) return false;
  stack_.push_back(next);
  return true;
}

bool Matcher::AcceptBytes(std::string_view bytes) {
  size_t before = stack_.size();
  std::lock_guard<std::mutex> lock(parser_->mu());
  for (char c : bytes) {
    int32_t next = parser_->NextLocked(stack_.back(), static_cast<uint8_t>(c));
    if (next < 0) {
      stack_.resize(before);
      return false;
    }
    stack_.push_back(next);
  }
  return true;
}

bool Matcher::IsComplete() const { return parser_->IsComplete(stack_.back()); }

bool Matcher::CanContinue() const { return !parser_->First(stack_.back()).Empty(); }

ByteSet Matcher::NextBytes() const { return parser_->First(stack_.back()); }

void Matcher::Rollback(size_t n) {
  STEER_CHECK(n <= num_bytes());
  stack_.resize(stack_.size() - n);
}

bool Matcher::limit_hit() const { return parser_->limit_hit(); }

}  // namespace steer::grammar
