// Weight kernels: dequantization and fused dequantize-and-dot products for
// every supported tensor type, with runtime ISA dispatch (AVX-512, AVX2,
// portable). The portable path is the oracle the tests compare against.
//
// Activations are always F32. A weight matrix W of shape [rows][cols] is
// stored row-major in its tensor type: row r starts at r * RowBytes(type, cols).
// `cols` must be a multiple of the type's block size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "steer/gguf/types.h"

namespace steer {
class ThreadPool;
}

namespace steer::model {

enum class Isa { kPortable, kAvx2, kAvx512 };
const char* IsaName(Isa isa);
// True if this CPU can run the kernels of `isa` (kPortable always).
bool CpuSupports(Isa isa);
// The best ISA this CPU supports, or the one named by the environment
// variable STEER_ISA (portable, avx2, avx512) if the CPU supports it.
// Cached after the first call.
Isa DetectIsa();
// True if this build has kernels for `type`.
bool IsSupportedWeightType(gguf::TensorType type);

// dst[0..n) = the n values of one row stored at `src`. Bit-identical to
// ggml's dequantization.
void DequantizeRow(gguf::TensorType type, const void* src, float* dst, int64_t n,
                   Isa isa = DetectIsa());

// Returns dot(row of n values at `w`, x).
float DotRow(gguf::TensorType type, const void* w, const float* x, int64_t n,
             Isa isa = DetectIsa());

// y[b * rows + r] = dot(W[r], x[b * cols ...]) for r < rows, b < batch.
// Reads each weight row once for the whole batch. Splits rows over `pool`
// (nullptr = the calling thread only). y must not overlap w or x. For a
// given ISA each output is bit-identical whatever the batch size, thread
// count and row tiling (DotRow included); its error is within the usual
// F32 summation bound, ~n * 2^-24 * sum |w_i x_i|.
void MatMul(gguf::TensorType type, const void* w, int64_t rows, int64_t cols,
            const float* x, int64_t batch, float* y, ThreadPool* pool,
            Isa isa = DetectIsa());

// True if MatMulQ8 has an integer kernel for `type` (Q8_0, Q4_0, Q4_K,
// Q5_K, Q6_K).
bool HasQ8ActivationKernel(gguf::TensorType type);

// As MatMul, but for quantized weights each batch row of x is first rounded
// to 8 bits in blocks of 32 (scale d_k = max|x_k| / 127, F32), as llama.cpp
// does, and the dot products run in integers from the packed blocks (VNNI
// on AVX-512): faster, but not exact. Per output, with w the dequantized row,
//   |y - dot(w, x)| <= sum over blocks k of (d_k / 2) * sum_{i in k} |w_i|
// plus F32 rounding (~n * 2^-23 relative to sum_i (|scale q_i| + |min_i|) |x_i|).
// Other types fall through to MatMul (exact F32 activations). As with
// MatMul, an output does not depend on batch size, tiling or threads.
void MatMulQ8(gguf::TensorType type, const void* w, int64_t rows, int64_t cols,
              const float* x, int64_t batch, float* y, ThreadPool* pool,
              Isa isa = DetectIsa());

// A weight matrix prepared once for MatMulQ8Packed: on ISAs whose Q8 kernel
// rearranges weight blocks (AVX-512: panels of 16 rows, each block of 32
// values spread one row per VNNI lane, plus the scales: 576 bytes per 512
// values for Q8_0 / Q4_0, 640 for K-quants), it owns that rearranged copy, 64-byte aligned; otherwise (other ISAs, types without a
// Q8 kernel) it owns nothing and refers to the raw rows. In both cases the
// raw rows are not read by MatMulQ8Packed when an owned copy exists, but
// `w` passed to PackForQ8 must outlive this when it owns nothing.
// Move-only; immutable after PackForQ8, so shareable between threads.
struct PackedProduct;

class PackedWeights {
 public:
  PackedWeights() = default;
  PackedWeights(PackedWeights&&) = default;
  PackedWeights& operator=(PackedWeights&&) = default;
  PackedWeights(const PackedWeights&) = delete;
  PackedWeights& operator=(const PackedWeights&) = delete;

  gguf::TensorType type() const { return type_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  Isa isa() const { return isa_; }
  // Made by PackForQ8 (for MatMulQ8Packed), else by PackForMatMul.
  bool q8() const { return q8_; }
  // Bytes this object owns (0 when it refers to the raw rows).
  int64_t owned_bytes() const { return static_cast<int64_t>(lines_.size() * sizeof(Line)); }

 private:
  friend PackedWeights PackForQ8(gguf::TensorType, const void*, int64_t, int64_t, Isa);
  friend PackedWeights PackForMatMul(gguf::TensorType, const void*, int64_t, int64_t, Isa);
  friend void MatMulPackedMany(std::span<const PackedProduct>, const float*, int64_t, ThreadPool*);
  struct alignas(64) Line {
    uint8_t bytes[64];
  };
  // The common part of PackForQ8 (q8) and PackForMatMul.
  static PackedWeights Make(gguf::TensorType type, const void* w, int64_t rows, int64_t cols, Isa isa, bool q8);
  gguf::TensorType type_ = gguf::TensorType::kF32;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  Isa isa_ = Isa::kPortable;
  const void* raw_ = nullptr;   // the rows given to PackFor* (not owned)
  bool q8_ = false;             // made by PackForQ8 (else PackForMatMul)
  int64_t panel_rows_ = 0;     // rows per packed panel
  int64_t panel_bytes_ = 0;    // bytes per packed panel; 0 = no owned copy
  std::vector<Line> lines_;    // [ceil(rows / panel_rows_)][panel_bytes_ / 64]
};

// Prepares W[rows][cols] of `type` for MatMulQ8Packed with `isa`. Cost: one
// pass over W (the rearrangement MatMulQ8 does on every call).
PackedWeights PackForQ8(gguf::TensorType type, const void* w, int64_t rows, int64_t cols,
                        Isa isa = DetectIsa());

// Bit-identical to MatMulQ8(w.type(), <rows given to PackForQ8>, w.rows(),
// w.cols(), x, batch, y, pool, w.isa()), without rearranging the weights.
void MatMulQ8Packed(const PackedWeights& w, const float* x, int64_t batch, float* y,
                    ThreadPool* pool);

// The same for MatMul (F32 activations): on ISAs that multiply some types
// from panels (AVX-512: F32, F16 and BF16, 16 rows per panel, one row per
// lane, the same bytes per value as the file), the PackedWeights owns W so
// rearranged; otherwise it owns nothing and refers to W.
PackedWeights PackForMatMul(gguf::TensorType type, const void* w, int64_t rows, int64_t cols,
                            Isa isa = DetectIsa());

// Bit-identical to MatMul(w.type(), <rows given to PackForMatMul>, w.rows(),
// w.cols(), x, batch, y, pool, w.isa()), without rearranging the weights.
void MatMulPacked(const PackedWeights& w, const float* x, int64_t batch, float* y, ThreadPool* pool);

// One product of MatMulPackedMany: y = W x, y [batch][w->rows()].
struct PackedProduct {
  const PackedWeights* w;
  float* y;
};

// Every job's product with the same x (at most 8 jobs, all W with the same
// cols and ISA;
// each by MatMulQ8Packed or MatMulPacked as it was packed), with x rounded
// to 8 bits once for all 8-bit jobs and all jobs' row tiles split over
// `pool` in one pass. Bit-identical to one call per job.
void MatMulPackedMany(std::span<const PackedProduct> jobs, const float* x, int64_t batch, ThreadPool* pool);

}  // namespace steer::model
