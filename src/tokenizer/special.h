// Cutting special-token texts out of the input (llama.cpp's
// tokenizer_st_partition). Private to the tokenizer module.
//
// Specials are tried in priority order (longer text first, then lower id).
// Each special takes its leftmost non-overlapping occurrences inside the
// text not yet taken by a higher-priority special. Control/unknown tokens
// take part only when parse_special is set; user-defined tokens always do.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "steer/util/types.h"

namespace steer::tokenizer {

struct SpecialMatcher {
  struct Fragment {
    uint32_t begin;
    uint32_t end;
    TokenId token;  // kNoToken: raw text [begin, end)
  };

  // `text` must outlive the matcher. `needs_parse_special`: control/unknown.
  void Add(TokenId id, std::string_view text, bool needs_parse_special);
  void Finish();  // sorts by priority; call once after the last Add

  // Splits text into raw fragments and special tokens, in order, covering it
  // exactly (raw fragments are never empty). O(n * specials sharing a first
  // byte) to find candidates, plus O(k log k) for k candidate occurrences.
  void Partition(std::string_view text, bool parse_special, std::vector<Fragment>* out) const;

 private:
  struct Special {
    TokenId id;
    std::string_view text;
    bool needs_parse_special;
  };
  std::vector<Special> specials_;                  // priority order after Finish
  std::vector<std::vector<uint32_t>> by_first_;    // first byte -> indices into specials_
  bool any_always_ = false;                        // some special needs no parse_special
};

}  // namespace steer::tokenizer
