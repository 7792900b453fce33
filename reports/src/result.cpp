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
  static constexpr std::array<Verdict, kCount> kAll{
      pass, fail, not_applicable, timeout, crash, resource_exhausted, unresolved, waived};
  return kAll;
}

Verdict more_severe(Verdict a, Verdict b) noexcept {
  return b.severity() > a.severity() ? b : a;
}

std::size_t VerdictCounts::total() const noexcept {
  std::size_t sum = 0;
  for (std::size_t c : counts_) sum += c;
  return sum;
}

VerdictCounts count_verdicts(const RunReport& report) {
  VerdictCounts counts;
  for (const RuleResult& rule : report.rules) counts.add(rule.verdict);
  return counts;
}

Verdict overall_verdict(const RunReport& report) {
  Verdict overall = Verdict::not_applicable;
  for (const RuleResult& rule : report.rules) overall = more_severe(overall, rule.verdict);
  return overall;
}

bool is_conformant(const RunReport& report) {
  return std::none_of(report.rules.begin(), report.rules.end(),
                      [](const RuleResult& r) { return r.verdict.is_failure(); });
}

RunOutcome run_outcome(const RunReport& report) {
  bool failure = false;
  for (const RuleResult& rule : report.rules) {
    if (rule.verdict.is_nonconformance()) return RunOutcome::not_conformant;
    failure = failure || rule.verdict.is_failure();
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
