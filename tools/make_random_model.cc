// make_random_model: writes a llama-architecture GGUF with random weights, for
// benchmarks. The default shape is the "58M" model: n_embd 512,
// 8 layers, 8 heads (head_dim 64), n_ff 1376, 32000-token vocabulary, untied
// output: 58.1M parameters.
//
//   make_random_model OUT.gguf [--type F32|F16|Q8_0] [--seed S]
//       [--embd N] [--layers N] [--heads N] [--kv-heads N] [--ff N] [--vocab N]
//
// Weights are N(0, 0.02) (norm weights 1 + N(0, 0.1)), drawn from steer's Rng
// in a fixed order, so a seed gives the same F32 master for every --type.
// 2-D tensors are stored in --type (Q8_0 with the quantizer below); 1-D norm
// tensors are always F32. The file has no tokenizer metadata: give prompts to
// steer as --tokens.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "steer/gguf/gguf.h"
#include "steer/util/rng.h"

namespace {

using steer::gguf::TensorType;
using steer::gguf::Value;

// IEEE binary16 from float, round to nearest even (overflow -> inf).
uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    const int shift = 14 - exp;
    uint32_t half = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;  // may carry into the exponent: still correct
  return static_cast<uint16_t>(sign | half);
}

// ggml's Q8_0: blocks of 32 values as {f16 d; int8 q[32]}, d = max|x| / 127,
// q = round(x / d).
std::string QuantizeQ8_0(const std::vector<float>& v) {
  std::string out;
  out.reserve(v.size() / 32 * 34);
  for (size_t b = 0; b < v.size(); b += 32) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[b + i]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    const uint16_t dh = FloatToHalf(d);
    out.append(reinterpret_cast<const char*>(&dh), 2);
    for (int i = 0; i < 32; ++i) out.push_back(static_cast<char>(static_cast<int8_t>(std::lround(v[b + i] * id))));
  }
  return out;
}

std::string Encode(const std::vector<float>& v, TensorType type) {
  if (type == TensorType::kF32) return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  if (type == TensorType::kF16) {
    std::string out(v.size() * 2, '\0');
    for (size_t i = 0; i < v.size(); ++i) {
      const uint16_t h = FloatToHalf(v[i]);
      std::memcpy(&out[i * 2], &h, 2);
    }
    return out;
  }
  return QuantizeQ8_0(v);
}

int Usage() {
  std::fprintf(stderr,
               "usage: make_random_model OUT.gguf [--type F32|F16|Q8_0] [--seed S] [--embd N] [--layers N]\n"
               "                         [--heads N] [--kv-heads N] [--ff N] [--vocab N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return Usage();  // also --help, instead of a file named so
  std::string out = argv[1], type_name = "F32";
  int64_t embd = 512, layers = 8, heads = 8, kv_heads = 8, ff = 1376, vocab = 32000;
  uint64_t seed = 58;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    const char* v = argv[++i];
    if (a == "--type") type_name = v;
    else if (a == "--seed") seed = std::strtoull(v, nullptr, 10);
    else if (a == "--embd") embd = std::atoll(v);
    else if (a == "--layers") layers = std::atoll(v);
    else if (a == "--heads") heads = std::atoll(v);
    else if (a == "--kv-heads") kv_heads = std::atoll(v);
    else if (a == "--ff") ff = std::atoll(v);
    else if (a == "--vocab") vocab = std::atoll(v);
    else return Usage();
  }
  TensorType type;
  uint32_t file_type;
  if (type_name == "F32") type = TensorType::kF32, file_type = 0;
  else if (type_name == "F16") type = TensorType::kF16, file_type = 1;
  else if (type_name == "Q8_0") type = TensorType::kQ8_0, file_type = 7;
  else return Usage();
  if (embd <= 0 || layers <= 0 || heads <= 0 || kv_heads <= 0 || ff <= 0 || vocab <= 0 || embd % heads ||
      heads % kv_heads || (type == TensorType::kQ8_0 && (embd % 32 || ff % 32))) {
    std::fprintf(stderr, "make_random_model: inconsistent dimensions\n");
    return 2;
  }
  const int64_t head_dim = embd / heads, kv = kv_heads * head_dim;

  steer::gguf::Writer w;
  w.Set("general.architecture", Value::String("llama"));
  w.Set("general.name", Value::String("random-llama"));
  w.Set("general.file_type", Value::U32(file_type));
  w.Set("llama.context_length", Value::U32(4096));
  w.Set("llama.embedding_length", Value::U32(static_cast<uint32_t>(embd)));
  w.Set("llama.block_count", Value::U32(static_cast<uint32_t>(layers)));
  w.Set("llama.feed_forward_length", Value::U32(static_cast<uint32_t>(ff)));
  w.Set("llama.attention.head_count", Value::U32(static_cast<uint32_t>(heads)));
  w.Set("llama.attention.head_count_kv", Value::U32(static_cast<uint32_t>(kv_heads)));
  w.Set("llama.rope.dimension_count", Value::U32(static_cast<uint32_t>(head_dim)));
  w.Set("llama.rope.freq_base", Value::F32(10000.0f));
  w.Set("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5f));

  steer::Rng rng(seed);
  int64_t params = 0;
  auto matrix = [&](const std::string& name, int64_t rows, int64_t cols) {
    std::vector<float> v(rows * cols);
    for (float& x : v) x = static_cast<float>(0.02 * rng.Normal());
    params += rows * cols;
    w.AddTensor(name, type, {cols, rows}, Encode(v, type));
  };
  auto norm = [&](const std::string& name, int64_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(1.0 + 0.1 * rng.Normal());
    params += n;
    w.AddTensor(name, TensorType::kF32, {n}, Encode(v, TensorType::kF32));
  };
  matrix("token_embd.weight", vocab, embd);
  norm("output_norm.weight", embd);
  matrix("output.weight", vocab, embd);
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    norm(p + "attn_norm.weight", embd);
    matrix(p + "attn_q.weight", embd, embd);
    matrix(p + "attn_k.weight", kv, embd);
    matrix(p + "attn_v.weight", kv, embd);
    matrix(p + "attn_output.weight", embd, embd);
    norm(p + "ffn_norm.weight", embd);
    matrix(p + "ffn_gate.weight", ff, embd);
    matrix(p + "ffn_up.weight", ff, embd);
    matrix(p + "ffn_down.weight", embd, ff);
  }
  steer::Status st = w.WriteTo(out);
  if (!st.ok()) {
    std::fprintf(stderr, "make_random_model: %s\n", st.error().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "wrote %s: %s, %lld parameters\n", out.c_str(), type_name.c_str(),
               static_cast<long long>(params));
  return 0;
}
