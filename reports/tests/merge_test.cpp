// SPDX-License-Identifier: MIT
// Shard merge: sharding a run's cases and merging the shard reports gives the
// verdicts of the unsharded run; reports of different runs are refused.
#include "emmi/reports/merge.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "emmi/reports/errors.h"
#include "sample_report.h"

namespace emmi::reports {
namespace {

// One test case's effect on the rules it checked, as the engine records it.
struct CaseOutcome {
  std::size_t rule;                 // index into the catalogue
  Verdict verdict = Verdict::pass;  // or how the check ended
};
using Case = std::vector<CaseOutcome>;

const std::vector<RuleResult>& catalogue() {
  static const std::vector<RuleResult> rules = [] {
    std::vector<RuleResult> r;
    for (const RuleResult& rule : testing::sample_report().rules) {
      RuleResult blank{rule.id, rule.group, rule.title,   rule.level,   Verdict::not_applicable,
                       0,       "",         std::nullopt, std::nullopt, rule.party};
      r.push_back(blank);
    }
    return r;
  }();
  return rules;
}

// Aggregates case outcomes into a report the way a run (or one shard of it,
// taking every total-th case, GoogleTest style) would.
RunReport run_cases(const std::vector<Case>& cases, std::optional<ShardInfo> shard) {
  RunReport r = testing::sample_report();
  r.shard = shard;
  r.rules = catalogue();
  r.cases_run = 0;
  r.duration_s = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (shard && i % shard->total != shard->index) continue;
    ++r.cases_run;
    r.duration_s += 0.25;
    for (const CaseOutcome& o : cases[i]) {
      RuleResult& rule = r.rules[o.rule];
      ++rule.exercised;
      if (o.verdict.severity() > rule.verdict.severity()) {
        rule.verdict = o.verdict;
        rule.message = fmt::format("case {} ended {}", i, o.verdict.name());
        if (o.verdict == Verdict::waived) rule.waiver = Waiver{"accepted", std::nullopt};
        if (o.verdict.is_failure()) {
          Counterexample c;
          c.seed = i;
          c.replay_command = fmt::format("emmi-cts run --replay case-{}", i);
          rule.counterexample = c;
        }
      }
    }
  }
  return r;
}

std::vector<RunReport> shards_of(const std::vector<Case>& cases, std::uint32_t total) {
  std::vector<RunReport> shards;
  for (std::uint32_t i = 0; i < total; ++i) shards.push_back(run_cases(cases, ShardInfo{i, total}));
  return shards;
}

void expect_same_verdicts(const RunReport& merged, const RunReport& whole) {
  ASSERT_EQ(merged.rules.size(), whole.rules.size());
  for (std::size_t i = 0; i < whole.rules.size(); ++i) {
    EXPECT_EQ(merged.rules[i].id, whole.rules[i].id);
    EXPECT_EQ(merged.rules[i].verdict, whole.rules[i].verdict) << whole.rules[i].id;
    EXPECT_EQ(merged.rules[i].exercised, whole.rules[i].exercised) << whole.rules[i].id;
    EXPECT_EQ(merged.rules[i].counterexample.has_value(), whole.rules[i].counterexample.has_value())
        << whole.rules[i].id;
  }
  EXPECT_EQ(merged.cases_run, whole.cases_run);
  EXPECT_EQ(overall_verdict(merged), overall_verdict(whole));
}

// A fixed run of 30 cases: most rules pass everywhere, SQ7 fails in one case
// only (so only one shard sees it), TM4 crashes in two, DR5 is never checked.
std::vector<Case> fixed_cases() {
  std::vector<Case> cases;
  for (std::size_t i = 0; i < 30; ++i) {
    Case c = {{0, Verdict::pass}, {1, Verdict::pass}, {9, Verdict::pass}};
    if (i % 4 == 0) c.push_back({10, Verdict::pass});
    if (i == 13) c.push_back({10, Verdict::fail});
    if (i == 7 || i == 20) c.push_back({3, Verdict::crash});
    if (i == 5) c.push_back({4, Verdict::waived});
    if (i == 22) c.push_back({11, Verdict::unresolved});
    cases.push_back(c);
  }
  return cases;
}

TEST(Merge, ThreeShardsMergeToTheVerdictsOfTheWholeRun) {
  std::vector<Case> cases = fixed_cases();
  RunReport whole = run_cases(cases, std::nullopt);
  std::vector<RunReport> shards = shards_of(cases, 3);
  // The split matters: SQ7 fails in shard 2/3 only, passes in the others.
  EXPECT_EQ(shards[1].rules[10].verdict, Verdict::fail);
  EXPECT_EQ(shards[0].rules[10].verdict, Verdict::pass);

  RunReport merged = merge(shards);
  expect_same_verdicts(merged, whole);
  EXPECT_EQ(merged.rules[10].verdict, Verdict::fail);
  EXPECT_EQ(merged.rules[10].counterexample->replay_command, "emmi-cts run --replay case-13");
  EXPECT_EQ(merged.rules[6].verdict, Verdict::not_applicable);
  EXPECT_FALSE(merged.shard.has_value());
  ASSERT_EQ(merged.merged_from.size(), 3u);
  EXPECT_EQ(merged.merged_from[2].shard, (ShardInfo{2, 3}));
  EXPECT_DOUBLE_EQ(merged.duration_s, whole.duration_s);
}

TEST(Merge, ShardOrderDoesNotMatter) {
  std::vector<RunReport> shards = shards_of(fixed_cases(), 3);
  RunReport in_order = merge(shards);
  std::swap(shards[0], shards[2]);
  EXPECT_EQ(merge(shards), in_order);
}

RC_GTEST_PROP(Merge, AnyShardingMergesToTheUnshardedVerdicts, ()) {
  const std::size_t rules = catalogue().size();
  auto outcome = rc::gen::build<CaseOutcome>(
      rc::gen::set(&CaseOutcome::rule, rc::gen::inRange<std::size_t>(0, rules)),
      rc::gen::set(&CaseOutcome::verdict,
                   rc::gen::weightedElement<Verdict>({{12, Verdict::pass},
                                                      {1, Verdict::fail},
                                                      {1, Verdict::timeout},
                                                      {1, Verdict::crash},
                                                      {1, Verdict::resource_exhausted},
                                                      {1, Verdict::unresolved},
                                                      {1, Verdict::waived}})));
  auto cases = *rc::gen::container<std::vector<Case>>(rc::gen::container<Case>(outcome));
  auto total = *rc::gen::inRange<std::uint32_t>(1, 6);
  RunReport whole = run_cases(cases, std::nullopt);
  RunReport merged = merge(shards_of(cases, total));
  for (std::size_t i = 0; i < rules; ++i) {
    RC_ASSERT(merged.rules[i].verdict == whole.rules[i].verdict);
    RC_ASSERT(merged.rules[i].exercised == whole.rules[i].exercised);
  }
  RC_ASSERT(merged.cases_run == cases.size());
}

std::string merge_error(const std::vector<RunReport>& shards) {
  try {
    merge(shards);
  } catch (const MergeError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Merge, RejectsShardsOfAnotherPager) {
  std::vector<RunReport> shards = shards_of(fixed_cases(), 3);
  shards[2].pager.sha256 = std::string(64, 'e');
  std::string error = merge_error(shards);
  EXPECT_NE(error.find("pager sha256 differs between shard 1/3"), std::string::npos) << error;
  EXPECT_NE(error.find(shards[0].pager.sha256), std::string::npos) << error;
  EXPECT_NE(error.find("shard 3/3 (" + std::string(64, 'e') + ")"), std::string::npos) << error;
}

TEST(Merge, RejectsShardsOfAnotherRun) {
  struct Edit {
    const char* field;
    void (*apply)(RunReport&);
  };
  const Edit edits[] = {
      {"dialect", [](RunReport& r) { r.dialect = "gnumach"; }},
      // A portability finding on one platform is a failure on the other.
      {"platform", [](RunReport& r) { r.platform = "manual"; }},
      {"profile", [](RunReport& r) { r.profile = "quick"; }},
      {"seed", [](RunReport& r) { r.seed += 1; }},
      {"parameters", [](RunReport& r) { r.parameters["kernels"] = "3"; }},
      {"suite version", [](RunReport& r) { r.suite.version = "0.2.0"; }},
      {"conformance mode", [](RunReport& r) { r.conformance_mode = true; }},
  };
  for (const Edit& edit : edits) {
    std::vector<RunReport> shards = shards_of(fixed_cases(), 3);
    edit.apply(shards[1]);
    std::string error = merge_error(shards);
    EXPECT_NE(error.find(std::string(edit.field) + " differs"), std::string::npos) << error;
  }
}

TEST(Merge, RejectsMissingDuplicateAndUnshardedReports) {
  std::vector<RunReport> shards = shards_of(fixed_cases(), 3);
  EXPECT_NE(merge_error({shards[0], shards[2]}).find("shard 2/3 missing (got 2 of 3)"),
            std::string::npos);
  EXPECT_NE(merge_error({shards[0]}).find("shards 2/3, 3/3 missing"), std::string::npos);
  EXPECT_NE(
      merge_error({shards[0], shards[1], shards[1], shards[2]}).find("shard 2/3 is given twice"),
      std::string::npos);
  RunReport other_total = shards[2];
  other_total.shard = ShardInfo{2, 4};
  EXPECT_NE(merge_error({shards[0], shards[1], other_total}).find("disagree on the number"),
            std::string::npos);
  RunReport whole = run_cases(fixed_cases(), std::nullopt);
  EXPECT_NE(merge_error({shards[0], whole}).find("report 2 of 2 has no shard information"),
            std::string::npos);
  EXPECT_NE(merge_error({}).find("no reports given"), std::string::npos);
  EXPECT_EQ(merge({whole}), whole);  // a single whole run merges to itself
}

TEST(Merge, RejectsShardsThatDisagreeOnARulesParty) {
  std::vector<RunReport> shards = shards_of(fixed_cases(), 2);
  shards[1].rules[0].party = Party::kernel;
  std::string error = merge_error(shards);
  EXPECT_NE(error.find("rule IN2 has party \"pager\" in one shard and \"kernel\" in shard 2/2"),
            std::string::npos)
      << error;
}

TEST(Merge, KeepsTheSelfChecksApart) {
  RunReport merged = merge(shards_of(fixed_cases(), 3));
  ASSERT_EQ(merged.rules.size(), testing::sample_report().rules.size());
  for (std::size_t i = 0; i < merged.rules.size(); ++i)
    EXPECT_EQ(merged.rules[i].party, testing::sample_report().rules[i].party) << i;
}

TEST(Merge, RejectsDifferentRuleCatalogues) {
  std::vector<RunReport> shards = shards_of(fixed_cases(), 2);
  shards[1].rules[10].level = "SHOULD";
  std::string error = merge_error(shards);
  EXPECT_NE(error.find("rule SQ7 has level \"MUST\" in one shard and \"SHOULD\" in shard 2/2"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace emmi::reports
