// GGUF value and tensor types, with the ggml block layout of each tensor type.
#pragma once

#include <cstddef>
#include <cstdint>

namespace steer::gguf {

// Metadata value types, numbered as in the GGUF specification.
enum class ValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5,
  kFloat32 = 6, kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11,
  kFloat64 = 12,
};
const char* ValueTypeName(ValueType t);
bool IsKnownValueType(uint32_t t);

// Tensor types, numbered as ggml numbers them. Only those with a known block
// layout are listed; any other number is rejected by the reader.
enum class TensorType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8,
  kQ8_1 = 9, kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14,
  kQ8_K = 15, kI8 = 24, kI16 = 25, kI32 = 26, kI64 = 27, kF64 = 28, kBF16 = 30,
};

struct TensorTypeInfo {
  const char* name;      // "F32", "Q4_K", ...
  uint32_t block_size;   // values per block (1 for plain types)
  uint32_t type_size;    // bytes per block
};

// Returns nullptr for a number that is not a known tensor type.
const TensorTypeInfo* GetTensorTypeInfo(uint32_t type);
const TensorTypeInfo& GetTensorTypeInfo(TensorType type);
inline const char* TensorTypeName(TensorType t) { return GetTensorTypeInfo(t).name; }

// Bytes taken by one row of `n` values (n must be a multiple of block_size).
size_t RowBytes(TensorType type, int64_t n);

}  // namespace steer::gguf
