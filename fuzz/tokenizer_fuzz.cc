// libFuzzer target for the tokenizer: the tokenizer.json loader, the
// pre-tokenizers and Encode/Decode on a small byte-level BPE vocabulary.
// Checks: no crash; pieces cover valid text exactly; Decode(Encode(text)) ==
// text for valid UTF-8; invalid UTF-8 is an error, never a crash.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "steer/tokenizer/pre_tokenizer.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/utf8.h"

namespace {

using steer::tokenizer::Tokenizer;

// Every byte-level character, a few merges, one control and one
// user-defined token.
const Tokenizer& Vocab() {
  static std::unique_ptr<Tokenizer> t = [] {
    std::vector<std::string> chars;
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      uint32_t cp = printable ? static_cast<uint32_t>(b) : next++;
      std::string c;
      steer::utf8::Append(cp, &c);
      chars.push_back(c);
    }
    std::string json = R"({"model": {"type": "BPE", "vocab": {)";
    int id = 0;
    auto esc = [](const std::string& s) {
      std::string o;
      for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
      }
      return o;
    };
    for (const auto& c : chars) json += "\"" + esc(c) + "\": " + std::to_string(id++) + ", ";
    json += "\"he\": 256, \"ll\": 257, \"hell\": 258, \"\xC4\xA0h\": 259, \"\xC4\xA0hell\": 260";
    json += R"(}, "merges": ["h e", "l l", "he ll", "Ġ h", "Ġ hell"]},)";
    json += R"("pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
      "added_tokens": [{"id": 261, "content": "<|end|>", "special": true},
                       {"id": 262, "content": "<u>", "special": false}]})";
    auto r = Tokenizer::FromHfJsonText(json, "", "fuzz");
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  return *t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode == 0) {
    auto r = Tokenizer::FromHfJsonText(input, "", "fuzz");
    if (r.ok()) (void)(*r)->Encode("Hello, world 123", {});
    return 0;
  }
  if (mode == 1) {
    if (!steer::utf8::IsValid(input)) return 0;
    for (int k = 0; k <= static_cast<int>(steer::tokenizer::PreTokenizer::kDeepseekLlm); ++k) {
      std::vector<steer::tokenizer::Piece> pieces;
      steer::tokenizer::PreTokenize(static_cast<steer::tokenizer::PreTokenizer>(k), input, &pieces);
      uint32_t at = 0;
      for (const auto& p : pieces) {
        if (p.begin != at || p.end <= p.begin) std::abort();
        at = p.end;
      }
      if (at != input.size()) std::abort();
    }
    return 0;
  }
  const Tokenizer& t = Vocab();
  auto ids = t.Encode(input, {.add_special = true, .parse_special = (size & 1) != 0});
  if (ids.ok() != steer::utf8::IsValid(input)) std::abort();
  if (ids.ok() && (size & 1) == 0 && t.Decode(*ids) != input) std::abort();
  return 0;
}
