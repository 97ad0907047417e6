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
// The best ISA this CPU supports (cached after the first call).
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
// (nullptr = the calling thread only).
void MatMul(gguf::TensorType type, const void* w, int64_t rows, int64_t cols,
            const float* x, int64_t batch, float* y, ThreadPool* pool,
            Isa isa = DetectIsa());

}  // namespace steer::model
