// SPDX-License-Identifier: MIT
// A Markdown summary for a CI job page or a pull-request comment: headline
// verdict, counts per verdict, the rules that did not pass, and each
// counterexample with its replay command in code blocks.
#pragma once

#include "emmi/reports/writer.h"

namespace emmi::reports {

class MarkdownWriter final : public ReportWriter {
 public:
  std::string_view format_name() const noexcept override { return "md"; }
  std::string_view file_name() const noexcept override { return "emmi-report.md"; }
  void write(const RunReport& report, std::ostream& out) const override;
};

}  // namespace emmi::reports
