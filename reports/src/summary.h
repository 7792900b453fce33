// SPDX-License-Identifier: MIT
// Plain-text pieces several writers share (JUnit failure text, Markdown code
// blocks, HTML titles), so every format describes a failure the same way.
// Not part of the public API.
#pragma once

#include <string>
#include <vector>

#include "emmi/reports/result.h"

namespace emmi::reports::detail {

// "#3  kernel k0 -> pager t1  memory_object_data_request  seqno=2  [control:send]  -- note"
std::string trace_line(const TraceEvent& event);

// Everything needed to reproduce and understand a rule's verdict, as plain
// text: message, replay command, reproduce string, seed, shrunk commands and
// the trace. Used as JUnit <failure>/<error> element text.
std::string failure_details(const RuleResult& rule);

// Rules of one party whose verdict is not pass, those that fail the run
// first, then by verdict severity (stable within a verdict).
std::vector<const RuleResult*> non_passing_rules(const RunReport& report, Party party);

// Rule groups of one party in order of first appearance, each with its rules
// in order.
std::vector<std::pair<std::string, std::vector<const RuleResult*>>> rules_by_group(
    const RunReport& report, Party party);

// One line on what a rule's verdict means for the run, given its level and
// party: "fails the run", "advisory (SHOULD): does not fail the run",
// "suite bug: the run is incomplete", "held" ...
std::string consequence(const RuleResult& rule);

// The headline counts in words: "30 pager rules: 28 pass, 1 fail, ...".
std::string pager_counts_text(const RunReport& report);

// The self-checks in words: "14 duties of the kernel checked on the suite's
// own simulated kernel: 12 held, 2 never exercised".
std::string self_checks_text(const RunReport& report);

// Why a rule counts neither as pass nor as failure, in one line:
// "waived: <reason> (expires 2025-01-31)" or "not applicable: <message>".
std::string skip_reason(const RuleResult& rule);

// What the report's platform means, in one sentence with the kernels' page
// sizes and the objects the run played (from the parameters).
std::string platform_text(const RunReport& report);

// The lane a trace event ends on (lane_from when it is local to one lane).
const std::string& target_lane(const TraceEvent& event);

}  // namespace emmi::reports::detail
