// Writer -> reader round trips: every value type, nested arrays, tensors and
// alignment; plus the typed getters.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <new>

#include "shared_data.h"
#include "steer/gguf/gguf.h"
#include "steer/util/file.h"

namespace steer::gguf {
namespace {

// Deep equality of two values (floats compared bit for bit).
bool SameValue(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kString: return *a.GetString() == *b.GetString();
    case ValueType::kBool: {
      bool x = false, y = false;
      return a.GetBool(&x) && b.GetBool(&y) && x == y;
    }
    case ValueType::kFloat32:
    case ValueType::kFloat64: {
      double x = 0, y = 0;
      a.GetFloat(&x);
      b.GetFloat(&y);
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case ValueType::kArray:
      if (a.element_type() != b.element_type() || a.elements().size() != b.elements().size())
        return false;
      for (size_t k = 0; k < a.elements().size(); ++k)
        if (!SameValue(a.elements()[k], b.elements()[k])) return false;
      return true;
    default: {
      int64_t x = 0, y = 0;
      uint64_t ux = 0, uy = 0;
      if (a.GetInt(&x)) return b.GetInt(&y) && x == y;
      return a.GetUint(&ux) && b.GetUint(&uy) && ux == uy;
    }
  }
}

std::unique_ptr<File> MustRead(const std::string& bytes) {
  auto r = File::FromBytes(bytes);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

std::vector<std::pair<std::string, Value>> AllTypes() {
  Value inner_a = Value::Array(ValueType::kUint16, {Value::U16(1), Value::U16(65535)});
  Value inner_b = Value::Array(ValueType::kUint16, {});
  Value nested = Value::Array(ValueType::kArray, {inner_a, inner_b, inner_a});
  Value nested_strings = Value::Array(
      ValueType::kArray, {Value::StringArray({"x", ""}), Value::StringArray({"\xE4\xB8\xAD"})});
  return {
      {"u8", Value::U8(255)},
      {"i8", Value::I8(-128)},
      {"u16", Value::U16(65535)},
      {"i16", Value::I16(-32768)},
      {"u32", Value::U32(4294967295u)},
      {"i32", Value::I32(std::numeric_limits<int32_t>::min())},
      {"u64", Value::U64(std::numeric_limits<uint64_t>::max())},
      {"i64", Value::I64(std::numeric_limits<int64_t>::min())},
      {"f32", Value::F32(-1.5e-7f)},
      {"f64", Value::F64(M_PI)},
      {"f32.nan", Value::F32(std::numeric_limits<float>::quiet_NaN())},
      {"bool.t", Value::Bool(true)},
      {"bool.f", Value::Bool(false)},
      {"str", Value::String(std::string("a\0b \xE2\x96\x81 \xFF", 9))},
      {"str.empty", Value::String("")},
      {"arr.str", Value::StringArray({"<unk>", "", "\xE2\x96\x81the", std::string(300, 'z')})},
      {"arr.f32", Value::F32Array({0.f, -1.f, 1e30f})},
      {"arr.i32", Value::I32Array({-1, 0, 7})},
      {"arr.bool", Value::Array(ValueType::kBool, {Value::Bool(true), Value::Bool(false)})},
      {"arr.f64", Value::Array(ValueType::kFloat64, {Value::F64(0.1)})},
      {"arr.u64", Value::Array(ValueType::kUint64, {Value::U64(1ull << 63)})},
      {"arr.i8", Value::Array(ValueType::kInt8, {Value::I8(-1), Value::I8(1)})},
      {"arr.empty", Value::Array(ValueType::kString, {})},
      {"arr.nested", nested},
      {"arr.nested.str", nested_strings},
  };
}

TEST(GgufRoundTrip, EveryValueType) {
  Writer w;
  auto kvs = AllTypes();
  for (const auto& [k, v] : kvs) w.Set(k, v);
  auto f = MustRead(w.Serialize());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_TRUE(f->tensors().empty());
  ASSERT_EQ(f->metadata().size(), kvs.size());
  for (size_t k = 0; k < kvs.size(); ++k) {
    EXPECT_EQ(f->metadata()[k].first, kvs[k].first);  // file order is kept
    EXPECT_TRUE(SameValue(f->metadata()[k].second, kvs[k].second)) << kvs[k].first;
    const Value* found = f->Find(kvs[k].first);
    ASSERT_NE(found, nullptr);
    EXPECT_TRUE(SameValue(*found, kvs[k].second)) << kvs[k].first;
  }
  EXPECT_EQ(f->Find("absent"), nullptr);
  const Value& nested = *f->Find("arr.nested");
  ASSERT_EQ(nested.elements().size(), 3u);
  EXPECT_EQ(nested.elements()[0].element_type(), ValueType::kUint16);
  EXPECT_TRUE(nested.elements()[1].elements().empty());
}

TEST(GgufRoundTrip, SetReplacesKeyInPlace) {
  Writer w;
  w.Set("a", Value::U8(1));
  w.Set("b", Value::U8(2));
  w.Set("a", Value::String("x"));
  auto f = MustRead(w.Serialize());
  ASSERT_TRUE(f);
  ASSERT_EQ(f->metadata().size(), 2u);
  EXPECT_EQ(f->metadata()[0].first, "a");
  EXPECT_EQ(f->GetString("a").value(), "x");
}

TEST(GgufRoundTrip, TypedGetters) {
  Writer w;
  for (const auto& [k, v] : AllTypes()) w.Set(k, v);
  auto f = MustRead(w.Serialize());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->GetInt("u32").value(), 4294967295);
  EXPECT_EQ(f->GetInt("i8").value(), -128);
  EXPECT_EQ(f->GetUint("u64").value(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(f->GetUint("u8").value(), 255u);
  EXPECT_DOUBLE_EQ(f->GetFloat("f32").value(), static_cast<double>(-1.5e-7f));
  EXPECT_DOUBLE_EQ(f->GetFloat("i16").value(), -32768.0);
  EXPECT_TRUE(f->GetBool("bool.t").value());
  EXPECT_EQ(f->GetString("str.empty").value(), "");
  EXPECT_EQ(f->GetIntOr("absent", 7).value(), 7);
  EXPECT_EQ(f->GetStringOr("absent", "d").value(), "d");
  EXPECT_FALSE(f->GetBoolOr("absent", false).value());
  EXPECT_DOUBLE_EQ(f->GetFloatOr("absent", 0.5).value(), 0.5);
  EXPECT_EQ(f->GetIntOr("i32", 7).value(), std::numeric_limits<int32_t>::min());

  auto missing = f->GetString("no.such.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().location, "key \"no.such.key\"");

  auto check = [](const Error& e, const std::string& key, const std::string& msg) {
    EXPECT_EQ(e.code, ErrorCode::kInvalidInput) << e.ToString();
    EXPECT_EQ(e.location, "key \"" + key + "\"");
    EXPECT_NE(e.message.find(msg), std::string::npos) << e.message;
  };
  check(f->GetInt("u64").error(), "u64", "does not fit in int64");
  check(f->GetUint("i8").error(), "i8", "negative");
  check(f->GetString("u8").error(), "u8", "expected a string, found uint8");
  check(f->GetInt("str").error(), "str", "expected an integer, found string");
  check(f->GetFloat("bool.t").error(), "bool.t", "expected a number, found bool");
  check(f->GetBool("u8").error(), "u8", "expected a bool");
  check(f->GetIntOr("f32", 0).error(), "f32", "expected an integer, found float32");
}

TEST(GgufValue, ToStringAbbreviatesArrays) {
  EXPECT_EQ(Value::I32Array({1, 2, 3}).ToString(2), "[1, 2, ... (3 int32)]");
  EXPECT_EQ(Value::StringArray({"a\"b"}).ToString(), "[\"a\\\"b\"]");
  EXPECT_EQ(Value::Bool(true).ToString(), "true");
  EXPECT_EQ(Value::F32(0.5f).ToString(), "0.5");
  EXPECT_EQ(Value::I64(-3).ToString(), "-3");
}

std::string Bytes(size_t n, uint8_t seed) {
  std::string s(n, '\0');
  for (size_t k = 0; k < n; ++k) s[k] = static_cast<char>(seed + k * 7);
  return s;
}

class GgufTensorRoundTrip : public ::testing::TestWithParam<uint64_t> {};

TEST_P(GgufTensorRoundTrip, TableAndData) {
  const uint64_t alignment = GetParam();
  struct Spec {
    std::string name;
    TensorType type;
    std::vector<int64_t> dims;
  };
  std::vector<Spec> specs = {
      {"a.weight", TensorType::kF32, {4, 3}},
      {"b.q4_0", TensorType::kQ4_0, {64, 2}},
      {"c.i8", TensorType::kI8, {5}},  // 5 bytes: forces padding
      {"d.q6_k", TensorType::kQ6_K, {256, 1, 2, 1}},
      {"e.f16", TensorType::kF16, {3, 1, 1}},
  };
  Writer w(alignment);
  w.Set("general.architecture", Value::String("test"));
  std::vector<std::string> data;
  for (size_t k = 0; k < specs.size(); ++k) {
    int64_t rows = 1;
    for (size_t d = 1; d < specs[k].dims.size(); ++d) rows *= specs[k].dims[d];
    data.push_back(Bytes(RowBytes(specs[k].type, specs[k].dims[0]) * rows, uint8_t(k * 31)));
    w.AddTensor(specs[k].name, specs[k].type, specs[k].dims, data.back());
  }
  auto f = MustRead(w.Serialize());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->alignment(), alignment);
  if (alignment == 32) {
    EXPECT_EQ(f->Find("general.alignment"), nullptr);
  } else {
    EXPECT_EQ(f->GetUint("general.alignment").value(), alignment);
  }
  ASSERT_EQ(f->tensors().size(), specs.size());
  uint64_t end = 0;
  for (size_t k = 0; k < specs.size(); ++k) {
    const TensorInfo& t = f->tensors()[k];
    EXPECT_EQ(t.name, specs[k].name);
    EXPECT_EQ(t.type, specs[k].type);
    EXPECT_EQ(t.dims, specs[k].dims);
    EXPECT_EQ(t.num_bytes, data[k].size());
    EXPECT_EQ(t.offset % alignment, 0u);
    EXPECT_GE(t.offset, end);  // laid out in order, no overlap
    end = t.offset + t.num_bytes;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->TensorData(t)), t.num_bytes), data[k]);
    if (alignment <= 64) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(f->TensorData(t)) % alignment, 0u);
    }
    EXPECT_EQ(f->FindTensor(specs[k].name), &t);
  }
  EXPECT_EQ(f->tensors()[0].num_elements(), 12);
  EXPECT_EQ(f->tensors()[3].num_elements(), 512);
  EXPECT_EQ(f->FindTensor("nope"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Alignments, GgufTensorRoundTrip, ::testing::Values(32, 1, 8, 64, 4096));

TEST(GgufRoundTrip, OpenMapsWrittenFile) {
  Writer w;
  w.Set("k", Value::StringArray({"a", "b"}));
  w.AddTensor("t", TensorType::kF32, {2}, Bytes(8, 1));
  std::string path = testing::TempDir() + "/t.gguf";
  ASSERT_TRUE(w.WriteTo(path).ok());
  auto f = File::Open(path);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ((*f)->path(), path);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*f)->TensorData((*f)->tensors()[0])), 8),
            Bytes(8, 1));
  auto bad = (*f)->GetInt("k");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().location, path + ": key \"k\"");

  auto missing = File::Open(path + ".absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  std::string bytes = w.Serialize();
  bytes[0] = 'X';
  std::string bad_path = testing::TempDir() + "/bad.gguf";
  ASSERT_TRUE(WriteFile(bad_path, bytes).ok());
  auto corrupt = File::Open(bad_path);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().location, bad_path + ": offset 0");
}

// FromStaticMemory borrows the bytes: tensor data points into them, and
// errors are located by the given name.
TEST(GgufRoundTrip, StaticMemoryIsBorrowedNotCopied) {
  Writer w(64);
  w.Set("k", Value::StringArray({"a", "b"}));
  w.AddTensor("t", TensorType::kF32, {2}, Bytes(8, 1));
  const std::string bytes = w.Serialize();
  constexpr std::align_val_t kAlign{64};
  uint8_t* mem = static_cast<uint8_t*>(::operator new(bytes.size(), kAlign));
  std::memcpy(mem, bytes.data(), bytes.size());
  {
    auto f = File::FromStaticMemory(mem, bytes.size(), "<embedded>");
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    EXPECT_EQ((*f)->path(), "<embedded>");
    const uint8_t* data = (*f)->TensorData((*f)->tensors()[0]);
    EXPECT_GE(data, mem);
    EXPECT_LT(data, mem + bytes.size());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(data), 8), Bytes(8, 1));
    auto bad = (*f)->GetInt("k");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().location, "<embedded>: key \"k\"");
  }
  mem[0] = 'X';
  auto corrupt = File::FromStaticMemory(mem, bytes.size(), "<embedded>");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().location, "<embedded>: offset 0");
  ::operator delete(mem, kAlign);
}

TEST(GgufRoundTrip, Version2Reads) {
  Writer w;
  w.Set("k", Value::U32(5));
  std::string bytes = w.Serialize();
  bytes[4] = 2;  // v2 and v3 share the layout
  auto f = MustRead(bytes);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 2u);
  EXPECT_EQ(f->GetInt("k").value(), 5);
}

// Rewriting a parsed file keeps its key order, wherever general.alignment
// sits (found by the fuzzer: the writer used to insert it first).
TEST(GgufRoundTrip, RewriteKeepsKeyOrder) {
  Writer w(64);
  w.Set("a", Value::U8(1));
  w.Set("general.alignment", Value::U32(64));
  w.Set("b", Value::U8(2));
  auto f = MustRead(w.Serialize());
  ASSERT_TRUE(f);
  ASSERT_EQ(f->metadata().size(), 3u);
  EXPECT_EQ(f->metadata()[1].first, "general.alignment");
  Writer again(f->alignment());
  for (const auto& [k, v] : f->metadata()) again.Set(k, v);
  EXPECT_EQ(again.Serialize(), w.Serialize());

  Writer implicit(64);  // no key Set: recorded first
  implicit.Set("a", Value::U8(1));
  auto g = MustRead(implicit.Serialize());
  ASSERT_TRUE(g);
  ASSERT_EQ(g->metadata().size(), 2u);
  EXPECT_EQ(g->metadata()[0].first, "general.alignment");
  EXPECT_EQ(g->alignment(), 64u);
}

}  // namespace
}  // namespace steer::gguf
