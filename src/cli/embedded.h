// Files linked into the steer binary, so that it works from any directory
// with no download: the default model (models/steer-code-*.gguf at build time,
// unless built with -DSTEER_EMBED_MODEL=OFF) and the demo's Python grammar
// (models/python_function.gbnf).
//
// The bytes live in the binary's read-only data for the whole run, 64-byte
// aligned, so gguf::File::FromStaticMemory reads the model without copying.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "steer/gguf/gguf.h"
#include "steer/util/result.h"

namespace steer::cli {

// The name the embedded model goes by in paths and messages.
inline constexpr std::string_view kEmbeddedModelName = "<embedded steer-code model>";

// The embedded model's bytes; empty when none is embedded.
std::span<const uint8_t> EmbeddedModelBytes();

// The embedded model, parsed in place; kNotFound (saying how to get one)
// when this binary has none.
Result<std::unique_ptr<gguf::File>> OpenEmbeddedModel();

// The model at `path`, or the embedded model when `path` is empty: the one
// place where subcommands resolve -m.
Result<std::unique_ptr<gguf::File>> OpenModelFile(const std::string& path);

// The GBNF grammar of Python function definitions with simple bodies.
std::string_view EmbeddedPythonGrammar();

}  // namespace steer::cli
