// Runs the built steer binary: `steer sample` on stories260K. Samples
// satisfy their constraints (checked with the grammar Matcher), the output
// format is exact, impossible constraints exit 1 with log Z = -inf, and bad
// grammars exit 2 naming FILE:line:column.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.h"
#include "shared_data.h"
#include "steer/grammar/gbnf.h"
#include "steer/grammar/matcher.h"
#include "steer/grammar/regex.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/file.h"

namespace {

using nlohmann::json;

constexpr char kPrompt[] = "Once upon a time, there was a little girl named";

using steer::testing::RunResult;

RunResult RunSteer(const std::string& args) {
  return steer::testing::RunCommand(STEER_BINARY, args);
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = steer::testing::TempDir() + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  return path;
}

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every line but the last is a sample; the last is the summary.
struct Parsed {
  std::vector<json> samples;
  json summary;
};

Parsed Parse(const std::string& out) {
  Parsed p;
  const std::vector<std::string> lines = Lines(out);
  EXPECT_FALSE(lines.empty());
  for (size_t i = 0; i < lines.size(); ++i) {
    json j = json::parse(lines[i]);
    if (i + 1 == lines.size()) {
      p.summary = j;
    } else {
      p.samples.push_back(j);
    }
  }
  return p;
}

std::set<std::string> Keys(const json& j) {
  std::set<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.insert(it.key());
  return keys;
}

bool InLanguage(const steer::grammar::Grammar& g, const std::string& text) {
  auto parser = steer::grammar::CompileParser(g);
  EXPECT_TRUE(parser.ok());
  steer::grammar::Matcher m(*parser);
  return m.AcceptBytes(text) && m.IsComplete();
}

TEST(SampleCli, SmcSamplesSatisfyTheGrammarAndMaxIdentLen) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  const std::string gbnf = "root ::= \" \" [A-Z] [a-z]* \".\"\n";
  const std::string path = WriteTemp("names.gbnf", gbnf);
  RunResult r = RunSteer("sample -m '" + model + "' -p '" + kPrompt + "' --grammar '" + path +
                         "' --max-ident-len 3 --method smc --particles 32 --max-tokens 5 --seed 7 --threads 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("constraint: gbnf"), std::string::npos) << r.err;  // progress goes to stderr
  const Parsed p = Parse(r.out);
  ASSERT_FALSE(p.samples.empty());
  auto g = steer::grammar::ParseGbnf(gbnf);
  ASSERT_TRUE(g.ok());
  auto tok = steer::tokenizer::Tokenizer::Load(model);
  ASSERT_TRUE(tok.ok());
  double total = 0;
  for (const json& s : p.samples) {
    const std::string text = s["text"].get<std::string>();
    EXPECT_TRUE(InLanguage(*g, text)) << text;
    EXPECT_LE(text.size(), 5u) << text;  // " " + at most 3 letters + "."
    std::string bytes;
    for (const json& t : s["tokens"]) bytes += (*tok)->TokenBytes(t.get<int32_t>());
    EXPECT_EQ(bytes, text);  // the continuation only, exactly its tokens' bytes
    total += std::exp(s["log_weight"].get<double>());
    EXPECT_LT(s["log_prob"].get<double>(), 0.0);
  }
  EXPECT_NEAR(total, 1.0, 1e-9);  // normalized weights
  ASSERT_TRUE(p.summary["log_z"].is_number());
  EXPECT_LT(p.summary["log_z"].get<double>(), 0.0);
  EXPECT_EQ(p.summary["samples"].get<size_t>(), p.samples.size());
  EXPECT_EQ(p.summary["end"], "complete");  // the default with a grammar
  EXPECT_FALSE(p.summary["ess_history"].empty());
}

TEST(SampleCli, JsonOutputFormatIsExactAndSeeded) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  const std::string args = "sample -m '" + model + "' -p '" + kPrompt +
                           "' --regex ' (Amy|Sue|Mia)\\.' --method exact --max-tokens 4 --threads 1 --json -q";
  RunResult r = RunSteer(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // --quiet
  const Parsed p = Parse(r.out);
  const std::set<std::string> sample_keys = {"text", "tokens", "log_weight", "log_prob"};
  const std::set<std::string> summary_keys = {"method", "end",   "samples", "log_z",   "ess_history",
                                              "resamples", "tries", "forced_ends", "nodes", "seconds",
                                              "cpu_seconds"};
  std::set<std::string> texts;
  double total = 0, z = 0;
  for (const json& s : p.samples) {
    EXPECT_EQ(Keys(s), sample_keys) << s.dump();
    EXPECT_TRUE(s["text"].is_string());
    EXPECT_TRUE(s["tokens"].is_array());
    for (const json& t : s["tokens"]) EXPECT_TRUE(t.is_number_integer());
    texts.insert(s["text"].get<std::string>());
    total += std::exp(s["log_weight"].get<double>());
    z += std::exp(s["log_prob"].get<double>());
  }
  EXPECT_EQ(texts, (std::set<std::string>{" Amy.", " Sue.", " Mia."}));
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_EQ(Keys(p.summary), summary_keys) << p.summary.dump();
  EXPECT_EQ(p.summary["method"], "exact");
  EXPECT_EQ(p.summary["samples"], 3);
  EXPECT_GT(p.summary["nodes"].get<int64_t>(), 0);
  EXPECT_EQ(Keys(p.summary["seconds"]), (std::set<std::string>{"load", "compile", "sample", "total"}));
  EXPECT_EQ(Keys(p.summary["cpu_seconds"]), (std::set<std::string>{"sample", "total"}));
  // Under stop-when-complete each text weighs its prefix probability: Z sums them.
  EXPECT_NEAR(p.summary["log_z"].get<double>(), std::log(z), 1e-9);

  // Same seed, same samples; the human-readable form has one line per sample
  // plus the summary.
  const std::string smc = "sample -m '" + model + "' -p '" + kPrompt +
                          "' --regex ' [A-Z][a-z]+\\.' --method smc --particles 8 --max-tokens 5 --threads 1 -q";
  RunResult a = RunSteer(smc + " --seed 1 --json"), b = RunSteer(smc + " --seed 1 --json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const Parsed pa = Parse(a.out), pb = Parse(b.out);
  ASSERT_EQ(pa.samples.size(), pb.samples.size());
  for (size_t i = 0; i < pa.samples.size(); ++i) EXPECT_EQ(pa.samples[i], pb.samples[i]);
  EXPECT_EQ(pa.summary["log_z"], pb.summary["log_z"]);
  // The model's own tokenizer given as --tokenizer changes nothing.
  RunResult c = RunSteer(smc + " --seed 1 --json --tokenizer '" + model + "'");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const Parsed pc = Parse(c.out);
  ASSERT_EQ(pc.samples.size(), pa.samples.size());
  for (size_t i = 0; i < pa.samples.size(); ++i) EXPECT_EQ(pc.samples[i], pa.samples[i]);
  RunResult human = RunSteer(smc + " --seed 1");
  ASSERT_EQ(human.exit_code, 0) << human.err;
  const std::vector<std::string> lines = Lines(human.out);
  ASSERT_EQ(lines.size(), pa.samples.size() + 1);
  const std::regex sample_line(R"(log_weight -?[0-9]+\.[0-9]{4}  log_prob -[0-9]+\.[0-9]{4}  ".*")");
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_TRUE(std::regex_match(lines[i], sample_line)) << lines[i];
  EXPECT_TRUE(std::regex_search(lines.back(), std::regex(R"(^[0-9]+ samples, log Z -[0-9]+\.[0-9]{4} \(smc)")))
      << lines.back();
}

TEST(SampleCli, ImpossibleConstraintsGiveNoSamplesAndExit1) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  // Six letters in a row, but no identifier longer than three.
  for (const char* method : {"smc", "exact", "lcd", "rejection"}) {
    RunResult r = RunSteer("sample -m '" + model + "' -p 'Once' --regex ' [a-z]{6}' --max-ident-len 3 --method " +
                           method + " --max-tokens 2 --max-tries 5 --threads 1 --json");
    EXPECT_EQ(r.exit_code, 1) << method << ": " << r.err;
    const std::vector<std::string> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << method << ": " << r.out;  // the summary only
    const json summary = json::parse(lines[0]);
    EXPECT_EQ(summary["samples"], 0) << method;
    EXPECT_TRUE(summary["log_z"].is_null()) << method;  // -inf
    EXPECT_EQ(r.out.find("nan"), std::string::npos) << method;
    EXPECT_NE(r.err.find("log Z = -inf"), std::string::npos) << method << ": " << r.err;
  }
}

TEST(SampleCli, BadInputIsExit2WithLocation) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  const std::string path = WriteTemp("bad.gbnf", "root ::= item\nitem ::= \"a\" @ \"b\"\n");
  RunResult r = RunSteer("sample -m '" + model + "' -p 'Once' --grammar '" + path + "' --method smc");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path + ":2:14: expected newline or end of input, found '@'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");

  r = RunSteer("sample -m '" + model + "' -p 'Once' --regex 'a(b' --method smc");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--regex:1:"), std::string::npos) << r.err;

  r = RunSteer("sample -m '" + model + "' -p 'Once' --grammar '" + path + "x' --method smc");
  EXPECT_EQ(r.exit_code, 2) << r.err;  // no such file
  r = RunSteer("sample -m '" + model + "' -p 'Once' --method nope");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = RunSteer("sample -m '" + model + "' -p 'Once' --method smc --top-k 5");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // --tokenizer must match the model's vocabulary (512 vs 32000 tokens).
  const std::string other = steer::testing::SharedPath("models/llama-2-tiny-random.gguf");
  if (!other.empty()) {
    r = RunSteer("sample -m '" + model + "' --tokenizer '" + other + "' -p 'Once' --method smc");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("the tokenizer has 32000 tokens but the model 512"), std::string::npos) << r.err;
  }
}

TEST(SampleCli, JsonSchemaConstraint) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  const std::string path = WriteTemp("name.json", R"({"enum": ["Amy", "Sue", "Tom"]})");
  RunResult r = RunSteer("sample -m '" + model + "' -p '" + kPrompt + "' --json-schema '" + path +
                         "' --method smc --particles 16 --max-tokens 8 --threads 1 --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Parsed p = Parse(r.out);
  ASSERT_FALSE(p.samples.empty());
  for (const json& s : p.samples) {
    const json value = json::parse(s["text"].get<std::string>());
    EXPECT_TRUE(value == "Amy" || value == "Sue" || value == "Tom") << s["text"];
  }
}

TEST(SampleCli, CriticCommandWeighsChosenTokens) {
  STEER_REQUIRE_SHARED(model, "models/stories260K.gguf");
  // A Python critic (ExternalPotential's line protocol) that forbids 'a'.
  const std::string critic = WriteTemp("no_a.py",
                                       "import sys\n"
                                       "while line := sys.stdin.readline():\n"
                                       "    for _ in range(int(line)):\n"
                                       "        kind, _, hexed = sys.stdin.readline().rstrip('\\n').partition(' ')\n"
                                       "        print('-inf' if b'a' in bytes.fromhex(hexed) else 0.0)\n"
                                       "    sys.stdout.flush()\n");
  RunResult r = RunSteer("sample -m '" + model + "' -p '" + kPrompt + "' --regex ' [A-Z][a-z]+\\.' --critic-cmd 'python3 -S " +
                         critic + "' --method smc --particles 16 --max-tokens 5 --threads 1 --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Parsed p = Parse(r.out);
  ASSERT_FALSE(p.samples.empty());
  for (const json& s : p.samples) EXPECT_EQ(s["text"].get<std::string>().find('a'), std::string::npos) << s["text"];

  // A critic that dies is reported, not a crash.
  r = RunSteer("sample -m '" + model + "' -p 'Once' --critic-cmd 'exit 3' --method smc --max-tokens 3 --threads 1");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("exit"), std::string::npos) << r.err;
}

}  // namespace
