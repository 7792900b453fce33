// SPDX-License-Identifier: MIT
// Errors the reports library raises for bad input or an unusable output place.
// All derive from ReportError, an emmi::InputError (common/include/emmi/errors.h)
// naming the input at fault, which the command line maps to exit code 2 with
// every other input error; a misbehaving pager is never one of these.
#pragma once

#include <filesystem>
#include <string>

#include "emmi/errors.h"

namespace emmi::reports {

class ReportError : public InputError {
 public:
  using InputError::InputError;
};

// The report directory is missing, not a directory, or not writable, or a
// file in it could not be written. Nothing is left behind when this is thrown.
class ReportWriteError : public ReportError {
 public:
  ReportWriteError(std::filesystem::path directory, const std::string& what)
      : ReportError(directory.string(), what), directory_(std::move(directory)) {}
  const std::filesystem::path& directory() const noexcept { return directory_; }

 private:
  std::filesystem::path directory_;
};

// A JSON report could not be read: unreadable, not JSON, or not a report of a
// format version this reader understands. The message names the source and
// the field at fault.
class ReportReadError : public ReportError {
 public:
  ReportReadError(std::string source, const std::string& what)
      : ReportError(std::move(source), what) {}
  const std::string& source() const noexcept { return input(); }
};

// Shard reports that cannot be joined: missing or duplicate shards, or shards
// of different runs (pager hash, dialect, profile, seed ...).
class MergeError : public ReportError {
 public:
  explicit MergeError(const std::string& what) : ReportError("the shard reports", what) {}
};

// A report format name nobody registered ("--format sarif" before it exists).
class UnknownFormatError : public ReportError {
 public:
  explicit UnknownFormatError(const std::string& what)
      : ReportError("the report format list", what) {}
};

}  // namespace emmi::reports
