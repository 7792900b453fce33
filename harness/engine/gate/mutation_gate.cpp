// SPDX-License-Identifier: MIT
// The CTest gate of the conformance engine: every pager of the mutant zoo must
// fail the standard profile for the rule it declares (mutation score 100%),
// with a shrunk counterexample of at most 8 kernel commands, on the platform
// the manifest gives it (the default, gnumach, unless its bug needs a world
// only the manual platform plays); and the reference pager and every
// conforming pager of the manifest (other threading designs) must pass the
// standard profile on 20 different seeds on the default platform and on 5
// on the manual platform. The table of
// results (time to detection, counterexample length) is printed at the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emmi/catalogue/catalogue.h"
#include "emmi/engine/case_runner.h"
#include "emmi/engine/engine.h"
#include "emmi/engine/pager_library.h"
#include "emmi/model/rules.h"

using namespace emmi;

namespace {

struct Mutant {
  std::string id, library, options, verdict;
  std::vector<std::string> rules;
  engine::Platform platform = engine::kDefaultPlatform;
  // "auto": what the pager declares (emmi_pager_dialects); "osf": an OSF
  // pager, played by OSF kernels.
  std::string dialect = "auto";
};
// gtest names the parameter of a failing test by this, not by its bytes.
void PrintTo(const Mutant& m, std::ostream* os) { *os << m.id; }

std::vector<Mutant> zoo() {
  std::ifstream in(EMMI_MUTANTS_MANIFEST);
  if (!in) return {};
  auto doc = nlohmann::json::parse(in);
  std::vector<Mutant> out;
  for (auto& m : doc.at("mutants"))
    out.push_back({m.at("id"), m.at("library"), m.value("options", ""), m.at("verdict"),
                   m.at("rules").get<std::vector<std::string>>(),
                   engine::parse_platform(m.value("platform", "gnumach")).value(),
                   m.value("dialect", "") == "osf" ? "osf" : "auto"});
  return out;
}

// The pagers that must be found conforming: the reference pager and every
// entry of the manifest's "conforming" list (pagers of other threading
// designs), each with the options the manifest gives it.
struct Conforming {
  std::string id, library, options;
  std::string dialect = "auto";
  // The one platform the pager conforms on, when the manifest restricts it
  // ("platform"), and the X-note whose portability findings it may have
  // there ("portability"): harmless on that platform, so not failures.
  std::optional<engine::Platform> platform{};
  std::string portability{};
};
void PrintTo(const Conforming& c, std::ostream* os) { *os << c.id; }

std::vector<Conforming> conforming_pagers() {
  std::ifstream in(EMMI_MUTANTS_MANIFEST);
  if (!in) return {};
  auto doc = nlohmann::json::parse(in);
  std::vector<Conforming> out{{"reference", doc.at("reference"), ""}};
  // The OSF reference pager, played by kernels of the OSF dialect.
  if (doc.contains("osf_reference"))
    out.push_back({"osf_reference", doc.at("osf_reference"), "", "osf"});
  if (doc.contains("conforming"))
    for (auto& c : doc.at("conforming"))
      out.push_back({c.at("id"), c.at("library"), c.value("options", ""), "auto",
                     c.contains("platform")
                         ? engine::parse_platform(c.at("platform").get<std::string>())
                         : std::nullopt,
                     c.value("portability", "")});
  return out;
}

// A finding the pager is allowed on its platform: a portability finding of
// the X-note its manifest entry names (RuleResult::portability starts with
// the note).
bool allowed_portability(const Conforming& c, const reports::RuleResult& r) {
  return !c.portability.empty() && reports::is_portability(r) &&
         r.portability.rfind(c.portability + ":", 0) == 0;
}

struct Row {
  std::string id, rule, verdict, detection, platform;
  std::size_t commands = 0;
  bool caught = false;
  double seconds = 0;
};
struct Replays {
  std::string id;
  int identical;
};
std::vector<Replays>& replays() {
  static std::vector<Replays> rows;
  return rows;
}

std::vector<Row>& table() {
  static std::vector<Row> rows;
  return rows;
}

engine::RunConfig standard_run(const std::string& library, std::uint64_t seed,
                               engine::Platform platform = engine::kDefaultPlatform,
                               const std::string& dialect = "auto") {
  engine::RunConfig cfg;
  cfg.pager_path = library;
  // Unrestricted (the default platform), a pager is judged on its dialect's
  // own platform, gnumach or osf, as emmi-cts run does without --platform;
  // the manual platform takes either dialect.
  if (platform == engine::kDefaultPlatform && dialect != "auto")
    platform = engine::native_platform(dialect);
  cfg.profile = *engine::profile_named("standard", platform);
  cfg.platform_follows_dialect = platform != engine::Platform::manual;
  cfg.dialect = dialect;
  // run_conformance does this itself from the resolved dialect; replays
  // through run_case need it too.
  cfg.profile.world.osf = dialect == "osf";
  cfg.seed = seed;
  cfg.jobs = 1;
  return cfg;
}

// The replay token of a counterexample pins the commands and the schedule:
// rerun 100 times, the case gives the same trace, event for event, and the
// declared rule's finding every time.
void expect_replays_identical(const Mutant& m, const engine::RunConfig& cfg,
                              const std::string& replay_command) {
  auto at = replay_command.find("emmi2:");
  ASSERT_NE(at, std::string::npos) << replay_command;
  auto end = replay_command.find_first_of(" '\"", at);
  auto spec = engine::decode_replay_token(
      replay_command.substr(at, end == std::string::npos ? end : end - at));
  ASSERT_TRUE(spec.has_value()) << replay_command;
  auto lib = engine::PagerLibrary::load(m.library);
  engine::CaseOptions options;
  options.pager_options = cfg.pager_options;
  auto key = [](const engine::CaseOutcome& o) {
    std::string k;
    for (const auto& t : o.trace)
      k += fmt::format("{}|{}|{}|{}|{}|{}|{}\n", t.index, t.from, t.to, t.label,
                       t.seqno ? static_cast<long long>(*t.seqno) : -1LL, t.rights, t.note);
    for (const auto& v : o.verdicts)
      k += fmt::format("{}:{}:{}\n", v.rule, v.liveness, v.explanation);
    return k;
  };
  const engine::CaseOutcome first = engine::run_case(lib, cfg.profile, *spec, options);
  ASSERT_FALSE(first.uncontrolled) << m.id << ": " << first.uncontrolled_reason;
  bool declared = false;
  for (const auto& v : first.verdicts) declared = declared || v.rule == m.rules.front();
  if (m.verdict == "crash") declared = declared || first.end == engine::ChildEnd::crashed;
  EXPECT_TRUE(declared) << m.id << ": the replay does not reproduce " << m.rules.front();
  const std::string expected = key(first);
  int identical = 1;
  for (int i = 1; i < 100; ++i) {
    engine::CaseOutcome again = engine::run_case(lib, cfg.profile, *spec, options);
    if (key(again) == expected && again.schedule_digest == first.schedule_digest &&
        again.end == first.end)
      ++identical;
  }
  EXPECT_EQ(identical, 100) << m.id << ": replays with the identical trace, out of 100";
  replays().push_back({m.id, identical});
}

class MutantGate : public testing::TestWithParam<Mutant> {};

TEST_P(MutantGate, FailsForTheRuleItDeclares) {
  const Mutant& m = GetParam();
  ASSERT_FALSE(m.rules.empty());
  engine::RunConfig cfg = standard_run(m.library, 1, m.platform, m.dialect);
  cfg.pager_options = m.options;
  cfg.stop_on = {m.rules.front()};
  const auto start = std::chrono::steady_clock::now();
  reports::RunReport report = engine::run_conformance(cfg);
  Row row{m.id,  m.rules.front(),
          "-",   "",
          "",    0,
          false, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  const reports::RuleResult* result = nullptr;
  for (const auto& r : report.rules)
    if (r.id == m.rules.front()) result = &r;
  ASSERT_NE(result, nullptr) << "the catalogue has no rule " << m.rules.front();
  row.verdict = std::string(result->verdict.name());
  auto found = result->message.find("[found after ");
  if (found != std::string::npos) row.detection = result->message.substr(found + 13);
  if (!row.detection.empty()) row.detection.pop_back();
  if (result->counterexample) row.commands = result->counterexample->commands.size();
  row.caught = std::string(result->verdict.name()) == m.verdict && result->portability.empty();
  row.platform = report.platform;
  table().push_back(row);
  EXPECT_EQ(result->verdict.name(), m.verdict) << m.id << ": " << m.rules.front() << " ended "
                                               << result->verdict.name() << ": " << result->message;
  EXPECT_TRUE(result->portability.empty())
      << m.id << ": caught only as a portability finding on " << report.platform << " ("
      << result->portability << "); declare \"platform\": \"manual\"";
  ASSERT_TRUE(result->counterexample.has_value()) << m.id;
  EXPECT_LE(result->counterexample->commands.size(), 8u)
      << m.id << ": counterexample not shrunk enough";
  EXPECT_FALSE(result->counterexample->replay_command.empty());
  expect_replays_identical(m, cfg, result->counterexample->replay_command);
}

std::string name_of(const testing::TestParamInfo<Mutant>& info) { return info.param.id; }

INSTANTIATE_TEST_SUITE_P(Zoo, MutantGate, testing::ValuesIn(zoo()), name_of);

class ConformingGate : public testing::TestWithParam<Conforming> {};

void conforms_on_seeds(const Conforming& c, engine::Platform platform, std::uint64_t seeds) {
  std::uint64_t cases = 0, commands = 0;
  double seconds = 0;
  std::string judged_on{engine::to_string(platform)};  // the platform the engine judged on
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    engine::RunConfig cfg = standard_run(c.library, seed * 7919, platform, c.dialect);
    cfg.pager_options = c.options;
    cfg.jobs = engine::default_jobs();  // as emmi-cts run
    reports::RunReport report = engine::run_conformance(cfg);
    judged_on = report.platform;
    bool failed = false;
    for (const auto& r : report.rules) {
      const bool failure = r.verdict.is_failure() && !allowed_portability(c, r);
      EXPECT_FALSE(failure) << c.id << ", seed " << cfg.seed << ": " << r.id << " "
                            << r.verdict.name() << ": " << r.message;
      failed = failed || failure;
    }
    cases += report.cases_run;
    commands += std::stoull(report.parameters.at("commands_run"));
    seconds += report.duration_s;
    // One failing seed decides; the others would only repeat it (a pager
    // that never settles takes the step bound on every case).
    if (failed) {
      std::printf("%s pager on %s: stopped after seed %llu failed\n", c.id.c_str(),
                  judged_on.c_str(), static_cast<unsigned long long>(cfg.seed));
      return;
    }
  }
  std::printf(
      "%s pager, standard profile on %s, %llu seeds: %llu cases, %llu kernel commands "
      "in %.1f s (%.0f commands/s, %.1f s per run)\n",
      c.id.c_str(), judged_on.c_str(), static_cast<unsigned long long>(seeds),
      static_cast<unsigned long long>(cases), static_cast<unsigned long long>(commands), seconds,
      commands / seconds, seconds / static_cast<double>(seeds));
}

// A pager restricted to one platform is not run on the other.
bool runs_on(const Conforming& c, engine::Platform platform) {
  return !c.platform || *c.platform == platform;
}

TEST_P(ConformingGate, StandardProfileConformsOnTwentySeeds) {
  if (!runs_on(GetParam(), engine::Platform::gnumach))
    GTEST_SKIP() << GetParam().id << " conforms only on its own platform";
  conforms_on_seeds(GetParam(), engine::Platform::gnumach, 20);
}

// The manual platform's world is larger (five kernels, mixed page sizes,
// two of 4 KiB): fewer seeds keep the gate's time, and every design must
// still tell kernels apart by control port.
TEST_P(ConformingGate, ManualPlatformConformsOnFiveSeeds) {
  if (!runs_on(GetParam(), engine::Platform::manual))
    GTEST_SKIP() << GetParam().id << " conforms only on its own platform";
  conforms_on_seeds(GetParam(), engine::Platform::manual, 5);
}

std::string conforming_name(const testing::TestParamInfo<Conforming>& info) {
  return info.param.id;
}

INSTANTIATE_TEST_SUITE_P(Pagers, ConformingGate, testing::ValuesIn(conforming_pagers()),
                         conforming_name);

// The model owns coverage (model::Judgement): across a standard-profile run of
// the reference pager and one of each conforming default pager (the
// default-pager rules are exercised only on temporary objects, which only a
// default pager is given) and of each conforming pager with options, every rule the model can emit
// that applies to the dialect is counted, and the reports show it: exercised > 0, or not-applicable
// with a reason. A rule no pager of the tree can exercise is listed here with why, and must stay
// uncounted, so the list cannot go stale.
const std::map<std::string, std::string>& unreachable_rules() {
  static const std::map<std::string, std::string> rules = {
      {std::string(model::rule::SQ2),
       "a self-check on receive rights other than object ports; the reference pager "
       "receives no message on a reply or notification port"},
  };
  return rules;
}

TEST(CoverageGate, EveryModelRuleIsCountedOnTheReferencePagers) {
  const std::vector<Conforming> pagers = conforming_pagers();
  ASSERT_FALSE(pagers.empty()) << "cannot read " << EMMI_MUTANTS_MANIFEST;
  // The reference pager on the manual platform: several kernels and page
  // sizes, so the rules of several kernels (MK2, MK4, DR8, PS2 ...) and the
  // refusal path are reached. Each conforming default pager on the default
  // platform.
  // A conforming pager run with options (the reference pager's optional
  // policies: data_error and its retry, precious pages, unlocks refused by
  // a flush) on the default platform too. The reference pager also runs on the default platform:
  // with one kernel its flushes find the pages it wrote dirty (LK11).
  std::vector<std::pair<const Conforming*, engine::Platform>> runs{
      {&pagers.front(), engine::Platform::manual}, {&pagers.front(), engine::Platform::gnumach}};
  for (const Conforming& c : pagers)
    if ((engine::PagerLibrary::load(c.library).default_role() || !c.options.empty()) &&
        runs_on(c, engine::Platform::gnumach))
      runs.emplace_back(&c, engine::Platform::gnumach);
  EXPECT_GE(runs.size(), 3u) << "no conforming default pager in " << EMMI_MUTANTS_MANIFEST;
  engine::RunConfig cfg;
  std::vector<reports::RunReport> reports;
  std::map<std::string, std::uint64_t> exercised;
  for (const auto& [c, platform] : runs) {
    cfg = standard_run(c->library, 7919, platform);
    cfg.pager_options = c->options;
    cfg.jobs = engine::default_jobs();
    reports.push_back(engine::run_conformance(cfg));
    for (const reports::RuleResult& r : reports.back().rules) {
      exercised[r.id] += r.exercised;
      if (r.verdict == reports::Verdict::pass || allowed_portability(*c, r)) {
        EXPECT_GT(r.exercised, 0u) << c->id << ": " << r.id;
      } else if (r.verdict == reports::Verdict::not_applicable) {
        EXPECT_FALSE(r.message.empty())
            << c->id << ": " << r.id << " is not applicable without a reason";
      } else {
        ADD_FAILURE() << c->id << ": " << r.id << " " << r.verdict.name() << ": " << r.message;
      }
    }
  }
  // The reference pager's report names each rule; the counts are the sum.
  std::map<std::string, const reports::RuleResult*> by_id;
  for (const reports::RuleResult& r : reports.front().rules) by_id[r.id] = &r;
  // The dialect the reference pager declares (resolved from auto).
  const auto dialect = *catalogue::parse_dialect(reports.front().dialect);
  for (std::string_view id : model::checked_rules()) {
    const catalogue::Rule* rule = catalogue::Catalogue::builtin().find(id);
    ASSERT_NE(rule, nullptr) << id;
    if (!rule->applies_to(dialect)) continue;
    auto found = by_id.find(std::string(id));
    ASSERT_NE(found, by_id.end()) << id << " missing from the report";
    const reports::RuleResult& r = *found->second;
    const std::uint64_t counted = exercised[std::string(id)];
    if (auto why = unreachable_rules().find(std::string(id)); why != unreachable_rules().end()) {
      EXPECT_EQ(counted, 0u) << id << " is counted now: remove it from unreachable_rules() ("
                             << why->second << ")";
      continue;
    }
    EXPECT_GT(counted, 0u) << id << " is checked by the model but never counted on the "
                           << "reference pagers (" << r.verdict.name() << ": " << r.message << ")";
  }
}

// The OSF reference pager, played by OSF kernels: every rule the model
// checks only in the OSF dialect (SY*, CA1, CA2, CA5) is counted, and so are
// the rules of the pager's own actions, nothing fails,
// and the rules of the GNU Mach dialects alone (MK1, V6: the name port) are
// not applicable with the dialect as the reason, never judged.
TEST(CoverageGate, EveryOsfRuleIsCountedOnTheOsfReferencePager) {
  const std::vector<Conforming> pagers = conforming_pagers();
  const auto osf = std::find_if(pagers.begin(), pagers.end(),
                                [](const Conforming& c) { return c.dialect == "osf"; });
  ASSERT_NE(osf, pagers.end()) << "no OSF reference pager in " << EMMI_MUTANTS_MANIFEST;
  engine::RunConfig cfg = standard_run(osf->library, 7919, engine::Platform::gnumach, "auto");
  cfg.jobs = engine::default_jobs();
  const reports::RunReport report = engine::run_conformance(cfg);
  // It declares OSF alone: auto is osf.
  ASSERT_EQ(report.dialect, "osf");
  const auto& cat = catalogue::Catalogue::builtin();
  std::map<std::string, const reports::RuleResult*> by_id;
  for (const reports::RuleResult& r : report.rules) {
    by_id[r.id] = &r;
    EXPECT_TRUE(r.verdict == reports::Verdict::pass ||
                r.verdict == reports::Verdict::not_applicable)
        << r.id << " " << r.verdict.name() << ": " << r.message;
    const catalogue::Rule* rule = cat.find(r.id);
    ASSERT_NE(rule, nullptr) << r.id;
    if (!rule->applies_to(catalogue::Dialect::osf)) {
      EXPECT_EQ(r.verdict, reports::Verdict::not_applicable) << r.id;
      EXPECT_NE(r.message.find("does not apply to the osf dialect"), std::string::npos)
          << r.id << ": " << r.message;
    }
  }
  std::size_t osf_only = 0;
  for (std::string_view id : model::checked_rules()) {
    const catalogue::Rule* rule = cat.find(id);
    ASSERT_NE(rule, nullptr) << id;
    if (!rule->applies_to(catalogue::Dialect::osf) ||
        rule->applies_to(catalogue::Dialect::gnumach_seqnos))
      continue;
    ++osf_only;
    auto found = by_id.find(std::string(id));
    ASSERT_NE(found, by_id.end()) << id << " missing from the report";
    EXPECT_GT(found->second->exercised, 0u)
        << id << " is checked by the model in the OSF dialect but never counted on the OSF "
        << "reference pager (" << found->second->verdict.name() << ": " << found->second->message
        << ")";
  }
  EXPECT_GE(osf_only, 8u);  // SY2, SY3, SY4, SY5, SY10, CA1, CA2, CA5
  // The pager's own actions are called against OSF kernels too: their rules
  // are counted on the OSF reference pager, which implements all five.
  for (std::string_view id : {"LK2", "LK3", "LK8", "CA3", "CA4", "DS3", "RT5"}) {
    auto found = by_id.find(std::string(id));
    ASSERT_NE(found, by_id.end()) << id << " missing from the report";
    EXPECT_GT(found->second->exercised, 0u)
        << id << ": the pager's actions are not counted on the OSF reference pager ("
        << found->second->verdict.name() << ": " << found->second->message << ")";
  }
}

class ScoreTable : public testing::Environment {
 public:
  void TearDown() override {
    if (table().empty()) return;
    std::size_t caught = 0;
    std::printf("\n%-32s %-5s %-8s %-9s %-8s %-40s %s\n", "mutant", "rule", "platform", "verdict",
                "commands", "time to detection", "run");
    for (const Row& r : table()) {
      caught += r.caught;
      std::printf("%-32s %-5s %-8s %-9s %-8zu %-40s %.1f s\n", r.id.c_str(), r.rule.c_str(),
                  r.platform.c_str(), r.verdict.c_str(), r.commands, r.detection.c_str(),
                  r.seconds);
    }
    std::printf("mutation score: %zu/%zu detected for their declared rule (%.0f%%)\n", caught,
                table().size(), 100.0 * caught / table().size());
    std::size_t exact = 0;
    for (const Replays& r : replays()) exact += r.identical == 100;
    std::printf("replays: %zu/%zu counterexamples gave the identical trace 100 times out of 100\n",
                exact, replays().size());
  }
};

const auto* const kScore = testing::AddGlobalTestEnvironment(new ScoreTable);

}  // namespace
