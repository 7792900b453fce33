// SPDX-License-Identifier: MIT
// emmi-cts run on real pagers, and its reports checked the way their readers
// check them: the JSON against the repository's JSON Schema (python3
// jsonschema), the JUnit XML against junit.xsd (xmllint), the HTML in headless
// Chromium with a sequence chart for a mutant's failure. Also: sharded runs
// merged equal the unsharded run, conformance mode records what a re-run
// needs, and waivers (future expiry waives, past expiry fails).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tools.h"

namespace {

namespace fs = std::filesystem;
using emmi::reports::testing::CommandResult;
using emmi::reports::testing::count;
using emmi::reports::testing::read_file;
using emmi::reports::testing::require_tool;
using emmi::reports::testing::ScratchDir;
using emmi::reports::testing::write_file;
using nlohmann::json;

const fs::path kSchemaDir = EMMI_REPORTS_SCHEMA_DIR;
const fs::path kArtifacts = EMMI_CLI_ARTIFACT_DIR;
constexpr const char* kSeed = "424242";

CommandResult run_tool(const std::vector<std::string>& argv) {
  return emmi::reports::testing::run_command(argv, 600);
}

CommandResult emmi_cts(std::vector<std::string> args) {
  args.insert(args.begin(), EMMI_CTS_BINARY);
  return run_tool(args);
}

struct Mutant {
  std::string library;
  std::string options;
  std::vector<std::string> rules;
};

Mutant mutant(const std::string& id) {
  json manifest = json::parse(read_file(EMMI_MUTANTS_MANIFEST));
  for (const json& m : manifest.at("mutants")) {
    if (m.at("id") != id) continue;
    return {m.at("library"), m.value("options", ""), m.at("rules").get<std::vector<std::string>>()};
  }
  ADD_FAILURE() << "no mutant " << id << " in " << EMMI_MUTANTS_MANIFEST;
  return {};
}

std::string reference_pager() {
  return json::parse(read_file(EMMI_MUTANTS_MANIFEST)).at("reference");
}

// The library of a conforming pager of the manifest.
std::string conforming_pager(const std::string& id) {
  json manifest = json::parse(read_file(EMMI_MUTANTS_MANIFEST));
  for (const json& c : manifest.at("conforming"))
    if (c.at("id") == id) return c.at("library");
  ADD_FAILURE() << "no conforming pager " << id << " in " << EMMI_MUTANTS_MANIFEST;
  return {};
}

// emmi-cts run --profile quick --seed kSeed on `pager`, reports into `dir`.
CommandResult run_quick(const std::string& pager, const fs::path& dir,
                        std::vector<std::string> extra = {}, const std::string& options = "") {
  std::vector<std::string> args = {"run", "--quiet", "--profile", "quick",        "--seed",
                                   kSeed, "--pager", pager,       "--report-dir", dir.string()};
  if (!options.empty()) args.insert(args.end(), {"--pager-options", options});
  args.insert(args.end(), extra.begin(), extra.end());
  return emmi_cts(args);
}

json read_json(const fs::path& file) { return json::parse(read_file(file)); }

std::map<std::string, std::string> verdicts(const json& report) {
  std::map<std::string, std::string> out;
  // The pager's verdicts and the suite's self-checks (format version 2).
  for (const char* section : {"rules", "self_checks"})
    for (const json& rule : report.at(section)) out[rule.at("id")] = rule.at("verdict");
  return out;
}

std::string describe(const std::map<std::string, std::string>& v) {
  std::string s;
  for (const auto& [id, verdict] : v)
    if (verdict != "pass") s += id + "=" + verdict + " ";
  return s;
}

// Runs a printed replay command as a shell would (emmi-cts being this
// build's), its JSON report into `out`.
CommandResult rerun(std::string command, const fs::path& out) {
  command.replace(0, std::string("emmi-cts").size(), EMMI_CTS_BINARY);
  command += " --quiet --format json --report-dir " + out.string();
  return run_tool({"/bin/sh", "-c", command});
}

// ---- (a) the reference pager's reports validate ---------------------------------

TEST(RealReports, ReferencePagerReportsValidate) {
  ScratchDir dir;
  CommandResult r = run_quick(reference_pager(), dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* name :
       {"emmi-report.json", "emmi-report.junit.xml", "emmi-report.md", "emmi-report.html"})
    EXPECT_TRUE(fs::exists(dir / name)) << name;

  json report = read_json(dir / "emmi-report.json");
  EXPECT_EQ(report.at("seed").dump(), kSeed);
  EXPECT_EQ(report.at("profile"), "quick");
  for (const auto& [id, verdict] : verdicts(report))
    EXPECT_TRUE(verdict == "pass" || verdict == "not-applicable") << id << ": " << verdict;
  EXPECT_GT(report.at("cases_run").get<int>(), 0);

  CommandResult js = emmi::reports::testing::validate_json_schema(kSchemaDir /
                                                                      "emmi-report-v4.schema.json",
                                                                  dir / "emmi-report.json");
  EXPECT_EQ(js.exit_code, 0) << "python3-jsonschema: " << js.out << js.err;

  std::string xmllint = require_tool("/usr/bin/xmllint", "libxml2-utils");
  ASSERT_FALSE(xmllint.empty());
  CommandResult xml = run_tool({xmllint, "--noout", "--schema", (kSchemaDir / "junit.xsd").string(),
                                (dir / "emmi-report.junit.xml").string()});
  EXPECT_EQ(xml.exit_code, 0) << xml.err;
  EXPECT_NE(xml.err.find("validates"), std::string::npos) << xml.err;
  // One testcase per rule of the report: the pager's, then the self-checks.
  CommandResult n = run_tool(
      {xmllint, "--xpath", "count(//testcase)", (dir / "emmi-report.junit.xml").string()});
  EXPECT_EQ(std::stoul(n.out), report.at("rules").size() + report.at("self_checks").size());
  // The kernel duties the model checks are self-checks, never pager verdicts.
  for (const json& rule : report.at("self_checks")) EXPECT_EQ(rule.at("party"), "kernel");
  for (const json& rule : report.at("rules")) {
    EXPECT_EQ(rule.at("party"), "pager");
    EXPECT_NE(rule.at("id"), "IN1");
    EXPECT_NE(rule.at("id"), "SQ1");
    // A permission the reference pager never uses says what would exercise
    // it, rather than blaming the profile.
    if (rule.at("id") == "LK6") {
      EXPECT_EQ(rule.at("verdict"), "not-applicable");
      EXPECT_NE(rule.at("message").get<std::string>().find("exercised only when the pager passes "
                                                           "MACH_PORT_NULL"),
                std::string::npos)
          << rule.at("message");
    }
  }
}

// ---- (b) a mutant's HTML report in headless Chromium ------------------------------

using emmi::reports::testing::BrowserRun;
using emmi::reports::testing::joined;
using emmi::reports::testing::open_in_chromium;

TEST(RealReports, MutantHtmlReportRendersItsSequenceChart) {
  const std::string id = "leaves_request_unanswered";
  Mutant m = mutant(id);
  fs::path dir = kArtifacts / ("mutant-" + id);
  fs::remove_all(dir);
  fs::create_directories(dir);
  CommandResult r = run_quick(m.library, dir, {"--format", "json,html"}, m.options);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;

  json report = read_json(dir / "emmi-report.json");
  std::size_t charts = 0;
  for (const json& rule : report.at("rules"))
    if (rule.contains("counterexample")) ++charts;
  ASSERT_EQ(verdicts(report).at(m.rules.front()), "fail") << describe(verdicts(report));
  ASSERT_GT(charts, 0u) << "a failing rule without a counterexample to draw";

  BrowserRun dom = open_in_chromium(dir / "emmi-report.html", {"--dump-dom"});
  ASSERT_EQ(dom.result.exit_code, 0) << dom.result.err.substr(0, 2000);
  EXPECT_TRUE(dom.console.empty()) << joined(dom.console);
  EXPECT_NE(dom.result.out.find("id=\"emmi-report-ready\""), std::string::npos)
      << "the report's script did not run to the end";
  // One chart per counterexample, in the DOM the browser built, with arrows
  // labelled by the EMMI messages of the shrunk case.
  EXPECT_EQ(count(dom.result.out, "<svg class=\"msc\""), charts);
  EXPECT_NE(dom.result.out.find("memory_object_data_request"), std::string::npos);

  fs::path png = kArtifacts / ("mutant-" + id + ".png");
  fs::remove(png);
  BrowserRun shot = open_in_chromium(dir / "emmi-report.html",
                                     {"--screenshot=" + png.string(), "--window-size=1280,2400",
                                      "--hide-scrollbars"});
  ASSERT_EQ(shot.result.exit_code, 0) << shot.result.err.substr(0, 2000);
  EXPECT_TRUE(shot.console.empty()) << joined(shot.console);
  ASSERT_TRUE(fs::exists(png));
  std::string bytes = read_file(png);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(bytes.size(), 60u * 1024) << "a nearly blank page: " << png;
  std::cout << "screenshot: " << png << "\n";
}

// ---- (c) sharded runs merged equal the unsharded run ------------------------------

TEST(RealReports, ThreeShardsMergedEqualTheUnshardedRun) {
  ScratchDir dir;
  const std::string pager = reference_pager();
  CommandResult whole = run_quick(pager, dir / "whole", {"--jobs", "1", "--format", "json"});
  ASSERT_EQ(whole.exit_code, 0) << whole.out << whole.err;

  std::vector<std::string> merge_args = {"merge", "--report-dir", (dir / "merged").string()};
  std::size_t shard_cases = 0;
  int empty_shards = 0;
  for (int i = 1; i <= 3; ++i) {
    fs::path shard_dir = dir / ("shard-" + std::to_string(i));
    CommandResult s = run_quick(pager, shard_dir,
                                {"--jobs", "1", "--format", "json", "--shard",
                                 std::to_string(i) + "/3"});
    json shard = read_json(shard_dir / "emmi-report.json");
    // The quick profile has two search units, so one of three shards has no
    // work: it says so and succeeds (the merged report decides).
    EXPECT_EQ(s.exit_code, 0) << "shard " << i << ": " << s.out << s.err;
    if (shard.at("cases_run") == 0) {
      EXPECT_NE(s.out.find("nothing to do"), std::string::npos) << s.out;
      ++empty_shards;
    }
    EXPECT_EQ(shard.at("shard").at("index"), i - 1);
    EXPECT_EQ(shard.at("shard").at("total"), 3);
    shard_cases += shard.at("cases_run").get<std::size_t>();
    merge_args.push_back((shard_dir / "emmi-report.json").string());
  }
  EXPECT_LE(empty_shards, 1);
  CommandResult merged = emmi_cts(merge_args);
  ASSERT_EQ(merged.exit_code, 0) << merged.out << merged.err;

  json a = read_json(dir / "whole" / "emmi-report.json");
  json b = read_json(dir / "merged" / "emmi-report.json");
  EXPECT_EQ(verdicts(a), verdicts(b))
      << "unsharded: " << describe(verdicts(a)) << "\nmerged: " << describe(verdicts(b));
  EXPECT_EQ(b.at("merged_from").size(), 3u);
  EXPECT_EQ(b.at("cases_run").get<std::size_t>(), shard_cases);
  EXPECT_EQ(a.at("seed"), b.at("seed"));
  // Same settings, and the kernel commands of the shards add up to the whole.
  EXPECT_EQ(a.at("parameters"), b.at("parameters"));
  // Every rule exercised in the whole run is exercised as often across the shards.
  std::map<std::string, int> whole_exercised, merged_exercised;
  for (const json& rule : a.at("rules")) whole_exercised[rule.at("id")] = rule.at("exercised");
  for (const json& rule : b.at("rules")) merged_exercised[rule.at("id")] = rule.at("exercised");
  EXPECT_EQ(whole_exercised, merged_exercised);
}

// ---- (d) conformance mode ----------------------------------------------------------

std::string sha256_of(const std::string& file) {
  CommandResult r = run_tool({"/usr/bin/sha256sum", file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, 64);
}

TEST(RealReports, ConformanceReportRecordsWhatARerunNeeds) {
  ScratchDir dir;
  const std::string pager = reference_pager();
  CommandResult r = emmi_cts({"run", "--quiet", "--conformance", "--pager", pager, "--format",
                              "json", "--report-dir", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json report = read_json(dir / "emmi-report.json");
  EXPECT_EQ(report.at("conformance_mode"), true);
  EXPECT_EQ(report.at("suite").at("name"), "emmi-cts");
  CommandResult version = emmi_cts({"--version"});
  EXPECT_EQ("emmi-cts " + report.at("suite").at("version").get<std::string>() + "\n", version.out);
  EXPECT_EQ(report.at("pager").at("sha256"), sha256_of(pager));
  EXPECT_EQ(report.at("pager").at("path"), pager);
  EXPECT_EQ(report.at("profile"), "standard");
  EXPECT_TRUE(report.at("seed").is_number_unsigned());
  EXPECT_FALSE(report.at("parameters").empty());
  const json& machine = report.at("machine");
  EXPECT_FALSE(machine.at("hostname").get<std::string>().empty());
  EXPECT_FALSE(machine.at("os").get<std::string>().empty());
  EXPECT_GT(machine.at("cpus").get<int>(), 0);

  // The same locked run, anywhere: same seed and parameters.
  ScratchDir again;
  CommandResult r2 = emmi_cts({"run", "--quiet", "--conformance", "--pager", pager, "--format",
                               "json", "--report-dir", again.path().string()});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  json report2 = read_json(again / "emmi-report.json");
  EXPECT_EQ(report.at("seed"), report2.at("seed"));
  EXPECT_EQ(report.at("parameters"), report2.at("parameters"));
  EXPECT_EQ(verdicts(report), verdicts(report2));

  fs::path waivers = dir / "waivers.json";
  write_file(waivers, R"({"waivers": [{"rule": "SQ7", "reason": "r"}]})");
  CommandResult refused = emmi_cts({"run", "--quiet", "--conformance", "--pager", pager,
                                    "--waivers", waivers.string(), "--report-dir",
                                    (dir / "refused").string()});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--waivers"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir / "refused" / "emmi-report.json"));
}

// ---- (e) waivers ----------------------------------------------------------------------

fs::path write_waivers(const fs::path& file, const std::vector<std::string>& rules,
                       const std::string& expires) {
  json doc = {{"waivers", json::array()}};
  for (const std::string& id : rules)
    doc["waivers"].push_back(
        {{"rule", id}, {"reason", "known: init never answers"}, {"expires", expires}});
  write_file(file, doc.dump(2));
  return file;
}

TEST(RealReports, WaiversWaiveUntilTheyExpire) {
  // never_ready fails on the first map of any case: its failures do not
  // depend on the search, so the same rules fail in every run below.
  Mutant m = mutant("never_ready");
  ScratchDir dir;
  const std::vector<std::string> fixed = {"--jobs", "1", "--format", "json"};
  CommandResult plain = run_quick(m.library, dir / "plain", fixed, m.options);
  ASSERT_EQ(plain.exit_code, 1) << plain.out << plain.err;
  std::vector<std::string> failing;
  for (const auto& [id, verdict] : verdicts(read_json(dir / "plain" / "emmi-report.json")))
    if (verdict != "pass" && verdict != "not-applicable") failing.push_back(id);
  ASSERT_FALSE(failing.empty());
  EXPECT_NE(std::find(failing.begin(), failing.end(), m.rules.front()), failing.end());

  std::vector<std::string> with_waivers = fixed;
  with_waivers.insert(with_waivers.end(),
                      {"--waivers",
                       write_waivers(dir / "future.json", failing, "2999-12-31").string()});
  CommandResult waived = run_quick(m.library, dir / "waived", with_waivers, m.options);
  EXPECT_EQ(waived.exit_code, 0) << waived.out << waived.err;
  auto waived_verdicts = verdicts(read_json(dir / "waived" / "emmi-report.json"));
  for (const std::string& id : failing) EXPECT_EQ(waived_verdicts.at(id), "waived") << id;

  with_waivers = fixed;
  with_waivers.insert(with_waivers.end(),
                      {"--waivers",
                       write_waivers(dir / "past.json", failing, "2000-01-01").string()});
  CommandResult expired = run_quick(m.library, dir / "expired", with_waivers, m.options);
  EXPECT_EQ(expired.exit_code, 1) << expired.out << expired.err;
  EXPECT_NE(expired.err.find("expired on 2000-01-01"), std::string::npos) << expired.err;
  auto expired_verdicts = verdicts(read_json(dir / "expired" / "emmi-report.json"));
  for (const std::string& id : failing) EXPECT_NE(expired_verdicts.at(id), "waived") << id;
}

// ---- replay commands carry every option that shaped the case ----------------------

// The init_error_double_release mutant's bug shows only when it refuses an
// init, which it does for kernels whose page size exceeds its
// max_page_size option: a replay without --pager-options does not fail.
// Such kernels exist only on the manual platform, here narrowed to two by
// --page-sizes. The printed replay command must carry the options, the
// dialect the run resolved (the mutant declares the SEQNOS stubs; never
// "auto"), the platform, the world overrides, the schedule options and the
// timeout, and running it must give the same verdict in the same world.
TEST(RealReports, ReplayCommandRerunsTheCaseWithEveryOption) {
  ScratchDir dir;
  const std::string id = "init_error_double_release";
  Mutant m = mutant(id);
  ASSERT_FALSE(m.options.empty());
  const std::string rule = m.rules.front();
  CommandResult r = run_quick(m.library, dir / "search",
                              {"--platform", "manual", "--page-sizes", "4096,16384", "--objects",
                               "3", "--schedule", "pct", "--pct-depth", "2", "--timeout", "20",
                               "--format", "json"},
                              m.options);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json report = read_json(dir / "search" / "emmi-report.json");
  EXPECT_EQ(report.at("dialect"), "gnumach-seqnos");
  std::string replay;
  for (const json& entry : report.at("rules"))
    if (entry.at("id") == rule && entry.contains("counterexample"))
      replay = entry.at("counterexample").value("replay_command", "");
  ASSERT_FALSE(replay.empty()) << rule << ": " << describe(verdicts(report));
  const std::vector<std::string> parts = {"emmi-cts run ",
                                          "--dialect gnumach-seqnos ",
                                          "--platform manual",
                                          "--page-sizes 4096,16384",
                                          "--objects 3",
                                          "--schedule pct",
                                          "--pct-depth 2",
                                          "--pager-options " + m.options,
                                          "--timeout 20",
                                          "--seed " + std::string(kSeed),
                                          "--pager " + m.library,
                                          "--profile quick",
                                          "--replay "};
  for (const std::string& part : parts)
    EXPECT_NE(replay.find(part), std::string::npos) << "missing '" << part << "' in: " << replay;
  EXPECT_EQ(replay.find("auto"), std::string::npos) << replay;
  // The console shows the same command.
  EXPECT_NE(r.out.find("replay: " + replay), std::string::npos) << r.out;

  // Run the printed command as a shell would (emmi-cts being this build's).
  CommandResult again = rerun(replay, dir / "replay");
  ASSERT_EQ(again.exit_code, 1) << again.out << again.err;
  json replayed = read_json(dir / "replay" / "emmi-report.json");
  EXPECT_EQ(verdicts(replayed).at(rule), "fail") << describe(verdicts(replayed));
  EXPECT_EQ(replayed.at("dialect"), "gnumach-seqnos");
  EXPECT_EQ(replayed.at("platform"), "manual");
  for (const char* parameter : {"kernel_page_sizes", "objects", "schedule", "pager_options",
                                "pager_dialects", "object_size"})
    EXPECT_EQ(replayed.at("parameters").at(parameter), report.at("parameters").at(parameter))
        << parameter;
  EXPECT_EQ(replayed.at("parameters").at("objects"), "3");

  // Without the pager's options the same case does not fail that rule: the
  // option was needed.
  std::string without = replay;
  const std::string opt = " --pager-options " + m.options;
  without.erase(without.find(opt), opt.size());
  CommandResult bare = rerun(without, dir / "bare");
  json bare_report = read_json(dir / "bare" / "emmi-report.json");
  EXPECT_NE(verdicts(bare_report).at(rule), "fail") << describe(verdicts(bare_report));
}

// ---- dialects: what the pager declares (emmi_pager_dialects) -----------------------

const json& rule_json(const json& report, const std::string& id) {
  for (const char* section : {"rules", "self_checks"})
    for (const json& rule : report.at(section))
      if (rule.at("id") == id) return rule;
  static const json none;
  ADD_FAILURE() << id << " is not in the report";
  return none;
}

// The reference pager's plain policy on every object: a page no kernel gave
// back is answered with data_unavailable everywhere, so the seqno-ordering
// bug below shows within the quick profile in every build (under the mixed
// default half the objects are sparse files, and how soon the search meets
// the race there differs between the release and the sanitizer builds).
constexpr const char* kPlainPolicy = "transient_errors=0";

// The no_seqno_ordering mutant breaks SQ7 (and RT4 through it). Declaring
// the SEQNOS stubs, it is judged as gnumach-seqnos by default and fails SQ7.
TEST(RealReports, DeclaredSeqnosPagerIsJudgedBySeqnosRules) {
  ScratchDir dir;
  Mutant m = mutant("no_seqno_ordering");
  CommandResult r = run_quick(m.library, dir.path(), {"--format", "json"}, kPlainPolicy);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json report = read_json(dir / "emmi-report.json");
  EXPECT_EQ(report.at("dialect"), "gnumach-seqnos");
  EXPECT_EQ(report.at("parameters").at("pager_dialects"), "gnumach-seqnos");
  EXPECT_EQ(verdicts(report).at("SQ7"), "fail") << describe(verdicts(report));
}

// The same mutant without the declaration is a plain GNU Mach pager to the
// suite: no SEQNOS rule is judged (SQ7 is not applicable, with the dialect
// as the reason), the bug's RT4 still fails, and its replay command names
// the resolved dialect, gnumach, and reruns to the same verdicts. Named
// explicitly, gnumach-seqnos is allowed for such a pager and charges SQ7.
TEST(RealReports, UndeclaredPagerIsPlainGnuMachAndChargedNoSeqnosRule) {
  ScratchDir dir;
  const std::string pager = EMMI_UNDECLARED_DIALECT_PAGER;
  CommandResult r = run_quick(pager, dir / "auto", {"--format", "json"}, kPlainPolicy);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json report = read_json(dir / "auto" / "emmi-report.json");
  EXPECT_EQ(report.at("dialect"), "gnumach");
  EXPECT_EQ(report.at("parameters").at("pager_dialects"), "none declared");
  for (const auto& [id, verdict] : verdicts(report))
    if (id.rfind("SQ", 0) == 0) {
      EXPECT_EQ(verdict, "not-applicable") << id;
      EXPECT_EQ(rule_json(report, id).at("exercised"), 0) << id;
    }
  EXPECT_NE(rule_json(report, "SQ7")
                .at("message")
                .get<std::string>()
                .find("does not apply to the gnumach dialect"),
            std::string::npos)
      << rule_json(report, "SQ7");
  ASSERT_EQ(verdicts(report).at("RT4"), "fail") << describe(verdicts(report));
  const std::string replay =
      rule_json(report, "RT4").at("counterexample").at("replay_command").get<std::string>();
  EXPECT_NE(replay.find("--dialect gnumach "), std::string::npos) << replay;
  CommandResult again = rerun(replay, dir / "replay");
  ASSERT_EQ(again.exit_code, 1) << again.out << again.err;
  json replayed = read_json(dir / "replay" / "emmi-report.json");
  EXPECT_EQ(replayed.at("dialect"), "gnumach");
  EXPECT_EQ(verdicts(replayed).at("RT4"), "fail") << describe(verdicts(replayed));
  EXPECT_EQ(verdicts(replayed).at("SQ7"), "not-applicable") << describe(verdicts(replayed));

  // Backward compatibility: a pager that declares nothing may be judged by
  // the SEQNOS rules when the user says so.
  CommandResult strict = run_quick(pager, dir / "seqnos",
                                   {"--dialect", "gnumach-seqnos", "--format", "json"},
                                   kPlainPolicy);
  ASSERT_EQ(strict.exit_code, 1) << strict.out << strict.err;
  json strict_report = read_json(dir / "seqnos" / "emmi-report.json");
  EXPECT_EQ(strict_report.at("dialect"), "gnumach-seqnos");
  EXPECT_EQ(verdicts(strict_report).at("SQ7"), "fail") << describe(verdicts(strict_report));
}

// A pager that declares the plain stubs (single_thread) is refused the
// SEQNOS dialect, with a message naming the pager and what it declares;
// under auto it is judged as gnumach and conforms.
TEST(RealReports, DialectThePagerDoesNotDeclareIsRefused) {
  ScratchDir dir;
  const std::string pager = conforming_pager("single_thread");
  CommandResult refused = run_quick(pager, dir / "refused",
                                    {"--dialect", "gnumach-seqnos", "--format", "json"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  for (const std::string& part : {std::string("--dialect 'gnumach-seqnos'"), pager,
                                  std::string("emmi_pager_dialects declares gnumach")})
    EXPECT_NE(refused.err.find(part), std::string::npos)
        << "missing '" << part << "' in: " << refused.err;
  EXPECT_FALSE(fs::exists(dir / "refused" / "emmi-report.json"));

  CommandResult plain = run_quick(pager, dir / "auto", {"--format", "json"});
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  json report = read_json(dir / "auto" / "emmi-report.json");
  EXPECT_EQ(report.at("dialect"), "gnumach");
  EXPECT_EQ(report.at("parameters").at("pager_dialects"), "gnumach");
}

// ---- target platforms ----------------------------------------------------------------

// Rules whose verdict fails the run (the JSON's own fails_run), by ID.
std::vector<std::string> failing_the_run(const json& report) {
  std::vector<std::string> out;
  for (const char* section : {"rules", "self_checks"})
    for (const json& rule : report.at(section))
      if (rule.at("fails_run").get<bool>()) out.push_back(rule.at("id"));
  return out;
}

const json* rule_entry(const json& report, const std::string& id) {
  for (const json& rule : report.at("rules"))
    if (rule.at("id") == id) return &rule;
  return nullptr;
}

// A pager with Hurd libpager's init policy ignores an init whose page size is
// not 4 KiB, and a second kernel's init of an object already initialised.
// GNU Mach never sends either: on --platform gnumach it conforms. The manual
// platform plays kernels GNU Mach never makes, whose inits wait for ready
// for ever: exactly RD1 fails the run, and the report says the case needs a
// world GNU Mach never makes. Both reports say which platform judged them and
// what it means; a merge of the two refuses to mix platforms.
TEST(RealReports, LibpagerInitPolicyConformsOnGnuMachAndFailsRd1OnTheManual) {
  ScratchDir dir;
  const std::vector<std::string> fixed = {"--jobs", "1", "--format", "json,junit,md,html"};
  std::vector<std::string> gnumach = fixed;
  gnumach.insert(gnumach.end(), {"--platform", "gnumach"});
  CommandResult g = run_quick(EMMI_LIBPAGER_POLICY_PAGER, dir / "gnumach", gnumach);
  const json gr = read_json(dir / "gnumach" / "emmi-report.json");
  EXPECT_EQ(g.exit_code, 0) << describe(verdicts(gr)) << g.out << g.err;
  EXPECT_EQ(gr.at("platform"), "gnumach");
  EXPECT_NE(g.out.find("CONFORMANT on gnumach, " + gr.at("dialect").get<std::string>() +
                       " dialect"),
            std::string::npos)
      << g.out;
  EXPECT_EQ(gr.at("parameters").at("kernel_page_sizes"), "4096");
  EXPECT_EQ(gr.at("summary").at("outcome"), "conformant");
  EXPECT_EQ(verdicts(gr).at("RD1"), "pass");
  const std::string md_g = read_file(dir / "gnumach" / "emmi-report.md");
  EXPECT_NE(md_g.find("platform gnumach: judged for GNU Mach, one kernel per object port"),
            std::string::npos)
      << md_g;
  EXPECT_NE(read_file(dir / "gnumach" / "emmi-report.junit.xml")
                .find(R"(<property name="platform" value="gnumach"/>)"),
            std::string::npos);
  EXPECT_NE(read_file(dir / "gnumach" / "emmi-report.html").find("platform gnumach"),
            std::string::npos);

  std::vector<std::string> manual = fixed;
  manual.insert(manual.end(), {"--platform", "manual"});
  CommandResult m = run_quick(EMMI_LIBPAGER_POLICY_PAGER, dir / "manual", manual);
  const json mr = read_json(dir / "manual" / "emmi-report.json");
  EXPECT_EQ(m.exit_code, 1) << m.out << m.err;
  EXPECT_EQ(mr.at("platform"), "manual");
  EXPECT_EQ(mr.at("parameters").at("kernel_page_sizes"), "4096,4096,16384,32768");
  EXPECT_EQ(failing_the_run(mr), std::vector<std::string>{"RD1"}) << describe(verdicts(mr));
  const json* rd1 = rule_entry(mr, "RD1");
  ASSERT_NE(rd1, nullptr);
  EXPECT_EQ(rd1->at("verdict"), "fail");
  const std::string why = rd1->at("message");
  EXPECT_NE(why.find("was never made ready"), std::string::npos) << why;
  EXPECT_NE(why.find("[platform manual: the shrunk case uses a world GNU Mach never makes"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("--platform gnumach judges whether this matters there"), std::string::npos)
      << why;
  ASSERT_TRUE(rd1->contains("counterexample"));
  EXPECT_NE(
      rd1->at("counterexample").at("replay_command").get<std::string>().find("--platform manual"),
      std::string::npos);
  // Any other finding is advisory (it does not fail the run) and comes from
  // the same worlds: a re-init ignored while another kernel holds the object.
  for (const json& rule : mr.at("rules")) {
    if (rule.at("verdict") != "fail" || rule.at("id") == "RD1") continue;
    EXPECT_NE(rule.at("message").get<std::string>().find("GNU Mach never makes"), std::string::npos)
        << rule.dump();
  }
  const std::string md_m = read_file(dir / "manual" / "emmi-report.md");
  EXPECT_NE(md_m.find("platform manual: judged by the strict reading of the manual pages"),
            std::string::npos)
      << md_m;

  // Reports judged for different platforms do not merge (as shards they
  // would otherwise look alike).
  CommandResult s1 = run_quick(EMMI_LIBPAGER_POLICY_PAGER, dir / "s1",
                               {"--jobs", "1", "--format", "json", "--shard", "1/2"});
  CommandResult s2 = run_quick(EMMI_LIBPAGER_POLICY_PAGER, dir / "s2",
                               {"--jobs", "1", "--format", "json", "--shard", "2/2", "--platform",
                                "manual"});
  CommandResult merged = emmi_cts({"merge", "--report-dir", (dir / "merged").string(),
                                   (dir / "s1" / "emmi-report.json").string(),
                                   (dir / "s2" / "emmi-report.json").string()});
  EXPECT_EQ(merged.exit_code, 2) << merged.out << merged.err;
  EXPECT_NE(merged.err.find("platform differs between shard 1/2 (gnumach) and shard 2/2 (manual)"),
            std::string::npos)
      << merged.err;
}

// An OSF pager is judged on the osf platform when no platform is named: OSF
// kernels, one 4 KiB kernel, the OSF kernels' readings. Every report format
// says so, and a failure's replay command names the platform and reruns on
// it. The manual platform takes the OSF dialect too (its strict reading).
TEST(RealReports, OsfPagerIsJudgedOnTheOsfPlatformByDefault) {
  ScratchDir dir;
  CommandResult r = run_quick(EMMI_OSF_REFERENCE_PAGER, dir / "osf",
                              {"--jobs", "1", "--format", "json,junit,md,html"});
  const json report = read_json(dir / "osf" / "emmi-report.json");
  EXPECT_EQ(r.exit_code, 0) << describe(verdicts(report)) << r.out << r.err;
  EXPECT_EQ(report.at("platform"), "osf");
  EXPECT_EQ(report.at("dialect"), "osf");
  EXPECT_EQ(report.at("parameters").at("kernel_page_sizes"), "4096");
  EXPECT_NE(r.out.find("CONFORMANT on osf, osf dialect"), std::string::npos) << r.out;
  EXPECT_NE(read_file(dir / "osf" / "emmi-report.md")
                .find("platform osf: judged for an OSF Mach kernel speaking the OSF dialect"),
            std::string::npos);
  EXPECT_NE(read_file(dir / "osf" / "emmi-report.junit.xml")
                .find(R"(<property name="platform" value="osf"/>)"),
            std::string::npos);
  EXPECT_NE(read_file(dir / "osf" / "emmi-report.html").find("platform osf"), std::string::npos);
  CommandResult valid =
      emmi::reports::testing::validate_json_schema(kSchemaDir / "emmi-report-v4.schema.json",
                                                   dir / "osf" / "emmi-report.json");
  EXPECT_EQ(valid.exit_code, 0) << "python3-jsonschema: " << valid.out << valid.err;

  // A failure found on the osf platform replays there.
  const Mutant m = mutant("osf_sync_wrong_range");
  CommandResult f = run_quick(m.library, dir / "mutant", {"--jobs", "1", "--format", "json"});
  ASSERT_EQ(f.exit_code, 1) << f.out << f.err;
  const json mutant_report = read_json(dir / "mutant" / "emmi-report.json");
  const json* found = rule_entry(mutant_report, m.rules.front());
  ASSERT_NE(found, nullptr);
  ASSERT_TRUE(found->contains("counterexample")) << found->dump();
  const std::string replay = found->at("counterexample").at("replay_command");
  EXPECT_NE(replay.find("--platform osf --dialect osf"), std::string::npos) << replay;
  CommandResult again = rerun(replay, dir / "replay");
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  const json replayed = read_json(dir / "replay" / "emmi-report.json");
  EXPECT_EQ(replayed.at("platform"), "osf");
  EXPECT_EQ(verdicts(replayed).at(m.rules.front()), "fail");

  // The manual platform plays the OSF pager with its several kernels.
  CommandResult manual = run_quick(EMMI_OSF_REFERENCE_PAGER, dir / "manual",
                                   {"--jobs", "1", "--format", "json", "--platform", "manual"});
  const json mr = read_json(dir / "manual" / "emmi-report.json");
  EXPECT_EQ(manual.exit_code, 0) << describe(verdicts(mr)) << manual.out << manual.err;
  EXPECT_EQ(mr.at("platform"), "manual");
  EXPECT_EQ(mr.at("dialect"), "osf");
  EXPECT_EQ(mr.at("parameters").at("kernel_page_sizes"), "4096,4096,16384,32768");
}

// A write-behind OSF pager (the reference pager's write_behind option): the
// pages the kernel returns wait in memory, and only a SYNCHRONOUS
// synchronize or a terminate writes them to the backing storage. That is
// the freedom VM_SYNC_ASYNCHRONOUS gives (SY7), and the suite must not take
// it for a fault; the SYNCHRONOUS completions are judged at their instant
// (SY6, SY8) and pass.
TEST(RealReports, WriteBehindOsfPagerIsConformingAndItsCompletionsAreJudged) {
  ScratchDir dir;
  CommandResult r = run_quick(EMMI_OSF_REFERENCE_PAGER, dir.path(),
                              {"--jobs", "1", "--format", "json", "--pager-options",
                               "write_behind"});
  const json report = read_json(dir / "emmi-report.json");
  EXPECT_EQ(r.exit_code, 0) << describe(verdicts(report)) << r.out << r.err;
  for (const char* id : {"SY6", "SY8", "RT5"}) {
    const json* rule = rule_entry(report, id);
    ASSERT_NE(rule, nullptr) << id;
    EXPECT_EQ(rule->at("verdict"), "pass") << rule->dump();
    EXPECT_GT(rule->at("exercised").get<std::uint64_t>(), 0u) << rule->dump();
  }
}

// A worker-pool pager written with C11 <threads.h>: glibc builds thrd_create,
// mtx_lock and cnd_wait past the pthread calls the suite interposes, and
// the suite once judged such a pager while its workers still held requests
// (RD1, DR3, TM4-TM6, RT5 on every seed). Seen, it is conforming, and no
// case of it ran uncontrolled.
TEST(RealReports, C11ThreadsPagerIsConforming) {
  for (const char* seed : {"1", "2"}) {
    ScratchDir dir;
    CommandResult r = emmi_cts({"run", "--quiet", "--seed", seed, "--pager", EMMI_C11_THREADS_PAGER,
                                "--report-dir", dir.path().string(), "--format", "json"});
    const json report = read_json(dir / "emmi-report.json");
    EXPECT_EQ(r.exit_code, 0) << describe(verdicts(report)) << r.out << r.err;
    std::size_t passed = 0;
    for (const json& rule : report.at("rules")) {
      EXPECT_TRUE(rule.at("verdict") == "pass" || rule.at("verdict") == "not-applicable")
          << rule.dump();
      if (rule.at("verdict") == "pass") ++passed;
    }
    // Its actions too: sync, flush, change_attributes and shutdown.
    EXPECT_GT(passed, 40u) << describe(verdicts(report));
    EXPECT_EQ(report.dump().find("ran uncontrolled"), std::string::npos);
  }
}

// A pager that sends synchronize_completed with the lock its store reads
// take held, as most pagers replying from their handlers do, cannot be
// looked at the instant of the completion: SY6 and SY8 are never judged,
// which is no failure, and the report says why rather than blaming the
// profile.
TEST(RealReports, CompletionUnderTheStoreLockLeavesSy6AndSy8UnjudgedAndSaysWhy) {
  ScratchDir dir;
  CommandResult r = run_quick(EMMI_OSF_REFERENCE_PAGER, dir.path(),
                              {"--jobs", "1", "--format", "json", "--pager-options",
                               "write_behind,complete_under_lock"});
  const json report = read_json(dir / "emmi-report.json");
  EXPECT_EQ(r.exit_code, 0) << describe(verdicts(report)) << r.out << r.err;
  for (const char* id : {"SY6", "SY8"}) {
    const json* rule = rule_entry(report, id);
    ASSERT_NE(rule, nullptr) << id;
    EXPECT_EQ(rule->at("verdict"), "not-applicable") << rule->dump();
    EXPECT_EQ(rule->at("exercised").get<std::uint64_t>(), 0u) << rule->dump();
    const std::string message = rule->at("message");
    EXPECT_NE(message.find("could not be read at the instant it is about"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("never exercised by this profile"), std::string::npos) << message;
  }
}

// ---- releasing memory by sending it with the deallocate bit ---------------------

// A pager that releases the pages of every data_return by sending them out
// of line with the deallocate bit set, instead of vm_deallocate, is as
// correct as the reference pager: the release is the kernel's "as if by
// vm_deallocate". The suite once kept quiet about such releases, so RT2
// reported the returned pages as leaked.
TEST(RealReports, ReleasingReturnedPagesByDeallocOnSendIsNoLeak) {
  ScratchDir dir;
  CommandResult r = run_quick(EMMI_HANDBACK_PAGER, dir.path(), {"--format", "json"});
  json report = read_json(dir / "emmi-report.json");
  EXPECT_EQ(r.exit_code, 0) << describe(verdicts(report)) << r.out << r.err;
  auto v = verdicts(report);
  EXPECT_EQ(v.at("RT2"), "pass");
  EXPECT_EQ(v.at("V4"), "pass");
  // PR8 binds every receiver of out-of-line memory, data_return's included.
  EXPECT_EQ(v.at("PR8"), "pass");
  for (const json& rule : report.at("rules")) {
    if (rule.at("id") == "RT2") {
      EXPECT_GT(rule.value("exercised", 0u), 0u) << "no data_return";
    }
  }
}

// A pager may keep the pages it is returned as its store until it stops
// serving: leaks are judged after its stop(), which every case calls.
TEST(RealReports, ReturnedPagesKeptUntilStopAreNoLeak) {
  ScratchDir dir;
  CommandResult r = run_quick(EMMI_STORE_KEEPING_PAGER, dir.path(), {"--format", "json"});
  json report = read_json(dir / "emmi-report.json");
  EXPECT_EQ(r.exit_code, 0) << describe(verdicts(report)) << r.out << r.err;
  EXPECT_EQ(verdicts(report).at("RT2"), "pass");
}

// A pager built for version 1 of the entry ABI keeps working: its struct
// ends after stop() (the suite must not read the version 2 members), it is
// spoken to in version 1, and none of the pager's own actions is called, so
// the rules only they make checkable are not applicable.
TEST(RealReports, VersionOnePagerKeepsWorkingWithoutActions) {
  ScratchDir dir;
  CommandResult r = run_quick(EMMI_ABI_V1_PAGER, dir.path(), {"--format", "json"});
  json report = read_json(dir / "emmi-report.json");
  const auto v = verdicts(report);
  EXPECT_EQ(r.exit_code, 0) << describe(v) << r.out << r.err;
  EXPECT_EQ(v.at("DR3"), "pass") << describe(v);
  for (const char* rule : {"LK2", "LK3", "LK8", "CA3", "DS3", "RT5"})
    EXPECT_EQ(v.at(rule), "not-applicable") << rule << "\n" << describe(v);
}

// A pager declaring the default-pager role (emmi_pager_roles) is played as
// the default memory manager: no objects of its own, temporary objects the
// kernels create, fault and page out, judged by the default-pager model.
TEST(RealReports, DefaultPagerIsPlayedWithTemporaryObjects) {
  ScratchDir dir;
  CommandResult r = run_quick(conforming_pager("default_pager"), dir.path(), {"--format", "json"});
  json report = read_json(dir / "emmi-report.json");
  const auto v = verdicts(report);
  EXPECT_EQ(r.exit_code, 0) << describe(v) << r.out << r.err;
  EXPECT_EQ(report.at("parameters").at("pager_roles"), "default pager");
  EXPECT_EQ(report.at("parameters").at("objects"), "0");
  for (const char* rule : {"CR1", "CR2", "CR6", "DI1", "DI3", "UN2", "SQ3", "G6", "RT2", "PR8"})
    EXPECT_EQ(v.at(rule), "pass") << rule << "\n" << describe(v);
  // Nothing of an ordinary pager's is exercised: there is nothing to map.
  EXPECT_EQ(v.at("IN2"), "not-applicable");
}

// A stop() that never finishes while the pager still holds returned pages:
// their release never came (a timeout, not a hung suite, not a fail).
TEST(RealReports, StopThatNeverFinishesHoldingPagesIsATimeout) {
  ScratchDir dir;
  CommandResult r = run_quick(EMMI_STORE_KEEPING_PAGER, dir.path(), {"--format", "json"},
                              "stop=hang");
  json report = read_json(dir / "emmi-report.json");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(verdicts(report).at("RT2"), "timeout") << describe(verdicts(report));
  for (const json& rule : report.at("rules")) {
    if (rule.at("id") == "RT2") {
      EXPECT_NE(rule.dump().find("stop() did not finish"), std::string::npos) << rule.dump();
    }
  }
}

// The same once it has released everything: no rule covers stop() itself,
// so the suite cannot say more than that it could not finish the case.
TEST(RealReports, StopThatNeverFinishesHoldingNothingIsUnresolved) {
  ScratchDir dir;
  CommandResult r = run_quick(EMMI_STORE_KEEPING_PAGER, dir.path(), {"--format", "json"},
                              "stop=hang-released");
  json report = read_json(dir / "emmi-report.json");
  auto v = verdicts(report);
  EXPECT_EQ(v.at("RT2"), "pass") << describe(v);
  EXPECT_EQ(v.at("IN2"), "unresolved") << describe(v);
  EXPECT_NE(report.dump().find("stop() did not finish"), std::string::npos);
  EXPECT_NE(r.exit_code, 0) << "an incomplete run is not a conformant one";
}

}  // namespace
