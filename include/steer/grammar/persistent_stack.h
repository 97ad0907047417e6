// A stack whose copies share their history: forking a matcher is O(chunk)
// whatever the text length.
//
// The bottom of the stack is a linked list of frozen, immutable chunks of
// kChunk values (shared between copies through shared_ptr); the top is a
// private tail of fewer than kChunk values. Push appends to the tail and
// freezes it when full; Pop takes from the tail, and when the tail is empty
// thaws the last frozen chunk (copies it: O(kChunk), once per kChunk pops).
// Copying the stack copies the tail and one shared_ptr.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "steer/util/check.h"

namespace steer::grammar {

template <typename T>
class PersistentStack {
 public:
  static constexpr size_t kChunk = 256;

  void Push(T v) {
    tail_.push_back(std::move(v));
    if (tail_.size() == kChunk) {
      frozen_ = std::make_shared<const Chunk>(Chunk{std::move(frozen_), std::move(tail_)});
      frozen_size_ += kChunk;
      tail_.clear();
      tail_.reserve(kChunk);
    }
  }
  void Pop() {
    STEER_CHECK(size() > 0);
    if (tail_.empty()) Thaw();
    tail_.pop_back();
  }
  // Pops n values (n <= size()).
  void PopN(size_t n) {
    STEER_CHECK(n <= size());
    while (n > 0) {
      if (tail_.empty()) Thaw();
      size_t k = std::min(n, tail_.size());
      tail_.resize(tail_.size() - k);
      n -= k;
    }
  }
  const T& Back() const {
    STEER_CHECK(size() > 0);
    return tail_.empty() ? frozen_->values.back() : tail_.back();
  }
  size_t size() const { return frozen_size_ + tail_.size(); }
  bool empty() const { return size() == 0; }

 private:
  struct Chunk {
    std::shared_ptr<const Chunk> prev;
    std::vector<T> values;  // exactly kChunk
  };
  void Thaw() {
    tail_ = frozen_->values;
    frozen_ = frozen_->prev;
    frozen_size_ -= kChunk;
  }
  std::shared_ptr<const Chunk> frozen_;
  size_t frozen_size_ = 0;
  std::vector<T> tail_;
};

}  // namespace steer::grammar
