// steer tokenize: print the token ids of a text.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "embedded.h"
#include "steer/tokenizer/tokenizer.h"

namespace steer::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string tokenizer;
  bool no_special = false;
  bool parse_special = false;
  bool json = false;
  std::string text;
};

int RunTokenize(const TokenizeOptions& o) {
  // -m FILE or --tokenizer FILE, else the embedded model's vocabulary.
  Result<std::unique_ptr<tokenizer::Tokenizer>> tok = MakeError(ErrorCode::kInternal, "unset");
  if (!o.model.empty() || !o.tokenizer.empty()) {
    tok = tokenizer::Tokenizer::Load(o.model.empty() ? o.tokenizer : o.model);
  } else {
    auto file = OpenEmbeddedModel();
    if (!file.ok()) return ReportError("tokenize", file.error());
    tok = tokenizer::Tokenizer::FromGguf(**file);
    if (!tok.ok()) tok = tok.error().Within((*file)->path());
  }
  if (!tok.ok()) return ReportError("tokenize", tok.error());
  auto ids = (*tok)->Encode(o.text, {.add_special = !o.no_special, .parse_special = o.parse_special});
  if (!ids.ok()) return ReportError("tokenize", ids.error().Within("TEXT"));
  std::string out = o.json ? "{\"tokens\":[" : "";
  for (size_t i = 0; i < ids->size(); ++i) {
    if (i) out += o.json ? "," : " ";
    out += std::to_string((*ids)[i]);
  }
  out += o.json ? "]}\n" : "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddTokenizeCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of a text.");
  cmd->description(
      "Print the token ids of TEXT, space-separated (or {\"tokens\":[...]} with --json).\n"
      "The tokenizer comes from a GGUF model (-m) or a GGUF / HF tokenizer.json file\n"
      "(--tokenizer); without either, from the embedded model. BOS/EOS are added as\n"
      "the vocabulary says unless --no-special; text such as \"<s>\" is plain text unless --parse-special.");
  cmd->footer(
      "Examples:\n"
      "  steer tokenize -m model.gguf 'Hello world'\n"
      "      1 15043 3186\n"
      "  steer tokenize --tokenizer llama3/tokenizer.json --no-special --json -- '-x'\n"
      "      {\"tokens\":[6695]}\n"
      "  steer tokenize --no-special 'def f(x):'     (the embedded model's tokens)\n"
      "Exit codes: 0 ok, 2 bad usage or input (invalid UTF-8 in TEXT, a bad or\n"
      "truncated file, an unsupported tokenizer), 1 other failures.");
  auto* model = cmd->add_option("-m,--model", o->model, "GGUF model whose vocabulary to use");
  auto* tokfile = cmd->add_option("--tokenizer", o->tokenizer,
                                  "A GGUF file or an HF tokenizer.json (detected by content)");
  model->excludes(tokfile);
  cmd->add_flag("--no-special", o->no_special, "Add no BOS/EOS tokens");
  cmd->add_flag("--parse-special", o->parse_special,
                "Turn control-token texts (\"<s>\", \"<|eot_id|>\") in TEXT into their tokens");
  cmd->add_flag("--json", o->json, "Print {\"tokens\":[...]}");
  cmd->add_option("text", o->text, "The text (UTF-8); put -- before it if it starts with '-'")
      ->required();
  cmd->callback([o, &ctx] { ctx.exit_code = RunTokenize(*o); });
}

}  // namespace steer::cli
