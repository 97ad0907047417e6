#include "steer/synth/harness.h"

#include <sys/random.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "driver_source.h"
#include "steer/util/progress.h"
#include "steer/util/strings.h"

namespace steer::synth {

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPassed: return "passed";
    case Verdict::kSyntaxError: return "syntax_error";
    case Verdict::kRuntimeError: return "runtime_error";
    case Verdict::kWrongAnswer: return "wrong_answer";
    case Verdict::kTimeout: return "timeout";
    case Verdict::kMemory: return "memory";
    case Verdict::kOutputLimit: return "output_limit";
    case Verdict::kError: return "error";
  }
  return "error";
}

namespace {

constexpr size_t kMaxErrorText = 4000;

std::string Nonce() {
  unsigned char bytes[12];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  return HexEncode(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes));
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

std::string JoinProgram(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) {
    out += p;
    if (!out.empty() && out.back() != '\n') out += '\n';
  }
  return out;
}

}  // namespace

struct Harness::DriverCache {
  std::once_flag once;
  std::string pyc;
};

Harness::Harness(const sandbox::Sandbox& sandbox, HarnessOptions options)
    : sandbox_(sandbox), options_(std::move(options)), driver_cache_(std::make_shared<DriverCache>()) {
  if (options_.workers < 1) options_.workers = 1;
}

const std::string& Harness::CompiledDriver(int slot) const {
  std::call_once(driver_cache_->once, [&] {
    // Header (magic, flags 0, mtime 0, size 0) + marshalled code: what
    // `python3 file.pyc` runs; the interpreter checks the magic number.
    sandbox::RunSpec spec;
    spec.argv = {sandbox_.config().python, "-I", "-B", "-S", "-c",
                 "import importlib.util, marshal, sys\n"
                 "code = compile(open('steer_driver.py', encoding='utf-8').read(), 'steer_driver.py', 'exec')\n"
                 "sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))\n"};
    spec.files = {{"steer_driver.py", internal::kDriverSource}};
    spec.timeout_s = options_.timeout_s;
    spec.memory_mb = options_.memory_mb;
    spec.slot = slot;  // the caller's: call_once runs it on the calling thread
    auto r = sandbox_.Run(spec);
    if (r.ok() && r->status == sandbox::RunStatus::kOk && r->exit_code == 0 && !r->stdout_truncated &&
        r->stdout_data.size() > 16)
      driver_cache_->pyc = std::move(r->stdout_data);
  });
  return driver_cache_->pyc;
}

Harness::DriverRun Harness::RunDriver(std::vector<std::string> args,
                                      std::vector<std::pair<std::string, std::string>> files, int slot,
                                      double timeout_s) const {
  DriverRun out;
  std::string nonce = Nonce();
  sandbox::RunSpec spec;
  spec.argv = {sandbox_.config().python, "-I", "-B"};
  if (!options_.site_packages) spec.argv.push_back("-S");
  const std::string& pyc = CompiledDriver(slot);
  spec.argv.push_back(pyc.empty() ? "steer_driver.py" : "steer_driver.pyc");
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  // The source goes along either way: tracebacks quote its lines.
  files.emplace_back("steer_driver.py", internal::kDriverSource);
  if (!pyc.empty()) files.emplace_back("steer_driver.pyc", pyc);
  spec.files = std::move(files);
  spec.stdin_data = nonce + "\n";
  spec.timeout_s = timeout_s;
  spec.memory_mb = options_.memory_mb;
  spec.slot = slot;
  auto r = sandbox_.Run(spec);
  if (!r.ok()) {
    out.error = true;
    out.error_text = r.error().ToString();
    return out;
  }
  out.run = std::move(r).value();
  std::string prefix = nonce + " ";
  for (std::string_view line : Split(out.run.stdout_data, "\n")) {
    if (line.substr(0, prefix.size()) == prefix) out.reports.emplace_back(line.substr(prefix.size()));
  }
  return out;
}

TestOutcome Harness::Classify(const DriverRun& d, bool require_report) const {
  TestOutcome o;
  o.wall_ms = d.run.wall_ms;
  if (d.error) {
    o.verdict = Verdict::kError;
    o.error = d.error_text;
    return o;
  }
  const sandbox::RunResult& r = d.run;
  std::string err = Tail(r.stderr_data, kMaxErrorText);
  switch (r.status) {
    case sandbox::RunStatus::kTimeout: o.verdict = Verdict::kTimeout; o.error = "timed out"; return o;
    case sandbox::RunStatus::kMemory: o.verdict = Verdict::kMemory; o.error = "memory limit exceeded"; return o;
    case sandbox::RunStatus::kOutputLimit: o.verdict = Verdict::kOutputLimit; o.error = "output limit exceeded"; return o;
    case sandbox::RunStatus::kError: o.verdict = Verdict::kError; o.error = r.error; return o;
    case sandbox::RunStatus::kKilled:
      o.verdict = Verdict::kRuntimeError;
      o.error = "killed by signal " + std::to_string(r.signal) + (err.empty() ? "" : "\n" + err);
      return o;
    case sandbox::RunStatus::kOk: break;
  }
  switch (r.exit_code) {
    case 0:
      if (!require_report || !d.reports.empty()) {
        o.verdict = Verdict::kPassed;
        return o;
      }
      o.verdict = Verdict::kRuntimeError;
      o.error = "the program exited before the tests finished" + (err.empty() ? "" : "\n" + err);
      return o;
    case 3: o.verdict = Verdict::kSyntaxError; break;
    case 4: o.verdict = Verdict::kWrongAnswer; break;
    case 6: o.verdict = Verdict::kMemory; break;
    case 7: o.verdict = Verdict::kError; break;
    default:
      o.verdict = err.find("MemoryError") != std::string::npos ? Verdict::kMemory : Verdict::kRuntimeError;
      break;
  }
  o.error = err.empty() ? "exit code " + std::to_string(r.exit_code) : err;
  return o;
}

TestOutcome Harness::RunTests(const Task& task, const std::string& completion, int slot) const {
  std::string program = JoinProgram({task.prompt + completion, task.test, "check(" + task.entry_point + ")"});
  DriverRun d = RunDriver({"test"}, {{"program.py", program}}, slot, options_.timeout_s);
  return Classify(d, true);
}

TestOutcome Harness::RunPublicTests(const Task& task, const std::string& completion, int slot) const {
  if (!task.public_tests.empty()) {
    std::string program = JoinProgram({task.prompt + completion, task.public_tests});
    return Classify(RunDriver({"test"}, {{"program.py", program}}, slot, options_.timeout_s), true);
  }
  DriverRun d = RunDriver({"examples", task.entry_point},
                          {{"program.py", JoinProgram({task.prompt + completion})}, {"prompt.txt", task.prompt}},
                          slot, options_.timeout_s);
  TestOutcome o = Classify(d, true);
  if (o.verdict == Verdict::kPassed && !d.reports.empty()) {
    auto n = ParseInt(Split(d.reports.back(), " ").back());
    o.examples_checked = n ? static_cast<int>(*n) : -1;
  }
  return o;
}

Result<std::vector<std::string>> Harness::GenerateInputs(const Task& task, int n, int slot) const {
  if (!task.input_generator.empty()) {
    sandbox::RunSpec gen;
    gen.argv = {sandbox_.config().python, "-I", "-B"};
    if (!options_.site_packages) gen.argv.push_back("-S");
    gen.argv.insert(gen.argv.end(), {"input_generator.py", std::to_string(n)});
    gen.files = {{"input_generator.py", task.input_generator}};
    gen.timeout_s = options_.timeout_s;
    gen.memory_mb = options_.memory_mb;
    gen.slot = slot;
    STEER_ASSIGN_OR_RETURN(sandbox::RunResult r, sandbox_.Run(gen));
    if (r.status != sandbox::RunStatus::kOk || r.exit_code != 0)
      return MakeError(ErrorCode::kInvalidInput,
                       std::string("input_generator failed (") + sandbox::RunStatusName(r.status) + "): " +
                           Tail(r.stderr_data, 500),
                       task.task_id + ": /input_generator");
    std::vector<std::string> inputs;
    for (std::string_view line : Split(r.stdout_data, "\n")) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      if (static_cast<int>(inputs.size()) == n) break;
      inputs.emplace_back(line);
    }
    return inputs;
  }
  DriverRun d = RunDriver({"inputs", task.entry_point, std::to_string(n)}, {{"prompt.txt", task.prompt}}, slot,
                options_.timeout_s);
  TestOutcome o = Classify(d, true);
  if (o.verdict != Verdict::kPassed || d.reports.empty() || d.reports.back() != "end")
    return MakeError(ErrorCode::kInternal, "deriving inputs failed: " + o.error, task.task_id);
  std::vector<std::string> inputs;
  for (const std::string& r : d.reports)
    if (r.rfind("in ", 0) == 0) inputs.push_back(r.substr(3));
  return inputs;
}

TestOutcome Harness::RunOnInputs(const Task& task, const std::string& completion,
                                 const std::vector<std::string>& inputs, int slot,
                                 std::vector<std::string>* outputs) const {
  std::string lines;
  for (const std::string& in : inputs) lines += in + "\n";
  // Each call has 1 s inside the driver; the run as a whole gets the budget
  // for all of them.
  double timeout = options_.timeout_s + static_cast<double>(inputs.size());
  DriverRun d = RunDriver({"run", task.entry_point},
                          {{"program.py", JoinProgram({task.prompt + completion})}, {"inputs.txt", lines}}, slot,
                          timeout);
  *outputs = d.reports;
  TestOutcome o = Classify(d, false);
  if (o.verdict == Verdict::kPassed && outputs->size() != inputs.size()) {
    o.verdict = Verdict::kRuntimeError;
    o.error = "the program exited after " + std::to_string(outputs->size()) + " of " +
              std::to_string(inputs.size()) + " inputs";
  }
  return o;
}

void Harness::ParallelFor(size_t n, const std::string& label, const std::function<void(size_t, int)>& fn) const {
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex progress_mu;
  Progress progress(label, n, options_.progress);
  auto worker = [&](int w) {
    for (;;) {
      size_t i = next++;
      if (i >= n) return;
      fn(i, options_.first_slot + w);
      size_t d = ++done;
      std::lock_guard<std::mutex> lock(progress_mu);
      progress.Update(d);
    }
  };
  int workers = static_cast<int>(std::min<size_t>(static_cast<size_t>(options_.workers), std::max<size_t>(n, 1)));
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(worker, w);
  worker(0);
  for (auto& t : threads) t.join();
  progress.Finish();
}

}  // namespace steer::synth
