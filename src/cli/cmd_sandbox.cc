// steer sandbox run [--timeout S] [--memory MB] [--json] [--insecure] -- CMD ARGS...
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "command.h"
#include "steer/sandbox/sandbox.h"

namespace steer::cli {
namespace {

struct SandboxRunOptions {
  double timeout_s = 10;
  int64_t memory_mb = 512;
  int64_t output_limit = 1 << 20;
  int max_procs = 64;
  bool json = false;
  bool insecure = false;
  bool stdin_pass = false;
  std::vector<std::string> command;
};

int RunSandboxRun(const SandboxRunOptions& o) {
  sandbox::SandboxConfig config;
  config.insecure = o.insecure;
  auto sb = sandbox::Sandbox::Create(config);
  if (!sb.ok()) return ReportError("sandbox run", sb.error());
  sandbox::RunSpec spec;
  spec.argv = o.command;
  spec.timeout_s = o.timeout_s;
  spec.memory_mb = o.memory_mb;
  spec.output_limit_bytes = o.output_limit;
  spec.max_procs = o.max_procs;
  if (o.stdin_pass) {
    spec.stdin_data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto r = sb->Run(spec);
  if (!r.ok()) return ReportError("sandbox run", r.error());
  if (o.json) {
    std::printf("%s\n", sandbox::RunResultJson(*r).c_str());
  } else {
    std::fwrite(r->stdout_data.data(), 1, r->stdout_data.size(), stdout);
    std::fwrite(r->stderr_data.data(), 1, r->stderr_data.size(), stderr);
    std::fprintf(stderr, "[sandbox] status=%s exit_code=%s signal=%s cpu_ms=%lld wall_ms=%lld max_rss_kb=%lld\n"
                 "[sandbox] isolation: %s\n",
                 sandbox::RunStatusName(r->status),
                 r->has_exit_code ? std::to_string(r->exit_code).c_str() : "null",
                 r->has_signal ? std::to_string(r->signal).c_str() : "null",
                 static_cast<long long>(r->cpu_ms), static_cast<long long>(r->wall_ms),
                 static_cast<long long>(r->max_rss_kb), r->isolation.c_str());
    if (!r->error.empty()) std::fprintf(stderr, "[sandbox] error: %s\n", r->error.c_str());
  }
  // The command's verdict is in the report; a launcher error fails the CLI.
  return r->status == sandbox::RunStatus::kError ? 1 : 0;
}

}  // namespace

void AddSandboxCommand(CLI::App& app, Context& ctx) {
  auto* sandbox = app.add_subcommand("sandbox", "Run untrusted commands under isolation and limits");
  sandbox->require_subcommand(1);
  auto o = std::make_shared<SandboxRunOptions>();
  auto* run = sandbox->add_subcommand(
      "run", "Run CMD in the sandbox; prints the status, resource use and isolation level");
  run->add_option("--timeout", o->timeout_s, "Wall-clock limit in seconds")->check(CLI::PositiveNumber);
  run->add_option("--memory", o->memory_mb, "Memory limit in MB")->check(CLI::PositiveNumber);
  run->add_option("--output-limit", o->output_limit, "Cap on stdout and on stderr, bytes")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--max-procs", o->max_procs, "Process limit")->check(CLI::PositiveNumber);
  run->add_flag("--json", o->json, "Print one JSON line");
  run->add_flag("--insecure", o->insecure, "Run even below the minimum isolation level");
  run->add_flag("--stdin", o->stdin_pass, "Pass this process's stdin to the command");
  run->add_option("command", o->command, "CMD ARGS... (after --)")->required();
  run->callback([o, &ctx]() { ctx.exit_code = RunSandboxRun(*o); });
}

}  // namespace steer::cli
