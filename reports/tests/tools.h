// SPDX-License-Identifier: MIT
// Test helpers: scratch directories and running the external validators
// (xmllint, python3-jsonschema, chromium). A missing validator is a test
// failure that says which Debian package to install, never a skip: the
// bootstrap installs them, so their absence is a broken setup.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/reports/writer.h"

namespace emmi::reports::testing {

// The whole document a writer produces for a report.
std::string render(const ReportWriter& writer, const RunReport& report);

// A fresh directory under the system temp dir, removed on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;  // -1 if it did not exit normally
  std::string out;
  std::string err;
};

// Runs argv (no shell) with a time limit; captures stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_s = 120);

// The absolute path of an installed tool; fails the current test (and returns
// "") when it is missing, naming the package that provides it.
std::string require_tool(const std::string& path, const std::string& package);

std::string read_file(const std::filesystem::path& file);
void write_file(const std::filesystem::path& file, std::string_view content);

// Every start tag in `text` that begins with `start` (e.g. "<line class=\"arrow\""),
// from '<' to its closing '>'. std::regex is avoided on purpose: GCC 12 warns
// inside <regex> at -O2 with sanitizers, and -Werror is on.
std::vector<std::string> start_tags(const std::string& text, const std::string& start);

// The value of attribute `name` in a start tag; "" if absent.
std::string attribute(const std::string& tag, const std::string& name);

// How often `needle` occurs in `text` (overlaps counted).
std::size_t count(const std::string& text, const std::string& needle);

// Names of the entries of a directory, sorted.
std::vector<std::string> list_dir(const std::filesystem::path& dir);

// Validates a JSON document against a JSON Schema (Draft 2020-12) with Debian
// python3-jsonschema; exit_code 0 when valid, else one line per error on out.
CommandResult validate_json_schema(const std::filesystem::path& schema,
                                   const std::filesystem::path& document);

// One headless Chromium run on a local file: a fresh profile, every
// background network feature off, console messages captured.
struct BrowserRun {
  CommandResult result;
  std::vector<std::string> console;  // every console message the page produced
};
BrowserRun open_in_chromium(const std::filesystem::path& page,
                            const std::vector<std::string>& action);

// Lines joined with '\n', for failure messages.
std::string joined(const std::vector<std::string>& lines);

}  // namespace emmi::reports::testing
