// SPDX-License-Identifier: MIT
// Shared plain-text descriptions of verdicts and counterexamples.
#include "summary.h"

#include <algorithm>

#include <fmt/format.h>

namespace emmi::reports::detail {

const std::string& target_lane(const TraceEvent& event) {
  return event.lane_to.empty() ? event.lane_from : event.lane_to;
}

std::string trace_line(const TraceEvent& e) {
  std::string line = fmt::format("#{:<3} {} -> {}  {}", e.index, e.lane_from, target_lane(e),
                                 e.label);
  if (e.seqno) line += fmt::format("  seqno={}", *e.seqno);
  if (!e.rights.empty()) line += fmt::format("  [{}]", e.rights);
  if (!e.note.empty()) line += fmt::format("  -- {}", e.note);
  return line;
}

std::string failure_details(const RuleResult& rule) {
  std::string text = fmt::format("{} {} ({}, {} rule; {}): {}\n", rule.id, rule.verdict.label(),
                                 rule.level, to_string(rule.party), consequence(rule),
                                 rule.message);
  text += fmt::format("exercised {} time(s)\n", rule.exercised);
  if (!rule.portability.empty()) text += fmt::format("portability: {}\n", rule.portability);
  if (!rule.counterexample) return text;
  const Counterexample& c = *rule.counterexample;
  if (!c.replay_command.empty()) text += fmt::format("\nreplay: {}\n", c.replay_command);
  if (!c.reproduce.empty()) text += fmt::format("reproduce: {}\n", c.reproduce);
  text += fmt::format("seed: {}\n", c.seed);
  if (!c.commands.empty()) {
    text += "\nshrunk kernel commands:\n";
    for (std::size_t i = 0; i < c.commands.size(); ++i) {
      text += fmt::format("  {:>2}. {}\n", i + 1, c.commands[i]);
    }
  }
  if (!c.trace.empty()) {
    text += "\nmessage trace:\n";
    for (const TraceEvent& e : c.trace) text += fmt::format("  {}\n", trace_line(e));
  }
  return text;
}

std::vector<const RuleResult*> non_passing_rules(const RunReport& report, Party party) {
  std::vector<const RuleResult*> rules;
  for (const RuleResult& r : report.rules) {
    if (r.party == party && r.verdict != Verdict::pass) rules.push_back(&r);
  }
  std::stable_sort(rules.begin(), rules.end(), [](const RuleResult* a, const RuleResult* b) {
    if (fails_run(*a) != fails_run(*b)) return fails_run(*a);
    return a->verdict.severity() > b->verdict.severity();
  });
  return rules;
}

std::string consequence(const RuleResult& rule) {
  if (rule.party == Party::kernel) {
    if (rule.verdict.is_failure()) return "suite bug: the run is incomplete";
    if (rule.verdict == Verdict::pass) return "held: the suite's kernel kept this duty";
    return "self-check, not a pager verdict";
  }
  if (is_advisory(rule)) return fmt::format("advisory ({}): does not fail the run", rule.level);
  if (is_portability(rule))
    return "portability: breaks the manual's strict reading, harmless on this platform; does not "
           "fail the run";
  if (rule.verdict == Verdict::unresolved) return "suite problem: the run is incomplete";
  if (fails_run(rule)) return "fails the run";
  if (rule.verdict == Verdict::not_applicable) return "shows nothing (not a pass)";
  if (rule.verdict == Verdict::waived) return "waived: does not fail the run";
  return "does not fail the run";
}

std::string pager_counts_text(const RunReport& report) {
  VerdictCounts counts = count_verdicts(report, Party::pager);
  std::string text = fmt::format("{} pager rules", counts.total());
  std::string parts;
  for (Verdict v : Verdict::all()) {
    if (counts[v] == 0) continue;
    parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", counts[v], v.name());
  }
  if (!parts.empty()) text += ": " + parts;
  if (std::size_t advisory = count_advisory(report); advisory > 0)
    text += fmt::format(" ({} advisory: not MUST, do not fail the run)", advisory);
  if (std::size_t portability = count_portability(report); portability > 0)
    text += fmt::format(" ({} portability: harmless on the {} platform, do not fail the run)",
                        portability, report.platform);
  return text;
}

std::string platform_text(const RunReport& report) {
  auto parameter = [&](const char* key) {
    auto it = report.parameters.find(key);
    return it == report.parameters.end() ? std::string("?") : it->second;
  };
  std::string world = fmt::format("kernel page sizes {}; {} object(s)",
                                  parameter("kernel_page_sizes"), parameter("objects"));
  if (report.platform == "gnumach")
    return fmt::format(
        "platform gnumach: judged for GNU Mach, one kernel per object port with "
        "its native 4 KiB pages ({}); an unsolicited supply (X6) or a release of "
        "a right not held (X18) is harmless there: a portability finding, not a "
        "failure",
        world);
  if (report.platform == "manual")
    return fmt::format(
        "platform manual: judged by the strict reading of the manual pages, "
        "several kernels with mixed page sizes, two of them equal ({}); X6 and "
        "X18 read strictly",
        world);
  if (report.platform == "osf")
    return fmt::format(
        "platform osf: judged for an OSF Mach kernel speaking the OSF dialect, one "
        "kernel per object port with 4 KiB pages ({}); an unsolicited supply "
        "(X6) or a release of a right not held (X18) is harmless there: a "
        "portability finding, not a failure",
        world);
  return fmt::format("platform {} ({})", report.platform, world);
}

std::string self_checks_text(const RunReport& report) {
  VerdictCounts counts = count_verdicts(report, Party::kernel);
  std::string text = fmt::format(
      "{} rules bind the kernel, which only the suite's own simulated kernel can break; "
      "they are self-checks of the suite, not verdicts on the pager: {} held, {} not exercised",
      counts.total(), counts[Verdict::pass], counts[Verdict::not_applicable]);
  std::size_t broken = counts.total() - counts[Verdict::pass] - counts[Verdict::not_applicable] -
                       counts[Verdict::waived];
  if (counts[Verdict::waived] > 0) text += fmt::format(", {} waived", counts[Verdict::waived]);
  if (broken > 0) text += fmt::format(", {} broken (suite bugs: the run is incomplete)", broken);
  return text;
}

std::vector<std::pair<std::string, std::vector<const RuleResult*>>> rules_by_group(
    const RunReport& report, Party party) {
  std::vector<std::pair<std::string, std::vector<const RuleResult*>>> groups;
  for (const RuleResult& r : report.rules) {
    if (r.party != party) continue;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == r.group; });
    if (it == groups.end()) {
      groups.emplace_back(r.group, std::vector<const RuleResult*>{});
      it = std::prev(groups.end());
    }
    it->second.push_back(&r);
  }
  return groups;
}

std::string skip_reason(const RuleResult& rule) {
  if (rule.verdict == Verdict::waived) {
    std::string reason = rule.waiver ? rule.waiver->reason : rule.message;
    std::string text = fmt::format("waived: {}", reason.empty() ? "no reason given" : reason);
    if (rule.waiver && rule.waiver->expires) {
      text += fmt::format(" (expires {})", *rule.waiver->expires);
    }
    return text;
  }
  return fmt::format("not applicable: {}",
                     rule.message.empty() ? "never exercised in this run" : rule.message);
}

}  // namespace emmi::reports::detail
