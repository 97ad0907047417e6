// A paged KV cache with reference-counted blocks.
//
// Storage is a set of fixed-size blocks; a block holds `block_size`
// consecutive positions of every layer, keys then values, F32 or F16:
//   block = K[n_layer][block_size * kv_dim], V[n_layer][block_size * kv_dim]
// (each layer's part laid out by model::Forward).
// A sequence is a block table: position p lives in blocks[p / block_size] at
// slot p % block_size. Fork copies the table and increments each block's
// reference count, so it copies no K/V data. Before a sequence writes into a
// block that another sequence also references, Prepare copies that block
// (copy on write). Release drops a sequence's references; a block returns to
// the free list when its count reaches zero.
//
// Invariants: refs_[b] == the number of live block-table entries naming b;
// a block is on the free list iff refs_[b] == 0; a sequence of length n has
// exactly ceil(n / block_size) blocks.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "steer/model/forward.h"
#include "steer/util/result.h"
#include "steer/util/types.h"

namespace steer::engine {

struct KvCacheOptions {
  int32_t block_size = 16;
  // Upper bound on K/V storage in bytes; 0 means no limit.
  int64_t budget_bytes = 0;
  model::KvType type = model::KvType::kF32;
};

class KvCache final : public model::KvStore {
 public:
  KvCache(int32_t n_layer, int32_t kv_dim, const KvCacheOptions& options);

  // model::KvStore
  int32_t block_size() const override { return block_size_; }
  model::KvType type() const override { return type_; }
  void* Keys(int32_t block, int32_t layer) override;
  void* Values(int32_t block, int32_t layer) override;

  // A new empty sequence.
  SeqId NewSequence();
  // A new sequence sharing all of `seq`'s blocks. kInvalidArgument if `seq`
  // is not live.
  Result<SeqId> Fork(SeqId seq);
  // Drops `seq`; its id may be reused. kInvalidArgument if not live.
  Status Release(SeqId seq);
  // Shortens `seq` to `length` positions (<= its length).
  Status Truncate(SeqId seq, Pos length);

  bool IsLive(SeqId seq) const;
  Pos Length(SeqId seq) const;  // precondition: IsLive(seq)
  const int32_t* BlockTable(SeqId seq) const;

  // Blocks needed so that `seq` (live) can grow to `new_length`: new blocks
  // plus one copy if its partly filled last block is shared.
  int64_t BlocksNeeded(SeqId seq, Pos new_length) const;
  // Blocks that can still be handed out under the budget.
  int64_t BlocksAvailable() const;
  // Makes positions [Length, new_length) of `seq` writable: copies a shared
  // last block and appends blocks. Precondition: BlocksNeeded <= available.
  // Does not change Length (see SetLength).
  void Prepare(SeqId seq, Pos new_length);
  // Records that positions [0, length) of `seq` hold data. length must be
  // covered by its blocks.
  void SetLength(SeqId seq, Pos length);

  int64_t block_bytes() const { return block_bytes_; }
  int64_t blocks_in_use() const { return blocks_in_use_; }
  int64_t bytes_in_use() const { return blocks_in_use_ * block_bytes(); }
  // Reference count of a block (for tests).
  int32_t RefCount(int32_t block) const { return refs_[block]; }
  int64_t num_live_sequences() const { return num_live_; }

 private:
  struct Sequence {
    bool live = false;
    Pos length = 0;
    std::vector<int32_t> blocks;
  };
  static constexpr int32_t kChunkBlocks = 64;  // blocks per allocation

  uint8_t* BlockData(int32_t block);
  int32_t AllocateBlock();
  void Unref(int32_t block);
  Sequence& Seq(SeqId seq);
  const Sequence& Seq(SeqId seq) const;
  Status CheckLive(SeqId seq) const;

  const int32_t n_layer_;
  const int32_t kv_dim_;
  const int32_t block_size_;
  const model::KvType type_;
  const int64_t layer_bytes_;  // one layer's keys (or values) in a block
  const int64_t block_bytes_;  // 2 * n_layer * layer_bytes_
  int64_t max_blocks_;          // from the budget; INT64_MAX when unlimited
  std::vector<std::unique_ptr<float[]>> chunks_;  // kChunkBlocks blocks each (floats: 4-byte aligned)
  std::vector<int32_t> refs_;                     // per allocated block
  std::vector<int32_t> free_blocks_;
  int64_t blocks_in_use_ = 0;
  std::vector<Sequence> seqs_;
  std::vector<SeqId> free_seq_ids_;
  int64_t num_live_ = 0;
};

}  // namespace steer::engine
