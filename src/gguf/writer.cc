// GGUF v3 writer. Tensor data is laid out in the order added, each tensor at
// the next multiple of the alignment, with zero padding in between.
#include <bit>
#include <cstring>

#include "steer/gguf/gguf.h"
#include "steer/util/check.h"
#include "steer/util/file.h"

namespace steer::gguf {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF writer assumes little-endian");

template <typename T>
void Put(T v, std::string* out) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}

void PutString(const std::string& s, std::string* out) {
  Put<uint64_t>(s.size(), out);
  out->append(s);
}

void Pad(uint64_t alignment, std::string* out) {
  out->append((alignment - out->size() % alignment) % alignment, '\0');
}

// The value's payload (its type tag is written by the caller).
void PutValue(const Value& v, std::string* out) {
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  switch (v.type()) {
    case ValueType::kUint8: v.GetUint(&u); Put<uint8_t>(static_cast<uint8_t>(u), out); return;
    case ValueType::kUint16: v.GetUint(&u); Put<uint16_t>(static_cast<uint16_t>(u), out); return;
    case ValueType::kUint32: v.GetUint(&u); Put<uint32_t>(static_cast<uint32_t>(u), out); return;
    case ValueType::kUint64: v.GetUint(&u); Put<uint64_t>(u, out); return;
    case ValueType::kInt8: v.GetInt(&i); Put<int8_t>(static_cast<int8_t>(i), out); return;
    case ValueType::kInt16: v.GetInt(&i); Put<int16_t>(static_cast<int16_t>(i), out); return;
    case ValueType::kInt32: v.GetInt(&i); Put<int32_t>(static_cast<int32_t>(i), out); return;
    case ValueType::kInt64: v.GetInt(&i); Put<int64_t>(i, out); return;
    case ValueType::kFloat32: v.GetFloat(&f); Put<float>(static_cast<float>(f), out); return;
    case ValueType::kFloat64: v.GetFloat(&f); Put<double>(f, out); return;
    case ValueType::kBool: v.GetBool(&b); Put<uint8_t>(b ? 1 : 0, out); return;
    case ValueType::kString: PutString(*v.GetString(), out); return;
    case ValueType::kArray:
      Put<uint32_t>(static_cast<uint32_t>(v.element_type()), out);
      Put<uint64_t>(v.elements().size(), out);
      for (const Value& e : v.elements()) PutValue(e, out);
      return;
  }
}

}  // namespace

Writer::Writer(uint64_t alignment) : alignment_(alignment) {
  STEER_CHECK(std::has_single_bit(alignment) && alignment <= UINT32_MAX);
}

void Writer::Set(std::string key, Value value) {
  for (auto& [k, v] : metadata_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(std::move(key), std::move(value));
}

void Writer::AddTensor(std::string name, TensorType type, std::vector<int64_t> dims,
                       std::string data) {
  STEER_CHECK(!dims.empty());
  uint64_t rows = 1;
  for (size_t d = 1; d < dims.size(); ++d) {
    STEER_CHECK(dims[d] > 0);
    rows *= static_cast<uint64_t>(dims[d]);
  }
  STEER_CHECK(dims[0] > 0);
  STEER_CHECK_MSG(data.size() == RowBytes(type, dims[0]) * rows, "tensor data size != shape");
  tensors_.push_back({std::move(name), type, std::move(dims), std::move(data)});
}

std::string Writer::Serialize() const {
  // A non-default alignment is recorded first unless the key was Set.
  bool add_alignment = alignment_ != 32;
  for (const auto& kv : metadata_) add_alignment = add_alignment && kv.first != "general.alignment";
  std::string out = "GGUF";
  Put<uint32_t>(3, &out);
  Put<uint64_t>(tensors_.size(), &out);
  Put<uint64_t>(metadata_.size() + (add_alignment ? 1 : 0), &out);
  auto put_kv = [&out](const std::string& key, const Value& value) {
    PutString(key, &out);
    Put<uint32_t>(static_cast<uint32_t>(value.type()), &out);
    PutValue(value, &out);
  };
  if (add_alignment) put_kv("general.alignment", Value::U32(static_cast<uint32_t>(alignment_)));
  for (const auto& [key, value] : metadata_) put_kv(key, value);
  uint64_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    PutString(t.name, &out);
    Put<uint32_t>(static_cast<uint32_t>(t.dims.size()), &out);
    for (int64_t d : t.dims) Put<uint64_t>(static_cast<uint64_t>(d), &out);
    Put<uint32_t>(static_cast<uint32_t>(t.type), &out);
    Put<uint64_t>(offset, &out);
    offset += (t.data.size() + alignment_ - 1) / alignment_ * alignment_;
  }
  Pad(alignment_, &out);  // the data section starts aligned, so padding each
  for (const PendingTensor& t : tensors_) {  // tensor in the file aligns its offset
    out.append(t.data);
    Pad(alignment_, &out);
  }
  return out;
}

Status Writer::WriteTo(const std::string& path) const { return WriteFile(path, Serialize()); }

}  // namespace steer::gguf
