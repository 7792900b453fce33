// SPDX-License-Identifier: MIT
// Errors the reports library raises for bad input or an unusable output place.
// All derive from ReportError, which the command line maps to exit code 2
// (usage or input error); a misbehaving pager is never one of these.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace emmi::reports {

class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The report directory is missing, not a directory, or not writable, or a
// file in it could not be written. Nothing is left behind when this is thrown.
class ReportWriteError : public ReportError {
 public:
  ReportWriteError(std::filesystem::path directory, const std::string& what)
      : ReportError(what), directory_(std::move(directory)) {}
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
      : ReportError(what), source_(std::move(source)) {}
  const std::string& source() const noexcept { return source_; }

 private:
  std::string source_;
};

// Shard reports that cannot be joined: missing or duplicate shards, or shards
// of different runs (pager hash, dialect, profile, seed ...).
class MergeError : public ReportError {
 public:
  using ReportError::ReportError;
};

// A report format name nobody registered ("--format sarif" before it exists).
class UnknownFormatError : public ReportError {
 public:
  using ReportError::ReportError;
};

}  // namespace emmi::reports
