#include "grammar/token_trie.h"

#include <algorithm>
#include <array>
#include <map>
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
  std::vector<ByteSet> below(n);
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
    ByteSet& p = below[static_cast<size_t>(parent[i])];
    p.Add(bytes[i]);
    p |= below[i];
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
    nodes_[i].utf8 = i == 0 || i == n ? utf8::kBoundary : utf8::Step(nodes_[static_cast<size_t>(parent[i])].utf8, bytes[i]);
    nodes_[i].chars = i == 0 || i == n ? 0
                                       : nodes_[static_cast<size_t>(parent[i])].chars +
                                           (nodes_[i].utf8 == utf8::kBoundary ? 1 : 0);
    nodes_[i].max_started = nodes_[i].chars + (nodes_[i].utf8 == utf8::kBoundary ? 0 : 1);
    nodes_[i].non_ascii_below = 0;
  }
  for (size_t i = n; i-- > 1;) {  // children after parents: fold up in reverse
    Node& p = nodes_[static_cast<size_t>(parent[i])];
    p.max_started = std::max(p.max_started, nodes_[i].max_started);
    p.non_ascii_below += nodes_[i].non_ascii_below + (bytes[i] >= 0x80 ? 1 : 0);
  }
  parents_ = std::move(parent);
  std::map<std::array<uint64_t, 4>, int32_t> below_ids;
  for (size_t i = 0; i <= n; ++i) {
    ByteSet set = i < n ? below[i] : ByteSet();
    std::array<uint64_t, 4> key{set.words()[0], set.words()[1], set.words()[2], set.words()[3]};
    auto [it, fresh] = below_ids.emplace(key, static_cast<int32_t>(below_sets_.size()));
    if (fresh) below_sets_.push_back(set);
    nodes_[i].below = it->second;
  }
  num_words_ = (token_bytes.size() + 63) / 64;
  dense_index_.assign(n, -1);
  int32_t rows = 0;
  for (size_t i = 0; i < n; ++i) {
    int32_t count = nodes_[static_cast<size_t>(nodes_[i].end)].token_begin - nodes_[i].token_begin;
    if (count < kDenseSubtreeTokens) continue;
    dense_index_[i] = rows++;
    dense_words_.resize(static_cast<size_t>(rows) * num_words_, 0);
    uint64_t* w = dense_words_.data() + static_cast<size_t>(rows - 1) * num_words_;
    for (int32_t k = nodes_[i].token_begin; k < nodes_[static_cast<size_t>(nodes_[i].end)].token_begin; ++k) {
      int32_t t = token_ids_[static_cast<size_t>(k)];
      w[static_cast<size_t>(t) >> 6] |= uint64_t{1} << (t & 63);
    }
  }
}

TokenTrie::LoopTable TokenTrie::ExitTable(const ByteSet& loop, bool utf8, const std::vector<std::string>& excluded) const {
  // The character that node i completes (i at a boundary after a
  // continuation byte): its bytes, read back to the previous boundary.
  auto completes_excluded = [&](int32_t i) {
    std::string ch;
    for (int32_t k = i; ch.size() < 4; k = parent(k)) {
      ch.insert(ch.begin(), static_cast<char>(byte(k)));
      if (utf8_state(parent(k)) == utf8::kBoundary || utf8_state(parent(k)) == utf8::kBroken) break;
    }
    return std::find(excluded.begin(), excluded.end(), ch) != excluded.end();
  };
  int32_t n = num_nodes();
  std::vector<uint8_t> member_node(static_cast<size_t>(n), 1);
  std::vector<int32_t> exit(static_cast<size_t>(n) + 1, n);
  for (int32_t i = n - 1; i >= 1; --i) {
    uint8_t b = byte(i);
    bool member = loop.Contains(b);
    if (utf8) {
      utf8::ValidatorState before = utf8_state(parent(i));
      if (before == utf8::kBoundary || before == utf8::kBroken) {
        member = b < 0x80 ? member : utf8_state(i) != utf8::kBroken;
      } else {
        member = utf8_state(i) != utf8::kBroken &&
                 (excluded.empty() || utf8_state(i) != utf8::kBoundary || !completes_excluded(i));
      }
      // A node after a broken byte is never reached through members (the
      // broken node is an exit), so its own membership does not matter.
    }
    member_node[static_cast<size_t>(i)] = member;
    exit[static_cast<size_t>(i)] = member ? exit[static_cast<size_t>(i) + 1] : i;
  }
  if (n > 0) exit[0] = n > 1 ? exit[1] : n;
  // deepest[i]: depth of the deepest non-member on the path to i (0: none).
  // Parents precede children in preorder.
  std::vector<int32_t> deepest(static_cast<size_t>(n), 0);
  std::vector<uint64_t> rows(static_cast<size_t>(kMemberDepths) * num_words_, 0);
  for (int32_t i = 1; i < n; ++i) {
    deepest[static_cast<size_t>(i)] = member_node[static_cast<size_t>(i)] ? deepest[static_cast<size_t>(parent(i))] : depth(i);
    const int32_t d = deepest[static_cast<size_t>(i)];
    if (d >= kMemberDepths) continue;
    uint64_t* row = rows.data() + static_cast<size_t>(d) * num_words_;
    for (const int32_t* t = tokens_begin(i); t != tokens_end(i); ++t) row[static_cast<size_t>(*t) >> 6] |= uint64_t{1} << (*t & 63);
  }
  for (int32_t d = 1; d < kMemberDepths; ++d) {  // members(d) includes members(d - 1)
    uint64_t* row = rows.data() + static_cast<size_t>(d) * num_words_;
    const uint64_t* prev = row - num_words_;
    for (size_t w = 0; w < num_words_; ++w) row[w] |= prev[w];
  }
  return {std::move(exit), std::move(rows)};
}

}  // namespace steer::grammar
