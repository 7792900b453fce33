// SPDX-License-Identifier: MIT
// Verdict semantics and the run-level verdict derived from rule verdicts.
#include "emmi/reports/result.h"

#include <set>

#include <gtest/gtest.h>

#include "sample_report.h"

namespace emmi::reports {
namespace {

TEST(Verdict, NamesRoundTripAndAreDistinct) {
  std::set<std::string_view> names;
  for (Verdict v : Verdict::all()) {
    names.insert(v.name());
    ASSERT_TRUE(Verdict::from_name(v.name()).has_value()) << v.name();
    EXPECT_EQ(*Verdict::from_name(v.name()), v);
    EXPECT_FALSE(v.label().empty());
    EXPECT_FALSE(v.description().empty());
  }
  EXPECT_EQ(names.size(), Verdict::kCount);
  EXPECT_EQ(Verdict::not_applicable.name(), "not-applicable");
  EXPECT_EQ(Verdict::resource_exhausted.name(), "resource-exhausted");
}

TEST(Verdict, FromNameRejectsEverythingElse) {
  EXPECT_FALSE(Verdict::from_name("").has_value());
  EXPECT_FALSE(Verdict::from_name("PASS").has_value());
  EXPECT_FALSE(Verdict::from_name("not_applicable").has_value());
  EXPECT_FALSE(Verdict::from_name("passed").has_value());
}

// The documented table of result.h, verdict by verdict.
TEST(Verdict, FailureAndNonconformanceFollowTheDocumentedTable) {
  struct Row {
    Verdict verdict;
    bool failure;
    bool nonconformance;
  };
  const Row table[] = {
      {Verdict::pass, false, false},
      {Verdict::fail, true, true},
      {Verdict::not_applicable, false, false},
      {Verdict::timeout, true, true},
      {Verdict::crash, true, true},
      {Verdict::resource_exhausted, true, true},
      {Verdict::unresolved, true, false},
      {Verdict::waived, false, false},
  };
  for (const Row& row : table) {
    EXPECT_EQ(row.verdict.is_failure(), row.failure) << row.verdict.name();
    EXPECT_EQ(row.verdict.is_nonconformance(), row.nonconformance) << row.verdict.name();
  }
}

TEST(Verdict, NonconformanceImpliesFailure) {
  for (Verdict v : Verdict::all()) {
    if (v.is_nonconformance()) {
      EXPECT_TRUE(v.is_failure()) << v.name();
    }
  }
}

TEST(Verdict, SeverityIsATotalOrderWithFailuresAboveEverythingConformant) {
  std::set<int> ranks;
  for (Verdict v : Verdict::all()) ranks.insert(v.severity());
  EXPECT_EQ(ranks.size(), Verdict::kCount);
  for (Verdict a : Verdict::all()) {
    for (Verdict b : Verdict::all()) {
      if (a.is_failure() && !b.is_failure()) {
        EXPECT_GT(a.severity(), b.severity());
      }
      if (a.is_nonconformance() && !b.is_nonconformance()) {
        EXPECT_GT(a.severity(), b.severity()) << a.name() << " vs " << b.name();
      }
      Verdict m = more_severe(a, b);
      EXPECT_TRUE(m == a || m == b);
      EXPECT_GE(m.severity(), a.severity());
      EXPECT_GE(m.severity(), b.severity());
    }
  }
  EXPECT_EQ(more_severe(Verdict::pass, Verdict::not_applicable), Verdict::pass);
  EXPECT_EQ(more_severe(Verdict::unresolved, Verdict::fail), Verdict::fail);
}

RunReport with_verdicts(std::initializer_list<Verdict> verdicts) {
  RunReport r;
  int n = 0;
  for (Verdict v : verdicts) {
    RuleResult rule;
    rule.id = "R" + std::to_string(n++);
    rule.group = "g";
    rule.level = "MUST";
    rule.verdict = v;
    rule.exercised = v == Verdict::not_applicable ? 0 : 1;
    r.rules.push_back(rule);
  }
  return r;
}

TEST(RunOutcome, FollowsTheRuleVerdicts) {
  EXPECT_EQ(run_outcome(with_verdicts({Verdict::pass, Verdict::not_applicable})),
            RunOutcome::conformant);
  EXPECT_EQ(run_outcome(with_verdicts({Verdict::pass, Verdict::waived})), RunOutcome::conformant);
  EXPECT_EQ(run_outcome(with_verdicts({Verdict::pass, Verdict::unresolved})),
            RunOutcome::incomplete);
  EXPECT_EQ(run_outcome(with_verdicts({Verdict::unresolved, Verdict::timeout})),
            RunOutcome::not_conformant);
  EXPECT_EQ(run_outcome(with_verdicts({Verdict::not_applicable})), RunOutcome::nothing_exercised);
  EXPECT_EQ(run_outcome(with_verdicts({})), RunOutcome::nothing_exercised);
  EXPECT_EQ(outcome_label(RunOutcome::not_conformant), "NOT CONFORMANT");
}

RuleResult rule_with(Verdict v, std::string level, Party party) {
  RuleResult r;
  r.id = "R";
  r.group = "g";
  r.level = std::move(level);
  r.verdict = v;
  r.exercised = v == Verdict::not_applicable ? 0 : 1;
  r.party = party;
  return r;
}

TEST(Severity, OnlyAMustRulesFailFailsTheRun) {
  EXPECT_TRUE(fails_run(rule_with(Verdict::fail, "MUST", Party::pager)));
  for (const char* level : {"SHOULD", "MAY", "INFO"}) {
    RuleResult r = rule_with(Verdict::fail, level, Party::pager);
    EXPECT_FALSE(fails_run(r)) << level;
    EXPECT_TRUE(is_advisory(r)) << level;
    // The pager stopped working: that fails the run whatever the level.
    for (Verdict v :
         {Verdict::timeout, Verdict::crash, Verdict::resource_exhausted, Verdict::unresolved})
      EXPECT_TRUE(fails_run(rule_with(v, level, Party::pager))) << level << " " << v.name();
  }
  // An unknown level never turns a failure advisory.
  EXPECT_TRUE(fails_run(rule_with(Verdict::fail, "MUSTN'T", Party::pager)));
  for (Verdict v : {Verdict::pass, Verdict::not_applicable, Verdict::waived})
    EXPECT_FALSE(fails_run(rule_with(v, "MUST", Party::pager))) << v.name();
}

TEST(Severity, AnAdvisoryFindingLeavesTheRunConformant) {
  RunReport r;
  r.rules = {rule_with(Verdict::pass, "MUST", Party::pager),
             rule_with(Verdict::fail, "SHOULD", Party::pager)};
  EXPECT_EQ(run_outcome(r), RunOutcome::conformant);
  EXPECT_TRUE(is_conformant(r));
  EXPECT_EQ(count_advisory(r), 1u);
  // The finding is not dropped: the pager's verdict says fail.
  EXPECT_EQ(overall_verdict(r), Verdict::fail);
  r.rules.push_back(rule_with(Verdict::fail, "MUST", Party::pager));
  EXPECT_EQ(run_outcome(r), RunOutcome::not_conformant);
}

TEST(Party, SelfChecksNeitherPassNorFailThePager) {
  // Only self-checks exercised: nothing was shown about the pager.
  RunReport r;
  r.rules = {rule_with(Verdict::pass, "MUST", Party::kernel),
             rule_with(Verdict::not_applicable, "MUST", Party::pager)};
  EXPECT_EQ(overall_verdict(r), Verdict::not_applicable);
  EXPECT_EQ(self_check_verdict(r), Verdict::pass);
  EXPECT_EQ(run_outcome(r), RunOutcome::nothing_exercised);
  EXPECT_EQ(count_verdicts(r, Party::pager)[Verdict::pass], 0u);
  // A broken self-check is a suite bug: the run is incomplete, not the pager's failure.
  r.rules = {rule_with(Verdict::pass, "MUST", Party::pager),
             rule_with(Verdict::unresolved, "MUST", Party::kernel)};
  EXPECT_EQ(run_outcome(r), RunOutcome::incomplete);
  EXPECT_EQ(overall_verdict(r), Verdict::pass);
  // Even a fail verdict on a kernel rule never makes the pager non-conformant.
  r.rules[1].verdict = Verdict::fail;
  EXPECT_EQ(run_outcome(r), RunOutcome::incomplete);
  EXPECT_FALSE(is_advisory(r.rules[1]));
}

TEST(OverallVerdict, IsTheMostSevereRuleVerdict) {
  EXPECT_EQ(overall_verdict(with_verdicts({})), Verdict::not_applicable);
  EXPECT_EQ(overall_verdict(with_verdicts({Verdict::not_applicable, Verdict::pass})),
            Verdict::pass);
  EXPECT_EQ(overall_verdict(with_verdicts({Verdict::pass, Verdict::crash, Verdict::unresolved})),
            Verdict::crash);
  RunReport sample = testing::sample_report();
  EXPECT_EQ(overall_verdict(sample), Verdict::fail);
  EXPECT_FALSE(is_conformant(sample));
  EXPECT_TRUE(is_conformant(testing::conformant_report()));
  EXPECT_EQ(overall_verdict(testing::conformant_report()), Verdict::pass);
}

TEST(VerdictCounts, CountEveryRuleOnce) {
  RunReport sample = testing::sample_report();
  VerdictCounts counts = count_verdicts(sample, Party::pager);
  VerdictCounts checks = count_verdicts(sample, Party::kernel);
  EXPECT_EQ(counts.total() + checks.total(), sample.rules.size());
  EXPECT_EQ(counts.total(), 14u);
  EXPECT_EQ(counts[Verdict::fail], 3u);
  EXPECT_EQ(counts[Verdict::pass], 5u);
  EXPECT_EQ(checks[Verdict::pass], 2u);
  EXPECT_EQ(checks[Verdict::unresolved], 1u);
  for (Verdict v : Verdict::all()) EXPECT_GE(counts[v], 1u) << "fixture lacks " << v.name();
}

TEST(Iso8601, FormatsUtcWithZ) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso8601_utc(1714564800), "2024-05-01T12:00:00Z");
  EXPECT_EQ(iso8601_utc_now().size(), 20u);
}

}  // namespace
}  // namespace emmi::reports
