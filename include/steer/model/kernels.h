// Weight kernels: dequantization and fused dequantize-and-dot products for
// every supported tensor type, with runtime ISA dispatch (AVX-512, AVX2,
// portable). The portable path is the oracle the tests compare against.
//
// Activations are always F32. A weight matrix W of shape [rows][cols] is
// stored row-major in its tensor type: row r starts at r * RowBytes(type, cols).
// `cols` must be a multiple of the type's block size.
#pragma once

#include <cstdint>

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

}  // namespace steer::model
