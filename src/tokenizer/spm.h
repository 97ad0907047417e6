// SentencePiece-style BPE driven by token scores (llama.cpp's SPM
// tokenizer). Private to the tokenizer module.
//
// The escaped text (spaces already "▁") starts as one symbol per UTF-8
// character. Every adjacent pair whose concatenation is a token is a
// candidate scored by that token's score; the best candidate (highest score,
// leftmost on ties) merges, and the merged symbol's new pairs become
// candidates. A final symbol that is not a token is emitted as byte tokens.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "steer/util/types.h"

namespace steer::tokenizer {

class SpmModel {
 public:
  // `text_to_id` and `scores` must outlive the model. byte_tokens[b] is the
  // token emitted for byte b when a symbol is not a token (<0xNN>).
  SpmModel(const std::unordered_map<std::string_view, TokenId>& text_to_id,
           std::vector<float> scores, const TokenId (&byte_tokens)[256]);

  // O(n log n) in the number of characters.
  void Encode(std::string_view escaped, std::vector<TokenId>* out) const;

  // Whether Encode splits the text before every "▁" that follows another
  // character (see can_split_).
  bool splits() const { return can_split_; }
  // Encode without the split: the oracle for the agreement test.
  void EncodeWhole(std::string_view escaped, std::vector<TokenId>* out) const {
    EncodeSegment(escaped, out);
  }

 private:
  TokenId Lookup(std::string_view s) const;
  void EncodeSegment(std::string_view text, std::vector<TokenId>* out) const;

  const std::unordered_map<std::string_view, TokenId>& text_to_id_;
  std::vector<float> scores_;
  TokenId byte_tokens_[256];
  // True when no token contains a character other than "▁" followed by
  // "▁". Then no merge can join a symbol ending in such a character with one
  // starting with "▁", so the segments between those boundaries merge
  // independently and give the same result as the whole text (much faster:
  // small heaps that stay in cache).
  bool can_split_ = false;
};

}  // namespace steer::tokenizer
