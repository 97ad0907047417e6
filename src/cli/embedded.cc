#include "embedded.h"

// The data is pulled in with the assembler's .incbin (paths come from CMake
// as string literals); each blob is followed by a NUL so text can be viewed
// as a C string, which the *_end symbols exclude.
#define STEER_EMBED(sym, path)                                       \
  __asm__(".pushsection .rodata." #sym ",\"a\",@progbits\n"          \
          ".balign 64\n"                                             \
          ".global " #sym "_begin\n"                                 \
          ".hidden " #sym "_begin\n"                                 \
          ".type " #sym "_begin, @object\n" #sym "_begin:\n"         \
          ".incbin \"" path "\"\n"                                   \
          ".global " #sym "_end\n"                                   \
          ".hidden " #sym "_end\n" #sym "_end:\n"                    \
          ".byte 0\n"                                                \
          ".popsection\n")

STEER_EMBED(steer_python_grammar, STEER_PYTHON_GRAMMAR_PATH);
extern "C" const uint8_t steer_python_grammar_begin[];
extern "C" const uint8_t steer_python_grammar_end[];

#ifdef STEER_EMBED_MODEL_PATH
STEER_EMBED(steer_model, STEER_EMBED_MODEL_PATH);
extern "C" const uint8_t steer_model_begin[];
extern "C" const uint8_t steer_model_end[];
#endif

namespace steer::cli {

std::span<const uint8_t> EmbeddedModelBytes() {
#ifdef STEER_EMBED_MODEL_PATH
  return {steer_model_begin, static_cast<size_t>(steer_model_end - steer_model_begin)};
#else
  return {};
#endif
}

Result<std::unique_ptr<gguf::File>> OpenEmbeddedModel() {
  const std::span<const uint8_t> bytes = EmbeddedModelBytes();
  if (bytes.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     "no model given and this steer has no embedded model (it was built with "
                     "-DSTEER_EMBED_MODEL=OFF or without models/steer-code-*.gguf): pass -m MODEL.gguf");
  }
  return gguf::File::FromStaticMemory(bytes.data(), bytes.size(), std::string(kEmbeddedModelName));
}

Result<std::unique_ptr<gguf::File>> OpenModelFile(const std::string& path) {
  if (path.empty()) return OpenEmbeddedModel();
  return gguf::File::Open(path);
}

std::string_view EmbeddedPythonGrammar() {
  return {reinterpret_cast<const char*>(steer_python_grammar_begin),
          static_cast<size_t>(steer_python_grammar_end - steer_python_grammar_begin)};
}

}  // namespace steer::cli
