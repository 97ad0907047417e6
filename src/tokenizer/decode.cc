// Decoding: token ids -> bytes (see tokenizer.h for the contract).
#include <string>

#include "steer/tokenizer/tokenizer.h"
#include "steer/util/utf8.h"

namespace steer::tokenizer {
namespace {

// Appends the bytes of `id` to *out, applying the prefix-space rule, and
// updates *at_start (true at the start and after special tokens). Ids
// outside the vocabulary are skipped.
void AppendPiece(const Tokenizer& t, TokenId id, bool* at_start, std::string* out) {
  if (id < 0 || id >= t.vocab_size()) return;
  const std::string& b = t.TokenBytes(id);
  if (t.IsSpecial(id)) {
    out->append(b);
    *at_start = true;
    return;
  }
  TokenType type = t.type(id);
  if (type == TokenType::kUnused) return;
  if (*at_start && t.add_space_prefix() && !b.empty() && b[0] == ' ') {
    out->append(b, 1, std::string::npos);
  } else {
    out->append(b);
  }
  *at_start = false;
}

}  // namespace

std::string Tokenizer::Decode(std::span<const TokenId> ids) const {
  std::string out;
  bool at_start = true;
  for (TokenId id : ids) AppendPiece(*this, id, &at_start, &out);
  return out;
}

std::string StreamDecoder::Push(TokenId id) {
  AppendPiece(tokenizer_, id, &at_start_, &pending_);
  size_t hold = utf8::IncompleteSuffix(pending_);
  std::string ready = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return ready;
}

std::string StreamDecoder::Finish() {
  std::string rest;
  rest.swap(pending_);
  at_start_ = true;
  return rest;
}

}  // namespace steer::tokenizer
