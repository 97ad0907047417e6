// GGUF reader: one forward pass over the bytes that validates every count,
// length, type and offset before using it, so a hostile file can neither
// read out of bounds nor make the reader allocate more than ReadLimits allow
// (every count is first compared with the bytes left in the file).
#include <bit>
#include <cstring>
#include <limits>
#include <new>

#include "steer/gguf/gguf.h"
#include "steer/util/file.h"
#include "steer/util/strings.h"

namespace steer::gguf {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF reader assumes little-endian");

constexpr uint64_t kMinKvBytes = 8 + 4 + 1;  // key length, type, 1-byte value
// name length, n_dims, one dim, type, offset
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
constexpr size_t kMaxQuotedBytes = 80;

// A key or tensor name for an error message: JSON-quoted, long ones cut.
std::string Quote(std::string_view s) {
  if (s.size() <= kMaxQuotedBytes) return JsonString(s);
  return JsonString(s.substr(0, kMaxQuotedBytes)) + "...";
}

// The fewest bytes one value of type `t` occupies (t must be known).
uint64_t MinValueBytes(ValueType t) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool: return 1;
    case ValueType::kUint16:
    case ValueType::kInt16: return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32: return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64:
    case ValueType::kString: return 8;  // the length
    case ValueType::kArray: return 12;  // element type + count
  }
  return 1;
}

}  // namespace

int64_t TensorInfo::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;  // the reader rejected overflowing shapes
  return n;
}

class File::Parser {
 public:
  Parser(const uint8_t* data, size_t size, const ReadLimits& limits, File* file)
      : data_(data), size_(size), limits_(limits), file_(file) {}

  Status Parse() {
    STEER_RETURN_IF_ERROR(ParseHeader());
    STEER_RETURN_IF_ERROR(ParseMetadata());
    STEER_RETURN_IF_ERROR(ParseTensorInfos());
    return PlaceTensorData();
  }

 private:
  Error Fail(ErrorCode code, std::string message, uint64_t offset) const {
    std::string location = "offset " + std::to_string(offset);
    if (!context_.empty()) location += " (" + context_ + ")";
    return MakeError(code, std::move(message), std::move(location));
  }

  uint64_t Left() const { return size_ - pos_; }

  Status Need(uint64_t n, const char* what) {
    if (n <= Left()) return {};
    return Fail(ErrorCode::kInvalidInput,
                "truncated file: " + std::string(what) + " needs " + std::to_string(n) +
                    " bytes but the file ends at offset " + std::to_string(size_),
                pos_);
  }

  template <typename T>
  Status Read(T* out, const char* what) {
    STEER_RETURN_IF_ERROR(Need(sizeof(T), what));
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return {};
  }

  Status ReadString(std::string* out, const char* what) {
    uint64_t len = 0;
    STEER_RETURN_IF_ERROR(Read(&len, what));
    if (len > Left()) {
      return Fail(ErrorCode::kInvalidInput,
                  "truncated file: " + std::string(what) + " of " + std::to_string(len) +
                      " bytes runs past the end of the file (" + std::to_string(Left()) +
                      " bytes left)",
                  pos_ - 8);
    }
    if (len > limits_.max_string_bytes) {
      return Fail(ErrorCode::kResourceExhausted,
                  std::string(what) + " of " + std::to_string(len) + " bytes exceeds the limit of " +
                      std::to_string(limits_.max_string_bytes),
                  pos_ - 8);
    }
    out->assign(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return {};
  }

  Status ReadType(ValueType* out, const char* what) {
    uint64_t at = pos_;
    uint32_t raw = 0;
    STEER_RETURN_IF_ERROR(Read(&raw, what));
    if (!IsKnownValueType(raw)) {
      return Fail(ErrorCode::kInvalidInput, "unknown " + std::string(what) + " " + std::to_string(raw),
                  at);
    }
    *out = static_cast<ValueType>(raw);
    return {};
  }

  template <typename T>
  Status ReadNumber(Value (*make)(T), Value* out) {
    T v{};
    STEER_RETURN_IF_ERROR(Read(&v, "value"));
    *out = make(v);
    return {};
  }

  // `depth` is the number of arrays enclosing this value. Recursion depth is
  // bounded by limits_.max_array_depth.
  Status ReadValue(ValueType type, uint32_t depth, Value* out) {
    switch (type) {
      case ValueType::kUint8: return ReadNumber<uint8_t>(&Value::U8, out);
      case ValueType::kInt8: return ReadNumber<int8_t>(&Value::I8, out);
      case ValueType::kUint16: return ReadNumber<uint16_t>(&Value::U16, out);
      case ValueType::kInt16: return ReadNumber<int16_t>(&Value::I16, out);
      case ValueType::kUint32: return ReadNumber<uint32_t>(&Value::U32, out);
      case ValueType::kInt32: return ReadNumber<int32_t>(&Value::I32, out);
      case ValueType::kUint64: return ReadNumber<uint64_t>(&Value::U64, out);
      case ValueType::kInt64: return ReadNumber<int64_t>(&Value::I64, out);
      case ValueType::kFloat32: return ReadNumber<float>(&Value::F32, out);
      case ValueType::kFloat64: return ReadNumber<double>(&Value::F64, out);
      case ValueType::kBool: {
        uint64_t at = pos_;
        uint8_t b = 0;
        STEER_RETURN_IF_ERROR(Read(&b, "bool value"));
        if (b > 1) {
          return Fail(ErrorCode::kInvalidInput, "bool value " + std::to_string(b) + " is not 0 or 1",
                      at);
        }
        *out = Value::Bool(b != 0);
        return {};
      }
      case ValueType::kString: {
        std::string s;
        STEER_RETURN_IF_ERROR(ReadString(&s, "string value"));
        *out = Value::String(std::move(s));
        return {};
      }
      case ValueType::kArray: return ReadArray(depth, out);
    }
    return Fail(ErrorCode::kInternal, "unhandled value type", pos_);
  }

  Status ReadArray(uint32_t depth, Value* out) {
    uint64_t at = pos_;
    if (depth + 1 > limits_.max_array_depth) {
      return Fail(ErrorCode::kResourceExhausted,
                  "arrays nested more than " + std::to_string(limits_.max_array_depth) +
                      " levels deep",
                  at);
    }
    ValueType element_type{};
    STEER_RETURN_IF_ERROR(ReadType(&element_type, "array element type"));
    uint64_t count = 0;
    STEER_RETURN_IF_ERROR(Read(&count, "array length"));
    if (count > Left() / MinValueBytes(element_type)) {
      return Fail(ErrorCode::kInvalidInput,
                  "array of " + std::to_string(count) + " " + ValueTypeName(element_type) +
                      " elements cannot fit in the " + std::to_string(Left()) +
                      " bytes left in the file",
                  at);
    }
    if (count > limits_.max_array_elements) {
      return Fail(ErrorCode::kResourceExhausted,
                  "array of " + std::to_string(count) + " elements exceeds the limit of " +
                      std::to_string(limits_.max_array_elements),
                  at);
    }
    total_elements_ += count;  // no overflow: each count is below the file size
    if (total_elements_ > limits_.max_total_elements) {
      return Fail(ErrorCode::kResourceExhausted,
                  "arrays hold more than " + std::to_string(limits_.max_total_elements) +
                      " elements in total",
                  at);
    }
    std::vector<Value> elements(count);
    for (Value& e : elements) STEER_RETURN_IF_ERROR(ReadValue(element_type, depth + 1, &e));
    *out = Value::Array(element_type, std::move(elements));
    return {};
  }

  Status ParseHeader() {
    STEER_RETURN_IF_ERROR(Need(4, "magic"));
    if (std::memcmp(data_, "GGUF", 4) != 0) {
      return Fail(ErrorCode::kInvalidInput,
                  "not a GGUF file: bad magic " +
                      JsonString(std::string_view(reinterpret_cast<const char*>(data_), 4)) +
                      " (expected \"GGUF\")",
                  0);
    }
    pos_ = 4;
    uint32_t version = 0;
    STEER_RETURN_IF_ERROR(Read(&version, "version"));
    if (version == 1) {
      return Fail(ErrorCode::kUnsupported,
                  "GGUF version 1 is not supported (it uses 32-bit counts); only versions 2 and 3 "
                  "are: convert the model again with a current llama.cpp",
                  4);
    }
    if (version != 2 && version != 3) {
      uint32_t swapped = __builtin_bswap32(version);
      std::string hint = swapped >= 1 && swapped <= 3 ? " (a big-endian file?)" : "";
      return Fail(ErrorCode::kUnsupported,
                  "unsupported GGUF version " + std::to_string(version) + hint +
                      "; only versions 2 and 3 are supported",
                  4);
    }
    file_->version_ = version;
    uint64_t n_tensors = 0, n_kv = 0;
    STEER_RETURN_IF_ERROR(Read(&n_tensors, "tensor count"));
    STEER_RETURN_IF_ERROR(Read(&n_kv, "metadata count"));
    STEER_RETURN_IF_ERROR(CheckCount(n_tensors, kMinTensorInfoBytes, limits_.max_tensors,
                                     "tensor count", 8));
    STEER_RETURN_IF_ERROR(CheckCount(n_kv, kMinKvBytes, limits_.max_metadata, "metadata count", 16));
    if (n_tensors * kMinTensorInfoBytes + n_kv * kMinKvBytes > Left()) {
      return Fail(ErrorCode::kInvalidInput,
                  std::to_string(n_kv) + " metadata entries and " + std::to_string(n_tensors) +
                      " tensor infos cannot fit in the " + std::to_string(Left()) +
                      " bytes left in the file",
                  8);
    }
    n_tensors_ = n_tensors;
    n_kv_ = n_kv;
    return {};
  }

  Status CheckCount(uint64_t n, uint64_t min_bytes, uint64_t limit, const char* what,
                    uint64_t at) {
    if (n > Left() / min_bytes) {
      return Fail(ErrorCode::kInvalidInput,
                  std::string(what) + " " + std::to_string(n) + " cannot fit in the " +
                      std::to_string(Left()) + " bytes left in the file",
                  at);
    }
    if (n > limit) {
      return Fail(ErrorCode::kResourceExhausted,
                  std::string(what) + " " + std::to_string(n) + " exceeds the limit of " +
                      std::to_string(limit),
                  at);
    }
    return {};
  }

  Status ParseMetadata() {
    file_->metadata_.reserve(n_kv_);
    for (uint64_t k = 0; k < n_kv_; ++k) {
      context_ = "metadata entry " + std::to_string(k);
      uint64_t key_at = pos_;
      std::string key;
      STEER_RETURN_IF_ERROR(ReadString(&key, "key"));
      context_ = "key " + Quote(key);
      if (file_->metadata_index_.count(key)) {
        return Fail(ErrorCode::kInvalidInput, "duplicate metadata key", key_at);
      }
      ValueType type{};
      STEER_RETURN_IF_ERROR(ReadType(&type, "value type"));
      uint64_t value_at = pos_;
      Value value;
      STEER_RETURN_IF_ERROR(ReadValue(type, 0, &value));
      if (key == "general.alignment") STEER_RETURN_IF_ERROR(SetAlignment(value, value_at));
      file_->metadata_index_.emplace(key, file_->metadata_.size());
      file_->metadata_.emplace_back(std::move(key), std::move(value));
    }
    context_.clear();
    return {};
  }

  Status SetAlignment(const Value& v, uint64_t at) {
    uint64_t a = 0;
    if (v.type() != ValueType::kUint32) {
      return Fail(ErrorCode::kInvalidInput,
                  std::string("general.alignment must be a uint32, found ") + ValueTypeName(v.type()),
                  at);
    }
    v.GetUint(&a);
    if (!std::has_single_bit(a)) {
      return Fail(ErrorCode::kInvalidInput,
                  "general.alignment " + std::to_string(a) + " is not a power of two", at);
    }
    file_->alignment_ = a;
    return {};
  }

  Status ParseTensorInfos() {
    file_->tensors_.reserve(n_tensors_);
    info_offsets_.reserve(n_tensors_);
    for (uint64_t k = 0; k < n_tensors_; ++k) {
      context_ = "tensor info " + std::to_string(k);
      uint64_t info_at = pos_;
      TensorInfo t;
      STEER_RETURN_IF_ERROR(ReadString(&t.name, "tensor name"));
      context_ = "tensor " + Quote(t.name);
      if (file_->tensor_index_.count(t.name)) {
        return Fail(ErrorCode::kInvalidInput, "duplicate tensor name", info_at);
      }
      uint64_t at = pos_;
      uint32_t n_dims = 0;
      STEER_RETURN_IF_ERROR(Read(&n_dims, "n_dims"));
      if (n_dims == 0 || n_dims > limits_.max_dims) {
        return Fail(ErrorCode::kInvalidInput,
                    "n_dims " + std::to_string(n_dims) + " is out of range 1.." +
                        std::to_string(limits_.max_dims),
                    at);
      }
      int64_t n_elements = 1;
      for (uint32_t d = 0; d < n_dims; ++d) {
        at = pos_;
        uint64_t dim = 0;
        STEER_RETURN_IF_ERROR(Read(&dim, "dimension"));
        if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return Fail(ErrorCode::kInvalidInput,
                      "dimension " + std::to_string(d) + " is " +
                          std::to_string(static_cast<int64_t>(dim)) + " (must be positive)",
                      at);
        }
        if (__builtin_mul_overflow(n_elements, static_cast<int64_t>(dim), &n_elements)) {
          return Fail(ErrorCode::kInvalidInput, "element count overflows 64 bits", at);
        }
        t.dims.push_back(static_cast<int64_t>(dim));
      }
      at = pos_;
      uint32_t raw_type = 0;
      STEER_RETURN_IF_ERROR(Read(&raw_type, "tensor type"));
      const TensorTypeInfo* info = GetTensorTypeInfo(raw_type);
      if (info == nullptr) {
        return Fail(ErrorCode::kUnsupported, "unknown tensor type " + std::to_string(raw_type), at);
      }
      t.type = static_cast<TensorType>(raw_type);
      if (t.dims[0] % info->block_size != 0) {
        return Fail(ErrorCode::kInvalidInput,
                    "row length " + std::to_string(t.dims[0]) + " is not a multiple of the " +
                        info->name + " block size " + std::to_string(info->block_size),
                    at);
      }
      // Bytes = blocks * block bytes, where blocks = n_elements / block_size
      // exactly (the row length is a multiple of the block size).
      uint64_t bytes = static_cast<uint64_t>(n_elements / info->block_size);
      if (__builtin_mul_overflow(bytes, info->type_size, &t.num_bytes)) {
        return Fail(ErrorCode::kInvalidInput, "byte size overflows 64 bits", at);
      }
      at = pos_;
      STEER_RETURN_IF_ERROR(Read(&t.offset, "tensor data offset"));
      if (t.offset % file_->alignment_ != 0) {
        return Fail(ErrorCode::kInvalidInput,
                    "data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                        std::to_string(file_->alignment_),
                    at);
      }
      file_->tensor_index_.emplace(t.name, file_->tensors_.size());
      file_->tensors_.push_back(std::move(t));
      info_offsets_.push_back(at);
    }
    context_.clear();
    return {};
  }

  // The data section starts at the first multiple of the alignment after the
  // tensor infos; every tensor's [offset, offset + num_bytes) must lie in it.
  Status PlaceTensorData() {
    uint64_t a = file_->alignment_;
    uint64_t start = (pos_ + a - 1) / a * a;  // pos_ <= size_ < 2^63, a <= 2^31
    uint64_t available = start <= size_ ? size_ - start : 0;
    for (size_t k = 0; k < file_->tensors_.size(); ++k) {
      const TensorInfo& t = file_->tensors_[k];
      if (t.offset > available || t.num_bytes > available - t.offset) {
        context_ = "tensor " + Quote(t.name);
        return Fail(ErrorCode::kInvalidInput,
                    "tensor data at data offset " + std::to_string(t.offset) + " (" +
                        std::to_string(t.num_bytes) + " bytes) runs past the end of the file: the " +
                        "data section at offset " + std::to_string(start) + " holds " +
                        std::to_string(available) + " bytes",
                    info_offsets_[k]);
      }
    }
    file_->data_ = start <= size_ ? data_ + start : nullptr;
    return {};
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  const ReadLimits& limits_;
  File* file_;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
  uint64_t total_elements_ = 0;
  std::vector<uint64_t> info_offsets_;  // file offset of each tensor's data offset field
  std::string context_;                 // what is being parsed, for error locations
};

File::~File() = default;

Result<std::unique_ptr<File>> File::Open(const std::string& path, const ReadLimits& limits) {
  STEER_ASSIGN_OR_RETURN(MappedFile map, MappedFile::Open(path));
  auto storage = std::make_shared<MappedFile>(std::move(map));
  std::unique_ptr<File> file(new File());
  file->path_ = path;
  Parser parser(storage->data(), storage->size(), limits, file.get());
  Status st = parser.Parse();
  if (!st.ok()) return st.error().Within(path);
  file->storage_ = std::move(storage);
  return file;
}

Result<std::unique_ptr<File>> File::FromBytes(std::string_view bytes, const ReadLimits& limits) {
  constexpr std::align_val_t kAlign{64};
  std::shared_ptr<uint8_t> buffer(
      static_cast<uint8_t*>(::operator new(bytes.size() + 1, kAlign)),
      [](uint8_t* p) { ::operator delete(p, kAlign); });
  std::memcpy(buffer.get(), bytes.data(), bytes.size());
  std::unique_ptr<File> file(new File());
  Parser parser(buffer.get(), bytes.size(), limits, file.get());
  STEER_RETURN_IF_ERROR(parser.Parse());
  file->storage_ = std::move(buffer);
  return file;
}

Result<std::unique_ptr<File>> File::FromStaticMemory(const uint8_t* data, size_t size, std::string name,
                                                    const ReadLimits& limits) {
  std::unique_ptr<File> file(new File());
  file->path_ = std::move(name);
  Parser parser(data, size, limits, file.get());
  Status st = parser.Parse();
  if (!st.ok()) return st.error().Within(file->path_);
  return file;  // storage_ stays empty: the bytes are borrowed
}

const Value* File::Find(std::string_view key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const TensorInfo* File::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
Error KeyError(const std::string& path, ErrorCode code, std::string message, std::string_view key) {
  std::string location = "key " + Quote(key);
  if (!path.empty()) location = path + ": " + location;
  return MakeError(code, std::move(message), std::move(location));
}

std::string Found(const Value& v) { return std::string(", found ") + ValueTypeName(v.type()); }
}  // namespace

Result<std::string> File::GetString(std::string_view key) const {
  const Value* v = Find(key);
  if (!v) return KeyError(path_, ErrorCode::kNotFound, "missing metadata key", key);
  if (const std::string* s = v->GetString()) return *s;
  return KeyError(path_, ErrorCode::kInvalidInput, "expected a string" + Found(*v), key);
}

Result<int64_t> File::GetInt(std::string_view key) const {
  const Value* v = Find(key);
  if (!v) return KeyError(path_, ErrorCode::kNotFound, "missing metadata key", key);
  int64_t x = 0;
  if (v->GetInt(&x)) return x;
  if (v->is_integer()) {
    return KeyError(path_, ErrorCode::kInvalidInput, "value " + v->ToString() + " does not fit in int64",
                    key);
  }
  return KeyError(path_, ErrorCode::kInvalidInput, "expected an integer" + Found(*v), key);
}

Result<uint64_t> File::GetUint(std::string_view key) const {
  const Value* v = Find(key);
  if (!v) return KeyError(path_, ErrorCode::kNotFound, "missing metadata key", key);
  uint64_t x = 0;
  if (v->GetUint(&x)) return x;
  if (v->is_integer()) {
    return KeyError(path_, ErrorCode::kInvalidInput, "value " + v->ToString() + " is negative", key);
  }
  return KeyError(path_, ErrorCode::kInvalidInput, "expected an unsigned integer" + Found(*v), key);
}

Result<double> File::GetFloat(std::string_view key) const {
  const Value* v = Find(key);
  if (!v) return KeyError(path_, ErrorCode::kNotFound, "missing metadata key", key);
  double x = 0;
  if (v->GetFloat(&x)) return x;
  return KeyError(path_, ErrorCode::kInvalidInput, "expected a number" + Found(*v), key);
}

Result<bool> File::GetBool(std::string_view key) const {
  const Value* v = Find(key);
  if (!v) return KeyError(path_, ErrorCode::kNotFound, "missing metadata key", key);
  bool x = false;
  if (v->GetBool(&x)) return x;
  return KeyError(path_, ErrorCode::kInvalidInput, "expected a bool" + Found(*v), key);
}

Result<int64_t> File::GetIntOr(std::string_view key, int64_t fallback) const {
  return Find(key) ? GetInt(key) : Result<int64_t>(fallback);
}

Result<double> File::GetFloatOr(std::string_view key, double fallback) const {
  return Find(key) ? GetFloat(key) : Result<double>(fallback);
}

Result<bool> File::GetBoolOr(std::string_view key, bool fallback) const {
  return Find(key) ? GetBool(key) : Result<bool>(fallback);
}

Result<std::string> File::GetStringOr(std::string_view key, std::string fallback) const {
  return Find(key) ? GetString(key) : Result<std::string>(std::move(fallback));
}

}  // namespace steer::gguf
