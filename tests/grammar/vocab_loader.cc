#include "vocab_loader.h"

#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "steer/util/utf8.h"

namespace steer::grammar::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// GPT-2's table: printable bytes map to themselves as code points; the other
// 68 bytes map to U+0100 + k in byte order.
std::map<uint32_t, uint8_t> UnicodeToByte() {
  std::map<uint32_t, uint8_t> m;
  uint32_t k = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    m[printable ? static_cast<uint32_t>(b) : 0x100 + k++] = static_cast<uint8_t>(b);
  }
  return m;
}

Result<std::string> ByteLevelDecode(const std::string& text, const std::map<uint32_t, uint8_t>& table) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t len = 0;
    uint32_t cp = utf8::Decode(text, i, &len);
    auto it = table.find(cp);
    if (it == table.end()) return MakeError(ErrorCode::kInvalidInput, "token text outside the byte table: " + text);
    out.push_back(static_cast<char>(it->second));
    i += len;
  }
  return out;
}

class GgufReader {
 public:
  explicit GgufReader(std::string data) : d_(std::move(data)) {}
  bool ok() const { return ok_; }
  template <typename T>
  T Get() {
    T v{};
    if (p_ + sizeof(T) > d_.size()) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, d_.data() + p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  std::string Str() {
    uint64_t n = Get<uint64_t>();
    if (!ok_ || n > d_.size() - p_) {
      ok_ = false;
      return {};
    }
    std::string s = d_.substr(p_, n);
    p_ += n;
    return s;
  }
  // Reads a scalar of GGUF type t as int64 (strings and arrays handled by callers).
  int64_t Scalar(uint32_t t) {
    switch (t) {
      case 0: return Get<uint8_t>();
      case 1: return Get<int8_t>();
      case 2: return Get<uint16_t>();
      case 3: return Get<int16_t>();
      case 4: return Get<uint32_t>();
      case 5: return Get<int32_t>();
      case 6: Get<float>(); return 0;
      case 7: return Get<uint8_t>();
      case 10: return static_cast<int64_t>(Get<uint64_t>());
      case 11: return Get<int64_t>();
      case 12: Get<double>(); return 0;
      default: ok_ = false; return 0;
    }
  }

 private:
  std::string d_;
  size_t p_ = 0;
  bool ok_ = true;
};

}  // namespace

Result<Vocabulary> LoadHfByteLevelVocab(const std::string& path) {
  auto j = nlohmann::json::parse(ReadAll(path), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(ErrorCode::kInvalidInput, "not JSON", path);
  auto table = UnicodeToByte();
  Vocabulary v;
  size_t n = j["model"]["vocab"].size() + j["added_tokens"].size();
  for (const auto& a : j["added_tokens"]) n = std::max(n, a["id"].get<size_t>() + 1);
  v.token_bytes.resize(n);
  for (const auto& [text, id] : j["model"]["vocab"].items()) {
    STEER_ASSIGN_OR_RETURN(v.token_bytes[id.get<size_t>()], ByteLevelDecode(text, table));
  }
  for (const auto& a : j["added_tokens"]) {
    int32_t id = a["id"].get<int32_t>();
    v.token_bytes[static_cast<size_t>(id)] = a["content"].get<std::string>();
    if (a.value("special", false)) v.special_ids.push_back(id);
    if (a["content"] == "<|end_of_text|>" || a["content"] == "<|endoftext|>") v.eos = id;
  }
  return v;
}

Result<Vocabulary> LoadGgufVocab(const std::string& path) {
  GgufReader r(ReadAll(path));
  if (r.Get<uint32_t>() != 0x46554747u) return MakeError(ErrorCode::kInvalidInput, "not GGUF", path);
  uint32_t version = r.Get<uint32_t>();
  if (version < 2) return MakeError(ErrorCode::kUnsupported, "GGUF v1", path);
  r.Get<uint64_t>();  // tensor count
  uint64_t kv = r.Get<uint64_t>();
  std::string model;
  std::vector<std::string> tokens;
  std::vector<int64_t> types;
  int64_t eos = -1;
  for (uint64_t k = 0; k < kv && r.ok(); ++k) {
    std::string key = r.Str();
    uint32_t t = r.Get<uint32_t>();
    if (t == 8) {
      std::string s = r.Str();
      if (key == "tokenizer.ggml.model") model = s;
    } else if (t == 9) {
      uint32_t et = r.Get<uint32_t>();
      uint64_t count = r.Get<uint64_t>();
      for (uint64_t i = 0; i < count && r.ok(); ++i) {
        if (et == 8) {
          std::string s = r.Str();
          if (key == "tokenizer.ggml.tokens") tokens.push_back(std::move(s));
        } else {
          int64_t x = r.Scalar(et);
          if (key == "tokenizer.ggml.token_type") types.push_back(x);
        }
      }
    } else {
      int64_t x = r.Scalar(t);
      if (key == "tokenizer.ggml.eos_token_id") eos = x;
    }
  }
  if (!r.ok() || tokens.empty()) return MakeError(ErrorCode::kInvalidInput, "truncated GGUF metadata", path);
  Vocabulary v;
  v.eos = static_cast<int32_t>(eos);
  auto table = UnicodeToByte();
  v.token_bytes.resize(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    int64_t type = i < types.size() ? types[i] : 1;
    const std::string& s = tokens[i];
    if (type == 2 || type == 3) {  // unknown, control
      v.special_ids.push_back(static_cast<int32_t>(i));
      v.token_bytes[i] = s;
    } else if (model == "gpt2") {
      auto b = ByteLevelDecode(s, table);
      if (!b.ok()) {  // e.g. user-defined tokens kept as text
        v.token_bytes[i] = s;
      } else {
        v.token_bytes[i] = *b;
      }
    } else if (type == 6 && s.size() == 6 && s.rfind("<0x", 0) == 0) {  // SPM byte token
      v.token_bytes[i] = std::string(1, static_cast<char>(std::stoi(s.substr(3, 2), nullptr, 16)));
    } else {
      std::string out;
      for (size_t p = 0; p < s.size();) {
        if (s.compare(p, 3, "\xE2\x96\x81") == 0) {
          out.push_back(' ');
          p += 3;
        } else {
          out.push_back(s[p++]);
        }
      }
      v.token_bytes[i] = out;
    }
  }
  return v;
}

}  // namespace steer::grammar::testing
