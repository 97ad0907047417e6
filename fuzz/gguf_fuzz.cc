// libFuzzer target for the GGUF reader. Besides "no crash, no sanitizer
// report", it checks two properties of every file the reader accepts:
// tensor sizes match their shapes, and writing the parsed file back out and
// reading it again gives the same metadata, tensor table and tensor bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "steer/gguf/gguf.h"

namespace {

using steer::gguf::File;
using steer::gguf::TensorInfo;

void Require(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "gguf_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

steer::gguf::ReadLimits SmallLimits() {
  steer::gguf::ReadLimits l;
  l.max_tensors = 64;
  l.max_metadata = 64;
  l.max_array_elements = 1024;
  l.max_total_elements = 4096;
  l.max_string_bytes = 4096;
  return l;
}

std::string_view Bytes(const File& f, const TensorInfo& t) {
  return {reinterpret_cast<const char*>(f.TensorData(t)), t.num_bytes};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const steer::gguf::ReadLimits limits = SmallLimits();
  auto r = File::FromBytes(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!r.ok()) {
    Require(!r.error().message.empty() && !r.error().location.empty(), "error names a location");
    return 0;
  }
  const File& f = **r;
  for (const auto& [key, value] : f.metadata()) (void)value.ToString();
  for (const TensorInfo& t : f.tensors()) {
    Require(t.num_bytes == steer::gguf::RowBytes(t.type, t.dims[0]) *
                               static_cast<uint64_t>(t.num_elements() / t.dims[0]),
            "tensor bytes match shape");
  }
  if (f.alignment() > 4096) return 0;  // the writer would pad to it

  steer::gguf::Writer w(f.alignment());
  for (const auto& [key, value] : f.metadata()) w.Set(key, value);
  for (const TensorInfo& t : f.tensors()) w.AddTensor(t.name, t.type, t.dims, std::string(Bytes(f, t)));
  auto again = File::FromBytes(w.Serialize(), limits);
  Require(again.ok(), "rewritten file parses");
  const File& g = **again;
  Require(g.metadata().size() == f.metadata().size(), "same metadata count");
  for (size_t k = 0; k < f.metadata().size(); ++k) {
    Require(g.metadata()[k].first == f.metadata()[k].first, "same key");
    Require(g.metadata()[k].second.ToString(SIZE_MAX) == f.metadata()[k].second.ToString(SIZE_MAX),
            "same value");
  }
  Require(g.tensors().size() == f.tensors().size(), "same tensor count");
  for (size_t k = 0; k < f.tensors().size(); ++k) {
    const TensorInfo& a = f.tensors()[k];
    const TensorInfo& b = g.tensors()[k];
    Require(a.name == b.name && a.type == b.type && a.dims == b.dims, "same tensor info");
    Require(Bytes(f, a) == Bytes(g, b), "same tensor bytes");
  }
  return 0;
}
