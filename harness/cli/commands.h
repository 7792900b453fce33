// SPDX-License-Identifier: MIT
// The emmi-cts subcommands. Each lives in its own cmd_<name>.cpp and
// registers itself on the CLI11 app; adding one is a new file, one line in
// CMakeLists.txt and one line in main.cpp.
#pragma once

#include <functional>
#include <iosfwd>

#include <CLI/CLI.hpp>

#include "emmi/errors.h"

namespace emmi::cli {

// Process exit codes, documented in --help.
enum ExitCode : int {
  kConformant = 0,     // success, or the pager conforms
  kNotConformant = 1,  // the pager broke at least one rule
  kUsageError = 2,     // bad command line or bad input (unknown rule, corrupt file)
  kInternalError = 3,  // a bug or failure of the suite itself
};

// Bad input a command finds after parsing (an unknown rule ID, a pager that
// will not load, a corrupt report) is an emmi::InputError (emmi/errors.h),
// whichever library finds it: main prints "emmi-cts: <message>" and exits
// with kUsageError. Everything else that escapes is kInternalError.

// What a parsed subcommand will do. Registration sets `run`; main calls it
// after CLI11 has parsed the whole command line.
struct Invocation {
  std::function<int(std::ostream& out, std::ostream& err)> run;
};

void add_rules_command(CLI::App& app, Invocation& invocation);
void add_explain_command(CLI::App& app, Invocation& invocation);
void add_run_command(CLI::App& app, Invocation& invocation);
void add_merge_command(CLI::App& app, Invocation& invocation);
void add_prove_command(CLI::App& app, Invocation& invocation);

}  // namespace emmi::cli
