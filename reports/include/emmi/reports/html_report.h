// SPDX-License-Identifier: MIT
// A self-contained HTML report: one file with inline CSS, inline JS and inline
// SVG, no network access at all (a Content-Security-Policy forbids it). It
// holds a filterable rule table and, for every counterexample, a
// message-sequence chart of the shrunk run.
#pragma once

#include <string>

#include "emmi/reports/result.h"
#include "emmi/reports/writer.h"

namespace emmi::reports {

class HtmlWriter final : public ReportWriter {
 public:
  std::string_view format_name() const noexcept override { return "html"; }
  std::string_view file_name() const noexcept override { return "emmi-report.html"; }
  void write(const RunReport& report, std::ostream& out) const override;
};

// The message-sequence chart of a trace as an inline <svg> element: one
// vertical lane per kernel (left) and per pager thread (right), one arrow per
// event in trace order, labelled with message name, seqno and rights. `id`
// must be unique in the page (it prefixes the SVG's internal ids).
std::string sequence_chart_svg(const std::vector<TraceEvent>& trace, std::string_view id);

}  // namespace emmi::reports
