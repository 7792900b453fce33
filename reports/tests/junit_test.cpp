// SPDX-License-Identifier: MIT
// JUnit output without an XML parser: tallies, the non-empty failure message
// CI systems need, and no byte an XML 1.0 parser would reject. (The schema and
// structure checks with a real parser are in junit_xmllint_test.cpp.)
#include "emmi/reports/junit_report.h"

#include <gtest/gtest.h>

#include "sample_report.h"
#include "tools.h"

namespace emmi::reports {
namespace {

using namespace std::string_literals;

std::string junit(const RunReport& r) { return testing::render(JunitWriter(), r); }

TEST(Junit, RootTalliesCountRulesByOutcomeElement) {
  std::string xml = junit(testing::sample_report());
  // 17 rules: 2 MUST fails -> failure; crash, timeout, resource-exhausted,
  // 2 unresolved (one a broken self-check) -> error; not-applicable, waived
  // and the advisory SHOULD fail -> skipped.
  EXPECT_NE(xml.find(R"(tests="17" failures="2" errors="5" skipped="3")"), std::string::npos)
      << xml.substr(0, 300);
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 0), 0u);
}

TEST(Junit, EveryFailureAndErrorHasANonEmptyMessage) {
  RunReport r = testing::sample_report();
  r.rules[2].message.clear();  // IN9 fails without a message
  std::string xml = junit(r);
  int seen = 0;
  for (const char* element : {"<failure ", "<error ", "<skipped "}) {
    for (const std::string& tag : testing::start_tags(xml, element)) {
      ++seen;
      EXPECT_FALSE(testing::attribute(tag, "message").empty()) << tag;
    }
  }
  EXPECT_EQ(seen, 10);
  EXPECT_NE(xml.find(R"(<failure message="IN9 FAIL" type="fail">)"), std::string::npos);
}

TEST(Junit, SelfChecksAreATestsuiteOfTheirOwn) {
  std::string xml = junit(testing::sample_report());
  std::size_t suite = xml.find("<testsuite name=\"emmi.self-checks\" ");
  ASSERT_NE(suite, std::string::npos);
  std::string checks = xml.substr(suite, xml.find("</testsuite>", suite) - suite);
  EXPECT_NE(checks.find(R"(tests="3" failures="0" errors="1" skipped="0")"), std::string::npos);
  for (const char* id : {"IN3: ", "SQ5: ", "RT1: "}) {
    EXPECT_NE(checks.find(std::string("name=\"") + id), std::string::npos) << id;
    EXPECT_EQ(xml.find(std::string("name=\"") + id), xml.find(std::string("name=\"") + id, suite))
        << id << " also outside the self-checks";
  }
  EXPECT_NE(checks.find(
                "<error message=\"suite bug: a duty of the suite&#39;s own simulated kernel"),
            std::string::npos);
  EXPECT_NE(checks.find("<property name=\"party\" value=\"kernel\"/>"), std::string::npos);
}

TEST(Junit, AnAdvisoryFindingIsSkippedWithItsDetailsNotAFailure) {
  std::string xml = junit(testing::sample_report());
  std::size_t at = xml.find("name=\"V6: ");
  ASSERT_NE(at, std::string::npos);
  std::string tc = xml.substr(at, xml.find("</testcase>", at) - at);
  EXPECT_EQ(tc.find("<failure"), std::string::npos);
  EXPECT_NE(tc.find("<skipped message=\"advisory finding, SHOULD rule (does not fail the run)"),
            std::string::npos)
      << tc;
  EXPECT_NE(tc.find("<property name=\"level\" value=\"SHOULD\"/>"), std::string::npos);
  EXPECT_NE(tc.find("<property name=\"fails_run\" value=\"false\"/>"), std::string::npos);
  EXPECT_NE(tc.find("<system-out>V6 FAIL (SHOULD, pager rule;"), std::string::npos) << tc;
}

TEST(Junit, ControlCharactersInMessagesAreStripped) {
  RunReport r = testing::sample_report();
  r.rules[10].message = "seqno\x01 2\x1b[31m after\x0c 3\x00!"s;
  r.rules[10].counterexample->trace[0].note = "bell\x07";
  r.rules[0].title = "tab\there\x02";
  std::string xml = junit(r);
  for (char c : xml) {
    unsigned char u = static_cast<unsigned char>(c);
    EXPECT_FALSE(u < 0x20 && u != '\t' && u != '\n' && u != '\r')
        << "control byte " << static_cast<int>(u);
  }
  EXPECT_NE(xml.find("message=\"seqno 2[31m after 3!\""), std::string::npos);
  EXPECT_NE(xml.find("bell\n"), std::string::npos);
}

TEST(Junit, FailureTextCarriesReplayAndReproduce) {
  RunReport r = testing::sample_report();
  std::string xml = junit(r);
  const Counterexample& c = *r.rules[10].counterexample;
  std::size_t failure = xml.find("<failure message=\"data_supply for seqno 2");
  ASSERT_NE(failure, std::string::npos);
  std::size_t end = xml.find("</failure>", failure);
  std::string text = xml.substr(failure, end - failure);
  EXPECT_NE(text.find("replay: " + c.replay_command), std::string::npos);
  EXPECT_NE(text.find("reproduce: " + c.reproduce), std::string::npos);
  EXPECT_NE(text.find("fault(k0, object=0, offset=0x0, access=WRITE)"), std::string::npos);
  EXPECT_NE(text.find("memory_object_data_supply"), std::string::npos);
}

}  // namespace
}  // namespace emmi::reports
