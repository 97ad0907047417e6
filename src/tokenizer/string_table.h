// A read-only hash table from strings to token ids, over a vector of strings
// it does not own. Open addressing with the 64-bit hash stored per slot, so a
// miss rarely touches the strings; faster than std::unordered_map here (one
// cache miss per probe instead of a bucket and a node). Private.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "steer/util/types.h"

namespace steer::tokenizer {

inline uint64_t HashBytes(std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  auto mix = [](uint64_t v) {
    v ^= v >> 32;
    v *= 0xD6E8FEB86659FD93ull;
    v ^= v >> 32;
    return v;
  };
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = kMul ^ n;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ mix(v)) * kMul;
    p += 8;
    n -= 8;
  }
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  h = (h ^ mix(v)) * kMul;
  return mix(h);
}

class StringTable {
 public:
  StringTable() = default;
  // Indexes keys[i] -> i for every i with include[i] (all when include is
  // empty). A repeated key maps to its last index. `keys` must outlive the
  // table and not change.
  void Build(const std::vector<std::string>* keys, const std::vector<bool>& include = {}) {
    keys_ = keys;
    size_t cap = 16;
    while (cap < keys->size() * 2) cap *= 2;
    slots_.assign(cap, Slot{0, kNoToken});
    mask_ = cap - 1;
    for (size_t i = 0; i < keys->size(); ++i) {
      if (!include.empty() && !include[i]) continue;
      const std::string& k = (*keys)[i];
      uint64_t h = HashBytes(k);
      for (uint64_t at = h & mask_;; at = (at + 1) & mask_) {
        Slot& s = slots_[at];
        if (s.id == kNoToken) {
          s = Slot{h, static_cast<TokenId>(i)};
          ++size_;
          break;
        }
        if (s.hash == h && (*keys)[s.id] == k) {
          s.id = static_cast<TokenId>(i);
          break;
        }
      }
    }
  }

  TokenId Find(std::string_view key) const {
    if (slots_.empty()) return kNoToken;
    uint64_t h = HashBytes(key);
    for (uint64_t at = h & mask_;; at = (at + 1) & mask_) {
      const Slot& s = slots_[at];
      if (s.id == kNoToken) return kNoToken;
      if (s.hash == h && (*keys_)[s.id] == key) return s.id;
    }
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash;
    TokenId id;  // kNoToken: empty
  };
  const std::vector<std::string>* keys_ = nullptr;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace steer::tokenizer
