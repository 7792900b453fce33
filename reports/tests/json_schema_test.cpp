// SPDX-License-Identifier: MIT
// Written JSON reports validate against the versioned schema in the
// repository, checked by an independent validator (Debian python3-jsonschema).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "emmi/reports/json_report.h"
#include "emmi/reports/merge.h"
#include "sample_report.h"
#include "tools.h"

namespace emmi::reports {
namespace {

using testing::ScratchDir;

const std::string kSchema = EMMI_REPORTS_SCHEMA_DIR "/emmi-report-v4.schema.json";

testing::CommandResult validate(const std::filesystem::path& document) {
  return testing::validate_json_schema(kSchema, document);
}

TEST(JsonSchema, WrittenReportValidates) {
  ScratchDir dir;
  auto file = write_report_file(JsonWriter(), testing::sample_report(), dir.path());
  auto result = validate(file);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(JsonSchema, ManualPlatformReportWithAPortabilityFindingValidates) {
  ScratchDir dir;
  RunReport r = testing::sample_report();
  r.platform = "manual";
  r.rules.front().portability = "X18: harmless on the gnumach platform";
  auto file = write_report_file(JsonWriter(), r, dir.path());
  auto result = validate(file);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(JsonSchema, ShardAndMergedReportsValidate) {
  ScratchDir dir;
  std::vector<RunReport> shards;
  for (std::uint32_t i = 0; i < 3; ++i) {
    RunReport r = testing::sample_report();
    r.shard = ShardInfo{i, 3};
    shards.push_back(r);
  }
  write_report_file(JsonWriter(), shards[1], dir.path());
  auto shard_result = validate(dir / "emmi-report.json");
  EXPECT_EQ(shard_result.exit_code, 0) << shard_result.out << shard_result.err;

  write_report_file(JsonWriter(), merge(shards), dir.path());
  auto merged_result = validate(dir / "emmi-report.json");
  EXPECT_EQ(merged_result.exit_code, 0) << merged_result.out << merged_result.err;
}

// The validator really checks: reports missing required data, or with data
// of the wrong shape, are refused with the field named.
TEST(JsonSchema, BrokenReportsFailValidation) {
  ScratchDir dir;
  nlohmann::json good = report_to_json(testing::sample_report());
  struct Case {
    const char* name;
    void (*edit)(nlohmann::json&);
    const char* expected;
  };
  const Case cases[] = {
      {"missing required field", [](nlohmann::json& j) { j["pager"].erase("sha256"); },
       "'sha256' is a required property"},
      {"unknown platform", [](nlohmann::json& j) { j["platform"] = "xnu"; }, "'xnu' is not one of"},
      {"version 3", [](nlohmann::json& j) { j["format_version"] = 3; }, "4 was expected"},
      {"unknown verdict", [](nlohmann::json& j) { j["rules"][3]["verdict"] = "flaky"; },
       "rules/3/verdict: 'flaky' is not one of"},
      {"waived without waiver", [](nlohmann::json& j) { j["rules"][4].erase("waiver"); },
       "'waiver' is a required property"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = good;
    c.edit(j);
    testing::write_file(dir / "broken.json", j.dump(2));
    auto result = validate(dir / "broken.json");
    EXPECT_EQ(result.exit_code, 1) << c.name << "\n" << result.out << result.err;
    EXPECT_NE(result.out.find(c.expected), std::string::npos) << c.name << "\n" << result.out;
  }
}

}  // namespace
}  // namespace emmi::reports
