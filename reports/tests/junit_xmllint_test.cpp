// SPDX-License-Identifier: MIT
// JUnit output checked with a real XML parser: it validates against the XSD
// kept in the repository (reports/schema/junit.xsd), and its structure is
// what GitLab and Jenkins read (queried with XPath through xmllint).
#include <gtest/gtest.h>

#include "emmi/reports/junit_report.h"
#include "sample_report.h"
#include "tools.h"

namespace emmi::reports {
namespace {

using namespace std::string_literals;

using testing::ScratchDir;

const std::string kXsd = EMMI_REPORTS_SCHEMA_DIR "/junit.xsd";

std::string xmllint() { return testing::require_tool("/usr/bin/xmllint", "libxml2-utils"); }

testing::CommandResult validate(const std::filesystem::path& file) {
  return testing::run_command({xmllint(), "--noout", "--schema", kXsd, file.string()});
}

std::string xpath(const std::filesystem::path& file, const std::string& expression) {
  auto r = testing::run_command({xmllint(), "--xpath", expression, file.string()});
  EXPECT_EQ(r.exit_code, 0) << expression << "\n" << r.err;
  // xmllint ends its answer with a newline of its own.
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

TEST(JunitXsd, SampleReportValidates) {
  ScratchDir dir;
  auto file = write_report_file(JunitWriter(), testing::sample_report(), dir.path());
  auto result = validate(file);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("validates"), std::string::npos) << result.err;
}

TEST(JunitXsd, HostileTextStillValidatesAndSurvivesEscaping) {
  ScratchDir dir;
  RunReport r = testing::sample_report();
  r.rules[10].message = "seqno\x01 2 <after> \"3\" & 'x'\x1b[0m\x7f\x00"s;
  r.rules[0].title = "]]> <![CDATA[ & </testcase>";
  r.rules[6].message = "not\x02 exercised\nat all";
  r.machine.hostname = "host\x0b";
  auto file = write_report_file(JunitWriter(), r, dir.path());
  auto result = validate(file);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(xpath(file, "string(//testcase[@classname='emmi.seqno'][2]/failure/@message)"),
            "seqno 2 <after> \"3\" & 'x'[0m\x7f");
  EXPECT_EQ(xpath(file, "string(//testcase[1]/@name)"), "IN2: ]]> <![CDATA[ & </testcase>");
  EXPECT_EQ(xpath(file,
                  "string(//testcase[properties/property[@value='not-applicable']]/"
                  "skipped/@message)"),
            "not applicable: not exercised at all");
}

// The validator rejects what the writer must never emit, so the passes above
// mean something: an empty failure message and an unescaped control character.
TEST(JunitXsd, ValidatorRejectsEmptyMessagesAndControlCharacters) {
  ScratchDir dir;
  auto file = write_report_file(JunitWriter(), testing::sample_report(), dir.path());
  std::string xml = testing::read_file(file);
  std::string empty_message = xml;
  std::size_t at = empty_message.find("<failure message=\"");
  ASSERT_NE(at, std::string::npos);
  at += 18;
  empty_message.erase(at, empty_message.find('"', at) - at);
  testing::write_file(dir / "empty.xml", empty_message);
  EXPECT_NE(validate(dir / "empty.xml").exit_code, 0);

  std::string control = xml;
  control.insert(control.find("</failure>"), "\x01");
  testing::write_file(dir / "control.xml", control);
  EXPECT_NE(validate(dir / "control.xml").exit_code, 0);
}

TEST(JunitStructure, OneSuitePerGroupOneCasePerRule) {
  ScratchDir dir;
  RunReport r = testing::sample_report();
  auto file = write_report_file(JunitWriter(), r, dir.path());
  // init ... rights for the pager's rules, then one for the self-checks.
  EXPECT_EQ(xpath(file, "count(/testsuites/testsuite)"), "7");
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[7]/@name)"), "emmi.self-checks");
  EXPECT_EQ(xpath(file, "count(/testsuites/testsuite[7]/testcase)"), "3");
  EXPECT_EQ(xpath(file, "string(//testcase[starts-with(@name, 'RT1: ')]/@classname)"),
            "emmi.self-checks.data_return");
  EXPECT_EQ(xpath(file, "count(//testcase)"), std::to_string(r.rules.size()));
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[5]/@name)"), "emmi.seqno");
  EXPECT_EQ(xpath(file, "string(//testcase[starts-with(@name, 'SQ7: ')]/@classname)"),
            "emmi.seqno");
  EXPECT_EQ(xpath(file, "string(//testcase[starts-with(@name, 'SQ7: ')]/@name)"),
            "SQ7: A multi-threaded pager restores message order from seqnos");
  // Verdict to element, as documented in junit_report.h.
  EXPECT_EQ(xpath(file, "count(//testcase/failure)"), "2");
  EXPECT_EQ(xpath(file, "string(//testcase[starts-with(@name, 'TM4: ')]/error/@type)"), "crash");
  EXPECT_EQ(xpath(file, "string(//testcase[starts-with(@name, 'SU1: ')]/error/@type)"), "timeout");
  EXPECT_EQ(xpath(file, "string(//testcase[starts-with(@name, 'PR7: ')]/error/@message)"),
            "suite problem (not a pager non-conformance): simulated kernel lost track of port "
            "0x2a11 (suite bug)");
  EXPECT_EQ(xpath(file, "string(//testcase[starts-with(@name, 'TM6: ')]/skipped/@message)"),
            "waived: known bug #41 in the object cache; fix scheduled (expires 2099-12-31)");
  EXPECT_EQ(xpath(file,
                  "string(/testsuites/testsuite[1]/properties/property"
                  "[@name='pager.sha256']/@value)"),
            r.pager.sha256);
  std::string details = xpath(file, "string(//testcase[starts-with(@name, 'SQ7: ')]/failure)");
  EXPECT_NE(details.find("replay: " + r.rules[10].counterexample->replay_command),
            std::string::npos)
      << details;
}

}  // namespace
}  // namespace emmi::reports
