#include <cinttypes>
#include <cstdio>
#include <limits>

#include "steer/gguf/gguf.h"
#include "steer/util/check.h"
#include "steer/util/strings.h"

namespace steer::gguf {
namespace {
// Numbers live in one 64-bit slot: unsigned types in `u`, signed in `i`,
// floats in `f` (float32 widened exactly), bool as u = 0 or 1.
bool IsUnsigned(ValueType t) {
  return t == ValueType::kUint8 || t == ValueType::kUint16 || t == ValueType::kUint32 ||
         t == ValueType::kUint64;
}
bool IsSigned(ValueType t) {
  return t == ValueType::kInt8 || t == ValueType::kInt16 || t == ValueType::kInt32 ||
         t == ValueType::kInt64;
}
}  // namespace

#define STEER_GGUF_UNSIGNED_CTOR(Name, T, kType) \
  Value Value::Name(T v) {                       \
    Value r;                                     \
    r.type_ = ValueType::kType;                  \
    r.num_.u = v;                                \
    return r;                                    \
  }
#define STEER_GGUF_SIGNED_CTOR(Name, T, kType) \
  Value Value::Name(T v) {                     \
    Value r;                                   \
    r.type_ = ValueType::kType;                \
    r.num_.i = v;                              \
    return r;                                  \
  }
STEER_GGUF_UNSIGNED_CTOR(U8, uint8_t, kUint8)
STEER_GGUF_UNSIGNED_CTOR(U16, uint16_t, kUint16)
STEER_GGUF_UNSIGNED_CTOR(U32, uint32_t, kUint32)
STEER_GGUF_UNSIGNED_CTOR(U64, uint64_t, kUint64)
STEER_GGUF_SIGNED_CTOR(I8, int8_t, kInt8)
STEER_GGUF_SIGNED_CTOR(I16, int16_t, kInt16)
STEER_GGUF_SIGNED_CTOR(I32, int32_t, kInt32)
STEER_GGUF_SIGNED_CTOR(I64, int64_t, kInt64)
#undef STEER_GGUF_UNSIGNED_CTOR
#undef STEER_GGUF_SIGNED_CTOR

Value Value::F32(float v) {
  Value r;
  r.type_ = ValueType::kFloat32;
  r.num_.f = v;
  return r;
}

Value Value::F64(double v) {
  Value r;
  r.type_ = ValueType::kFloat64;
  r.num_.f = v;
  return r;
}

Value Value::Bool(bool v) {
  Value r;
  r.type_ = ValueType::kBool;
  r.num_.u = v ? 1 : 0;
  return r;
}

Value Value::String(std::string v) {
  Value r;
  r.type_ = ValueType::kString;
  r.str_ = std::move(v);
  return r;
}

Value Value::Array(ValueType element_type, std::vector<Value> elements) {
  for (const Value& e : elements) STEER_CHECK(e.type_ == element_type);
  Value r;
  r.type_ = ValueType::kArray;
  r.element_type_ = element_type;
  r.elements_ = std::move(elements);
  return r;
}

Value Value::StringArray(const std::vector<std::string>& v) {
  std::vector<Value> e;
  e.reserve(v.size());
  for (const std::string& s : v) e.push_back(String(s));
  return Array(ValueType::kString, std::move(e));
}

Value Value::F32Array(const std::vector<float>& v) {
  std::vector<Value> e;
  e.reserve(v.size());
  for (float x : v) e.push_back(F32(x));
  return Array(ValueType::kFloat32, std::move(e));
}

Value Value::I32Array(const std::vector<int32_t>& v) {
  std::vector<Value> e;
  e.reserve(v.size());
  for (int32_t x : v) e.push_back(I32(x));
  return Array(ValueType::kInt32, std::move(e));
}

bool Value::is_integer() const { return IsUnsigned(type_) || IsSigned(type_); }

bool Value::GetInt(int64_t* out) const {
  if (IsSigned(type_)) {
    *out = num_.i;
    return true;
  }
  if (IsUnsigned(type_) && num_.u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    *out = static_cast<int64_t>(num_.u);
    return true;
  }
  return false;
}

bool Value::GetUint(uint64_t* out) const {
  if (IsUnsigned(type_)) {
    *out = num_.u;
    return true;
  }
  if (IsSigned(type_) && num_.i >= 0) {
    *out = static_cast<uint64_t>(num_.i);
    return true;
  }
  return false;
}

bool Value::GetFloat(double* out) const {
  if (is_float()) {
    *out = num_.f;
  } else if (IsSigned(type_)) {
    *out = static_cast<double>(num_.i);
  } else if (IsUnsigned(type_)) {
    *out = static_cast<double>(num_.u);
  } else {
    return false;
  }
  return true;
}

bool Value::GetBool(bool* out) const {
  if (type_ != ValueType::kBool) return false;
  *out = num_.u != 0;
  return true;
}

const std::string* Value::GetString() const {
  return type_ == ValueType::kString ? &str_ : nullptr;
}

std::string Value::ToString(size_t max_elements) const {
  char buf[64];
  switch (type_) {
    case ValueType::kBool: return num_.u ? "true" : "false";
    case ValueType::kString: return JsonString(str_);
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      std::snprintf(buf, sizeof buf, "%.9g", num_.f);
      return buf;
    case ValueType::kArray: {
      std::string s = "[";
      for (size_t k = 0; k < elements_.size() && k < max_elements; ++k) {
        if (k) s += ", ";
        s += elements_[k].ToString(max_elements);
      }
      if (elements_.size() > max_elements) {
        s += ", ... (" + std::to_string(elements_.size()) + " " +
             ValueTypeName(element_type_) + ")";
      }
      return s + "]";
    }
    default:
      if (IsSigned(type_)) std::snprintf(buf, sizeof buf, "%" PRId64, num_.i);
      else std::snprintf(buf, sizeof buf, "%" PRIu64, num_.u);
      return buf;
  }
}

}  // namespace steer::gguf
