// The vocabulary as a byte trie, flattened in preorder so that a depth-first
// walk is a forward scan with skips:
//   node i has byte(i) and depth(i) (root = node 0, depth 0);
//   its subtree is nodes [i, end(i));
//   tokens whose bytes spell the path to node i are tokens(i).
// Skipping a rejected node's subtree is `i = end(i)`. The trie knows nothing
// about grammars.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace steer::grammar {

class TokenTrie {
 public:
  TokenTrie() = default;
  // Inserts every token with include[id] true and non-empty bytes.
  TokenTrie(const std::vector<std::string>& token_bytes, const std::vector<uint8_t>& include);

  int32_t num_nodes() const { return static_cast<int32_t>(byte_.size()); }
  uint8_t byte(int32_t i) const { return byte_[static_cast<size_t>(i)]; }
  int32_t depth(int32_t i) const { return depth_[static_cast<size_t>(i)]; }
  int32_t end(int32_t i) const { return end_[static_cast<size_t>(i)]; }
  int32_t max_depth() const { return max_depth_; }
  // tokens(i) = token_ids_[token_begin_[i] .. token_begin_[i + 1])
  const int32_t* tokens_begin(int32_t i) const { return token_ids_.data() + token_begin_[static_cast<size_t>(i)]; }
  const int32_t* tokens_end(int32_t i) const { return token_ids_.data() + token_begin_[static_cast<size_t>(i) + 1]; }

 private:
  std::vector<uint8_t> byte_;
  std::vector<int32_t> depth_;
  std::vector<int32_t> end_;
  std::vector<int32_t> token_begin_;  // num_nodes + 1 entries
  std::vector<int32_t> token_ids_;
  int32_t max_depth_ = 0;
};

}  // namespace steer::grammar
