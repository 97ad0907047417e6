// steer: sampling from language models under hard constraints.
#include <cstdio>

#include "command.h"

namespace steer::cli {

int ReportError(const std::string& command, const Error& error) {
  std::fprintf(stderr, "steer %s: error: %s\n", command.c_str(), error.ToString().c_str());
  return error.ExitCode();
}

namespace {

int Main(int argc, char** argv) {
  CLI::App app{
      "steer samples from language models under hard constraints.\n"
      "Run 'steer COMMAND --help' for the options of one command."};
  app.name("steer");
  app.set_version_flag("--version", "steer " STEER_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  Context ctx;
  AddTokenizeCommand(app, ctx);
  AddLogitsCommand(app, ctx);
  AddGenerateCommand(app, ctx);
  AddBenchCommand(app, ctx);
  AddSandboxCommand(app, ctx);
  AddRunTestsCommand(app, ctx);
  AddClusterCommand(app, ctx);
  AddCheckCommand(app, ctx);
  AddMaskBenchCommand(app, ctx);
  AddSampleCommand(app, ctx);
  AddSynthCommand(app, ctx);
  AddDemoCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);  // prints help/version or the usage error
    return rc == 0 ? 0 : 2;
  }
  return ctx.exit_code;
}

}  // namespace
}  // namespace steer::cli

int main(int argc, char** argv) { return steer::cli::Main(argc, argv); }
