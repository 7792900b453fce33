// SPDX-License-Identifier: MIT
// JUnit XML for CI systems (GitLab, Jenkins, GitHub actions), in the subset
// described by reports/schema/junit.xsd: one testsuite per rule group of the
// pager's rules, one testcase per rule, then one testsuite "emmi.self-checks"
// holding the suite's self-checks (rules binding the kernel), so no dashboard
// adds them to the pager's results.
//
// Mapping of verdicts (chosen so CI pages show what matters):
//   pass                 plain testcase
//   fail, MUST rule      <failure message="..." type="fail"> with the
//                        counterexample, replay command and reproduce string
//                        in the element text (GitLab shows only the text)
//   fail, other level    <skipped message="advisory finding, SHOULD rule (does
//                        not fail the run): ...">, the failure text in
//                        <system-out>: CI stays green, nothing is hidden
//   timeout, crash,      <error message="..." type="<verdict>">: the case did
//   resource-exhausted   not run to completion; a pager non-conformance all the
//                        same (the JUnit "error" meaning: abnormal termination)
//   unresolved           <error type="unresolved">, message prefixed "suite
//                        problem:" (a self-check: "suite bug:") so it is not
//                        read as the pager's fault
//   not-applicable       <skipped message="not applicable: ...">
//   waived               <skipped message="waived: reason (expires ...)">: it
//                        does not count against the run, and a skip with a
//                        reason is what every CI UI shows
// Every testcase also carries <properties> with verdict, level, party,
// fails_run and exercised,
// so nothing of the verdict is lost. Characters XML 1.0 forbids (control
// characters, invalid UTF-8) are removed from all text.
#pragma once

#include "emmi/reports/writer.h"

namespace emmi::reports {

class JunitWriter final : public ReportWriter {
 public:
  std::string_view format_name() const noexcept override { return "junit"; }
  std::string_view file_name() const noexcept override { return "emmi-report.junit.xml"; }
  void write(const RunReport& report, std::ostream& out) const override;
};

}  // namespace emmi::reports
