// SPDX-License-Identifier: MIT
// Markdown summary: the headline, the failing rules and how to replay them.
#include "emmi/reports/markdown_report.h"

#include <gtest/gtest.h>

#include "sample_report.h"
#include "tools.h"

namespace emmi::reports {
namespace {

std::string markdown(const RunReport& r) { return testing::render(MarkdownWriter(), r); }

std::string line_containing(const std::string& text, const std::string& needle) {
  std::size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  std::size_t start = text.rfind('\n', at) + 1;
  return text.substr(start, text.find('\n', at) - start);
}

TEST(Markdown, HeadlineSaysNotConformant) {
  std::string md = markdown(testing::sample_report());
  EXPECT_EQ(md.rfind("# ❌ emmi-cts: NOT CONFORMANT\n", 0), 0u) << md.substr(0, 80);
  EXPECT_EQ(markdown(testing::conformant_report()).rfind("# ✅ emmi-cts: CONFORMANT\n", 0), 0u);
}

TEST(Markdown, ListsEveryNonPassingRuleAndNoPassingOne) {
  RunReport r = testing::sample_report();
  std::string md = markdown(r);
  std::size_t table = md.find("## Pager rules that did not pass");
  std::size_t examples = md.find("## Counterexamples");
  ASSERT_NE(table, std::string::npos);
  ASSERT_NE(examples, std::string::npos);
  std::string section = md.substr(table, examples - table);
  for (const RuleResult& rule : r.rules) {
    bool listed = section.find("| **" + rule.id + "** ") != std::string::npos;
    EXPECT_EQ(listed, rule.verdict != Verdict::pass) << rule.id;
  }
  // Most severe first: the fails come before the crash, the crash before n/a.
  EXPECT_LT(section.find("**SQ7**"), section.find("**TM4**"));
  EXPECT_LT(section.find("**TM4**"), section.find("**DR5**"));
  // The advisory finding (V6, SHOULD) comes after everything that fails the run.
  EXPECT_LT(section.find("**TM4**"), section.find("**V6**"));
  EXPECT_NE(line_containing(section, "| **V6** ").find("advisory (SHOULD): does not fail the run"),
            std::string::npos);
}

TEST(Markdown, SelfChecksAreASectionApartFromThePagerVerdicts) {
  RunReport r = testing::sample_report();
  std::string md = markdown(r);
  std::size_t pager = md.find("## Pager verdicts");
  std::size_t checks = md.find("## Suite self-checks");
  ASSERT_NE(pager, std::string::npos);
  ASSERT_NE(checks, std::string::npos);
  ASSERT_LT(pager, checks);
  // The headline counts the 14 pager rules only.
  EXPECT_NE(md.find("14 pager rules: 5 pass, 3 fail"), std::string::npos) << md.substr(0, 900);
  EXPECT_NE(md.find("(1 advisory: not MUST, do not fail the run)"), std::string::npos);
  // No rule binding the kernel shows in the pager section; the broken one is
  // in the self-checks, as a suite bug.
  std::string pager_section = md.substr(pager, checks - pager);
  for (const RuleResult& rule : r.rules) {
    if (rule.party == Party::kernel) {
      EXPECT_EQ(pager_section.find("**" + rule.id + "**"), std::string::npos) << rule.id;
    }
  }
  std::string self = md.substr(checks, md.find("## Counterexamples") - checks);
  EXPECT_NE(self.find("3 rules bind the kernel"), std::string::npos) << self;
  EXPECT_NE(self.find("2 held, 0 not exercised, 1 broken (suite bugs"), std::string::npos) << self;
  EXPECT_NE(self.find("| **RT1** "), std::string::npos) << self;
}

TEST(Markdown, CounterexamplesCarryTheReplayCommandInACodeBlock) {
  RunReport r = testing::sample_report();
  std::string md = markdown(r);
  for (const RuleResult& rule : r.rules) {
    if (!rule.counterexample) continue;
    std::string block = "```sh\n" + rule.counterexample->replay_command + "\n```";
    EXPECT_NE(md.find(block), std::string::npos) << rule.id;
  }
  EXPECT_NE(md.find("#5   kernel k0 -> pager t2  memory_object_data_request  seqno=3"),
            std::string::npos);
}

TEST(Markdown, PagerTextCannotBreakTheTable) {
  RunReport r = testing::sample_report();
  r.rules[10].message = "a | b\nc <script> `x`";
  std::string row = line_containing(markdown(r), "| **SQ7** ");
  ASSERT_FALSE(row.empty());
  int unescaped_pipes = 0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '|' && (i == 0 || row[i - 1] != '\\')) ++unescaped_pipes;
  }
  EXPECT_EQ(unescaped_pipes, 8) << row;  // seven columns
  EXPECT_NE(row.find("a \\| b c \\<script\\> \\`x\\`"), std::string::npos) << row;
}

TEST(Markdown, FencesOutgrowBackticksInTheContent) {
  RunReport r = testing::sample_report();
  r.rules[10].counterexample->commands = {"echo ```not a fence```"};
  std::string md = markdown(r);
  EXPECT_NE(md.find("````text\n 1. echo ```not a fence```\n````"), std::string::npos);
}

TEST(Markdown, StaysShortEnoughForAPullRequestComment) {
  RunReport r = testing::sample_report();
  RuleResult failing = r.rules[10];
  for (std::uint64_t i = 0; i < 100; ++i) {
    failing.counterexample->trace.push_back(
        {9 + i, "kernel k0", "pager t0", "memory_object_data_request", i, "", ""});
  }
  for (int i = 0; i < 12; ++i) {
    failing.id = "X" + std::to_string(i);
    r.rules.push_back(failing);
  }
  std::string md = markdown(r);
  std::size_t sections = 0;
  for (std::size_t at = md.find("\n### "); at != std::string::npos;
       at = md.find("\n### ", at + 1)) {
    ++sections;
  }
  EXPECT_EQ(sections, 10u);
  EXPECT_NE(md.find("5 more counterexamples are in the HTML and JSON reports."), std::string::npos);
  EXPECT_NE(md.find("... 49 more events in the JSON report"), std::string::npos);
  EXPECT_LT(md.size(), 65536u);
}

TEST(Markdown, AllPassedSaysSo) {
  RunReport r = testing::conformant_report();
  for (RuleResult& rule : r.rules) {
    rule.verdict = Verdict::pass;
    rule.exercised = 1;
  }
  std::string md = markdown(r);
  EXPECT_NE(md.find("Every pager rule passed."), std::string::npos);
  EXPECT_EQ(md.find("## Pager rules that did not pass"), std::string::npos);
}

}  // namespace
}  // namespace emmi::reports
