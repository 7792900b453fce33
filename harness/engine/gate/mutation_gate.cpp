// SPDX-License-Identifier: MIT
// The CTest gate of the conformance engine: every pager of the mutant zoo must
// fail the standard profile for the rule it declares (mutation score 100%),
// with a shrunk counterexample of at most 8 kernel commands; and the reference
// pager and every conforming pager of the manifest (other threading designs)
// must pass the standard profile on 20 different seeds. The table of
// results (time to detection, counterexample length) is printed at the end.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emmi/engine/engine.h"

using namespace emmi;

namespace {

struct Mutant {
  std::string id, library, options, verdict;
  std::vector<std::string> rules;
};

std::vector<Mutant> zoo() {
  std::ifstream in(EMMI_MUTANTS_MANIFEST);
  if (!in) return {};
  auto doc = nlohmann::json::parse(in);
  std::vector<Mutant> out;
  for (auto& m : doc.at("mutants"))
    out.push_back({m.at("id"), m.at("library"), m.value("options", ""), m.at("verdict"),
                   m.at("rules").get<std::vector<std::string>>()});
  return out;
}

// The pagers that must be found conforming: the reference pager and every
// entry of the manifest's "conforming" list (pagers of other threading
// designs), each with the options the manifest gives it.
struct Conforming {
  std::string id, library, options;
};

std::vector<Conforming> conforming_pagers() {
  std::ifstream in(EMMI_MUTANTS_MANIFEST);
  if (!in) return {};
  auto doc = nlohmann::json::parse(in);
  std::vector<Conforming> out{{"reference", doc.at("reference"), ""}};
  if (doc.contains("conforming"))
    for (auto& c : doc.at("conforming"))
      out.push_back({c.at("id"), c.at("library"), c.value("options", "")});
  return out;
}

struct Row {
  std::string id, rule, verdict, detection;
  std::size_t commands = 0;
  bool caught = false;
  double seconds = 0;
};
std::vector<Row>& table() {
  static std::vector<Row> rows;
  return rows;
}

engine::RunConfig standard_run(const std::string& library, std::uint64_t seed) {
  engine::RunConfig cfg;
  cfg.pager_path = library;
  cfg.profile = *engine::profile_named("standard");
  cfg.seed = seed;
  cfg.jobs = 1;
  return cfg;
}

class MutantGate : public testing::TestWithParam<Mutant> {};

TEST_P(MutantGate, FailsForTheRuleItDeclares) {
  const Mutant& m = GetParam();
  ASSERT_FALSE(m.rules.empty());
  engine::RunConfig cfg = standard_run(m.library, 1);
  cfg.pager_options = m.options;
  cfg.stop_on = {m.rules.front()};
  const auto start = std::chrono::steady_clock::now();
  reports::RunReport report = engine::run_conformance(cfg);
  Row row{m.id, m.rules.front(), "-", "", 0, false,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  const reports::RuleResult* result = nullptr;
  for (const auto& r : report.rules)
    if (r.id == m.rules.front()) result = &r;
  ASSERT_NE(result, nullptr) << "the catalogue has no rule " << m.rules.front();
  row.verdict = std::string(result->verdict.name());
  auto found = result->message.find("[found after ");
  if (found != std::string::npos) row.detection = result->message.substr(found + 13);
  if (!row.detection.empty()) row.detection.pop_back();
  if (result->counterexample) row.commands = result->counterexample->commands.size();
  row.caught = std::string(result->verdict.name()) == m.verdict;
  table().push_back(row);
  EXPECT_EQ(result->verdict.name(), m.verdict)
      << m.id << ": " << m.rules.front() << " ended " << result->verdict.name() << ": "
      << result->message;
  ASSERT_TRUE(result->counterexample.has_value()) << m.id;
  EXPECT_LE(result->counterexample->commands.size(), 8u)
      << m.id << ": counterexample not shrunk enough";
  EXPECT_FALSE(result->counterexample->replay_command.empty());
}

std::string name_of(const testing::TestParamInfo<Mutant>& info) { return info.param.id; }

INSTANTIATE_TEST_SUITE_P(Zoo, MutantGate, testing::ValuesIn(zoo()), name_of);

class ConformingGate : public testing::TestWithParam<Conforming> {};

TEST_P(ConformingGate, StandardProfileConformsOnTwentySeeds) {
  const Conforming& c = GetParam();
  std::uint64_t cases = 0, commands = 0;
  double seconds = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    engine::RunConfig cfg = standard_run(c.library, seed * 7919);
    cfg.pager_options = c.options;
    cfg.jobs = engine::default_jobs();  // as emmi-cts run
    reports::RunReport report = engine::run_conformance(cfg);
    for (const auto& r : report.rules)
      EXPECT_FALSE(r.verdict.is_failure()) << c.id << ", seed " << cfg.seed << ": " << r.id
                                           << " " << r.verdict.name() << ": " << r.message;
    cases += report.cases_run;
    commands += std::stoull(report.parameters.at("commands_run"));
    seconds += report.duration_s;
  }
  std::printf("%s pager, standard profile, 20 seeds: %llu cases, %llu kernel commands in "
              "%.1f s (%.0f commands/s, %.1f s per run)\n",
              c.id.c_str(), static_cast<unsigned long long>(cases),
              static_cast<unsigned long long>(commands), seconds, commands / seconds,
              seconds / 20);
}

std::string conforming_name(const testing::TestParamInfo<Conforming>& info) {
  return info.param.id;
}

INSTANTIATE_TEST_SUITE_P(Pagers, ConformingGate, testing::ValuesIn(conforming_pagers()),
                         conforming_name);

class ScoreTable : public testing::Environment {
 public:
  void TearDown() override {
    if (table().empty()) return;
    std::size_t caught = 0;
    std::printf("\n%-32s %-5s %-9s %-8s %-40s %s\n", "mutant", "rule", "verdict", "commands",
                "time to detection", "run");
    for (const Row& r : table()) {
      caught += r.caught;
      std::printf("%-32s %-5s %-9s %-8zu %-40s %.1f s\n", r.id.c_str(), r.rule.c_str(),
                  r.verdict.c_str(), r.commands, r.detection.c_str(), r.seconds);
    }
    std::printf("mutation score: %zu/%zu detected for their declared rule (%.0f%%)\n", caught,
                table().size(), 100.0 * caught / table().size());
  }
};

const auto* const kScore = testing::AddGlobalTestEnvironment(new ScoreTable);

}  // namespace
