// SPDX-License-Identifier: MIT
// The one interface every report format implements, and the functions that
// write reports into a directory atomically (temporary name, then rename), so
// a crash or a full disk never leaves a half-written report behind.
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/reports/errors.h"
#include "emmi/reports/result.h"

namespace emmi::reports {

// One output format over a RunReport (Catch2 reporter / lit report style). A
// new format (SARIF, ...) is one new writer file plus its line in the registry
// (src/writer_registry.cpp).
class ReportWriter {
 public:
  virtual ~ReportWriter() = default;
  // Short name used by --format: "json", "junit", "md", "html".
  virtual std::string_view format_name() const noexcept = 0;
  // File written into the report directory: "emmi-report.json".
  virtual std::string_view file_name() const noexcept = 0;
  // Writes the whole document. May throw; the caller discards partial output.
  virtual void write(const RunReport& report, std::ostream& out) const = 0;
};

// Names of every registered format, in registry order: json, junit, md, html.
std::vector<std::string> available_formats();

// The writer for a format name (aliases: "markdown" for "md", "xml" for
// "junit"). Throws UnknownFormatError naming the known formats.
std::unique_ptr<ReportWriter> make_writer(std::string_view format);

// Parses a --format value such as "json,junit,md": comma separated, spaces
// ignored, duplicates dropped, order kept. Throws UnknownFormatError.
std::vector<std::string> parse_format_list(std::string_view list);

// Writes one report with one writer into `directory` (which must exist) via a
// temporary file DIR/<file>.tmp-XXXXXX that is renamed into place. Returns the
// final path. Throws ReportWriteError naming the directory; on any failure no
// temporary file is left.
std::filesystem::path write_report_file(const ReportWriter& writer, const RunReport& report,
                                        const std::filesystem::path& directory);

// Writes every requested format (all registered ones when `formats` is empty)
// into `directory`: emmi-report.json, emmi-report.junit.xml, emmi-report.md,
// emmi-report.html. All temporary files are written first and only then
// renamed, so a failure in any format leaves no new report at all. Returns the
// paths written, in the order of `formats`.
std::vector<std::filesystem::path> write_reports(const RunReport& report,
                                                 const std::filesystem::path& directory,
                                                 const std::vector<std::string>& formats = {});

}  // namespace emmi::reports
