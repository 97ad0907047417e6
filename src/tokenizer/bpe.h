// Byte-level BPE over token ids. Private to the tokenizer module.
//
// A word's bytes start as the tokens of their byte-level characters; then the
// adjacent pair with the lowest merge rank merges (leftmost on ties) until no
// pair has a merge. Merges are stored as (left id, right id) -> (rank,
// result id), so the loop never builds strings.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "steer/util/result.h"
#include "steer/util/types.h"

namespace steer::tokenizer {

// Hash for heterogeneous string lookup (find(string_view) without a copy).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using WordMap = std::unordered_map<std::string, TokenId, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  // `byte_tokens[b]` is the token of byte b's byte-level character, or
  // kNoToken. `whole_words` maps raw bytes -> token for ignore_merges (empty
  // map: merge always).
  struct Merge {
    TokenId left;
    TokenId right;
    TokenId result;
  };
  BpeModel(const TokenId (&byte_tokens)[256], const std::vector<Merge>& merges_by_rank,
           WordMap whole_words, TokenId unk);

  // Appends the tokens of one pre-tokenized word (raw bytes). Uses the
  // rescan loop for short words and the heap loop for long ones.
  void EncodeWord(std::string_view word, std::vector<TokenId>* out) const;

  // The two merge loops, exposed for the agreement test. Both take the
  // initial symbols and leave the merged ones in *symbols.
  // O(n^2) rescans of a rank array; fastest for short words.
  void MergeByRescan(std::vector<TokenId>* symbols) const;
  // O(n log n) with a min-heap over (rank, position) and a linked list.
  void MergeByHeap(std::vector<TokenId>* symbols) const;

  size_t num_merges() const { return num_merges_; }

 private:
  struct Entry {
    uint64_t key;  // (left << 32) | right; kEmptyKey marks a free slot
    int32_t rank;
    TokenId result;
  };
  static constexpr uint64_t kEmptyKey = ~0ull;
  // Looks up a pair; returns nullptr when the pair has no merge.
  const Entry* Find(TokenId left, TokenId right) const;

  TokenId byte_tokens_[256];
  std::vector<Entry> table_;  // open addressing, power-of-two size
  uint64_t mask_ = 0;
  size_t num_merges_ = 0;
  WordMap whole_words_;
  TokenId unk_;
};

}  // namespace steer::tokenizer
