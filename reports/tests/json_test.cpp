// SPDX-License-Identifier: MIT
// The canonical JSON record: lossless round trip, and a reader whose errors
// name the file and the field at fault.
#include "emmi/reports/json_report.h"

#include <algorithm>
#include <type_traits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "emmi/reports/errors.h"
#include "emmi/reports/merge.h"
#include "sample_report.h"
#include "tools.h"

namespace emmi::reports {
namespace {

using testing::sample_report;
using testing::ScratchDir;

std::string to_text(const RunReport& r) { return testing::render(JsonWriter(), r); }

TEST(JsonReport, RoundTripIsLossless) {
  RunReport original = sample_report();
  RunReport back = parse_report(to_text(original), "sample.json");
  EXPECT_EQ(back, original);
}

TEST(JsonReport, RoundTripKeepsShardAndMergeRecords) {
  RunReport shard = sample_report();
  shard.shard = ShardInfo{2, 3};
  EXPECT_EQ(parse_report(to_text(shard), "s.json"), shard);

  RunReport merged = sample_report();
  merged.merged_from = {{{0, 2}, {"a", "Linux", 4}, "2024-05-01T12:00:00Z", 1.5, 10},
                        {{1, 2}, {"b", "Linux", 8}, "2024-05-01T12:00:03.25Z", 2.5, 11}};
  EXPECT_EQ(parse_report(to_text(merged), "m.json"), merged);
}

TEST(JsonReport, RoundTripThroughAFile) {
  ScratchDir dir;
  RunReport original = sample_report();
  auto path = write_report_file(JsonWriter(), original, dir.path());
  EXPECT_EQ(path.filename(), "emmi-report.json");
  EXPECT_EQ(read_report_file(path), original);
}

TEST(JsonReport, WritesTheDerivedSummary) {
  nlohmann::json j = report_to_json(sample_report());
  EXPECT_EQ(j["format"], "emmi-cts-report");
  EXPECT_EQ(j["format_version"], 4);
  EXPECT_EQ(j["platform"], "gnumach");
  EXPECT_EQ(j["summary"]["portability"], 0);
  EXPECT_EQ(j["summary"]["outcome"], "not-conformant");
  EXPECT_EQ(j["summary"]["verdict"], "fail");
  EXPECT_EQ(j["summary"]["conformant"], false);
  // The headline counts the pager's rules; the self-checks are apart.
  EXPECT_EQ(j["summary"]["counts"]["fail"], 3);
  EXPECT_EQ(j["summary"]["counts"]["pass"], 5);
  EXPECT_EQ(j["summary"]["advisory"], 1);
  EXPECT_EQ(j["summary"]["self_checks"]["verdict"], "unresolved");
  EXPECT_EQ(j["summary"]["self_checks"]["counts"]["pass"], 2);
  EXPECT_EQ(j["summary"]["self_checks"]["counts"]["unresolved"], 1);
  ASSERT_EQ(j["rules"].size(), 14u);
  ASSERT_EQ(j["self_checks"].size(), 3u);
  for (const auto& rule : j["rules"]) EXPECT_EQ(rule["party"], "pager") << rule["id"];
  for (const auto& rule : j["self_checks"]) EXPECT_EQ(rule["party"], "kernel") << rule["id"];
  EXPECT_EQ(j["self_checks"][2]["id"], "RT1");
  EXPECT_EQ(j["self_checks"][2]["fails_run"], true);
  EXPECT_EQ(j["rules"][13]["id"], "V6");
  EXPECT_EQ(j["rules"][13]["fails_run"], false);
  EXPECT_EQ(j["rules"][10]["fails_run"], true);
  EXPECT_EQ(j["summary"]["conformant_verdicts"],
            nlohmann::json({"pass", "not-applicable", "waived"}));
  EXPECT_FALSE(j.contains("shard"));
  EXPECT_FALSE(j["rules"][0].contains("counterexample"));
}

TEST(JsonReport, InvalidUtf8FromThePagerStillGivesValidJson) {
  RunReport r = sample_report();
  r.rules[0].message = "bad bytes \xff\xfe here";
  std::string text = to_text(r);
  EXPECT_TRUE(nlohmann::json::accept(text));
  EXPECT_NE(text.find("bad bytes \xEF\xBF\xBD"), std::string::npos);
}

// Each corrupt input gets a ReportReadError naming the source and the fault.
struct Corruption {
  const char* name;
  void (*edit)(nlohmann::json&);
  const char* expected_fragment;
};

const Corruption kCorruptions[] = {
    {"missing pager", [](nlohmann::json& j) { j.erase("pager"); },
     "missing required field \"pager\""},
    {"bad verdict", [](nlohmann::json& j) { j["rules"][2]["verdict"] = "passs"; },
     "rules[2].verdict: expected one of pass, fail, not-applicable"},
    {"negative exercised", [](nlohmann::json& j) { j["rules"][1]["exercised"] = -4; },
     "rules[1].exercised: expected a non-negative integer, got -4"},
    {"seed as string", [](nlohmann::json& j) { j["seed"] = "42"; },
     "seed: expected a non-negative integer, got string"},
    {"newer version", [](nlohmann::json& j) { j["format_version"] = 5; },
     "format_version: this reader understands version 4, the file is version 5"},
    {"version 3 (no osf platform)", [](nlohmann::json& j) { j["format_version"] = 3; },
     "format_version: this reader understands version 4, the file is version 3"},
    {"older version", [](nlohmann::json& j) { j["format_version"] = 1; },
     "format_version: this reader understands version 4, the file is version 1"},
    {"version 2 (no platform)",
     [](nlohmann::json& j) {
       j["format_version"] = 2;
       j.erase("platform");
     },
     "format_version: this reader understands version 4, the file is version 2"},
    {"unknown platform", [](nlohmann::json& j) { j["platform"] = "xnu"; },
     "platform: expected \"gnumach\", \"manual\" or \"osf\", got \"xnu\""},
    {"no platform", [](nlohmann::json& j) { j.erase("platform"); },
     "missing required field \"platform\""},
    {"empty portability", [](nlohmann::json& j) { j["rules"][1]["portability"] = ""; },
     "rules[1].portability: must not be empty"},
    {"unknown level", [](nlohmann::json& j) { j["rules"][1]["level"] = "MUSTN'T"; },
     "rules[1].level: expected one of MUST, SHOULD, MAY, INFO"},
    {"kernel rule among the pager's", [](nlohmann::json& j) { j["rules"][1]["party"] = "kernel"; },
     "rules[1].party: a rule in \"rules\" binds the pager, got \"kernel\""},
    {"pager rule among the self-checks",
     [](nlohmann::json& j) { j["self_checks"][0]["party"] = "pager"; },
     "self_checks[0].party: a rule in \"self_checks\" binds the kernel"},
    {"self-check failing the pager",
     [](nlohmann::json& j) { j["self_checks"][0]["verdict"] = "fail"; },
     "self_checks[0].verdict: a self-check of the suite cannot be a pager non-conformance"},
    {"no self-checks", [](nlohmann::json& j) { j.erase("self_checks"); },
     "missing required field \"self_checks\""},
    {"not a report", [](nlohmann::json& j) { j["format"] = "junit"; }, "not an emmi-cts report"},
    {"bad hash", [](nlohmann::json& j) { j["pager"]["sha256"] = "ABC"; },
     "pager.sha256: expected 64 lower-case hex digits"},
    {"bad time", [](nlohmann::json& j) { j["started_at"] = "yesterday"; },
     "started_at: expected an ISO-8601 UTC time"},
    {"local time", [](nlohmann::json& j) { j["started_at"] = "2024-05-01T12:00:00"; },
     "started_at: expected an ISO-8601 UTC time"},
    {"empty fraction", [](nlohmann::json& j) { j["started_at"] = "2024-05-01T12:00:00.Z"; },
     "started_at: expected an ISO-8601 UTC time"},
    {"upper-case hash",
     [](nlohmann::json& j) { j["pager"]["sha256"] = std::string(63, 'a') + "F"; },
     "pager.sha256: expected 64 lower-case hex digits"},
    {"trace lane",
     [](nlohmann::json& j) { j["rules"][10]["counterexample"]["trace"][3].erase("lane_from"); },
     "rules[10].counterexample.trace[3]: missing required field \"lane_from\""},
    {"shard index",
     [](nlohmann::json& j) {
       j["shard"] = {{"index", 3}, {"total", 3}};
     },
     "shard.index: index 3 is not below total 3"},
    {"waived without waiver", [](nlohmann::json& j) { j["rules"][4].erase("waiver"); },
     "rules[4]: verdict is waived but there is no \"waiver\""},
    {"not-applicable exercised", [](nlohmann::json& j) { j["rules"][6]["exercised"] = 3; },
     "rules[6].exercised: a not-applicable rule was never exercised"},
    {"array root", [](nlohmann::json& j) { j = nlohmann::json::array(); },
     "expected a JSON object (an emmi-cts report), got array"},
};

TEST(JsonReader, CorruptReportsAreRejectedWithTheFieldNamed) {
  const nlohmann::json good = report_to_json(sample_report());
  ASSERT_EQ(good["rules"][10]["id"], "SQ7");  // the fixture layout the edits rely on
  ASSERT_EQ(good["rules"][4]["verdict"], "waived");
  ASSERT_EQ(good["rules"][6]["verdict"], "not-applicable");
  for (const Corruption& c : kCorruptions) {
    nlohmann::json j = good;
    c.edit(j);
    try {
      report_from_json(j, "shard-2.json");
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const ReportReadError& e) {
      EXPECT_EQ(e.source(), "shard-2.json");
      std::string what = e.what();
      EXPECT_EQ(what.rfind("shard-2.json: ", 0), 0u) << c.name << ": " << what;
      EXPECT_NE(what.find(c.expected_fragment), std::string::npos) << c.name << ": " << what;
    }
  }
}

TEST(JsonReader, UnreadableFilesAreNamed) {
  ScratchDir dir;
  auto expect_error = [](const std::filesystem::path& p, const std::string& fragment) {
    try {
      read_report_file(p);
      ADD_FAILURE() << p << " accepted";
    } catch (const ReportReadError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(p.string()), std::string::npos) << what;
      EXPECT_NE(what.find(fragment), std::string::npos) << what;
    }
  };
  expect_error(dir / "absent.json", "no such file");
  testing::write_file(dir / "empty.json", "  \n");
  expect_error(dir / "empty.json", "empty file");
  std::string text = to_text(sample_report());
  testing::write_file(dir / "truncated.json", text.substr(0, text.size() / 2));
  expect_error(dir / "truncated.json", "not valid JSON");
  expect_error(dir.path(), "is a directory");
}

TEST(JsonReader, ErrorsAreReportErrorsForTheCommandLine) {
  // The CLI maps every ReportError to exit code 2.
  EXPECT_THROW(parse_report("{", "x.json"), ReportError);
  EXPECT_THROW(parse_report("[]", "x.json"), ReportError);
}

// The reports library's errors have the suite's one input-error root, and
// each names the input at fault: the report read, the directory written, the
// shards merged, the format list.
TEST(JsonReader, ReportErrorsAreInputErrorsNamingTheirInput) {
  static_assert(std::is_base_of_v<emmi::InputError, ReportError>);
  try {
    parse_report("{", "shard-3.json");
    ADD_FAILURE() << "no error";
  } catch (const emmi::InputError& e) {
    EXPECT_EQ(e.input(), "shard-3.json");
  }
  try {
    (void)merge({});
    ADD_FAILURE() << "no error";
  } catch (const emmi::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no reports"), std::string::npos) << e.what();
    EXPECT_NE(e.input(), "");
  }
  EXPECT_EQ(ReportWriteError("/nowhere/reports", "cannot write").input(), "/nowhere/reports");
  EXPECT_EQ(ReportReadError("r.json", "bad").source(), "r.json");
  EXPECT_NE(UnknownFormatError("unknown report format 'sarif'").input(), "");
}

}  // namespace
}  // namespace emmi::reports

namespace emmi::reports {
namespace {

// A portability finding (format version 3): a pager rule's fail that is
// harmless on the report's platform. It round-trips, is counted apart, and
// does not fail the run.
TEST(JsonReport, PortabilityFindingRoundTripsAndDoesNotFailTheRun) {
  RunReport r = testing::sample_report();
  r.rules.erase(std::remove_if(r.rules.begin(), r.rules.end(),
                               [](const RuleResult& rule) { return rule.verdict.is_failure(); }),
                r.rules.end());
  RuleResult su1;
  su1.id = "SU1";
  su1.group = "supply";
  su1.title = "Never supply unrequested data";
  su1.level = "MUST";
  su1.verdict = Verdict::fail;
  su1.exercised = 4;
  su1.message = "data_supply supplies page 0x1000, which kernel 1 did not request";
  su1.portability = "X6: harmless on the gnumach platform";
  r.rules.insert(r.rules.begin(), su1);  // pager rules come first in a read report
  EXPECT_FALSE(fails_run(su1));
  EXPECT_TRUE(is_portability(su1));
  EXPECT_FALSE(is_advisory(su1));
  EXPECT_TRUE(is_conformant(r));
  nlohmann::json j = report_to_json(r);
  EXPECT_EQ(j["summary"]["portability"], 1);
  EXPECT_EQ(j["summary"]["advisory"], 0);
  EXPECT_EQ(j["rules"][0]["portability"], su1.portability);
  EXPECT_EQ(j["rules"][0]["fails_run"], false);
  EXPECT_EQ(report_from_json(j, "x.json"), r);
  // The same finding without the note is a MUST failure.
  su1.portability.clear();
  EXPECT_TRUE(fails_run(su1));
}

}  // namespace
}  // namespace emmi::reports
