#include "steer/gguf/types.h"

#include "steer/util/check.h"

namespace steer::gguf {

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kUint8: return "uint8";
    case ValueType::kInt8: return "int8";
    case ValueType::kUint16: return "uint16";
    case ValueType::kInt16: return "int16";
    case ValueType::kUint32: return "uint32";
    case ValueType::kInt32: return "int32";
    case ValueType::kFloat32: return "float32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kUint64: return "uint64";
    case ValueType::kInt64: return "int64";
    case ValueType::kFloat64: return "float64";
  }
  return "unknown";
}

bool IsKnownValueType(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::kFloat64); }

namespace {
// Block layouts from ggml: {name, values per block, bytes per block}.
struct Entry {
  uint32_t type;
  TensorTypeInfo info;
};
constexpr Entry kTable[] = {
    {0, {"F32", 1, 4}},       {1, {"F16", 1, 2}},      {2, {"Q4_0", 32, 18}},
    {3, {"Q4_1", 32, 20}},    {6, {"Q5_0", 32, 22}},   {7, {"Q5_1", 32, 24}},
    {8, {"Q8_0", 32, 34}},    {9, {"Q8_1", 32, 36}},   {10, {"Q2_K", 256, 84}},
    {11, {"Q3_K", 256, 110}}, {12, {"Q4_K", 256, 144}}, {13, {"Q5_K", 256, 176}},
    {14, {"Q6_K", 256, 210}}, {15, {"Q8_K", 256, 292}}, {24, {"I8", 1, 1}},
    {25, {"I16", 1, 2}},      {26, {"I32", 1, 4}},     {27, {"I64", 1, 8}},
    {28, {"F64", 1, 8}},      {30, {"BF16", 1, 2}},
};
}  // namespace

const TensorTypeInfo* GetTensorTypeInfo(uint32_t type) {
  for (const auto& e : kTable)
    if (e.type == type) return &e.info;
  return nullptr;
}

const TensorTypeInfo& GetTensorTypeInfo(TensorType type) {
  const TensorTypeInfo* info = GetTensorTypeInfo(static_cast<uint32_t>(type));
  STEER_CHECK(info != nullptr);
  return *info;
}

size_t RowBytes(TensorType type, int64_t n) {
  const TensorTypeInfo& info = GetTensorTypeInfo(type);
  STEER_CHECK(n >= 0 && n % info.block_size == 0);
  return static_cast<size_t>(n / info.block_size) * info.type_size;
}

}  // namespace steer::gguf
