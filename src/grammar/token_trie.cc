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
  std::vector<uint8_t> bytes;
  std::vector<int32_t> depths;
  bytes.push_back(0);
  depths.push_back(0);
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
      bytes.push_back(static_cast<uint8_t>(s[d]));
      depths.push_back(static_cast<int32_t>(d + 1));
      path.push_back(static_cast<int32_t>(bytes.size() - 1));
    }
    max_depth_ = std::max(max_depth_, static_cast<int32_t>(s.size()));
    node_token.push_back({path[s.size()], id});
    prev = &s;
  }
  // end(i): the first later node whose depth is <= depth(i).
  size_t n = bytes.size();
  std::vector<int32_t> ends(n, static_cast<int32_t>(n));
  std::vector<int32_t> open;  // nodes whose subtree is not closed yet, by increasing depth
  for (size_t i = 0; i < n; ++i) {
    while (!open.empty() && depths[static_cast<size_t>(open.back())] >= depths[i]) {
      ends[static_cast<size_t>(open.back())] = static_cast<int32_t>(i);
      open.pop_back();
    }
    open.push_back(static_cast<int32_t>(i));
  }
  // below(i): children come after their parent in preorder, so a reverse
  // pass folds each node into its parent (the last open node one level up).
  below_.assign(n, ByteSet());
  std::vector<int32_t> parent(n, -1);
  {
    std::vector<int32_t> path_stack;
    for (size_t i = 0; i < n; ++i) {
      while (!path_stack.empty() && depths[static_cast<size_t>(path_stack.back())] >= depths[i]) path_stack.pop_back();
      parent[i] = path_stack.empty() ? -1 : path_stack.back();
      path_stack.push_back(static_cast<int32_t>(i));
    }
  }
  for (size_t i = n; i-- > 1;) {
    ByteSet& p = below_[static_cast<size_t>(parent[i])];
    p.Add(bytes[i]);
    p |= below_[i];
  }
  std::vector<int32_t> token_begin(n + 1, 0);
  for (auto [node, id] : node_token) ++token_begin[static_cast<size_t>(node) + 1];
  std::partial_sum(token_begin.begin(), token_begin.end(), token_begin.begin());
  token_ids_.resize(node_token.size());
  std::vector<int32_t> fill(token_begin.begin(), token_begin.end() - 1);
  for (auto [node, id] : node_token) token_ids_[static_cast<size_t>(fill[static_cast<size_t>(node)]++)] = id;
  nodes_.resize(n + 1);
  for (size_t i = 0; i <= n; ++i) {
    nodes_[i].end = i < n ? ends[i] : static_cast<int32_t>(n);
    nodes_[i].token_begin = token_begin[i];
    nodes_[i].depth = i < n ? depths[i] : 0;
    nodes_[i].byte = i < n ? bytes[i] : 0;
  }
}

}  // namespace steer::grammar
