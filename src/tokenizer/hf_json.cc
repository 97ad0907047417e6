// Loading an HF tokenizer.json (BPE model, byte-level pre-tokenizers).
#include <nlohmann/json.hpp>

#include <filesystem>

#include "steer/tokenizer/tokenizer.h"
#include "steer/util/file.h"

namespace steer::tokenizer {
namespace {

using nlohmann::json;

constexpr std::string_view kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

Error Bad(std::string message, std::string pointer, const std::string& location) {
  return MakeError(ErrorCode::kInvalidInput, std::move(message), location + ": " + pointer);
}
Error Unsupported(std::string message, std::string pointer, const std::string& location) {
  return MakeError(ErrorCode::kUnsupported, std::move(message), location + ": " + pointer);
}

std::string TypeOf(const json& j) {
  if (j.is_object() && j.contains("type") && j["type"].is_string()) return j["type"].get<std::string>();
  return j.is_null() ? "null" : "?";
}

bool IsByteLevel(const json& j, bool use_regex) {
  return TypeOf(j) == "ByteLevel" && j.value("add_prefix_space", false) == false &&
         j.value("use_regex", true) == use_regex;
}

// A short description of a pre-tokenizer for error messages.
std::string Describe(const json& j) {
  std::string type = TypeOf(j);
  if (type == "Sequence" && j.contains("pretokenizers") && j["pretokenizers"].is_array()) {
    std::string s = "Sequence[";
    for (size_t i = 0; i < j["pretokenizers"].size(); ++i) {
      if (i) s += ", ";
      s += Describe(j["pretokenizers"][i]);
    }
    return s + "]";
  }
  if (type == "Split" && j.contains("pattern") && j["pattern"].is_object()) {
    const json& p = j["pattern"];
    if (p.contains("Regex") && p["Regex"].is_string()) {
      return "Split(regex " + p["Regex"].get<std::string>() + ")";
    }
    if (p.contains("String") && p["String"].is_string()) {
      return "Split(string " + p["String"].get<std::string>() + ")";
    }
  }
  if (type == "ByteLevel") {
    return std::string("ByteLevel(add_prefix_space=") +
           (j.value("add_prefix_space", false) ? "true" : "false") +
           ", use_regex=" + (j.value("use_regex", true) ? "true" : "false") + ")";
  }
  return type;
}

// Maps the pre_tokenizer object to a family, or fails naming it.
Result<PreTokenizer> RecognizePreTokenizer(const json& pre, const std::string& location) {
  if (IsByteLevel(pre, true)) return PreTokenizer::kGpt2;
  if (TypeOf(pre) == "Sequence" && pre.contains("pretokenizers") && pre["pretokenizers"].is_array()) {
    const json& seq = pre["pretokenizers"];
    if (seq.size() == 2 && TypeOf(seq[0]) == "Split" && IsByteLevel(seq[1], false)) {
      const json& split = seq[0];
      bool isolated = split.value("behavior", "") == "Isolated" && !split.value("invert", false);
      const json* regex = nullptr;
      if (split.contains("pattern") && split["pattern"].is_object() &&
          split["pattern"].contains("Regex") && split["pattern"]["Regex"].is_string()) {
        regex = &split["pattern"]["Regex"];
      }
      if (isolated && regex) {
        std::string r = regex->get<std::string>();
        if (r == kLlama3Regex) return PreTokenizer::kLlama3;
        if (r == kQwen2Regex) return PreTokenizer::kQwen2;
      }
    }
    if (seq.size() == 2 && TypeOf(seq[0]) == "Digits" && seq[0].value("individual_digits", false) &&
        IsByteLevel(seq[1], true)) {
      return PreTokenizer::kStarcoder;
    }
  }
  return Unsupported("unknown pre-tokenizer " + Describe(pre), "/pre_tokenizer", location);
}

// "<s>" or {"content": "<s>", ...} -> the string; "" when absent or null.
std::string TokenName(const json& config, const char* key) {
  if (!config.contains(key)) return "";
  const json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  return "";
}

Result<json> Parse(std::string_view text, const std::string& location) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return MakeError(ErrorCode::kInvalidInput, std::string("invalid JSON: ") + e.what(),
                     location + ": byte offset " + std::to_string(e.byte));
  }
}

Result<std::unique_ptr<Tokenizer>> Convert(const json& j, const json& config,
                                           const std::string& loc) {
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) {
    return Bad("no \"model\" object", "/model", loc);
  }
  const json& model = j["model"];
  if (TypeOf(model) != "BPE") {
    return Unsupported("model type '" + TypeOf(model) + "' is not supported (only BPE)",
                       "/model/type", loc);
  }
  if (model.value("byte_fallback", false)) {
    return Unsupported("BPE with byte_fallback is not supported", "/model/byte_fallback", loc);
  }
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    return Bad("no vocab object", "/model/vocab", loc);
  }
  const json& normalizer = j.contains("normalizer") ? j["normalizer"] : json();
  // NFC is accepted but not applied: the text is assumed to be in NFC already
  // (see the module notes); any other normalizer is refused.
  if (!normalizer.is_null() && TypeOf(normalizer) != "NFC") {
    return Unsupported("normalizer '" + TypeOf(normalizer) + "' is not supported", "/normalizer",
                       loc);
  }

  VocabSpec spec;
  spec.kind = VocabKind::kBpe;
  spec.location = loc;
  spec.ignore_merges = model.value("ignore_merges", false);
  const json& pre = j.contains("pre_tokenizer") ? j["pre_tokenizer"] : json();
  STEER_ASSIGN_OR_RETURN(spec.pre, RecognizePreTokenizer(pre, loc));

  // Ids: the model vocab plus the added tokens; every id below the largest
  // must be defined.
  int64_t max_id = -1;
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0) {
      return Bad("token id is not a non-negative integer", "/model/vocab/" + it.key(), loc);
    }
    max_id = std::max(max_id, it.value().get<int64_t>());
  }
  const json empty_array = json::array();
  const json& added = j.contains("added_tokens") && j["added_tokens"].is_array() ? j["added_tokens"]
                                                                                  : empty_array;
  for (size_t i = 0; i < added.size(); ++i) {
    const json& a = added[i];
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() ||
        a["id"].get<int64_t>() < 0 || !a.contains("content") || !a["content"].is_string()) {
      return Bad("added token needs an integer id and a string content",
                 "/added_tokens/" + std::to_string(i), loc);
    }
    max_id = std::max(max_id, a["id"].get<int64_t>());
  }
  if (max_id >= (int64_t{1} << 24)) {
    return Bad("token id " + std::to_string(max_id) + " is absurdly large", "/model/vocab", loc);
  }
  const size_t n = static_cast<size_t>(max_id + 1);
  spec.texts.assign(n, std::string());
  spec.types.assign(n, TokenType::kUndefined);
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    size_t id = it.value().get<size_t>();
    spec.texts[id] = it.key();
    spec.types[id] = TokenType::kNormal;
  }
  for (const json& a : added) {
    size_t id = a["id"].get<size_t>();
    spec.texts[id] = a["content"].get<std::string>();
    spec.types[id] = a.value("special", false) ? TokenType::kControl : TokenType::kUserDefined;
  }
  for (size_t id = 0; id < n; ++id) {
    if (spec.types[id] == TokenType::kUndefined) {
      return Bad("token id " + std::to_string(id) + " is not defined (ids must be contiguous)",
                 "/model/vocab", loc);
    }
  }

  if (model.contains("merges")) {
    const json& merges = model["merges"];
    if (!merges.is_array()) return Bad("merges is not an array", "/model/merges", loc);
    spec.merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      const json& m = merges[i];
      if (m.is_string()) {
        const std::string& s = m.get_ref<const std::string&>();
        size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
          return Bad("merge is not two space-separated parts", "/model/merges/" + std::to_string(i),
                     loc);
        }
        spec.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        spec.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      } else {
        return Bad("merge is neither \"a b\" nor [\"a\", \"b\"]",
                   "/model/merges/" + std::to_string(i), loc);
      }
    }
  }

  // BOS/EOS: tokenizer_config.json names them; add_bos_token/add_eos_token
  // there decide. Without a config, a TemplateProcessing post-processor that
  // starts (ends) with a special token adds it.
  auto find = [&](const std::string& text) -> TokenId {
    for (size_t id = n; id-- > 0;) {
      if (spec.texts[id] == text) return static_cast<TokenId>(id);
    }
    return kNoToken;
  };
  std::string bos_name = TokenName(config, "bos_token");
  std::string eos_name = TokenName(config, "eos_token");
  if (!bos_name.empty()) spec.bos = find(bos_name);
  if (!eos_name.empty()) spec.eos = find(eos_name);
  const json& post = j.contains("post_processor") ? j["post_processor"] : json();
  if (TypeOf(post) == "TemplateProcessing" && post.contains("single") && post["single"].is_array() &&
      !post["single"].empty()) {
    auto special_of = [&](const json& item) -> TokenId {
      if (item.is_object() && item.contains("SpecialToken") && item["SpecialToken"].is_object()) {
        return find(item["SpecialToken"].value("id", ""));
      }
      return kNoToken;
    };
    TokenId first = special_of(post["single"].front());
    TokenId last = special_of(post["single"].back());
    if (first != kNoToken) {
      spec.bos = first;
      spec.add_bos = true;
    }
    if (last != kNoToken && post["single"].size() > 1) {
      spec.eos = last;
      spec.add_eos = true;
    }
  }
  if (config.contains("add_bos_token") && config["add_bos_token"].is_boolean()) {
    spec.add_bos = config["add_bos_token"].get<bool>() && spec.bos != kNoToken;
  }
  if (config.contains("add_eos_token") && config["add_eos_token"].is_boolean()) {
    spec.add_eos = config["add_eos_token"].get<bool>() && spec.eos != kNoToken;
  }
  return Tokenizer::FromSpec(std::move(spec));
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromHfJsonText(std::string_view text,
                                                             std::string_view config_text,
                                                             const std::string& location) {
  STEER_ASSIGN_OR_RETURN(json j, Parse(text, location));
  json config = json::object();
  if (!config_text.empty()) {
    STEER_ASSIGN_OR_RETURN(config, Parse(config_text, location + " (tokenizer_config.json)"));
    if (!config.is_object()) config = json::object();
  }
  return Convert(j, config, location);
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromHfJson(const std::string& path) {
  STEER_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::string config;
  std::error_code ec;
  std::filesystem::path cfg = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  if (std::filesystem::is_regular_file(cfg, ec)) {
    STEER_ASSIGN_OR_RETURN(config, ReadFile(cfg.string()));
  }
  return FromHfJsonText(text, config, path);
}

}  // namespace steer::tokenizer
