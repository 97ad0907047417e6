#include "steer/synth/critic.h"

#include "steer/util/check.h"

namespace steer::synth {

const char* const kCompileCheckerSource = R"PY(import sys
UNFINISHED = ("was never closed", "expected an indented block", "unexpected EOF",
              "unterminated triple-quoted string")
out = []
for name in sys.argv[1:]:
    with open(name, encoding="utf-8", errors="replace") as f:
        src = f.read()
    try:
        compile(src, "<candidate>", "exec", dont_inherit=True)
        out.append("1")
    except SyntaxError as e:
        unfinished = name.startswith("p") and any(m in str(e.msg) for m in UNFINISHED)
        out.append("1" if unfinished else "0")
    except (ValueError, MemoryError, RecursionError):
        out.append("0")
print("\n".join(out))
)PY";

struct CompileCritic::CriticState final : potential::State {
  std::string text;  // the completion so far (without the prompt)
  bool alive = true;
};

namespace {
using potential::kLogZero;
using potential::State;
using potential::StatePtr;

constexpr size_t kMaxErrorText = 2000;
}  // namespace

CompileCritic::CompileCritic(const sandbox::Sandbox& sandbox, std::string prompt,
                             std::vector<std::string> token_bytes, CriticOptions options)
    : sandbox_(sandbox), prompt_(std::move(prompt)), token_bytes_(std::move(token_bytes)),
      options_(std::move(options)) {
  if (options_.checker.empty()) options_.checker = kCompileCheckerSource;
}

CompileCritic::~CompileCritic() = default;

Result<StatePtr> CompileCritic::Start() {
  if (failed_) return *failed_;
  return StatePtr(std::make_unique<CriticState>());
}

StatePtr CompileCritic::Fork(const State& s) {
  return std::make_unique<CriticState>(static_cast<const CriticState&>(s));
}

void CompileCritic::NewCuts(const std::string& text, const std::string& bytes, std::vector<std::string>* cuts) const {
  for (size_t i = bytes.find('\n'); i != std::string::npos; i = bytes.find('\n', i + 1)) {
    cuts->push_back(prompt_ + text + bytes.substr(0, i + 1));
  }
}

Status CompileCritic::Check(const std::vector<std::pair<bool, std::string>>& queries, std::vector<bool>* ok) {
  if (failed_) return *failed_;
  ok->assign(queries.size(), false);
  sandbox::RunSpec spec;
  spec.argv = {sandbox_.config().python, "-I", "-S", "-B", "steer_checker.py"};
  std::vector<size_t> asked;  // query index per file
  std::unordered_map<std::string, size_t> file_of[2];  // dedup within the batch
  for (size_t i = 0; i < queries.size(); ++i) {
    const auto& [complete, source] = queries[i];
    auto& cache = complete ? complete_cache_ : prefix_cache_;
    if (cache.count(source) || file_of[complete].count(source)) continue;
    std::string name = (complete ? "c" : "p") + std::to_string(asked.size());
    file_of[complete][source] = asked.size();
    spec.argv.push_back(name);
    spec.files.emplace_back(name, source);
    asked.push_back(i);
  }
  if (!asked.empty()) {
    spec.files.emplace_back("steer_checker.py", options_.checker);
    spec.timeout_s = options_.timeout_s;
    spec.memory_mb = options_.memory_mb;
    spec.slot = options_.slot;
    spec.tmpfs_inodes = static_cast<int64_t>(asked.size()) + 64;
    ++executions_;
    checks_ += static_cast<int64_t>(asked.size());
    auto run = sandbox_.Run(spec);
    if (!run.ok()) {
      failed_ = std::make_unique<Error>(run.error());
      return *failed_;
    }
    if (run->status == sandbox::RunStatus::kTimeout) {
      failed_ = std::make_unique<Error>(MakeError(
          ErrorCode::kResourceExhausted,
          "compile critic: the checker did not answer within " + std::to_string(options_.timeout_s) + " s; killed"));
      return *failed_;
    }
    std::vector<std::string> lines;
    for (size_t p = 0; p < run->stdout_data.size();) {
      size_t e = run->stdout_data.find('\n', p);
      if (e == std::string::npos) e = run->stdout_data.size();
      lines.push_back(run->stdout_data.substr(p, e - p));
      p = e + 1;
    }
    bool good = run->status == sandbox::RunStatus::kOk && run->has_exit_code && run->exit_code == 0 &&
                lines.size() == asked.size();
    for (size_t j = 0; good && j < lines.size(); ++j) good = lines[j] == "0" || lines[j] == "1";
    if (!good) {
      std::string err = run->stderr_data.substr(0, kMaxErrorText);
      failed_ = std::make_unique<Error>(MakeError(
          ErrorCode::kInternal, "compile critic: the checker gave " + std::to_string(lines.size()) +
                                    " answer lines for " + std::to_string(asked.size()) + " sources (status " +
                                    std::string(sandbox::RunStatusName(run->status)) + "): " + err));
      return *failed_;
    }
    for (size_t j = 0; j < asked.size(); ++j) {
      const auto& [complete, source] = queries[asked[j]];
      (complete ? complete_cache_ : prefix_cache_)[source] = lines[j] == "1";
    }
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    const auto& [complete, source] = queries[i];
    (*ok)[i] = (complete ? complete_cache_ : prefix_cache_).at(source);
  }
  return Status();
}

Status CompileCritic::Extend(std::span<State* const> states, std::span<const TokenId> tokens) {
  STEER_CHECK(states.size() == tokens.size());
  std::vector<std::pair<bool, std::string>> queries;
  std::vector<size_t> first(states.size() + 1, 0);
  std::vector<std::string> cuts;
  for (size_t i = 0; i < states.size(); ++i) {
    auto& s = static_cast<CriticState&>(*states[i]);
    STEER_CHECK(tokens[i] >= 0 && tokens[i] < vocab_size());
    first[i] = queries.size();
    if (!s.alive) continue;
    cuts.clear();
    NewCuts(s.text, token_bytes_[tokens[i]], &cuts);
    for (auto& c : cuts) queries.emplace_back(false, std::move(c));
  }
  first[states.size()] = queries.size();
  std::vector<bool> ok;
  STEER_RETURN_IF_ERROR(Check(queries, &ok));
  for (size_t i = 0; i < states.size(); ++i) {
    auto& s = static_cast<CriticState&>(*states[i]);
    for (size_t q = first[i]; q < first[i + 1]; ++q) s.alive = s.alive && ok[q];
    s.text += token_bytes_[tokens[i]];
  }
  return Status();
}

double CompileCritic::LogPrefix(const State& s) const {
  return static_cast<const CriticState&>(s).alive ? 0.0 : kLogZero;
}

Status CompileCritic::LogComplete(std::span<const State* const> states, std::span<double> out) {
  STEER_CHECK(out.size() == states.size());
  std::vector<std::pair<bool, std::string>> queries;
  std::vector<size_t> query_of(states.size(), SIZE_MAX);
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const CriticState&>(*states[i]);
    if (!s.alive) continue;
    query_of[i] = queries.size();
    queries.emplace_back(true, prompt_ + s.text);
  }
  std::vector<bool> ok;
  STEER_RETURN_IF_ERROR(Check(queries, &ok));
  for (size_t i = 0; i < states.size(); ++i) out[i] = query_of[i] != SIZE_MAX && ok[query_of[i]] ? 0.0 : kLogZero;
  return Status();
}

Status CompileCritic::LogWeightNext(std::span<const State* const> states, std::span<double> out) {
  const size_t row = static_cast<size_t>(vocab_size()) + 1;
  STEER_CHECK(out.size() == states.size() * row);
  // Per (state, token): the range of its cut queries; the end marker's
  // complete query follows the tokens.
  std::vector<std::pair<bool, std::string>> queries;
  std::vector<size_t> first(states.size() * row + 1, 0);
  std::vector<std::string> cuts;
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const CriticState&>(*states[i]);
    for (size_t t = 0; t < row; ++t) {
      first[i * row + t] = queries.size();
      if (!s.alive) continue;
      if (t + 1 == row) {
        queries.emplace_back(true, prompt_ + s.text);
        continue;
      }
      cuts.clear();
      NewCuts(s.text, token_bytes_[t], &cuts);
      for (auto& c : cuts) queries.emplace_back(false, std::move(c));
    }
  }
  first[states.size() * row] = queries.size();
  std::vector<bool> ok;
  STEER_RETURN_IF_ERROR(Check(queries, &ok));
  for (size_t i = 0; i < states.size(); ++i) {
    const bool alive = static_cast<const CriticState&>(*states[i]).alive;
    for (size_t t = 0; t < row; ++t) {
      const size_t k = i * row + t;
      bool w = alive;
      for (size_t q = first[k]; q < first[k + 1]; ++q) w = w && ok[q];
      out[k] = w ? 0.0 : kLogZero;
    }
  }
  return Status();
}

}  // namespace steer::synth
