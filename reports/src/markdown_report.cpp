// SPDX-License-Identifier: MIT
// Markdown summary (GitHub-flavoured: tables and fenced code blocks), short
// enough for a pull-request comment; the JSON and HTML reports hold the rest.
#include "emmi/reports/markdown_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "summary.h"
#include "text.h"

namespace emmi::reports {
namespace {

// Table cells: one line, and every character Markdown or inline HTML would
// interpret is escaped, so a pager-provided message cannot break the table.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : detail::one_line(text)) {
    if (std::string_view("\\`*_[]<>|~#").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// A fence longer than any backtick run inside, so content cannot close it.
std::string fence_for(std::string_view content) {
  std::size_t longest = 0, run = 0;
  for (char c : content) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

void code_block(std::ostream& out, std::string_view language, std::string_view content) {
  std::string fence = fence_for(content);
  out << fence << language << '\n' << content;
  if (!content.empty() && content.back() != '\n') out << '\n';
  out << fence << "\n\n";
}

// Inline code that survives backticks in the text (a path, a dialect name).
std::string inline_code(std::string_view text) {
  std::string line = detail::one_line(text);
  if (line.find('`') == std::string::npos) return "`" + line + "`";
  return "`` " + line + " ``";
}

// GitHub refuses comments over 65536 characters; a PR comment stays well
// below that, and the HTML and JSON reports hold everything.
constexpr std::size_t kMaxCounterexamples = 10;
constexpr std::size_t kMaxTraceLines = 60;

std::string_view outcome_mark(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::conformant: return "✅";
    case RunOutcome::not_conformant: return "❌";
    case RunOutcome::incomplete: return "⚠️";
    case RunOutcome::nothing_exercised: return "➖";
  }
  return "";
}

std::string anchor_text(const RuleResult& rule) {
  return fmt::format("{} — {}", rule.id, detail::one_line(rule.title));
}

void counterexample_section(std::ostream& out, const RuleResult& rule) {
  const Counterexample& c = *rule.counterexample;
  out << "### " << cell(anchor_text(rule)) << " (" << rule.verdict.name() << ", " << rule.level
      << "; " << cell(detail::consequence(rule)) << ")\n\n";
  out << cell(rule.message.empty() ? std::string(rule.verdict.description()) : rule.message)
      << "\n\n";
  if (!c.replay_command.empty()) {
    out << "Replay this counterexample:\n\n";
    code_block(out, "sh", c.replay_command);
  }
  if (!c.commands.empty()) {
    std::string commands;
    for (std::size_t i = 0; i < c.commands.size(); ++i) {
      commands += fmt::format("{:>2}. {}\n", i + 1, c.commands[i]);
    }
    out << "Shrunk kernel commands:\n\n";
    code_block(out, "text", commands);
  }
  if (!c.trace.empty()) {
    std::string trace;
    for (std::size_t i = 0; i < c.trace.size() && i < kMaxTraceLines; ++i) {
      trace += detail::trace_line(c.trace[i]) + "\n";
    }
    if (c.trace.size() > kMaxTraceLines) {
      trace += fmt::format("... {} more events in the JSON report\n",
                           c.trace.size() - kMaxTraceLines);
    }
    out << "Message trace:\n\n";
    code_block(out, "text", trace);
  }
  std::string reproduce = fmt::format("seed: {}\n", c.seed);
  if (!c.reproduce.empty()) reproduce += fmt::format("reproduce: {}\n", c.reproduce);
  out << "<details><summary>RapidCheck reproduce string</summary>\n\n";
  code_block(out, "text", reproduce);
  out << "</details>\n\n";
}

}  // namespace

void MarkdownWriter::write(const RunReport& report, std::ostream& out) const {
  RunOutcome outcome = run_outcome(report);
  VerdictCounts counts = count_verdicts(report, Party::pager);

  out << "# " << outcome_mark(outcome) << " emmi-cts: " << outcome_label(outcome) << "\n\n";
  std::string pager = report.pager.name.empty() ? report.pager.path : report.pager.name;
  out << fmt::format("Pager **{}** ({}, sha256 {})  \n", cell(pager),
                     inline_code(report.pager.path),
                     inline_code(report.pager.sha256.substr(0, 16)));
  out << fmt::format("Dialect {} · platform {} · profile {} · seed `{}` · {} cases in {:.1f} s",
                     inline_code(report.dialect), inline_code(report.platform),
                     inline_code(report.profile), report.seed, report.cases_run, report.duration_s);
  if (report.shard)
    out << fmt::format(" · shard {}/{}", report.shard->index + 1, report.shard->total);
  if (!report.merged_from.empty()) {
    out << fmt::format(" · merged from {} shards", report.merged_from.size());
  }
  if (report.conformance_mode) out << " · **conformance mode**";
  out << fmt::format("  \n{} {} · {} · started {}\n\n", cell(report.suite.name),
                     cell(report.suite.version), cell(report.machine.hostname), report.started_at);

  out << cell(detail::platform_text(report)) << ".\n\n";
  out << "## Pager verdicts\n\n";
  out << cell(detail::pager_counts_text(report)) << ".\n\n";
  out << "| verdict | pager rules | fails the run |\n|---|---:|---|\n";
  for (Verdict v : Verdict::all()) {
    if (counts[v] == 0) continue;
    std::string_view fails = !v.is_failure()      ? "no"
                             : v == Verdict::fail ? "only at level MUST"
                                                  : "yes";
    out << fmt::format("| {} | {} | {} |\n", v.name(), counts[v], fails);
  }
  out << fmt::format("| **total** | **{}** | |\n\n", counts.total());

  std::vector<const RuleResult*> non_passing = detail::non_passing_rules(report, Party::pager);
  if (non_passing.empty()) {
    out << "Every pager rule passed.\n\n";
  } else {
    out << "## Pager rules that did not pass\n\n";
    out << "| rule | group | level | verdict | for the run | exercised | message |\n";
    out << "|---|---|---|---|---|---:|---|\n";
    for (const RuleResult* r : non_passing) {
      std::string message = r->verdict == Verdict::waived || r->verdict == Verdict::not_applicable
                                ? detail::skip_reason(*r)
                                : r->message;
      if (!r->portability.empty()) message = "portability: " + r->portability + "; " + message;
      out << fmt::format("| **{}** {} | {} | {} | {} | {} | {} | {} |\n", cell(r->id),
                         cell(r->title), cell(r->group), cell(r->level), r->verdict.name(),
                         cell(detail::consequence(*r)), r->exercised, cell(message));
    }
    out << '\n';
  }

  // The suite's self-checks: duties of the kernel, apart from the verdicts.
  std::vector<const RuleResult*> checks = rules_of(report, Party::kernel);
  if (!checks.empty()) {
    out << "## Suite self-checks\n\n" << cell(detail::self_checks_text(report)) << ".\n\n";
    std::vector<const RuleResult*> broken;
    for (const RuleResult* r : checks)
      if (r->verdict.is_failure()) broken.push_back(r);
    if (!broken.empty()) {
      out << "| rule | group | verdict | message |\n|---|---|---|---|\n";
      for (const RuleResult* r : broken)
        out << fmt::format("| **{}** {} | {} | {} | {} |\n", cell(r->id), cell(r->title),
                           cell(r->group), r->verdict.name(), cell(r->message));
      out << '\n';
    }
  }

  std::size_t shown = 0, with_counterexample = 0;
  std::vector<const RuleResult*> with_evidence = non_passing;
  for (const RuleResult* r : detail::non_passing_rules(report, Party::kernel))
    with_evidence.push_back(r);
  for (const RuleResult* r : with_evidence) {
    if (!r->counterexample) continue;
    ++with_counterexample;
    if (shown == kMaxCounterexamples) continue;
    if (shown++ == 0) out << "## Counterexamples\n\n";
    counterexample_section(out, *r);
  }
  if (with_counterexample > shown) {
    out << fmt::format("{} more counterexamples are in the HTML and JSON reports.\n",
                       with_counterexample - shown);
  }
}

}  // namespace emmi::reports
