#include "steer/util/bitset.h"

#include "steer/util/check.h"

namespace steer {

void DynamicBitset::Resize(size_t n, bool value) {
  n_ = n;
  words_.assign((n + 63) / 64, value ? ~uint64_t{0} : 0);
  ClearTail();
}

void DynamicBitset::ClearTail() {
  if (n_ % 64 != 0 && !words_.empty()) words_.back() &= (uint64_t{1} << (n_ % 64)) - 1;
}

void DynamicBitset::SetAll() {
  for (auto& w : words_) w = ~uint64_t{0};
  ClearTail();
}

void DynamicBitset::ResetAll() {
  for (auto& w : words_) w = 0;
}

size_t DynamicBitset::Count() const {
  size_t c = 0;
  for (uint64_t w : words_) c += static_cast<size_t>(__builtin_popcountll(w));
  return c;
}

bool DynamicBitset::Any() const {
  for (uint64_t w : words_)
    if (w) return true;
  return false;
}

DynamicBitset& DynamicBitset::operator&=(const DynamicBitset& o) {
  STEER_CHECK(n_ == o.n_);
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= o.words_[i];
  return *this;
}

DynamicBitset& DynamicBitset::operator|=(const DynamicBitset& o) {
  STEER_CHECK(n_ == o.n_);
  for (size_t i = 0; i < words_.size(); ++i) words_[i] |= o.words_[i];
  return *this;
}

}  // namespace steer
