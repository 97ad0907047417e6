#include "tokenizer/bpe.h"

#include <algorithm>
#include <limits>
#include <queue>

#include "steer/util/check.h"

namespace steer::tokenizer {
namespace {

inline uint64_t PairKey(TokenId left, TokenId right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
         static_cast<uint32_t>(right);
}

inline uint64_t Mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return k;
}

constexpr int32_t kNoRank = std::numeric_limits<int32_t>::max();
constexpr size_t kRescanMaxSymbols = 128;

}  // namespace

BpeModel::BpeModel(const TokenId (&byte_tokens)[256], const std::vector<Merge>& merges_by_rank,
                   WordMap whole_words, TokenId unk)
    : whole_words_(std::move(whole_words)), unk_(unk) {
  std::copy(std::begin(byte_tokens), std::end(byte_tokens), byte_tokens_);
  size_t cap = 16;
  while (cap < merges_by_rank.size() * 2) cap *= 2;
  table_.assign(cap, Entry{kEmptyKey, 0, 0});
  mask_ = cap - 1;
  for (size_t r = 0; r < merges_by_rank.size(); ++r) {
    const Merge& m = merges_by_rank[r];
    uint64_t key = PairKey(m.left, m.right);
    for (uint64_t h = Mix(key) & mask_;; h = (h + 1) & mask_) {
      if (table_[h].key == key) break;  // a repeated pair keeps its first (lowest) rank
      if (table_[h].key == kEmptyKey) {
        table_[h] = Entry{key, static_cast<int32_t>(r), m.result};
        ++num_merges_;
        break;
      }
    }
  }
}

const BpeModel::Entry* BpeModel::Find(TokenId left, TokenId right) const {
  if (left < 0 || right < 0) return nullptr;
  uint64_t key = PairKey(left, right);
  for (uint64_t h = Mix(key) & mask_;; h = (h + 1) & mask_) {
    const Entry& e = table_[h];
    if (e.key == key) return &e;
    if (e.key == kEmptyKey) return nullptr;
  }
}

void BpeModel::MergeByRescan(std::vector<TokenId>* symbols) const {
  std::vector<TokenId>& s = *symbols;
  size_t n = s.size();
  if (n < 2) return;
  // rank[i], result[i]: the merge of pair (s[i], s[i+1]).
  int32_t rank[kRescanMaxSymbols];
  TokenId result[kRescanMaxSymbols];
  std::vector<int32_t> rank_heap;
  std::vector<TokenId> result_heap;
  int32_t* rk = rank;
  TokenId* rs = result;
  if (n > kRescanMaxSymbols) {
    rank_heap.resize(n);
    result_heap.resize(n);
    rk = rank_heap.data();
    rs = result_heap.data();
  }
  auto set_pair = [&](size_t i) {
    const Entry* e = Find(s[i], s[i + 1]);
    rk[i] = e ? e->rank : kNoRank;
    rs[i] = e ? e->result : kNoToken;
  };
  for (size_t i = 0; i + 1 < n; ++i) set_pair(i);
  while (n > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < n; ++i) {
      if (rk[i] < rk[best]) best = i;
    }
    if (rk[best] == kNoRank) break;
    s[best] = rs[best];
    // Remove symbol best+1 and pair best+1.
    for (size_t i = best + 1; i + 1 < n; ++i) {
      s[i] = s[i + 1];
      rk[i] = rk[i + 1];
      rs[i] = rs[i + 1];
    }
    --n;
    if (best + 1 < n) set_pair(best);
    if (best > 0) set_pair(best - 1);
  }
  s.resize(n);
}

void BpeModel::MergeByHeap(std::vector<TokenId>* symbols) const {
  std::vector<TokenId>& s = *symbols;
  const int n = static_cast<int>(s.size());
  if (n < 2) return;
  std::vector<int> prev(n), next(n);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    int32_t rank;
    int left;
    TokenId left_id, right_id;  // the pair when pushed; stale if either changed
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto push = [&](int left) {
    if (left < 0 || next[left] < 0) return;
    const Entry* e = Find(s[left], s[next[left]]);
    if (e) heap.push(Candidate{e->rank, left, s[left], s[next[left]]});
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  std::vector<bool> dead(n, false);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    int l = c.left;
    if (dead[l]) continue;
    int r = next[l];
    if (r < 0 || s[l] != c.left_id || s[r] != c.right_id) continue;
    const Entry* e = Find(s[l], s[r]);
    s[l] = e->result;
    dead[r] = true;
    next[l] = next[r];
    if (next[r] >= 0) prev[next[r]] = l;
    push(prev[l]);
    push(l);
  }
  size_t w = 0;
  for (int i = 0; i >= 0 && i < n; i = next[i]) s[w++] = s[i];
  s.resize(w);
}

void BpeModel::EncodeWord(std::string_view word, std::vector<TokenId>* out) const {
  if (!whole_words_.empty()) {
    auto it = whole_words_.find(word);
    if (it != whole_words_.end()) {
      out->push_back(it->second);
      return;
    }
  }
  thread_local std::vector<TokenId> symbols;
  symbols.clear();
  for (char c : word) symbols.push_back(byte_tokens_[static_cast<uint8_t>(c)]);
  if (symbols.size() <= kRescanMaxSymbols) {
    MergeByRescan(&symbols);
  } else {
    MergeByHeap(&symbols);
  }
  for (TokenId id : symbols) {
    if (id != kNoToken) {
      out->push_back(id);
    } else if (unk_ != kNoToken) {
      out->push_back(unk_);
    }
  }
}

}  // namespace steer::tokenizer
