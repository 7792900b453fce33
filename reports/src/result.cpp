// SPDX-License-Identifier: MIT
// Verdict semantics live in one table here; everything else asks the verdict.
#include "emmi/reports/result.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace emmi::reports {
namespace {

struct VerdictTraits {
  std::string_view name;
  std::string_view label;
  bool failure;
  bool nonconformance;
  int severity;
  std::string_view description;
};

// Indexed by Verdict::Code. Severity: see the table in result.h.
constexpr std::array<VerdictTraits, Verdict::kCount> kTraits{{
    {"pass", "PASS", false, false, 1, "Exercised and never violated."},
    {"fail", "FAIL", true, true, 7, "The pager broke the rule; a counterexample shows how."},
    {"not-applicable", "NOT APPLICABLE", false, false, 0,
     "Never exercised in this run (dialect or profile); not a pass, but not a failure."},
    {"timeout", "TIMEOUT", true, true, 5,
     "The pager hung or left a request unanswered past quiescence plus the bound."},
    {"crash", "CRASH", true, true, 6, "The pager process died while the rule was checked."},
    {"resource-exhausted", "RESOURCE EXHAUSTED", true, true, 4,
     "The pager ran past its memory, CPU or port limits."},
    {"unresolved", "UNRESOLVED", true, false, 3,
     "The suite could not reach a verdict (a suite-side problem): the run is incomplete, "
     "but this is not a pager non-conformance."},
    {"waived", "WAIVED", false, false, 2,
     "Failed, but a current waiver accepts the failure (never in conformance mode)."},
}};

const VerdictTraits& traits(Verdict v) noexcept { return kTraits[v.index()]; }

}  // namespace

std::string_view Verdict::name() const noexcept { return traits(*this).name; }
std::string_view Verdict::label() const noexcept { return traits(*this).label; }
std::string_view Verdict::description() const noexcept { return traits(*this).description; }
bool Verdict::is_failure() const noexcept { return traits(*this).failure; }
bool Verdict::is_nonconformance() const noexcept { return traits(*this).nonconformance; }
int Verdict::severity() const noexcept { return traits(*this).severity; }

std::optional<Verdict> Verdict::from_name(std::string_view name) noexcept {
  for (Verdict v : all()) {
    if (v.name() == name) return v;
  }
  return std::nullopt;
}

const std::array<Verdict, Verdict::kCount>& Verdict::all() noexcept {
  static constexpr std::array<Verdict, kCount> kAll{pass,       fail,  not_applicable,
                                                    timeout,    crash, resource_exhausted,
                                                    unresolved, waived};
  return kAll;
}

Verdict more_severe(Verdict a, Verdict b) noexcept { return b.severity() > a.severity() ? b : a; }

std::size_t VerdictCounts::total() const noexcept {
  std::size_t sum = 0;
  for (std::size_t c : counts_) sum += c;
  return sum;
}

std::string_view to_string(Party p) noexcept {
  switch (p) {
    case Party::pager: return "pager";
    case Party::kernel: return "kernel";
  }
  return "?";
}

std::optional<Party> parse_party(std::string_view name) noexcept {
  if (name == "pager") return Party::pager;
  if (name == "kernel") return Party::kernel;
  return std::nullopt;
}

bool is_known_level(std::string_view level) noexcept {
  return std::find(kLevels.begin(), kLevels.end(), level) != kLevels.end();
}

bool fails_run(const RuleResult& rule) noexcept {
  if (!rule.verdict.is_failure()) return false;
  // Only a pager rule's plain failure is weighed by its level; an unknown
  // level weighs like MUST (never silently advisory).
  if (rule.party != Party::pager || rule.verdict != Verdict::fail) return true;
  if (!rule.portability.empty()) return false;  // harmless on the report's platform
  return rule.level == "MUST" || !is_known_level(rule.level);
}

bool is_portability(const RuleResult& rule) noexcept {
  return rule.party == Party::pager && rule.verdict == Verdict::fail && !rule.portability.empty();
}

bool is_advisory(const RuleResult& rule) noexcept {
  return rule.party == Party::pager && rule.verdict == Verdict::fail && !fails_run(rule) &&
         !is_portability(rule);
}

VerdictCounts count_verdicts(const RunReport& report, Party party) {
  VerdictCounts counts;
  for (const RuleResult& rule : report.rules)
    if (rule.party == party) counts.add(rule.verdict);
  return counts;
}

std::vector<const RuleResult*> rules_of(const RunReport& report, Party party) {
  std::vector<const RuleResult*> out;
  for (const RuleResult& rule : report.rules)
    if (rule.party == party) out.push_back(&rule);
  return out;
}

std::size_t count_advisory(const RunReport& report) {
  return static_cast<std::size_t>(
      std::count_if(report.rules.begin(), report.rules.end(), is_advisory));
}

std::size_t count_portability(const RunReport& report) {
  return static_cast<std::size_t>(
      std::count_if(report.rules.begin(), report.rules.end(), is_portability));
}

namespace {
Verdict most_severe_of(const RunReport& report, Party party) {
  Verdict overall = Verdict::not_applicable;
  for (const RuleResult& rule : report.rules)
    if (rule.party == party) overall = more_severe(overall, rule.verdict);
  return overall;
}
}  // namespace

Verdict overall_verdict(const RunReport& report) { return most_severe_of(report, Party::pager); }

Verdict self_check_verdict(const RunReport& report) {
  return most_severe_of(report, Party::kernel);
}

bool is_conformant(const RunReport& report) {
  return std::none_of(report.rules.begin(), report.rules.end(),
                      [](const RuleResult& r) { return fails_run(r); });
}

RunOutcome run_outcome(const RunReport& report) {
  bool failure = false;
  for (const RuleResult& rule : report.rules) {
    if (!fails_run(rule)) continue;
    if (rule.party == Party::pager && rule.verdict.is_nonconformance())
      return RunOutcome::not_conformant;
    failure = true;
  }
  if (failure) return RunOutcome::incomplete;
  if (overall_verdict(report) == Verdict::not_applicable) return RunOutcome::nothing_exercised;
  return RunOutcome::conformant;
}

std::string_view outcome_label(RunOutcome outcome) noexcept {
  switch (outcome) {
    case RunOutcome::conformant: return "CONFORMANT";
    case RunOutcome::not_conformant: return "NOT CONFORMANT";
    case RunOutcome::incomplete: return "INCOMPLETE";
    case RunOutcome::nothing_exercised: return "NOTHING EXERCISED";
  }
  return "?";
}

std::string iso8601_utc(std::int64_t seconds_since_epoch) {
  std::time_t t = static_cast<std::time_t>(seconds_since_epoch);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string iso8601_utc_now() {
  auto now = std::chrono::system_clock::now();
  return iso8601_utc(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

}  // namespace emmi::reports
