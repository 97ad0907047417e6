// The vocabulary as a byte trie, flattened in preorder so that a depth-first
// walk is a forward scan with skips:
//   node i has byte(i) and depth(i) (root = node 0, depth 0);
//   its subtree is nodes [i, end(i));
//   tokens whose bytes spell the path to node i are tokens(i), and the
//   tokens of the whole subtree are contiguous: subtree_tokens(i);
//   below(i) is the set of bytes on the edges strictly inside the subtree.
// Skipping a rejected node's subtree is `i = end(i)`. The trie knows nothing
// about grammars.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "steer/grammar/ir.h"
#include "steer/util/utf8.h"

namespace steer::grammar {

class TokenTrie {
 public:
  TokenTrie() = default;
  // Inserts every token with include[id] true and non-empty bytes.
  TokenTrie(const std::vector<std::string>& token_bytes, const std::vector<uint8_t>& include);

  int32_t num_nodes() const { return static_cast<int32_t>(nodes_.size()) - 1; }
  uint8_t byte(int32_t i) const { return nodes_[static_cast<size_t>(i)].byte; }
  int32_t depth(int32_t i) const { return nodes_[static_cast<size_t>(i)].depth; }
  int32_t end(int32_t i) const { return nodes_[static_cast<size_t>(i)].end; }
  int32_t max_depth() const { return max_depth_; }
  // tokens(i) = token_ids_[token_begin(i) .. token_begin(i + 1))
  const int32_t* tokens_begin(int32_t i) const { return token_ids_.data() + nodes_[static_cast<size_t>(i)].token_begin; }
  const int32_t* tokens_end(int32_t i) const { return token_ids_.data() + nodes_[static_cast<size_t>(i) + 1].token_begin; }
  const int32_t* subtree_tokens_end(int32_t i) const {
    return token_ids_.data() + nodes_[static_cast<size_t>(end(i))].token_begin;
  }
  const ByteSet& below(int32_t i) const { return below_sets_[static_cast<size_t>(nodes_[static_cast<size_t>(i)].below)]; }
  // For nodes with at least kDenseSubtreeTokens tokens below them: the
  // subtree's tokens as mask words (vocab_size/64 words), else nullptr.
  // OR-ing these is much cheaper than setting thousands of scattered bits.
  static constexpr int32_t kDenseSubtreeTokens = 1024;
  const uint64_t* dense_subtree(int32_t i) const {
    int32_t k = dense_index_[static_cast<size_t>(i)];
    return k < 0 ? nullptr : dense_words_.data() + static_cast<size_t>(k) * num_words_;
  }
  size_t num_words() const { return num_words_; }
  int32_t parent(int32_t i) const { return parents_[static_cast<size_t>(i)]; }  // -1 for the root
  // The UTF-8 validator's state after reading the path from the root to i.
  utf8::ValidatorState utf8_state(int32_t i) const { return nodes_[static_cast<size_t>(i)].utf8; }
  // Characters on the path from the root to i: the nodes at a character
  // boundary (utf8_state kBoundary) strictly below the root, i included.
  // max_started_chars(i): the most characters any path in i's subtree has
  // started (chars, plus one for a node inside or after a broken character).
  int32_t chars(int32_t i) const { return nodes_[static_cast<size_t>(i)].chars; }
  int32_t max_started_chars(int32_t i) const { return nodes_[static_cast<size_t>(i)].max_started; }
  // Nodes strictly below i whose byte is 0x80..0xFF (non-ASCII text).
  int32_t non_ascii_below(int32_t i) const { return nodes_[static_cast<size_t>(i)].non_ascii_below; }
  // exit[i] = the first node j >= max(i, 1) in preorder that is not a
  // "member" (num_nodes() if none); n + 1 entries. Node j is a member when
  //   - utf8 == false: byte(j) is in `loop`;
  //   - utf8 == true: at a character boundary (parent's utf8_state), byte(j)
  //     is ASCII in `loop` or a valid lead byte; inside a character, byte(j)
  //     validly continues it, unless it completes one of the `excluded`
  //     characters (byte strings). So member paths spell loop characters and
  //     valid multi-byte characters other than those, possibly ending inside
  //     one.
  // Within node i's subtree (for utf8, when utf8_state(i) is kBoundary), the
  // nodes in [i + 1, exit[i + 1]) and, recursively, between one exit subtree
  // and the next, are reached through member nodes only.
  //
  // members(d) (for d < kMemberDepths): mask words of the tokens whose path
  // has no non-member node deeper than d. So the tokens of node i's subtree
  // reached through members only (those a loop jump from i accepts whole)
  // are subtree(i) & members(depth(i)): no exit subtree need be cleared.
  // O(nodes + kMemberDepths * vocab/64) to build.
  static constexpr int32_t kMemberDepths = 16;
  struct LoopTable {
    std::vector<int32_t> exit;
    std::vector<uint64_t> member_words;  // kMemberDepths rows of num_words()
  };
  LoopTable ExitTable(const ByteSet& loop, bool utf8, const std::vector<std::string>& excluded) const;

 private:
  // One record per node (the walk reads them in order), plus a sentinel
  // whose token_begin closes the last node's token list.
  struct Node {
    int32_t end;
    int32_t token_begin;
    int32_t depth;
    int32_t below;  // index into below_sets_ (distinct sets are few; shared)
    uint8_t byte;
    utf8::ValidatorState utf8;
    int32_t chars;
    int32_t max_started;
    int32_t non_ascii_below;
  };
  std::vector<Node> nodes_;
  std::vector<int32_t> token_ids_;
  std::vector<int32_t> parents_;
  std::vector<ByteSet> below_sets_;
  std::vector<int32_t> dense_index_;   // per node: index into dense_words_ rows, or -1
  std::vector<uint64_t> dense_words_;  // rows of num_words_ words
  size_t num_words_ = 0;
  int32_t max_depth_ = 0;
};

}  // namespace steer::grammar
