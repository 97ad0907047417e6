#include "tokenizer/spm.h"

#include <algorithm>
#include <queue>

#include "steer/util/utf8.h"

namespace steer::tokenizer {
namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // "▁"

// Whether s has a character other than "▁" directly followed by "▁".
bool HasInnerSpace(std::string_view s) {
  for (size_t k = s.find(kSpace, 1); k != std::string_view::npos; k = s.find(kSpace, k + 1)) {
    if (k < 3 || s.substr(k - 3, 3) != kSpace) return true;
  }
  return false;
}

}  // namespace

SpmModel::SpmModel(const std::unordered_map<std::string_view, TokenId>& text_to_id,
                   std::vector<float> scores, const TokenId (&byte_tokens)[256])
    : text_to_id_(text_to_id), scores_(std::move(scores)) {
  std::copy(std::begin(byte_tokens), std::end(byte_tokens), byte_tokens_);
  can_split_ = true;
  for (const auto& [text, id] : text_to_id_) {
    if (HasInnerSpace(text)) {
      can_split_ = false;
      break;
    }
  }
}

TokenId SpmModel::Lookup(std::string_view s) const {
  auto it = text_to_id_.find(s);
  return it == text_to_id_.end() ? kNoToken : it->second;
}

void SpmModel::Encode(std::string_view text, std::vector<TokenId>* out) const {
  if (!can_split_) {
    EncodeSegment(text, out);
    return;
  }
  size_t begin = 0;
  for (size_t k = text.find(kSpace, 1); k != std::string_view::npos; k = text.find(kSpace, k + 1)) {
    if (k >= 3 && text.substr(k - 3, 3) == kSpace) continue;  // inside a run of "▁"
    EncodeSegment(text.substr(begin, k - begin), out);
    begin = k;
  }
  EncodeSegment(text.substr(begin), out);
}

void SpmModel::EncodeSegment(std::string_view text, std::vector<TokenId>* out) const {
  struct Symbol {
    int prev;
    int next;
    uint32_t start;
    uint32_t len;  // 0 once merged into its left neighbour
  };
  struct Bigram {
    float score;
    int left;
    int right;
    uint32_t size;  // bytes of left + right when pushed; stale if it changed
    bool operator<(const Bigram& o) const {  // max-heap: best score, then leftmost
      return score != o.score ? score < o.score : left > o.left;
    }
  };
  std::vector<Symbol> sym;
  sym.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    int n = utf8::SequenceLength(static_cast<uint8_t>(text[i]));
    size_t len = std::min<size_t>(n > 0 ? n : 1, text.size() - i);
    int idx = static_cast<int>(sym.size());
    sym.push_back(Symbol{idx - 1, i + len < text.size() ? idx + 1 : -1, static_cast<uint32_t>(i),
                         static_cast<uint32_t>(len)});
    i += len;
  }
  std::priority_queue<Bigram> heap;
  auto try_add = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    std::string_view s = text.substr(sym[l].start, sym[l].len + sym[r].len);
    TokenId id = Lookup(s);
    if (id == kNoToken || static_cast<size_t>(id) >= scores_.size()) return;
    heap.push(Bigram{scores_[id], l, r, static_cast<uint32_t>(s.size())});
  };
  for (int i = 1; i < static_cast<int>(sym.size()); ++i) try_add(i - 1, i);
  while (!heap.empty()) {
    Bigram b = heap.top();
    heap.pop();
    Symbol& l = sym[b.left];
    Symbol& r = sym[b.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.size) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[i].next) {
    std::string_view s = text.substr(sym[i].start, sym[i].len);
    TokenId id = Lookup(s);
    if (id != kNoToken) {
      out->push_back(id);
      continue;
    }
    for (char c : s) {
      TokenId b = byte_tokens_[static_cast<uint8_t>(c)];
      if (b != kNoToken) out->push_back(b);
    }
  }
}

}  // namespace steer::tokenizer
