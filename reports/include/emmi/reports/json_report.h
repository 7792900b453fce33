// SPDX-License-Identifier: MIT
// The canonical record of a run: JSON in the versioned format described by
// reports/schema/emmi-report-v4.schema.json, its writer, and the reader that
// `emmi-cts merge` uses to load shard reports back.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "emmi/reports/result.h"
#include "emmi/reports/writer.h"

namespace emmi::reports {

inline constexpr std::string_view kReportFormat = "emmi-cts-report";
inline constexpr int kReportFormatVersion = 4;

// Version 4 adds the osf platform (an OSF Mach kernel speaking the OSF
// dialect); a reader of version 4 refuses version 3, whose platform could
// not say that an OSF pager was judged by OSF kernels.
// Version 3 adds the target "platform" (gnumach or manual), a rule's
// "portability" (a finding harmless on that platform, which never fails the
// run) and the summary's portability count; a reader of version 3 refuses
// versions 1 and 2 (they judged every pager by one world, without saying so).
// Version 2 put the pager's verdicts in "rules" and the suite's self-checks
// (rules binding the kernel) in "self_checks", gives every rule its "party"
// and whether it "fails_run", and the summary counts the pager rules only.
// Derived fields (summary, fails_run) are written for readers' convenience;
// report_from_json recomputes them and ignores what is stored.
nlohmann::json report_to_json(const RunReport& report);

// `source` names the input in error messages (a file name, "<stdin>").
// Throws ReportReadError: "shard-2.json: rules[3].verdict: expected one of
// pass, fail, ...; got \"passs\"".
RunReport report_from_json(const nlohmann::json& document, std::string_view source);
RunReport parse_report(std::string_view text, std::string_view source);
RunReport read_report_file(const std::filesystem::path& file);

class JsonWriter final : public ReportWriter {
 public:
  std::string_view format_name() const noexcept override { return "json"; }
  std::string_view file_name() const noexcept override { return "emmi-report.json"; }
  void write(const RunReport& report, std::ostream& out) const override;
};

}  // namespace emmi::reports
