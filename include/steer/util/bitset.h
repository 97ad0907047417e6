// A fixed-size bitset sized at run time, stored as 64-bit words. Token masks
// are these: bit t set means token t is allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace steer {

// out[t] = value for every t in [begin, end) whose bit in words is clear
// (begin a multiple of 64): a word with no bit set is one fill, others are
// walked bit by bit. Applies a token mask to a row of weights.
template <class T>
void FillWhereClear(const uint64_t* words, size_t begin, size_t end, T value, T* out) {
  for (size_t w = begin / 64; w * 64 < end; ++w) {
    uint64_t clear = ~words[w];
    if (clear == ~uint64_t{0}) {
      const size_t stop = w * 64 + 64 < end ? w * 64 + 64 : end;
      for (size_t t = w * 64; t < stop; ++t) out[t] = value;
      continue;
    }
    while (clear != 0) {
      const size_t t = w * 64 + static_cast<size_t>(__builtin_ctzll(clear));
      if (t >= end) break;
      out[t] = value;
      clear &= clear - 1;
    }
  }
}

class DynamicBitset {
 public:
  DynamicBitset() = default;
  explicit DynamicBitset(size_t n, bool value = false) { Resize(n, value); }

  void Resize(size_t n, bool value = false);
  size_t size() const { return n_; }
  size_t num_words() const { return words_.size(); }
  uint64_t* words() { return words_.data(); }
  const uint64_t* words() const { return words_.data(); }

  bool Test(size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1u; }
  void Set(size_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Reset(size_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  void Assign(size_t i, bool v) { v ? Set(i) : Reset(i); }
  void SetAll();
  void ResetAll();

  size_t Count() const;
  bool Any() const;
  DynamicBitset& operator&=(const DynamicBitset& o);
  DynamicBitset& operator|=(const DynamicBitset& o);
  bool operator==(const DynamicBitset& o) const { return n_ == o.n_ && words_ == o.words_; }

  // Calls f(i) for every set bit, in increasing order.
  template <typename F>
  void ForEachSet(F&& f) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t x = words_[w];
      while (x) {
        f(w * 64 + static_cast<size_t>(__builtin_ctzll(x)));
        x &= x - 1;
      }
    }
  }

 private:
  void ClearTail();
  std::vector<uint64_t> words_;
  size_t n_ = 0;
};

}  // namespace steer
