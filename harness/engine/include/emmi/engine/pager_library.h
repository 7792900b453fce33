// Loading a pager under test: a shared object implementing the entry ABI
// (emmi/pager_abi.h). Every way the input can be wrong gets an error that
// names the file and what was expected.
#pragma once

#include <stdexcept>
#include <string>

struct emmi_pager;

namespace emmi::engine {

// Bad input from the user (exit code 2 at the command line).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PagerLibrary {
  std::string path;    // as given
  std::string sha256;  // of the file's bytes
  std::string name;    // the pager's own name (emmi_pager::name)
  const emmi_pager* pager = nullptr;
  void* handle = nullptr;

  // dlopen()s `path`, finds emmi_pager_entry, checks the ABI version and
  // start/stop. Throws InputError otherwise. The library stays loaded for the
  // life of the process (children of fork() inherit it).
  static PagerLibrary load(const std::string& path);
};

// Where the bundled reference pager is, relative to the running executable
// (build tree: bin/../lib; installed: bin/../lib/emmi-cts).
std::string default_pager_path();

}  // namespace emmi::engine
