// GGUF v2/v3 files: a validating reader over a memory map, and a writer.
//
// Layout (little-endian): magic "GGUF", version u32, tensor count u64,
// metadata count u64, metadata key/values, tensor infos (name, n_dims u32,
// dims u64[n_dims], type u32, offset u64), padding to `general.alignment`
// (default 32), then tensor data. Tensor offsets are relative to the start of
// the data section and must be multiples of the alignment.
//
// Everything is validated up front: once File::Open succeeds, every tensor's
// bytes lie inside the file and every accessor below is safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "steer/gguf/types.h"
#include "steer/util/result.h"

namespace steer::gguf {

// A metadata value. Arrays hold elements of one type (possibly arrays again).
class Value {
 public:
  Value() = default;
  static Value U8(uint8_t v);
  static Value I8(int8_t v);
  static Value U16(uint16_t v);
  static Value I16(int16_t v);
  static Value U32(uint32_t v);
  static Value I32(int32_t v);
  static Value U64(uint64_t v);
  static Value I64(int64_t v);
  static Value F32(float v);
  static Value F64(double v);
  static Value Bool(bool v);
  static Value String(std::string v);
  static Value Array(ValueType element_type, std::vector<Value> elements);
  // Convenience builders for common arrays.
  static Value StringArray(const std::vector<std::string>& v);
  static Value F32Array(const std::vector<float>& v);
  static Value I32Array(const std::vector<int32_t>& v);

  ValueType type() const { return type_; }
  bool is_integer() const;  // any of the 8 integer types
  bool is_float() const { return type_ == ValueType::kFloat32 || type_ == ValueType::kFloat64; }

  // Typed access. Integers convert between widths when the value fits;
  // these return false (and leave *out alone) when the type does not fit.
  bool GetInt(int64_t* out) const;
  bool GetUint(uint64_t* out) const;
  bool GetFloat(double* out) const;  // any integer or float type
  bool GetBool(bool* out) const;
  const std::string* GetString() const;  // nullptr unless a string

  // Arrays.
  ValueType element_type() const { return element_type_; }
  const std::vector<Value>& elements() const { return elements_; }

  // A short human-readable rendering (arrays are abbreviated).
  std::string ToString(size_t max_elements = 8) const;

 private:
  ValueType type_ = ValueType::kUint8;
  ValueType element_type_ = ValueType::kUint8;
  union {
    uint64_t u;
    int64_t i;
    double f;
  } num_{0};
  std::string str_;
  std::vector<Value> elements_;
};

struct TensorInfo {
  std::string name;
  TensorType type = TensorType::kF32;
  std::vector<int64_t> dims;  // ggml order: dims[0] is the row length (fastest)
  uint64_t offset = 0;        // relative to the data section
  uint64_t num_bytes = 0;
  int64_t num_elements() const;
};

// Limits that keep a hostile file from making the reader allocate or loop
// without bound. Defaults are far above any real model. Exceeding a limit is
// kResourceExhausted; a count that cannot fit in the bytes left in the file
// is kInvalidInput (checked first, before anything is allocated).
struct ReadLimits {
  uint64_t max_tensors = 1u << 20;
  uint64_t max_metadata = 1u << 20;
  uint64_t max_array_elements = 1ull << 28;  // per array
  // All array elements of the file together (each costs sizeof(Value) in
  // memory, however few bytes it takes in the file).
  uint64_t max_total_elements = 1ull << 24;
  uint64_t max_string_bytes = 1ull << 30;
  uint32_t max_array_depth = 8;
  uint32_t max_dims = 4;
};

class File {
 public:
  // Maps and validates a file. Errors name the key, tensor or byte offset.
  static Result<std::unique_ptr<File>> Open(const std::string& path, const ReadLimits& limits = {});
  // Parses an in-memory image (copied into a 64-byte-aligned buffer, so
  // tensor data is as aligned as in a map). Used by tests and the fuzzer.
  static Result<std::unique_ptr<File>> FromBytes(std::string_view bytes, const ReadLimits& limits = {});

  // Parses memory that outlives the File (e.g. a model linked into the
  // binary) without copying it. `data` should be 64-byte aligned, as a map
  // is, so tensor data is as aligned as the file's alignment asks. `name`
  // stands in for the path in path() and error locations.
  static Result<std::unique_ptr<File>> FromStaticMemory(const uint8_t* data, size_t size, std::string name,
                                                       const ReadLimits& limits = {});

  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::string& path() const { return path_; }

  // Metadata in file order, and lookup by key.
  const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
  const Value* Find(std::string_view key) const;

  // Typed lookups: a missing key is kNotFound, a wrong type kInvalidInput,
  // both naming the key.
  Result<std::string> GetString(std::string_view key) const;
  Result<int64_t> GetInt(std::string_view key) const;
  Result<uint64_t> GetUint(std::string_view key) const;
  Result<double> GetFloat(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  // Optional keys: `fallback` when missing, an error only for a wrong type.
  Result<int64_t> GetIntOr(std::string_view key, int64_t fallback) const;
  Result<double> GetFloatOr(std::string_view key, double fallback) const;
  Result<bool> GetBoolOr(std::string_view key, bool fallback) const;
  Result<std::string> GetStringOr(std::string_view key, std::string fallback) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* FindTensor(std::string_view name) const;
  // The tensor's bytes inside the map (valid while the File lives).
  const uint8_t* TensorData(const TensorInfo& t) const { return data_ + t.offset; }

 private:
  File() = default;
  class Parser;
  friend class Parser;

  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::map<std::string, size_t, std::less<>> metadata_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
  const uint8_t* data_ = nullptr;   // start of the data section
  std::shared_ptr<void> storage_;   // owns the map or the copied bytes; empty for static memory
};

// Builds a GGUF v3 file in memory. Tensors are written in the order added,
// each padded to `alignment`; an alignment other than 32 is recorded as a
// leading general.alignment key unless that key was Set. Keys are written as
// given, so a general.alignment Set by hand that disagrees with `alignment`
// makes an invalid file (tests use this). Misuse (a data size that does not match the shape) is a CHECK.
class Writer {
 public:
  explicit Writer(uint64_t alignment = 32);
  void Set(std::string key, Value value);  // replaces an existing key
  // `data` must hold exactly RowBytes(type, dims[0]) * prod(dims[1:]) bytes.
  void AddTensor(std::string name, TensorType type, std::vector<int64_t> dims, std::string data);
  std::string Serialize() const;
  Status WriteTo(const std::string& path) const;

 private:
  uint64_t alignment_;
  std::vector<std::pair<std::string, Value>> metadata_;
  struct PendingTensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> dims;
    std::string data;
  };
  std::vector<PendingTensor> tensors_;
};

}  // namespace steer::gguf
