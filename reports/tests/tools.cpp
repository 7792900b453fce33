// SPDX-License-Identifier: MIT
// Scratch directories and external tool runs for the report tests.
#include "tools.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace emmi::reports::testing {
namespace fs = std::filesystem;

std::string render(const ReportWriter& writer, const RunReport& report) {
  std::ostringstream out;
  writer.write(report, out);
  return out.str();
}

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "emmi-reports-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  for (const auto& entry : fs::recursive_directory_iterator(path_, ec)) {
    if (entry.is_directory(ec)) {
      fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
  }
  fs::remove_all(path_, ec);
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& file, std::string_view content) {
  std::ofstream out(file, std::ios::binary);
  out << content;
}

std::vector<std::string> start_tags(const std::string& text, const std::string& start) {
  std::vector<std::string> tags;
  for (std::size_t at = text.find(start); at != std::string::npos; at = text.find(start, at + 1)) {
    std::size_t end = text.find('>', at);
    if (end == std::string::npos) break;
    tags.push_back(text.substr(at, end - at + 1));
  }
  return tags;
}

std::string attribute(const std::string& tag, const std::string& name) {
  std::string key = " " + name + "=\"";
  std::size_t at = tag.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  return tag.substr(at, tag.find('"', at) - at);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

CommandResult run_command(const std::vector<std::string>& argv, int timeout_s) {
  CommandResult result;
  ScratchDir capture;
  fs::path out_file = capture / "stdout";
  fs::path err_file = capture / "stderr";
  pid_t pid = ::fork();
  if (pid < 0) return result;
  if (pid == 0) {
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // coreutils timeout enforces the limit (and kills the tool's children).
    std::vector<std::string> full = {"/usr/bin/timeout", "--kill-after=5",
                                     std::to_string(timeout_s)};
    full.insert(full.end(), argv.begin(), argv.end());
    std::vector<char*> args;
    for (const std::string& a : full) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 124 || WEXITSTATUS(status) == 137)) {
    ADD_FAILURE() << argv[0] << " did not finish within " << timeout_s << " s";
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out_file);
  result.err = read_file(err_file);
  return result;
}

std::string require_tool(const std::string& path, const std::string& package) {
  if (::access(path.c_str(), X_OK) != 0) {
    ADD_FAILURE() << path << " is missing: install the Debian package " << package
                  << " (.ci/bootstrap installs it)";
    return "";
  }
  return path;
}

namespace {
// Draft 2020-12, one line per error.
constexpr const char* kValidateJson = R"PY(
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
document = json.load(open(sys.argv[2]))
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
for e in errors:
    print("/".join(str(p) for p in e.absolute_path) + ": " + e.message)
sys.exit(1 if errors else 0)
)PY";
}  // namespace

CommandResult validate_json_schema(const fs::path& schema, const fs::path& document) {
  std::string python = require_tool("/usr/bin/python3", "python3");
  if (python.empty()) return {};
  auto probe = run_command({python, "-c", "import jsonschema"});
  EXPECT_EQ(probe.exit_code, 0) << "python3-jsonschema is missing: install the Debian package "
                                   "python3-jsonschema (.ci/bootstrap installs it)\n"
                                << probe.err;
  return run_command({python, "-c", kValidateJson, schema.string(), document.string()});
}

BrowserRun open_in_chromium(const fs::path& page, const std::vector<std::string>& action) {
  BrowserRun run;
  std::string chromium = require_tool("/usr/bin/chromium", "chromium");
  if (chromium.empty()) return run;
  ScratchDir profile;
  std::vector<std::string> argv = {chromium,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + profile.path().string(),
                                   "--enable-logging=stderr",
                                   "--v=0"};
  argv.insert(argv.end(), action.begin(), action.end());
  argv.push_back("file://" + fs::absolute(page).string());
  run.result = run_command(argv, 180);
  // Chromium logs each console message as "[...:INFO:CONSOLE:12] "text", source: ...".
  std::istringstream lines(run.result.err);
  for (std::string line; std::getline(lines, line);) {
    std::size_t at = line.find(":CONSOLE");
    if (at == std::string::npos) continue;
    std::size_t text = line.find("] ", at);
    run.console.push_back(text == std::string::npos ? line : line.substr(text + 2));
  }
  return run;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace emmi::reports::testing
