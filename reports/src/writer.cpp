// SPDX-License-Identifier: MIT
// Atomic report output: each document is rendered in memory, written to
// DIR/<file>.tmp-XXXXXX, flushed to disk and renamed over the final name, so
// readers (a CI artifact upload, a person) see either the old report or the
// whole new one, never a truncated file.
#include "emmi/reports/writer.h"

#include <cerrno>
#include <cstring>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace emmi::reports {
namespace fs = std::filesystem;
namespace {

struct PendingFile {
  fs::path temporary;
  fs::path final;
};

std::string quoted(const fs::path& p) { return fmt::format("'{}'", p.string()); }

void check_directory(const fs::path& directory) {
  std::error_code ec;
  fs::file_status status = fs::status(directory, ec);
  if (status.type() == fs::file_type::not_found) {
    throw ReportWriteError(directory, fmt::format("cannot write reports: directory {} does "
                                                  "not exist",
                                                  quoted(directory)));
  }
  if (ec) {
    throw ReportWriteError(directory, fmt::format("cannot write reports: directory {}: {}",
                                                  quoted(directory), ec.message()));
  }
  if (status.type() != fs::file_type::directory) {
    throw ReportWriteError(directory, fmt::format("cannot write reports: {} is not a directory",
                                                  quoted(directory)));
  }
}

std::string render(const ReportWriter& writer, const RunReport& report) {
  std::ostringstream out;
  writer.write(report, out);
  return std::move(out).str();
}

void remove_quietly(const fs::path& p) {
  std::error_code ignored;
  fs::remove(p, ignored);
}

// Writes `content` to a fresh temporary file beside `final`; returns its name.
fs::path write_temporary(const fs::path& directory, const fs::path& final,
                         const std::string& content) {
  std::string pattern = final.string() + ".tmp-XXXXXX";
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    int err = errno;
    throw ReportWriteError(directory, fmt::format("cannot write reports: cannot create a file in "
                                                  "directory {}: {}",
                                                  quoted(directory), std::strerror(err)));
  }
  fs::path temporary = pattern;
  auto fail = [&](const char* what) {
    int err = errno;
    ::close(fd);
    remove_quietly(temporary);
    throw ReportWriteError(directory, fmt::format("cannot write report {}: {}: {}", quoted(final),
                                                  what, std::strerror(err)));
  };
  // mkstemp creates 0600; reports are meant to be read by others (CI uploads).
  if (::fchmod(fd, 0644) != 0) fail("chmod");
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    int err = errno;
    remove_quietly(temporary);
    throw ReportWriteError(directory, fmt::format("cannot write report {}: close: {}",
                                                  quoted(final), std::strerror(err)));
  }
  return temporary;
}

// Renames every pending file into place. A rename failing part way leaves the
// reports renamed so far (each complete) and removes the other temporaries.
void commit(const fs::path& directory, const std::vector<PendingFile>& pending) {
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (std::rename(pending[i].temporary.c_str(), pending[i].final.c_str()) != 0) {
      int err = errno;
      for (std::size_t j = i; j < pending.size(); ++j) remove_quietly(pending[j].temporary);
      throw ReportWriteError(directory, fmt::format("cannot write report {}: rename: {}",
                                                    quoted(pending[i].final), std::strerror(err)));
    }
  }
  // Make the renames durable too; failure here loses nothing already visible.
  int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

std::vector<std::filesystem::path> write_all(
    const std::vector<std::pair<const ReportWriter*, std::string>>& documents,
    const fs::path& directory) {
  std::vector<PendingFile> pending;
  try {
    for (const auto& [writer, content] : documents) {
      fs::path final = directory / std::string(writer->file_name());
      pending.push_back({write_temporary(directory, final, content), final});
    }
  } catch (...) {
    for (const PendingFile& p : pending) remove_quietly(p.temporary);
    throw;
  }
  commit(directory, pending);
  std::vector<fs::path> written;
  for (const PendingFile& p : pending) written.push_back(p.final);
  return written;
}

}  // namespace

fs::path write_report_file(const ReportWriter& writer, const RunReport& report,
                           const fs::path& directory) {
  check_directory(directory);
  return write_all({{&writer, render(writer, report)}}, directory).front();
}

std::vector<fs::path> write_reports(const RunReport& report, const fs::path& directory,
                                    const std::vector<std::string>& formats) {
  std::vector<std::unique_ptr<ReportWriter>> writers;
  for (const std::string& name : formats.empty() ? available_formats() : formats) {
    writers.push_back(make_writer(name));
  }
  check_directory(directory);
  std::vector<std::pair<const ReportWriter*, std::string>> documents;
  for (const auto& writer : writers) documents.emplace_back(writer.get(), render(*writer, report));
  return write_all(documents, directory);
}

}  // namespace emmi::reports
