// Loading a tokenizer from GGUF metadata (tokenizer.ggml.*), and Load().
#include <cstring>

#include "steer/gguf/gguf.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/file.h"

namespace steer::tokenizer {
namespace {

Error KeyError(ErrorCode code, std::string message, const std::string& path, const char* key) {
  return MakeError(code, std::move(message), path + ": key " + key);
}

// An array of the given element type, or an error naming the key.
Result<const std::vector<gguf::Value>*> GetArray(const gguf::File& f, const char* key,
                                                 bool required) {
  const gguf::Value* v = f.Find(key);
  if (v == nullptr) {
    if (!required) return static_cast<const std::vector<gguf::Value>*>(nullptr);
    return KeyError(ErrorCode::kNotFound, "missing", f.path(), key);
  }
  if (v->type() != gguf::ValueType::kArray) {
    return KeyError(ErrorCode::kInvalidInput, "is not an array", f.path(), key);
  }
  return &v->elements();
}

// An optional token id: absent, or a negative / 0xFFFFFFFF value, means none.
Result<TokenId> GetTokenId(const gguf::File& f, const char* key, TokenId fallback) {
  const gguf::Value* v = f.Find(key);
  if (v == nullptr) return fallback;
  int64_t id;
  if (!v->GetInt(&id)) return KeyError(ErrorCode::kInvalidInput, "is not an integer", f.path(), key);
  if (id < 0 || id == 0xFFFFFFFFll) return kNoToken;
  if (id > INT32_MAX) return KeyError(ErrorCode::kInvalidInput, "is out of range", f.path(), key);
  return static_cast<TokenId>(id);
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const gguf::File& f) {
  VocabSpec spec;
  spec.location = f.path();
  const std::string& path = f.path();
  STEER_ASSIGN_OR_RETURN(std::string model, f.GetString("tokenizer.ggml.model"));
  if (model == "llama") {
    spec.kind = VocabKind::kSpm;
  } else if (model == "gpt2") {
    spec.kind = VocabKind::kBpe;
  } else {
    return KeyError(ErrorCode::kUnsupported, "tokenizer model '" + model + "' is not supported",
                    path, "tokenizer.ggml.model");
  }

  STEER_ASSIGN_OR_RETURN(auto tokens, GetArray(f, "tokenizer.ggml.tokens", true));
  spec.texts.reserve(tokens->size());
  for (size_t i = 0; i < tokens->size(); ++i) {
    const std::string* s = (*tokens)[i].GetString();
    if (s == nullptr) {
      return KeyError(ErrorCode::kInvalidInput, "element " + std::to_string(i) + " is not a string",
                      path, "tokenizer.ggml.tokens");
    }
    spec.texts.push_back(*s);
  }
  const size_t n = spec.texts.size();

  STEER_ASSIGN_OR_RETURN(auto scores, GetArray(f, "tokenizer.ggml.scores", false));
  if (scores != nullptr) {
    if (scores->size() != n) {
      return KeyError(ErrorCode::kInvalidInput,
                      "has " + std::to_string(scores->size()) + " entries for " +
                          std::to_string(n) + " tokens",
                      path, "tokenizer.ggml.scores");
    }
    spec.scores.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      double d;
      if (!(*scores)[i].GetFloat(&d)) {
        return KeyError(ErrorCode::kInvalidInput,
                        "element " + std::to_string(i) + " is not a number", path,
                        "tokenizer.ggml.scores");
      }
      spec.scores.push_back(static_cast<float>(d));
    }
  } else if (spec.kind == VocabKind::kSpm) {
    spec.scores.assign(n, 0.0f);
  }

  STEER_ASSIGN_OR_RETURN(auto types, GetArray(f, "tokenizer.ggml.token_type", false));
  if (types != nullptr) {
    if (types->size() != n) {
      return KeyError(ErrorCode::kInvalidInput,
                      "has " + std::to_string(types->size()) + " entries for " +
                          std::to_string(n) + " tokens",
                      path, "tokenizer.ggml.token_type");
    }
    spec.types.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      int64_t t;
      if (!(*types)[i].GetInt(&t) || t < 0 || t > 6) {
        return KeyError(ErrorCode::kInvalidInput,
                        "element " + std::to_string(i) + " is not a token type 0..6", path,
                        "tokenizer.ggml.token_type");
      }
      spec.types.push_back(static_cast<TokenType>(t));
    }
  }

  if (spec.kind == VocabKind::kBpe) {
    STEER_ASSIGN_OR_RETURN(auto merges, GetArray(f, "tokenizer.ggml.merges", true));
    spec.merges.reserve(merges->size());
    for (size_t i = 0; i < merges->size(); ++i) {
      const std::string* s = (*merges)[i].GetString();
      size_t sp = s ? s->find(' ', 1) : std::string::npos;
      if (sp == std::string::npos) {
        return KeyError(ErrorCode::kInvalidInput,
                        "element " + std::to_string(i) + " is not \"left right\"", path,
                        "tokenizer.ggml.merges");
      }
      spec.merges.emplace_back(s->substr(0, sp), s->substr(sp + 1));
    }
    STEER_ASSIGN_OR_RETURN(std::string pre, f.GetStringOr("tokenizer.ggml.pre", ""));
    auto kind = PreTokenizerFromName(pre);
    if (!kind.ok()) return kind.error().Within(path);
    spec.pre = *kind;
  }

  // Defaults as llama.cpp: SPM has BOS 1 / EOS 2 / UNK 0 and adds BOS with a
  // space prefix; BPE adds BOS only for the llama3 family.
  bool spm = spec.kind == VocabKind::kSpm;
  auto in_vocab = [&](TokenId id) { return static_cast<size_t>(id) < n ? id : kNoToken; };
  STEER_ASSIGN_OR_RETURN(spec.bos, GetTokenId(f, "tokenizer.ggml.bos_token_id",
                                              spm ? in_vocab(1) : kNoToken));
  STEER_ASSIGN_OR_RETURN(spec.eos, GetTokenId(f, "tokenizer.ggml.eos_token_id",
                                              spm ? in_vocab(2) : kNoToken));
  STEER_ASSIGN_OR_RETURN(spec.unk, GetTokenId(f, "tokenizer.ggml.unknown_token_id",
                                              spm ? in_vocab(0) : kNoToken));
  bool default_bos = spm || spec.pre == PreTokenizer::kLlama3;
  STEER_ASSIGN_OR_RETURN(spec.add_bos, f.GetBoolOr("tokenizer.ggml.add_bos_token", default_bos));
  STEER_ASSIGN_OR_RETURN(spec.add_eos, f.GetBoolOr("tokenizer.ggml.add_eos_token", false));
  STEER_ASSIGN_OR_RETURN(spec.add_space_prefix, f.GetBoolOr("tokenizer.ggml.add_space_prefix", spm));
  spec.ignore_merges = spec.pre == PreTokenizer::kLlama3;
  if (spec.add_bos && spec.bos == kNoToken) spec.add_bos = false;
  if (spec.add_eos && spec.eos == kNoToken) spec.add_eos = false;
  return FromSpec(std::move(spec));
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::Load(const std::string& path) {
  STEER_ASSIGN_OR_RETURN(MappedFile map, MappedFile::Open(path));
  std::string_view head = map.view().substr(0, 4);
  if (head == "GGUF") {
    STEER_ASSIGN_OR_RETURN(auto file, gguf::File::Open(path));
    return FromGguf(*file);
  }
  size_t i = 0;
  std::string_view all = map.view();
  while (i < all.size() && (all[i] == ' ' || all[i] == '\n' || all[i] == '\r' || all[i] == '\t')) ++i;
  if (i < all.size() && all[i] == '{') return FromHfJson(path);
  return MakeError(ErrorCode::kInvalidInput,
                   "neither a GGUF file (magic \"GGUF\") nor a tokenizer.json (a JSON object)",
                   path + ": byte offset 0");
}

}  // namespace steer::tokenizer
