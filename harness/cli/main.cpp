// SPDX-License-Identifier: MIT
// emmi-cts: the command line of the EMMI conformance test suite. A thin
// driver: it parses arguments, hands over to a subcommand, and maps the
// outcome to the documented exit codes.
#include <exception>
#include <iostream>

#include "commands.h"
#include "emmi/errors.h"

namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  conformant / success\n"
    "  1  not conformant\n"
    "  2  usage or input error\n"
    "  3  internal error";

int run(int argc, char** argv) {
  using namespace emmi::cli;
  CLI::App app{
      "emmi-cts: conformance test suite for the Mach External Memory Management "
      "Interface (memory_object_init .. memory_object_terminate)",
      "emmi-cts"};
  app.set_version_flag("--version", std::string("emmi-cts ") + EMMI_CTS_VERSION,
                       "Print the emmi-cts version and exit");
  app.footer(kExitCodes);
  app.require_subcommand(1);

  Invocation invocation;
  add_rules_command(app, invocation);
  add_explain_command(app, invocation);
  add_run_command(app, invocation);
  add_merge_command(app, invocation);
  add_prove_command(app, invocation);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) sub->footer(kExitCodes);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints its own message; the exit code is ours, not CLI11's.
    app.exit(e);
    return kUsageError;
  }
  if (!invocation.run) return kUsageError;
  try {
    return invocation.run(std::cout, std::cerr);
  } catch (const emmi::InputError& e) {
    // Every input error, the reports library's (reports::ReportError) among them.
    std::cerr << "emmi-cts: " << e.what() << '\n';
    return kUsageError;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int code = run(argc, argv);
    std::cout.flush();
    return std::cout ? code : emmi::cli::kInternalError;
  } catch (const std::exception& e) {
    // emmi::InternalError, and what is not one yet (std::system_error, a
    // third-party library's own): all the suite's failure, not the user's.
    std::cerr << "emmi-cts: internal error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "emmi-cts: internal error\n";
  }
  return emmi::cli::kInternalError;
}
