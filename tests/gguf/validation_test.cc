// Malformed files: each validation rule gives the right ErrorCode and a
// location naming the byte offset and the key or tensor. Files are built
// byte by byte (an independent check of the layout) or by mutating Writer
// output.
#include <gtest/gtest.h>

#include <random>

#include "steer/gguf/gguf.h"

namespace steer::gguf {
namespace {

// Little-endian byte image builder.
struct Image {
  std::string b;
  Image& U8(uint8_t v) { return Raw(&v, 1); }
  Image& U32(uint32_t v) { return Raw(&v, 4); }
  Image& U64(uint64_t v) { return Raw(&v, 8); }
  Image& Str(std::string_view s) {
    U64(s.size());
    b.append(s);
    return *this;
  }
  Image& Header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    b.append("GGUF");
    return U32(version).U64(n_tensors).U64(n_kv);
  }
  Image& PadTo(size_t alignment) {
    b.append((alignment - b.size() % alignment) % alignment, '\0');
    return *this;
  }
  Image& Raw(const void* p, size_t n) {
    b.append(static_cast<const char*>(p), n);
    return *this;
  }
};

Error MustFail(const std::string& bytes, const ReadLimits& limits = {}) {
  auto r = File::FromBytes(bytes, limits);
  if (r.ok()) {
    ADD_FAILURE() << "parsed a malformed file";
    return {};
  }
  return r.error();
}

void ExpectError(const Error& e, ErrorCode code, const std::string& location,
                 const std::string& message_part) {
  EXPECT_EQ(e.code, code) << e.ToString();
  EXPECT_EQ(e.location, location) << e.ToString();
  EXPECT_NE(e.message.find(message_part), std::string::npos) << e.ToString();
}

TEST(GgufLayout, WriterMatchesHandBuiltBytes) {
  Writer w;
  w.Set("a", Value::U8(7));
  w.AddTensor("t", TensorType::kF32, {2}, std::string("\1\2\3\4\5\6\7\x08", 8));
  Image want;
  want.Header(3, 1, 1).Str("a").U32(0).U8(7);
  want.Str("t").U32(1).U64(2).U32(0).U64(0).PadTo(32);
  want.b.append("\1\2\3\4\5\6\7\x08", 8);
  want.PadTo(32);
  EXPECT_EQ(w.Serialize(), want.b);
  EXPECT_EQ(want.b.size(), 128u);
}

TEST(GgufValidation, BadMagic) {
  Image img;
  img.b = "GGUX";
  img.U32(3).U64(0).U64(0);
  ExpectError(MustFail(img.b), ErrorCode::kInvalidInput, "offset 0", "bad magic \"GGUX\"");
  ExpectError(MustFail(""), ErrorCode::kInvalidInput, "offset 0", "truncated file");
}

TEST(GgufValidation, Versions) {
  ExpectError(MustFail(Image().Header(1, 0, 0).b), ErrorCode::kUnsupported, "offset 4",
              "GGUF version 1 is not supported");
  ExpectError(MustFail(Image().Header(4, 0, 0).b), ErrorCode::kUnsupported, "offset 4",
              "unsupported GGUF version 4");
  ExpectError(MustFail(Image().Header(0, 0, 0).b), ErrorCode::kUnsupported, "offset 4",
              "unsupported GGUF version 0");
  ExpectError(MustFail(Image().Header(0x03000000, 0, 0).b), ErrorCode::kUnsupported, "offset 4",
              "big-endian");
  EXPECT_TRUE(File::FromBytes(Image().Header(2, 0, 0).b).ok());
  EXPECT_TRUE(File::FromBytes(Image().Header(3, 0, 0).b).ok());
}

TEST(GgufValidation, TruncatedHeader) {
  std::string full = Image().Header(3, 0, 0).b;
  ExpectError(MustFail(full.substr(0, 10)), ErrorCode::kInvalidInput, "offset 8",
              "truncated file: tensor count needs 8 bytes but the file ends at offset 10");
}

TEST(GgufValidation, UnknownValueTypeNamesKey) {
  Image img;
  img.Header(3, 0, 1).Str("my.key").U32(13).U32(0);
  ExpectError(MustFail(img.b), ErrorCode::kInvalidInput, "offset 38 (key \"my.key\")",
              "unknown value type 13");
  Image arr;
  arr.Header(3, 0, 1).Str("my.key").U32(9).U32(99).U64(0);
  ExpectError(MustFail(arr.b), ErrorCode::kInvalidInput, "offset 42 (key \"my.key\")",
              "unknown array element type 99");
}

TEST(GgufValidation, BoolMustBeZeroOrOne) {
  Image img;
  img.Header(3, 0, 1).Str("b").U32(7).U8(2);
  ExpectError(MustFail(img.b), ErrorCode::kInvalidInput, "offset 37 (key \"b\")",
              "bool value 2 is not 0 or 1");
}

TEST(GgufValidation, DuplicateKey) {
  Image img;
  img.Header(3, 0, 2).Str("a").U32(0).U8(1).Str("a").U32(0).U8(2);
  ExpectError(MustFail(img.b), ErrorCode::kInvalidInput, "offset 38 (key \"a\")",
              "duplicate metadata key");
}

TEST(GgufValidation, AbsurdCounts) {
  ExpectError(MustFail(Image().Header(3, 0, 1ull << 60).b), ErrorCode::kInvalidInput, "offset 16",
              "metadata count 1152921504606846976 cannot fit in the 0 bytes left");
  ExpectError(MustFail(Image().Header(3, ~0ull, 0).b), ErrorCode::kInvalidInput, "offset 8",
              "tensor count 18446744073709551615 cannot fit");
  Image arr;
  arr.Header(3, 0, 1).Str("a").U32(9).U32(0).U64(1ull << 62);
  ExpectError(MustFail(arr.b), ErrorCode::kInvalidInput, "offset 37 (key \"a\")",
              "array of 4611686018427387904 uint8 elements cannot fit");
  Image str;
  str.Header(3, 0, 1).Str("a").U32(8).U64(1ull << 40);
  ExpectError(MustFail(str.b), ErrorCode::kInvalidInput, "offset 37 (key \"a\")",
              "truncated file: string value of 1099511627776 bytes runs past the end");
  Image key;
  key.Header(3, 0, 1).U64(100).U32(0).U8(0);
  ExpectError(MustFail(key.b), ErrorCode::kInvalidInput, "offset 24 (metadata entry 0)",
              "truncated file: key of 100 bytes");
}

TEST(GgufValidation, ReadLimits) {
  Image two_kv;
  two_kv.Header(3, 0, 2).Str("a").U32(0).U8(1).Str("b").U32(0).U8(2);
  ReadLimits limits;
  limits.max_metadata = 1;
  ExpectError(MustFail(two_kv.b, limits), ErrorCode::kResourceExhausted, "offset 16",
              "metadata count 2 exceeds the limit of 1");

  Writer w;
  w.Set("s", Value::String("hello"));
  w.Set("arr", Value::I32Array({1, 2, 3, 4}));
  w.Set("arr2", Value::I32Array({1, 2, 3}));
  w.AddTensor("t1", TensorType::kF32, {1}, std::string(4, '\0'));
  w.AddTensor("t2", TensorType::kF32, {1}, std::string(4, '\0'));
  std::string bytes = w.Serialize();
  ASSERT_TRUE(File::FromBytes(bytes).ok());

  limits = {};
  limits.max_string_bytes = 4;
  ExpectError(MustFail(bytes, limits), ErrorCode::kResourceExhausted, "offset 37 (key \"s\")",
              "string value of 5 bytes exceeds the limit of 4");
  limits = {};
  limits.max_array_elements = 3;
  Error e = MustFail(bytes, limits);
  EXPECT_EQ(e.code, ErrorCode::kResourceExhausted);
  EXPECT_NE(e.location.find("(key \"arr\")"), std::string::npos) << e.ToString();
  limits = {};
  limits.max_total_elements = 6;
  e = MustFail(bytes, limits);
  EXPECT_EQ(e.code, ErrorCode::kResourceExhausted);
  EXPECT_NE(e.location.find("(key \"arr2\")"), std::string::npos) << e.ToString();
  EXPECT_NE(e.message.find("more than 6 elements in total"), std::string::npos);
  limits = {};
  limits.max_tensors = 1;
  ExpectError(MustFail(bytes, limits), ErrorCode::kResourceExhausted, "offset 8",
              "tensor count 2 exceeds the limit of 1");
}

Value Nest(int levels) {
  Value v = Value::Array(ValueType::kUint8, {Value::U8(1)});
  for (int k = 1; k < levels; ++k) v = Value::Array(ValueType::kArray, {v});
  return v;
}

TEST(GgufValidation, ArrayNestingDepth) {
  Writer ok;
  ok.Set("deep", Nest(8));
  auto f = File::FromBytes(ok.Serialize());
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ((*f)->Find("deep")->ToString(), "[[[[[[[[1]]]]]]]]");

  Writer deep;
  deep.Set("deep", Nest(9));
  Error e = MustFail(deep.Serialize());
  EXPECT_EQ(e.code, ErrorCode::kResourceExhausted);
  EXPECT_NE(e.location.find("(key \"deep\")"), std::string::npos) << e.ToString();
  EXPECT_NE(e.message.find("nested more than 8 levels"), std::string::npos) << e.ToString();

  ReadLimits limits;
  limits.max_array_depth = 2;
  Writer three;
  three.Set("d", Nest(3));
  EXPECT_EQ(MustFail(three.Serialize(), limits).code, ErrorCode::kResourceExhausted);
}

TEST(GgufValidation, Alignment) {
  auto with = [](Value v) {
    Writer w;
    w.Set("general.alignment", std::move(v));
    return MustFail(w.Serialize());
  };
  ExpectError(with(Value::U32(3)), ErrorCode::kInvalidInput,
              "offset 53 (key \"general.alignment\")", "general.alignment 3 is not a power of two");
  ExpectError(with(Value::U32(0)), ErrorCode::kInvalidInput,
              "offset 53 (key \"general.alignment\")", "general.alignment 0 is not a power of two");
  ExpectError(with(Value::U64(32)), ErrorCode::kInvalidInput,
              "offset 53 (key \"general.alignment\")", "must be a uint32, found uint64");
  ExpectError(with(Value::String("32")), ErrorCode::kInvalidInput,
              "offset 53 (key \"general.alignment\")", "must be a uint32, found string");
}

// One tensor named "t": n_dims at offset 33, dims from 37, then type, offset.
std::string OneTensor(uint32_t n_dims, std::vector<uint64_t> dims, uint32_t type, uint64_t offset,
                      size_t data_bytes) {
  Image img;
  img.Header(3, 1, 0).Str("t").U32(n_dims);
  for (uint64_t d : dims) img.U64(d);
  img.U32(type).U64(offset).PadTo(32);
  img.b.append(data_bytes, '\0');
  return img.b;
}

TEST(GgufValidation, TensorInfos) {
  const std::string t = " (tensor \"t\")";
  ASSERT_TRUE(File::FromBytes(OneTensor(1, {8}, 0, 0, 32)).ok());
  ExpectError(MustFail(OneTensor(1, {8}, 16, 0, 32)), ErrorCode::kUnsupported, "offset 45" + t,
              "unknown tensor type 16");
  ExpectError(MustFail(OneTensor(0, {}, 0, 0, 32)), ErrorCode::kInvalidInput, "offset 33" + t,
              "n_dims 0 is out of range 1..4");
  ExpectError(MustFail(OneTensor(5, {1, 1, 1, 1, 1}, 0, 0, 32)), ErrorCode::kInvalidInput,
              "offset 33" + t, "n_dims 5 is out of range 1..4");
  ExpectError(MustFail(OneTensor(2, {8, 0}, 0, 0, 32)), ErrorCode::kInvalidInput, "offset 45" + t,
              "dimension 1 is 0 (must be positive)");
  ExpectError(MustFail(OneTensor(1, {~0ull}, 0, 0, 32)), ErrorCode::kInvalidInput, "offset 37" + t,
              "dimension 0 is -1 (must be positive)");
  ExpectError(MustFail(OneTensor(2, {1ull << 32, 1ull << 32}, 0, 0, 32)), ErrorCode::kInvalidInput,
              "offset 45" + t, "element count overflows");
  ExpectError(MustFail(OneTensor(2, {1ull << 31, 1ull << 31}, 0, 0, 32)), ErrorCode::kInvalidInput,
              "offset 53" + t, "byte size overflows");  // 2^62 floats = 2^64 bytes
  ExpectError(MustFail(OneTensor(1, {33}, 2, 0, 32)), ErrorCode::kInvalidInput, "offset 45" + t,
              "row length 33 is not a multiple of the Q4_0 block size 32");
  ExpectError(MustFail(OneTensor(1, {8}, 0, 8, 64)), ErrorCode::kInvalidInput, "offset 49" + t,
              "data offset 8 is not a multiple of the alignment 32");
  ExpectError(MustFail(OneTensor(1, {8}, 0, 32, 32)), ErrorCode::kInvalidInput, "offset 49" + t,
              "runs past the end of the file");
  ExpectError(MustFail(OneTensor(1, {16}, 0, 0, 32)), ErrorCode::kInvalidInput, "offset 49" + t,
              "tensor data at data offset 0 (64 bytes) runs past the end of the file: the data "
              "section at offset 64 holds 32 bytes");
  // Infos end at 57; no data section at all.
  std::string no_data = OneTensor(1, {1}, 0, 0, 0).substr(0, 57);
  ExpectError(MustFail(no_data), ErrorCode::kInvalidInput, "offset 49" + t, "holds 0 bytes");
}

TEST(GgufValidation, DuplicateTensorName) {
  Image img;
  img.Header(3, 2, 0);
  img.Str("w").U32(1).U64(8).U32(0).U64(0);
  img.Str("w").U32(1).U64(8).U32(0).U64(32);
  img.PadTo(32).b.append(64, '\0');
  ExpectError(MustFail(img.b), ErrorCode::kInvalidInput, "offset 57 (tensor \"w\")",
              "duplicate tensor name");
}

TEST(GgufValidation, LongNamesAreCutInLocations) {
  std::string name(200, 'n');
  Image img;
  img.Header(3, 0, 1).Str(name).U32(77);
  Error e = MustFail(img.b);
  EXPECT_EQ(e.location, "offset 232 (key \"" + std::string(80, 'n') + "\"...)");
}

// A valid file whose last tensor ends exactly at end of file, so every
// strict prefix is invalid.
std::string SampleFile() {
  Writer w(64);
  w.Set("general.architecture", Value::String("llama"));
  w.Set("tokenizer.ggml.tokens", Value::StringArray({"<unk>", "a", "bc"}));
  w.Set("nested", Nest(3));
  w.Set("f", Value::F32Array({1.f, 2.f}));
  w.AddTensor("x", TensorType::kQ8_0, {32, 2}, std::string(68, '\x11'));
  w.AddTensor("y", TensorType::kF32, {16}, std::string(64, '\x22'));
  return w.Serialize();
}

TEST(GgufValidation, EveryTruncationFails) {
  const std::string full = SampleFile();
  ASSERT_TRUE(File::FromBytes(full).ok());
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = File::FromBytes(std::string_view(full).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput) << n << ": " << r.error().ToString();
    EXPECT_EQ(r.error().location.rfind("offset ", 0), 0u) << r.error().ToString();
  }
}

TEST(GgufValidation, RandomMutationsNeverCrash) {
  const std::string full = SampleFile();
  std::mt19937_64 rng(20261129);
  ReadLimits limits;
  limits.max_string_bytes = 1 << 16;
  limits.max_array_elements = 1 << 16;
  int failures = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = full;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    auto r = File::FromBytes(s, limits);
    if (!r.ok()) {
      ++failures;
      EXPECT_FALSE(r.error().message.empty());
      continue;
    }
    // Whatever parses must be internally consistent.
    for (const TensorInfo& t : (*r)->tensors()) {
      int64_t rows = t.num_elements() / t.dims[0];
      EXPECT_EQ(t.num_bytes, RowBytes(t.type, t.dims[0]) * rows);
      volatile uint8_t last = (*r)->TensorData(t)[t.num_bytes - 1];  // in bounds under ASan
      (void)last;
    }
  }
  EXPECT_GT(failures, 0);
}

}  // namespace
}  // namespace steer::gguf
