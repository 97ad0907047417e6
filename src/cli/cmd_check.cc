// steer check: is a text in a grammar's language, a proper prefix of a
// string in it, or neither?
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "grammar_files.h"
#include "steer/grammar/matcher.h"
#include "steer/util/file.h"

namespace steer::cli {
namespace {

struct CheckOptions {
  std::string grammar;
  std::string format;
  std::string input;
  std::string jsonl;
  bool json = false;
};

constexpr int kExitAccept = 0;
constexpr int kExitReject = 1;
constexpr int kExitPrefix = 3;

const char* Verdict(const grammar::Parser& parser, std::string_view text) {
  grammar::Matcher m(parser);
  if (!m.AcceptBytes(text)) return "reject";
  return m.IsComplete() ? "accept" : "prefix";
}

int RunCheck(const CheckOptions& o) {
  const std::string format = o.format.empty() ? InferFormat(o.grammar) : o.format;
  auto g = LoadGrammarFile(o.grammar, format);
  if (!g.ok()) return ReportError("check", g.error());
  auto parser = grammar::CompileParser(*g);
  if (!parser.ok()) return ReportError("check", parser.error().Within(o.grammar));

  if (!o.jsonl.empty()) {
    auto lines = ReadFile(o.jsonl);
    if (!lines.ok()) return ReportError("check", lines.error());
    std::string out;
    size_t line_no = 0, start = 0;
    const std::string& all = *lines;
    while (start < all.size()) {
      size_t end = all.find('\n', start);
      if (end == std::string::npos) end = all.size();
      std::string_view line(all.data() + start, end - start);
      start = end + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_string()) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        return ReportError("check", MakeError(ErrorCode::kInvalidInput, "line is not a JSON string",
                                              o.jsonl + ":" + std::to_string(line_no)));
      }
      out += std::string("{\"verdict\":\"") + Verdict(*parser, j.get<std::string>()) + "\"}\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }

  std::string input;
  if (o.input.empty() || o.input == "-") {
    input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto in = ReadFile(o.input);
    if (!in.ok()) return ReportError("check", in.error());
    input = std::move(*in);
  }
  std::string verdict = Verdict(*parser, input);
  if (o.json) {
    std::printf("{\"verdict\":\"%s\"}\n", verdict.c_str());
  } else {
    std::printf("%s\n", verdict.c_str());
  }
  return verdict == "accept" ? kExitAccept : verdict == "prefix" ? kExitPrefix : kExitReject;
}

}  // namespace

void AddCheckCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand("check", "Check a text against a grammar.");
  cmd->description(
      "Check whether INPUT_FILE (stdin by default) is in the grammar's language.\n"
      "Prints accept, prefix (a proper prefix of a string in the language) or reject.\n"
      "With --jsonl FILE, each line of FILE is a JSON string to check, and one\n"
      "{\"verdict\":\"accept\"|\"prefix\"|\"reject\"} line is printed per input line\n"
      "(the grammar is compiled once).");
  cmd->footer(
      "Examples:\n"
      "  printf '1+2' | steer check --grammar arith.gbnf        # prints accept, exit 0\n"
      "  steer check --grammar num.regex --jsonl cases.jsonl\n"
      "Exit codes: 0 accept, 3 prefix, 1 reject, 2 bad grammar or usage (the message\n"
      "names the file and line:column).");
  cmd->add_option("--grammar", o->grammar, "Grammar file")->required();
  cmd->add_option("--format", o->format,
                  "gbnf, lark, regex or json-schema (default: from the extension: .gbnf, .lark,\n"
                  ".regex/.re, .json)");
  cmd->add_option("--jsonl", o->jsonl, "Check every JSON string line of FILE");
  cmd->add_flag("--json", o->json, "Print {\"verdict\":...} instead of the bare verdict");
  cmd->add_option("input", o->input, "Text to check (default: stdin)");
  cmd->callback([o, &ctx] { ctx.exit_code = RunCheck(*o); });
}

}  // namespace steer::cli
