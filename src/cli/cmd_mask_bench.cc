// steer mask-bench: MaskBench-format JSON-Schema cases through the grammar
// engine with a real tokenizer, timing compilation and every token mask.
//
// A case file is {"schema": ..., "tests": [{"valid": bool, "text": "..."}]}.
// For each test the text is tokenized (no BOS/EOS) and replayed: before each
// token the mask is filled (timed) and the token must be allowed; after the
// last one the mask must allow EOS. That is the instance's verdict.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.h"
#include "steer/grammar/compiled_grammar.h"
#include "steer/grammar/json_schema.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/file.h"
#include "steer/util/progress.h"
#include "steer/util/thread_pool.h"

namespace steer::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct MaskBenchOptions {
  std::string tokenizer;
  int threads = 1;
  bool json = false;
  std::vector<std::string> cases;
};

// What one case file produced.
struct FileResult {
  std::string name;
  bool compiled = false;
  std::string error;  // compile failure reason
  double compile_ms = 0;  // schema -> IR -> bound to the tokenizer
  double ir_ms = 0;       // schema -> IR only
  std::vector<float> mask_us;
  int valid_accepted = 0, valid_rejected = 0, invalid_accepted = 0, invalid_rejected = 0;
  int not_spelled = 0;  // instances whose tokens do not spell the text (skipped)
  std::vector<std::string> notes;  // instance-level findings for stderr
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::max(0.0, std::ceil(p * static_cast<double>(v.size())) - 1));
  return v[std::min(k, v.size() - 1)];
}

// `vocab` is the token trie built once for the tokenizer and shared by every
// schema: binding a grammar to it is the per-schema compile cost.
FileResult RunFile(const std::string& path, const tokenizer::Tokenizer& tok,
                   const std::shared_ptr<const grammar::VocabIndex>& vocab) {
  FileResult r;
  r.name = std::filesystem::path(path).filename().string();
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    r.error = text.error().ToString();
    return r;
  }
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("schema") || !doc.contains("tests") ||
      !doc["tests"].is_array()) {
    r.error = "not a MaskBench file ({\"schema\":..., \"tests\":[...]})";
    return r;
  }
  // dump() recurses: bound the depth first (iteratively).
  std::vector<std::pair<const nlohmann::ordered_json*, int>> stack{{&doc["schema"], 1}};
  while (!stack.empty()) {
    auto [v, d] = stack.back();
    stack.pop_back();
    if (d > 10000) {
      r.error = "schema nested deeper than 10000";
      return r;
    }
    if (v->is_structured()) {
      for (const auto& x : *v) stack.emplace_back(&x, d + 1);
    }
  }
  const std::string schema = doc["schema"].dump();
  Clock::time_point t0 = Clock::now();
  Result<grammar::Grammar> g = grammar::CompileJsonSchema(schema, {});
  r.ir_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::shared_ptr<const grammar::CompiledGrammar> cg;
  if (g.ok()) {
    auto c = grammar::CompiledGrammar::Create(*g, vocab);
    if (!c.ok()) {
      r.error = c.error().ToString();
      return r;
    }
    cg = *c;
  }
  r.compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!g.ok()) {
    r.error = g.error().ToString();
    return r;
  }
  r.compiled = true;
  DynamicBitset mask;
  for (size_t i = 0; i < doc["tests"].size(); ++i) {
    const nlohmann::ordered_json& t = doc["tests"][i];
    if (!t.contains("text") || !t["text"].is_string() || !t.contains("valid") || !t["valid"].is_boolean()) continue;
    const bool valid = t["valid"].get<bool>();
    const std::string text = t["text"].get<std::string>();
    auto ids = tok.Encode(text, {.add_special = false, .parse_special = false});
    if (ids.ok()) {
      // SPM vocabularies prefix a space the text does not have: the tokens
      // then spell another text, and the verdict would be about that one.
      std::string spelled;
      for (int32_t id : *ids) spelled += tok.TokenBytes(id);
      if (spelled != text) {
        ++r.not_spelled;
        r.notes.push_back("instance " + std::to_string(i) + " skipped: its tokens do not spell the text");
        continue;
      }
    }
    bool accepted = ids.ok();
    grammar::TokenMatcher m(cg);
    if (accepted) {
      for (int32_t id : *ids) {
        Clock::time_point a = Clock::now();
        m.FillMask(&mask);
        r.mask_us.push_back(std::chrono::duration<float, std::micro>(Clock::now() - a).count());
        if (!mask.Test(static_cast<size_t>(id)) || !m.AcceptToken(id)) {
          accepted = false;
          break;
        }
      }
    }
    if (accepted) {
      Clock::time_point a = Clock::now();
      m.FillMask(&mask);
      r.mask_us.push_back(std::chrono::duration<float, std::micro>(Clock::now() - a).count());
      accepted = cg->eos() >= 0 && mask.Test(static_cast<size_t>(cg->eos()));
    }
    if (valid) {
      accepted ? ++r.valid_accepted : ++r.valid_rejected;
      if (!accepted) r.notes.push_back("valid instance " + std::to_string(i) + " rejected");
    } else {
      accepted ? ++r.invalid_accepted : ++r.invalid_rejected;
      if (accepted) r.notes.push_back("INVALID instance " + std::to_string(i) + " accepted");
    }
  }
  return r;
}

Result<std::vector<std::string>> ExpandCases(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const auto& a : args) {
    std::error_code ec;
    if (std::filesystem::is_directory(a, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& e : std::filesystem::directory_iterator(a, ec)) {
        if (e.path().extension() == ".json") in_dir.push_back(e.path().string());
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (std::filesystem::exists(a, ec)) {
      files.push_back(a);
    } else {
      return MakeError(ErrorCode::kNotFound, "no such file or directory", a);
    }
  }
  return files;
}

int RunMaskBench(const MaskBenchOptions& o) {
  auto tok = tokenizer::Tokenizer::Load(o.tokenizer);
  if (!tok.ok()) return ReportError("mask-bench", tok.error());
  auto files = ExpandCases(o.cases);
  if (!files.ok()) return ReportError("mask-bench", files.error());
  const tokenizer::Tokenizer& t = **tok;
  auto index = grammar::VocabIndex::Build(grammar::VocabularyOf(t));
  if (!index.ok()) return ReportError("mask-bench", index.error());

  std::vector<FileResult> results(files->size());
  Progress progress("mask-bench", files->size());
  std::mutex mu;
  size_t done = 0;
  ThreadPool pool(std::max(1, o.threads));
  pool.ParallelFor(files->size(), [&](size_t begin, size_t end, int) {
    for (size_t i = begin; i < end; ++i) {
      results[i] = RunFile((*files)[i], t, *index);
      std::lock_guard<std::mutex> lock(mu);
      progress.Update(++done, results[i].name);
    }
  });
  progress.Finish();

  int compiled = 0, passing = 0, va = 0, vr = 0, ia = 0, ir = 0, skipped = 0;
  std::vector<double> compile_ms, ir_ms, mask_us;
  double mask_sum = 0;
  std::map<std::string, int> reasons;
  for (const FileResult& r : results) {
    if (!r.compiled) {
      std::fprintf(stderr, "%s: not compiled: %s\n", r.name.c_str(), r.error.c_str());
      // Group by the message without its location.
      ++reasons[r.error.substr(r.error.find(": ") == std::string::npos ? 0 : r.error.find(": ") + 2)];
      continue;
    }
    for (const auto& n : r.notes) std::fprintf(stderr, "%s: %s\n", r.name.c_str(), n.c_str());
    ++compiled;
    passing += r.valid_rejected == 0;
    va += r.valid_accepted, vr += r.valid_rejected, ia += r.invalid_accepted, ir += r.invalid_rejected;
    skipped += r.not_spelled;
    compile_ms.push_back(r.compile_ms);
    ir_ms.push_back(r.ir_ms);
    for (float m : r.mask_us) mask_us.push_back(m), mask_sum += m;
  }
  // The schemas with the slowest masks, for whoever works on the tail.
  std::vector<std::pair<float, const FileResult*>> slowest;
  for (const FileResult& r : results) {
    if (r.compiled && !r.mask_us.empty()) slowest.emplace_back(*std::max_element(r.mask_us.begin(), r.mask_us.end()), &r);
  }
  std::sort(slowest.begin(), slowest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; k < std::min<size_t>(slowest.size(), 5); ++k) {
    const FileResult& r = *slowest[k].second;
    double sum = 0;
    for (float m : r.mask_us) sum += m;
    std::fprintf(stderr, "mask-bench: slow: %s (max %.0f us, mean %.0f us over %zu masks)\n", r.name.c_str(),
                 static_cast<double>(slowest[k].first), sum / static_cast<double>(r.mask_us.size()), r.mask_us.size());
  }
  const int schemas = static_cast<int>(results.size());
  const double frac = schemas ? static_cast<double>(passing) / schemas : 0;
  const double mean = mask_us.empty() ? 0 : mask_sum / static_cast<double>(mask_us.size());
  char line[1024];
  if (o.json) {
    std::snprintf(line, sizeof line,
                  "{\"schemas\":%d,\"compiled\":%d,\"passing\":%d,\"passing_fraction\":%.4f,"
                  "\"compile_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
                  "\"mask_us\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f},"
                  "\"valid_accepted\":%d,\"valid_rejected\":%d,\"invalid_accepted\":%d,\"invalid_rejected\":%d}\n",
                  schemas, compiled, passing, frac, Percentile(compile_ms, 0.5), Percentile(compile_ms, 0.99),
                  Percentile(compile_ms, 1.0), Percentile(mask_us, 0.5), Percentile(mask_us, 0.99),
                  Percentile(mask_us, 1.0), mean, va, vr, ia, ir);
    if (skipped) std::fprintf(stderr, "mask-bench: %d instances skipped: their tokens do not spell the text\n", skipped);
    std::fputs(line, stdout);
    return 0;
  }
  std::printf("schemas            %d (compiled %d, failed %d)\n", schemas, compiled, schemas - compiled);
  std::printf("passing            %d (%.1f%%): compiled, every valid instance accepted\n", passing, 100 * frac);
  std::printf("compile ms         p50 %.3f  p99 %.3f  max %.3f\n", Percentile(compile_ms, 0.5),
              Percentile(compile_ms, 0.99), Percentile(compile_ms, 1.0));
  std::printf("  of which IR ms   p50 %.3f  p99 %.3f  max %.3f  (schema -> grammar IR; the rest binds to the tokenizer)\n",
              Percentile(ir_ms, 0.5), Percentile(ir_ms, 0.99), Percentile(ir_ms, 1.0));
  std::printf("mask us            p50 %.3f  p99 %.3f  max %.3f  mean %.3f  (%zu masks)\n",
              Percentile(mask_us, 0.5), Percentile(mask_us, 0.99), Percentile(mask_us, 1.0), mean,
              mask_us.size());
  std::printf("valid instances    accepted %d  rejected %d\n", va, vr);
  std::printf("invalid instances  accepted %d  rejected %d\n", ia, ir);
  if (skipped) std::printf("skipped instances  %d (their tokens do not spell the text)\n", skipped);
  if (!reasons.empty()) {
    std::vector<std::pair<int, std::string>> by_count;
    for (const auto& [msg, n] : reasons) by_count.emplace_back(n, msg);
    std::sort(by_count.rbegin(), by_count.rend());
    std::printf("compile failures by reason:\n");
    for (const auto& [n, msg] : by_count) std::printf("  %4d  %s\n", n, msg.c_str());
  }
  return 0;
}

}  // namespace

void AddMaskBenchCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<MaskBenchOptions>();
  CLI::App* cmd = app.add_subcommand("mask-bench", "Benchmark token masks on MaskBench JSON-Schema cases.");
  cmd->description(
      "Compile each case's JSON Schema, bind it to the tokenizer, and replay every test\n"
      "instance token by token: an instance is accepted iff each token is in the mask\n"
      "when it comes and EOS is in the mask after the last. Reports schemas compiled,\n"
      "compile time, mask time (every mask filled) and the verdicts. CASES are files\n"
      "{\"schema\":..., \"tests\":[{\"valid\":bool, \"text\":\"...\"}]} or directories of them.");
  cmd->footer(
      "Example:\n"
      "  steer mask-bench --tokenizer llama3/tokenizer.json --json maskbench-visible/\n"
      "With --json the only stdout line is {\"schemas\",\"compiled\",\"passing\",\"passing_fraction\",\n"
      "\"compile_ms\":{...},\"mask_us\":{...},\"valid_accepted\",...}. Progress and per-case\n"
      "findings go to stderr. Exit codes: 0 ok, 2 bad usage or input, 1 other failures.");
  cmd->add_option("--tokenizer", o->tokenizer, "A GGUF file or an HF tokenizer.json")->required();
  cmd->add_option("--threads", o->threads, "Case files processed in parallel (timings are per thread)")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--json", o->json, "Print one JSON summary line");
  cmd->add_option("cases", o->cases, "MaskBench files or directories")->required();
  cmd->callback([o, &ctx] { ctx.exit_code = RunMaskBench(*o); });
}

}  // namespace steer::cli
