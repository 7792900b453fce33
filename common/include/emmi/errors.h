// SPDX-License-Identifier: MIT
// The suite's two exception roots. Every error that reaches the command line
// derives from one of them, so the CLI maps exceptions to exit codes in one
// place and no library translates another library's errors:
//   emmi::InputError     what the user gave is wrong (a file, an option, a
//                        report, a catalogue document): exit code 2.
//   emmi::InternalError  the suite itself failed (it cannot fork, a worker
//                        died, a broken invariant of its own): exit code 3.
// A misbehaving pager is neither: it gets a verdict, not an exception.
//
// Header-only and dependent on nothing but the standard library, so every
// part of the project (model, properties, reports, harness) may include it
// without an arrow pointing up.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace emmi {

class InputError : public std::runtime_error {
 public:
  // `input` names the input at fault as the user knows it: a file's path,
  // or the option or environment variable whose value is wrong ("--shard",
  // "GTEST_SHARD_INDEX"). `message` is the whole sentence the user reads.
  InputError(std::string input, const std::string& message)
      : std::runtime_error(message), input_(std::move(input)) {}

  const std::string& input() const noexcept { return input_; }

 private:
  std::string input_;
};

class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace emmi
