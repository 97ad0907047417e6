#include "steer/engine/kv_cache.h"

#include <cstring>
#include <limits>
#include <string>

#include "steer/util/check.h"

namespace steer::engine {

KvCache::KvCache(int32_t n_layer, int32_t kv_dim, const KvCacheOptions& options)
    : n_layer_(n_layer),
      kv_dim_(kv_dim),
      block_size_(options.block_size),
      type_(options.type),
      layer_bytes_(int64_t{options.block_size} * kv_dim * model::KvElementBytes(options.type)),
      block_bytes_(2 * n_layer * layer_bytes_) {
  STEER_CHECK(n_layer > 0 && kv_dim > 0 && options.block_size > 0);
  max_blocks_ = options.budget_bytes > 0 ? options.budget_bytes / block_bytes()
                                         : std::numeric_limits<int32_t>::max();
}

uint8_t* KvCache::BlockData(int32_t block) {
  STEER_DCHECK(block >= 0 && static_cast<size_t>(block) < refs_.size());
  return reinterpret_cast<uint8_t*>(chunks_[block / kChunkBlocks].get()) + (block % kChunkBlocks) * block_bytes_;
}

void* KvCache::Keys(int32_t block, int32_t layer) { return BlockData(block) + layer * layer_bytes_; }

void* KvCache::Values(int32_t block, int32_t layer) { return BlockData(block) + (n_layer_ + layer) * layer_bytes_; }

int32_t KvCache::AllocateBlock() {
  int32_t b;
  if (!free_blocks_.empty()) {
    b = free_blocks_.back();
    free_blocks_.pop_back();
  } else {
    STEER_CHECK(static_cast<int64_t>(refs_.size()) < max_blocks_);
    b = static_cast<int32_t>(refs_.size());
    if (b % kChunkBlocks == 0) {
      chunks_.emplace_back(new float[kChunkBlocks * block_bytes_ / sizeof(float)]);
    }
    refs_.push_back(0);
  }
  STEER_CHECK(refs_[b] == 0);
  refs_[b] = 1;
  ++blocks_in_use_;
  return b;
}

void KvCache::Unref(int32_t block) {
  STEER_CHECK(refs_[block] > 0);
  if (--refs_[block] == 0) {
    free_blocks_.push_back(block);
    --blocks_in_use_;
  }
}

KvCache::Sequence& KvCache::Seq(SeqId seq) {
  STEER_CHECK(IsLive(seq));
  return seqs_[seq];
}

const KvCache::Sequence& KvCache::Seq(SeqId seq) const {
  STEER_CHECK(IsLive(seq));
  return seqs_[seq];
}

bool KvCache::IsLive(SeqId seq) const {
  return seq >= 0 && static_cast<size_t>(seq) < seqs_.size() && seqs_[seq].live;
}

Status KvCache::CheckLive(SeqId seq) const {
  if (!IsLive(seq)) {
    return MakeError(ErrorCode::kInvalidArgument, "sequence " + std::to_string(seq) + " does not exist",
                     "kv cache");
  }
  return {};
}

SeqId KvCache::NewSequence() {
  SeqId id;
  if (!free_seq_ids_.empty()) {
    id = free_seq_ids_.back();
    free_seq_ids_.pop_back();
  } else {
    id = static_cast<SeqId>(seqs_.size());
    seqs_.emplace_back();
  }
  Sequence& s = seqs_[id];
  s.live = true;
  s.length = 0;
  s.blocks.clear();
  ++num_live_;
  return id;
}

Result<SeqId> KvCache::Fork(SeqId seq) {
  STEER_RETURN_IF_ERROR(CheckLive(seq));
  const SeqId id = NewSequence();  // may grow seqs_: index, do not hold references
  seqs_[id].length = seqs_[seq].length;
  seqs_[id].blocks = seqs_[seq].blocks;
  for (int32_t b : seqs_[id].blocks) ++refs_[b];
  return id;
}

Status KvCache::Release(SeqId seq) {
  STEER_RETURN_IF_ERROR(CheckLive(seq));
  Sequence& s = seqs_[seq];
  for (int32_t b : s.blocks) Unref(b);
  s.blocks.clear();
  s.length = 0;
  s.live = false;
  free_seq_ids_.push_back(seq);
  --num_live_;
  return {};
}

Status KvCache::Truncate(SeqId seq, Pos length) {
  STEER_RETURN_IF_ERROR(CheckLive(seq));
  Sequence& s = seqs_[seq];
  if (length < 0 || length > s.length) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot truncate sequence " + std::to_string(seq) + " of length " +
                         std::to_string(s.length) + " to " + std::to_string(length),
                     "kv cache");
  }
  const size_t keep = (static_cast<size_t>(length) + block_size_ - 1) / block_size_;
  while (s.blocks.size() > keep) {
    Unref(s.blocks.back());
    s.blocks.pop_back();
  }
  s.length = length;
  return {};
}

Pos KvCache::Length(SeqId seq) const { return Seq(seq).length; }

const int32_t* KvCache::BlockTable(SeqId seq) const { return Seq(seq).blocks.data(); }

int64_t KvCache::BlocksNeeded(SeqId seq, Pos new_length) const {
  const Sequence& s = Seq(seq);
  if (new_length <= s.length) return 0;
  const int64_t have = static_cast<int64_t>(s.blocks.size());
  const int64_t want = (static_cast<int64_t>(new_length) + block_size_ - 1) / block_size_;
  int64_t n = want > have ? want - have : 0;
  if (s.length % block_size_ != 0 && refs_[s.blocks[s.length / block_size_]] > 1) ++n;
  return n;
}

int64_t KvCache::BlocksAvailable() const {
  return static_cast<int64_t>(free_blocks_.size()) + (max_blocks_ - static_cast<int64_t>(refs_.size()));
}

void KvCache::Prepare(SeqId seq, Pos new_length) {
  Sequence& s = Seq(seq);
  if (new_length <= s.length) return;
  if (s.length % block_size_ != 0) {
    int32_t& last = s.blocks[s.length / block_size_];
    if (refs_[last] > 1) {
      const int32_t copy = AllocateBlock();
      std::memcpy(BlockData(copy), BlockData(last), block_bytes());
      Unref(last);
      last = copy;
    }
  }
  const size_t want = (static_cast<size_t>(new_length) + block_size_ - 1) / block_size_;
  while (s.blocks.size() < want) s.blocks.push_back(AllocateBlock());
}

void KvCache::SetLength(SeqId seq, Pos length) {
  Sequence& s = Seq(seq);
  STEER_CHECK(length >= 0 && static_cast<size_t>(length) <= s.blocks.size() * block_size_);
  s.length = length;
}

}  // namespace steer::engine
