#include "grammar/token_trie.h"

#include <algorithm>
#include <numeric>

namespace steer::grammar {

TokenTrie::TokenTrie(const std::vector<std::string>& token_bytes, const std::vector<uint8_t>& include) {
  std::vector<int32_t> ids;
  for (size_t t = 0; t < token_bytes.size(); ++t) {
    if (include[t] && !token_bytes[t].empty()) ids.push_back(static_cast<int32_t>(t));
  }
  // Lexicographic byte order is the trie's preorder.
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    const std::string& x = token_bytes[static_cast<size_t>(a)];
    const std::string& y = token_bytes[static_cast<size_t>(b)];
    int c = std::string_view(x).compare(std::string_view(y));  // bytewise (char_traits<char> compares as unsigned)
    return c != 0 ? c < 0 : a < b;
  });
  byte_.push_back(0);
  depth_.push_back(0);
  std::vector<int32_t> path = {0};         // path[d] = node at depth d on the current branch
  const std::string* prev = nullptr;
  std::vector<std::pair<int32_t, int32_t>> node_token;  // (node, token) in preorder
  for (int32_t id : ids) {
    const std::string& s = token_bytes[static_cast<size_t>(id)];
    size_t lcp = 0;
    if (prev != nullptr) {
      while (lcp < s.size() && lcp < prev->size() && s[lcp] == (*prev)[lcp]) ++lcp;
    }
    path.resize(lcp + 1);
    for (size_t d = lcp; d < s.size(); ++d) {
      byte_.push_back(static_cast<uint8_t>(s[d]));
      depth_.push_back(static_cast<int32_t>(d + 1));
      path.push_back(static_cast<int32_t>(byte_.size() - 1));
    }
    max_depth_ = std::max(max_depth_, static_cast<int32_t>(s.size()));
    node_token.push_back({path[s.size()], id});
    prev = &s;
  }
  // end(i): the first later node whose depth is <= depth(i).
  size_t n = byte_.size();
  end_.assign(n, static_cast<int32_t>(n));
  std::vector<int32_t> open;  // nodes whose subtree is not closed yet, by increasing depth
  for (size_t i = 0; i < n; ++i) {
    while (!open.empty() && depth_[static_cast<size_t>(open.back())] >= depth_[i]) {
      end_[static_cast<size_t>(open.back())] = static_cast<int32_t>(i);
      open.pop_back();
    }
    open.push_back(static_cast<int32_t>(i));
  }
  token_begin_.assign(n + 1, 0);
  for (auto [node, id] : node_token) ++token_begin_[static_cast<size_t>(node) + 1];
  std::partial_sum(token_begin_.begin(), token_begin_.end(), token_begin_.begin());
  token_ids_.resize(node_token.size());
  std::vector<int32_t> fill(token_begin_.begin(), token_begin_.end() - 1);
  for (auto [node, id] : node_token) token_ids_[static_cast<size_t>(fill[static_cast<size_t>(node)]++)] = id;
}

}  // namespace steer::grammar
