// The steer binary is a set of subcommands. Each lives in its own file
// (cmd_<name>.cc) and registers itself on the CLI11 app through an
// Add<Name>Command function listed in main.cc.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "steer/util/result.h"

namespace steer::cli {

// Shared by all subcommands: the exit code the selected one produced.
struct Context {
  int exit_code = 0;
};

// Prints "steer <command>: <error>" on stderr and returns the exit code the
// error maps to (2 for bad usage or input, 1 otherwise).
int ReportError(const std::string& command, const Error& error);

// Subcommands (one file each).
void AddTokenizeCommand(CLI::App& app, Context& ctx);
void AddLogitsCommand(CLI::App& app, Context& ctx);
void AddGenerateCommand(CLI::App& app, Context& ctx);
void AddBenchCommand(CLI::App& app, Context& ctx);
void AddSandboxCommand(CLI::App& app, Context& ctx);
void AddRunTestsCommand(CLI::App& app, Context& ctx);
void AddClusterCommand(CLI::App& app, Context& ctx);
void AddCheckCommand(CLI::App& app, Context& ctx);
void AddMaskBenchCommand(CLI::App& app, Context& ctx);
void AddSampleCommand(CLI::App& app, Context& ctx);
void AddSynthCommand(CLI::App& app, Context& ctx);
void AddDemoCommand(CLI::App& app, Context& ctx);


}  // namespace steer::cli
