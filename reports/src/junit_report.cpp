// SPDX-License-Identifier: MIT
// JUnit XML writer; the verdict mapping is documented in junit_report.h and
// the emitted subset is described by reports/schema/junit.xsd.
#include "emmi/reports/junit_report.h"

#include <fmt/format.h>

#include "summary.h"
#include "text.h"

namespace emmi::reports {
namespace {

using detail::one_line;
using detail::xml_escape;

std::string attr(std::string_view text) { return xml_escape(text, true); }

struct Tally {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;

  void add(const RuleResult& rule) {
    ++tests;
    Verdict v = rule.verdict;
    if (is_advisory(rule) || is_portability(rule)) {  // skipped with the finding, see testcase()
      ++skipped;
      return;
    }
    switch (v.code()) {
      case Verdict::Code::fail: ++failures; break;
      case Verdict::Code::timeout:
      case Verdict::Code::crash:
      case Verdict::Code::resource_exhausted:
      case Verdict::Code::unresolved: ++errors; break;
      case Verdict::Code::not_applicable:
      case Verdict::Code::waived: ++skipped; break;
      case Verdict::Code::pass: break;
    }
  }

  std::string attributes() const {
    return fmt::format(R"(tests="{}" failures="{}" errors="{}" skipped="{}")", tests, failures,
                       errors, skipped);
  }
};

void property(std::ostream& out, std::string_view indent, std::string_view name,
              std::string_view value) {
  out << indent << "<property name=\"" << attr(name) << "\" value=\"" << attr(value) << "\"/>\n";
}

void run_properties(std::ostream& out, const RunReport& r) {
  constexpr std::string_view in = "      ";
  out << "    <properties>\n";
  property(out, in, "suite", fmt::format("{} {}", r.suite.name, r.suite.version));
  property(out, in, "pager.name", r.pager.name);
  property(out, in, "pager.path", r.pager.path);
  property(out, in, "pager.sha256", r.pager.sha256);
  property(out, in, "dialect", r.dialect);
  property(out, in, "platform", r.platform);
  property(out, in, "profile", r.profile);
  property(out, in, "seed", std::to_string(r.seed));
  property(out, in, "conformance_mode", r.conformance_mode ? "true" : "false");
  if (r.shard) {
    property(out, in, "shard", fmt::format("{}/{}", r.shard->index + 1, r.shard->total));
  }
  for (const auto& [key, value] : r.parameters) property(out, in, "parameter." + key, value);
  property(out, in, "outcome", outcome_label(run_outcome(r)));
  property(out, in, "overall", overall_verdict(r).name());
  property(out, in, "pager_rules", detail::pager_counts_text(r));
  property(out, in, "self_checks", detail::self_checks_text(r));
  out << "    </properties>\n";
}

// The message attribute must never be empty: GitLab and several GitHub
// actions show nothing at all for a failure without one.
std::string failure_message(const RuleResult& rule) {
  std::string message = one_line(rule.message);
  if (message.empty()) message = fmt::format("{} {}", rule.id, rule.verdict.label());
  if (rule.party == Party::kernel) {
    message =
        "suite bug: a duty of the suite's own simulated kernel broke (not a pager "
        "non-conformance): " +
        message;
  } else if (rule.verdict == Verdict::unresolved) {
    message = "suite problem (not a pager non-conformance): " + message;
  }
  return message;
}

void testcase(std::ostream& out, const RuleResult& rule, const std::string& classname) {
  std::string name = fmt::format("{}: {}", rule.id, one_line(rule.title));
  if (rule.party == Party::kernel) name += " (suite self-check)";
  out << "    <testcase classname=\"" << attr(classname) << "\" name=\"" << attr(name) << "\">\n";
  out << "      <properties>\n";
  constexpr std::string_view in = "        ";
  property(out, in, "verdict", rule.verdict.name());
  property(out, in, "level", rule.level);
  property(out, in, "party", to_string(rule.party));
  property(out, in, "fails_run", fails_run(rule) ? "true" : "false");
  property(out, in, "exercised", std::to_string(rule.exercised));
  if (!rule.portability.empty()) property(out, in, "portability", rule.portability);
  out << "      </properties>\n";
  if (is_portability(rule)) {
    // Harmless on the report's platform, broken under the manual's reading:
    // like an advisory finding, never red and never a pass.
    out << "      <skipped message=\""
        << attr(fmt::format("portability finding (does not fail the run): {}; {}",
                            one_line(rule.portability),
                            one_line(rule.message.empty() ? rule.id : rule.message)))
        << "\"/>\n";
    out << "      <system-out>" << xml_escape(detail::failure_details(rule)) << "</system-out>\n";
    out << "    </testcase>\n";
    return;
  }
  if (is_advisory(rule)) {
    // A broken rule whose level does not fail the run: CI must not go red
    // for it, and it must not look like a pass either.
    out << "      <skipped message=\""
        << attr(fmt::format("advisory finding, {} rule (does not fail the run): {}", rule.level,
                            one_line(rule.message.empty() ? rule.id : rule.message)))
        << "\"/>\n";
    out << "      <system-out>" << xml_escape(detail::failure_details(rule)) << "</system-out>\n";
    out << "    </testcase>\n";
    return;
  }
  switch (rule.verdict.code()) {
    case Verdict::Code::pass: break;
    case Verdict::Code::fail:
    case Verdict::Code::timeout:
    case Verdict::Code::crash:
    case Verdict::Code::resource_exhausted:
    case Verdict::Code::unresolved: {
      std::string_view element = rule.verdict == Verdict::fail ? "failure" : "error";
      out << "      <" << element << " message=\"" << attr(failure_message(rule)) << "\" type=\""
          << rule.verdict.name() << "\">" << xml_escape(detail::failure_details(rule)) << "</"
          << element << ">\n";
      break;
    }
    case Verdict::Code::not_applicable:
    case Verdict::Code::waived:
      out << "      <skipped message=\"" << attr(one_line(detail::skip_reason(rule))) << "\"/>\n";
      break;
  }
  if (rule.verdict == Verdict::pass && !rule.message.empty()) {
    out << "      <system-out>" << xml_escape(rule.message) << "</system-out>\n";
  }
  out << "    </testcase>\n";
}

// started_at is xs:dateTime in the schema; an unset one is left out.
std::string timestamp(const RunReport& report) {
  if (report.started_at.empty()) return "";
  return fmt::format(" timestamp=\"{}\"", attr(report.started_at));
}

}  // namespace

void JunitWriter::write(const RunReport& report, std::ostream& out) const {
  Tally all;
  for (const RuleResult& r : report.rules) all.add(r);

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\""
      << attr(fmt::format("{}: {}", report.suite.name,
                          report.pager.name.empty() ? report.pager.path : report.pager.name))
      << "\" " << all.attributes() << " time=\"" << fmt::format("{:.3f}", report.duration_s) << "\""
      << timestamp(report) << ">\n";
  // The pager's verdicts: one testsuite per rule group.
  for (const auto& [group, rules] : detail::rules_by_group(report, Party::pager)) {
    Tally tally;
    for (const RuleResult* r : rules) tally.add(*r);
    std::string classname = "emmi." + group;
    out << "  <testsuite name=\"" << attr(classname) << "\" " << tally.attributes()
        << timestamp(report) << " hostname=\"" << attr(report.machine.hostname) << "\">\n";
    run_properties(out, report);
    for (const RuleResult* r : rules) testcase(out, *r, classname);
    out << "  </testsuite>\n";
  }
  // The suite's self-checks (rules binding the kernel), in a testsuite of
  // their own so no dashboard adds them to the pager's results.
  std::vector<const RuleResult*> checks = rules_of(report, Party::kernel);
  if (!checks.empty()) {
    Tally tally;
    for (const RuleResult* r : checks) tally.add(*r);
    out << "  <testsuite name=\"emmi.self-checks\" " << tally.attributes() << timestamp(report)
        << " hostname=\"" << attr(report.machine.hostname) << "\">\n";
    run_properties(out, report);
    for (const RuleResult* r : checks) testcase(out, *r, "emmi.self-checks." + r->group);
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace emmi::reports
